/**
 * The dependency graph over both queues (Substrate's `graph/base_pool.rs`): imports a validated
 * transaction into ready or future by its tags, promotes future transactions when their tags appear,
 * prunes by tags provided by the chain, and enforces limits. No validation, no events, no bans: those
 * belong to `TxPool`.
 */
import type { HexString } from "../../primitives/hex.js";
import { TxPoolError } from "./errors.js";
import { FutureTransactions, newWaitingTransaction, type WaitingTransaction } from "./future.js";
import type { ReadyIterator, TxPoolStatus } from "./interface.js";
import { isLimitExceeded, type TxPoolLimit } from "./options.js";
import { ReadyTransactions } from "./ready.js";
import type { PoolTransaction } from "./transaction.js";

export type Imported =
  | {
      kind: "ready";
      hash: HexString;
      /** Future transactions moved to ready by this import. */
      promoted: HexString[];
      /** Future transactions that failed to move and were discarded. */
      failed: HexString[];
      /** Ready transactions removed because a newcomer provides their tags with a higher priority. */
      removed: PoolTransaction[];
    }
  | { kind: "future"; hash: HexString }
  /**
   * The import closed a cycle: the transaction was pushed out by a future transaction it promoted.
   * `dropped` left the pool (the newcomer is not among them and was not imported).
   */
  | { kind: "cycle"; hash: HexString; dropped: PoolTransaction[] };

export interface PruneStatus {
  /** Future transactions moved to ready because the chain now provides their tags. */
  promoted: Imported[];
  /** Future transactions discarded: they provide a pruned tag, or failed to move to ready. */
  failed: PoolTransaction[];
  /** Ready transactions removed because the chain provides their tags (plus their sole predecessors). */
  pruned: PoolTransaction[];
}

/** Pruned tags remembered for this many prunes, so that a late submission still finds them provided. */
const RECENTLY_PRUNED_TAGS = 2;

export class BasePool {
  private readonly future = new FutureTransactions();
  private readonly readyQueue = new ReadyTransactions();
  private readonly recentlyPruned: Set<HexString>[] = Array.from({ length: RECENTLY_PRUNED_TAGS }, () => new Set());
  private recentlyPrunedIndex = 0;

  constructor(private readonly now: () => number) {}

  isImported(hash: HexString): boolean {
    return this.future.contains(hash) || this.readyQueue.contains(hash);
  }

  get(hash: HexString): PoolTransaction | undefined {
    return this.readyQueue.get(hash) ?? this.future.get(hash);
  }

  isReady(hash: HexString): boolean {
    return this.readyQueue.contains(hash);
  }

  /**
   * Imports into future when some required tag is missing, else into ready (promoting what it unlocks).
   * Throws `ALREADY_IMPORTED`, or `TOO_LOW_PRIORITY` when it cannot replace a ready provider of its tags.
   */
  import(tx: PoolTransaction): Imported {
    if (this.isImported(tx.hash)) throw new TxPoolError({ code: "TXPOOL_ERROR_ALREADY_IMPORTED", hash: tx.hash });
    const w = newWaitingTransaction(tx, this.readyQueue.provided, this.recentlyPruned, this.now());
    if (w.missingTags.size > 0) {
      this.future.import(w);
      return { kind: "future", hash: tx.hash };
    }
    return this.importToReady(w);
  }

  private importToReady(first: WaitingTransaction): Imported {
    const hash = first.tx.hash;
    let promoted: HexString[] = [];
    const failed: HexString[] = [];
    const removed: PoolTransaction[] = [];
    const toImport: WaitingTransaction[] = [first];
    let isFirst = true;
    while (toImport.length > 0) {
      const w = toImport.pop()!;
      try {
        const replaced = this.readyQueue.import(w);
        // Only what is actually in ready unlocks future transactions (Substrate satisfies the tags
        // before the import and loses them when the import fails).
        toImport.push(...this.future.satisfyTags(w.tx.provides));
        if (!isFirst) promoted.push(w.tx.hash);
        if (replaced.length > 0) {
          const gone = new Set(replaced.map((t) => t.hash));
          promoted = promoted.filter((h) => !gone.has(h));
          removed.push(...replaced);
        }
      } catch (e) {
        if (isFirst) throw e;
        if (e instanceof TxPoolError && e.type.code === "TXPOOL_ERROR_TOO_LOW_PRIORITY") {
          removed.push(w.tx);
          promoted = promoted.filter((h) => h !== w.tx.hash);
        } else {
          failed.push(w.tx.hash);
        }
      }
      isFirst = false;
    }

    // A promoted future transaction pushed the newcomer out: a cycle. Remove what was promoted (it
    // depends on the newcomer and could never be built) and report.
    if (removed.some((t) => t.hash === hash)) {
      const dropped = [...removed.filter((t) => t.hash !== hash), ...this.readyQueue.removeSubtree(promoted)];
      return { kind: "cycle", hash, dropped };
    }
    return { kind: "ready", hash, promoted, failed, removed };
  }

  ready(isLive?: (hash: HexString) => boolean): ReadyIterator {
    return this.readyQueue.iterator(isLive ?? ((h) => this.readyQueue.contains(h)));
  }

  readyTransactions(): IterableIterator<PoolTransaction> {
    return this.readyQueue.all();
  }

  futureTransactions(): IterableIterator<PoolTransaction> {
    return this.future.all();
  }

  /**
   * Removes the worst transactions (and their dependents) until both queues are within their limits:
   * in ready the lowest priority, oldest first among equals; in future the longest waiting.
   */
  enforceLimits(ready: TxPoolLimit, future: TxPoolLimit): PoolTransaction[] {
    const removed: PoolTransaction[] = [];
    while (isLimitExceeded(ready, this.readyQueue.length, this.readyQueue.bytes)) {
      const worst = this.readyQueue.worst();
      if (!worst) break;
      removed.push(...this.removeSubtree([worst.hash]));
    }
    while (isLimitExceeded(future, this.future.length, this.future.bytes)) {
      const worst = this.future.worst();
      if (!worst) break;
      removed.push(...this.removeSubtree([worst.tx.hash]));
    }
    return removed;
  }

  /** Removes the given transactions and, in ready, everything depending on them. */
  removeSubtree(hashes: readonly HexString[]): PoolTransaction[] {
    return [...this.readyQueue.removeSubtree(hashes), ...this.future.remove(hashes)];
  }

  /** As `removeSubtree`, telling which queue each removed transaction was in. */
  removeSubtreeDetailed(hashes: readonly HexString[]): { tx: PoolTransaction; wasReady: boolean }[] {
    return [
      ...this.readyQueue.removeSubtree(hashes).map((tx) => ({ tx, wasReady: true })),
      ...this.future.remove(hashes).map((tx) => ({ tx, wasReady: false })),
    ];
  }

  /**
   * The chain now provides `tags`: removes the transactions that provide them (unlike `removeSubtree`,
   * dependents stay), discards future ones that provide them, and promotes future ones they unlock.
   */
  pruneTags(tags: readonly HexString[]): PruneStatus {
    const recently = this.recentlyPruned[this.recentlyPrunedIndex];
    this.recentlyPrunedIndex = (this.recentlyPrunedIndex + 1) % RECENTLY_PRUNED_TAGS;
    recently.clear();

    const failed = this.future.pruneTags(tags);
    const toImport: WaitingTransaction[] = [];
    const pruned: PoolTransaction[] = [];
    for (const tag of tags) {
      toImport.push(...this.future.satisfyTags([tag]));
      pruned.push(...this.readyQueue.pruneTags(tag));
      recently.add(tag);
    }
    const promoted: Imported[] = [];
    for (const w of toImport) {
      try {
        promoted.push(this.importToReady(w));
      } catch {
        failed.push(w.tx);
      }
    }
    return { promoted, failed, pruned };
  }

  clearRecentlyPruned(): void {
    for (const s of this.recentlyPruned) s.clear();
    this.recentlyPrunedIndex = 0;
  }

  status(): TxPoolStatus {
    return {
      ready: this.readyQueue.length,
      future: this.future.length,
      readyBytes: this.readyQueue.bytes,
      futureBytes: this.future.bytes,
    };
  }
}
