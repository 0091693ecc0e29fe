import { TensorchainError } from "../../primitives/errors.js";
import type { HexString } from "../../primitives/hex.js";

export type BlockErrorType =
  | { code: "BLOCK_ERROR_UNKNOWN_PARENT"; parent: HexString }
  | { code: "BLOCK_ERROR_BAD_NUMBER"; number: number; expected: number }
  | { code: "BLOCK_ERROR_ALREADY_KNOWN"; hash: HexString }
  | { code: "BLOCK_ERROR_EXECUTION_FAILED"; reason: string }
  | { code: "BLOCK_ERROR_STATE_ROOT_MISMATCH"; expected: HexString; actual: HexString }
  | { code: "BLOCK_ERROR_BELOW_FINALIZED"; number: number; finalized: number }
  | { code: "BLOCK_ERROR_UNKNOWN_BLOCK"; hash: HexString };

export class BlockError extends TensorchainError<BlockErrorType> {}

export type ChainErrorType =
  | { code: "CHAIN_ERROR_GENESIS_MISMATCH"; stored: HexString; expected: HexString }
  | { code: "CHAIN_ERROR_CORRUPT_DB"; reason: string };
export class ChainError extends TensorchainError<ChainErrorType> {}
