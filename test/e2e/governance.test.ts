/**
 * Governance end to end on the 4-validator devnet (no sudo key, so no Sudo pallet), through the real
 * CLI (`tensorchain gov …`, `tensorchain params`, `tensorchain job post`) and `@polkadot/api`, with
 * 1-second slots and short governance periods set in the chain spec's `parameters`. Besides the four
 * validators, one `--worker` node (//Worker1) and two `--evaluator` nodes (//Evaluator1, //Evaluator2)
 * run, as `tensorchain devnet --validators 4 --workers 1 --evaluators 2` starts them:
 *   1. `build-spec --chain devnet` has no sudo key, and a sudo extrinsic is refused as an unknown call;
 *   2. //Ferdie proposes raising `jobManager.worker_share_ppm` to 850_000 (referendum 0) and setting
 *      `network_fee_ppm` to 30_000 (referendum 1), placing both decision deposits;
 *   3. //Eve (nay, 1x), //Charlie (aye, 2x) and //Dave (aye, 3x) vote on referendum 0: the tally is exact,
 *      and it passes (approval above 60%, support above 0.5%) only with the third vote; their balances
 *      are frozen by exactly what they voted;
 *   4. referendum 0 confirms for `confirm_period` blocks, is approved, and is enacted
 *      `min_enactment_period` blocks later: `worker_share_ppm` is 850_000. Then //JobClient posts a small
 *      MNIST job (`job post --wait`), which the worker node trains and the evaluator nodes audit and
 *      score while steps 5 and 6 run; it settles `Succeeded` and pays the worker exactly
 *      reward × 850_000 / 10^6 (not the genesis 800_000), checked in its payout events and in every
 *      party's balance change net of the transaction fees it paid;
 *   5. the loser's lock goes at once; the winners' stay for their conviction's periods, then unlock;
 *   6. referendum 1 (only nays) is rejected: `network_fee_ppm` is unchanged and the decision deposit
 *      comes back to //Ferdie, to the planck.
 * After the run, every block of the canonical chain is checked: total issuance = Σ(free + reserved)
 * (the treasury is an ordinary account there, counted once), and every lock ≤ its account's free +
 * reserved balance. GOV_E2E_LOG=1 prints the CLI calls; GOV_E2E_NODE_LOG=<file> keeps the nodes' logs.
 */
import "@polkadot/api-augment";
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { RunningDevnet } from "../../cli/commands/devnet.js";
import { readAssignment, readJob, readParameter, readStorage } from "../../cli/commands/job/chain.js";
import { type ChainSpec, DEVNET_VALIDATORS, devAddress } from "../../genesis/chainSpec.js";
import { signExtrinsic } from "../../node/extrinsicBuilder.js";
import { keypairFromSuri, ss58Encode } from "../../primitives/crypto/index.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { type HexString, toHex } from "../../primitives/hex.js";
import { TREASURY_ACCOUNT, UNITS } from "../../runtime/constants.js";
import { JOB_MANAGER } from "../../runtime/pallets/parameters/index.js";
import { WorkerRegistry } from "../../runtime/pallets/workerRegistry.js";
import { CLI, NODE_BIN, rpcCall, waitFor } from "../helpers/node.js";
import { startRoleDevnet } from "../helpers/roleDevnet.js";

const run = promisify(execFile);
const SLOT_MS = 1000;
const GOVERNANCE = {
  "referenda.prepare_period": 2,
  "referenda.decision_period": 100,
  "referenda.confirm_period": 4,
  "referenda.min_enactment_period": 4,
  "referenda.undeciding_timeout": 300,
  "referenda.min_approval_floor": 600_000_000,
  "referenda.min_approval_ceil": 600_000_000,
  // 0.5% of the ~11.5M TRAIN issued to the dev, role and client accounts: the winning ayes' 90k pass it.
  "referenda.min_support_floor": 5_000_000,
  "referenda.min_support_ceil": 5_000_000,
  "convictionVoting.vote_locking_period": 12,
};
const TRAIN = (n: number) => BigInt(n) * UNITS;
/** The job posted once referendum 0 is enacted: its client, trainer and evaluators. */
const CLIENT = "JobClient";
const WORKER = "Worker1";
const EVALUATORS = ["Evaluator1", "Evaluator2"];
const REWARD = "123.456789012345"; // TRAIN; odd planck so the split leaves rounding dust for the treasury
const REWARD_PLANCK = 123_456_789_012_345n;

let dir: string;
let devnet: RunningDevnet | undefined;
const logs: string[] = [];
let rpcUrl: string;
let httpUrl: string;
let api: ApiPromise;
let devnetSpec: ChainSpec;
/** The job's dataset and model, written by the CLI while the nodes start and the referenda run. */
let jobFiles: Promise<unknown>;

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-gov-"));
  devnetSpec = JSON.parse(execFileSync(NODE_BIN, [CLI, "build-spec", "--chain", "devnet"], { encoding: "utf8" }));
  jobFiles = Promise.all([
    run(NODE_BIN, [CLI, "dataset", "mnist", "--out-dir", join(dir, "mnist"), "--train", "1000", "--test", "200"]),
    run(NODE_BIN, [CLI, "model", "init", "--arch", "mlp", "--out", join(dir, "mlp.onnx")]),
  ]);
  jobFiles.catch(() => {}); // awaited when the job is posted; a failure is reported there
  ({ devnet, rpcUrl, httpUrl } = await startRoleDevnet({
    dir,
    specId: "devnet_gov",
    baseSpec: devnetSpec,
    validators: DEVNET_VALIDATORS.length,
    slotMs: SLOT_MS,
    workers: 1,
    evaluators: EVALUATORS.length,
    parameters: GOVERNANCE,
    endow: [CLIENT],
    write: (line) => logs.push(line),
  }));
  api = await ApiPromise.create({ provider: new WsProvider(rpcUrl), noInitWarn: true, throwOnConnect: true });
}, 120_000);

afterAll(async () => {
  if (client?.exitCode === null) client.kill("SIGKILL");
  await api?.disconnect();
  await devnet?.stop();
  if (process.env.GOV_E2E_NODE_LOG) writeFileSync(process.env.GOV_E2E_NODE_LOG, logs.join("\n"));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `tensorchain <args> --rpc <node 0> --json` and parses its output. */
async function cli<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  if (process.env.GOV_E2E_LOG) process.stderr.write(`[#${await best()}] tensorchain ${args.join(" ")}\n`);
  const { stdout } = await run(NODE_BIN, [CLI, ...args, "--rpc", rpcUrl, "--json"], {
    cwd: dir,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

const best = async () => (await api.rpc.chain.getHeader()).number.toNumber();
const hashAt = async (n: number) => (await api.rpc.chain.getBlockHash(n)).toHex();
const numberOf = async (hash: string) => (await api.rpc.chain.getHeader(hash)).number.toNumber();
const account = async (who: string, at?: string) => {
  const q = at ? await api.at(at) : api;
  const a = await q.query.system.account(keypairFromSuri(who).publicKey);
  return { free: a.data.free.toBigInt(), reserved: a.data.reserved.toBigInt(), frozen: a.data.frozen.toBigInt() };
};
const info = async (index: number) => api.query.referenda.referendumInfoFor(index);
const knob = async (group: string, variant: string) => {
  const v = await api.query.parameters.parameters({ [group]: variant } as never);
  return (v.toJSON() as Record<string, Record<string, number>> | null)?.[
    group.charAt(0).toLowerCase() + group.slice(1)
  ];
};

/** The block numbers at which referenda events named `names` happened on the canonical chain in `from..=to`. */
async function referendaEvents(from: number, to: number): Promise<{ block: number; name: string; data: unknown[] }[]> {
  const out = [];
  for (let n = from; n <= to; n++) {
    const events = await (await api.at(await hashAt(n))).query.system.events();
    for (const { event } of events)
      if (["referenda", "parameters"].includes(event.section))
        out.push({ block: n, name: `${event.section}.${event.method}`, data: event.data.toJSON() as unknown[] });
  }
  return out;
}

/** Whether the worker and evaluator nodes have registered themselves (Active). */
async function rolesRegistered(): Promise<true | undefined> {
  const S = WorkerRegistry.storage.Workers;
  for (const name of [WORKER, ...EVALUATORS]) {
    const bytes = await readStorage(api, S.keyFor(keypairFromSuri(`//${name}`).publicKey));
    if (!bytes || S.valueTy.dec(bytes).status.tag !== "Active") return undefined;
  }
  return true;
}

interface ClientLine {
  phase: string;
  job?: string;
  block?: HexString;
}

/** The `job post --wait` process while it runs, and everything it printed. */
let client: ChildProcess | undefined;
let clientOutput = "";

/**
 * `tensorchain job post … --wait --json` as //JobClient, in the background: a one-trainer MNIST job, one
 * epoch of 1000 samples (15 steps). Resolves with its exit code and JSON lines when it exits.
 */
function postJob(): Promise<{ code: number | null; lines: ClientLine[] }> {
  const args = [
    ...["job", "post", "--rpc", rpcUrl, "--suri", `//${CLIENT}`, "--model", join(dir, "mlp.onnx")],
    ...["--train", join(dir, "mnist", "train.safetensors"), "--test", join(dir, "mnist", "test.safetensors")],
    ...["--reward", REWARD, "--workers", "1", "--evaluators", `${EVALUATORS.length}`, "--min-accuracy", "0.5"],
    ...["--epochs", "1", "--batch", "64", "--lr", "0.003", "--optimizer", "adam", "--seed", "7"],
    // Phase lengths in 1-second blocks: generous, every phase ends early once everyone has acted.
    ...["--assign-blocks", "60", "--submit-blocks", "200", "--reveal-test-set-blocks", "60"],
    ...["--commit-blocks", "60", "--reveal-blocks", "60", "--salt-file", join(dir, "salt.json"), "--wait", "--json"],
  ];
  const proc = spawn(NODE_BIN, [CLI, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  client = proc;
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    clientOutput += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    clientOutput += d.toString();
  });
  return new Promise((resolve) =>
    proc.once("exit", (code) =>
      resolve({
        code,
        lines: out
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as ClientLine),
      }),
    ),
  );
}

/** The role nodes' job lines, warnings and errors, and the client's output, for failure messages. */
function jobDiagnostics(): string {
  const wanted = /jobs|trainer|evaluator|auditor|ERROR|WARN|Refused|Training|Submitted|Evaluated/;
  const lines = logs.filter((l) => wanted.test(l) && !l.includes("informant")).slice(-200);
  return `${lines.join("\n")}\n--- client ---\n${clientOutput.slice(-4000)}`;
}

interface BlockEvent {
  block: number;
  section: string;
  method: string;
  /** Each field as a string: SS58 for accounts, decimal for numbers. */
  data: string[];
}

const balanceOf = async (address: string, at: string) => {
  const a = await (await api.at(at)).query.system.account(address);
  return { free: a.data.free.toBigInt(), reserved: a.data.reserved.toBigInt() };
};

/**
 * Waits for `job post --wait` to exit and for the job's settlement to be finalized (so the blocks read
 * are the ones that stay). Returns the job, its posting and settlement blocks, and every event between.
 */
async function settledJob(done: ReturnType<typeof postJob>) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the job did not end in time\n${jobDiagnostics()}`)), 180_000);
  });
  const { code, lines } = await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`job post exited ${code}\n${jobDiagnostics()}`);
  const posted = lines.find((l) => l.phase === "posted")!;
  const id = BigInt(posted.job!);
  const finalized = await waitFor(
    async () => {
      const head = (await api.rpc.chain.getFinalizedHead()).toHex();
      return (await readJob(api, id, head))?.status.tag === "Succeeded" ? head : undefined;
    },
    60_000,
    "finality of the job's settlement",
  );
  const postNumber = await numberOf(posted.block!);
  expect(await hashAt(postNumber)).toBe(posted.block);
  const all = await eventsIn(postNumber, await numberOf(finalized));
  const settleNumber = all.find((e) => e.method === "JobSucceeded" && e.data[0] === `${id}`)!.block;
  return { id, postNumber, settleNumber, events: all.filter((e) => e.block <= settleNumber) };
}

/** Every event of the canonical chain in `from..=to`. */
async function eventsIn(from: number, to: number): Promise<BlockEvent[]> {
  const out: BlockEvent[] = [];
  for (let n = from; n <= to; n++)
    for (const { event } of await (await api.at(await hashAt(n))).query.system.events())
      out.push({ block: n, section: event.section, method: event.method, data: event.data.map((d) => d.toString()) });
  return out;
}

describe("governance on the devnet", () => {
  it("has no sudo: build-spec has no key, and a sudo extrinsic is an unknown call", async () => {
    expect(devnetSpec.genesis).toHaveProperty("runtimeGenesis.config.balances");
    expect(devnetSpec.genesis).not.toHaveProperty("runtimeGenesis.config.sudo");
    expect(api.tx.sudo).toBeUndefined();
    expect(api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString())).not.toContain("Sudo");
    const ferdie = keypairFromSuri("//Ferdie");
    const inner = api.tx.parameters.setParameter({ JobManager: { WorkerSharePpm: [null, 1] } } as never).method.toU8a();
    const sudoCall = new Uint8Array([5, 0, ...inner]);
    const nonce = (await api.rpc.system.accountNextIndex(toHex(ferdie.publicKey))).toNumber();
    const tx = signExtrinsic(sudoCall, ferdie, { nonce, genesisHash: api.genesisHash.toU8a() });
    const r = await rpcCall(httpUrl, "author_submitExtrinsic", [toHex(tx)]);
    // An unknown pallet: the runtime cannot decode the call (Substrate's 1002 verification error).
    expect(r.error?.code).toBe(1002);
    expect(JSON.stringify(r.error)).toMatch(/Could not decode `RuntimeCall`, variant doesn't exist/);
  });

  it("a referendum raises worker_share_ppm and the next job pays it; another fails; locks hold; every block balances", async () => {
    const start = await best();
    // 2. Two proposals by //Ferdie.
    const p0 = await cli<{ index: number; block: HexString }>(
      "gov",
      "propose",
      "--set-parameter",
      "worker_share_ppm=850000",
      "--suri",
      "//Ferdie",
    );
    const p1 = await cli<{ index: number }>(
      "gov",
      "propose",
      "--set-parameter",
      "network_fee_ppm=30000",
      "--suri",
      "//Ferdie",
    );
    expect([p0.index, p1.index]).toEqual([0, 1]);
    expect((await account("//Ferdie")).reserved).toBe(2n * (TRAIN(10) + TRAIN(100)));
    await cli("gov", "vote", "1", "nay", "--conviction", "0", "--amount", "1000", "--suri", "//Alice");
    // 3. Three convictions on referendum 0; it passes only once all three have voted.
    await cli("gov", "vote", "0", "nay", "--conviction", "1", "--amount", "100000", "--suri", "//Eve");
    await cli("gov", "vote", "0", "aye", "--conviction", "2", "--amount", "60000", "--suri", "//Charlie");
    // Two votes in: approval 120k / 220k = 54.5%, short of the 60% needed.
    const shown = await cli<{
      status: string;
      tally: Record<string, string>;
      approval: number;
      approvalNeeded: number;
    }>("gov", "show", "0");
    expect(shown).toMatchObject({
      status: "Deciding",
      tally: { ayes: `${TRAIN(120_000)}`, nays: `${TRAIN(100_000)}`, support: `${TRAIN(60_000)}` },
      approval: 545_454_545,
      approvalNeeded: 600_000_000,
    });
    const last = await cli<{ block: HexString; tally: Record<string, string> }>(
      "gov",
      "vote",
      "0",
      "aye",
      "--conviction",
      "3",
      "--amount",
      "30000",
      "--suri",
      "//Dave",
    );
    const exact = { ayes: TRAIN(60_000 * 2 + 30_000 * 3), nays: TRAIN(100_000), support: TRAIN(90_000) };
    expect(last.tally).toEqual({ ayes: `${exact.ayes}`, nays: `${exact.nays}`, support: `${exact.support}` });
    const ongoing = (await (await api.at(last.block)).query.referenda.referendumInfoFor(0)).unwrap();
    expect(ongoing.isOngoing).toBe(true);
    const tally = ongoing.asOngoing.tally;
    expect([tally.ayes.toBigInt(), tally.nays.toBigInt(), tally.support.toBigInt()]).toEqual([
      exact.ayes,
      exact.nays,
      exact.support,
    ]);
    expect((await cli<{ referenda: unknown[] }>("gov", "list")).referenda).toHaveLength(2);
    // Each voter's balance is frozen by exactly its vote.
    for (const [who, amount] of [
      ["//Eve", 100_000],
      ["//Charlie", 60_000],
      ["//Dave", 30_000],
      ["//Alice", 1000],
    ] as const)
      expect([who, (await account(who)).frozen]).toEqual([who, TRAIN(amount)]);
    const locks = await api.query.balances.locks(keypairFromSuri("//Charlie").publicKey);
    expect(locks.map((l) => [toHex(l.id.toU8a()), l.amount.toBigInt()])).toEqual([
      [toHex(new TextEncoder().encode("pyconvot")), TRAIN(60_000)],
    ]);

    // 4. Confirmed, approved, enacted after the delay.
    await waitFor(
      async () => (await knob("JobManager", "WorkerSharePpm")) !== undefined || undefined,
      150_000,
      "enactment",
    );
    const events = await referendaEvents(start + 1, await best());
    // Every referenda event but DepositSlashed has the referendum index first.
    const at = (name: string, index: number) => events.find((e) => e.name === name && e.data[0] === index)?.block;
    const confirmStarted = at("referenda.ConfirmStarted", 0)!;
    const approved = at("referenda.Approved", 0)!;
    const enacted = at("referenda.Enacted", 0)!;
    expect(at("referenda.Confirmed", 0)).toBe(approved);
    expect(approved - confirmStarted).toBe(GOVERNANCE["referenda.confirm_period"]);
    expect(enacted - approved).toBe(GOVERNANCE["referenda.min_enactment_period"]);
    expect(events.filter((e) => e.block === enacted).map((e) => e.name)).toEqual([
      "parameters.Updated",
      "referenda.Enacted",
    ]);
    expect(events.find((e) => e.name === "referenda.Enacted")!.data).toEqual([0, { ok: null }]);
    expect(await knob("JobManager", "WorkerSharePpm")).toEqual({ workerSharePpm: 850_000 });
    const params = await cli<{ parameters: { name: string; value: string }[] }>("params");
    const value = (name: string) => params.parameters.find((p) => p.name === name)?.value;
    expect(value("jobManager.worker_share_ppm")).toBe(850_000);
    expect((await info(0)).unwrap().isApproved).toBe(true);
    // A job posted now settles under the new share; it trains and is audited while 5 and 6 run.
    await waitFor(rolesRegistered, 60_000, "the worker and evaluator nodes' registrations");
    await jobFiles;
    const jobDone = postJob();

    // 5. The loser unlocks at once; the winners' locks last 2 and 4 vote-locking periods after approval.
    expect((await cli<{ frozen: string }>("gov", "unlock", "--suri", "//Eve")).frozen).toBe("0");
    expect((await cli<{ frozen: string }>("gov", "unlock", "--suri", "//Dave")).frozen).toBe(`${TRAIN(30_000)}`);
    const daveFree = approved + 4 * GOVERNANCE["convictionVoting.vote_locking_period"];
    expect(await best()).toBeLessThan(daveFree);
    await waitFor(async () => (await best()) >= daveFree || undefined, 120_000, "the end of Dave's lock period");
    expect((await cli<{ frozen: string }>("gov", "unlock", "--suri", "//Dave")).frozen).toBe("0");
    expect((await cli<{ frozen: string }>("gov", "unlock", "--suri", "//Charlie")).frozen).toBe("0");
    await cli("gov", "refund", "0", "--submission", "--suri", "//Bob");

    // 6. Referendum 1 is rejected at the end of its decision period: nothing changes, the deposit returns.
    await waitFor(async () => (await info(1)).unwrap().isRejected || undefined, 150_000, "rejection of referendum 1");
    expect(await knob("JobManager", "NetworkFeePpm")).toBeUndefined();
    expect(value("jobManager.network_fee_ppm")).toBe(20_000);
    const before = await account("//Ferdie");
    expect(before.reserved).toBe(TRAIN(10) + TRAIN(100));
    const refunded = await cli<{ block: HexString; refunded: { amount: string }[] }>(
      "gov",
      "refund",
      "1",
      "--suri",
      "//Bob",
    );
    expect(refunded.refunded).toEqual([{ kind: "DecisionDepositRefunded", amount: `${TRAIN(100)}` }]);
    const after = await account("//Ferdie", refunded.block);
    expect([after.free - before.free, after.reserved]).toEqual([TRAIN(100), TRAIN(10)]);

    // 4, continued: the job succeeded and paid the raised worker share, to the planck.
    const job = await settledJob(jobDone);
    const [beforeJob, settled] = [await hashAt(job.postNumber - 1), await hashAt(job.settleNumber)];
    const final = (await readJob(api, job.id, settled))!;
    expect([final.status.tag, final.reward, final.held]).toEqual(["Succeeded", REWARD_PLANCK, 0n]);
    expect(final.workers.map((w) => ss58Encode(w))).toEqual([devAddress(WORKER)]);
    const assignment = await readAssignment(api, job.id, keypairFromSuri(`//${WORKER}`).publicKey, settled);
    expect([assignment?.audit.tag, assignment?.stake]).toEqual(["Passed", 0n]);
    const param = async (k: typeof JOB_MANAGER.worker_share_ppm, at: string) => Number(await readParameter(api, k, at));
    const share = await param(JOB_MANAGER.worker_share_ppm, settled);
    const genesisShare = await param(JOB_MANAGER.worker_share_ppm, await hashAt(0));
    expect([genesisShare, share]).toEqual([800_000, 850_000]);
    const ppm = (p: number, x: bigint) => (x * BigInt(p)) / 1_000_000n;
    // The only trainer takes the whole worker pool: 850_000 ppm of the reward, which 800_000 would not pay.
    const perWorker = ppm(share, REWARD_PLANCK);
    expect(perWorker).not.toBe(ppm(genesisShare, REWARD_PLANCK));
    const evaluators = BigInt(EVALUATORS.length);
    const perEvaluator = ppm(await param(JOB_MANAGER.evaluator_share_ppm, settled), REWARD_PLANCK) / evaluators;
    const networkFee = ppm(await param(JOB_MANAGER.network_fee_ppm, settled), REWARD_PLANCK);
    const treasuryShare = REWARD_PLANCK - perWorker - evaluators * perEvaluator;
    expect(final.network_fee).toBe(networkFee);
    const payouts = job.events
      .filter((e) => e.section === "jobManager" && e.data[0] === `${job.id}` && /Rewarded|TreasuryPaid/.test(e.method))
      .map((e) => [e.method, ...e.data.slice(1)].join(" "));
    expect(payouts.sort()).toEqual(
      [
        `WorkerRewarded ${devAddress(WORKER)} ${perWorker}`,
        ...EVALUATORS.map((e) => `EvaluatorRewarded ${devAddress(e)} ${perEvaluator}`),
        `TreasuryPaid ${treasuryShare}`,
      ].sort(),
    );
    // Every party's balance change from before the posting to the settlement, net of the fees it paid.
    const fees = new Map<string, bigint>();
    for (const e of job.events)
      if (e.section === "transactionPayment" && e.method === "TransactionFeePaid")
        fees.set(e.data[0], (fees.get(e.data[0]) ?? 0n) + BigInt(e.data[1]));
    const allFees = [...fees.values()].reduce((a, b) => a + b, 0n);
    const change = async (who: string) => {
      const [a, b] = [await balanceOf(who, beforeJob), await balanceOf(who, settled)];
      return { who, free: b.free - a.free, reserved: b.reserved - a.reserved };
    };
    const expected = (who: string, gain: bigint) => ({ who, free: gain - (fees.get(who) ?? 0n), reserved: 0n });
    const worker = devAddress(WORKER);
    // Its PoUW tickets (issue 12) earned it ticket rewards, paid once its audit passed.
    const ticketRewards = job.events
      .filter((e) => e.section === "poUW" && e.method === "TicketRewardPaid" && e.data[1] === worker)
      .reduce((sum, e) => sum + BigInt(e.data[2]!), 0n);
    expect(await change(worker)).toEqual(expected(worker, perWorker + ticketRewards));
    for (const e of EVALUATORS.map(devAddress)) expect(await change(e)).toEqual(expected(e, perEvaluator));
    const jobClient = devAddress(CLIENT);
    expect(await change(jobClient)).toEqual(expected(jobClient, -(REWARD_PLANCK + networkFee)));
    const treasury = ss58Encode(TREASURY_ACCOUNT);
    expect(await change(treasury)).toEqual({ who: treasury, free: treasuryShare + allFees, reserved: 0n });

    // Invariants at every block of the canonical chain.
    const end = await best();
    for (let n = 1; n <= end; n++) {
      const q = await api.at(await hashAt(n));
      const [accounts, issuance, locks] = await Promise.all([
        q.query.system.account.entries(),
        q.query.balances.totalIssuance(),
        q.query.balances.locks.entries(),
      ]);
      const balance = new Map<string, bigint>();
      let sum = 0n;
      for (const [key, a] of accounts) {
        const total = a.data.free.toBigInt() + a.data.reserved.toBigInt();
        balance.set(key.args[0].toHex(), total);
        sum += total;
      }
      expect([n, sum]).toEqual([n, issuance.toBigInt()]);
      for (const [key, list] of locks)
        for (const l of list) expect(l.amount.toBigInt() <= (balance.get(key.args[0].toHex()) ?? 0n)).toBe(true);
    }
  }, 420_000);
});
