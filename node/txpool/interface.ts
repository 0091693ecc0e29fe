/**
 * The transaction pool's public types: what the runtime's `TaggedTransactionQueue_validate_transaction`
 * answers (Substrate's `TransactionValidity`), the modules the pool is given, and what it gives back
 * (ready transactions in block-building order, watcher statuses, status counters).
 */
import type { HexString } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";

// Validity is the runtime's vocabulary (Substrate's `TransactionValidity`); the pool speaks it as is.
export type {
  InvalidTransactionReason,
  TransactionSource,
  TransactionValidity,
  TransactionValidityError,
  UnknownTransactionReason,
  ValidTransaction,
} from "../../runtime/validity.js";

import type { TransactionSource, TransactionValidity } from "../../runtime/validity.js";

/** What the pool is given. */
export interface TxPoolModules {
  logger: Logger;
  /** Validates against the state at block `at` (hex hash). */
  validate(source: TransactionSource, tx: Uint8Array, at: HexString): Promise<TransactionValidity>;
  /** Current best block {hash, number}. */
  bestBlock(): { hash: HexString; number: number };
  /** Milliseconds clock for bans and future-queue age; `Date.now` by default. Injected by tests. */
  now?: () => number;
}

/**
 * Substrate's `TransactionStatus`, in the JSON shape of `author_extrinsicUpdate` notifications.
 * Terminal statuses (no more follow): `usurped`, `finalized`, `finalityTimeout`, `dropped`, `invalid`.
 */
export type TransactionStatus =
  | "future"
  | "ready"
  | { broadcast: string[] }
  | { inBlock: HexString }
  | { retracted: HexString }
  | { finalityTimeout: HexString }
  | { finalized: HexString }
  | { usurped: HexString }
  | "dropped"
  | "invalid";

export type TransactionStatusListener = (status: TransactionStatus) => void;

/** The status stream of one submitted transaction. */
export interface TxWatcher {
  /** blake2_256 of the transaction bytes. */
  readonly hash: HexString;
  /**
   * Subscribes; the listener first receives, synchronously, every status emitted so far (so that none
   * is lost between `submitAndWatch` resolving and the subscription), then each new one. Returns an
   * unsubscribe function.
   */
  on(listener: TransactionStatusListener): () => void;
  /** Stops the stream and detaches from the pool. Idempotent. */
  close(): void;
  /** True once a terminal status was emitted or `close()` was called. */
  readonly done: boolean;
}

/** A transaction as the pool holds it; what `ready()` yields to the block builder. */
export interface ReadyTransaction {
  readonly hash: HexString;
  /** The encoded extrinsic. */
  readonly bytes: Uint8Array;
  readonly priority: bigint;
  /** Tags, hex-encoded. */
  readonly requires: readonly HexString[];
  readonly provides: readonly HexString[];
  /** Block number from which the transaction is stale (`validated at + longevity`, saturating u64). */
  readonly validTill: bigint;
  readonly propagate: boolean;
  readonly source: TransactionSource;
}

/**
 * Ready transactions in block-building order: a transaction comes only after every transaction in the
 * pool that provides one of its `requires`; among those available, highest priority first, then the
 * shortest `validTill`, then the longest in the pool.
 *
 * Iteration is lazy over a snapshot of the ready graph, but a transaction that has left the ready queue
 * since (e.g. through `TxPool.reportInvalid`) is skipped together with its dependents.
 */
export interface ReadyIterator extends IterableIterator<ReadyTransaction> {
  /**
   * Skips, for the rest of this iteration only, every transaction that depends on `hash` (what
   * Substrate's `BestIterator::report_invalid` does). The pool is not changed.
   */
  skip(hash: HexString): void;
}

export interface TxPoolStatus {
  ready: number;
  future: number;
  readyBytes: number;
  futureBytes: number;
}

/** A block as the pool needs it. */
export interface TxPoolBlock {
  hash: HexString;
  number: number;
  extrinsics: Uint8Array[];
  /**
   * When given, extrinsics of the block that the pool does not hold are validated at the parent to learn
   * the tags they provide (as Substrate's `Pool::prune`), so conflicting pool transactions are pruned at
   * once instead of at the next revalidation.
   */
  parentHash?: HexString;
}

/** A switch of the best chain to another branch, as the pool is told of it (see `TxPool.onReorg`). */
export interface TxPoolReorg {
  /** Blocks that left the best chain, newest first. */
  retracted: TxPoolBlock[];
  /** Blocks that joined the best chain, oldest first; the last one is the new best block. */
  enacted: TxPoolBlock[];
}
