/** Shared fixtures for the consensus tests: dev keys, headers, an in-memory chain for the voter. */

import type { BabeEpoch } from "../../../consensus/babe/index.js";
import { BlockTree } from "../../../consensus/forkChoice.js";
import type { BlockId, VoterChain } from "../../../consensus/grandpa/index.js";
import { hashHeader } from "../../../consensus/header.js";
import { type KeyPair, keypairFromSuri } from "../../../primitives/crypto/index.js";
import { blake2_256 } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import type { DigestItemValue, HeaderValue } from "../../../primitives/types.js";

export const NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];

export function srKeys(n: number): KeyPair[] {
  return NAMES.slice(0, n).map((name) => keypairFromSuri(`//${name}`, "sr25519"));
}

export function edKeys(n: number): KeyPair[] {
  return NAMES.slice(0, n).map((name) => keypairFromSuri(`//${name}`, "ed25519"));
}

export function fixedBytes(label: string): Uint8Array {
  return blake2_256(new TextEncoder().encode(label));
}

export function epochFor(keys: KeyPair[], weights: bigint[], over: Partial<BabeEpoch> = {}): BabeEpoch {
  return {
    epochIndex: 0n,
    startSlot: 0n,
    duration: 10_000n,
    authorities: keys.map((k, i) => ({ publicKey: k.publicKey, weight: weights[i]! })),
    randomness: fixedBytes("genesis randomness"),
    c: [1n, 4n],
    allowedSlots: "PrimaryAndSecondaryPlainSlots",
    ...over,
  };
}

export function makeHeader(
  parent: { hash: Uint8Array; number: number },
  logs: DigestItemValue[] = [],
  salt = "",
): HeaderValue {
  return {
    parentHash: parent.hash,
    number: parent.number + 1,
    stateRoot: fixedBytes(`state ${toHex(parent.hash)} ${salt}`),
    extrinsicsRoot: fixedBytes("extrinsics"),
    digest: { logs },
  };
}

/** A block tree plus headers: the chain access a GRANDPA voter needs. */
export class TestChain implements VoterChain {
  readonly genesis: HeaderValue;
  readonly genesisId: BlockId;
  readonly tree: BlockTree;
  readonly headers = new Map<string, HeaderValue>();

  constructor() {
    this.genesis = {
      parentHash: new Uint8Array(32),
      number: 0,
      stateRoot: fixedBytes("g"),
      extrinsicsRoot: fixedBytes("e"),
      digest: { logs: [] },
    };
    this.genesisId = { hash: hashHeader(this.genesis), number: 0 };
    this.tree = new BlockTree(this.genesisId);
    this.headers.set(toHex(this.genesisId.hash), this.genesis);
  }

  /** Adds a child of `parent` (a secondary block unless `primary`), returning its id. */
  add(parent: BlockId, opts: { logs?: DigestItemValue[]; salt?: string; primary?: boolean } = {}): BlockId {
    const header = makeHeader(parent, opts.logs, opts.salt);
    const hash = hashHeader(header);
    this.headers.set(toHex(hash), header);
    this.tree.addBlock({ hash, parentHash: parent.hash, number: header.number, primary: opts.primary ?? false });
    return { hash, number: header.number };
  }

  /** A linear chain of `n` blocks on top of `from`; returns them in order. */
  extend(from: BlockId, n: number, salt = ""): BlockId[] {
    const out: BlockId[] = [];
    let cur = from;
    for (let i = 0; i < n; i++) {
      cur = this.add(cur, { salt });
      out.push(cur);
    }
    return out;
  }

  ancestry(base: Uint8Array, block: Uint8Array): Uint8Array[] | undefined {
    return this.tree.ancestry(base, block);
  }
  isDescendant(ancestor: Uint8Array, descendant: Uint8Array): boolean {
    return this.tree.isDescendant(ancestor, descendant);
  }
  bestChainContaining(base: Uint8Array): BlockId | undefined {
    return this.tree.bestContaining(base);
  }
  header(hash: Uint8Array): HeaderValue | undefined {
    return this.headers.get(toHex(hash));
  }
}
