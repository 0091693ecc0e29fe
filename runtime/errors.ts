/**
 * Why a block is rejected, for both layers: the executive throws the codes of a block that breaks a
 * rule of the runtime itself (whatever the state), the node's chain those of a block it cannot import.
 */
import { TensorchainError } from "../primitives/errors.js";
import type { HexString } from "../primitives/hex.js";
import type { TransactionValidityError } from "./validity.js";

export type BlockErrorType =
  // The runtime's executive.
  | { code: "BLOCK_ERROR_NO_TIMESTAMP" }
  | { code: "BLOCK_ERROR_TIMESTAMP_NOT_SET" }
  | { code: "BLOCK_ERROR_INVALID_EXTRINSIC"; index: number; error: TransactionValidityError }
  | { code: "BLOCK_ERROR_EXTRINSICS_ROOT_MISMATCH" }
  | { code: "BLOCK_ERROR_DIGEST_MISMATCH" }
  // The node's chain.
  | { code: "BLOCK_ERROR_UNKNOWN_PARENT"; parent: HexString }
  | { code: "BLOCK_ERROR_BAD_NUMBER"; number: number; expected: number }
  | { code: "BLOCK_ERROR_ALREADY_KNOWN"; hash: HexString }
  | { code: "BLOCK_ERROR_EXECUTION_FAILED"; reason: string }
  | { code: "BLOCK_ERROR_STATE_ROOT_MISMATCH"; expected: HexString; actual: HexString }
  | { code: "BLOCK_ERROR_BELOW_FINALIZED"; number: number; finalized: number }
  | { code: "BLOCK_ERROR_UNKNOWN_BLOCK"; hash: HexString };

export class BlockError extends TensorchainError<BlockErrorType> {}
