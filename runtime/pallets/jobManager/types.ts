/**
 * The job manager's SCALE types and the pure functions of their values: commitments, final statuses,
 * and the knobs' defaults.
 */
import { blake2_256 } from "../../../primitives/hashing.js";
import { T, type TyValue } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, H256 } from "../../../primitives/types.js";
import { JOB_MANAGER } from "../parameters/knobs.js";
import { ExecutionProfile } from "../workerRegistry.js";

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

export const Accuracies = T.vec(T.tuple(AccountId, T.u32));
export type AccuraciesValue = TyValue<typeof Accuracies>;

export const Attestation = T.struct(
  { commitment: H256, accuracies: T.option(Accuracies) },
  { path: [P, "Attestation"] },
);
export type AttestationValue = TyValue<typeof Attestation>;

/** The job manager's knobs, as the node reads them (`jobParams`); each lives in the parameters pallet. */
export interface JobParamsValue {
  worker_share_ppm: number;
  evaluator_share_ppm: number;
  network_fee_ppm: number;
  worker_slash_ppm: number;
  evaluator_slash_ppm: number;
  min_worker_stake: bigint;
  min_phase_blocks: number;
  max_phase_blocks: number;
}

/** The knobs' defaults: 80% workers, 15% evaluators, 5% treasury; a 2% network fee. */
export const DEFAULT_JOB_PARAMS: JobParamsValue = {
  worker_share_ppm: JOB_MANAGER.worker_share_ppm.defaultValue,
  evaluator_share_ppm: JOB_MANAGER.evaluator_share_ppm.defaultValue,
  network_fee_ppm: JOB_MANAGER.network_fee_ppm.defaultValue,
  worker_slash_ppm: JOB_MANAGER.worker_slash_ppm.defaultValue,
  evaluator_slash_ppm: JOB_MANAGER.evaluator_slash_ppm.defaultValue,
  min_worker_stake: JOB_MANAGER.min_worker_stake.defaultValue,
  min_phase_blocks: JOB_MANAGER.min_phase_blocks.defaultValue,
  max_phase_blocks: JOB_MANAGER.max_phase_blocks.defaultValue,
};

/** Final statuses: the job holds nothing any more. */
export function isFinal(status: JobStatusValue): boolean {
  return ["Succeeded", "Failed", "Cancelled", "Expired", "TestSetWithheld"].includes(status.tag);
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
