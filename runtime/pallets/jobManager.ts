/**
 * # Job manager pallet
 *
 * ## Overview
 * The on-chain half of the job market. A client posts a training job with an escrowed reward;
 * registered trainers that meet its requirements assign themselves and lock a job stake; when the job
 * is full, evaluators are drawn; trainers submit results; the client reveals the hidden test set;
 * evaluators commit, then reveal, the accuracy each result reaches on it; the job settles.
 *
 * Phases (`JobStatus`) and what ends each, early or at its deadline (`on_initialize`):
 * - `Open`: `assign_worker` until `spec.workers` trainers have assigned → `Training` (evaluators drawn).
 *   `cancel_job` by the client → `Cancelled`, full refund. Deadline → `Expired`: full refund, any
 *   assigned stakes returned (a job that is not full by its deadline never starts).
 * - `Training`: `submit_result` by every trainer → `AwaitingTestSet`. Deadline: each trainer without a
 *   result is slashed (`worker_slash_ppm` of its job stake, the rest returned) and leaves the job; with
 *   at least one result the job goes on to `AwaitingTestSet`, with none it ends `Failed(NoResults)` and
 *   the client is refunded in full.
 * - `AwaitingTestSet`: `reveal_test_set` by the client → `Committing`. Deadline → `TestSetWithheld`:
 *   the job is paid out exactly as a success in which every result passed (workers, all drawn
 *   evaluators, treasury, network fee), so withholding the test set never saves the client money.
 * - `Committing`: `commit_attestation` by every drawn evaluator → `Revealing`. Deadline → `Revealing`
 *   (or straight to settlement if nobody committed).
 * - `Revealing`: `reveal_attestation` by every evaluator that committed → settlement. Deadline →
 *   settlement with the reveals so far.
 * - Settlement: drawn evaluators that did not reveal are slashed (`evaluator_slash_ppm` of their
 *   registration stake). For each result, the accuracy agreed by a strict majority of the evaluators
 *   that revealed (if any) decides: at least `min_accuracy_ppm` passes, below fails. Evaluators that
 *   revealed and agree with every agreed accuracy share the evaluator pool. If a result passed:
 *   `Succeeded` — passing trainers share the worker pool, the network fee goes to the block author,
 *   the treasury gets the rest of the reward, failing trainers are slashed. Otherwise `Failed`
 *   (`BelowMinimumAccuracy` if a result failed, `NoQuorum` if none was agreed): failing trainers are
 *   slashed and the client gets back everything but the evaluators' fees (network fee included).
 * Every path ends with nothing reserved for the job: `Job.held` (the client's escrow) and every
 * `Assignment.stake` are zero once the status is final.
 *
 * ## Terminology
 * - Reward `R` and network fee `F = R * network_fee_ppm / 10^6`: both reserved from the client at
 *   `post_job`. On payout, the worker pool is `R * worker_share_ppm / 10^6`, the evaluator pool
 *   `R * evaluator_share_ppm / 10^6`; each is split equally (rounded down); the treasury takes the
 *   rest of `R` (its share plus all rounding dust). Payouts move the client's reserved funds straight
 *   to the payee (`Balances.repatriateReserved`): the total issuance never changes.
 * - Network fee: paid to the author of the block in which the job settles (as FRAME's `DealWithFees`
 *   pays the author), found from the block's BABE pre-digest; to the treasury if the block has none.
 * - Job stake: `spec.worker_stake` (at least `min_worker_stake`), reserved from a trainer at
 *   `assign_worker`. Slashed funds (job stakes and evaluators' registration stakes) go to the treasury.
 * - Test-set commitment: `blake2_256(SCALE((cid: Vec<u8>, salt: [u8; 32])))`, i.e. the blake2-256 of
 *   `compact(len(cid)) ++ cid ++ salt` (`testSetCommitment`).
 * - Attestation commitment: `blake2_256(SCALE((job_id: u64, evaluator: AccountId32,
 *   accuracies: Vec<(AccountId32, u32)>, salt: [u8; 32])))` (`attestationCommitment`). The evaluator's
 *   own account is inside, so a copied commitment cannot be revealed by another evaluator. `accuracies`
 *   lists every trainer with a result, in assignment order, with its accuracy in ppm.
 * - CIDs are binary CIDv1 (`CID.bytes` in `multiformats`): version 1, codec, multihash; at most
 *   `MaxCidLength` bytes. The chain checks the structure, not that the content exists.
 * - Evaluator draw: from the active evaluators (worker registry), excluding the client and the job's
 *   trainers, `min(spec.evaluators, pool)` are drawn without replacement, weighted by registration
 *   stake, from `randomnessForSubject("tensorchain/jobManager/evaluators" ++ u64_le(job_id))` (BABE's
 *   epoch randomness): draw `i` takes `u128_le(blake2_256(seed ++ u32_le(i))[0..16]) mod total_stake`.
 *
 * ## Assumptions
 * Deadlines are phase lengths in blocks, counted from the block in which the phase starts. Each live
 * job has exactly one entry in `DeadlineQueue`, at most `MaxDeadlinesPerBlock` per block (a full block
 * pushes the entry to the next one), and at most `MaxActiveJobs` jobs are live, so `on_initialize`
 * does bounded work. The epoch randomness is known one epoch ahead; the trainer whose assignment fills
 * a job can only choose between the evaluator sets of this and the next epoch. Finished jobs stay in
 * storage (results included) for clients to read; pruning them is left to a later change.
 */
import { blake2_256, concat } from "../../primitives/hashing.js";
import { bytesEqual } from "../../primitives/hex.js";
import { T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, H256 } from "../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT, TREASURY_ACCOUNT, UNITS } from "../constants.js";
import { addWeight, checkedAdd, DispatchError, ensure, ensureRoot, ensureSigned, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageDoubleMap, storageMap, storageValue } from "../frame/storage.js";
import { randomnessForSubject } from "./babe.js";
import { repatriateReserved, reserve, unreserve } from "./balances.js";
import { findAuthor } from "./session.js";
import { accountExists, System } from "./system.js";
import {
  ExecutionProfile,
  ensureActiveWorker,
  evaluatorPool,
  meetsRequirements,
  mulPpm,
  noteJobEnded,
  noteJobStarted,
  PPM,
  recordSlash,
  type SlashReasonName,
  slashRegistrationStake,
} from "./workerRegistry.js";

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
/** Shortest and longest phase, in blocks. */
export const MIN_PHASE_BLOCKS = 1;
export const MAX_PHASE_BLOCKS = 100_800;
/** Most deadlines handled in one block's `on_initialize`. */
export const MAX_DEADLINES_PER_BLOCK = 16;
/** Most jobs live at once (not yet in a final status). */
export const MAX_ACTIVE_JOBS = MAX_DEADLINES_PER_BLOCK * 256;

const EVALUATOR_DRAW_SUBJECT = new TextEncoder().encode("tensorchain/jobManager/evaluators");

// ---- Types ----

const P = "pallet_job_manager";

export const Loss = T.enumeration({ CrossEntropy: { index: 0 }, Mse: { index: 1 } }, { path: [P, "Loss"] });
export const Optimizer = T.enumeration(
  { Sgd: { index: 0 }, Momentum: { index: 1 }, Adam: { index: 2 } },
  { path: [P, "Optimizer"] },
);
export const TrainingLength = T.enumeration(
  { Steps: { index: 0, fields: T.u32 }, Epochs: { index: 1, fields: T.u32 } },
  { path: [P, "TrainingLength"] },
);
export const JobRequirements = T.struct(
  { min_gpus: T.u32, min_gpu_memory_mib: T.u32, min_cpu_cores: T.u32, min_memory_mib: T.u32 },
  { path: [P, "JobRequirements"] },
);
export const PhaseDeadlines = T.struct(
  { assign: BlockNumber, submit: BlockNumber, reveal_test_set: BlockNumber, commit: BlockNumber, reveal: BlockNumber },
  {
    path: [P, "PhaseDeadlines"],
    docs: ["The length of each phase in blocks, counted from the block in which the phase starts."],
  },
);

export const JobSpec = T.struct(
  {
    model_cid: T.bytes,
    training_set_cid: T.bytes,
    test_set_commitment: H256,
    loss: Loss,
    optimizer: Optimizer,
    learning_rate_e9: T.u64,
    batch_size: T.u32,
    length: TrainingLength,
    seed: T.u64,
    profile: ExecutionProfile,
    requirements: JobRequirements,
    workers: T.u32,
    evaluators: T.u32,
    min_accuracy_ppm: T.u32,
    worker_stake: Balance,
    deadlines: PhaseDeadlines,
  },
  {
    path: [P, "JobSpec"],
    fieldInfo: {
      model_cid: { docs: ["Binary CIDv1 of the ONNX model to train."] },
      training_set_cid: { docs: ["Binary CIDv1 of the training set (safetensors)."] },
      test_set_commitment: { docs: ["blake2_256(SCALE((test_set_cid, salt)))."] },
      learning_rate_e9: { docs: ["The learning rate times 10^9."] },
      worker_stake: { docs: ["The stake each trainer locks for the job."] },
    },
  },
);
export type JobSpecValue = TyValue<typeof JobSpec>;

export const FailureReason = T.enumeration(
  {
    BelowMinimumAccuracy: { index: 0, docs: ["Every agreed accuracy was below the job's minimum."] },
    NoResults: { index: 1, docs: ["No trainer submitted a result by the deadline."] },
    NoQuorum: { index: 2, docs: ["The evaluators that revealed agreed on no result."] },
  },
  { path: [P, "FailureReason"] },
);
export type FailureReasonName = TyValue<typeof FailureReason>["tag"];

export const JobStatus = T.enumeration(
  {
    Open: { index: 0 },
    Training: { index: 1 },
    AwaitingTestSet: { index: 2 },
    Committing: { index: 3 },
    Revealing: { index: 4 },
    Succeeded: { index: 5 },
    Failed: { index: 6, fields: FailureReason },
    Cancelled: { index: 7 },
    Expired: { index: 8 },
    TestSetWithheld: { index: 9 },
  },
  { path: [P, "JobStatus"] },
);
export type JobStatusValue = TyValue<typeof JobStatus>;

const TestSetReveal = T.struct({ cid: T.bytes, salt: T.fixedBytes(32) }, { path: [P, "TestSetReveal"] });

export const Job = T.struct(
  {
    client: AccountId,
    spec: JobSpec,
    reward: Balance,
    network_fee: Balance,
    held: Balance,
    status: JobStatus,
    posted_at: BlockNumber,
    deadline: BlockNumber,
    workers: T.vec(AccountId),
    evaluators: T.vec(AccountId),
    test_set: T.option(TestSetReveal),
  },
  {
    path: [P, "Job"],
    fieldInfo: {
      held: { docs: ["What is still reserved from the client for this job (0 once it has ended)."] },
      deadline: { docs: ["The block at which the current phase ends (0 once the job has ended)."] },
      workers: { docs: ["The assigned trainers, in assignment order."] },
      evaluators: { docs: ["The drawn evaluators, in draw order."] },
    },
  },
);
export type JobValue = TyValue<typeof Job>;

export const ClaimedMetrics = T.struct({ accuracy_ppm: T.u32, loss_e9: T.u64 }, { path: [P, "ClaimedMetrics"] });

export const JobResult = T.struct(
  { model_cid: T.bytes, model_hash: H256, work_root: H256, metrics: ClaimedMetrics, submitted_at: BlockNumber },
  { path: [P, "JobResult"] },
);

export const Assignment = T.struct(
  { stake: Balance, result: T.option(JobResult), accuracy_ppm: T.option(T.u32) },
  {
    path: [P, "Assignment"],
    fieldInfo: {
      stake: { docs: ["The job stake still reserved (0 once released or slashed)."] },
      accuracy_ppm: { docs: ["The accuracy the evaluators agreed on, once settled."] },
    },
  },
);
export type AssignmentValue = TyValue<typeof Assignment>;

const Accuracies = T.vec(T.tuple(AccountId, T.u32));
export type AccuraciesValue = TyValue<typeof Accuracies>;

export const Attestation = T.struct(
  { commitment: H256, accuracies: T.option(Accuracies) },
  { path: [P, "Attestation"] },
);

export const JobParams = T.struct(
  {
    worker_share_ppm: T.u32,
    evaluator_share_ppm: T.u32,
    network_fee_ppm: T.u32,
    worker_slash_ppm: T.u32,
    evaluator_slash_ppm: T.u32,
    min_worker_stake: Balance,
  },
  {
    path: [P, "JobParams"],
    fieldInfo: {
      worker_share_ppm: {
        docs: ["Share of the reward for the trainers; the treasury gets what the two shares leave."],
      },
      evaluator_share_ppm: { docs: ["Share of the reward for the evaluators."] },
      network_fee_ppm: { docs: ["Network fee, reserved on top of the reward and paid to the block author."] },
      worker_slash_ppm: { docs: ["Part of a trainer's job stake slashed for a missed submission or a failed model."] },
      evaluator_slash_ppm: { docs: ["Part of an evaluator's registration stake slashed for a missed attestation."] },
      min_worker_stake: { docs: ["Least `worker_stake` a job may ask for."] },
    },
  },
);
export type JobParamsValue = TyValue<typeof JobParams>;

/** Genesis defaults of the governance-set parameters: 80% workers, 15% evaluators, 5% treasury. */
export const DEFAULT_JOB_PARAMS: JobParamsValue = {
  worker_share_ppm: 800_000,
  evaluator_share_ppm: 150_000,
  network_fee_ppm: 20_000,
  worker_slash_ppm: 500_000,
  evaluator_slash_ppm: 100_000,
  min_worker_stake: UNITS,
};

export const JobManager = pallet({
  name: "JobManager",
  index: 11,
  module: P,
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
    Parameters: storageValue(JobParams, {
      default: DEFAULT_JOB_PARAMS,
      docs: [" Governance-set parameters (root may change them with `set_parameters`)."],
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
    MinPhaseBlocks: { type: T.u32, value: MIN_PHASE_BLOCKS, docs: [" Shortest phase, in blocks."] },
    MaxPhaseBlocks: { type: T.u32, value: MAX_PHASE_BLOCKS, docs: [" Longest phase, in blocks."] },
    MaxDeadlinesPerBlock: {
      type: T.u32,
      value: MAX_DEADLINES_PER_BLOCK,
      docs: [" Most deadlines handled in one block."],
    },
    MaxActiveJobs: { type: T.u32, value: MAX_ACTIVE_JOBS, docs: [" Most jobs live at once."] },
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
    ResultSubmitted: {
      index: 4,
      fields: { job_id: T.u64, worker: AccountId, model_cid: T.bytes, model_hash: H256, work_root: H256 },
      docs: ["A trainer submitted its trained model."],
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
    ParametersSet: { index: 21, fields: { params: JobParams }, docs: ["Root set the job parameters."] },
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
    InvalidDeadline: { index: 6, docs: "A phase length is outside MinPhaseBlocks..=MaxPhaseBlocks." },
    InvalidRequirements: { index: 7, docs: "GPU memory or a GPU profile is required without GPUs." },
    WorkerStakeTooLow: { index: 8, docs: "The job stake asked of workers is below the governance minimum." },
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
    AlreadySubmitted: { index: 23, docs: "The trainer has already submitted its result." },
    InvalidMetrics: { index: 24, docs: "A claimed accuracy is above 1_000_000 ppm." },
    TestSetMismatch: { index: 25, docs: "The revealed test set and salt do not match the commitment." },
    NotEvaluator: { index: 26, docs: "The origin is not a drawn evaluator of this job." },
    AlreadyCommitted: { index: 27, docs: "The evaluator has already committed." },
    NotCommitted: { index: 28, docs: "The evaluator did not commit in time." },
    AlreadyRevealed: { index: 29, docs: "The evaluator has already revealed." },
    CommitmentMismatch: { index: 30, docs: "The revealed attestation and salt do not match the commitment." },
    InvalidAttestation: {
      index: 31,
      docs: "The attestation must list every trainer with a result, in assignment order, each at most 1_000_000 ppm.",
    },
    InvalidParameters: {
      index: 32,
      docs: "The parameters are out of range (a share above 100% or shares above 100% together).",
    },
  },
});

const S = JobManager.storage;

const w = (reads: bigint, writes: bigint) => weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);
/** Worst-case deadline scheduling: probing `MaxActiveJobs / MaxDeadlinesPerBlock + 1` queue entries. */
const SCHEDULE_READS = BigInt(MAX_ACTIVE_JOBS / MAX_DEADLINES_PER_BLOCK + 1);
/** Worst-case settlement: every trainer and evaluator paid, released or slashed. */
const SETTLE_WEIGHT = w(
  8n + 8n * BigInt(MAX_WORKERS_PER_JOB + MAX_EVALUATORS_PER_JOB),
  8n + 8n * BigInt(MAX_WORKERS_PER_JOB + MAX_EVALUATORS_PER_JOB),
);

export function jobParams(ext: Ext): JobParamsValue {
  return S.Parameters.getOrDefault(ext);
}

export function checkJobParams(p: JobParamsValue): boolean {
  return (
    p.worker_share_ppm + p.evaluator_share_ppm <= PPM &&
    p.network_fee_ppm <= PPM &&
    p.worker_slash_ppm <= PPM &&
    p.evaluator_slash_ppm <= PPM &&
    p.min_worker_stake > 0n
  );
}

function now(ext: Ext): number {
  return System.storage.Number.getOrDefault(ext);
}

// ---- Pure helpers (exported for the node and tests) ----

function readVarint(b: Uint8Array, at: number): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 9 && at + i < b.length; i++) {
    const byte = b[at + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  return undefined;
}

/** Whether `cid` is a well-formed binary CIDv1: `0x01 ++ varint(codec) ++ varint(hash) ++ varint(len) ++ digest`. */
export function isValidCid(cid: Uint8Array): boolean {
  if (cid.length === 0 || cid.length > MAX_CID_LENGTH) return false;
  // version, codec, multihash code, digest length
  const fields: number[] = [];
  let at = 0;
  for (let i = 0; i < 4; i++) {
    const v = readVarint(cid, at);
    if (!v) return false;
    fields.push(v[0]);
    at = v[1];
  }
  const [version, , , len] = fields;
  return version === 1 && len > 0 && len <= 64 && cid.length - at === len;
}

const TestSetPreimage = T.tuple(T.bytes, T.fixedBytes(32));
const AttestationPreimage = T.tuple(T.u64, AccountId, Accuracies, T.fixedBytes(32));

/** The client's test-set commitment: `blake2_256(SCALE((cid, salt)))`. */
export function testSetCommitment(cid: Uint8Array, salt: Uint8Array): Uint8Array {
  return blake2_256(TestSetPreimage.enc([cid, salt]));
}

/** An evaluator's commitment: `blake2_256(SCALE((job_id, evaluator, accuracies, salt)))`. */
export function attestationCommitment(
  jobId: bigint,
  evaluator: Uint8Array,
  accuracies: AccuraciesValue,
  salt: Uint8Array,
): Uint8Array {
  return blake2_256(AttestationPreimage.enc([jobId, evaluator, accuracies, salt]));
}

/**
 * Draws `k` distinct candidates (at most all of them) without replacement, each draw weighted by stake:
 * draw `i` picks the candidate at `u128_le(blake2_256(seed ++ u32_le(i))[0..16]) mod remaining_total`
 * in the cumulative stakes of the remaining candidates, in the given order.
 */
export function drawWeighted<C extends { stake: bigint }>(candidates: C[], k: number, seed: Uint8Array): C[] {
  const left = candidates.filter((c) => c.stake > 0n);
  let total = left.reduce((s, c) => s + c.stake, 0n);
  const out: C[] = [];
  for (let i = 0; i < k && left.length > 0; i++) {
    const h = blake2_256(concat(seed, T.u32.enc(i)));
    let r = 0n;
    for (let j = 15; j >= 0; j--) r = (r << 8n) | BigInt(h[j]);
    r %= total;
    let at = 0;
    while (r >= left[at].stake) r -= left[at++].stake;
    const [chosen] = left.splice(at, 1);
    total -= chosen.stake;
    out.push(chosen);
  }
  return out;
}

/** The evaluator-draw seed of a job: chain randomness for `subject ++ u64_le(job_id)`. */
export function evaluatorSeed(ext: Ext, jobId: bigint): Uint8Array {
  return randomnessForSubject(ext, concat(EVALUATOR_DRAW_SUBJECT, T.u64.enc(jobId)));
}

/** Final statuses: the job holds nothing any more. */
export function isFinal(status: JobStatusValue): boolean {
  return ["Succeeded", "Failed", "Cancelled", "Expired", "TestSetWithheld"].includes(status.tag);
}

function validateSpec(ext: Ext, spec: JobSpecValue): void {
  const err = (name: Parameters<typeof JobManager.error>[0]) => () => JobManager.error(name);
  ensure(isValidCid(spec.model_cid) && isValidCid(spec.training_set_cid), err("InvalidCid"));
  ensure(
    spec.learning_rate_e9 > 0n &&
      spec.batch_size > 0 &&
      spec.batch_size <= MAX_BATCH_SIZE &&
      spec.length.value > 0 &&
      spec.length.value <= MAX_TRAINING_LENGTH,
    err("InvalidHyperParameters"),
  );
  ensure(spec.workers >= 1 && spec.workers <= MAX_WORKERS_PER_JOB, err("InvalidWorkerCount"));
  ensure(spec.evaluators >= 1 && spec.evaluators <= MAX_EVALUATORS_PER_JOB, err("InvalidEvaluatorCount"));
  ensure(spec.min_accuracy_ppm <= PPM, err("InvalidMinimumAccuracy"));
  ensure(
    Object.values(spec.deadlines).every((d) => d >= MIN_PHASE_BLOCKS && d <= MAX_PHASE_BLOCKS),
    err("InvalidDeadline"),
  );
  const r = spec.requirements;
  ensure(
    r.min_gpus > 0 || (r.min_gpu_memory_mib === 0 && spec.profile.tag !== "GpuTolerance"),
    err("InvalidRequirements"),
  );
  ensure(spec.worker_stake >= jobParams(ext).min_worker_stake, err("WorkerStakeTooLow"));
}

// ---- Deadlines ----

/** Queues `jobId` at block `at` or, if that block is full, the first later block with room. */
function schedule(ext: Ext, jobId: bigint, at: number): number {
  for (let b = at; ; b++) {
    const queue = S.DeadlineQueue.getOrDefault(ext, b);
    if (queue.length >= MAX_DEADLINES_PER_BLOCK) continue;
    queue.push(jobId);
    S.DeadlineQueue.insert(ext, b, queue);
    return b;
  }
}

function unschedule(ext: Ext, jobId: bigint, at: number): void {
  const queue = S.DeadlineQueue.getOrDefault(ext, at).filter((id) => id !== jobId);
  if (queue.length === 0) S.DeadlineQueue.remove(ext, at);
  else S.DeadlineQueue.insert(ext, at, queue);
}

/** Moves `job` to `status` with a new deadline `length` blocks from now. */
function nextPhase(ext: Ext, id: bigint, job: JobValue, status: JobStatusValue, length: number): number {
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

function refundClient(ext: Ext, id: bigint, job: JobValue): void {
  const amount = job.held;
  if (amount === 0n) return;
  unreserve(ext, job.client, amount);
  job.held = 0n;
  JobManager.deposit(ext, { tag: "ClientRefunded", value: { job_id: id, client: job.client, amount } });
}

function releaseStake(ext: Ext, id: bigint, worker: Uint8Array): void {
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
  const wanted = mulPpm(jobParams(ext).worker_slash_ppm, a.stake);
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
  const params = jobParams(ext);
  payPool(ext, id, job, mulPpm(params.worker_share_ppm, job.reward), winners, "worker");
  payPool(ext, id, job, mulPpm(params.evaluator_share_ppm, job.reward), evaluators, "evaluator");
  if (job.network_fee > 0n) {
    const to = payFromEscrow(ext, job, findAuthor(ext) ?? TREASURY_ACCOUNT, job.network_fee);
    JobManager.deposit(ext, { tag: "NetworkFeePaid", value: { job_id: id, to, amount: job.network_fee } });
  }
  const rest = job.held;
  payFromEscrow(ext, job, TREASURY_ACCOUNT, rest);
  JobManager.deposit(ext, { tag: "TreasuryPaid", value: { job_id: id, amount: rest } });
}

function finish(ext: Ext, id: bigint, job: JobValue, status: JobStatusValue): void {
  job.status = status;
  job.deadline = 0;
  S.Jobs.insert(ext, id, job);
  S.ActiveJobs.put(ext, Math.max(S.ActiveJobs.getOrDefault(ext) - 1, 0));
}

// ---- Phase logic ----

function submitters(ext: Ext, id: bigint, job: JobValue): Uint8Array[] {
  return job.workers.filter((who) => S.Assignments.get(ext, [id, who])?.result !== undefined);
}

function requestTestSet(ext: Ext, id: bigint, job: JobValue): void {
  const reveal_by = nextPhase(ext, id, job, { tag: "AwaitingTestSet" }, job.spec.deadlines.reveal_test_set);
  const results = submitters(ext, id, job).length;
  JobManager.deposit(ext, { tag: "TestSetRequested", value: { job_id: id, results, reveal_by } });
}

function startReveal(ext: Ext, id: bigint, job: JobValue): void {
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

/** `Training` past its deadline: slash the trainers without a result; go on with the others, or fail. */
function endSubmission(ext: Ext, id: bigint, job: JobValue): void {
  const done = submitters(ext, id, job);
  for (const worker of job.workers) {
    if (done.some((d) => bytesEqual(d, worker))) continue;
    slashStake(ext, id, worker, "MissedSubmission");
    noteJobEnded(ext, worker, "failed");
  }
  if (done.length > 0) {
    requestTestSet(ext, id, job);
    return;
  }
  for (const e of job.evaluators) noteJobEnded(ext, e, "neutral");
  refundClient(ext, id, job);
  finish(ext, id, job, { tag: "Failed", value: { tag: "NoResults" } });
  JobManager.deposit(ext, { tag: "JobFailed", value: { job_id: id, reason: { tag: "NoResults" } } });
}

/** `AwaitingTestSet` past its deadline: pay out as if every result passed. */
function settleWithoutTestSet(ext: Ext, id: bigint, job: JobValue): void {
  const done = submitters(ext, id, job);
  payOut(ext, id, job, done, job.evaluators);
  for (const worker of done) {
    releaseStake(ext, id, worker);
    noteJobEnded(ext, worker, "neutral");
  }
  for (const e of job.evaluators) noteJobEnded(ext, e, "neutral");
  finish(ext, id, job, { tag: "TestSetWithheld" });
  JobManager.deposit(ext, { tag: "JobSettledWithoutTestSet", value: { job_id: id } });
}

/** The value more than half of `values` share, if any. */
function majority(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const [v, n] of counts) if (2 * n > values.length) return v;
  return undefined;
}

/** Settlement from the revealed attestations (see the module docs). */
function settle(ext: Ext, id: bigint, job: JobValue): void {
  const params = jobParams(ext);
  const results = submitters(ext, id, job);
  const revealed: { who: Uint8Array; accuracies: AccuraciesValue }[] = [];
  for (const e of job.evaluators) {
    const accuracies = S.Attestations.get(ext, [id, e])?.accuracies;
    if (accuracies) revealed.push({ who: e, accuracies });
    else {
      slashRegistrationStake(ext, e, params.evaluator_slash_ppm, id, "MissedAttestation");
      noteJobEnded(ext, e, "failed");
    }
  }
  // Reveals list the results in assignment order, so the i-th entry of every reveal is results[i].
  const agreed = results.map((_, i) => majority(revealed.map((r) => r.accuracies[i][1])));
  const agreeing = revealed
    .filter((r) => agreed.every((a, i) => a === undefined || r.accuracies[i][1] === a))
    .map((r) => r.who);
  const passed: Uint8Array[] = [];
  let best = 0;
  results.forEach((worker, i) => {
    const accuracy = agreed[i];
    const ok = accuracy !== undefined && accuracy >= job.spec.min_accuracy_ppm;
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
  else payPool(ext, id, job, mulPpm(params.evaluator_share_ppm, job.reward), agreeing, "evaluator");
  results.forEach((worker, i) => {
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
    noteJobEnded(ext, r.who, agreeing.some((a) => bytesEqual(a, r.who)) ? "succeeded" : "neutral");
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
  else if (status === "Training") endSubmission(ext, id, job);
  else if (status === "AwaitingTestSet") settleWithoutTestSet(ext, id, job);
  else if (status === "Committing" && job.evaluators.some((e) => S.Attestations.contains(ext, [id, e])))
    startReveal(ext, id, job);
  else if (status === "Committing" || status === "Revealing") settle(ext, id, job);
  // Phase changes write the job here; endings have written it already.
  if (!isFinal(job.status)) S.Jobs.insert(ext, id, job);
}

JobManager.defineHooks({
  onInitialize(ext, n) {
    const due = S.DeadlineQueue.get(ext, n);
    if (!due) return w(1n, 0n);
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
    return addWeight(w(1n, 1n), weight(SETTLE_WEIGHT.ref_time * BigInt(due.length)));
  },
});

// ---- Calls ----

function getJob(ext: Ext, id: bigint): JobValue {
  const job = S.Jobs.get(ext, id);
  ensure(job !== undefined, () => JobManager.error("JobNotFound"));
  return job;
}

const isIn = (list: Uint8Array[], who: Uint8Array) => list.some((x) => bytesEqual(x, who));

JobManager.defineCalls({
  post_job: call({
    index: 0,
    args: { spec: JobSpec, reward: T.compactU128 },
    docs: [
      "Posts a training job, reserving `reward` plus the network fee (`network_fee_ppm` of it) from",
      "the origin. The spec is checked: CIDs, hyper-parameters, counts, minimum accuracy, phase",
      "lengths, requirements, the job stake, and that enough active evaluators exist.",
    ],
    weight: () => addWeight(w(4n + BigInt(1024), 4n), w(SCHEDULE_READS, 1n)),
    dispatch: (ext, origin, { spec, reward }) => {
      const client = ensureSigned(origin);
      ensure(reward > 0n, () => JobManager.error("ZeroReward"));
      validateSpec(ext, spec);
      ensure(evaluatorPool(ext, [client]).length >= spec.evaluators, () => JobManager.error("NotEnoughEvaluators"));
      const active = S.ActiveJobs.getOrDefault(ext);
      ensure(active < MAX_ACTIVE_JOBS, () => JobManager.error("TooManyActiveJobs"));
      const network_fee = mulPpm(jobParams(ext).network_fee_ppm, reward);
      const held = checkedAdd(reward, network_fee);
      reserve(ext, client, held);
      // No errors allowed after this point.
      const id = S.NextJobId.getOrDefault(ext);
      S.NextJobId.put(ext, id + 1n);
      const posted_at = now(ext);
      const deadline = schedule(ext, id, posted_at + spec.deadlines.assign);
      S.Jobs.insert(ext, id, {
        client,
        spec,
        reward,
        network_fee,
        held,
        status: { tag: "Open" },
        posted_at,
        deadline,
        workers: [],
        evaluators: [],
        test_set: undefined,
      });
      S.ActiveJobs.put(ext, active + 1);
      JobManager.deposit(ext, { tag: "JobPosted", value: { job_id: id, client, reward, network_fee } });
    },
  }),
  cancel_job: call({
    index: 1,
    args: { job_id: T.u64 },
    docs: ["Cancels an open job (before training starts): the client gets its whole escrow back."],
    weight: () => addWeight(w(4n, 4n), SETTLE_WEIGHT),
    dispatch: (ext, origin, { job_id }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(bytesEqual(job.client, who), () => JobManager.error("NotClient"));
      ensure(job.status.tag === "Open", () => JobManager.error("NotOpen"));
      const refund = job.held;
      unschedule(ext, job_id, job.deadline);
      for (const worker of job.workers) {
        releaseStake(ext, job_id, worker);
        noteJobEnded(ext, worker, "neutral");
      }
      refundClient(ext, job_id, job);
      finish(ext, job_id, job, { tag: "Cancelled" });
      JobManager.deposit(ext, { tag: "JobCancelled", value: { job_id, refund } });
    },
  }),
  assign_worker: call({
    index: 2,
    args: { job_id: T.u64 },
    docs: [
      "Assigns the origin, an active trainer whose registered capabilities meet the job's",
      "requirements, to an open job, reserving the job stake. The assignment that fills the job",
      "draws the evaluators (weighted by stake, never a trainer or the client) and starts training.",
    ],
    weight: () => addWeight(w(8n + BigInt(1024), 6n + BigInt(MAX_EVALUATORS_PER_JOB)), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "Open", () => JobManager.error("NotOpen"));
      ensure(!bytesEqual(job.client, who), () => JobManager.error("OwnJob"));
      ensure(!isIn(job.workers, who), () => JobManager.error("AlreadyAssigned"));
      const info = ensureActiveWorker(ext, who, "Trainer");
      ensure(meetsRequirements(info.capabilities, job.spec.requirements, job.spec.profile.tag), () =>
        JobManager.error("RequirementsNotMet"),
      );
      const full = job.workers.length + 1 >= job.spec.workers;
      let drawn: Uint8Array[] = [];
      if (full) {
        const pool = evaluatorPool(ext, [job.client, ...job.workers, who]);
        ensure(pool.length > 0, () => JobManager.error("NoEligibleEvaluators"));
        drawn = drawWeighted(pool, job.spec.evaluators, evaluatorSeed(ext, job_id)).map((c) => c.who);
      }
      const stake = job.spec.worker_stake;
      reserve(ext, who, stake);
      // No errors allowed after this point.
      S.Assignments.insert(ext, [job_id, who], { stake, result: undefined, accuracy_ppm: undefined });
      job.workers.push(who);
      noteJobStarted(ext, who);
      JobManager.deposit(ext, { tag: "WorkerAssigned", value: { job_id, worker: who, stake } });
      if (full) {
        job.evaluators = drawn;
        for (const e of drawn) noteJobStarted(ext, e);
        const submit_by = nextPhase(ext, job_id, job, { tag: "Training" }, job.spec.deadlines.submit);
        JobManager.deposit(ext, { tag: "TrainingStarted", value: { job_id, evaluators: drawn, submit_by } });
      }
      S.Jobs.insert(ext, job_id, job);
    },
  }),
  submit_result: call({
    index: 3,
    args: { job_id: T.u64, model_cid: T.bytes, model_hash: H256, work_root: H256, metrics: ClaimedMetrics },
    docs: [
      "Submits a trainer's result: the trained model's CID and hash, the Merkle root of its",
      "per-step weight hashes, and its claimed metrics. Once every trainer has submitted, the",
      "client is asked for the test set.",
    ],
    weight: () => addWeight(w(4n + BigInt(MAX_WORKERS_PER_JOB), 3n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, model_cid, model_hash, work_root, metrics }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "Training", () => JobManager.error("NotTraining"));
      const a = S.Assignments.get(ext, [job_id, who]);
      ensure(a !== undefined, () => JobManager.error("NotAssigned"));
      ensure(a.result === undefined, () => JobManager.error("AlreadySubmitted"));
      ensure(isValidCid(model_cid), () => JobManager.error("InvalidCid"));
      ensure(metrics.accuracy_ppm <= PPM, () => JobManager.error("InvalidMetrics"));
      S.Assignments.insert(ext, [job_id, who], {
        ...a,
        result: { model_cid, model_hash, work_root, metrics, submitted_at: now(ext) },
      });
      JobManager.deposit(ext, {
        tag: "ResultSubmitted",
        value: { job_id, worker: who, model_cid, model_hash, work_root },
      });
      if (submitters(ext, job_id, job).length === job.workers.length) {
        requestTestSet(ext, job_id, job);
        S.Jobs.insert(ext, job_id, job);
      }
    },
  }),
  reveal_test_set: call({
    index: 4,
    args: { job_id: T.u64, cid: T.bytes, salt: T.fixedBytes(32) },
    docs: [
      "The client reveals the test set once the results are in: `blake2_256(SCALE((cid, salt)))`",
      "must equal the spec's `test_set_commitment`. Evaluators may then commit.",
    ],
    weight: () => addWeight(w(2n, 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, cid, salt }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(bytesEqual(job.client, who), () => JobManager.error("NotClient"));
      ensure(job.status.tag === "AwaitingTestSet", () => JobManager.error("NotAwaitingTestSet"));
      ensure(isValidCid(cid), () => JobManager.error("InvalidCid"));
      ensure(bytesEqual(testSetCommitment(cid, salt), job.spec.test_set_commitment), () =>
        JobManager.error("TestSetMismatch"),
      );
      job.test_set = { cid, salt };
      const commit_by = nextPhase(ext, job_id, job, { tag: "Committing" }, job.spec.deadlines.commit);
      S.Jobs.insert(ext, job_id, job);
      JobManager.deposit(ext, { tag: "TestSetRevealed", value: { job_id, cid, commit_by } });
    },
  }),
  commit_attestation: call({
    index: 5,
    args: { job_id: T.u64, commitment: H256 },
    docs: [
      "A drawn evaluator commits to its attestation:",
      "`blake2_256(SCALE((job_id, evaluator, accuracies, salt)))`. When every drawn evaluator has",
      "committed, the reveal phase starts.",
    ],
    weight: () => addWeight(w(3n + BigInt(MAX_EVALUATORS_PER_JOB), 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, commitment }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "Committing", () => JobManager.error("NotCommitting"));
      ensure(isIn(job.evaluators, who), () => JobManager.error("NotEvaluator"));
      ensure(!S.Attestations.contains(ext, [job_id, who]), () => JobManager.error("AlreadyCommitted"));
      S.Attestations.insert(ext, [job_id, who], { commitment, accuracies: undefined });
      JobManager.deposit(ext, { tag: "AttestationCommitted", value: { job_id, evaluator: who } });
      if (job.evaluators.every((e) => S.Attestations.contains(ext, [job_id, e]))) {
        startReveal(ext, job_id, job);
        S.Jobs.insert(ext, job_id, job);
      }
    },
  }),
  reveal_attestation: call({
    index: 6,
    args: { job_id: T.u64, accuracies: Accuracies, salt: T.fixedBytes(32) },
    docs: [
      "A committed evaluator reveals its attestation: the accuracy (ppm) of every result, listed",
      "as (trainer, accuracy) in assignment order. When every committed evaluator has revealed,",
      "the job settles.",
    ],
    weight: () => addWeight(w(4n + BigInt(MAX_EVALUATORS_PER_JOB), 2n), SETTLE_WEIGHT),
    dispatch: (ext, origin, { job_id, accuracies, salt }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "Revealing", () => JobManager.error("NotRevealing"));
      ensure(isIn(job.evaluators, who), () => JobManager.error("NotEvaluator"));
      const att = S.Attestations.get(ext, [job_id, who]);
      ensure(att !== undefined, () => JobManager.error("NotCommitted"));
      ensure(att.accuracies === undefined, () => JobManager.error("AlreadyRevealed"));
      ensure(bytesEqual(attestationCommitment(job_id, who, accuracies, salt), att.commitment), () =>
        JobManager.error("CommitmentMismatch"),
      );
      const results = submitters(ext, job_id, job);
      ensure(
        accuracies.length === results.length &&
          accuracies.every(([worker, acc], i) => bytesEqual(worker, results[i]) && acc <= PPM),
        () => JobManager.error("InvalidAttestation"),
      );
      // No errors allowed after this point.
      S.Attestations.insert(ext, [job_id, who], { ...att, accuracies });
      JobManager.deposit(ext, { tag: "AttestationRevealed", value: { job_id, evaluator: who, accuracies } });
      const pending = job.evaluators.some((e) => {
        const a = S.Attestations.get(ext, [job_id, e]);
        return a !== undefined && a.accuracies === undefined;
      });
      if (!pending) {
        unschedule(ext, job_id, job.deadline);
        settle(ext, job_id, job);
      }
    },
  }),
  set_parameters: call({
    index: 7,
    args: { params: JobParams },
    docs: [
      "Sets the governance parameters: reward shares, network fee, slash fractions (all ppm) and",
      "the least job stake.",
      "",
      "The dispatch origin must be Root.",
    ],
    weight: () => w(0n, 1n),
    dispatch: (ext, origin, { params }) => {
      ensureRoot(origin);
      ensure(checkJobParams(params), () => JobManager.error("InvalidParameters"));
      S.Parameters.put(ext, params);
      JobManager.deposit(ext, { tag: "ParametersSet", value: { params } });
    },
  }),
});

// ---- Genesis ----

/** Genesis: the governance parameters, if they differ from the defaults. Throws if out of range. */
export function buildJobManagerGenesis(ext: Ext, params: Partial<JobParamsValue>): void {
  const full = { ...DEFAULT_JOB_PARAMS, ...params };
  if (!checkJobParams(full)) throw new Error("Genesis: jobManager: parameters out of range");
  S.Parameters.put(ext, full);
}

// ---- Queries ----

export function jobOf(ext: Ext, id: bigint): JobValue | undefined {
  return S.Jobs.get(ext, id);
}

export function assignmentOf(ext: Ext, id: bigint, worker: Uint8Array): AssignmentValue | undefined {
  return S.Assignments.get(ext, [id, worker]);
}

/** What `job` still holds reserved: the client's escrow plus every trainer's job stake. */
export function heldByJob(ext: Ext, id: bigint): bigint {
  const job = S.Jobs.get(ext, id);
  if (!job) return 0n;
  return job.workers.reduce((sum, who) => sum + (S.Assignments.get(ext, [id, who])?.stake ?? 0n), job.held);
}
