/**
 * Builds a block on a parent: the timestamp inherent first, then ready transactions from the pool in
 * priority order until the block is full or the time budget is spent. Transactions the runtime rejects
 * are reported back to the pool (banned), unless they only need to wait (future nonce, full block) or
 * were just included (stale).
 */
import type { SignatureChecker } from "../../primitives/crypto/index.js";
import type { HexString } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { DigestItemValue } from "../../primitives/types.js";
import { timestampInherent } from "../../runtime/index.js";
import { BlockBuilder, type BuiltBlock } from "../chain/blockBuilder.js";
import type { RuntimeView } from "../chain/runtimeView.js";

export interface PoolTransaction {
  hash: HexString;
  bytes: Uint8Array;
}

export interface ProposerPool {
  ready(): Iterable<PoolTransaction>;
  reportInvalid(hash: HexString): void;
}

export interface ProposeParams {
  /** The runtime at the parent block. */
  parent: RuntimeView;
  /** Milliseconds since the Unix epoch, from the slot (never from the runtime). */
  timestamp: bigint;
  preDigest: DigestItemValue[];
  /** The proposer stops taking transactions when this returns true. */
  deadlineReached: () => boolean;
}

export interface Proposal extends BuiltBlock {
  included: HexString[];
}

export interface ProposerModules {
  pool: ProposerPool;
  signatures: SignatureChecker;
  genesisHash: Uint8Array;
  logger: Logger;
  /** Told how long each block took to build (seconds) and how many extrinsics it has, inherents included (metrics). */
  onBlockConstructed?: (seconds: number, extrinsics: number) => void;
}

/** How many consecutive "block is full" answers end the search for transactions that still fit. */
const MAX_SKIPPED_WHEN_FULL = 8;

export function propose(p: ProposeParams, m: ProposerModules): Proposal {
  const started = performance.now();
  const builder = new BlockBuilder(p.parent, p.preDigest, m);
  const r = builder.apply(timestampInherent(p.timestamp));
  if (!r.ok || !r.outcome.ok) throw new Error(`Timestamp inherent failed: ${JSON.stringify(r)}`);

  const included: HexString[] = [];
  let skipped = 0;
  for (const tx of m.pool.ready()) {
    if (p.deadlineReached()) break;
    const result = builder.apply(tx.bytes);
    if (result.ok) {
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
  const built = builder.build();
  m.onBlockConstructed?.((performance.now() - started) / 1000, built.extrinsics.length);
  return { ...built, included };
}
