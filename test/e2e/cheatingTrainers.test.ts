/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * Issue 11, "copying is caught" and "fabricated training is caught", end to end on a devnet of separate processes: two validators, one
 * honest `--worker` node (//Worker1), two `--evaluator` nodes that audit, and three cheating trainers
 * driven by this script through `@polkadot/api`, all four on one MNIST job posted by `job post --wait`:
 *   0. //Ferdie tries to reveal before every trainer has committed: `NotRevealingResults`;
 *   1. //Dave copies the honest result: the same model hash, work root and metrics (read from the
 *      honest node's files, as a second account of the same operator could), serves the honest
 *      checkpoints with valid proofs and opens the honest leaves;
 *   2. //Eve does the same with the model changed in one byte of its weights;
 *   3. //Ferdie reveals a made-up work root: its serve with the honest checkpoint is `InvalidProof`;
 *   4. //Lazy really trains, but with twice the job's learning rate, and answers its checks with its
 *      own checkpoints, leaves and valid proofs.
 * Each cheater fails its audit (the verifiers re-execute with the cheater's own batch order, or the
 * checkpoint is never served) and loses its whole job stake (`audit_slash_ppm` = 100%) plus its fees,
 * gaining nothing; the honest worker's result passes and it is paid the whole worker pool, exactly.
 */
import "@polkadot/api-augment";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import type { RunningDevnet } from "../../cli/commands/devnet.js";
import { readAssignment, readChecks, readJob, readStorage, send } from "../../cli/commands/job/chain.js";
import { uploadContent } from "../../node/content/rpcClient.js";
import { blake2_256, cryptoReady } from "../../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../../primitives/hex.js";
import { type LeafHash, workProof, workRoot } from "../../primitives/workRoot.js";
import { UNITS } from "../../runtime/constants.js";
import { resultCommitment } from "../../runtime/pallets/jobManager/index.js";
import { JOB_MANAGER } from "../../runtime/pallets/parameters/index.js";
import { WorkerRegistry } from "../../runtime/pallets/workerRegistry.js";
import { loadDataset } from "../../worker/data/dataset.js";
import { encodeCheckpoint } from "../../worker/train/checkpoint.js";
import { trainInWorker } from "../../worker/train/trainInWorker.js";
import { detectKernelClass } from "../../worker/verify/kernelClass.js";
import { CLI, NODE_BIN, waitFor } from "../helpers/node.js";
import { startRoleDevnet } from "../helpers/roleDevnet.js";

const SLOT_MS = 500;
const REWARD_PLANCK = 100n * UNITS;
const CHEATERS = { Dave: "copy", Eve: "one byte", Ferdie: "made-up root", Lazy: "wrong learning rate" } as const;
type Cheater = keyof typeof CHEATERS;

let dir: string;
let devnet: RunningDevnet | undefined;
let api: ApiPromise;
let rpcUrl: string;
const logs: string[] = [];

const keyring = () => new Keyring({ type: "sr25519" });
const pk = (name: string) => keyring().addFromUri(`//${name}`).publicKey;
const addr = (name: string) => keyring().addFromUri(`//${name}`).address;
const hex = (b: Uint8Array) => toHex(b);

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-cheating-"));
  ({ devnet, rpcUrl } = await startRoleDevnet({
    dir,
    specId: "local_cheating",
    slotMs: SLOT_MS,
    workers: 1,
    evaluators: 2,
    // 20-second check stages: the made-up root's serving stage runs to its deadline.
    parameters: { "jobManager.audit_stage_blocks": 40 },
    endow: ["Lazy"],
    write: (line) => logs.push(line),
  }));
  api = await ApiPromise.create({ provider: new WsProvider(rpcUrl), noInitWarn: true, throwOnConnect: true });
  const cli = (...args: string[]) => execFileSync(NODE_BIN, [CLI, ...args], { cwd: dir });
  cli("dataset", "mnist", "--out-dir", join(dir, "mnist"), "--train", "2000", "--test", "500");
  cli("model", "init", "--arch", "mlp", "--out", join(dir, "mlp.onnx"));
}, 120_000);

afterAll(async () => {
  await api?.disconnect();
  await devnet?.stop();
  if (process.env.CHEATING_E2E_LOG)
    (await import("node:fs")).writeFileSync(process.env.CHEATING_E2E_LOG, logs.join("\n"));
  rmSync(dir, { recursive: true, force: true });
});

/** `job post --wait --json` for a 4-trainer job, in the background. */
function postJob(): { proc: ChildProcess; done: Promise<number | null> } {
  const args = [
    ...["job", "post", "--rpc", rpcUrl, "--suri", "//Charlie", "--model", join(dir, "mlp.onnx")],
    ...["--train", join(dir, "mnist", "train.safetensors"), "--test", join(dir, "mnist", "test.safetensors")],
    ...["--reward", "100", "--workers", "5", "--evaluators", "2", "--min-accuracy", "0.5", "--epochs", "1"],
    ...["--batch", "64", "--lr", "0.003", "--optimizer", "adam", "--seed", "11"],
    ...["--assign-blocks", "200", "--submit-blocks", "400", "--reveal-test-set-blocks", "120"],
    ...["--commit-blocks", "120", "--reveal-blocks", "120", "--salt-file", join(dir, "salt.json"), "--wait", "--json"],
  ];
  const proc = spawn(NODE_BIN, [CLI, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout?.on("data", (d: Buffer) => logs.push(`[client] ${d}`));
  proc.stderr?.on("data", (d: Buffer) => logs.push(`[client] ${d}`));
  return { proc, done: new Promise((resolve) => proc.once("exit", resolve)) };
}

const jobOf = (id: bigint) => readJob(api, id);

/** What the honest node keeps of its committed result (`node/jobs/trainerStore.ts`). */
function honestFiles(jobId: bigint): { dir: string; result: Record<string, unknown> } | undefined {
  const chains = join(dir, "nodes", "worker1", "chains");
  if (!existsSync(chains)) return undefined;
  for (const chain of readdirSync(chains)) {
    const d = join(chains, chain, "jobs", "training", jobId.toString());
    if (existsSync(join(d, "result.json")))
      return { dir: d, result: JSON.parse(readFileSync(join(d, "result.json"), "utf8")) };
  }
  return undefined;
}

/** The sum of the transaction fees `who` paid in blocks (from, to]. */
/** The sum of `section.method` events' amount field (`data[amountAt]`) for `who` (`data[whoAt]`) over blocks (from, to]. */
async function eventSum(
  section: string,
  method: string,
  fields: { whoAt: number; amountAt: number },
  who: string,
  from: number,
  to: number,
): Promise<bigint> {
  let sum = 0n;
  for (let n = from + 1; n <= to; n++) {
    const at = await api.at(await api.rpc.chain.getBlockHash(n));
    for (const { event } of await at.query.system.events())
      if (event.section === section && event.method === method && event.data[fields.whoAt]!.toString() === who)
        sum += BigInt(event.data[fields.amountAt]!.toString());
  }
  return sum;
}

const feesPaid = (who: string, from: number, to: number) =>
  eventSum("transactionPayment", "TransactionFeePaid", { whoAt: 0, amountAt: 1 }, who, from, to);

/** PoUW ticket rewards released to `who` (its audit passed). */
const ticketRewardsPaid = (who: string, from: number, to: number) =>
  eventSum("poUW", "TicketRewardPaid", { whoAt: 1, amountAt: 2 }, who, from, to);

async function balanceAt(n: number, who: string) {
  const a = await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.account(who);
  return { free: a.data.free.toBigInt(), reserved: a.data.reserved.toBigInt() };
}

const rawCid = async (bytes: Uint8Array) => CID.create(1, 0x55, await sha256.digest(bytes)).bytes;

describe("copied and fabricated results on a devnet", () => {
  it("every cheater fails its audit and loses its job stake; the honest worker is paid exactly", async () => {
    // The cheaters register as trainers of this machine's kernel class (as a worker node would).
    const caps = {
      gpus: 0,
      gpu_memory_mib: 0,
      cpu_cores: 2,
      memory_mib: 4096,
      profiles: ["CpuExact"],
      onnxruntime_version: hex(new TextEncoder().encode("1.22.0")),
      kernel_class: hex(new TextEncoder().encode(detectKernelClass())),
    };
    const minStake = 10n * UNITS;
    for (const c of Object.keys(CHEATERS))
      await send(
        api,
        api.tx.workerRegistry.register(
          { trainer: true, evaluator: false, inference: false },
          caps,
          minStake,
          hex(blake2_256(pk(c))),
        ),
        `//${c}`,
      );
    await waitFor(
      async () => {
        for (const n of ["Worker1", "Evaluator1", "Evaluator2"])
          if (!(await readStorage(api, WorkerRegistry.storage.Workers.keyFor(pk(n))))) return undefined;
        return true;
      },
      90_000,
      "the role nodes' registrations",
    );
    const start = (await api.rpc.chain.getHeader()).number.toNumber();

    const client = postJob();
    const jobId = 0n;
    await waitFor(async () => (await jobOf(jobId)) !== undefined || undefined, 60_000, "the job");
    const stake = (await jobOf(jobId))!.spec.worker_stake;
    for (const c of Object.keys(CHEATERS)) await send(api, api.tx.jobManager.assignWorker(jobId), `//${c}`);

    // 0. A reveal before every trainer has committed is refused.
    const salt = (c: string) => blake2_256(new TextEncoder().encode(`salt of ${c}`));
    await expect(
      send(
        api,
        api.tx.jobManager.revealResult(
          jobId,
          hex(new Uint8Array(36).fill(1)),
          hex(new Uint8Array(32)),
          hex(new Uint8Array(32)),
          { accuracy_ppm: 0, loss_e9: 0 },
          31,
          hex(salt("Ferdie")),
        ),
        "//Ferdie",
      ),
    ).rejects.toThrow("jobManager.NotRevealingResults");

    // The honest worker trains and commits; its operator's second accounts read what it kept.
    const honest = await waitFor(() => honestFiles(jobId), 180_000, "the honest worker's committed result");
    const r = honest.result as {
      modelHash: HexString;
      workRoot: HexString;
      metrics: { accuracy_ppm: number; loss_e9: string };
      steps: number;
      leaves: HexString[];
    };
    const leaves: LeafHash[] = r.leaves.map((h, i) => ({ index: i + 1, stateHash: fromHex(h) }));
    const model = new Uint8Array(readFileSync(join(honest.dir, "model.onnx")));
    const tweaked = model.slice();
    tweaked[Math.floor(tweaked.length / 2)]! ^= 1; // inside the first layer's weights
    const metrics = { accuracy_ppm: r.metrics.accuracy_ppm, loss_e9: BigInt(r.metrics.loss_e9) };
    const honestCheckpoint = (leaf: number) =>
      new Uint8Array(readFileSync(join(honest.dir, `leaf-${leaf}.safetensors`)));
    // The lazy trainer's own run: the job's recipe but twice its learning rate.
    const spec = (await jobOf(jobId))!.spec;
    const lazyCheckpoints = new Map<number, Uint8Array>();
    const lazy = await trainInWorker(
      {
        job: {
          model: new Uint8Array(readFileSync(join(dir, "mlp.onnx"))),
          dataset: await loadDataset(join(dir, "mnist", "train.safetensors")),
          loss: "cross_entropy",
          optimizer: { kind: "adam" },
          lr: 0.006,
          lrSchedule: { kind: "constant" },
          batchSize: spec.batch_size,
          seed: spec.seed,
          workerKey: pk("Lazy"),
          profile: "cpu-exact",
          threads: 1,
        },
        untilStep: r.steps,
        leafInterval: spec.checkpoint_interval,
        checkpointEvery: spec.checkpoint_interval,
      },
      { onCheckpoint: (cp) => lazyCheckpoints.set(cp.step / spec.checkpoint_interval, encodeCheckpoint(cp)) },
    );
    const claims: Record<
      Cheater,
      { model: Uint8Array; root: Uint8Array; leaves: LeafHash[]; checkpoint: (leaf: number) => Uint8Array }
    > = {
      Dave: { model, root: fromHex(r.workRoot), leaves, checkpoint: honestCheckpoint },
      Eve: { model: tweaked, root: fromHex(r.workRoot), leaves, checkpoint: honestCheckpoint },
      Ferdie: {
        model,
        root: blake2_256(new TextEncoder().encode("a root no training produced")),
        leaves,
        checkpoint: honestCheckpoint,
      },
      Lazy: {
        model: lazy.model,
        root: workRoot(lazy.leaves),
        leaves: lazy.leaves,
        checkpoint: (leaf) => lazyCheckpoints.get(leaf)!,
      },
    };
    for (const c of Object.keys(CHEATERS) as Cheater[]) {
      const { model: m, root } = claims[c];
      const commitment = resultCommitment(jobId, pk(c), blake2_256(m), root, metrics, salt(c));
      await send(api, api.tx.jobManager.commitResult(jobId, hex(commitment)), `//${c}`);
    }
    await waitFor(
      async () => ((await jobOf(jobId))!.status.tag === "RevealingResults" ? true : undefined),
      120_000,
      "the reveal phase",
    );
    for (const c of Object.keys(CHEATERS) as Cheater[]) {
      const { model: m, root } = claims[c];
      await send(
        api,
        api.tx.jobManager.revealResult(
          jobId,
          hex(await rawCid(m)),
          hex(blake2_256(m)),
          hex(root),
          metrics,
          r.steps,
          hex(salt(c)),
        ),
        `//${c}`,
      );
    }

    // The checks: the copiers serve the honest checkpoints and open the honest leaves, the lazy trainer
    // its own, all with valid proofs under the root they revealed; the made-up root proves nothing.
    const answered = new Set<string>();
    let invalidProof = false;
    let final: string | undefined;
    await waitFor(
      async () => {
        const job = (await jobOf(jobId))!;
        final = ["Succeeded", "Failed", "TestSetWithheld"].find((s) => job.status.tag === s);
        if (final) return true;
        for (const { id, check } of await readChecks(api, jobId, job.checks)) {
          const who = (Object.keys(CHEATERS) as Cheater[]).find((c) => toHex(check.worker) === toHex(pk(c)));
          const stage = check.stage.tag;
          const key = `${id}/${stage}`;
          if (!who || answered.has(key) || (stage !== "Serving" && stage !== "Opening")) continue;
          answered.add(key);
          const segment = check.segment;
          const own = claims[who];
          const proofOf = (leaf: number) =>
            workProof(own.leaves, leaf).map((p) => ({ sibling: hex(p.sibling), right: p.right }));
          // The made-up root proves nothing: each of its serves and openings is refused.
          const answer = async (tx: Parameters<typeof send>[1]) => {
            if (who !== "Ferdie") return void (await send(api, tx, `//${who}`));
            await expect(send(api, tx, `//${who}`)).rejects.toThrow("jobManager.InvalidProof");
            invalidProof = true;
          };
          if (stage === "Opening") {
            await answer(
              api.tx.jobManager.openLeaf(jobId, id, hex(own.leaves[segment - 1]!.stateHash), proofOf(segment)),
            );
            continue;
          }
          const checkpoint = own.checkpoint(segment - 1);
          const cid = CID.parse(await uploadContent(rpcUrl, checkpoint, { announce: true })).bytes;
          await answer(
            api.tx.jobManager.serveCheckpoint(
              jobId,
              id,
              hex(cid),
              hex(own.leaves[segment - 2]!.stateHash),
              proofOf(segment - 1),
            ),
          );
        }
        return undefined;
      },
      300_000,
      "the job to settle",
    );
    expect(await client.done).toBe(0);
    expect(final).toBe("Succeeded");
    expect(invalidProof).toBe(true);

    // Verdicts: the honest result passed, every cheater's failed.
    const audit = async (name: string) => (await readAssignment(api, jobId, pk(name)))?.audit.tag;
    expect(await audit("Worker1")).toBe("Passed");
    for (const c of Object.keys(CHEATERS)) expect([c, await audit(c)]).toEqual([c, "Failed"]);

    // Exact amounts from before the posting to the settlement.
    const end = (await api.rpc.chain.getHeader()).number.toNumber();
    const workerPool = (REWARD_PLANCK * BigInt(JOB_MANAGER.worker_share_ppm.defaultValue)) / 1_000_000n;
    for (const c of Object.keys(CHEATERS)) {
      const [a, b] = [await balanceAt(start, addr(c)), await balanceAt(end, addr(c))];
      const fees = await feesPaid(addr(c), start, end);
      expect({ c, free: b.free - a.free, reserved: b.reserved - a.reserved }).toEqual({
        c,
        free: -stake - fees,
        reserved: 0n,
      });
    }
    const [a, b] = [await balanceAt(start, addr("Worker1")), await balanceAt(end, addr("Worker1"))];
    const fees = await feesPaid(addr("Worker1"), start, end);
    // The honest trainer's PoUW tickets (issue 12) earned it ticket rewards, paid once its audit passed.
    const tickets = await ticketRewardsPaid(addr("Worker1"), start, end);
    expect({ free: b.free - a.free, reserved: b.reserved - a.reserved }).toEqual({
      free: workerPool + tickets - fees,
      reserved: 0n,
    });
  }, 600_000);
});
