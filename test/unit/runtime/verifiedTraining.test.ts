/**
 * Verified training (DESIGN §6) on the mock runtime: results committed then revealed, audits that
 * re-execute drawn segments, escalations, challenges; and the attacks they stop. Every scenario asserts
 * exact balance changes (net of transaction fees; the treasury's too), that the job ends holding
 * nothing (challenger bonds included), and that the total issuance did not move. Failing calls are
 * checked with `noop`: the named error, and storage unchanged.
 *
 * Amounts (defaults): reward 1,000 TRAIN, network fee 20 (no block author here: to the treasury),
 * worker pool 800, evaluator pool 150, treasury share 50; job stake 50, slashed in full
 * (`audit_slash_ppm`) when a check fails; challenge bond 10, challenger reward 10% of the slash;
 * `evaluator_slash_ppm` 10% of a verifier's 100 TRAIN registration stake.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { blake2_256, concat, cryptoReady } from "../../../primitives/hashing.js";
import { bytesEqual } from "../../../primitives/hex.js";
import { T } from "../../../primitives/scale/types.js";
import { reservedBalance, totalIssuance } from "../../../runtime/pallets/balances.js";
import { drawSegments } from "../../../runtime/pallets/jobManager/audit.js";
import { checksOf, JobManager, type JobSpecValue } from "../../../runtime/pallets/jobManager/index.js";
import { JOB_MANAGER, setParameterCall } from "../../../runtime/pallets/parameters/index.js";
import {
  type CapabilitiesValue,
  INITIAL_REPUTATION,
  REPUTATION_PENALTY,
  WorkerRegistry,
} from "../../../runtime/pallets/workerRegistry.js";
import {
  assertNoJobReserves,
  assign,
  type Behaviour,
  type Claim,
  CPU_BOX,
  challenge,
  checkpointCid,
  claim,
  commit,
  commitResult,
  commitVerdict,
  EVALUATOR,
  type Fixture,
  GPU_BOX,
  hash,
  JobHarness,
  jobRuntime,
  nameOf,
  openLeaf,
  pk,
  postJob,
  proofOf,
  register,
  reveal,
  revealResult,
  revealTestSet,
  revealVerdict,
  runChecks,
  salt,
  serveCheckpoint,
  spec,
  stateHash,
  TRAINER,
  VERDICT_SALT,
} from "../../helpers/jobs.js";
import { UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const S = JobManager.storage;
const REWARD = 1_000n * UNIT;
const FEE = 20n * UNIT;
const WORKER_POOL = 800n * UNIT;
const EVALUATOR_POOL = 150n * UNIT;
const TREASURY_SHARE = 50n * UNIT;
/** `audit_slash_ppm` (100%) of the 50 TRAIN job stake. */
const AUDIT_SLASH = 50n * UNIT;
const BOND = 10n * UNIT;
/** `challenger_reward_ppm` (10%) of the audit slash. */
const CHALLENGER_REWARD = 5n * UNIT;
/** `evaluator_slash_ppm` (10%) of a 100 TRAIN registration stake. */
const VERIFIER_SLASH = 10n * UNIT;
/** 8 segments of 10 steps: the last plus 3 non-adjacent others are audited. */
const STEPS = 80;
const SEGMENTS = 8;

/** W1 and W2 train (100 TRAIN each; W2 with `w2Caps`); `evaluators` evaluate and verify (100 TRAIN each). */
function market(evaluators: string[], w2Caps: CapabilitiesValue = GPU_BOX, f: Fixture = {}): JobHarness {
  const h = new JobHarness(jobRuntime({ more: true, registry: { heartbeat_timeout: 1_000 }, ...f }));
  h.send("W1", register(TRAINER, 100n * UNIT));
  h.send("W2", register(TRAINER, 100n * UNIT, w2Caps));
  for (const e of evaluators) h.send(e, register(EVALUATOR, 100n * UNIT, CPU_BOX));
  return h;
}

const jobSpec = (o: Partial<JobSpecValue> = {}) =>
  spec({
    length: { tag: "Steps", value: STEPS },
    deadlines: { ...spec().deadlines, reveal_test_set: 30, commit: 20, reveal: 20 },
    ...o,
  });

/** Posts job 0 with `s` and fills it with W1 (and W2). */
function start(h: JobHarness, s: JobSpecValue): void {
  h.send("Client", postJob(s, REWARD));
  for (const w of ["W1", "W2"].slice(0, s.workers)) h.send(w, assign(0n));
  expect(status(h)).toBe("Training");
}

/** Every claim committed, then revealed: the audits are drawn. */
function commitAndReveal(h: JobHarness, claims: Claim[]): void {
  for (const c of claims) h.send(c.worker, commitResult(0n, c));
  for (const c of claims) h.send(c.worker, revealResult(0n, c));
}

/**
 * The client reveals the test set; every drawn evaluator commits, then reveals, `accuracy` (or
 * `accuracies[name]`) for every result being scored.
 */
function attest(h: JobHarness, accuracies: Record<string, number> = {}, accuracy = 950_000): void {
  h.send("Client", revealTestSet(0n));
  const list: [string, number][] = job(h).results.map((w) => [nameOf(w), accuracies[nameOf(w)] ?? accuracy]);
  const evaluators = job(h).evaluators.map(nameOf);
  for (const e of evaluators) h.send(e, commit(0n, e, list));
  for (const e of evaluators) h.send(e, reveal(0n, list));
}

const job = (h: JobHarness) => h.rt.read((e) => S.Jobs.get(e, 0n))!;
const status = (h: JobHarness) => job(h).status.tag;
const audit = (h: JobHarness, w: string) => h.rt.read((e) => S.Assignments.get(e, [0n, pk(w)]))!.audit.tag;
const checks = (h: JobHarness) => h.rt.read((e) => checksOf(e, 0n));
const checksOfWorker = (h: JobHarness, w: string) => checks(h).filter((c) => bytesEqual(c.check.worker, pk(w)));
const issuance = (h: JobHarness) => h.rt.read((e) => totalIssuance(e));
const reserved = (h: JobHarness, n: string) => h.rt.read((e) => reservedBalance(e, pk(n)));
const slashes = (h: JobHarness, n: string) =>
  h.rt.read((e) => WorkerRegistry.storage.SlashHistory.getOrDefault(e, pk(n))).map((r) => [r.amount, r.reason.tag]);
const worker = (h: JobHarness, n: string) => h.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk(n)))!;
const reputation = (h: JobHarness, n: string) =>
  h.rt.read((e) => WorkerRegistry.storage.Reputation.getOrDefault(e, pk(n)));

function gains(h: JobHarness, names: string[]): Record<string, bigint> {
  return Object.fromEntries([...names.map((n) => [n, h.gain(n)]), ["Treasury", h.treasuryGain()]]);
}

/** The job holds nothing and the issuance is what it was; every account holds only its registration stake. */
function settledClean(h: JobHarness, before: bigint, registered: Record<string, bigint>): void {
  assertNoJobReserves(h.rt, 0n);
  expect(job(h).open_checks).toBe(0);
  expect(job(h).pending_settlement).toBeUndefined();
  expect(issuance(h)).toBe(before);
  for (const [n, stake] of Object.entries(registered)) expect([n, reserved(h, n)]).toEqual([n, stake]);
  expect(h.rt.read((e) => S.CheckQueue.entries(e))).toEqual([]);
  expect(h.rt.read((e) => S.DeadlineQueue.entries(e))).toEqual([]);
}

/** A hash no honest re-execution gives: what re-executing a faked segment really yields. */
const genuine = (leaf: Uint8Array) => blake2_256(concat(new TextEncoder().encode("genuine"), leaf));

describe("drawSegments", () => {
  const seed = (i: number) => blake2_256(T.u32.enc(i));

  it("draws the last segment and pairwise non-adjacent others, deterministically per seed", () => {
    for (const leaves of [1, 2, 3, 4, 5, 6, 8, 12, 64, 4096])
      for (const extra of [0, 1, 3, 5])
        for (let i = 0; i < 20; i++) {
          const drawn = drawSegments(leaves, extra, seed(i));
          expect(drawn[0]).toBe(leaves);
          expect(drawSegments(leaves, extra, seed(i))).toEqual(drawn);
          expect(new Set(drawn).size).toBe(drawn.length);
          expect(drawn.length).toBeLessThanOrEqual(1 + extra);
          for (const s of drawn) expect(s >= 1 && s <= leaves).toBe(true);
          for (const a of drawn) for (const b of drawn) if (a !== b) expect(Math.abs(a - b)).toBeGreaterThanOrEqual(2);
          // Plenty of segments: exactly `extra` others.
          if (leaves >= 4 * (extra + 1)) expect(drawn).toHaveLength(1 + extra);
        }
  });

  it("draws fewer when few segments allow it", () => {
    expect(drawSegments(1, 3, seed(0))).toEqual([1]);
    expect(drawSegments(2, 3, seed(0))).toEqual([2]);
    // 3 segments: only segment 1 is not adjacent to 3.
    expect(drawSegments(3, 3, seed(0))).toEqual([3, 1]);
    for (let i = 0; i < 20; i++) {
      // 4 segments: 1 and 2 are eligible but adjacent to each other.
      expect(drawSegments(4, 3, seed(i))).toHaveLength(2);
      expect(drawSegments(5, 3, seed(i)).length).toBeLessThanOrEqual(3);
    }
    expect(drawSegments(64, 0, seed(0))).toEqual([64]);
  });

  it("depends on the seed", () => {
    const draws = new Set(Array.from({ length: 20 }, (_, i) => drawSegments(64, 3, seed(i)).join(",")));
    expect(draws.size).toBeGreaterThan(10);
  });
});

describe("results: commit, then reveal", () => {
  it("a reveal before every trainer committed is refused and changes nothing", () => {
    const h = market(["E1", "E2"]);
    start(h, jobSpec());
    const [c1, c2] = [claim("W1", 0x11, 950_000, { steps: STEPS }), claim("W2", 0x22, 950_000, { steps: STEPS })];
    h.send("W1", commitResult(0n, c1));
    h.noop("W1", revealResult(0n, c1), "JobManager", "NotRevealingResults");
    h.noop("W2", revealResult(0n, c2), "JobManager", "NotRevealingResults");
    expect(status(h)).toBe("Training");
    expect(h.rt.read((e) => S.Assignments.get(e, [0n, pk("W1")]))?.result).toBeUndefined();
    h.send("W2", commitResult(0n, c2));
    expect(status(h)).toBe("RevealingResults");
    // W2 cannot reveal W1's result under its own commitment, nor W1 with another salt.
    h.noop("W2", revealResult(0n, { ...c1, worker: "W2" }), "JobManager", "CommitmentMismatch");
    h.noop("W1", revealResult(0n, { ...c1, salt: salt(1) }), "JobManager", "CommitmentMismatch");
  });

  it("a committed trainer that never reveals is slashed like a missed submission; the other goes on", () => {
    const h = market(["E1", "E2"]);
    const before = issuance(h);
    start(h, jobSpec());
    const [c1, c2] = [claim("W1", 0x11, 950_000, { steps: STEPS }), claim("W2", 0x22, 950_000, { steps: STEPS })];
    h.send("W1", commitResult(0n, c1));
    h.send("W2", commitResult(0n, c2));
    h.send("W1", revealResult(0n, c1));
    h.runTo(job(h).deadline);
    expect(status(h)).toBe("Auditing");
    expect(slashes(h, "W2")).toEqual([[25n * UNIT, "MissedSubmission"]]);
    runChecks(h, 0n, [c1]);
    attest(h);
    expect(status(h)).toBe("Succeeded");
    expect(gains(h, ["Client", "W1", "W2", "E1", "E2"])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL,
      W2: -25n * UNIT,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      Treasury: TREASURY_SHARE + FEE + 25n * UNIT,
    });
    settledClean(h, before, { W1: 100n * UNIT, W2: 100n * UNIT, E1: 100n * UNIT, E2: 100n * UNIT });
  });
});

/** W1 honest, W2 cheating with `w2` (given W1's honest claim): W2 fails its audits and is slashed in full. */
function cheaterFailsAudit(w2: (honest: Claim) => Claim, how: Behaviour = {}) {
  const h = market(["E1", "E2"]);
  const before = issuance(h);
  start(h, jobSpec());
  const c1 = claim("W1", 0x11, 950_000, { steps: STEPS });
  const c2 = w2(c1);
  commitAndReveal(h, [c1, c2]);
  expect(status(h)).toBe("Auditing");
  // E1 and E2 are the only evaluators of the kernel class: they verify every segment.
  for (const { check } of checks(h)) expect(check.votes.map((v) => nameOf(v.verifier)).sort()).toEqual(["E1", "E2"]);
  expect(checksOfWorker(h, "W2")[0].check.segment).toBe(SEGMENTS);
  runChecks(h, 0n, [c1, c2], how);
  expect(status(h)).toBe("AwaitingTestSet");
  expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Passed", "Failed"]);
  expect(job(h).results).toEqual([pk("W1")]);
  expect(slashes(h, "W2")).toEqual([[AUDIT_SLASH, "FailedAudit"]]);
  attest(h);
  expect(status(h)).toBe("Succeeded");
  // The cheater gains nothing and loses its whole job stake; the honest trainer takes the whole pool.
  expect(gains(h, ["Client", "W1", "W2", "E1", "E2"])).toEqual({
    Client: -(REWARD + FEE),
    W1: WORKER_POOL,
    W2: -AUDIT_SLASH,
    E1: EVALUATOR_POOL / 2n,
    E2: EVALUATOR_POOL / 2n,
    Treasury: TREASURY_SHARE + FEE + AUDIT_SLASH,
  });
  settledClean(h, before, { W1: 100n * UNIT, W2: 100n * UNIT, E1: 100n * UNIT, E2: 100n * UNIT });
  expect(worker(h, "W2")).toMatchObject({ active_jobs: 0, jobs_failed: 1, jobs_succeeded: 0 });
  return h;
}

/** What re-executing a segment of W2's training yields: its batch order is keyed by its own account. */
const ownWork = (c: Claim) =>
  Array.from({ length: SEGMENTS }, (_, i) => stateHash(pk("W2"), c.modelCid[c.modelCid.length - 1], i + 1));

describe("attacks", () => {
  it("a copier that reveals the honest trainer's model and work root (committed with its own account) fails its audit", () => {
    const h = cheaterFailsAudit((honest) => ({ ...honest, worker: "W2", computed: ownWork(honest) }));
    // Every audited segment of the copy failed: the verifiers agreed on another end hash than its leaf.
    for (const { check } of checksOfWorker(h, "W2"))
      expect(check.stage).toEqual({ tag: "Done", value: { tag: "Failed" } });
  });

  it("a copy with a one-ulp-changed model and the honest work root fails the same way", () => {
    cheaterFailsAudit((honest) => {
      const modelHash = honest.modelHash.slice();
      modelHash[31] ^= 1;
      return { ...honest, worker: "W2", modelHash, computed: ownWork(honest) };
    });
  });

  it("a made-up work root proves no checkpoint: its checks fail at their deadlines", () => {
    const madeUp = (honest: Claim): Claim => ({
      ...claim("W2", 0x22, 950_000, { steps: STEPS }),
      root: hash(0xee),
      computed: ownWork(honest),
    });
    cheaterFailsAudit(madeUp, {
      trainer: ({ check }) => bytesEqual(check.worker, pk("W1")),
      verifier: ({ computed }) => computed,
    });
    // The serve itself, tried on a fresh run: no proof of any state hash holds under the made-up root.
    const h = market(["E1", "E2"]);
    start(h, jobSpec());
    const c1 = claim("W1", 0x11, 950_000, { steps: STEPS });
    const c2 = madeUp(c1);
    commitAndReveal(h, [c1, c2]);
    const { id, check } = checksOfWorker(h, "W2")[0];
    expect(check.stage.tag).toBe("Serving");
    h.noop("W2", serveCheckpoint(0n, id, c2, check.segment), "JobManager", "InvalidProof");
  });
});

describe("a faked middle segment", () => {
  /** W2's claimed leaves are consistent except that segment `m` was never computed from leaf m-1. */
  const faked = (m: number): Claim => {
    const c = claim("W2", 0x22, 950_000, { steps: STEPS });
    return { ...c, computed: c.leaves.map((l, i) => (i === m - 1 ? genuine(l) : l)) };
  };

  it("fails when the audit draws it; the last segment passes", () => {
    const h = market(["E1", "E2"]);
    const before = issuance(h);
    start(h, jobSpec());
    const c1 = claim("W1", 0x11, 950_000, { steps: STEPS });
    const probe = faked(1);
    commitAndReveal(h, [c1, probe]);
    const drawn = checksOfWorker(h, "W2").map((c) => c.check.segment);
    expect(drawn[0]).toBe(SEGMENTS);
    const m = drawn[1];
    expect(m).toBeLessThan(SEGMENTS - 1);
    // The faked segment is decided by re-execution, not by the commitment: any drawn one will do.
    const c2 = faked(m);
    runChecks(h, 0n, [c1, c2]);
    const verdicts = Object.fromEntries(checksOfWorker(h, "W2").map(({ check }) => [check.segment, check.stage]));
    expect(verdicts[SEGMENTS]).toEqual({ tag: "Done", value: { tag: "Passed" } });
    expect(verdicts[m]).toEqual({ tag: "Done", value: { tag: "Failed" } });
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Passed", "Failed"]);
    attest(h);
    expect(gains(h, ["Client", "W1", "W2", "E1", "E2"])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL,
      W2: -AUDIT_SLASH,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      Treasury: TREASURY_SHARE + FEE + AUDIT_SLASH,
    });
    settledClean(h, before, { W1: 100n * UNIT, W2: 100n * UNIT, E1: 100n * UNIT, E2: 100n * UNIT });
  });

  it("undrawn, it passes the audits; a challenge proves it: trainer slashed, challenger paid bond + reward, settlement waits", () => {
    // Three evaluators, all drawn: E3 challenges, E1 and E2 verify the challenge.
    const h = market(["E1", "E2", "E3"]);
    const before = issuance(h);
    start(h, jobSpec({ evaluators: 3 }));
    const c1 = claim("W1", 0x11, 950_000, { steps: STEPS });
    commitAndReveal(h, [c1, faked(1)]);
    const drawn = checksOfWorker(h, "W2").map((c) => c.check.segment);
    const m = [2, 3, 4, 5, 6, 7].find((s) => !drawn.includes(s))!;
    const c2 = faked(m);
    runChecks(h, 0n, [c1, c2]);
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Passed", "Passed"]);
    expect(status(h)).toBe("AwaitingTestSet");
    h.send("E3", challenge(0n, "W2", m));
    expect(reserved(h, "E3")).toBe(100n * UNIT + BOND);
    const [{ check: ch }] = checks(h).filter((c) => c.check.kind.tag === "Challenge");
    expect(ch.kind).toEqual({ tag: "Challenge", value: { challenger: pk("E3"), bond: BOND } });
    expect(ch.votes.map((v) => nameOf(v.verifier)).sort()).toEqual(["E1", "E2"]);
    h.noop("E1", challenge(0n, "W2", m), "JobManager", "ChallengeOpen");
    // The attestations are all in while the challenge is open: the settlement waits for it.
    attest(h);
    expect(status(h)).toBe("Revealing");
    expect(job(h).pending_settlement).toEqual({ tag: "Attested" });
    expect(job(h).deadline).toBe(0);
    h.noop("E1", challenge(0n, "W1", 3), "JobManager", "NotChallengeable");
    runChecks(h, 0n, [c1, c2]);
    expect(status(h)).toBe("Succeeded");
    expect(audit(h, "W2")).toBe("Failed");
    expect(h.rt.eventsOf("JobManager", "ChallengerRewarded").map((e) => e.value)).toEqual([
      { job_id: 0n, challenger: pk("E3"), amount: CHALLENGER_REWARD },
    ]);
    // W2 scored 950_000 like W1 but is never paid; the evaluator pool goes to the three evaluators.
    expect(gains(h, ["Client", "W1", "W2", "E1", "E2", "E3"])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL,
      W2: -AUDIT_SLASH,
      E1: EVALUATOR_POOL / 3n,
      E2: EVALUATOR_POOL / 3n,
      E3: EVALUATOR_POOL / 3n + CHALLENGER_REWARD,
      Treasury: TREASURY_SHARE + FEE + AUDIT_SLASH - CHALLENGER_REWARD,
    });
    settledClean(h, before, { W1: 100n * UNIT, W2: 100n * UNIT, E1: 100n * UNIT, E2: 100n * UNIT, E3: 100n * UNIT });
    // The job counts once against W2, as failed.
    expect(worker(h, "W2")).toMatchObject({ active_jobs: 0, jobs_failed: 1, jobs_succeeded: 0 });
    expect(reputation(h, "W2")).toBe(INITIAL_REPUTATION - REPUTATION_PENALTY);
  });

  it("a challenge of an honest segment loses its bond to the trainer", () => {
    const h = market(["E1", "E2", "E3"]);
    const before = issuance(h);
    start(h, jobSpec({ evaluators: 3 }));
    const [c1, c2] = [claim("W1", 0x11, 950_000, { steps: STEPS }), claim("W2", 0x22, 950_000, { steps: STEPS })];
    commitAndReveal(h, [c1, c2]);
    runChecks(h, 0n, [c1, c2]);
    h.send("E3", challenge(0n, "W1", 3));
    runChecks(h, 0n, [c1, c2]);
    expect(h.rt.eventsOf("JobManager", "BondForfeited").map((e) => e.value)).toEqual([
      { job_id: 0n, challenger: pk("E3"), to: pk("W1"), amount: BOND },
    ]);
    expect(reserved(h, "E3")).toBe(100n * UNIT);
    attest(h);
    expect(status(h)).toBe("Succeeded");
    expect(gains(h, ["Client", "W1", "W2", "E1", "E2", "E3"])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL / 2n + BOND,
      W2: WORKER_POOL / 2n,
      E1: EVALUATOR_POOL / 3n,
      E2: EVALUATOR_POOL / 3n,
      E3: EVALUATOR_POOL / 3n - BOND,
      Treasury: TREASURY_SHARE + FEE,
    });
    settledClean(h, before, { W1: 100n * UNIT, W2: 100n * UNIT, E1: 100n * UNIT, E2: 100n * UNIT, E3: 100n * UNIT });
  });
});

describe("verifiers", () => {
  it("a colluding verifier that reveals the faked leaf escalates the check; the honest majority slashes it and the trainer", () => {
    // Seven evaluators, all drawn to evaluate: two verify each segment, the other five escalate.
    const evaluators = ["E1", "E2", "E3", "E4", "E5", "E6", "E7"];
    const h = market(evaluators);
    const before = issuance(h);
    start(h, jobSpec({ evaluators: 7 }));
    const c1 = claim("W1", 0x11, 950_000, { steps: STEPS });
    const honest = claim("W2", 0x22, 950_000, { steps: STEPS });
    // W2 faked its last segment, which every audit checks.
    const c2 = { ...honest, computed: honest.leaves.map((l, i) => (i === SEGMENTS - 1 ? genuine(l) : l)) };
    commitAndReveal(h, [c1, c2]);
    const last = checksOfWorker(h, "W2")[0];
    expect(last.check.segment).toBe(SEGMENTS);
    const colluder = nameOf(last.check.votes[0].verifier);
    const other = nameOf(last.check.votes[1].verifier);
    runChecks(h, 0n, [c1, c2], {
      verifier: ({ id, name, computed }) => (id === last.id && name === colluder ? c2.leaves[SEGMENTS - 1] : computed),
    });
    const parent = h.rt.read((e) => S.Checks.get(e, [0n, last.id]))!;
    expect(parent.stage).toEqual({ tag: "Done", value: { tag: "Escalated" } });
    expect(parent.agreed).toEqual(genuine(c2.leaves[SEGMENTS - 1]));
    const [esc] = checks(h).filter((c) => c.check.kind.tag === "Escalation");
    expect(esc.check.kind).toEqual({ tag: "Escalation", value: last.id });
    expect(esc.check.votes.map((v) => nameOf(v.verifier)).sort()).toEqual(
      evaluators.filter((e) => e !== colluder && e !== other),
    );
    expect(esc.check.stage).toEqual({ tag: "Done", value: { tag: "Failed" } });
    expect(slashes(h, colluder)).toEqual([[VERIFIER_SLASH, "WrongVerdict"]]);
    expect(slashes(h, other)).toEqual([]);
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Passed", "Failed"]);
    attest(h);
    expect(status(h)).toBe("Succeeded");
    const each = EVALUATOR_POOL / 7n;
    expect(gains(h, ["Client", "W1", "W2", ...evaluators])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL,
      W2: -AUDIT_SLASH,
      ...Object.fromEntries(evaluators.map((e) => [e, e === colluder ? each - VERIFIER_SLASH : each])),
      // The treasury also gets the rounding dust of the evaluator pool.
      Treasury: TREASURY_SHARE + FEE + AUDIT_SLASH + VERIFIER_SLASH + (EVALUATOR_POOL - 7n * each),
    });
    settledClean(h, before, {
      W1: 100n * UNIT,
      W2: 100n * UNIT,
      ...Object.fromEntries(evaluators.map((e) => [e, e === colluder ? 90n * UNIT : 100n * UNIT])),
    });
  });

  it("a verifier that never reveals, or never commits, is slashed; the check rests on the others", () => {
    const h = market(["E1", "E2"]);
    const before = issuance(h);
    start(h, jobSpec({ workers: 1 }));
    const c1 = claim("W1", 0x11, 950_000, { steps: STEPS });
    commitAndReveal(h, [c1]);
    const [first, second] = checks(h);
    runChecks(h, 0n, [c1], {
      verifier: ({ id, name, computed }) =>
        name !== "E2" ? computed : id === first.id ? "hide" : id === second.id ? "silent" : computed,
    });
    expect(audit(h, "W1")).toBe("Passed");
    // 10% of 100 TRAIN, then 10% of the 90 left.
    expect(slashes(h, "E2")).toEqual([
      [VERIFIER_SLASH, "MissedVerdict"],
      [9n * UNIT, "MissedVerdict"],
    ]);
    attest(h);
    expect(status(h)).toBe("Succeeded");
    // E2 still verified the other segments and attested: it shares the evaluator pool.
    expect(gains(h, ["Client", "W1", "E1", "E2"])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n - 19n * UNIT,
      Treasury: TREASURY_SHARE + FEE + 19n * UNIT,
    });
    settledClean(h, before, { W1: 100n * UNIT, E1: 100n * UNIT, E2: 81n * UNIT });
  });

  /** W1 alone; no verifier reveals in W1's first check: it is inconclusive, W1's result unverifiable. */
  function inconclusive(accuracy: number) {
    const h = market(["E1", "E2"]);
    const before = issuance(h);
    start(h, jobSpec({ workers: 1 }));
    const c1 = claim("W1", 0x11, 950_000, { steps: STEPS });
    commitAndReveal(h, [c1]);
    const [first] = checks(h);
    runChecks(h, 0n, [c1], { verifier: ({ id, computed }) => (id === first.id ? "hide" : computed) });
    expect(h.rt.read((e) => S.Checks.get(e, [0n, first.id]))?.stage).toEqual({
      tag: "Done",
      value: { tag: "Inconclusive" },
    });
    expect(audit(h, "W1")).toBe("Unverifiable");
    expect(job(h).results).toEqual([pk("W1")]);
    for (const e of ["E1", "E2"]) expect(slashes(h, e)).toEqual([[VERIFIER_SLASH, "MissedVerdict"]]);
    attest(h, {}, accuracy);
    return { h, before };
  }

  it("a check no verifier reveals is inconclusive: the result is unverifiable, paid when its evaluation passes", () => {
    const { h, before } = inconclusive(950_000);
    expect(status(h)).toBe("Succeeded");
    expect(gains(h, ["Client", "W1", "E1", "E2"])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL,
      E1: EVALUATOR_POOL / 2n - VERIFIER_SLASH,
      E2: EVALUATOR_POOL / 2n - VERIFIER_SLASH,
      Treasury: TREASURY_SHARE + FEE + 2n * VERIFIER_SLASH,
    });
    settledClean(h, before, { W1: 100n * UNIT, E1: 90n * UNIT, E2: 90n * UNIT });
  });

  it("an unverifiable result whose evaluation fails is not paid", () => {
    const { h, before } = inconclusive(850_000);
    expect(job(h).status).toEqual({ tag: "Failed", value: { tag: "BelowMinimumAccuracy" } });
    expect(gains(h, ["Client", "W1", "E1", "E2"])).toEqual({
      Client: -EVALUATOR_POOL,
      W1: -25n * UNIT,
      E1: EVALUATOR_POOL / 2n - VERIFIER_SLASH,
      E2: EVALUATOR_POOL / 2n - VERIFIER_SLASH,
      Treasury: 25n * UNIT + 2n * VERIFIER_SLASH,
    });
    settledClean(h, before, { W1: 100n * UNIT, E1: 90n * UNIT, E2: 90n * UNIT });
  });

  it("no verifier of the trainer's kernel class: its result is unverifiable without checks", () => {
    const h = market(["E1", "E2"], { ...GPU_BOX, kernel_class: new TextEncoder().encode("aarch64-neon") });
    const before = issuance(h);
    start(h, jobSpec());
    const [c1, c2] = [claim("W1", 0x11, 950_000, { steps: STEPS }), claim("W2", 0x22, 950_000, { steps: STEPS })];
    commitAndReveal(h, [c1, c2]);
    expect(checksOfWorker(h, "W2")).toEqual([]);
    expect(checksOfWorker(h, "W1").length).toBeGreaterThanOrEqual(2);
    expect(h.rt.read((e) => S.Assignments.get(e, [0n, pk("W2")]))?.result?.kernel_class).toEqual(
      new TextEncoder().encode("aarch64-neon"),
    );
    expect(audit(h, "W2")).toBe("Unverifiable");
    runChecks(h, 0n, [c1, c2]);
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Passed", "Unverifiable"]);
    attest(h);
    expect(status(h)).toBe("Succeeded");
    expect(gains(h, ["Client", "W1", "W2", "E1", "E2"])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL / 2n,
      W2: WORKER_POOL / 2n,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      Treasury: TREASURY_SHARE + FEE,
    });
    settledClean(h, before, { W1: 100n * UNIT, W2: 100n * UNIT, E1: 100n * UNIT, E2: 100n * UNIT });
  });
});

describe("bad input", () => {
  it("every check call and challenge refuses what it cannot accept, with its error and no change", () => {
    // Long check stages: every refused call below takes a block.
    const h = market(["E1", "E2", "E3"], GPU_BOX, { jobManager: { audit_stage_blocks: 500 } });
    const before = issuance(h);
    start(h, jobSpec({ evaluators: 3 }));
    const [c1, c2] = [claim("W1", 0x11, 950_000, { steps: STEPS }), claim("W2", 0x22, 950_000, { steps: STEPS })];
    commitAndReveal(h, [c1, c2]);
    h.noop("E3", challenge(0n, "W1", 3), "JobManager", "NotChallengeable");
    // W1's last segment: serving.
    const { id, check } = checksOfWorker(h, "W1")[0];
    const seg = check.segment;
    expect([seg, check.stage.tag]).toEqual([SEGMENTS, "Serving"]);
    const [a, b] = check.votes.map((v) => nameOf(v.verifier));
    const end = c1.leaves[seg - 1];
    h.noop("W1", serveCheckpoint(9n, id, c1, seg), "JobManager", "JobNotFound");
    h.noop("W1", serveCheckpoint(0n, 999, c1, seg), "JobManager", "CheckNotFound");
    h.noop("W2", serveCheckpoint(0n, id, c1, seg), "JobManager", "NotCheckedWorker");
    const served = serveCheckpoint(0n, id, c1, seg);
    const wrongProof = {
      ...served,
      value: { ...served.value, value: { ...served.value.value, proof: proofOf(c1, seg) } },
    };
    h.noop("W1", wrongProof, "JobManager", "InvalidProof");
    const wrongHash = { ...served, value: { ...served.value, value: { ...served.value.value, state_hash: end } } };
    h.noop("W1", wrongHash, "JobManager", "InvalidProof");
    const badCid = {
      ...served,
      value: { ...served.value, value: { ...served.value.value, cid: new Uint8Array([1]) } },
    };
    h.noop("W1", badCid, "JobManager", "InvalidCid");
    h.noop(a, commitVerdict(0n, id, a, end), "JobManager", "WrongCheckStage");
    h.noop("W1", openLeaf(0n, id, c1, seg), "JobManager", "WrongCheckStage");
    h.noop(a, revealVerdict(0n, id, end), "JobManager", "WrongCheckStage");
    h.noop("Client", commitVerdict(0n, id, "Client", end), "JobManager", "NotVerifier");
    h.send("W1", served);
    expect(h.rt.read((e) => S.Checks.get(e, [0n, id]))?.start).toEqual({
      cid: checkpointCid(seg - 1),
      state_hash: c1.leaves[seg - 2],
    });
    h.noop("W1", served, "JobManager", "WrongCheckStage");
    h.send(a, commitVerdict(0n, id, a, end));
    h.noop(a, commitVerdict(0n, id, a, end), "JobManager", "AlreadyCommitted");
    h.noop(a, revealVerdict(0n, id, end), "JobManager", "WrongCheckStage");
    h.send(b, commitVerdict(0n, id, b, end));
    // Opening: the trainer proves its end leaf.
    const opened = openLeaf(0n, id, c1, seg);
    h.noop("W2", opened, "JobManager", "NotCheckedWorker");
    const openWrong = {
      ...opened,
      value: { ...opened.value, value: { ...opened.value.value, proof: proofOf(c1, 1) } },
    };
    h.noop("W1", openWrong, "JobManager", "InvalidProof");
    const openOther = {
      ...opened,
      value: { ...opened.value, value: { ...opened.value.value, state_hash: c1.leaves[0] } },
    };
    h.noop("W1", openOther, "JobManager", "InvalidProof");
    h.noop(a, revealVerdict(0n, id, end), "JobManager", "WrongCheckStage");
    h.send("W1", opened);
    h.noop("W1", opened, "JobManager", "WrongCheckStage");
    h.noop(a, revealVerdict(0n, id, end, salt(1)), "JobManager", "CommitmentMismatch");
    h.noop(a, revealVerdict(0n, id, c1.leaves[0]), "JobManager", "CommitmentMismatch");
    h.noop(b, revealVerdict(0n, id, c1.leaves[0], VERDICT_SALT), "JobManager", "CommitmentMismatch");
    h.send(a, revealVerdict(0n, id, end));
    h.noop(a, revealVerdict(0n, id, end), "JobManager", "AlreadyRevealed");
    h.noop("Client", revealVerdict(0n, id, end), "JobManager", "NotVerifier");
    runChecks(h, 0n, [c1, c2]);
    expect(status(h)).toBe("AwaitingTestSet");
    // Challenges.
    h.noop("E3", challenge(0n, "W1", 0), "JobManager", "UnknownLeaf");
    h.noop("E3", challenge(0n, "W1", SEGMENTS + 1), "JobManager", "UnknownLeaf");
    h.noop("E3", challenge(0n, "E1", 3), "JobManager", "NotAssigned");
    h.noop("W2", challenge(0n, "W1", 3), "WorkerRegistry", "MissingRole");
    h.noop("Client", challenge(0n, "W1", 3), "WorkerRegistry", "NotRegistered");
    h.noop("E3", challenge(1n, "W1", 3), "JobManager", "JobNotFound");
    h.sudo(setParameterCall(JOB_MANAGER.challenge_bond, 20_000n * UNIT));
    h.noop("E3", challenge(0n, "W1", 3), "Balances", "InsufficientBalance");
    h.sudo(setParameterCall(JOB_MANAGER.challenge_bond, undefined));
    h.send("E3", challenge(0n, "W1", 3));
    h.noop("E3", challenge(0n, "W1", 3), "JobManager", "ChallengeOpen");
    runChecks(h, 0n, [c1, c2]);
    attest(h);
    expect(status(h)).toBe("Succeeded");
    h.noop("E3", challenge(0n, "W1", 3), "JobManager", "NotChallengeable");
    // W1 kept the bond of the failed challenge.
    expect(gains(h, ["Client", "W1", "W2", "E1", "E2", "E3"])).toEqual({
      Client: -(REWARD + FEE),
      W1: WORKER_POOL / 2n + BOND,
      W2: WORKER_POOL / 2n,
      E1: EVALUATOR_POOL / 3n,
      E2: EVALUATOR_POOL / 3n,
      E3: EVALUATOR_POOL / 3n - BOND,
      Treasury: TREASURY_SHARE + FEE,
    });
    settledClean(h, before, { W1: 100n * UNIT, W2: 100n * UNIT, E1: 100n * UNIT, E2: 100n * UNIT, E3: 100n * UNIT });
  });
});
