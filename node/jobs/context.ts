/** What the trainer and evaluator roles share: their account, the submitter, content, gossip, options. */
import type { Logger } from "../../primitives/logger.js";
import type { LossKind } from "../../worker/autodiff/losses.js";
import { type Dataset, makeDataset } from "../../worker/data/dataset.js";
import { DatasetError } from "../../worker/data/errors.js";
import { decodeSafetensors } from "../../worker/data/safetensors.js";
import type { OptimizerKind } from "../../worker/optim/optimizers.js";
import type { ExecutionProfile } from "../../worker/train/profile.js";
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

/** A short, log-friendly description of an error: its code when typed, else its message. */
export function errorInfo(err: unknown): { code: string; reason: string } {
  const e = err as { type?: { code?: string }; code?: string; message?: string };
  return { code: e?.type?.code ?? (typeof e?.code === "string" ? e.code : "ERROR"), reason: e?.message ?? String(err) };
}
