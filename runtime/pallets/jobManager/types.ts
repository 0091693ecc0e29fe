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
    checkpoint_interval: T.u32,
  },
  {
    path: [P, "JobSpec"],
    fieldInfo: {
      model_cid: { docs: ["Binary CIDv1 of the ONNX model to train."] },
      training_set_cid: { docs: ["Binary CIDv1 of the training set (safetensors)."] },
      test_set_commitment: { docs: ["blake2_256(SCALE((test_set_cid, salt)))."] },
      learning_rate_e9: { docs: ["The learning rate times 10^9."] },
      worker_stake: { docs: ["The stake each trainer locks for the job."] },
      checkpoint_interval: {
        docs: ["Steps per checkpoint segment (k); 0 at posting = about 64 segments, fixed by the chain."],
      },
    },
  },
);
export type JobSpecValue = TyValue<typeof JobSpec>;

export const FailureReason = T.enumeration(
  {
    BelowMinimumAccuracy: { index: 0, docs: ["Every agreed accuracy was below the job's minimum."] },
    NoResults: { index: 1, docs: ["No trainer committed to and revealed a result in time."] },
    NoQuorum: { index: 2, docs: ["The evaluators that revealed agreed on no result."] },
    AuditsFailed: { index: 3, docs: ["Every revealed result failed its audit."] },
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
    RevealingResults: { index: 10 },
    Auditing: { index: 11 },
  },
  { path: [P, "JobStatus"] },
);
export type JobStatusValue = TyValue<typeof JobStatus>;

export const PendingSettlement = T.enumeration(
  { Attested: { index: 0 }, WithoutTestSet: { index: 1 } },
  { path: [P, "PendingSettlement"], docs: ["A settlement that waits for the job's open checks."] },
);
export type PendingSettlementValue = TyValue<typeof PendingSettlement>;

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
    results: T.vec(AccountId),
    checks: T.u32,
    open_checks: T.u32,
    pending_settlement: T.option(PendingSettlement),
  },
  {
    path: [P, "Job"],
    fieldInfo: {
      results: { docs: ["The results evaluators score, in assignment order: revealed and not failed by audits."] },
      checks: { docs: ["Checks (audits, escalations, challenges) opened so far: the next check's id."] },
      open_checks: { docs: ["Checks not yet concluded."] },
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
  {
    model_cid: T.bytes,
    model_hash: H256,
    work_root: H256,
    metrics: ClaimedMetrics,
    steps: T.u32,
    kernel_class: T.bytes,
    revealed_at: BlockNumber,
  },
  {
    path: [P, "JobResult"],
    fieldInfo: {
      steps: { docs: ["Training steps the trainer ran: the work root has ⌈steps / checkpoint_interval⌉ leaves."] },
      kernel_class: { docs: ["The trainer's CPU kernel class at reveal (from its registered capabilities)."] },
    },
  },
);
export type JobResultValue = TyValue<typeof JobResult>;

export const AuditVerdict = T.enumeration(
  {
    Pending: { index: 0, docs: ["Not revealed yet, or its checks are running."] },
    Passed: { index: 1, docs: ["Every audited segment re-executed to the trainer's leaves."] },
    Failed: { index: 2, docs: ["A segment did not re-execute to its leaf, or the trainer did not serve it."] },
    Unverifiable: {
      index: 3,
      docs: ["No verifier of the trainer's kernel class (or no verdict): paid on evaluation only, no PoUW credit."],
    },
  },
  { path: [P, "AuditVerdict"] },
);
export type AuditVerdictName = TyValue<typeof AuditVerdict>["tag"];

export const Assignment = T.struct(
  {
    stake: Balance,
    commitment: T.option(H256),
    result: T.option(JobResult),
    audit: AuditVerdict,
    accuracy_ppm: T.option(T.u32),
  },
  {
    path: [P, "Assignment"],
    fieldInfo: {
      stake: { docs: ["The job stake still reserved (0 once released or slashed)."] },
      commitment: { docs: ["blake2_256(SCALE((job_id, worker, model_hash, work_root, metrics, salt)))."] },
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

// ---- Checks: audits, escalations, challenges (see `audit.ts`) ----

export const WorkProofStep = T.struct({ sibling: H256, right: T.bool }, { path: [P, "WorkProofStep"] });
/** A Merkle path under a work root, bottom up (`primitives/workRoot.ts`). */
export const WorkProof = T.vec(WorkProofStep);

export const CheckKind = T.enumeration(
  {
    Audit: { index: 0, docs: ["Drawn after the results are revealed."] },
    Escalation: { index: 1, fields: T.u32, docs: ["A larger committee for a check whose verifiers disagreed."] },
    Challenge: {
      index: 2,
      fields: T.struct({ challenger: AccountId, bond: Balance }, { path: [P, "ChallengeBond"] }),
      docs: ["Opened by an evaluator with a bond."],
    },
  },
  { path: [P, "CheckKind"] },
);
export type CheckKindValue = TyValue<typeof CheckKind>;

export const CheckVerdict = T.enumeration(
  {
    Passed: { index: 0, docs: ["The verifiers' end hash equals the trainer's leaf."] },
    Failed: { index: 1, docs: ["The verifiers agree on another end hash, or the trainer did not serve."] },
    Escalated: { index: 2, docs: ["The verifiers disagreed; the escalation check decides."] },
    Inconclusive: { index: 3, docs: ["No verifier revealed, or the escalation found no majority."] },
  },
  { path: [P, "CheckVerdict"] },
);
export type CheckVerdictName = TyValue<typeof CheckVerdict>["tag"];

export const CheckStage = T.enumeration(
  {
    Serving: { index: 0, docs: ["The trainer must serve the segment's start checkpoint with its proof."] },
    Committing: { index: 1, docs: ["Verifiers re-execute the segment and commit to the end hash."] },
    Opening: { index: 2, docs: ["The trainer must open the segment's end leaf with its proof."] },
    Revealing: { index: 3, docs: ["Verifiers reveal their end hashes."] },
    Done: { index: 4, fields: CheckVerdict },
  },
  { path: [P, "CheckStage"] },
);
export type CheckStageValue = TyValue<typeof CheckStage>;

export const Vote = T.struct(
  { verifier: AccountId, commitment: T.option(H256), end_hash: T.option(H256) },
  { path: [P, "Vote"] },
);

export const StartCheckpoint = T.struct({ cid: T.bytes, state_hash: H256 }, { path: [P, "StartCheckpoint"] });

export const Check = T.struct(
  {
    worker: AccountId,
    segment: T.u32,
    kind: CheckKind,
    stage: CheckStage,
    deadline: BlockNumber,
    start: T.option(StartCheckpoint),
    end_leaf: T.option(H256),
    votes: T.vec(Vote),
    agreed: T.option(H256),
  },
  {
    path: [P, "Check"],
    fieldInfo: {
      segment: { docs: ["Segment i runs from leaf i-1 (the client's model for i = 1) to leaf i."] },
      start: { docs: ["The start checkpoint the trainer served (none for segment 1)."] },
      end_leaf: { docs: ["The state hash of leaf `segment` the trainer opened under its work root."] },
      agreed: { docs: ["The end hash the verdict rests on; verifiers that revealed it are paid."] },
    },
  },
);
export type CheckValue = TyValue<typeof Check>;

/** The job manager's knobs, as the node reads them (`jobParams`); each lives in the parameters pallet. */
export type JobParamsValue = { [K in keyof typeof JOB_MANAGER]: (typeof JOB_MANAGER)[K]["defaultValue"] };

/** The knobs' defaults: 80% workers, 15% evaluators, 5% treasury; a 2% network fee. */
export const DEFAULT_JOB_PARAMS = Object.fromEntries(
  Object.entries(JOB_MANAGER).map(([name, knob]) => [name, knob.defaultValue]),
) as JobParamsValue;

/** Final statuses: the job holds nothing any more. */
export function isFinal(status: JobStatusValue): boolean {
  return ["Succeeded", "Failed", "Cancelled", "Expired", "TestSetWithheld"].includes(status.tag);
}

const TestSetPreimage = T.tuple(T.bytes, T.fixedBytes(32));
const ResultPreimage = T.tuple(T.u64, AccountId, H256, H256, ClaimedMetrics, T.fixedBytes(32));
const VerdictPreimage = T.tuple(T.u64, T.u32, AccountId, H256, T.fixedBytes(32));

/** A trainer's result commitment: `blake2_256(SCALE((job_id, worker, model_hash, work_root, metrics, salt)))`. */
export function resultCommitment(
  jobId: bigint,
  worker: Uint8Array,
  modelHash: Uint8Array,
  workRoot: Uint8Array,
  metrics: TyValue<typeof ClaimedMetrics>,
  salt: Uint8Array,
): Uint8Array {
  return blake2_256(ResultPreimage.enc([jobId, worker, modelHash, workRoot, metrics, salt]));
}

/** A verifier's commitment: `blake2_256(SCALE((job_id, check_id, verifier, end_hash, salt)))`. */
export function verdictCommitment(
  jobId: bigint,
  checkId: number,
  verifier: Uint8Array,
  endHash: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  return blake2_256(VerdictPreimage.enc([jobId, checkId, verifier, endHash, salt]));
}
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
