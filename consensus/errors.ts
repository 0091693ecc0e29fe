import { TensorchainError } from "../primitives/errors.js";

export type EquivocationErrorType =
  | { code: "EQUIVOCATION_ERROR_MALFORMED"; reason: string }
  /** The two headers or votes are the same: no offence. */
  | { code: "EQUIVOCATION_ERROR_NOT_CONFLICTING" }
  | { code: "EQUIVOCATION_ERROR_SLOT_MISMATCH"; slot: bigint }
  | { code: "EQUIVOCATION_ERROR_AUTHOR_MISMATCH" }
  | { code: "EQUIVOCATION_ERROR_BAD_SIGNATURE"; which: "first" | "second" }
  | { code: "EQUIVOCATION_ERROR_NOT_AUTHORITY" };

export class EquivocationError extends TensorchainError<EquivocationErrorType> {}
