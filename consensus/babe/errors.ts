import { TensorchainError } from "../../primitives/errors.js";

export type BabeErrorType =
  | { code: "BABE_ERROR_MISSING_PRE_DIGEST" }
  | { code: "BABE_ERROR_MULTIPLE_PRE_DIGESTS" }
  | { code: "BABE_ERROR_BAD_PRE_DIGEST"; reason: string }
  | { code: "BABE_ERROR_MISSING_SEAL" }
  | { code: "BABE_ERROR_BAD_SEAL"; authorityIndex: number }
  /** The slot is ahead of the local clock by more than the allowed drift. */
  | { code: "BABE_ERROR_FUTURE_SLOT"; slot: bigint; currentSlot: bigint; maxDriftSlots: number }
  | { code: "BABE_ERROR_SLOT_NOT_INCREASING"; slot: bigint; parentSlot: bigint }
  | { code: "BABE_ERROR_SLOT_NOT_IN_EPOCH"; slot: bigint; epochIndex: bigint; startSlot: bigint; endSlot: bigint }
  | { code: "BABE_ERROR_UNKNOWN_AUTHORITY"; authorityIndex: number; authorities: number }
  /** The author is disabled (by an offence) for the rest of its set: it may not author blocks. */
  | { code: "BABE_ERROR_DISABLED_AUTHORITY"; authorityIndex: number; slot: bigint }
  | { code: "BABE_ERROR_BAD_VRF_PROOF"; authorityIndex: number }
  /** A primary claim whose VRF output is not below the author's threshold, or a secondary claim by the wrong author. */
  | { code: "BABE_ERROR_NOT_ENTITLED"; authorityIndex: number; slot: bigint; reason: "threshold" | "secondary_author" }
  | { code: "BABE_ERROR_SECONDARY_NOT_ALLOWED"; kind: "SecondaryPlain" | "SecondaryVRF" }
  | { code: "BABE_ERROR_BAD_EPOCH"; reason: string };

export class BabeError extends TensorchainError<BabeErrorType> {}
