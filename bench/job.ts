/**
 * The MNIST job end to end (issue 5's bench): wall time from posting to Success on a devnet of separate
 * processes, split by phase, and the fraction of it spent training.
 *
 * The network is the e2e test's (test/e2e/job.test.ts): `planDevnet`/`startDevnet` on the `local` spec
 * with `BENCH_JOB_SLOT_MS` slots, 2 validators, `BENCH_JOB_WORKERS` worker nodes and
 * `BENCH_JOB_EVALUATORS` evaluator nodes, which register themselves; the client is the real CLI,
 * `tensorchain job post … --wait --json` as //Charlie. One job of the MNIST MLP.
 *
 * Times: the client's JSON lines and the role nodes' log lines are stamped when this process reads
 * them; on-chain events are stamped when this process first saw their block as a new head on the first
 * validator (falling back to the block's timestamp). Phases, each from the end of the previous one:
 *   upload      `job post` started → content uploaded (model, training set, test set)
 *   post        → the JobPosted block seen by the client
 *   assignment  → Training (every trainer assigned, evaluators drawn)
 *   training    → the last ResultSubmitted (per worker below: wait before training; the training,
 *                 with its train-set scoring and storing the model, as its log reports; the submission)
 *   test set    → TestSetRevealed (the client reveals once all results are in)
 *   commit      → the last AttestationCommitted
 *   reveal      → the last AttestationRevealed
 *   settlement  → the client sees Succeeded
 * Training fraction: the training of the worker whose result came last (the critical path) over the
 * total. The bench never asserts.
 *
 *   npm run bench -- job   (env: BENCH_JOB_TRAIN=2000, BENCH_JOB_TEST=500, BENCH_JOB_EPOCHS=2,
 *                           BENCH_JOB_BATCH=64, BENCH_JOB_WORKERS=2, BENCH_JOB_EVALUATORS=2,
 *                           BENCH_JOB_SLOT_MS=500, BENCH_JOB_KEEP=1 keeps the temporary directory)
 */
import "@polkadot/api-augment";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import {
  defaultCliPath,
  devnetRoleNames,
  planDevnet,
  type RunningDevnet,
  startDevnet,
  withRoleAccounts,
} from "../cli/commands/devnet.js";
import { BUILTIN_SPECS, type ChainSpec } from "../genesis/chainSpec.js";
import { rpcRequest } from "../node/content/rpcClient.js";
import { cryptoReady } from "../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../primitives/hex.js";
import { WorkerRegistry } from "../runtime/pallets/workerRegistry.js";
import { jobPostArgs } from "./processes.js";

const TRAIN = Number(process.env.BENCH_JOB_TRAIN ?? 2000);
const TEST = Number(process.env.BENCH_JOB_TEST ?? 500);
const EPOCHS = Number(process.env.BENCH_JOB_EPOCHS ?? 2);
const BATCH = Number(process.env.BENCH_JOB_BATCH ?? 64);
const WORKERS = Number(process.env.BENCH_JOB_WORKERS ?? 2);
const EVALUATORS = Number(process.env.BENCH_JOB_EVALUATORS ?? 2);
const SLOT_MS = Number(process.env.BENCH_JOB_SLOT_MS ?? 500);
const CLIENT = "//Charlie";

const CLI = defaultCliPath();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(200);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

interface Stamped<T> {
  at: number;
  value: T;
}

export async function runJobBench(): Promise<void> {
  await cryptoReady();
  const dir = mkdtempSync(join(tmpdir(), "tensorchain-jobbench-"));
  const roles = devnetRoleNames(WORKERS, EVALUATORS);
  const workerNames = roles.filter((r) => r.startsWith("Worker"));
  const keyring = new Keyring({ type: "sr25519" });
  const address = (name: string) => keyring.addFromUri(`//${name}`).address;
  const logs: Stamped<string>[] = [];
  let devnet: RunningDevnet | undefined;
  let api: ApiPromise | undefined;
  try {
    const base = BUILTIN_SPECS.local();
    base.id = "local_job_bench";
    if (!("runtimeGenesis" in base.genesis)) throw new Error("expected a runtime genesis");
    base.genesis.runtimeGenesis.config.babe = { slotDurationMs: SLOT_MS };
    const spec: ChainSpec = withRoleAccounts(base, roles);
    const chain = join(dir, "chain-spec.json");
    writeFileSync(chain, JSON.stringify(spec, null, 2));
    const rpcBase = 20_000 + Math.floor(Math.random() * 20_000);
    const plan = await planDevnet({
      validators: 2,
      baseDir: join(dir, "nodes"),
      rpcPort: rpcBase,
      p2pPort: rpcBase + 100,
      chain,
      workers: WORKERS,
      evaluators: EVALUATORS,
    });
    mkdirSync(join(dir, "nodes"), { recursive: true });
    // Data and model first, so that their preparation is not on the clock and the nodes start idle.
    execFileSync(process.execPath, [
      CLI,
      "dataset",
      "mnist",
      "--out-dir",
      join(dir, "mnist"),
      "--train",
      String(TRAIN),
      "--test",
      String(TEST),
    ]);
    execFileSync(process.execPath, [CLI, "model", "init", "--arch", "mlp", "--out", join(dir, "mlp.onnx")]);

    devnet = startDevnet(plan, { write: (line) => logs.push({ at: Date.now(), value: line }), stopGraceMs: 5_000 });
    const rpcUrl = plan[0]!.rpcUrl;
    for (const node of plan)
      await waitFor(
        async () =>
          (await rpcRequest<string>(`http://127.0.0.1:${node.rpcPort}`, "system_name", [])) ? true : undefined,
        60_000,
        `${node.name}'s RPC`,
      );
    api = await ApiPromise.create({ provider: new WsProvider(rpcUrl), noInitWarn: true, throwOnConnect: true });
    const a = api;
    // Every role registered (Active in the registry) before the job is posted.
    const httpUrl = `http://127.0.0.1:${plan[0]!.rpcPort}`;
    const active = async (name: string) => {
      const key = WorkerRegistry.storage.Workers.keyFor(keyring.addFromUri(`//${name}`).publicKey);
      const raw = await rpcRequest<HexString | null>(httpUrl, "state_getStorage", [toHex(key)]);
      return raw ? WorkerRegistry.storage.Workers.valueTy.dec(fromHex(raw)).status.tag === "Active" : false;
    };
    await waitFor(
      async () => {
        for (const r of roles) if (!(await active(r))) return undefined;
        return true;
      },
      180_000,
      "the role nodes' registrations",
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}\n${logs
          .slice(-40)
          .map((l) => l.value)
          .join("\n")}`,
      );
    });
    await sleep(2 * SLOT_MS); // let the last registration settle into a block both validators have

    // When this process first saw each block (as a new head on the first validator).
    const seen = new Map<string, number>();
    const unsubHeads = await a.rpc.chain.subscribeNewHeads((h) => {
      const hash = h.hash.toHex();
      if (!seen.has(hash)) seen.set(hash, Date.now());
    });

    // The client: `job post --wait --json`, each JSON line stamped on arrival.
    const clientLines: Stamped<{ phase: string; job?: string; block?: string | number }>[] = [];
    const args = [
      CLI,
      ...jobPostArgs({
        rpcUrl,
        suri: CLIENT,
        model: join(dir, "mlp.onnx"),
        train: join(dir, "mnist", "train.safetensors"),
        test: join(dir, "mnist", "test.safetensors"),
        reward: "100",
        workers: WORKERS,
        evaluators: EVALUATORS,
        minAccuracy: 0.5,
        epochs: EPOCHS,
        batch: BATCH,
        lr: 0.003,
        optimizer: "adam",
        seed: 7,
        blocks: { assign: 240, submit: 2000, revealTestSet: 240, commit: 240, reveal: 240 },
        saltFile: join(dir, "salt.json"),
      }),
    ];
    const t0 = Date.now();
    const proc = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    let err = "";
    proc.stdout?.on("data", (d: Buffer) => {
      const now = Date.now();
      pending += d.toString();
      const parts = pending.split("\n");
      pending = parts.pop()!;
      for (const l of parts) if (l.startsWith("{")) clientLines.push({ at: now, value: JSON.parse(l) });
    });
    proc.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
    const tEnd = Date.now();
    unsubHeads();
    const clientAt = (phase: string) => clientLines.find((l) => l.value.phase === phase);
    const succeeded = clientAt("Succeeded");
    if (code !== 0 || !succeeded) {
      console.log(`job post exited ${code}; phases ${clientLines.map((l) => l.value.phase).join(", ")}\n${err}`);
      console.log(
        logs
          .filter((l) => /Worker|Evaluator|ERROR|WARN|Training|Evaluated/.test(l.value))
          .slice(-40)
          .map((l) => l.value)
          .join("\n"),
      );
      return;
    }
    const posted = clientAt("posted")!;
    const jobId = String(posted.value.job);
    const postNumber = (await a.rpc.chain.getHeader(posted.value.block as string)).number.toNumber();
    const settleNumber = Number(succeeded.value.block);

    // The job's events on the canonical chain from the posting to settlement, stamped.
    const events: { at: number; number: number; method: string; who?: string }[] = [];
    for (let n = postNumber; n <= settleNumber; n++) {
      const hash = (await a.rpc.chain.getBlockHash(n)).toHex();
      const at = await a.at(hash);
      const stamp = seen.get(hash) ?? Number((await at.query.timestamp.now()).toString());
      for (const { event } of await at.query.system.events()) {
        if (event.section !== "jobManager" || event.data[0]?.toString() !== jobId) continue;
        events.push({ at: stamp, number: n, method: event.method, who: event.data[1]?.toString() });
      }
    }
    const lastOf = (method: string) => events.filter((e) => e.method === method).at(-1);
    const firstOf = (method: string) => events.find((e) => e.method === method);

    // Per worker: "Training started"/"Training finished" from its log, and its ResultSubmitted.
    const logLine = (name: string, re: RegExp) =>
      logs.find((l) => l.at >= t0 && new RegExp(`^\\[${name} *\\]`).test(l.value) && re.test(l.value));
    const trainingStartedAt = clientAt("Training")?.at ?? firstOf("TrainingStarted")?.at ?? posted.at;
    const perWorker = workerNames.map((name) => {
      const started = logLine(name, new RegExp(`Training started job=${jobId} `));
      const finished = logLine(name, new RegExp(`Training finished job=${jobId} `));
      const seconds = Number(/ seconds=([\d.]+)/.exec(finished?.value ?? "")?.[1] ?? Number.NaN);
      const submitted = events.find((e) => e.method === "ResultSubmitted" && e.who === address(name));
      return { name, started: started?.at, finished: finished?.at, trainMs: seconds * 1000, submitted: submitted?.at };
    });

    const marks: [string, number | undefined][] = [
      ["upload", clientAt("uploaded")?.at],
      ["post", posted.at],
      ["assignment", trainingStartedAt],
      ["training", lastOf("ResultSubmitted")?.at],
      ["test set revealed", lastOf("TestSetRevealed")?.at ?? clientAt("revealed")?.at],
      ["attestation commits", lastOf("AttestationCommitted")?.at],
      ["attestation reveals", lastOf("AttestationRevealed")?.at],
      ["settlement", succeeded.at],
    ];
    const total = succeeded.at - t0;
    const pct = (ms: number) => `${fmt((100 * ms) / total, 1)}%`;
    const row = (label: string, ms: number, note = "") =>
      console.log(`  ${label.padEnd(26)} ${fmt(ms).padStart(8)} ms ${pct(ms).padStart(7)}${note ? `  ${note}` : ""}`);

    console.log(
      `MNIST MLP job ${jobId}: ${TRAIN} train / ${TEST} test, ${EPOCHS} epochs, batch ${BATCH}, adam; ` +
        `${WORKERS} workers, ${EVALUATORS} evaluators, 2 validators, ${SLOT_MS} ms slots; ` +
        `blocks #${postNumber}..#${settleNumber} (${settleNumber - postNumber} blocks)`,
    );
    console.log(`  ${"phase".padEnd(26)} ${"wall".padStart(11)} ${"share".padStart(7)}`);
    let prev = t0;
    for (const [label, at] of marks) {
      if (at === undefined) {
        console.log(`  ${label.padEnd(26)} ${"-".padStart(11)}`);
        continue;
      }
      row(label, at - prev);
      if (label === "training")
        for (const w of perWorker) {
          const parts = [
            w.started !== undefined ? `waits ${fmt(w.started - trainingStartedAt)} ms` : "",
            `trains ${fmt(w.trainMs)} ms`,
            w.finished !== undefined && w.submitted !== undefined ? `submits ${fmt(w.submitted - w.finished)} ms` : "",
          ].filter(Boolean);
          const span = w.submitted !== undefined ? w.submitted - trainingStartedAt : Number.NaN;
          row(`  ${w.name} to its result`, span, parts.join(", "));
        }
      prev = at;
    }
    row("total (posting → Success)", total);
    const last = perWorker
      .filter((w) => w.submitted !== undefined)
      .sort((x, y) => (x.submitted ?? 0) - (y.submitted ?? 0))
      .at(-1);
    const trainMs = last?.trainMs ?? Number.NaN;
    console.log(
      `  training fraction: ${pct(trainMs)} (${fmt(trainMs)} ms of ${fmt(total)} ms, ${last?.name ?? "-"}'s training, ` +
        `the last result in); client exited ${fmt(tEnd - succeeded.at)} ms after Success`,
    );
  } finally {
    await api?.disconnect().catch(() => {});
    await devnet?.stop();
    if (process.env.BENCH_JOB_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
