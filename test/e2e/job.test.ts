/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * Issue 5, first acceptance item: the MNIST MLP job end to end on a devnet of separate processes.
 *
 * The network is what `tensorchain devnet --validators 2 --workers 2 --evaluators 2` starts (its own
 * `planDevnet`/`startDevnet`, on the `local` spec — //Alice and //Bob — with short slots and the role
 * accounts endowed by `withRoleAccounts`): two validators, two worker nodes (`--worker`, //Worker1 and
 * //Worker2) and two evaluator nodes (`--evaluator`, //Evaluator1 and //Evaluator2), which register
 * themselves. The client is the real CLI: `tensorchain job post … --wait --json` as //Charlie, then
 * `tensorchain job fetch`.
 *
 * Checked: the job goes from posting to `Succeeded`; both workers assign with the job stake, train,
 * commit and reveal their results; every audit check (drawn segments re-executed by the evaluator nodes)
 * concludes `Passed` and both results are audited `Passed`; the client reveals; both evaluators attest the same accuracy ≥ the minimum; every balance
 * changes by exactly the split computed here in bigint from the chain's `jobManager.*` parameters (the
 * transaction fees each party paid and staking rewards taken from the blocks' events); stakes come back;
 * reputations rise; the fetched model scores the attested accuracy under plain onnxruntime. After every
 * block up to settlement: total issuance = Σ free + reserved over `System.Account` (the treasury is an
 * ordinary account there, counted once) and no finished job holds reserved funds.
 */
import "@polkadot/api-augment";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import { encodeAddress } from "@polkadot/util-crypto";
import * as ort from "onnxruntime-node";
import { jobPostArgs } from "../../bench/processes.js";
import { devnetRoleNames, type RunningDevnet } from "../../cli/commands/devnet.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { fromHex, type HexString } from "../../primitives/hex.js";
import { findPouwTickets, verifyTicketVrf } from "../../primitives/pouw.js";
import { DigestItem, type HeaderValue } from "../../primitives/types.js";
import { TREASURY_ACCOUNT } from "../../runtime/constants.js";
import { JobManager } from "../../runtime/pallets/jobManager/index.js";
import { JOB_MANAGER, type Knob, keyOf, Parameters, POUW } from "../../runtime/pallets/parameters/index.js";
import { INITIAL_REPUTATION, WorkerRegistry } from "../../runtime/pallets/workerRegistry.js";
import { decodeSafetensors } from "../../worker/data/safetensors.js";
import { CLI, NODE_BIN, rpcResult, storageValue, waitFor } from "../helpers/node.js";
import { startRoleDevnet } from "../helpers/roleDevnet.js";

const SLOT_MS = 500;
const REWARD = "123.456789012345"; // TRAIN; odd planck so the split leaves rounding dust for the treasury
const REWARD_PLANCK = 123_456_789_012_345n;
const MIN_ACCURACY = 0.8;
const CLIENT = "//Charlie";
const ROLES = devnetRoleNames(2, 2);
const FINAL = ["Succeeded", "Failed", "Cancelled", "Expired", "TestSetWithheld"];

let dir: string;
let devnet: RunningDevnet;
const logs: string[] = [];
let api: ApiPromise;
let rpcUrl: string;
let httpUrl: string;

const rpc = <T>(method: string, params: unknown[] = []) => rpcResult<T>(httpUrl, method, params);
const storage = <V>(item: { valueTy: { dec(b: Uint8Array): V } }, key: Uint8Array, at?: string) =>
  storageValue(httpUrl, item, key, at);

const address = (name: string) => new Keyring({ type: "sr25519" }).addFromUri(`//${name}`).address;
const TREASURY = encodeAddress(TREASURY_ACCOUNT, 42);

/** Runs the CLI to completion; returns stdout. */
function cli(args: string[]): string {
  return execFileSync(NODE_BIN, [CLI, ...args], { encoding: "utf8", cwd: dir });
}

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-job-"));
  ({ devnet, httpUrl, rpcUrl } = await startRoleDevnet({
    dir,
    specId: "local_fast_jobs",
    slotMs: SLOT_MS,
    workers: 2,
    evaluators: 2,
    write: (line) => logs.push(line),
  }));
  api = await ApiPromise.create({ provider: new WsProvider(rpcUrl), noInitWarn: true, throwOnConnect: true });
  execFileSync(NODE_BIN, [
    CLI,
    "dataset",
    "mnist",
    "--out-dir",
    join(dir, "mnist"),
    "--train",
    "2000",
    "--test",
    "500",
  ]);
  execFileSync(NODE_BIN, [CLI, "model", "init", "--arch", "mlp", "--out", join(dir, "mlp.onnx")]);
}, 120_000);

afterAll(async () => {
  await api?.disconnect();
  await devnet?.stop();
  if (process.env.KEEP_JOB_E2E) process.stdout.write(`kept ${dir}\n`);
  if (process.env.JOB_E2E_LOG) (await import("node:fs")).writeFileSync(process.env.JOB_E2E_LOG, logs.join("\n"));
  else rmSync(dir, { recursive: true, force: true });
});

/** What the client printed so far (stdout and stderr), for failure messages. */
let clientOutput = "";

/** The role nodes' job lines, warnings and errors (not the informant's), and the client's output. */
function diagnostics(): string {
  const wanted = /jobs|trainer|evaluator|artifacts|content|ERROR|WARN|Refused|Training|Submitted|Evaluated/;
  const lines = logs.filter((l) => wanted.test(l) && !l.includes("informant")).slice(-200);
  return `${lines.join("\n")}\n--- client ---\n${clientOutput.slice(-4000)}`;
}

interface ClientLine {
  phase: string;
  job?: string;
  block?: string | number;
  results?: { worker: string; accuracyPpm: number | null; model: string | null }[];
}

/** `job post --wait --json` as a child process; resolves with its JSON lines when it exits. */
function postJob(): { proc: ChildProcess; done: Promise<{ code: number | null; lines: ClientLine[]; err: string }> } {
  const args = [
    CLI,
    ...jobPostArgs({
      rpcUrl,
      suri: CLIENT,
      model: join(dir, "mlp.onnx"),
      train: join(dir, "mnist", "train.safetensors"),
      test: join(dir, "mnist", "test.safetensors"),
      reward: REWARD,
      workers: 2,
      evaluators: 2,
      minAccuracy: MIN_ACCURACY,
      epochs: 2,
      batch: 64,
      lr: 0.003,
      optimizer: "adam",
      seed: 7,
      // In 500 ms blocks: generous, every phase ends early once everyone has acted.
      blocks: { assign: 120, submit: 400, revealTestSet: 120, commit: 120, reveal: 120 },
      saltFile: join(dir, "salt.json"),
    }),
  ];
  const proc = spawn(NODE_BIN, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  clientOutput = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    clientOutput += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    clientOutput += d.toString();
  });
  const done = new Promise<{ code: number | null; lines: ClientLine[]; err: string }>((resolve) =>
    proc.once("exit", (code) =>
      resolve({
        code,
        err,
        lines: out
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as ClientLine),
      }),
    ),
  );
  return { proc, done };
}

/** Everything the balance check needs of one account at one block. */
async function accountAt(at: string, who: string): Promise<{ free: bigint; reserved: bigint }> {
  const a = await (await api.at(at)).query.system.account(who);
  return { free: a.data.free.toBigInt(), reserved: a.data.reserved.toBigInt() };
}

interface BlockEvent {
  section: string;
  method: string;
  data: { toString(): string; toJSON(): unknown }[];
}

async function eventsAt(at: string): Promise<BlockEvent[]> {
  const records = await (await api.at(at)).query.system.events();
  return records.map(({ event }) => ({ section: event.section, method: event.method, data: [...event.data] }));
}

const big = (v: { toString(): string }) => BigInt(v.toString());

/** A block's digest as the RPC serves it (SCALE-encoded items), decoded with the runtime's own codec. */
async function digestOf(hash: string): Promise<Pick<HeaderValue, "digest">> {
  const header = await rpc<{ digest: { logs: HexString[] } }>("chain_getHeader", [hash]);
  return { digest: { logs: header.digest.logs.map((l) => DigestItem.dec(fromHex(l))) } };
}

describe("the MNIST MLP job on a devnet of separate processes", () => {
  it("goes from posting to Success with the exact split, and the fetched model scores the attested accuracy", async () => {
    const started = Date.now();
    const workers = ["Worker1", "Worker2"];
    const evaluators = ["Evaluator1", "Evaluator2"];
    const pk = (name: string) => new Keyring({ type: "sr25519" }).addFromUri(`//${name}`).publicKey;

    // The role nodes register themselves (trainers and evaluators, Active) before the job is posted.
    await waitFor(
      async () => {
        for (const name of ROLES) {
          const info = await storage(WorkerRegistry.storage.Workers, WorkerRegistry.storage.Workers.keyFor(pk(name)));
          if (info?.status.tag !== "Active") return undefined;
        }
        return true;
      },
      90_000,
      "the role nodes' registrations",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnostics()}`);
    });
    const registered = Date.now();

    const client = postJob();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      client.done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the job did not end in time\n${diagnostics()}`)), 200_000);
      }),
    ])
      .catch((e: Error) => {
        client.proc.kill("SIGKILL");
        throw e;
      })
      .finally(() => clearTimeout(timer));
    if (outcome.code !== 0)
      throw new Error(
        `job post exited ${outcome.code}\n${outcome.err}\n${JSON.stringify(outcome.lines)}\n${diagnostics()}`,
      );
    const settledAtMs = Date.now();
    const phases = outcome.lines.map((l) => l.phase);
    expect(phases).toEqual(
      expect.arrayContaining(["uploaded", "posted", "Training", "AwaitingTestSet", "revealed", "Succeeded"]),
    );
    const posted = outcome.lines.find((l) => l.phase === "posted")!;
    const jobId = BigInt(posted.job!);
    const postBlock = posted.block as HexString;
    const postNumber = Number((await api.rpc.chain.getHeader(postBlock)).number.toNumber());

    // Settlement block: the first block on the canonical chain where the job is final. Wait for it to be
    // finalized, so the chain walked below is the one that stays.
    const job = async (at?: string, id = jobId) =>
      storage(JobManager.storage.Jobs, JobManager.storage.Jobs.keyFor(id), at);
    const canonical = async (n: number) => (await rpc<HexString>("chain_getBlockHash", [n])) as string;
    const best = Number((await api.rpc.chain.getHeader()).number.toNumber());
    let settleNumber = postNumber;
    for (let n = best; n > postNumber; n--) {
      const j = await job(await canonical(n));
      if (j && !FINAL.includes(j.status.tag)) break;
      settleNumber = n;
    }
    await waitFor(
      async () =>
        (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber() >= settleNumber ||
        undefined,
      60_000,
      "finality of the settlement block",
    );
    const postHash = await canonical(postNumber);
    expect(postHash).toBe(postBlock);
    const before = await canonical(postNumber - 1);
    const settled = await canonical(settleNumber);
    const final = (await job(settled))!;
    expect(final.status.tag).toBe("Succeeded");
    expect(final.held).toBe(0n);
    expect(final.reward).toBe(REWARD_PLANCK);

    // Params and the split, in bigint, from chain state.
    // Absent from storage until governance sets them: then the pallet reads the declared default.
    const knob = async (k: Knob<number> | Knob<bigint>) => {
      const item = Parameters.storage.Parameters;
      return (await storage(item, item.keyFor(keyOf(k)), before))?.value.value ?? k.defaultValue;
    };
    const J = JOB_MANAGER;
    const params = {
      network_fee_ppm: Number(await knob(J.network_fee_ppm)),
      worker_share_ppm: Number(await knob(J.worker_share_ppm)),
      evaluator_share_ppm: Number(await knob(J.evaluator_share_ppm)),
      min_worker_stake: BigInt(await knob(J.min_worker_stake)),
    };
    const ppm = (p: number, x: bigint) => (x * BigInt(p)) / 1_000_000n;
    const networkFee = ppm(params.network_fee_ppm, REWARD_PLANCK);
    expect(final.network_fee).toBe(networkFee);
    const perWorker = ppm(params.worker_share_ppm, REWARD_PLANCK) / 2n;
    const perEvaluator = ppm(params.evaluator_share_ppm, REWARD_PLANCK) / 2n;
    const treasuryShare = REWARD_PLANCK - 2n * perWorker - 2n * perEvaluator;
    expect(final.spec.worker_stake).toBe(params.min_worker_stake);

    // Both workers assigned, submitted, were scored; both evaluators drawn.
    const addrOf = (k: Uint8Array) => encodeAddress(k, 42);
    expect(final.workers.map(addrOf).sort()).toEqual(workers.map(address).sort());
    expect(final.evaluators.map(addrOf).sort()).toEqual(evaluators.map(address).sort());
    const accuracies: number[] = [];
    const scored = new Map<string, number>();
    for (const w of workers) {
      const key = JobManager.storage.Assignments.keyFor([jobId, pk(w)]);
      const a = await storage(JobManager.storage.Assignments, key, settled);
      expect(a?.result).toBeDefined();
      expect(a?.stake).toBe(0n);
      expect(a?.accuracy_ppm).toBeGreaterThanOrEqual(final.spec.min_accuracy_ppm);
      accuracies.push(a!.accuracy_ppm!);
      scored.set(address(w), a!.accuracy_ppm!);
    }
    // Both evaluators revealed exactly the agreed accuracies, in assignment order.
    for (const e of evaluators) {
      const key = JobManager.storage.Attestations.keyFor([jobId, pk(e)]);
      const att = await storage(JobManager.storage.Attestations, key, settled);
      expect(att?.accuracies?.map(([w, acc]) => [addrOf(w), acc])).toEqual(
        final.workers.map((w) => [addrOf(w), scored.get(addrOf(w))]),
      );
    }

    // Walk every block from the posting to settlement: events (fees, staking rewards, job events) and
    // the invariants.
    const fees = new Map<string, bigint>();
    const rewards = new Map<string, bigint>();
    const jobEvents: { number: number; method: string; data: string[] }[] = [];
    // PoUW: tickets accepted per worker, ticket rewards held and paid, inclusion fees per author.
    const add = (m: Map<string, bigint>, who: string, x: bigint) => m.set(who, (m.get(who) ?? 0n) + x);
    const ticketsOf = new Map<string, bigint>();
    /** `worker/leaf` of every accepted ticket. */
    const ticketedLeaves = new Set<string>();
    const ticketRewardHeld = new Map<string, bigint>();
    const ticketRewardPaid = new Map<string, bigint>();
    const inclusionFees = new Map<string, bigint>();
    let ticketBlocks = 0;
    for (let n = postNumber; n <= settleNumber; n++) {
      const hash = await canonical(n);
      // The header's `pouw` digest: every ticket verifies with nothing but the worker's public key (its
      // registered work key is its account key) and the chain's epoch randomness at that block.
      const tickets = findPouwTickets(await digestOf(hash));
      if (tickets.length > 0) {
        ticketBlocks++;
        const randomness = (await (await api.at(hash)).query.babe.randomness()).toU8a();
        for (const t of tickets) {
          expect({ n, leaf: t.leaf, job: t.job_id }).toEqual({ n, leaf: t.leaf, job: jobId });
          expect({ n, leaf: t.leaf, ok: verifyTicketVrf(t.worker, randomness, t) }).toEqual({
            n,
            leaf: t.leaf,
            ok: true,
          });
        }
      }
      for (const e of await eventsAt(hash)) {
        if (e.section === "poUW" && e.method === "TicketAccepted") {
          add(ticketsOf, e.data[1]!.toString(), 1n);
          ticketedLeaves.add(`${e.data[1]!.toString()}/${e.data[2]!.toString()}`);
        }
        if (e.section === "poUW" && e.method === "TicketRewardHeld")
          add(ticketRewardHeld, e.data[1]!.toString(), big(e.data[2]!));
        if (e.section === "poUW" && e.method === "TicketRewardPaid")
          add(ticketRewardPaid, e.data[1]!.toString(), big(e.data[2]!));
        if (e.section === "poUW" && e.method === "TicketRewardSlashed")
          throw new Error(`unexpected ticket slash at #${n}`);
        if (e.section === "poUW" && e.method === "InclusionFeePaid")
          add(inclusionFees, e.data[0]!.toString(), big(e.data[2]!));
        if (e.section === "transactionPayment" && e.method === "TransactionFeePaid") {
          const who = e.data[0]!.toString();
          fees.set(who, (fees.get(who) ?? 0n) + big(e.data[1]!));
        }
        if (e.section === "staking" && e.method === "Rewarded") {
          const dest = e.data[1]!.toJSON() as Record<string, string> | string;
          const to = typeof dest === "object" && dest && "account" in dest ? dest.account! : e.data[0]!.toString();
          rewards.set(to, (rewards.get(to) ?? 0n) + big(e.data[2]!));
        }
        if (e.section === "jobManager" && big(e.data[0]!) === jobId)
          jobEvents.push({ number: n, method: e.method, data: e.data.map((d) => d.toString()) });
        if (e.section === "staking" && e.method === "Slashed") throw new Error(`unexpected slash at #${n}`);
      }
    }
    const feeOf = (who: string) => fees.get(who) ?? 0n;
    const allFees = [...fees.values()].reduce((a, b) => a + b, 0n);
    const methods = jobEvents.map((e) => e.method);
    expect(methods.filter((m) => m === "WorkerAssigned")).toHaveLength(2);
    expect(methods.filter((m) => m === "ResultCommitted")).toHaveLength(2);
    expect(methods.filter((m) => m === "ResultRevealed")).toHaveLength(2);
    // Every audit: the last segment, `audit_segments` others and every ticketed leaf's segment per result
    // (segment i ends at leaf i), each re-executed and Passed: every ticketed leaf is a leaf of the
    // revealed work root, opened under it.
    const audits = Number(await knob(J.audit_segments)) + 1;
    const opened = jobEvents.filter((e) => e.method === "CheckOpened");
    const revealedAt = jobEvents.filter((e) => e.method === "ResultRevealed").map((e) => e.number);
    const concluded = jobEvents.filter((e) => e.method === "CheckConcluded");
    const audited = new Set(opened.map((e) => `${e.data[2]}/${e.data[3]}`));
    for (const leaf of ticketedLeaves) expect({ leaf, audited: audited.has(leaf) }).toEqual({ leaf, audited: true });
    for (const w of workers) {
      const mine = opened.filter((e) => e.data[2] === address(w)).length;
      const ticketed = Number(ticketsOf.get(address(w)) ?? 0n);
      expect({ w, atLeast: mine >= audits, atMost: mine <= audits + ticketed }).toEqual({
        w,
        atLeast: true,
        atMost: true,
      });
    }
    expect(concluded.map((e) => e.data[2])).toEqual(opened.map(() => "Passed"));
    expect(jobEvents.filter((e) => e.method === "VerdictRevealed").length).toBeGreaterThanOrEqual(2 * audits);
    expect(jobEvents.filter((e) => e.method === "ResultAudited").map((e) => e.data[2])).toEqual(["Passed", "Passed"]);
    for (const w of workers) {
      const a = await storage(
        JobManager.storage.Assignments,
        JobManager.storage.Assignments.keyFor([jobId, pk(w)]),
        settled,
      );
      expect(a?.audit).toEqual({ tag: "Passed" });
    }
    expect(methods).toContain("TestSetRevealed");
    expect(methods.filter((m) => m === "StakeReleased")).toHaveLength(2);
    expect(methods.at(-1)).toBe("JobSucceeded");
    const feeEvent = jobEvents.find((e) => e.method === "NetworkFeePaid")!;
    const author = feeEvent.data[1]!;
    expect([address("Alice"), address("Bob")]).toContain(author);
    expect(BigInt(feeEvent.data[2]!)).toBe(networkFee);

    // Useful work in the headers: both trainers' tickets were accepted, each earned `pouw.ticket_reward`,
    // held until its audit passed, then paid; the block authors got the inclusion fees.
    expect(ticketBlocks).toBeGreaterThan(0);
    const ticketReward = BigInt(await knob(POUW.ticket_reward));
    const inclusionFee = BigInt(await knob(POUW.ticket_inclusion_fee));
    let allTickets = 0n;
    for (const w of workers) {
      const n = ticketsOf.get(address(w)) ?? 0n;
      expect({ w, ticketed: n > 0n }).toEqual({ w, ticketed: true });
      expect({ w, held: ticketRewardHeld.get(address(w)) }).toEqual({ w, held: n * ticketReward });
      expect({ w, paid: ticketRewardPaid.get(address(w)) }).toEqual({ w, paid: n * ticketReward });
      allTickets += n;
    }
    expect([...inclusionFees.values()].reduce((a, b) => a + b, 0n)).toBe(allTickets * inclusionFee);

    // Exact balance changes between the block before the posting and the settlement block.
    const delta = async (who: string) => {
      const [a, b] = [await accountAt(before, who), await accountAt(settled, who)];
      return { free: b.free - a.free, reserved: b.reserved - a.reserved };
    };
    const clientAddr = address(CLIENT.slice(2));
    expect(await delta(clientAddr)).toEqual({ free: -(REWARD_PLANCK + networkFee) - feeOf(clientAddr), reserved: 0n });
    for (const w of workers)
      expect({ who: w, ...(await delta(address(w))) }).toEqual({
        who: w,
        free: perWorker + (ticketRewardPaid.get(address(w)) ?? 0n) - feeOf(address(w)),
        reserved: 0n,
      });
    for (const e of evaluators)
      expect({ who: e, ...(await delta(address(e))) }).toEqual({
        who: e,
        free: perEvaluator - feeOf(address(e)),
        reserved: 0n,
      });
    expect(await delta(TREASURY)).toEqual({ free: treasuryShare + allFees, reserved: 0n });
    for (const v of ["Alice", "Bob"]) {
      const d = await delta(address(v));
      const expected =
        (address(v) === author ? networkFee : 0n) +
        (rewards.get(address(v)) ?? 0n) +
        (inclusionFees.get(address(v)) ?? 0n) -
        feeOf(address(v));
      expect({ who: v, total: d.free + d.reserved }).toEqual({ who: v, total: expected });
    }

    // Reputations rose.
    const reputation = async (name: string, at: string) =>
      (await storage(WorkerRegistry.storage.Reputation, WorkerRegistry.storage.Reputation.keyFor(pk(name)), at)) ??
      INITIAL_REPUTATION;
    for (const name of ROLES) {
      const [a, b] = [await reputation(name, before), await reputation(name, settled)];
      expect({ name, rose: b > a }).toEqual({ name, rose: true });
    }

    // Invariants after every block from genesis to settlement.
    for (let n = 1; n <= settleNumber; n++) {
      const at = await api.at(await canonical(n));
      const issuance = (await at.query.balances.totalIssuance()).toBigInt();
      let sum = 0n;
      let treasurySeen = false;
      for (const [key, info] of await at.query.system.account.entries()) {
        sum += info.data.free.toBigInt() + info.data.reserved.toBigInt();
        if (key.args[0]!.toString() === TREASURY) treasurySeen = true;
      }
      expect({ n, sum }).toEqual({ n, sum: issuance });
      if (n > postNumber) expect(treasurySeen).toBe(true);
      // Finished jobs hold nothing: no escrow, no job stake (decoded with the runtime's own codecs).
      const hash = await canonical(n);
      const nextId = (await storage(JobManager.storage.NextJobId, JobManager.storage.NextJobId.key, hash)) ?? 0n;
      for (let id = 0n; id < nextId; id++) {
        const j = (await job(hash, id))!;
        if (!FINAL.includes(j.status.tag)) continue;
        expect({ n, id, held: j.held }).toEqual({ n, id, held: 0n });
        for (const w of j.workers) {
          const key = JobManager.storage.Assignments.keyFor([id, w]);
          const a = await storage(JobManager.storage.Assignments, key, hash);
          expect({ n, id, stake: a?.stake }).toEqual({ n, id, stake: 0n });
        }
      }
    }

    // `job fetch` returns the best model; plain onnxruntime scores the attested accuracy on the test set.
    const out = join(dir, "fetched.onnx");
    cli(["job", "fetch", jobId.toString(), "--rpc", rpcUrl, "--out", out]);
    const session = await ort.InferenceSession.create(readFileSync(out));
    const test = decodeSafetensors(new Uint8Array(readFileSync(join(dir, "mnist", "test.safetensors"))));
    const x = test.tensors.get("x")!;
    const y = test.tensors.get("y")!;
    const n = x.dims[0]!;
    const per = x.dims.slice(1).reduce((a, b) => a * b, 1);
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const input = new ort.Tensor("float32", (x.data as Float32Array).slice(i * per, (i + 1) * per), [1, per]);
      const res = await session.run({ [session.inputNames[0]!]: input });
      const logits = res[session.outputNames[0]!]!.data as Float32Array;
      let arg = 0;
      for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[arg]!) arg = k;
      if (BigInt(arg) === BigInt((y.data as BigInt64Array)[i]!)) correct++;
    }
    const bestAccuracy = Math.max(...accuracies);
    expect((correct * 1_000_000) / n).toBe(bestAccuracy);

    process.stdout.write(
      `${JSON.stringify(
        {
          job: jobId.toString(),
          accuracies,
          blocks: {
            posted: postNumber,
            settled: settleNumber,
            // From the block of the last result reveal to the block of the last audit verdict.
            audits: Math.max(...concluded.map((e) => e.number)) - Math.max(...revealedAt),
          },
          slotMs: SLOT_MS,
          seconds: { registration: (registered - started) / 1000, job: (settledAtMs - registered) / 1000 },
          split: { perWorker, perEvaluator, treasuryShare, networkFee, author },
          fees: Object.fromEntries(fees),
        },
        (_k, v) => (typeof v === "bigint" ? v.toString() : v),
      )}\n`,
    );
  }, 330_000);
});
