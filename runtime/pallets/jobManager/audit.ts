/**
 * Verified training (DESIGN §6): the checks that decide whether a trainer really ran its segments.
 *
 * A check re-executes one segment of one trainer's work: segment i runs the `checkpoint_interval`
 * steps from leaf i-1 (the client's model for i = 1) to leaf i of the trainer's work root. Three kinds:
 * - `Audit`: when the results are revealed, randomness from the block that starts the audits draws,
 *   per result, the last segment plus `audit_segments` others, pairwise non-adjacent (no audited
 *   segment's end is another's start), each with `audit_verifiers` verifiers; the segments ending at
 *   the trainer's PoUW-ticketed leaves are audited too (`TicketedLeaves`), and a served or opened leaf
 *   whose leaf node is not its ticket's leaf hash fails the check at once;
 * - `Escalation`: a check whose verifiers disagreed is re-run by `2·audit_verifiers + 1` fresh ones;
 * - `Challenge`: after the audits, any active evaluator may bond `challenge_bond` on any segment.
 * Verifiers are active evaluators of the trainer's CPU kernel class (bit-identical `cpu-exact` results
 * need the same kernels), never a trainer or the client of the job (nor the challenger), drawn weighted
 * by registration stake. A result with no verifier of its class is `Unverifiable`.
 *
 * Stages (each `audit_stage_blocks` long; `on_initialize` ends a stage at its deadline):
 * 1. `Serving` (segments > 1): the trainer serves the start checkpoint's CID and state hash with a
 *    Merkle proof under its work root. Not served in time: the check fails.
 * 2. `Committing`: verifiers fetch the checkpoint, re-execute, and commit
 *    `blake2_256(SCALE((job_id, check_id, verifier, end_hash, salt)))`. Until then the trainer has
 *    published nothing about the segment's end, so a verifier cannot answer without computing.
 * 3. `Opening` (skipped when the end leaf is known): the trainer opens leaf i with its proof. Not opened
 *    in time: the check fails.
 * 4. `Revealing`: verifiers reveal their end hashes.
 * Verdict, from the revealed hashes: all equal to the leaf → `Passed`; all equal to each other but not
 * to the leaf → `Failed`; disagreeing → `Escalated` (an escalation takes the strict majority, else
 * `Inconclusive`); none revealed → `Inconclusive`. Drawn verifiers that did not reveal are slashed
 * (`evaluator_slash_ppm` of their registration stake); so are those an escalation proves wrong. The
 * verifiers that revealed the agreed hash share the evaluator pool with the agreeing evaluators.
 *
 * Effects on the trainer: a `Failed` check slashes `audit_slash_ppm` of its job stake (once), marks its
 * result `Failed` and takes it out of scoring and payment; a challenger that proved it gets its bond
 * back plus `challenger_reward_ppm` of the slash, the treasury the rest. A `Passed` challenge pays the
 * bond to the trainer; an `Inconclusive` one returns it. When a job's last open check concludes, an
 * auditing job moves on to the test set and a settlement that waited for challenges runs.
 */
import { blake2_256, concat } from "../../../primitives/hashing.js";
import { bytesEqual } from "../../../primitives/hex.js";
import { T } from "../../../primitives/scale/types.js";
import { leafCount, workLeaf } from "../../../primitives/workRoot.js";
import { TREASURY_ACCOUNT } from "../../constants.js";
import { DispatchError } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { blockPreDigest, randomnessForSubject } from "../babe.js";
import { repatriateReserved, unreserve } from "../balances.js";
import { JOB_MANAGER, param } from "../parameters/index.js";
import { evaluatorPool, mulPpm, noteJobEnded, recordSlash, slashRegistrationStake } from "../workerRegistry.js";
import { drawWeighted } from "./draw.js";
import { notifyAuditConcluded, ticketedLeavesOf } from "./listeners.js";
import { checksOf, JobManager, MAX_CHECK_DEADLINES_PER_BLOCK, now } from "./pallet.js";
import type {
  AuditVerdictName,
  CheckKindValue,
  CheckValue,
  CheckVerdictName,
  JobResultValue,
  JobValue,
} from "./types.js";

const S = JobManager.storage;

const AUDIT_SUBJECT = new TextEncoder().encode("tensorchain/jobManager/audit");

/** Hooks into the job's phase logic (`settlement.ts`), given at wiring time to avoid an import cycle. */
export interface JobPhaseHooks {
  /** The job's audits all concluded: go on to the test set (or end the job). */
  auditsDone(ext: Ext, id: bigint, job: JobValue): void;
  /** A settlement was waiting for the job's open checks. */
  settleNow(ext: Ext, id: bigint, job: JobValue): void;
}
let hooks: JobPhaseHooks | undefined;
export function setJobPhaseHooks(h: JobPhaseHooks): void {
  hooks = h;
}

// ---- Randomness and draws ----

/**
 * The seed of a job's audits: the epoch randomness for `subject ++ u64_le(job_id)` mixed with the VRF
 * output of the block that starts them, which nobody knew when the results were committed.
 */
export function auditSeed(ext: Ext, jobId: bigint): Uint8Array {
  const epoch = randomnessForSubject(ext, concat(AUDIT_SUBJECT, T.u64.enc(jobId)));
  const vrf = blockPreDigest(ext)?.preOutput ?? new Uint8Array(0);
  return blake2_256(concat(epoch, vrf));
}

function u64Of(seed: Uint8Array, i: number): bigint {
  const h = blake2_256(concat(seed, T.u32.enc(i)));
  let r = 0n;
  for (let j = 7; j >= 0; j--) r = (r << 8n) | BigInt(h[j]);
  return r;
}

/**
 * The audited segments of a result with `leaves` segments: the last, then up to `extra` others drawn
 * uniformly among those not adjacent to any drawn one (draw `i` takes index `u64_le(blake2_256(seed ++
 * u32_le(i))) mod remaining`), in draw order.
 */
export function drawSegments(leaves: number, extra: number, seed: Uint8Array): number[] {
  const drawn = [leaves];
  let eligible = Array.from({ length: Math.max(leaves - 2, 0) }, (_, i) => i + 1); // 1..leaves-2
  for (let i = 0; i < extra && eligible.length > 0; i++) {
    const pick = eligible[Number(u64Of(seed, i) % BigInt(eligible.length))];
    drawn.push(pick);
    eligible = eligible.filter((s) => Math.abs(s - pick) >= 2);
  }
  return drawn;
}

function subSeed(seed: Uint8Array, worker: Uint8Array, tag: number): Uint8Array {
  return blake2_256(concat(seed, worker, T.u32.enc(tag)));
}

// ---- Check lifecycle ----

function scheduleCheck(ext: Ext, jobId: bigint, checkId: number, at: number): number {
  for (let b = at; ; b++) {
    const queue = S.CheckQueue.getOrDefault(ext, b);
    if (queue.length >= MAX_CHECK_DEADLINES_PER_BLOCK) continue;
    queue.push([jobId, checkId]);
    S.CheckQueue.insert(ext, b, queue);
    return b;
  }
}

function unscheduleCheck(ext: Ext, jobId: bigint, checkId: number, at: number): void {
  const queue = S.CheckQueue.getOrDefault(ext, at).filter(([j, c]) => j !== jobId || c !== checkId);
  if (queue.length === 0) S.CheckQueue.remove(ext, at);
  else S.CheckQueue.insert(ext, at, queue);
}

/** Moves `check` to `stage` with a fresh deadline. */
function enterStage(ext: Ext, jobId: bigint, checkId: number, check: CheckValue, stage: CheckValue["stage"]): void {
  unscheduleCheck(ext, jobId, checkId, check.deadline);
  check.stage = stage;
  check.deadline = scheduleCheck(ext, jobId, checkId, now(ext) + param(ext, JOB_MANAGER.audit_stage_blocks));
}

/** Verifiers a check of `worker`'s result may draw: its kernel class, outside the job and `exclude`. */
export function verifierPool(ext: Ext, job: JobValue, result: JobResultValue, exclude: Uint8Array[] = []) {
  return evaluatorPool(ext, [job.client, ...job.workers, ...exclude], result.kernel_class);
}

/** Opens a check with `verifiers`; returns its id. The caller writes `job`. */
export function openCheck(
  ext: Ext,
  jobId: bigint,
  job: JobValue,
  worker: Uint8Array,
  segment: number,
  kind: CheckKindValue,
  verifiers: Uint8Array[],
  known: { start?: CheckValue["start"]; end_leaf?: Uint8Array } = {},
): number {
  const checkId = job.checks;
  job.checks += 1;
  job.open_checks += 1;
  const check: CheckValue = {
    worker,
    segment,
    kind,
    stage: { tag: "Committing" },
    deadline: 0,
    start: known.start,
    end_leaf: known.end_leaf,
    votes: verifiers.map((verifier) => ({ verifier, commitment: undefined, end_hash: undefined })),
    agreed: undefined,
  };
  // Segment 1 starts from the client's model, which everyone has.
  const stage = segment === 1 || known.start !== undefined ? "Committing" : "Serving";
  enterStage(ext, jobId, checkId, check, { tag: stage });
  S.Checks.insert(ext, [jobId, checkId], check);
  JobManager.deposit(ext, {
    tag: "CheckOpened",
    value: { job_id: jobId, check_id: checkId, worker, segment, kind, verifiers },
  });
  return checkId;
}

/**
 * Draws the audits of every revealed result (see the module docs); results without a verifier of
 * their class are `Unverifiable`. Every leaf the trainer put a PoUW ticket on is audited too (its
 * segment ends there), so a ticket is a pre-commitment the audit holds the trainer to; a result with
 * fewer leaves than a ticketed one contradicts its tickets and fails at once. Returns how many checks
 * were opened. The caller writes `job`.
 */
export function startAudits(ext: Ext, jobId: bigint, job: JobValue, results: Uint8Array[]): number {
  const seed = auditSeed(ext, jobId);
  const extra = param(ext, JOB_MANAGER.audit_segments);
  const perSegment = param(ext, JOB_MANAGER.audit_verifiers);
  let opened = 0;
  for (const worker of results) {
    const a = S.Assignments.get(ext, [jobId, worker])!;
    const result = a.result!;
    const leaves = leafCount(result.steps, job.spec.checkpoint_interval);
    const ticketed = ticketedLeavesOf(ext, jobId, worker).map((t) => t.leaf);
    if (ticketed.some((leaf) => leaf > leaves)) {
      slashForFraud(ext, jobId, worker);
      continue;
    }
    const pool = verifierPool(ext, job, result);
    // `GpuTolerance` results are not bit-reproducible: no exact audit applies.
    if (pool.length === 0 || job.spec.profile.tag !== "CpuExact") {
      setAudit(ext, jobId, worker, "Unverifiable");
      continue;
    }
    const drawn = drawSegments(leaves, extra, subSeed(seed, worker, 0));
    const segments = [...drawn, ...ticketed.filter((leaf) => !drawn.includes(leaf))];
    for (const segment of segments) {
      const verifiers = drawWeighted(pool, perSegment, subSeed(seed, worker, segment)).map((c) => c.who);
      openCheck(ext, jobId, job, worker, segment, { tag: "Audit" }, verifiers);
      opened++;
    }
  }
  return opened;
}

/**
 * Whether `stateHash`, proved as leaf `leaf` of `worker`'s work root, contradicts a PoUW ticket the
 * trainer put on that leaf (the ticket's leaf hash is not the leaf node of `stateHash`).
 */
export function contradictsTicket(
  ext: Ext,
  jobId: bigint,
  worker: Uint8Array,
  leaf: number,
  stateHash: Uint8Array,
): boolean {
  const t = ticketedLeavesOf(ext, jobId, worker).find((x) => x.leaf === leaf);
  return t !== undefined && !bytesEqual(t.leafHash, workLeaf(leaf, stateHash));
}

/** The trainer proved a leaf its own ticket contradicts: the check fails at once (the trainer is slashed). */
export function failContradicted(ext: Ext, jobId: bigint, checkId: number, check: CheckValue): void {
  finishCheck(ext, jobId, checkId, check, "Failed", undefined);
}

export function setAudit(ext: Ext, jobId: bigint, worker: Uint8Array, verdict: AuditVerdictName): void {
  const a = S.Assignments.get(ext, [jobId, worker]);
  if (!a || a.audit.tag === verdict || a.audit.tag === "Failed") return;
  S.Assignments.insert(ext, [jobId, worker], { ...a, audit: { tag: verdict } });
  JobManager.deposit(ext, { tag: "ResultAudited", value: { job_id: jobId, worker, verdict: { tag: verdict } } });
  notifyAuditConcluded(ext, jobId, worker, verdict);
}

/** Whether every drawn verifier has committed (stage `Committing`) or every committer revealed (`Revealing`). */
function stageComplete(check: CheckValue): boolean {
  if (check.stage.tag === "Committing") return check.votes.every((v) => v.commitment !== undefined);
  if (check.stage.tag === "Revealing")
    return check.votes.every((v) => v.commitment === undefined || v.end_hash !== undefined);
  return false;
}

/** After a call changed `check`: moves it on if its stage is complete, then writes it. */
export function advance(ext: Ext, jobId: bigint, checkId: number, check: CheckValue): void {
  if (check.stage.tag === "Serving" && check.start !== undefined)
    enterStage(ext, jobId, checkId, check, { tag: "Committing" });
  else if (check.stage.tag === "Committing" && stageComplete(check)) afterCommitments(ext, jobId, checkId, check);
  else if (check.stage.tag === "Opening" && check.end_leaf !== undefined)
    enterStage(ext, jobId, checkId, check, { tag: "Revealing" });
  else if (check.stage.tag === "Revealing" && stageComplete(check)) {
    conclude(ext, jobId, checkId, check);
    return;
  }
  S.Checks.insert(ext, [jobId, checkId], check);
}

function afterCommitments(ext: Ext, jobId: bigint, checkId: number, check: CheckValue): void {
  if (!check.votes.some((v) => v.commitment !== undefined)) {
    conclude(ext, jobId, checkId, check);
    return;
  }
  enterStage(ext, jobId, checkId, check, { tag: check.end_leaf === undefined ? "Opening" : "Revealing" });
}

/** A check's stage ended at its deadline. */
function onCheckDeadline(ext: Ext, jobId: bigint, checkId: number, block: number): void {
  const check = S.Checks.get(ext, [jobId, checkId]);
  if (!check || check.deadline !== block) return;
  switch (check.stage.tag) {
    case "Serving":
    case "Opening":
      // The trainer did not serve its start checkpoint, or open its end leaf: it fails the check.
      finishCheck(ext, jobId, checkId, check, "Failed", undefined);
      return;
    case "Committing":
      afterCommitments(ext, jobId, checkId, check);
      // Still open (not concluded for want of commitments): keep the new stage.
      if ((check.stage as CheckValue["stage"]).tag !== "Done") S.Checks.insert(ext, [jobId, checkId], check);
      return;
    case "Revealing":
      conclude(ext, jobId, checkId, check);
      return;
  }
}

/** The value a strict majority of `values` share, if any. */
function majority(values: Uint8Array[]): Uint8Array | undefined {
  for (const v of values) if (2 * values.filter((x) => bytesEqual(x, v)).length > values.length) return v;
  return undefined;
}

/** Reaches the verdict from the revealed hashes (see the module docs). */
function conclude(ext: Ext, jobId: bigint, checkId: number, check: CheckValue): void {
  const slashPpm = param(ext, JOB_MANAGER.evaluator_slash_ppm);
  for (const v of check.votes)
    if (v.end_hash === undefined) slashRegistrationStake(ext, v.verifier, slashPpm, jobId, "MissedVerdict");
  const revealed = check.votes.flatMap((v) => (v.end_hash ? [v.end_hash] : []));
  const leaf = check.end_leaf;
  if (revealed.length === 0 || leaf === undefined) {
    finishCheck(ext, jobId, checkId, check, "Inconclusive", undefined);
    return;
  }
  if (check.kind.tag === "Escalation") {
    const m = majority(revealed);
    if (!m) {
      finishCheck(ext, jobId, checkId, check, "Inconclusive", undefined);
      return;
    }
    finishCheck(ext, jobId, checkId, check, bytesEqual(m, leaf) ? "Passed" : "Failed", m);
    return;
  }
  if (revealed.every((h) => bytesEqual(h, revealed[0])))
    finishCheck(ext, jobId, checkId, check, bytesEqual(revealed[0], leaf) ? "Passed" : "Failed", revealed[0]);
  else escalate(ext, jobId, checkId, check);
}

/** Opens an escalation of `check` with `2·audit_verifiers + 1` fresh verifiers (none left: inconclusive). */
function escalate(ext: Ext, jobId: bigint, checkId: number, check: CheckValue): void {
  const job = S.Jobs.get(ext, jobId)!;
  const result = S.Assignments.get(ext, [jobId, check.worker])!.result!;
  const exclude = [...check.votes.map((v) => v.verifier), ...challengerOf(check.kind)];
  const pool = verifierPool(ext, job, result, exclude);
  if (pool.length === 0) {
    finishCheck(ext, jobId, checkId, check, "Inconclusive", undefined);
    return;
  }
  const size = 2 * param(ext, JOB_MANAGER.audit_verifiers) + 1;
  const verifiers = drawWeighted(pool, size, subSeed(auditSeed(ext, jobId), check.worker, 1_000_000 + checkId)).map(
    (c) => c.who,
  );
  openCheck(ext, jobId, job, check.worker, check.segment, { tag: "Escalation", value: checkId }, verifiers, {
    start: check.start,
    end_leaf: check.end_leaf,
  });
  finishCheck(ext, jobId, checkId, check, "Escalated", undefined, job);
  // The escalation's id and the open-check count live in the job: the caller does not hold it.
  S.Jobs.insert(ext, jobId, job);
}

function challengerOf(kind: CheckKindValue): Uint8Array[] {
  return kind.tag === "Challenge" ? [kind.value.challenger] : [];
}

/**
 * Ends `check` with `verdict` (`agreed`: the end hash it rests on), applies its effects, and moves the
 * job on when it was the last open check. `job` is given when the caller holds it (and writes it).
 */
function finishCheck(
  ext: Ext,
  jobId: bigint,
  checkId: number,
  check: CheckValue,
  verdict: CheckVerdictName,
  agreed: Uint8Array | undefined,
  heldJob?: JobValue,
): void {
  unscheduleCheck(ext, jobId, checkId, check.deadline);
  check.stage = { tag: "Done", value: { tag: verdict } };
  check.deadline = 0;
  check.agreed = agreed;
  S.Checks.insert(ext, [jobId, checkId], check);
  JobManager.deposit(ext, {
    tag: "CheckConcluded",
    value: { job_id: jobId, check_id: checkId, verdict: { tag: verdict } },
  });
  if (verdict === "Escalated") {
    // The escalation check (already opened and counted) decides; this one no longer holds the job.
    heldJob!.open_checks -= 1;
    return;
  }
  // An escalation settles its parent: the parent's verifiers that revealed another hash were wrong.
  let origin = check;
  if (check.kind.tag === "Escalation") {
    const parentId = check.kind.value;
    const parent = S.Checks.get(ext, [jobId, parentId])!;
    if (agreed) {
      const slashPpm = param(ext, JOB_MANAGER.evaluator_slash_ppm);
      for (const v of parent.votes)
        if (v.end_hash && !bytesEqual(v.end_hash, agreed))
          slashRegistrationStake(ext, v.verifier, slashPpm, jobId, "WrongVerdict");
      S.Checks.insert(ext, [jobId, parentId], { ...parent, agreed });
    }
    origin = parent;
  }
  if (agreed) {
    const slashPpm = param(ext, JOB_MANAGER.evaluator_slash_ppm);
    for (const v of check.votes)
      if (v.end_hash && !bytesEqual(v.end_hash, agreed))
        slashRegistrationStake(ext, v.verifier, slashPpm, jobId, "WrongVerdict");
  }
  const job = heldJob ?? S.Jobs.get(ext, jobId)!;
  applyVerdict(ext, jobId, check.worker, origin.kind, verdict);
  job.open_checks -= 1;
  if (job.open_checks === 0) {
    if (job.status.tag === "Auditing") hooks!.auditsDone(ext, jobId, job);
    else if (job.pending_settlement !== undefined) hooks!.settleNow(ext, jobId, job);
  }
  if (!heldJob) S.Jobs.insert(ext, jobId, job);
}

/** What a concluded check means for the trainer (and a challenger's bond). */
function applyVerdict(
  ext: Ext,
  jobId: bigint,
  worker: Uint8Array,
  kind: CheckKindValue,
  verdict: Exclude<CheckVerdictName, "Escalated">,
): void {
  const challenge = kind.tag === "Challenge" ? kind.value : undefined;
  if (verdict === "Failed") {
    const rewarded = slashForFraud(ext, jobId, worker, challenge?.challenger);
    if (challenge) {
      unreserve(ext, challenge.challenger, challenge.bond);
      JobManager.deposit(ext, {
        tag: "ChallengerRewarded",
        value: { job_id: jobId, challenger: challenge.challenger, amount: rewarded },
      });
    }
    return;
  }
  if (challenge) {
    if (verdict === "Passed") {
      const moved = challenge.bond - repatriateReserved(ext, challenge.challenger, worker, challenge.bond);
      JobManager.deposit(ext, {
        tag: "BondForfeited",
        value: { job_id: jobId, challenger: challenge.challenger, to: worker, amount: moved },
      });
    } else unreserve(ext, challenge.challenger, challenge.bond);
    return;
  }
  // Audits: a result passes once all its audits passed; an inconclusive one leaves it unverified.
  if (verdict === "Inconclusive") setAudit(ext, jobId, worker, "Unverifiable");
  else if (!hasOpenAudit(ext, jobId, worker)) {
    const a = S.Assignments.get(ext, [jobId, worker])!;
    if (a.audit.tag === "Pending") setAudit(ext, jobId, worker, "Passed");
  }
}

function hasOpenAudit(ext: Ext, jobId: bigint, worker: Uint8Array): boolean {
  return checksOf(ext, jobId).some(
    ({ check }) => bytesEqual(check.worker, worker) && check.kind.tag !== "Challenge" && check.stage.tag !== "Done",
  );
}

/**
 * Slashes `audit_slash_ppm` of the trainer's job stake (once per job) and returns the rest: the
 * challenger that proved the fraud, if any, gets `challenger_reward_ppm` of the slash, the treasury the
 * remainder. Returns what the challenger got.
 */
function slashForFraud(ext: Ext, jobId: bigint, worker: Uint8Array, challenger?: Uint8Array): bigint {
  const a = S.Assignments.get(ext, [jobId, worker]);
  if (!a || a.audit.tag === "Failed") return 0n;
  const wanted = mulPpm(param(ext, JOB_MANAGER.audit_slash_ppm), a.stake);
  const toChallenger = challenger ? mulPpm(param(ext, JOB_MANAGER.challenger_reward_ppm), wanted) : 0n;
  const rewarded = challenger ? toChallenger - repatriateReserved(ext, worker, challenger, toChallenger) : 0n;
  const toTreasury = wanted - rewarded;
  const slashed = rewarded + toTreasury - repatriateReserved(ext, worker, TREASURY_ACCOUNT, toTreasury);
  if (a.stake > slashed) unreserve(ext, worker, a.stake - slashed);
  S.Assignments.insert(ext, [jobId, worker], { ...a, stake: 0n, audit: { tag: "Failed" } });
  JobManager.deposit(ext, { tag: "ResultAudited", value: { job_id: jobId, worker, verdict: { tag: "Failed" } } });
  notifyAuditConcluded(ext, jobId, worker, "Failed");
  recordSlash(ext, worker, jobId, slashed, "FailedAudit");
  noteJobEnded(ext, worker, "failed");
  return rewarded;
}

/** Handles the checks whose stage ends at block `n` (from the pallet's `on_initialize`). */
export function onCheckDeadlines(ext: Ext, n: number): number {
  const due = S.CheckQueue.get(ext, n);
  if (!due) return 0;
  S.CheckQueue.remove(ext, n);
  for (const [jobId, checkId] of due) {
    try {
      ext.transactional(() => onCheckDeadline(ext, jobId, checkId, n));
    } catch (err) {
      // A deadline must never make the block invalid; a failure here is a bug, kept visible.
      if (!(err instanceof DispatchError)) throw err;
      JobManager.deposit(ext, { tag: "DeadlineFailed", value: { job_id: jobId } });
    }
  }
  return due.length;
}

/** Whether `worker`'s segment is being checked right now. */
export function segmentUnderCheck(
  ext: Ext,
  jobId: bigint,
  job: JobValue,
  worker: Uint8Array,
  segment: number,
): boolean {
  return checksOf(ext, jobId, job.checks).some(
    ({ check }) => check.stage.tag !== "Done" && check.segment === segment && bytesEqual(check.worker, worker),
  );
}

/** The verifiers of the job's concluded checks that revealed the hash the verdict rests on. */
export function agreeingVerifiers(ext: Ext, jobId: bigint, job: JobValue): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const { check } of checksOf(ext, jobId, job.checks)) {
    const agreed = check.agreed;
    if (!agreed) continue;
    for (const v of check.votes)
      if (v.end_hash && bytesEqual(v.end_hash, agreed) && !out.some((o) => bytesEqual(o, v.verifier)))
        out.push(v.verifier);
  }
  return out;
}
