import type { HexString } from "../../primitives/hex.js";
import type { Trie } from "../../primitives/trie/index.js";
import type { HeaderValue } from "../../primitives/types.js";

export interface Block {
  header: HeaderValue;
  extrinsics: Uint8Array[];
}

/** A block the chain knows, with its hash computed once. */
export interface BlockRef {
  hash: Uint8Array;
  hashHex: HexString;
  number: number;
  header: HeaderValue;
}

export interface ImportedBlock extends BlockRef {
  state: Trie;
  extrinsics: Uint8Array[];
}

export type BlockOrigin = "own" | "network" | "sync" | "genesis";
