/**
 * The job manager's SCALE types and the pure functions of their values: commitments, final statuses,
 * the default and valid governance parameters.
 */
import { blake2_256 } from "../../../primitives/hashing.js";
import { T, type TyValue } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, H256 } from "../../../primitives/types.js";
import { UNITS } from "../../constants.js";
import { ExecutionProfile, PPM } from "../workerRegistry.js";

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

export function checkJobParams(p: JobParamsValue): boolean {
  return (
    p.worker_share_ppm + p.evaluator_share_ppm <= PPM &&
    p.network_fee_ppm <= PPM &&
    p.worker_slash_ppm <= PPM &&
    p.evaluator_slash_ppm <= PPM &&
    p.min_worker_stake > 0n
  );
}

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
