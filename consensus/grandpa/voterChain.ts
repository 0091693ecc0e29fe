import type { HeaderValue } from "../../primitives/types.js";
import type { BlockId } from "./messages.js";

/** The chain as the voter sees it (the node's block tree and header store). */
export interface VoterChain {
  /** Hashes from `block` (included) back to `base` (excluded), newest first; undefined when `block` does not descend from `base` or is unknown. */
  ancestry(base: Uint8Array, block: Uint8Array): Uint8Array[] | undefined;
  /** True when `descendant` is `ancestor` or descends from it. */
  isDescendant(ancestor: Uint8Array, descendant: Uint8Array): boolean;
  /** The head of the best chain containing `base`. */
  bestChainContaining(base: Uint8Array): BlockId | undefined;
  header(hash: Uint8Array): HeaderValue | undefined;
}
