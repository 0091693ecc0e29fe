/**
 * The job manager's phase logic: the deadline queue, moving escrow and stakes, the
 * transitions at deadlines (`on_initialize`) and the settlement from the revealed attestations.
 */
import { bytesEqual } from "../../../primitives/hex.js";
import { TREASURY_ACCOUNT } from "../../constants.js";
import { addWeight, DispatchError, weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { repatriateReserved, unreserve } from "../balances.js";
import { JOB_MANAGER, param } from "../parameters/index.js";
import { findAuthor } from "../session.js";
import { accountExists } from "../system.js";
import { mulPpm, noteJobEnded, recordSlash, type SlashReasonName, slashRegistrationStake } from "../workerRegistry.js";
import { agreeingVerifiers, onCheckDeadlines, setJobPhaseHooks, startAudits } from "./audit.js";
import { notifyJobEnded } from "./listeners.js";
import { JobManager, MAX_DEADLINES_PER_BLOCK, now, SETTLE_WEIGHT, w } from "./pallet.js";
import {
  type AccuraciesValue,
  type FailureReasonName,
  isFinal,
  type JobStatusValue,
  type JobValue,
  type PendingSettlementValue,
} from "./types.js";

const S = JobManager.storage;

// ---- Deadlines ----

/** Queues `jobId` at block `at` or, if that block is full, the first later block with room. */
export function schedule(ext: Ext, jobId: bigint, at: number): number {
  for (let b = at; ; b++) {
    const queue = S.DeadlineQueue.getOrDefault(ext, b);
    if (queue.length >= MAX_DEADLINES_PER_BLOCK) continue;
    queue.push(jobId);
    S.DeadlineQueue.insert(ext, b, queue);
    return b;
  }
}

export function unschedule(ext: Ext, jobId: bigint, at: number): void {
  const queue = S.DeadlineQueue.getOrDefault(ext, at).filter((id) => id !== jobId);
  if (queue.length === 0) S.DeadlineQueue.remove(ext, at);
  else S.DeadlineQueue.insert(ext, at, queue);
}

/** Moves `job` to `status` with a new deadline `length` blocks from now. */
export function nextPhase(ext: Ext, id: bigint, job: JobValue, status: JobStatusValue, length: number): number {
  unschedule(ext, id, job.deadline);
  job.status = status;
  job.deadline = schedule(ext, id, now(ext) + length);
  return job.deadline;
}

// ---- Money (infallible: payees exist, amounts come from what is held) ----

/** Pays `amount` of the client's escrow to `to` (to the treasury if `to` no longer exists). */
function payFromEscrow(ext: Ext, job: JobValue, to: Uint8Array, amount: bigint): Uint8Array {
  const dest = accountExists(ext, to) ? to : TREASURY_ACCOUNT;
  if (amount === 0n) return dest;
  const moved = amount - repatriateReserved(ext, job.client, dest, amount);
  job.held -= moved;
  return dest;
}

export function refundClient(ext: Ext, id: bigint, job: JobValue): void {
  const amount = job.held;
  if (amount === 0n) return;
  unreserve(ext, job.client, amount);
  job.held = 0n;
  JobManager.deposit(ext, { tag: "ClientRefunded", value: { job_id: id, client: job.client, amount } });
}

export function releaseStake(ext: Ext, id: bigint, worker: Uint8Array): void {
  const a = S.Assignments.get(ext, [id, worker]);
  if (!a || a.stake === 0n) return;
  unreserve(ext, worker, a.stake);
  JobManager.deposit(ext, { tag: "StakeReleased", value: { job_id: id, worker, amount: a.stake } });
  S.Assignments.insert(ext, [id, worker], { ...a, stake: 0n });
}

/** Slashes `worker_slash_ppm` of a trainer's job stake to the treasury and returns the rest. */
function slashStake(ext: Ext, id: bigint, worker: Uint8Array, reason: SlashReasonName): void {
  const a = S.Assignments.get(ext, [id, worker]);
  if (!a) return;
  const wanted = mulPpm(param(ext, JOB_MANAGER.worker_slash_ppm), a.stake);
  const slashed = wanted - repatriateReserved(ext, worker, TREASURY_ACCOUNT, wanted);
  S.Assignments.insert(ext, [id, worker], { ...a, stake: a.stake - slashed });
  recordSlash(ext, worker, id, slashed, reason);
  releaseStake(ext, id, worker);
}

/** Splits `pool` equally between `payees`; returns what was paid in all. */
function payPool(
  ext: Ext,
  id: bigint,
  job: JobValue,
  pool: bigint,
  payees: Uint8Array[],
  role: "worker" | "evaluator",
) {
  if (payees.length === 0) return 0n;
  const each = pool / BigInt(payees.length);
  for (const who of payees) {
    payFromEscrow(ext, job, who, each);
    if (role === "worker")
      JobManager.deposit(ext, { tag: "WorkerRewarded", value: { job_id: id, worker: who, amount: each } });
    else JobManager.deposit(ext, { tag: "EvaluatorRewarded", value: { job_id: id, evaluator: who, amount: each } });
  }
  return each * BigInt(payees.length);
}

/**
 * A full payout: `winners` share the worker pool, `evaluators` the evaluator pool, the block author the
 * network fee, the treasury the rest of the reward.
 */
function payOut(ext: Ext, id: bigint, job: JobValue, winners: Uint8Array[], evaluators: Uint8Array[]): void {
  const workerShare = param(ext, JOB_MANAGER.worker_share_ppm);
  const evaluatorShare = param(ext, JOB_MANAGER.evaluator_share_ppm);
  payPool(ext, id, job, mulPpm(workerShare, job.reward), winners, "worker");
  payPool(ext, id, job, mulPpm(evaluatorShare, job.reward), evaluators, "evaluator");
  if (job.network_fee > 0n) {
    const to = payFromEscrow(ext, job, findAuthor(ext) ?? TREASURY_ACCOUNT, job.network_fee);
    JobManager.deposit(ext, { tag: "NetworkFeePaid", value: { job_id: id, to, amount: job.network_fee } });
  }
  const rest = job.held;
  payFromEscrow(ext, job, TREASURY_ACCOUNT, rest);
  JobManager.deposit(ext, { tag: "TreasuryPaid", value: { job_id: id, amount: rest } });
}

export function finish(ext: Ext, id: bigint, job: JobValue, status: JobStatusValue): void {
  job.status = status;
  job.deadline = 0;
  S.Jobs.insert(ext, id, job);
  S.ActiveJobs.put(ext, Math.max(S.ActiveJobs.getOrDefault(ext) - 1, 0));
  notifyJobEnded(ext, id, job);
}

// ---- Phase logic ----

/** The trainers that committed to a result. */
export function committers(ext: Ext, id: bigint, job: JobValue): Uint8Array[] {
  return job.workers.filter((who) => S.Assignments.get(ext, [id, who])?.commitment !== undefined);
}

/** The trainers that revealed their result. */
export function revealers(ext: Ext, id: bigint, job: JobValue): Uint8Array[] {
  return job.workers.filter((who) => S.Assignments.get(ext, [id, who])?.result !== undefined);
}

const auditFailed = (ext: Ext, id: bigint, who: Uint8Array) =>
  S.Assignments.get(ext, [id, who])?.audit.tag === "Failed";

/** Commitments are closed: trainers reveal their results. */
export function startResultReveal(ext: Ext, id: bigint, job: JobValue): void {
  const reveal_by = nextPhase(ext, id, job, { tag: "RevealingResults" }, param(ext, JOB_MANAGER.result_reveal_blocks));
  JobManager.deposit(ext, { tag: "ResultRevealStarted", value: { job_id: id, reveal_by } });
}

/**
 * Reveals are closed: committed trainers that did not reveal are slashed like a missed submission; the
 * revealed results are audited (`audit.ts`), or the job fails without any.
 */
export function endResultReveal(ext: Ext, id: bigint, job: JobValue): void {
  const revealed = revealers(ext, id, job);
  for (const worker of committers(ext, id, job)) {
    if (revealed.some((r) => bytesEqual(r, worker))) continue;
    slashStake(ext, id, worker, "MissedSubmission");
    noteJobEnded(ext, worker, "failed");
  }
  if (revealed.length === 0) {
    failWithoutResults(ext, id, job);
    return;
  }
  unschedule(ext, id, job.deadline);
  job.status = { tag: "Auditing" };
  job.deadline = 0;
  const checks = startAudits(ext, id, job, revealed);
  JobManager.deposit(ext, { tag: "AuditsStarted", value: { job_id: id, checks } });
  if (job.open_checks === 0) auditsDone(ext, id, job);
}

/** Every audit concluded: the results that did not fail go on to the test set. */
function auditsDone(ext: Ext, id: bigint, job: JobValue): void {
  job.results = revealers(ext, id, job).filter((who) => !auditFailed(ext, id, who));
  if (job.results.length > 0) {
    requestTestSet(ext, id, job);
    return;
  }
  // Every result was a fraud: the verifiers that proved it are paid, the client gets the rest back.
  payPool(
    ext,
    id,
    job,
    mulPpm(param(ext, JOB_MANAGER.evaluator_share_ppm), job.reward),
    agreeingVerifiers(ext, id, job),
    "evaluator",
  );
  for (const e of job.evaluators) noteJobEnded(ext, e, "neutral");
  refundClient(ext, id, job);
  finish(ext, id, job, { tag: "Failed", value: { tag: "AuditsFailed" } });
  JobManager.deposit(ext, { tag: "JobFailed", value: { job_id: id, reason: { tag: "AuditsFailed" } } });
}

export function requestTestSet(ext: Ext, id: bigint, job: JobValue): void {
  const reveal_by = nextPhase(ext, id, job, { tag: "AwaitingTestSet" }, job.spec.deadlines.reveal_test_set);
  JobManager.deposit(ext, { tag: "TestSetRequested", value: { job_id: id, results: job.results.length, reveal_by } });
}

export function startReveal(ext: Ext, id: bigint, job: JobValue): void {
  const reveal_by = nextPhase(ext, id, job, { tag: "Revealing" }, job.spec.deadlines.reveal);
  JobManager.deposit(ext, { tag: "AttestationRevealStarted", value: { job_id: id, reveal_by } });
}

/** `Open` past its deadline: refund the client, return any stakes. */
function expire(ext: Ext, id: bigint, job: JobValue): void {
  for (const worker of job.workers) {
    releaseStake(ext, id, worker);
    noteJobEnded(ext, worker, "neutral");
  }
  refundClient(ext, id, job);
  finish(ext, id, job, { tag: "Expired" });
  JobManager.deposit(ext, { tag: "JobExpired", value: { job_id: id } });
}

/** `Training` past its deadline: slash the trainers without a commitment; reveal the others, or fail. */
function endCommitting(ext: Ext, id: bigint, job: JobValue): void {
  const done = committers(ext, id, job);
  for (const worker of job.workers) {
    if (done.some((d) => bytesEqual(d, worker))) continue;
    slashStake(ext, id, worker, "MissedSubmission");
    noteJobEnded(ext, worker, "failed");
  }
  if (done.length > 0) {
    startResultReveal(ext, id, job);
    return;
  }
  failWithoutResults(ext, id, job);
}

function failWithoutResults(ext: Ext, id: bigint, job: JobValue): void {
  unschedule(ext, id, job.deadline);
  for (const e of job.evaluators) noteJobEnded(ext, e, "neutral");
  refundClient(ext, id, job);
  finish(ext, id, job, { tag: "Failed", value: { tag: "NoResults" } });
  JobManager.deposit(ext, { tag: "JobFailed", value: { job_id: id, reason: { tag: "NoResults" } } });
}

/**
 * Settles now, or, while checks (challenges) are open, once the last one concludes: the job then waits
 * with no deadline of its own, since every check's stages have theirs.
 */
export function settleOrWait(ext: Ext, id: bigint, job: JobValue, how: PendingSettlementValue): void {
  // Settling from a call (the last reveal) leaves the phase's deadline queued otherwise.
  unschedule(ext, id, job.deadline);
  job.deadline = 0;
  if (job.open_checks > 0) job.pending_settlement = how;
  else if (how.tag === "Attested") settle(ext, id, job);
  else settleWithoutTestSet(ext, id, job);
}

/** `AwaitingTestSet` past its deadline: pay out as if every result passed. */
function settleWithoutTestSet(ext: Ext, id: bigint, job: JobValue): void {
  job.pending_settlement = undefined;
  const done = job.results.filter((who) => !auditFailed(ext, id, who));
  payOut(ext, id, job, done, mergeAccounts(job.evaluators, agreeingVerifiers(ext, id, job)));
  for (const worker of done) {
    releaseStake(ext, id, worker);
    noteJobEnded(ext, worker, "neutral");
  }
  for (const e of job.evaluators) noteJobEnded(ext, e, "neutral");
  finish(ext, id, job, { tag: "TestSetWithheld" });
  JobManager.deposit(ext, { tag: "JobSettledWithoutTestSet", value: { job_id: id } });
}

/** `a` then the accounts of `b` not in `a`. */
function mergeAccounts(a: Uint8Array[], b: Uint8Array[]): Uint8Array[] {
  return [...a, ...b.filter((x) => !a.some((y) => bytesEqual(x, y)))];
}

/** The value more than half of `values` share, if any. */
function majority(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const [v, n] of counts) if (2 * n > values.length) return v;
  return undefined;
}

/** Settlement from the revealed attestations (see the module docs). */
export function settle(ext: Ext, id: bigint, job: JobValue): void {
  job.pending_settlement = undefined;
  const results = job.results;
  const revealed: { who: Uint8Array; accuracies: AccuraciesValue }[] = [];
  for (const e of job.evaluators) {
    const accuracies = S.Attestations.get(ext, [id, e])?.accuracies;
    if (accuracies) revealed.push({ who: e, accuracies });
    else {
      slashRegistrationStake(ext, e, param(ext, JOB_MANAGER.evaluator_slash_ppm), id, "MissedAttestation");
      noteJobEnded(ext, e, "failed");
    }
  }
  // Reveals list the results in assignment order, so the i-th entry of every reveal is results[i].
  const agreed = results.map((_, i) => majority(revealed.map((r) => r.accuracies[i][1])));
  const agreeingEvaluators = revealed
    .filter((r) => agreed.every((a, i) => a === undefined || r.accuracies[i][1] === a))
    .map((r) => r.who);
  const agreeing = mergeAccounts(agreeingEvaluators, agreeingVerifiers(ext, id, job));
  const passed: Uint8Array[] = [];
  let best = 0;
  results.forEach((worker, i) => {
    const accuracy = agreed[i];
    // A result a challenge proved faked after it was scored is never paid.
    const ok = accuracy !== undefined && accuracy >= job.spec.min_accuracy_ppm && !auditFailed(ext, id, worker);
    const a = S.Assignments.get(ext, [id, worker])!;
    S.Assignments.insert(ext, [id, worker], { ...a, accuracy_ppm: accuracy });
    JobManager.deposit(ext, {
      tag: "ResultScored",
      value: { job_id: id, worker, accuracy_ppm: accuracy, passed: ok },
    });
    if (ok) {
      passed.push(worker);
      if (accuracy > best) best = accuracy;
    }
  });
  if (passed.length > 0) payOut(ext, id, job, passed, agreeing);
  else payPool(ext, id, job, mulPpm(param(ext, JOB_MANAGER.evaluator_share_ppm), job.reward), agreeing, "evaluator");
  results.forEach((worker, i) => {
    // A result a challenge proved faked has been slashed and ended for its trainer already.
    if (auditFailed(ext, id, worker)) return;
    const accuracy = agreed[i];
    if (accuracy !== undefined && accuracy < job.spec.min_accuracy_ppm) {
      slashStake(ext, id, worker, "BelowMinimumAccuracy");
      noteJobEnded(ext, worker, "failed");
    } else {
      releaseStake(ext, id, worker);
      noteJobEnded(ext, worker, accuracy === undefined ? "neutral" : "succeeded");
    }
  });
  for (const r of revealed)
    noteJobEnded(ext, r.who, agreeingEvaluators.some((a) => bytesEqual(a, r.who)) ? "succeeded" : "neutral");
  if (passed.length > 0) {
    finish(ext, id, job, { tag: "Succeeded" });
    JobManager.deposit(ext, { tag: "JobSucceeded", value: { job_id: id, accuracy_ppm: best, passed: passed.length } });
    return;
  }
  refundClient(ext, id, job);
  const reason: FailureReasonName = agreed.some((a) => a !== undefined) ? "BelowMinimumAccuracy" : "NoQuorum";
  finish(ext, id, job, { tag: "Failed", value: { tag: reason } });
  JobManager.deposit(ext, { tag: "JobFailed", value: { job_id: id, reason: { tag: reason } } });
}

function onDeadline(ext: Ext, id: bigint, block: number): void {
  const job = S.Jobs.get(ext, id);
  if (!job || job.deadline !== block) return;
  const status = job.status.tag;
  if (status === "Open") expire(ext, id, job);
  else if (status === "Training") endCommitting(ext, id, job);
  else if (status === "RevealingResults") endResultReveal(ext, id, job);
  else if (status === "AwaitingTestSet") settleOrWait(ext, id, job, { tag: "WithoutTestSet" });
  else if (status === "Committing" && job.evaluators.some((e) => S.Attestations.contains(ext, [id, e])))
    startReveal(ext, id, job);
  else if (status === "Committing" || status === "Revealing") settleOrWait(ext, id, job, { tag: "Attested" });
  // Phase changes write the job here; endings have written it already.
  if (!isFinal(job.status)) S.Jobs.insert(ext, id, job);
}

setJobPhaseHooks({
  auditsDone,
  settleNow: (ext, id, job) =>
    job.pending_settlement?.tag === "WithoutTestSet" ? settleWithoutTestSet(ext, id, job) : settle(ext, id, job),
});

JobManager.defineHooks({
  onInitialize(ext, n) {
    const checks = onCheckDeadlines(ext, n);
    const due = S.DeadlineQueue.get(ext, n);
    if (!due) return addWeight(w(2n, 0n), weight(SETTLE_WEIGHT.ref_time * BigInt(checks)));
    S.DeadlineQueue.remove(ext, n);
    for (const id of due) {
      try {
        ext.transactional(() => onDeadline(ext, id, n));
      } catch (err) {
        // A deadline must never make the block invalid; a failure here is a bug, kept visible.
        if (!(err instanceof DispatchError)) throw err;
        JobManager.deposit(ext, { tag: "DeadlineFailed", value: { job_id: id } });
      }
    }
    return addWeight(w(2n, 1n), weight(SETTLE_WEIGHT.ref_time * BigInt(due.length + checks)));
  },
});
