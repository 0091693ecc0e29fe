/**
 * Whether a trainer takes a posted job: a pure function of the job as the chain holds it, the trainer's
 * registered capabilities, what it is already doing, its balance and its policy. Every refusal carries a
 * machine-readable code and a one-line reason (the trainer logs both). The chain checks the
 * requirements again at `assign_worker`; refusing here saves a failed, fee-paying extrinsic.
 */

import { bytesEqual } from "../../primitives/hex.js";
import { leafCount } from "../../primitives/workRoot.js";
import { isValidCid, type JobParamsValue, type JobValue } from "../../runtime/pallets/jobManager/index.js";
import { type CapabilitiesValue, mulPpm } from "../../runtime/pallets/workerRegistry.js";

export interface TrainerPolicy {
  /** Least payout (the worker pool split between the job's trainers) worth a job, in planck. */
  minPayout: bigint;
  /** Most job stake this trainer locks for one job, in planck. */
  maxJobStake: bigint;
  /** Jobs trained at once. */
  maxConcurrentJobs: number;
  /** Most training steps (or epochs × steps per epoch, when known) this trainer accepts. */
  maxSteps: number;
  /** Most bytes of checkpoints (one per leaf, kept until the audits end) this trainer keeps for a job. */
  maxCheckpointBytes: number;
}

export const defaultTrainerPolicy: TrainerPolicy = {
  minPayout: 1n,
  maxJobStake: 10n ** 15n,
  maxConcurrentJobs: 1,
  maxSteps: 1_000_000,
  maxCheckpointBytes: 8 * 1024 ** 3,
};

export type RefusalCode =
  | "JOB_REFUSED_NOT_OPEN"
  | "JOB_REFUSED_OWN_JOB"
  | "JOB_REFUSED_ALREADY_ASSIGNED"
  | "JOB_REFUSED_INVALID_CID"
  | "JOB_REFUSED_GPUS"
  | "JOB_REFUSED_GPU_MEMORY"
  | "JOB_REFUSED_CPU_CORES"
  | "JOB_REFUSED_MEMORY"
  | "JOB_REFUSED_PROFILE"
  | "JOB_REFUSED_REWARD_TOO_LOW"
  | "JOB_REFUSED_STAKE_TOO_HIGH"
  | "JOB_REFUSED_INSUFFICIENT_BALANCE"
  | "JOB_REFUSED_TOO_LONG"
  | "JOB_REFUSED_BUSY"
  | "JOB_REFUSED_DATASET"
  | "JOB_REFUSED_CONTENT";

export type Decision = { accept: true; payout: bigint } | { accept: false; code: RefusalCode; reason: string };

export interface DecisionInput {
  job: JobValue;
  self: Uint8Array;
  capabilities: CapabilitiesValue;
  params: JobParamsValue;
  /** Jobs this trainer is assigned to and has not finished. */
  activeJobs: number;
  /** Free balance, which must cover the job stake. */
  free: bigint;
  policy: TrainerPolicy;
}

const refuse = (code: RefusalCode, reason: string): Decision => ({ accept: false, code, reason });

/** State tensors per parameter tensor a checkpoint holds: the parameters and the optimizer's moments. */
const STATE_PER_PARAMETER = { Sgd: 1, Momentum: 2, Adam: 3 } as const;

/**
 * The checks only the fetched inputs allow (`decideOnJob` runs before them): the job's steps, known
 * for a job in epochs only once the training set is, and the checkpoints the audits need kept — one
 * per leaf, each about the model's size times its optimizer state — within this trainer's limits.
 */
export function decideOnInputs(
  job: JobValue,
  inputs: { modelBytes: number; totalSteps: number },
  policy: TrainerPolicy,
): Decision | undefined {
  if (inputs.totalSteps > policy.maxSteps)
    return refuse(
      "JOB_REFUSED_TOO_LONG",
      `${inputs.totalSteps} steps exceed this worker's limit of ${policy.maxSteps}`,
    );
  const leaves = leafCount(inputs.totalSteps, job.spec.checkpoint_interval);
  const bytes = leaves * inputs.modelBytes * STATE_PER_PARAMETER[job.spec.optimizer.tag];
  if (bytes > policy.maxCheckpointBytes)
    return refuse(
      "JOB_REFUSED_TOO_LONG",
      `${leaves} checkpoints of about ${inputs.modelBytes * STATE_PER_PARAMETER[job.spec.optimizer.tag]} bytes exceed this worker's limit of ${policy.maxCheckpointBytes} bytes`,
    );
  return undefined;
}

/** What each trainer of `job` is paid on success: the worker pool split equally (rounded down). */
export function payoutPerWorker(job: JobValue, params: JobParamsValue): bigint {
  return mulPpm(params.worker_share_ppm, job.reward) / BigInt(Math.max(job.spec.workers, 1));
}

export function decideOnJob(i: DecisionInput): Decision {
  const { job, capabilities: c, policy } = i;
  const spec = job.spec;
  const r = spec.requirements;
  if (job.status.tag !== "Open") return refuse("JOB_REFUSED_NOT_OPEN", `the job is ${job.status.tag}, not Open`);
  if (bytesEqual(job.client, i.self)) return refuse("JOB_REFUSED_OWN_JOB", "a client cannot train its own job");
  if (job.workers.some((w) => bytesEqual(w, i.self)))
    return refuse("JOB_REFUSED_ALREADY_ASSIGNED", "already assigned to this job");
  if (!isValidCid(spec.model_cid) || !isValidCid(spec.training_set_cid))
    return refuse("JOB_REFUSED_INVALID_CID", "the model or training-set CID is not a binary CIDv1");
  if (c.gpus < r.min_gpus) return refuse("JOB_REFUSED_GPUS", `needs ${r.min_gpus} GPU(s), this worker has ${c.gpus}`);
  if (r.min_gpu_memory_mib > 0 && c.gpu_memory_mib < r.min_gpu_memory_mib)
    return refuse(
      "JOB_REFUSED_GPU_MEMORY",
      `needs ${r.min_gpu_memory_mib} MiB per GPU, this worker has ${c.gpu_memory_mib} MiB`,
    );
  if (c.cpu_cores < r.min_cpu_cores)
    return refuse("JOB_REFUSED_CPU_CORES", `needs ${r.min_cpu_cores} CPU cores, this worker has ${c.cpu_cores}`);
  if (c.memory_mib < r.min_memory_mib)
    return refuse("JOB_REFUSED_MEMORY", `needs ${r.min_memory_mib} MiB of memory, this worker has ${c.memory_mib} MiB`);
  if (!c.profiles.some((p) => p.tag === spec.profile.tag))
    return refuse(
      "JOB_REFUSED_PROFILE",
      `needs execution profile ${spec.profile.tag}, this worker offers ${c.profiles.map((p) => p.tag).join(", ")}`,
    );
  if (spec.length.tag === "Steps" && spec.length.value > policy.maxSteps)
    return refuse(
      "JOB_REFUSED_TOO_LONG",
      `${spec.length.value} steps exceed this worker's limit of ${policy.maxSteps}`,
    );
  const payout = payoutPerWorker(job, i.params);
  if (payout < policy.minPayout)
    return refuse(
      "JOB_REFUSED_REWARD_TOO_LOW",
      `pays ${payout} planck per worker, below this worker's minimum of ${policy.minPayout}`,
    );
  if (spec.worker_stake > policy.maxJobStake)
    return refuse(
      "JOB_REFUSED_STAKE_TOO_HIGH",
      `asks a job stake of ${spec.worker_stake} planck, above this worker's limit of ${policy.maxJobStake}`,
    );
  if (i.free <= spec.worker_stake)
    return refuse(
      "JOB_REFUSED_INSUFFICIENT_BALANCE",
      `the job stake of ${spec.worker_stake} planck exceeds the free balance of ${i.free}`,
    );
  if (i.activeJobs >= policy.maxConcurrentJobs)
    return refuse("JOB_REFUSED_BUSY", `already working on ${i.activeJobs} job(s) (limit ${policy.maxConcurrentJobs})`);
  return { accept: true, payout };
}
