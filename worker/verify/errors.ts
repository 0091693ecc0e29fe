import { TensorchainError } from "../../primitives/errors.js";

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
  | { code: "AUDIT_ERROR_BAD_KERNEL_CLASS"; value: string };

export class AuditError extends TensorchainError<AuditErrorType> {}
