/**
 * Messages between the caller and the training worker thread, and typed errors across the boundary:
 * structured clone keeps an error's fields but not its class, so the class is rebuilt from the code.
 */
import { TensorchainError } from "../../primitives/errors.js";
import type { LogContext, LogLevel } from "../../primitives/logger.js";
import type { LeafHash } from "../../primitives/workRoot.js";
import { DatasetError } from "../data/errors.js";
import { OnnxError } from "../onnx/errors.js";
import type { TensorData } from "../onnx/tensor.js";
import { TrainError } from "./errors.js";
import type { HashingMode, TrainingJob } from "./runner.js";

export interface WorkerRequest {
  job: TrainingJob;
  /** The job's last step N, or (re-executing a segment) a multiple of `leafInterval`. */
  untilStep: number;
  /** The job's `checkpoint_interval` k: the state is hashed after steps k, 2k, … and `untilStep` (default 1). */
  leafInterval?: number;
  checkpointEvery?: number;
  /** Also send a checkpoint of the state training starts from (step 0, or `start`), before step one. */
  checkpointAtStart?: boolean;
  /** Resume from this state instead of the model's initial weights. */
  start?: { step: number; state: Map<string, TensorData> };
  /** Default true; false leaves `model` empty (a verifier of a middle segment needs only the end hash). */
  exportModel?: boolean;
  /** How leaves are hashed (default "overlapped"); "sync" starts no hasher thread, for runs of one leaf. */
  hashing?: HashingMode;
  logLevel?: LogLevel;
}

export interface WorkerResult {
  /** Every step run, with its loss; `stateHash` only at leaves. */
  steps: { step: number; loss: number; stateHash?: Uint8Array }[];
  /** The leaves this run reached: those whose step falls in (start, untilStep], index ⌈step/k⌉. */
  leaves: LeafHash[];
  model: Uint8Array;
  finalStep: number;
  profile: string;
  provider: string;
}

export type WorkerMessage =
  | { type: "log"; level: LogLevel; msg: string; ctx?: LogContext }
  | { type: "progress"; step: number; loss: number; stateHash?: Uint8Array; totalSteps: number; stepsPerEpoch: number }
  | { type: "checkpoint"; step: number; state: Map<string, TensorData> }
  | { type: "done"; result: WorkerResult }
  | { type: "error"; error: { name: string; message: string; type?: { code: string } } };

export function errorToWire(e: unknown): Extract<WorkerMessage, { type: "error" }>["error"] {
  const err = e instanceof Error ? e : new Error(String(e));
  const type = err instanceof TensorchainError ? (err.type as { code: string }) : undefined;
  return { name: err.name, message: err.message, type };
}

export function errorFromWire(w: Extract<WorkerMessage, { type: "error" }>["error"]): Error {
  const code = w.type?.code ?? "";
  // biome-ignore lint/suspicious/noExplicitAny: the code prefix names the error union the fields belong to
  const type = w.type as any;
  if (code.startsWith("ONNX_ERROR")) return new OnnxError(type, w.message);
  if (code.startsWith("DATASET_ERROR")) return new DatasetError(type, w.message);
  if (code.startsWith("TRAIN_ERROR")) return new TrainError(type, w.message);
  return new TrainError({ code: "TRAIN_ERROR_WORKER", reason: w.message }, w.message);
}
