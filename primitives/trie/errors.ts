import { TensorchainError } from "../errors.js";
import type { HexString } from "../hex.js";

/** Errors of the trie codec, the in-memory trie and proof verification. */
export type TrieErrorType =
  /** A proof lacks a node needed to answer for `key` (or a node was altered, so its hash is unknown). */
  | { code: "TRIE_ERROR_INCOMPLETE_PROOF"; key: HexString; missing: HexString }
  /** Bytes that are not a valid sp-trie node encoding. */
  | { code: "TRIE_ERROR_INVALID_NODE"; reason: string }
  /** A root or hash argument that is not 32 bytes. */
  | { code: "TRIE_ERROR_INVALID_HASH"; length: number };

export class TrieError extends TensorchainError<TrieErrorType> {}
