import { TensorchainError } from "../../primitives/errors.js";
import type { HexString } from "../../primitives/hex.js";

// One BlockError for the runtime's executive and the chain; the chain's codes are declared with it.
export { BlockError, type BlockErrorType } from "../../runtime/errors.js";

export type ChainErrorType =
  | { code: "CHAIN_ERROR_GENESIS_MISMATCH"; stored: HexString; expected: HexString }
  | { code: "CHAIN_ERROR_CORRUPT_DB"; reason: string };
export class ChainError extends TensorchainError<ChainErrorType> {}
