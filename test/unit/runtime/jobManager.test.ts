import { beforeAll, describe, expect, it } from "@jest/globals";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { expandMetadata } from "@polkadot/types/metadata/decorate";
import { cryptoReady } from "../../../primitives/hashing.js";
import { bytesEqual } from "../../../primitives/hex.js";
import { RuntimeCall } from "../../../runtime/construct.js";
import { metadataV14, metadataV15 } from "../../../runtime/metadata.js";
import { reservedBalance } from "../../../runtime/pallets/balances.js";
import {
  drawWeighted,
  isValidCid,
  JobManager,
  type JobValue,
  MAX_ACTIVE_JOBS,
  MAX_EVALUATORS_PER_JOB,
  MAX_WORKERS_PER_JOB,
  testSetCommitment,
} from "../../../runtime/pallets/jobManager/index.js";
import {
  JOB_MANAGER,
  Parameters,
  param,
  setParameterCall,
  WORKER_REGISTRY,
} from "../../../runtime/pallets/parameters/index.js";
import {
  INITIAL_REPUTATION,
  REPUTATION_PENALTY,
  REPUTATION_REWARD,
  WorkerRegistry,
} from "../../../runtime/pallets/workerRegistry.js";
import {
  assertNoJobReserves,
  assign,
  authorDigest,
  BOTH,
  CPU_BOX,
  cancel,
  cid,
  claim,
  commit,
  commitResult,
  EVALUATOR,
  type Fixture,
  hash,
  JobHarness,
  jobRuntime,
  nameOf,
  pk,
  postJob,
  ROOT,
  register,
  registry,
  reveal,
  revealResult,
  revealTestSet,
  runChecks,
  salt,
  signedBy,
  spec,
  submitResults,
  TEST_SET_CID,
  TRAINER,
  VALIDATORS,
  workRootOf,
} from "../../helpers/jobs.js";
import { UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const S = JobManager.storage;
const REWARD = 1_000n * UNIT;
/** 2% of the reward. */
const FEE = 20n * UNIT;
/** 80% / 15% / 5% of the reward. */
const WORKER_POOL = 800n * UNIT;
const EVALUATOR_POOL = 150n * UNIT;
const TREASURY_SHARE = 50n * UNIT;
/** 50% of the 50 TRAIN job stake. */
const WORKER_SLASH = 25n * UNIT;
/** 10% of E2's 300 TRAIN registration stake. */
const E2_SLASH = 30n * UNIT;

/** Trainers W1 and W2 (100 TRAIN each), evaluators E1 (100 TRAIN) and E2 (300 TRAIN). */
function market(f: Fixture = {}): JobHarness {
  const h = new JobHarness(jobRuntime(f));
  h.send("W1", register(TRAINER, 100n * UNIT));
  h.send("W2", register(TRAINER, 100n * UNIT));
  h.send("E1", register(EVALUATOR, 100n * UNIT, CPU_BOX));
  h.send("E2", register(EVALUATOR, 300n * UNIT, CPU_BOX));
  return h;
}

const job = (h: JobHarness, id = 0n): JobValue => h.rt.read((e) => S.Jobs.get(e, id))!;
const status = (h: JobHarness, id = 0n) => job(h, id).status;
const jmEvents = (h: JobHarness) => h.rt.eventsOf("JobManager").map((e) => e.tag);
const reputation = (h: JobHarness, n: string) =>
  h.rt.read((e) => WorkerRegistry.storage.Reputation.getOrDefault(e, pk(n)));
const worker = (h: JobHarness, n: string) => h.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk(n)))!;

/** Posts job 0 (two trainers, two evaluators) and fills it; returns the drawn evaluators' names. */
function postAndFill(h: JobHarness, s = spec()): string[] {
  h.send("Client", postJob(s, REWARD));
  for (const w of ["W1", "W2"].slice(0, s.workers)) h.send(w, assign(0n));
  expect(status(h)).toEqual({ tag: "Training" });
  return job(h).evaluators.map((e) => ["E1", "E2", "E3"].find((n) => bytesEqual(pk(n), e))!);
}

/** Every balance change since genesis, net of fees: `{ name: gain }` plus the treasury's. */
function gains(h: JobHarness, names: string[]) {
  return Object.fromEntries([...names.map((n) => [n, h.gain(n)]), ["Treasury", h.treasuryGain()]]);
}
const ALL = ["Client", "W1", "W2", "E1", "E2", ...VALIDATORS];

describe("post_job", () => {
  it("reserves reward plus network fee, stores the job Open, and queues its assignment deadline", () => {
    const h = market();
    h.send("Client", postJob(spec(), REWARD));
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "JobPosted", value: { job_id: 0n, client: pk("Client"), reward: REWARD, network_fee: FEE } },
    });
    expect(h.rt.read((e) => reservedBalance(e, pk("Client")))).toBe(REWARD + FEE);
    expect(job(h)).toMatchObject({
      client: pk("Client"),
      reward: REWARD,
      network_fee: FEE,
      held: REWARD + FEE,
      status: { tag: "Open" },
      posted_at: h.head,
      deadline: h.head + 10,
      workers: [],
      evaluators: [],
    });
    expect(h.rt.read((e) => S.DeadlineQueue.getOrDefault(e, h.head + 10))).toEqual([0n]);
    expect(h.rt.read((e) => S.NextJobId.getOrDefault(e))).toBe(1n);
    expect(h.rt.read((e) => S.ActiveJobs.getOrDefault(e))).toBe(1);
  });

  it("rejects zero reward, malformed or out-of-range specs, too many evaluators and missing funds", () => {
    const h = market();
    const bad = (s: Partial<ReturnType<typeof spec>>, error: string, reward = REWARD) =>
      h.rt.assertNoop(signedBy("Client"), postJob(spec(s), reward), `JobManager.${error}`);
    bad({}, "ZeroReward", 0n);
    bad({ model_cid: new Uint8Array() }, "InvalidCid");
    bad({ model_cid: new Uint8Array([0x00, 0x55, 0x12, 0x20, ...hash(1)]) }, "InvalidCid");
    bad({ training_set_cid: cid(2).subarray(0, 30) }, "InvalidCid");
    bad({ training_set_cid: new Uint8Array([...cid(2), 0]) }, "InvalidCid");
    bad({ learning_rate_e9: 0n }, "InvalidHyperParameters");
    bad({ batch_size: 0 }, "InvalidHyperParameters");
    bad({ batch_size: (1 << 20) + 1 }, "InvalidHyperParameters");
    bad({ length: { tag: "Steps", value: 0 } }, "InvalidHyperParameters");
    bad({ workers: 0 }, "InvalidWorkerCount");
    bad({ workers: MAX_WORKERS_PER_JOB + 1 }, "InvalidWorkerCount");
    bad({ evaluators: 0 }, "InvalidEvaluatorCount");
    bad({ evaluators: MAX_EVALUATORS_PER_JOB + 1 }, "InvalidEvaluatorCount");
    bad({ min_accuracy_ppm: 1_000_001 }, "InvalidMinimumAccuracy");
    bad({ deadlines: { assign: 0, submit: 5, reveal_test_set: 5, commit: 5, reveal: 5 } }, "InvalidDeadline");
    bad(
      {
        deadlines: {
          assign: 5,
          submit: 5,
          reveal_test_set: 5,
          commit: 5,
          reveal: JOB_MANAGER.max_phase_blocks.defaultValue + 1,
        },
      },
      "InvalidDeadline",
    );
    bad(
      { requirements: { min_gpus: 0, min_gpu_memory_mib: 1, min_cpu_cores: 1, min_memory_mib: 1 } },
      "InvalidRequirements",
    );
    bad({ profile: { tag: "GpuTolerance" } }, "InvalidRequirements");
    bad({ worker_stake: UNIT - 1n }, "WorkerStakeTooLow");
    bad({ evaluators: 3 }, "NotEnoughEvaluators");
    h.rt.assertNoop(signedBy("Poor"), postJob(spec(), REWARD), "Balances.InsufficientBalance");
    // As extrinsics: the named error is recorded, and nothing is left in escrow.
    h.sendFailing("Client", postJob(spec(), 0n), "JobManager", "ZeroReward");
    h.sendFailing("Client", postJob(spec({ model_cid: cid(1).subarray(1) }), REWARD), "JobManager", "InvalidCid");
    h.sendFailing("Client", postJob(spec({ evaluators: 3 }), REWARD), "JobManager", "NotEnoughEvaluators");
    expect(h.rt.read((e) => reservedBalance(e, pk("Client")))).toBe(0n);
    // The live-job bound.
    const ext = h.rt.ext();
    S.ActiveJobs.put(ext, MAX_ACTIVE_JOBS);
    h.rt.state = h.rt.state.update(ext.overlay.drain());
    bad({}, "TooManyActiveJobs");
  });

  it("checks binary CIDv1 structure", () => {
    expect(isValidCid(cid(1))).toBe(true);
    expect(isValidCid(new Uint8Array([0x01, 0x70, 0x12, 0x02, 0xaa, 0xbb]))).toBe(true);
    expect(isValidCid(new Uint8Array([0x12, 0x20, ...hash(1)]))).toBe(false); // CIDv0 (bare multihash)
    expect(isValidCid(new Uint8Array([0x01, 0x55, 0x12, 0x00]))).toBe(false);
    expect(isValidCid(new Uint8Array([0x01, 0xff]))).toBe(false);
    expect(isValidCid(new Uint8Array(129).fill(1))).toBe(false);
  });
});

describe("cancel_job", () => {
  it("refunds the whole escrow and returns any assigned stake, before training only", () => {
    const h = market();
    h.noop("Client", cancel(0n), "JobManager", "JobNotFound");
    h.send("Client", postJob(spec(), REWARD));
    h.send("W1", assign(0n));
    h.noop("W1", cancel(0n), "JobManager", "NotClient");
    h.send("Client", cancel(0n));
    expect(jmEvents(h)).toEqual(["StakeReleased", "ClientRefunded", "JobCancelled"]);
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "JobCancelled", value: { job_id: 0n, refund: REWARD + FEE } },
    });
    expect(status(h)).toEqual({ tag: "Cancelled" });
    assertNoJobReserves(h.rt, 0n);
    expect(gains(h, ["Client", "W1"])).toEqual({ Client: 0n, W1: 0n, Treasury: 0n });
    expect(worker(h, "W1").active_jobs).toBe(0);
    h.noop("Client", cancel(0n), "JobManager", "NotOpen");
    // Nothing fires at the old deadline.
    h.runTo(job(h).posted_at + 11);
    expect(status(h)).toEqual({ tag: "Cancelled" });
  });
});

describe("assign_worker", () => {
  it("reserves the job stake; the filling assignment draws evaluators and starts training", () => {
    const h = market();
    h.send("Client", postJob(spec(), REWARD));
    h.send("W1", assign(0n));
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "WorkerAssigned", value: { job_id: 0n, worker: pk("W1"), stake: 50n * UNIT } },
    });
    expect(h.rt.read((e) => reservedBalance(e, pk("W1")))).toBe(150n * UNIT);
    expect(status(h)).toEqual({ tag: "Open" });
    h.send("W2", assign(0n));
    const j = job(h);
    expect(j.status).toEqual({ tag: "Training" });
    expect(j.deadline).toBe(h.head + 20);
    expect(j.evaluators.map((e) => Buffer.from(e).toString("hex")).sort()).toEqual(
      [pk("E1"), pk("E2")].map((e) => Buffer.from(e).toString("hex")).sort(),
    );
    expect(jmEvents(h)).toEqual(["WorkerAssigned", "TrainingStarted"]);
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "TrainingStarted", value: { job_id: 0n, evaluators: j.evaluators, submit_by: h.head + 20 } },
    });
    for (const n of ["W1", "W2", "E1", "E2"]) expect(worker(h, n).active_jobs).toBe(1);
    // The Open deadline was dequeued; the Training one queued.
    expect(h.rt.read((e) => S.DeadlineQueue.contains(e, j.posted_at + 10))).toBe(false);
    expect(h.rt.read((e) => S.DeadlineQueue.getOrDefault(e, h.head + 20))).toEqual([0n]);
    h.noop("E1", registry("deregister"), "WorkerRegistry", "WorkerBusy");
  });

  it("rejects what the runtime can tell is wrong", () => {
    const h = market();
    h.send("E3", register(EVALUATOR, 100n * UNIT));
    h.noop("W1", assign(9n), "JobManager", "JobNotFound");
    h.send("Client", postJob(spec({ worker_stake: 20_000n * UNIT }), REWARD));
    h.noop("W1", assign(0n), "Balances", "InsufficientBalance");
    h.send("Client", postJob(spec({ requirements: { ...spec().requirements, min_cpu_cores: 16 } }), REWARD));
    h.noop("W1", assign(1n), "JobManager", "RequirementsNotMet");
    h.send("Client", postJob(spec({ requirements: { ...spec().requirements, min_gpus: 2 } }), REWARD));
    h.noop("W1", assign(2n), "JobManager", "RequirementsNotMet");
    h.send("Client", postJob(spec(), REWARD));
    h.noop("Client", assign(3n), "JobManager", "OwnJob");
    h.noop("Ferdie", assign(3n), "WorkerRegistry", "NotRegistered");
    h.noop("E1", assign(3n), "WorkerRegistry", "MissingRole");
    h.send("W1", assign(3n));
    h.noop("W1", assign(3n), "JobManager", "AlreadyAssigned");
    h.send("W2", assign(3n));
    h.send("Client", postJob(spec(), REWARD));
    h.noop("W1", assign(3n), "JobManager", "NotOpen");
    // A stake under a raised minimum, then a stale heartbeat.
    h.sudo(setParameterCall(WORKER_REGISTRY.min_stake, 200n * UNIT));
    h.noop("W1", assign(4n), "WorkerRegistry", "StakeBelowMinimum");
    h.sudo(setParameterCall(WORKER_REGISTRY.min_stake, undefined));
    h.sudo(setParameterCall(WORKER_REGISTRY.heartbeat_timeout, 1));
    h.runTo(h.head + 2);
    h.noop("W1", assign(4n), "WorkerRegistry", "WorkerInactive");
  });

  it("never draws a trainer of the job; with no evaluator left the filling assignment is refused", () => {
    const h = market();
    h.send("E3", register(BOTH, 1_000n * UNIT));
    h.send("Client", postJob(spec({ workers: 1, evaluators: 2 }), REWARD));
    h.send("E3", assign(0n));
    const drawn = job(h).evaluators;
    expect(drawn).toHaveLength(2);
    expect(drawn.some((e) => bytesEqual(e, pk("E3")))).toBe(false);
    // Only E3 is an evaluator here: it cannot both train and evaluate.
    const g = new JobHarness(jobRuntime());
    g.send("E3", register(BOTH, 100n * UNIT));
    g.send("Client", postJob(spec({ workers: 1, evaluators: 1 }), REWARD));
    g.noop("E3", assign(0n), "JobManager", "NoEligibleEvaluators");
  });

  it("draws by stake: deterministic, distinct, heavier stakes more often", () => {
    const cands = [
      { who: "light", stake: 1n * UNIT },
      { who: "heavy", stake: 99n * UNIT },
      { who: "none", stake: 0n },
    ];
    let heavy = 0;
    for (let i = 0; i < 400; i++) {
      const seed = salt(0).map((_, j) => (i >> (8 * (j % 2))) & 0xff);
      const [one] = drawWeighted(cands, 1, seed);
      if (one.who === "heavy") heavy++;
      expect(drawWeighted(cands, 1, seed)).toEqual([one]);
      expect(
        drawWeighted(cands, 3, seed)
          .map((c) => c.who)
          .sort(),
      ).toEqual(["heavy", "light"]);
    }
    expect(heavy).toBeGreaterThan(380);
    expect(heavy).toBeLessThan(400);
  });
});

describe("phases: results, test set, attestations", () => {
  const slow = spec({ deadlines: { assign: 50, submit: 50, reveal_test_set: 50, commit: 50, reveal: 50 } });

  it("moves through every phase with its events, rejecting out-of-phase and malformed calls", () => {
    const h = market();
    const [c1, c2] = [claim("W1", 0x11), claim("W2", 0x22)];
    h.send("Client", postJob(slow, REWARD));
    h.noop("W1", commitResult(0n, c1), "JobManager", "NotTraining");
    h.noop("Client", revealTestSet(0n), "JobManager", "NotAwaitingTestSet");
    h.send("W1", assign(0n));
    h.send("W2", assign(0n));
    h.noop("E1", commitResult(0n, claim("E1", 0x11)), "JobManager", "NotAssigned");
    h.noop("W1", revealResult(0n, c1), "JobManager", "NotRevealingResults");
    h.send("W1", commitResult(0n, c1));
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "ResultCommitted", value: { job_id: 0n, worker: pk("W1") } },
    });
    h.noop("W1", commitResult(0n, c1), "JobManager", "AlreadySubmitted");
    h.noop("Client", revealTestSet(0n), "JobManager", "NotAwaitingTestSet");
    h.send("W2", commitResult(0n, c2));
    expect(status(h)).toEqual({ tag: "RevealingResults" });
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "ResultRevealStarted", value: { job_id: 0n, reveal_by: h.head + 20 } },
    });
    h.noop("W1", commitResult(0n, c1), "JobManager", "NotTraining");
    // Reveals are checked against the spec and the commitment.
    h.noop("E1", revealResult(0n, claim("E1", 0x11)), "JobManager", "NotAssigned");
    const badCid = revealResult(0n, c1);
    badCid.value.value.model_cid = new Uint8Array([1, 2]);
    h.noop("W1", badCid, "JobManager", "InvalidCid");
    h.noop("W1", revealResult(0n, claim("W1", 0x11, 1_000_001)), "JobManager", "InvalidMetrics");
    const noSteps = revealResult(0n, c1);
    noSteps.value.value.steps = 0;
    h.noop("W1", noSteps, "JobManager", "WrongStepCount");
    // More than MaxSegments leaves of 10 steps.
    const tooMany = revealResult(0n, c1);
    tooMany.value.value.steps = 4096 * 10 + 1;
    h.noop("W1", tooMany, "JobManager", "WrongStepCount");
    h.noop("W1", revealResult(0n, claim("W1", 0x11, 950_000, { salt: salt(1) })), "JobManager", "CommitmentMismatch");
    h.noop("W1", revealResult(0n, claim("W1", 0x11, 940_000)), "JobManager", "CommitmentMismatch");
    h.noop("W1", revealResult(0n, c2), "JobManager", "CommitmentMismatch");
    h.send("W1", revealResult(0n, c1));
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: {
        tag: "ResultRevealed",
        value: {
          job_id: 0n,
          worker: pk("W1"),
          model_cid: cid(0x11),
          model_hash: hash(0x11),
          work_root: workRootOf(c1),
        },
      },
    });
    h.noop("W1", revealResult(0n, c1), "JobManager", "AlreadyRevealed");
    h.send("W2", revealResult(0n, c2));
    // Every result revealed: the audits are drawn (E1 and E2 verify every segment).
    expect(status(h)).toEqual({ tag: "Auditing" });
    const opened = h.rt.eventsOf("JobManager", "CheckOpened").map((e) => e.value);
    expect(jmEvents(h)).toEqual(["ResultRevealed", ...opened.map(() => "CheckOpened"), "AuditsStarted"]);
    expect(opened.length).toBeGreaterThanOrEqual(4);
    for (const o of opened) expect((o.verifiers as Uint8Array[]).map(nameOf).sort()).toEqual(["E1", "E2"]);
    h.noop("W1", revealResult(0n, c1), "JobManager", "NotRevealingResults");
    h.noop("Client", revealTestSet(0n), "JobManager", "NotAwaitingTestSet");
    runChecks(h, 0n, [c1, c2]);
    expect(status(h)).toEqual({ tag: "AwaitingTestSet" });
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "TestSetRequested", value: { job_id: 0n, results: 2, reveal_by: h.head + 50 } },
    });
    for (const w of ["W1", "W2"])
      expect(h.rt.read((e) => S.Assignments.get(e, [0n, pk(w)]))?.audit).toEqual({ tag: "Passed" });
    h.noop("W1", commitResult(0n, c1), "JobManager", "NotTraining");
    h.noop("W1", revealTestSet(0n), "JobManager", "NotClient");
    h.noop("Client", revealTestSet(0n, new Uint8Array([9])), "JobManager", "InvalidCid");
    h.noop("E1", commit(0n, "E1", []), "JobManager", "NotCommitting");
    h.send("Client", revealTestSet(0n));
    expect(status(h)).toEqual({ tag: "Committing" });
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "TestSetRevealed", value: { job_id: 0n, cid: TEST_SET_CID, commit_by: h.head + 50 } },
    });
    expect(job(h).test_set).toEqual({ cid: TEST_SET_CID, salt: salt(0x5a) });
    h.noop("Client", revealTestSet(0n), "JobManager", "NotAwaitingTestSet");
    const acc: [string, number][] = [
      ["W1", 950_000],
      ["W2", 950_000],
    ];
    h.noop("W1", commit(0n, "W1", acc), "JobManager", "NotEvaluator");
    h.noop("E1", reveal(0n, acc), "JobManager", "NotRevealing");
    h.send("E1", commit(0n, "E1", acc));
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "AttestationCommitted", value: { job_id: 0n, evaluator: pk("E1") } },
    });
    h.noop("E1", commit(0n, "E1", acc), "JobManager", "AlreadyCommitted");
    // E2 commits to an attestation that leaves W2 out: the reveal matches it, but it is invalid.
    h.send("E2", commit(0n, "E2", [["W1", 950_000]]));
    expect(status(h)).toEqual({ tag: "Revealing" });
    expect(jmEvents(h)).toEqual(["AttestationCommitted", "AttestationRevealStarted"]);
    h.noop("W1", reveal(0n, acc), "JobManager", "NotEvaluator");
    h.noop(
      "E1",
      reveal(0n, [
        ["W1", 950_000],
        ["W2", 940_000],
      ]),
      "JobManager",
      "CommitmentMismatch",
    );
    h.noop("E1", reveal(0n, acc, salt(8)), "JobManager", "CommitmentMismatch");
    h.noop("E2", reveal(0n, [["W1", 950_000]]), "JobManager", "InvalidAttestation");
    h.send("E1", reveal(0n, acc));
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: {
        tag: "AttestationRevealed",
        value: {
          job_id: 0n,
          evaluator: pk("E1"),
          accuracies: [
            [pk("W1"), 950_000],
            [pk("W2"), 950_000],
          ],
        },
      },
    });
    h.noop("E1", reveal(0n, acc), "JobManager", "AlreadyRevealed");
    // An attestation with an accuracy above 100% is invalid too.
    const g = market();
    postAndFill(g, slow);
    submitResults(g, 0n, [claim("W1", 0x11), claim("W2", 0x22)]);
    g.send("Client", revealTestSet(0n));
    const over: [string, number][] = [
      ["W1", 1_000_001],
      ["W2", 950_000],
    ];
    g.send("E1", commit(0n, "E1", over));
    g.send("E2", commit(0n, "E2", over));
    g.noop("E1", reveal(0n, over), "JobManager", "InvalidAttestation");
  });

  it("a test-set reveal that does not match the commitment is rejected and changes nothing", () => {
    const h = market();
    postAndFill(h);
    submitResults(h, 0n, [claim("W1", 0x11), claim("W2", 0x22)]);
    h.noop("Client", revealTestSet(0n, TEST_SET_CID, salt(1)), "JobManager", "TestSetMismatch");
    h.noop("Client", revealTestSet(0n, cid(0x7f)), "JobManager", "TestSetMismatch");
    expect(status(h)).toEqual({ tag: "AwaitingTestSet" });
    expect(testSetCommitment(TEST_SET_CID, salt(0x5a))).toEqual(job(h).spec.test_set_commitment);
  });
});

/** Runs job 0 from posting to the reveal phase: both trainers submit, the test set is revealed, evaluators commit. */
function toReveal(h: JobHarness, acc: Record<string, [string, number][]>, s = spec()): void {
  postAndFill(h, s);
  submitResults(
    h,
    0n,
    ["W1", "W2"].slice(0, s.workers).map((w) => claim(w, w === "W1" ? 0x11 : 0x22)),
  );
  h.send("Client", revealTestSet(0n));
  for (const [e, list] of Object.entries(acc)) h.send(e, commit(0n, e, list));
}

describe("settlement", () => {
  it("Success: exact payouts to workers, evaluators, treasury and the block author; stakes back; reputations up", () => {
    const h = market();
    const acc: [string, number][] = [
      ["W1", 950_000],
      ["W2", 930_000],
    ];
    toReveal(h, { E1: acc, E2: acc });
    expect(status(h)).toEqual({ tag: "Revealing" });
    h.send("E1", reveal(0n, acc));
    const author = h.authorityName(0);
    const before = h.total(author);
    h.send("E2", reveal(0n, acc), authorDigest(0));
    expect(h.total(author) - before).toBe(FEE);
    const drawn = job(h).evaluators;
    expect(jmEvents(h)).toEqual([
      "AttestationRevealed",
      "ResultScored",
      "ResultScored",
      "WorkerRewarded",
      "WorkerRewarded",
      "EvaluatorRewarded",
      "EvaluatorRewarded",
      "NetworkFeePaid",
      "TreasuryPaid",
      "StakeReleased",
      "StakeReleased",
      "JobSucceeded",
    ]);
    expect(h.rt.eventsOf("JobManager", "ResultScored").map((e) => e.value)).toEqual([
      { job_id: 0n, worker: pk("W1"), accuracy_ppm: 950_000, passed: true },
      { job_id: 0n, worker: pk("W2"), accuracy_ppm: 930_000, passed: true },
    ]);
    expect(h.rt.eventsOf("JobManager", "EvaluatorRewarded").map((e) => e.value.evaluator)).toEqual(drawn);
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "JobSucceeded", value: { job_id: 0n, accuracy_ppm: 950_000, passed: 2 } },
    });
    expect(status(h)).toEqual({ tag: "Succeeded" });
    const other = VALIDATORS.find((v) => v !== author)!;
    expect(gains(h, ALL)).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL / 2n,
      W2: WORKER_POOL / 2n,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      [author]: FEE,
      [other]: 0n,
      Treasury: TREASURY_SHARE,
    });
    assertNoJobReserves(h.rt, 0n);
    expect(h.rt.read((e) => reservedBalance(e, pk("W1")))).toBe(100n * UNIT);
    for (const n of ["W1", "W2", "E1", "E2"]) {
      expect(reputation(h, n)).toBe(INITIAL_REPUTATION + REPUTATION_REWARD);
      expect(worker(h, n)).toMatchObject({ active_jobs: 0, jobs_succeeded: 1, jobs_failed: 0 });
    }
    expect(h.rt.read((e) => S.Assignments.get(e, [0n, pk("W1")]))).toMatchObject({
      stake: 0n,
      accuracy_ppm: 950_000,
      result: { model_cid: cid(0x11), model_hash: hash(0x11), work_root: workRootOf(claim("W1", 0x11)) },
      audit: { tag: "Passed" },
    });
    expect(h.rt.read((e) => S.ActiveJobs.getOrDefault(e))).toBe(0);
    expect(h.rt.read((e) => S.DeadlineQueue.entries(e))).toEqual([]);
    // The deregistration that was blocked by the job works now.
    h.send("E1", registry("deregister"));
  });

  it("Failure: a model below the minimum fails the job, slashes its stake, refunds the client less evaluator fees", () => {
    const h = market();
    const acc: [string, number][] = [["W1", 850_000]];
    toReveal(h, { E1: acc, E2: acc }, spec({ workers: 1 }));
    h.send("E1", reveal(0n, acc));
    h.send("E2", reveal(0n, acc));
    expect(status(h)).toEqual({ tag: "Failed", value: { tag: "BelowMinimumAccuracy" } });
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "JobFailed", value: { job_id: 0n, reason: { tag: "BelowMinimumAccuracy" } } },
    });
    expect(h.rt.eventsOf("WorkerRegistry", "Slashed").map((e) => e.value)).toEqual([
      { worker: pk("W1"), job_id: 0n, amount: WORKER_SLASH, reason: { tag: "BelowMinimumAccuracy" } },
    ]);
    expect(gains(h, ALL)).toEqual({
      Client: -EVALUATOR_POOL,
      W1: -WORKER_SLASH,
      W2: 0n,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      Alice: 0n,
      Bob: 0n,
      Treasury: WORKER_SLASH,
    });
    assertNoJobReserves(h.rt, 0n);
    expect(reputation(h, "W1")).toBe(INITIAL_REPUTATION - REPUTATION_PENALTY);
    expect(worker(h, "W1")).toMatchObject({ active_jobs: 0, jobs_failed: 1, jobs_succeeded: 0 });
    expect(reputation(h, "E1")).toBe(INITIAL_REPUTATION + REPUTATION_REWARD);
  });

  it("a passing and a failing model: the job succeeds, the passing trainer takes the worker pool, the other is slashed", () => {
    const h = market();
    const acc: [string, number][] = [
      ["W1", 950_000],
      ["W2", 850_000],
    ];
    toReveal(h, { E1: acc, E2: acc });
    h.send("E1", reveal(0n, acc));
    h.send("E2", reveal(0n, acc));
    expect(status(h)).toEqual({ tag: "Succeeded" });
    expect(gains(h, ALL)).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL,
      W2: -WORKER_SLASH,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      Alice: 0n,
      Bob: 0n,
      // No BABE author in this block: the network fee goes to the treasury.
      Treasury: TREASURY_SHARE + FEE + WORKER_SLASH,
    });
    assertNoJobReserves(h.rt, 0n);
  });

  it("a worker that never submits is slashed at the deadline and the job goes on with the other", () => {
    const h = market();
    postAndFill(h);
    const submitBy = job(h).deadline;
    const c1 = claim("W1", 0x11);
    h.send("W1", commitResult(0n, c1));
    h.runTo(submitBy);
    expect(status(h)).toEqual({ tag: "RevealingResults" });
    expect(jmEvents(h)).toEqual(["StakeReleased", "ResultRevealStarted"]);
    expect(h.rt.eventsOf("WorkerRegistry", "Slashed").map((e) => e.value)).toEqual([
      { worker: pk("W2"), job_id: 0n, amount: WORKER_SLASH, reason: { tag: "MissedSubmission" } },
    ]);
    expect(worker(h, "W2")).toMatchObject({ active_jobs: 0, jobs_failed: 1 });
    h.noop("W2", revealResult(0n, claim("W2", 0x22)), "JobManager", "NotCommittedResult");
    h.send("W1", revealResult(0n, c1));
    runChecks(h, 0n, [c1]);
    expect(status(h)).toEqual({ tag: "AwaitingTestSet" });
    h.send("Client", revealTestSet(0n));
    const acc: [string, number][] = [["W1", 960_000]];
    h.send("E1", commit(0n, "E1", acc));
    h.send("E2", commit(0n, "E2", acc));
    h.noop(
      "E1",
      reveal(0n, [
        ["W1", 960_000],
        ["W2", 960_000],
      ]),
      "JobManager",
      "CommitmentMismatch",
    );
    h.send("E1", reveal(0n, acc));
    h.send("E2", reveal(0n, acc));
    expect(status(h)).toEqual({ tag: "Succeeded" });
    expect(gains(h, ALL)).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL,
      W2: -WORKER_SLASH,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      Alice: 0n,
      Bob: 0n,
      Treasury: TREASURY_SHARE + FEE + WORKER_SLASH,
    });
    assertNoJobReserves(h.rt, 0n);
  });

  it("no result at all by the deadline: the trainers are slashed, the job fails, the client gets everything back", () => {
    const h = market();
    postAndFill(h, spec({ workers: 1 }));
    h.runTo(job(h).deadline);
    expect(status(h)).toEqual({ tag: "Failed", value: { tag: "NoResults" } });
    expect(gains(h, ALL)).toEqual({
      Client: 0n,
      W1: -WORKER_SLASH,
      W2: 0n,
      E1: 0n,
      E2: 0n,
      Alice: 0n,
      Bob: 0n,
      Treasury: WORKER_SLASH,
    });
    assertNoJobReserves(h.rt, 0n);
    for (const n of ["E1", "E2"]) expect(worker(h, n).active_jobs).toBe(0);
  });

  it("an evaluator that never reveals is slashed and the job still settles on the remaining quorum", () => {
    const h = market();
    const acc: [string, number][] = [
      ["W1", 950_000],
      ["W2", 950_000],
    ];
    toReveal(h, { E1: acc, E2: acc });
    h.send("E1", reveal(0n, acc));
    h.runTo(job(h).deadline);
    expect(status(h)).toEqual({ tag: "Succeeded" });
    expect(h.rt.eventsOf("WorkerRegistry", "Slashed").map((e) => e.value)).toEqual([
      { worker: pk("E2"), job_id: 0n, amount: E2_SLASH, reason: { tag: "MissedAttestation" } },
    ]);
    // E2 also verified every audited segment (the only other evaluator of the trainers' kernel class)
    // and revealed the agreed end hashes: as an agreeing verifier it shares the evaluator pool with
    // E1 (each account once), although its missed attestation is slashed.
    expect(gains(h, ALL)).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL / 2n,
      W2: WORKER_POOL / 2n,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n - E2_SLASH,
      Alice: 0n,
      Bob: 0n,
      Treasury: TREASURY_SHARE + FEE + E2_SLASH,
    });
    expect(
      h.rt.eventsOf("JobManager", "EvaluatorRewarded").map((e) => nameOf(e.value.evaluator as Uint8Array)),
    ).toEqual(["E1", "E2"]);
    assertNoJobReserves(h.rt, 0n);
    expect(worker(h, "E2")).toMatchObject({ stake: 270n * UNIT, active_jobs: 0, jobs_failed: 1 });
    expect(reputation(h, "E2")).toBe(INITIAL_REPUTATION - REPUTATION_PENALTY);
  });

  it("an evaluator that never commits is slashed too; the reveal phase opens at the commit deadline", () => {
    const h = market();
    const acc: [string, number][] = [
      ["W1", 950_000],
      ["W2", 950_000],
    ];
    toReveal(h, { E1: acc });
    expect(status(h)).toEqual({ tag: "Committing" });
    h.runTo(job(h).deadline);
    expect(status(h)).toEqual({ tag: "Revealing" });
    h.noop("E2", reveal(0n, acc), "JobManager", "NotCommitted");
    h.send("E1", reveal(0n, acc));
    expect(status(h)).toEqual({ tag: "Succeeded" });
    // As above: E2 verified the audits honestly, so it shares the evaluator pool as a verifier.
    expect(gains(h, ["E1", "E2"])).toEqual({
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n - E2_SLASH,
      Treasury: TREASURY_SHARE + FEE + E2_SLASH,
    });
    assertNoJobReserves(h.rt, 0n);
  });

  it("evaluators that disagree without a majority: NoQuorum, stakes back, client refunded less evaluator fees", () => {
    const h = market();
    const a: [string, number][] = [["W1", 950_000]];
    const b: [string, number][] = [["W1", 940_000]];
    toReveal(h, { E1: a, E2: b }, spec({ workers: 1 }));
    h.send("E1", reveal(0n, a));
    h.send("E2", reveal(0n, b));
    expect(status(h)).toEqual({ tag: "Failed", value: { tag: "NoQuorum" } });
    expect(gains(h, ["Client", "W1", "E1", "E2"])).toEqual({
      Client: -EVALUATOR_POOL,
      W1: 0n,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      Treasury: 0n,
    });
    assertNoJobReserves(h.rt, 0n);
  });

  it("nobody commits or reveals: every evaluator is slashed, stakes come back, the client is refunded all but the verifiers' fees", () => {
    const h = market();
    toReveal(h, {}, spec({ workers: 1 }));
    h.runTo(job(h).deadline);
    expect(status(h)).toEqual({ tag: "Failed", value: { tag: "NoQuorum" } });
    // E1 and E2 did verify W1's audited segments: the verifiers that revealed the agreed end hashes are
    // paid the evaluator pool even when no attestation is agreed (as in a NoQuorum job the agreeing
    // evaluators are); everything else goes back to the client.
    expect(gains(h, ["Client", "W1", "E1", "E2"])).toEqual({
      Client: -EVALUATOR_POOL,
      W1: 0n,
      E1: EVALUATOR_POOL / 2n - 10n * UNIT,
      E2: EVALUATOR_POOL / 2n - E2_SLASH,
      Treasury: 10n * UNIT + E2_SLASH,
    });
    assertNoJobReserves(h.rt, 0n);
  });

  it("a client that never reveals the test set pays in full after the deadline", () => {
    const h = market();
    postAndFill(h);
    submitResults(h, 0n, [claim("W1", 0x11), claim("W2", 0x22)]);
    const revealBy = job(h).deadline;
    const author = h.authorityName(1);
    h.runTo(revealBy, (n) => (n === revealBy ? authorDigest(1) : undefined));
    expect(status(h)).toEqual({ tag: "TestSetWithheld" });
    expect(h.rt.lastEvent()).toEqual({
      tag: "JobManager",
      value: { tag: "JobSettledWithoutTestSet", value: { job_id: 0n } },
    });
    const other = VALIDATORS.find((v) => v !== author)!;
    expect(gains(h, ALL)).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL / 2n,
      W2: WORKER_POOL / 2n,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      [author]: FEE,
      [other]: 0n,
      Treasury: TREASURY_SHARE,
    });
    assertNoJobReserves(h.rt, 0n);
    for (const n of ["W1", "W2", "E1", "E2"]) expect(worker(h, n).active_jobs).toBe(0);
    h.noop("Client", revealTestSet(0n), "JobManager", "NotAwaitingTestSet");
  });

  it("no worker by the deadline: the job expires with a full refund (and any partial assignment is released)", () => {
    const h = market();
    h.send("Client", postJob(spec(), REWARD));
    h.send("Client", postJob(spec({ deadlines: { ...spec().deadlines, assign: 3 } }), REWARD));
    h.send("W1", assign(1n));
    h.runTo(job(h, 1n).deadline);
    expect(status(h, 1n)).toEqual({ tag: "Expired" });
    expect(h.rt.lastEvent()).toEqual({ tag: "JobManager", value: { tag: "JobExpired", value: { job_id: 1n } } });
    h.runTo(job(h, 0n).deadline);
    expect(status(h, 0n)).toEqual({ tag: "Expired" });
    expect(gains(h, ALL)).toEqual({
      Client: 0n,
      W1: 0n,
      W2: 0n,
      E1: 0n,
      E2: 0n,
      Alice: 0n,
      Bob: 0n,
      Treasury: 0n,
    });
    assertNoJobReserves(h.rt, 0n);
    assertNoJobReserves(h.rt, 1n);
    expect(worker(h, "W1").active_jobs).toBe(0);
    expect(h.rt.read((e) => S.ActiveJobs.getOrDefault(e))).toBe(0);
  });

  it("spreads deadlines over blocks: at most MaxDeadlinesPerBlock per block", () => {
    const h = market();
    const s = spec({ deadlines: { ...spec().deadlines, assign: 20 } });
    const ext = h.rt.ext();
    // 17 jobs posted in the same block (dispatched directly): the 17th deadline goes to the next block.
    for (let i = 0; i < 17; i++) JobManager.calls.post_job.dispatch(ext, signedBy("Client"), { spec: s, reward: UNIT });
    const at = h.head + 20;
    expect(S.DeadlineQueue.getOrDefault(ext, at)).toHaveLength(16);
    expect(S.DeadlineQueue.getOrDefault(ext, at + 1)).toEqual([16n]);
    expect(S.Jobs.get(ext, 16n)?.deadline).toBe(at + 1);
  });
});

describe("job-manager parameters", () => {
  it("are set by Root through Parameters.set_parameter, each within its range and with the shares at most 100%", () => {
    const h = market();
    const K = JOB_MANAGER;
    h.rt.assertNoop(signedBy("Client"), setParameterCall(K.worker_share_ppm, 700_000), "BadOrigin");
    for (const [knob, value] of [
      [K.worker_share_ppm, 1_000_001],
      [K.network_fee_ppm, 1_000_001],
      [K.worker_slash_ppm, 1_000_001],
      [K.evaluator_slash_ppm, 1_000_001],
      [K.min_worker_stake, 0n],
      [K.min_phase_blocks, 0],
    ] as const)
      h.rt.assertNoop(ROOT, setParameterCall(knob, value), "Parameters.OutOfRange");
    // 900_000 + the default 150_000 evaluator share is above 100%.
    h.rt.assertNoop(ROOT, setParameterCall(K.worker_share_ppm, 900_000), "Parameters.Inconsistent");
    h.rt.assertNoop(ROOT, setParameterCall(K.max_phase_blocks, 0), "Parameters.OutOfRange");
    h.sudo(setParameterCall(K.worker_share_ppm, 700_000));
    h.sudo(setParameterCall(K.evaluator_share_ppm, 200_000));
    expect(h.rt.eventsOf("Parameters", "Updated")).toHaveLength(1);
    expect(h.rt.read((e) => [param(e, K.worker_share_ppm), param(e, K.evaluator_share_ppm)])).toEqual([
      700_000, 200_000,
    ]);
    expect(h.rt.read((e) => Parameters.storage.Parameters.entries(e).length)).toBeGreaterThanOrEqual(2);
    expect(() => jobRuntime({ jobManager: { evaluator_share_ppm: 300_000 } })).toThrow(/worker_share_ppm/);
  });

  it("new shares apply to the next settlement", () => {
    const h = market({ jobManager: { worker_share_ppm: 600_000, evaluator_share_ppm: 300_000, network_fee_ppm: 0 } });
    const acc: [string, number][] = [["W1", 950_000]];
    toReveal(h, { E1: acc, E2: acc }, spec({ workers: 1 }));
    h.send("E1", reveal(0n, acc));
    h.send("E2", reveal(0n, acc));
    expect(gains(h, ["Client", "W1", "E1", "E2"])).toEqual({
      Client: -REWARD,
      W1: 600n * UNIT,
      E1: 150n * UNIT,
      E2: 150n * UNIT,
      Treasury: 100n * UNIT,
    });
  });
});

describe("metadata", () => {
  it("@polkadot/types decodes both pallets, their calls, errors and double-map keys", () => {
    for (const bytes of [metadataV14(), metadataV15()]) {
      const registry = new TypeRegistry();
      const metadata = new Metadata(registry, bytes);
      registry.setMetadata(metadata);
      const pallets = metadata.asLatest.pallets.map((p) => [p.name.toString(), p.index.toNumber()]);
      expect(pallets).toEqual(
        expect.arrayContaining([
          ["WorkerRegistry", 10],
          ["JobManager", 11],
        ]),
      );
      const ours = RuntimeCall.enc(postJob(spec(), REWARD) as never);
      const call = registry.createType("Call", ours);
      expect([call.section, call.method]).toEqual(["jobManager", "postJob"]);
      expect(Buffer.from(call.toU8a()).equals(Buffer.from(ours))).toBe(true);
      const reg = registry.createType("Call", RuntimeCall.enc(registry_call() as never));
      expect([reg.section, reg.method]).toEqual(["workerRegistry", "register"]);
      const err = registry.findMetaError(new Uint8Array([11, 25]));
      expect(`${err.section}.${err.name}`).toBe("jobManager.TestSetMismatch");
      const decorated = expandMetadata(registry, metadata);
      const key = (decorated.query.jobManager.assignments as unknown as (a: bigint, b: Uint8Array) => Uint8Array)(
        5n,
        pk("W1"),
      );
      const mine = S.Assignments.keyFor([5n, pk("W1")]);
      expect(Buffer.from(key).toString("hex").endsWith(Buffer.from(mine).toString("hex"))).toBe(true);
    }
  });
});

function registry_call() {
  return register(TRAINER, 100n * UNIT);
}
