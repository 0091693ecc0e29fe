/**
 * Builds a block on a parent: the timestamp inherent first, then ready transactions from the pool in
 * priority order until the block is full or the time budget is spent. Transactions the runtime rejects
 * are reported back to the pool (banned), unless they only need to wait (future nonce, full block) or
 * were just included (stale).
 */
import type { SignatureChecker } from "../../primitives/crypto/index.js";
import type { HexString } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { Trie } from "../../primitives/trie/index.js";
import type { DigestItemValue, HeaderValue } from "../../primitives/types.js";
import { applyExtrinsic, Ext, finalizeBlock, initializeBlock, timestampInherent } from "../../runtime/index.js";
import { trieBackend } from "../chain/chain.js";
import type { BlockRef } from "../chain/types.js";

export interface PoolTransaction {
  hash: HexString;
  bytes: Uint8Array;
}

export interface ProposerPool {
  ready(): Iterable<PoolTransaction>;
  reportInvalid(hash: HexString): void;
}

export interface ProposeParams {
  parent: BlockRef;
  parentState: Trie;
  /** Milliseconds since the Unix epoch, from the slot (never from the runtime). */
  timestamp: bigint;
  preDigest: DigestItemValue[];
  /** The proposer stops taking transactions when this returns true. */
  deadlineReached: () => boolean;
}

export interface Proposal {
  header: HeaderValue;
  extrinsics: Uint8Array[];
  state: Trie;
  included: HexString[];
}

export interface ProposerModules {
  pool: ProposerPool;
  signatures: SignatureChecker;
  genesisHash: Uint8Array;
  logger: Logger;
}

/** How many consecutive "block is full" answers end the search for transactions that still fit. */
const MAX_SKIPPED_WHEN_FULL = 8;

export function propose(p: ProposeParams, m: ProposerModules): Proposal {
  const ext = new Ext(trieBackend(p.parentState), m.signatures);
  const number = p.parent.number + 1;
  initializeBlock(ext, { parentHash: p.parent.hash, number, digest: p.preDigest });
  const extrinsics: Uint8Array[] = [];
  const inherent = timestampInherent(p.timestamp);
  const r = applyExtrinsic(ext, inherent, m.genesisHash);
  if (!r.ok || !r.outcome.ok) throw new Error(`Timestamp inherent failed: ${JSON.stringify(r)}`);
  extrinsics.push(inherent);

  const included: HexString[] = [];
  let skipped = 0;
  for (const tx of m.pool.ready()) {
    if (p.deadlineReached()) break;
    const result = applyExtrinsic(ext, tx.bytes, m.genesisHash);
    if (result.ok) {
      extrinsics.push(tx.bytes);
      included.push(tx.hash);
      skipped = 0;
      continue;
    }
    if (result.error.reason === "exhaustsResources") {
      if (++skipped >= MAX_SKIPPED_WHEN_FULL) break;
      continue;
    }
    // Future ones wait for their predecessors; stale ones were just included and the pool's
    // maintenance will prune them: neither is the transaction's fault.
    if (result.error.reason === "future" || result.error.reason === "stale") continue;
    m.logger.debug("Dropping invalid transaction", { hash: tx.hash, reason: result.error.reason });
    m.pool.reportInvalid(tx.hash);
  }
  // The digest is the author's pre-digest plus what the runtime added (authority-set changes).
  const { extrinsicsRoot, digest } = finalizeBlock(ext, extrinsics);
  const state = p.parentState.update(ext.overlay.drain());
  const header: HeaderValue = {
    parentHash: p.parent.hash,
    number,
    stateRoot: state.root,
    extrinsicsRoot,
    digest: { logs: digest },
  };
  return { header, extrinsics, state, included };
}
