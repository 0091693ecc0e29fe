/**
 * The job manager's declaration: config constants, storage, events, errors, weights, genesis and the
 * queries the node reads the pallet's state through.
 */
import { T } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, H256 } from "../../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../../constants.js";
import { weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { pallet } from "../../frame/pallet.js";
import { storageDoubleMap, storageMap, storageValue } from "../../frame/storage.js";
import { JOB_MANAGER, param } from "../parameters/index.js";
import { System } from "../system.js";
import {
  Accuracies,
  Assignment,
  type AssignmentValue,
  Attestation,
  type AttestationValue,
  AuditVerdict,
  Check,
  CheckKind,
  type CheckValue,
  CheckVerdict,
  FailureReason,
  Job,
  type JobParamsValue,
  type JobValue,
} from "./types.js";

// ---- Config constants ----

/** Longest CID, in bytes. */
export const MAX_CID_LENGTH = 128;
/** Most trainers one job may ask for. */
export const MAX_WORKERS_PER_JOB = 16;
/** Most evaluators one job may ask for. */
export const MAX_EVALUATORS_PER_JOB = 16;
/** Largest batch size. */
export const MAX_BATCH_SIZE = 1 << 20;
/** Largest number of training steps or epochs. */
export const MAX_TRAINING_LENGTH = 100_000_000;
/** Most deadlines handled in one block's `on_initialize`. */
export const MAX_DEADLINES_PER_BLOCK = 16;
/** Most check deadlines handled in one block's `on_initialize`. */
export const MAX_CHECK_DEADLINES_PER_BLOCK = 64;
/** Most segments (checkpoint leaves) a result's work root may have. */
export const MAX_SEGMENTS = 4096;
/** Longest kernel-class name, in bytes. */
export const MAX_KERNEL_CLASS_LENGTH = 32;
/** Most jobs live at once (not yet in a final status). */
export const MAX_ACTIVE_JOBS = MAX_DEADLINES_PER_BLOCK * 256;

export const JobManager = pallet({
  name: "JobManager",
  index: 11,
  module: "pallet_job_manager",
  docs: ["Training jobs: escrow, assignment, results, test-set reveal, attestations, settlement."],
  storage: {
    NextJobId: storageValue(T.u64, { default: 0n, docs: [" The id the next posted job gets."] }),
    Jobs: storageMap("Twox64Concat", T.u64, Job, { docs: [" Every job, by id (finished ones included)."] }),
    Assignments: storageDoubleMap("Twox64Concat", T.u64, "Blake2_128Concat", AccountId, Assignment, {
      docs: [" A trainer's stake and result in a job."],
    }),
    Attestations: storageDoubleMap("Twox64Concat", T.u64, "Blake2_128Concat", AccountId, Attestation, {
      docs: [" An evaluator's committed (and later revealed) attestation for a job."],
    }),
    DeadlineQueue: storageMap("Twox64Concat", BlockNumber, T.vec(T.u64), {
      default: [],
      docs: [" The jobs whose current phase ends at a block (at most `MaxDeadlinesPerBlock`)."],
    }),
    ActiveJobs: storageValue(T.u32, { default: 0, docs: [" How many jobs are not yet in a final status."] }),
    Checks: storageDoubleMap("Twox64Concat", T.u64, "Twox64Concat", T.u32, Check, {
      docs: [" Every check of a job (audits, escalations, challenges), by job id and check id."],
    }),
    CheckQueue: storageMap("Twox64Concat", BlockNumber, T.vec(T.tuple(T.u64, T.u32)), {
      default: [],
      docs: [" The checks whose current stage ends at a block (at most `MaxCheckDeadlinesPerBlock`)."],
    }),
  },
  constants: {
    MaxCidLength: { type: T.u32, value: MAX_CID_LENGTH, docs: [" Longest CID, in bytes."] },
    MaxWorkersPerJob: { type: T.u32, value: MAX_WORKERS_PER_JOB, docs: [" Most trainers one job may ask for."] },
    MaxEvaluatorsPerJob: {
      type: T.u32,
      value: MAX_EVALUATORS_PER_JOB,
      docs: [" Most evaluators one job may ask for."],
    },
    MaxDeadlinesPerBlock: {
      type: T.u32,
      value: MAX_DEADLINES_PER_BLOCK,
      docs: [" Most deadlines handled in one block."],
    },
    MaxActiveJobs: { type: T.u32, value: MAX_ACTIVE_JOBS, docs: [" Most jobs live at once."] },
    MaxSegments: { type: T.u32, value: MAX_SEGMENTS, docs: [" Most checkpoint segments of one result."] },
    MaxCheckDeadlinesPerBlock: {
      type: T.u32,
      value: MAX_CHECK_DEADLINES_PER_BLOCK,
      docs: [" Most check deadlines handled in one block."],
    },
  },
  events: {
    JobPosted: {
      index: 0,
      fields: { job_id: T.u64, client: AccountId, reward: Balance, network_fee: Balance },
      docs: ["A job was posted; reward and network fee were reserved from the client."],
    },
    JobCancelled: {
      index: 1,
      fields: { job_id: T.u64, refund: Balance },
      docs: ["The client cancelled an open job and got its escrow back."],
    },
    WorkerAssigned: {
      index: 2,
      fields: { job_id: T.u64, worker: AccountId, stake: Balance },
      docs: ["A trainer assigned itself and reserved its job stake."],
    },
    TrainingStarted: {
      index: 3,
      fields: { job_id: T.u64, evaluators: T.vec(AccountId), submit_by: BlockNumber },
      docs: ["The job is full: evaluators were drawn and training started."],
    },
    ResultRevealed: {
      index: 4,
      fields: { job_id: T.u64, worker: AccountId, model_cid: T.bytes, model_hash: H256, work_root: H256 },
      docs: ["A trainer revealed its committed result."],
    },
    TestSetRequested: {
      index: 5,
      fields: { job_id: T.u64, results: T.u32, reveal_by: BlockNumber },
      docs: ["The results are in; the client must reveal the test set by `reveal_by`."],
    },
    TestSetRevealed: {
      index: 6,
      fields: { job_id: T.u64, cid: T.bytes, commit_by: BlockNumber },
      docs: ["The client revealed the test set; evaluators must commit by `commit_by`."],
    },
    AttestationCommitted: {
      index: 7,
      fields: { job_id: T.u64, evaluator: AccountId },
      docs: ["An evaluator committed to its attestation."],
    },
    AttestationRevealStarted: {
      index: 8,
      fields: { job_id: T.u64, reveal_by: BlockNumber },
      docs: ["Commitments are closed; evaluators must reveal by `reveal_by`."],
    },
    AttestationRevealed: {
      index: 9,
      fields: { job_id: T.u64, evaluator: AccountId, accuracies: Accuracies },
      docs: ["An evaluator revealed its attestation."],
    },
    ResultScored: {
      index: 10,
      fields: { job_id: T.u64, worker: AccountId, accuracy_ppm: T.option(T.u32), passed: T.bool },
      docs: ["A result's agreed accuracy (none without a majority) and whether it reached the minimum."],
    },
    WorkerRewarded: {
      index: 11,
      fields: { job_id: T.u64, worker: AccountId, amount: Balance },
      docs: ["A trainer was paid its part of the worker pool."],
    },
    EvaluatorRewarded: {
      index: 12,
      fields: { job_id: T.u64, evaluator: AccountId, amount: Balance },
      docs: ["An evaluator was paid its part of the evaluator pool."],
    },
    TreasuryPaid: {
      index: 13,
      fields: { job_id: T.u64, amount: Balance },
      docs: ["The treasury was paid its share of the reward (and the rounding dust)."],
    },
    NetworkFeePaid: {
      index: 14,
      fields: { job_id: T.u64, to: AccountId, amount: Balance },
      docs: ["The network fee was paid to the block author (or the treasury if the block has none)."],
    },
    ClientRefunded: {
      index: 15,
      fields: { job_id: T.u64, client: AccountId, amount: Balance },
      docs: ["Escrow was returned to the client."],
    },
    StakeReleased: {
      index: 16,
      fields: { job_id: T.u64, worker: AccountId, amount: Balance },
      docs: ["A trainer's job stake (what was left of it) was returned."],
    },
    JobSucceeded: {
      index: 17,
      fields: { job_id: T.u64, accuracy_ppm: T.u32, passed: T.u32 },
      docs: ["The job succeeded: `passed` results reached the minimum, the best at `accuracy_ppm`."],
    },
    JobFailed: { index: 18, fields: { job_id: T.u64, reason: FailureReason }, docs: ["The job failed."] },
    JobExpired: {
      index: 19,
      fields: { job_id: T.u64 },
      docs: ["Not enough trainers assigned before the deadline; the client was refunded."],
    },
    JobSettledWithoutTestSet: {
      index: 20,
      fields: { job_id: T.u64 },
      docs: ["The client did not reveal the test set in time; the job was paid out as a success."],
    },
    ResultCommitted: {
      index: 23,
      fields: { job_id: T.u64, worker: AccountId },
      docs: ["A trainer committed to its result."],
    },
    ResultRevealStarted: {
      index: 24,
      fields: { job_id: T.u64, reveal_by: BlockNumber },
      docs: ["Result commitments are closed; trainers must reveal by `reveal_by`."],
    },
    AuditsStarted: {
      index: 25,
      fields: { job_id: T.u64, checks: T.u32 },
      docs: ["The revealed results' segments were drawn for audit."],
    },
    ResultAudited: {
      index: 26,
      fields: { job_id: T.u64, worker: AccountId, verdict: AuditVerdict },
      docs: ["A result's audit verdict changed (its checks concluded, or one failed)."],
    },
    CheckOpened: {
      index: 27,
      fields: {
        job_id: T.u64,
        check_id: T.u32,
        worker: AccountId,
        segment: T.u32,
        kind: CheckKind,
        verifiers: T.vec(AccountId),
      },
      docs: ["A check of a trainer's segment opened with its drawn verifiers."],
    },
    CheckpointServed: {
      index: 28,
      fields: { job_id: T.u64, check_id: T.u32, cid: T.bytes, state_hash: H256 },
      docs: ["The trainer served the check's start checkpoint and proved it under its work root."],
    },
    VerdictCommitted: {
      index: 29,
      fields: { job_id: T.u64, check_id: T.u32, verifier: AccountId },
      docs: ["A verifier committed to the end hash it computed."],
    },
    LeafOpened: {
      index: 30,
      fields: { job_id: T.u64, check_id: T.u32, state_hash: H256 },
      docs: ["The trainer opened the check's end leaf under its work root."],
    },
    VerdictRevealed: {
      index: 31,
      fields: { job_id: T.u64, check_id: T.u32, verifier: AccountId, end_hash: H256 },
      docs: ["A verifier revealed the end hash it computed."],
    },
    CheckConcluded: {
      index: 32,
      fields: { job_id: T.u64, check_id: T.u32, verdict: CheckVerdict },
      docs: ["A check reached its verdict."],
    },
    ChallengerRewarded: {
      index: 33,
      fields: { job_id: T.u64, challenger: AccountId, amount: Balance },
      docs: ["A challenger that proved a faked segment got its bond back and this part of the slash."],
    },
    BondForfeited: {
      index: 34,
      fields: { job_id: T.u64, challenger: AccountId, to: AccountId, amount: Balance },
      docs: ["A challenge of an honest segment lost its bond to the trainer."],
    },
    DeadlineFailed: {
      index: 22,
      fields: { job_id: T.u64 },
      docs: ["Handling a job's deadline failed and was rolled back (a bug: the job needs root's attention)."],
    },
  },
  errors: {
    ZeroReward: { index: 0, docs: "The reward must be greater than zero." },
    InvalidCid: { index: 1, docs: "A CID is not a binary CIDv1 of at most `MaxCidLength` bytes." },
    InvalidHyperParameters: {
      index: 2,
      docs: "Learning rate, batch size or training length is zero or above its maximum.",
    },
    InvalidWorkerCount: { index: 3, docs: "Workers wanted must be within 1..=MaxWorkersPerJob." },
    InvalidEvaluatorCount: { index: 4, docs: "Evaluators wanted must be within 1..=MaxEvaluatorsPerJob." },
    InvalidMinimumAccuracy: { index: 5, docs: "The minimum accuracy must be at most 1_000_000 ppm." },
    InvalidDeadline: {
      index: 6,
      docs: "A phase length is outside the `min_phase_blocks..=max_phase_blocks` parameters.",
    },
    InvalidRequirements: { index: 7, docs: "GPU memory or a GPU profile is required without GPUs." },
    WorkerStakeTooLow: { index: 8, docs: "The job stake asked of workers is below the `min_worker_stake` parameter." },
    NotEnoughEvaluators: { index: 9, docs: "More evaluators are wanted than active evaluators are registered." },
    TooManyActiveJobs: { index: 10, docs: "`MaxActiveJobs` jobs are live already." },
    JobNotFound: { index: 11, docs: "No job has this id." },
    NotClient: { index: 12, docs: "Only the job's client may do this." },
    NotOpen: { index: 13, docs: "The job is not open for assignment (or cancellation)." },
    NotTraining: { index: 14, docs: "The job is not accepting results." },
    NotAwaitingTestSet: { index: 15, docs: "The job is not waiting for the test set." },
    NotCommitting: { index: 16, docs: "The job is not accepting attestation commitments." },
    NotRevealing: { index: 17, docs: "The job is not accepting attestation reveals." },
    OwnJob: { index: 18, docs: "A client cannot work on its own job." },
    AlreadyAssigned: { index: 19, docs: "The worker is already assigned to this job." },
    RequirementsNotMet: { index: 20, docs: "The worker's registered capabilities do not meet the job's requirements." },
    NoEligibleEvaluators: { index: 21, docs: "No active evaluator outside the job's trainers and client remains." },
    NotAssigned: { index: 22, docs: "The origin is not a trainer of this job." },
    AlreadySubmitted: { index: 23, docs: "The trainer has already committed to its result." },
    InvalidMetrics: { index: 24, docs: "A claimed accuracy is above 1_000_000 ppm." },
    TestSetMismatch: { index: 25, docs: "The revealed test set and salt do not match the commitment." },
    NotEvaluator: { index: 26, docs: "The origin is not a drawn evaluator of this job." },
    AlreadyCommitted: { index: 27, docs: "The evaluator has already committed." },
    NotCommitted: { index: 28, docs: "The evaluator did not commit in time." },
    AlreadyRevealed: { index: 29, docs: "The evaluator has already revealed." },
    CommitmentMismatch: { index: 30, docs: "The revealed attestation and salt do not match the commitment." },
    InvalidAttestation: {
      index: 31,
      docs: "The attestation must list every result being scored (`Job.results`), in order, each at most 1_000_000 ppm.",
    },
    InvalidCheckpointInterval: {
      index: 32,
      docs: "`checkpoint_interval` must be given for a job measured in epochs, and leave at most `MaxSegments` segments.",
    },
    NotRevealingResults: { index: 33, docs: "The job is not accepting result reveals." },
    NotCommittedResult: { index: 34, docs: "The trainer did not commit to a result in time." },
    WrongStepCount: {
      index: 35,
      docs: "The revealed step count differs from the spec's, or leaves too many segments.",
    },
    CheckNotFound: { index: 36, docs: "The job has no check with this id." },
    NotCheckedWorker: { index: 37, docs: "Only the checked trainer may serve or open this check's leaves." },
    WrongCheckStage: { index: 38, docs: "The check is not at the stage this call belongs to." },
    InvalidProof: {
      index: 39,
      docs: "The Merkle proof does not prove the state hash at the leaf under the work root.",
    },
    NotVerifier: { index: 40, docs: "The origin is not a drawn verifier of this check." },
    UnknownLeaf: { index: 41, docs: "The result's work root has no such leaf (segments are 1..=⌈steps/k⌉)." },
    NotChallengeable: {
      index: 42,
      docs: "Challenges are taken after the audits and before settlement, of results that did not fail.",
    },
    ChallengeOpen: { index: 43, docs: "This segment of this trainer is already being checked." },
    InvalidKernelClass: { index: 44, docs: "The trainer's registered kernel class is empty or too long." },
  },
});

const S = JobManager.storage;

// ---- Weights ----

export const w = (reads: bigint, writes: bigint) => weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);
/** Worst-case deadline scheduling: probing `MaxActiveJobs / MaxDeadlinesPerBlock + 1` queue entries. */
export const SCHEDULE_READS = BigInt(MAX_ACTIVE_JOBS / MAX_DEADLINES_PER_BLOCK + 1);
/** Worst-case settlement: every trainer and evaluator paid, released or slashed. */
export const SETTLE_WEIGHT = w(
  8n + 8n * BigInt(MAX_WORKERS_PER_JOB + MAX_EVALUATORS_PER_JOB),
  8n + 8n * BigInt(MAX_WORKERS_PER_JOB + MAX_EVALUATORS_PER_JOB),
);

export function now(ext: Ext): number {
  return System.storage.Number.getOrDefault(ext);
}

// ---- Queries ----

/** Every job-manager knob, read from the parameters pallet. */
export function jobParams(ext: Ext): JobParamsValue {
  return Object.fromEntries(
    Object.entries(JOB_MANAGER).map(([name, knob]) => [name, param(ext, knob as Parameters<typeof param>[1])]),
  ) as JobParamsValue;
}

export function jobOf(ext: Ext, id: bigint): JobValue | undefined {
  return S.Jobs.get(ext, id);
}

/** Every job, finished ones included. */
export function jobEntries(ext: Ext): Iterable<[bigint, JobValue]> {
  return S.Jobs.entries(ext);
}

export function assignmentOf(ext: Ext, id: bigint, who: Uint8Array): AssignmentValue | undefined {
  return S.Assignments.get(ext, [id, who]);
}

/**
 * Every check of a job, by check id: the first `count` (by default as many as the stored job has
 * opened; a caller holding a changed job passes its own `checks`).
 */
export function checksOf(
  ext: Ext,
  id: bigint,
  count: number = S.Jobs.get(ext, id)?.checks ?? 0,
): { id: number; check: CheckValue }[] {
  const out: { id: number; check: CheckValue }[] = [];
  for (let c = 0; c < count; c++) {
    const check = S.Checks.get(ext, [id, c]);
    if (check) out.push({ id: c, check });
  }
  return out;
}

export function attestationOf(ext: Ext, id: bigint, who: Uint8Array): AttestationValue | undefined {
  return S.Attestations.get(ext, [id, who]);
}

/** What `job` still holds reserved: the client's escrow plus every trainer's job stake. */
export function heldByJob(ext: Ext, id: bigint): bigint {
  const job = S.Jobs.get(ext, id);
  if (!job) return 0n;
  return job.workers.reduce((sum, who) => sum + (S.Assignments.get(ext, [id, who])?.stake ?? 0n), job.held);
}
