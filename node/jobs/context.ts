/** What the trainer and evaluator roles share: their account, the submitter, content, gossip, options. */
import type { Logger } from "../../primitives/logger.js";
import type { JobSpecValue, JobValue } from "../../runtime/pallets/jobManager/index.js";
import type { LossKind } from "../../worker/autodiff/losses.js";
import { type Dataset, datasetSize, makeDataset } from "../../worker/data/dataset.js";
import { DatasetError } from "../../worker/data/errors.js";
import { decodeSafetensors } from "../../worker/data/safetensors.js";
import type { OptimizerKind } from "../../worker/optim/optimizers.js";
import type { ExecutionProfile } from "../../worker/train/profile.js";
import type { TrainingJob } from "../../worker/train/runner.js";
import type { ContentStore } from "../content/types.js";
import type { JobArtifacts } from "./artifacts.js";
import type { JobRolesOptions } from "./options.js";
import type { ExtrinsicSubmitter } from "./submitter.js";

/** Per-job gossip, when the node runs the network. */
export interface JobGossip {
  publish(jobId: bigint, data: Uint8Array): Promise<number>;
  join(jobId: bigint): void;
  leave(jobId: bigint): void;
}

export interface RoleContext {
  self: Uint8Array;
  submitter: ExtrinsicSubmitter;
  content: ContentStore;
  /** Fetches and keeps the artifacts of each job while it needs them. */
  artifacts: JobArtifacts;
  gossip?: JobGossip;
  opts: JobRolesOptions;
  logger: Logger;
  /** Told of every training step this node completes (the node's metrics). */
  onTrainingStep?: () => void;
  /** Told of each checkpoint leaf the trainer reaches (its state hash): the node makes PoUW tickets of them. */
  onLeaf?: (jobId: bigint, leaf: number, stateHash: Uint8Array) => void;
}

/** A dataset from safetensors bytes (tensors `x` and `y`). */
export function datasetFromBytes(bytes: Uint8Array): Dataset {
  const f = decodeSafetensors(bytes);
  const x = f.tensors.get("x");
  const y = f.tensors.get("y");
  if (!x)
    throw new DatasetError({ code: "DATASET_ERROR_MISSING_TENSOR", tensor: "x" }, 'The dataset has no tensor "x"');
  if (!y)
    throw new DatasetError({ code: "DATASET_ERROR_MISSING_TENSOR", tensor: "y" }, 'The dataset has no tensor "y"');
  return makeDataset(x, y, f.metadata);
}

/** The engine's names for the chain's enums. */
export const LOSS_KINDS: Record<"CrossEntropy" | "Mse", LossKind> = { CrossEntropy: "cross_entropy", Mse: "mse" };
export const OPTIMIZER_KINDS: Record<"Sgd" | "Momentum" | "Adam", OptimizerKind> = {
  Sgd: "sgd",
  Momentum: "momentum",
  Adam: "adam",
};
export const PROFILES: Record<"CpuExact" | "GpuTolerance", ExecutionProfile> = {
  CpuExact: "cpu-exact",
  GpuTolerance: "gpu",
};

/**
 * The engine's training job for a job's spec, inputs and trainer key: what a trainer runs and what an
 * auditor re-executes (the auditor under `cpu-exact` whatever the spec says).
 */
export function trainingJobOf(
  spec: JobSpecValue,
  inputs: { model: Uint8Array; dataset: Dataset },
  workerKey: Uint8Array,
  profile: ExecutionProfile = PROFILES[spec.profile.tag],
): TrainingJob {
  return {
    model: inputs.model,
    dataset: inputs.dataset,
    loss: LOSS_KINDS[spec.loss.tag],
    optimizer: { kind: OPTIMIZER_KINDS[spec.optimizer.tag] },
    lr: Number(spec.learning_rate_e9) / 1e9,
    lrSchedule: { kind: "constant" },
    batchSize: spec.batch_size,
    seed: spec.seed,
    workerKey,
    profile,
    threads: 1,
  };
}

/** The job's training steps: its steps, or its epochs times the steps of one epoch of `dataset`. */
export function totalStepsOf(job: Pick<JobValue, "spec">, dataset: Dataset): number {
  const spec = job.spec;
  return spec.length.tag === "Steps"
    ? spec.length.value
    : spec.length.value * Math.floor(datasetSize(dataset) / spec.batch_size);
}

/** A short, log-friendly description of an error: its code when typed, else its message. */
export function errorInfo(err: unknown): { code: string; reason: string } {
  const e = err as { type?: { code?: string }; code?: string; message?: string };
  return { code: e?.type?.code ?? (typeof e?.code === "string" ? e.code : "ERROR"), reason: e?.message ?? String(err) };
}
