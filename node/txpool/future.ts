/**
 * The future queue (Substrate's `graph/future.rs`): transactions with some `requires` tag that no ready
 * transaction provides yet. They wait, indexed by the tags they miss, until an import provides them.
 */
import type { HexString } from "../../primitives/hex.js";
import { type PoolTransaction, txSize } from "./transaction.js";

/** A transaction with the set of required tags not yet provided. */
export interface WaitingTransaction {
  tx: PoolTransaction;
  missingTags: Set<HexString>;
  /** `now()` at import into the future queue. */
  importedAt: number;
}

/**
 * Computes the missing tags of `tx`: the required ones that are neither provided by a ready
 * transaction nor were recently pruned (i.e. provided by a just-imported block).
 */
export function newWaitingTransaction(
  tx: PoolTransaction,
  provided: ReadonlyMap<HexString, HexString>,
  recentlyPruned: readonly ReadonlySet<HexString>[],
  now: number,
): WaitingTransaction {
  const missingTags = new Set<HexString>();
  for (const tag of tx.requires) {
    if (provided.has(tag) || recentlyPruned.some((set) => set.has(tag))) continue;
    missingTags.add(tag);
  }
  return { tx, missingTags, importedAt: now };
}

export class FutureTransactions {
  /** Tags not yet provided, to the transactions waiting for them. */
  private readonly wantedTags = new Map<HexString, Set<HexString>>();
  private readonly waiting = new Map<HexString, WaitingTransaction>();
  private totalBytes = 0;

  get length(): number {
    return this.waiting.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  import(w: WaitingTransaction): void {
    if (w.missingTags.size === 0) throw new Error("Ready transaction imported to the future queue");
    if (this.waiting.has(w.tx.hash)) throw new Error("Transaction already in the future queue");
    for (const tag of w.missingTags) {
      let set = this.wantedTags.get(tag);
      if (!set) {
        set = new Set();
        this.wantedTags.set(tag, set);
      }
      set.add(w.tx.hash);
    }
    this.waiting.set(w.tx.hash, w);
    this.totalBytes += txSize(w.tx);
  }

  contains(hash: HexString): boolean {
    return this.waiting.has(hash);
  }

  get(hash: HexString): PoolTransaction | undefined {
    return this.waiting.get(hash)?.tx;
  }

  /** Removes (and returns) the transactions that provide any of `tags`: they conflict with included ones. */
  pruneTags(tags: readonly HexString[]): PoolTransaction[] {
    const set = new Set(tags);
    const pruned: HexString[] = [];
    for (const w of this.waiting.values()) if (w.tx.provides.some((t) => set.has(t))) pruned.push(w.tx.hash);
    return this.remove(pruned);
  }

  /** Marks `tags` as provided; removes and returns the transactions that now miss nothing. */
  satisfyTags(tags: Iterable<HexString>): WaitingTransaction[] {
    const becameReady: WaitingTransaction[] = [];
    for (const tag of tags) {
      const hashes = this.wantedTags.get(tag);
      if (!hashes) continue;
      this.wantedTags.delete(tag);
      for (const hash of hashes) {
        const w = this.waiting.get(hash);
        if (!w) continue;
        w.missingTags.delete(tag);
        if (w.missingTags.size === 0) {
          this.waiting.delete(hash);
          this.totalBytes -= txSize(w.tx);
          becameReady.push(w);
        }
      }
    }
    return becameReady;
  }

  remove(hashes: Iterable<HexString>): PoolTransaction[] {
    const removed: PoolTransaction[] = [];
    for (const hash of hashes) {
      const w = this.waiting.get(hash);
      if (!w) continue;
      this.waiting.delete(hash);
      this.totalBytes -= txSize(w.tx);
      for (const tag of w.missingTags) {
        const set = this.wantedTags.get(tag);
        if (!set) continue;
        set.delete(hash);
        if (set.size === 0) this.wantedTags.delete(tag);
      }
      removed.push(w.tx);
    }
    return removed;
  }

  /** The one to evict first: submitted the longest ago (ties: imported to this queue first). */
  worst(): WaitingTransaction | undefined {
    let worst: WaitingTransaction | undefined;
    for (const w of this.waiting.values()) {
      if (!worst || w.tx.submittedAt < worst.tx.submittedAt) worst = w;
    }
    return worst;
  }

  /** In import order. */
  all(): IterableIterator<PoolTransaction> {
    return mapIter(this.waiting.values(), (w) => w.tx);
  }
}

function* mapIter<A, B>(it: Iterable<A>, f: (a: A) => B): IterableIterator<B> {
  for (const a of it) yield f(a);
}
