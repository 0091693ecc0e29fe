import { TensorchainError } from "../../primitives/errors.js";
import { TrainError } from "../train/errors.js";

export type AuditErrorType =
  /** The segment does not exist in the job (index outside 1..⌈N/k⌉, or a bad interval or step count). */
  | { code: "AUDIT_ERROR_BAD_SEGMENT"; reason: string }
  /** The start checkpoint is corrupt, at another step, or not a state of this job. */
  | { code: "AUDIT_ERROR_BAD_CHECKPOINT"; reason: string }
  /** The start checkpoint is larger than the verifier accepts (checked before decoding it). */
  | { code: "AUDIT_ERROR_CHECKPOINT_TOO_LARGE"; bytes: number; max: number }
  /** The start checkpoint's state hash is not the leaf it was claimed to be. */
  | { code: "AUDIT_ERROR_HASH_MISMATCH"; expected: string; found: string }
  /** Re-execution hit a non-finite loss: no honest run of these steps from this state exists. */
  | { code: "AUDIT_ERROR_DIVERGED"; step: number }
  /** `TENSORCHAIN_KERNEL_CLASS` names no kernel class. */
  | { code: "AUDIT_ERROR_BAD_KERNEL_CLASS"; value: string }
  /** The verifier's thread is missing (no build), or crashed or exited while re-executing a segment. */
  | { code: "AUDIT_ERROR_VERIFIER_THREAD"; reason: string };

export class AuditError extends TensorchainError<AuditErrorType> {}

/**
 * The audit meaning of a re-execution's training error: a checkpoint the job's state cannot take is the
 * trainer's bad checkpoint, a non-finite loss is a divergence; anything else is returned as it is.
 */
export function auditErrorOf(e: unknown): unknown {
  if (!(e instanceof TrainError)) return e;
  if (e.type.code === "TRAIN_ERROR_CHECKPOINT")
    return new AuditError(
      { code: "AUDIT_ERROR_BAD_CHECKPOINT", reason: e.type.reason },
      `Bad start checkpoint: ${e.type.reason}`,
    );
  if (e.type.code === "TRAIN_ERROR_NON_FINITE_LOSS")
    return new AuditError(
      { code: "AUDIT_ERROR_DIVERGED", step: e.type.step },
      `Re-execution diverged: the loss is ${e.type.loss} at step ${e.type.step}`,
    );
  return e;
}
