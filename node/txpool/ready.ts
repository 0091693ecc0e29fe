/**
 * The ready queue (Substrate's `graph/ready.rs`): transactions whose `requires` are all provided, by the
 * chain or by other ready transactions. Each tag is provided by at most one ready transaction; the
 * dependency graph is kept as `unlocks` edges (provider -> dependents), and `best` holds the ones that
 * depend on no other ready transaction, i.e. that could go first in a block.
 */
import type { HexString } from "../../primitives/hex.js";
import { TxPoolError } from "./errors.js";
import type { WaitingTransaction } from "./future.js";
import type { ReadyIterator, ReadyTransaction } from "./interface.js";
import { type PoolTransaction, saturatingAdd, txSize } from "./transaction.js";

interface ReadyTx {
  tx: PoolTransaction;
  /** Increasing id of the import into this queue: the older, the better among equals. */
  insertionId: number;
  /** Ready transactions that require a tag this one provides. */
  unlocks: HexString[];
  /** How many `requires` were already provided when imported (by the chain, not by a ready transaction). */
  requiresOffset: number;
}

export class ReadyTransactions {
  private insertionId = 0;
  /** Tag -> the ready transaction providing it. */
  private readonly providedTags = new Map<HexString, HexString>();
  private readonly ready = new Map<HexString, ReadyTx>();
  /** Ready transactions with no ready predecessor. */
  private readonly best = new Set<HexString>();
  private totalBytes = 0;

  get length(): number {
    return this.ready.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get provided(): ReadonlyMap<HexString, HexString> {
    return this.providedTags;
  }

  contains(hash: HexString): boolean {
    return this.ready.has(hash);
  }

  get(hash: HexString): PoolTransaction | undefined {
    return this.ready.get(hash)?.tx;
  }

  /**
   * Imports a transaction whose requirements are all met. A transaction that provides a tag already
   * provided by ready ones replaces them only if its priority is strictly above their summed priority;
   * otherwise `TXPOOL_ERROR_TOO_LOW_PRIORITY` is thrown and nothing changes. Returns the replaced
   * transactions (with those of their dependents that the newcomer does not keep satisfied).
   */
  import(w: WaitingTransaction): PoolTransaction[] {
    if (w.missingTags.size !== 0) throw new Error("Only ready transactions can be imported to the ready queue");
    const tx = w.tx;
    if (this.ready.has(tx.hash)) throw new Error("Transaction already in the ready queue");

    const { removed, unlocks } = this.replacePrevious(tx);

    this.insertionId += 1;
    let goesToBest = true;
    let requiresOffset = 0;
    for (const tag of tx.requires) {
      const provider = this.providedTags.get(tag);
      const other = provider === undefined ? undefined : this.ready.get(provider);
      if (other) {
        other.unlocks.push(tx.hash);
        goesToBest = false;
      } else {
        requiresOffset += 1;
      }
    }
    for (const tag of tx.provides) this.providedTags.set(tag, tx.hash);
    if (goesToBest) this.best.add(tx.hash);
    this.ready.set(tx.hash, { tx, insertionId: this.insertionId, unlocks, requiresOffset });
    this.totalBytes += txSize(tx);
    return removed;
  }

  /**
   * Removes the given transactions and everything that depends on them. Returns all removed, roots first
   * along each branch.
   */
  removeSubtree(hashes: Iterable<HexString>): PoolTransaction[] {
    return this.removeSubtreeWithTagFilter([...hashes], undefined);
  }

  /**
   * Removes trees rooted at `toRemove`, descending into a transaction's dependents only when it provided
   * at least one tag outside `keepTags` (tags that a replacement is about to provide again).
   */
  private removeSubtreeWithTagFilter(toRemove: HexString[], keepTags: ReadonlySet<HexString> | undefined) {
    const removed: PoolTransaction[] = [];
    // Depth-first with a stack, as Substrate; reverse so that the first given root is handled first.
    const stack = [...toRemove].reverse();
    while (stack.length > 0) {
      const hash = stack.pop()!;
      const r = this.ready.get(hash);
      if (!r) continue;
      this.deleteEntry(hash, r);

      let removedSomeTags = false;
      for (const tag of r.tx.provides) {
        if (keepTags?.has(tag)) continue;
        removedSomeTags = true;
        if (this.providedTags.get(tag) === hash) this.providedTags.delete(tag);
      }
      for (const tag of r.tx.requires) {
        const provider = this.providedTags.get(tag);
        const p = provider === undefined ? undefined : this.ready.get(provider);
        if (p) removeItem(p.unlocks, hash);
      }
      if (removedSomeTags) for (let i = r.unlocks.length - 1; i >= 0; i--) stack.push(r.unlocks[i]);
      removed.push(r.tx);
    }
    return removed;
  }

  /**
   * Removes the transaction providing `tag` (now provided by the chain) and, eagerly, the predecessors
   * that unlocked nothing else; dependents stay and become best when nothing else holds them back.
   */
  pruneTags(tag: HexString): PoolTransaction[] {
    const removed: PoolTransaction[] = [];
    const toRemove: HexString[] = [tag];
    while (toRemove.length > 0) {
      const current = toRemove.pop()!;
      const hash = this.providedTags.get(current);
      if (hash === undefined) continue;
      this.providedTags.delete(current);
      const r = this.ready.get(hash);
      if (!r) continue;
      this.deleteEntry(hash, r);
      const tx = r.tx;

      // Prune the predecessors too when this was the only thing they unlocked (they are most likely
      // included already; the caller re-verifies what it gets back).
      for (const req of tx.requires) {
        const prevHash = this.providedTags.get(req);
        const prev = prevHash === undefined ? undefined : this.ready.get(prevHash);
        if (!prev) continue;
        removeItem(prev.unlocks, hash);
        if (prev.unlocks.length === 0) toRemove.push(...prev.tx.provides);
      }
      // The dependents now have one more requirement met by the chain.
      for (const dep of r.unlocks) {
        const d = this.ready.get(dep);
        if (!d) continue;
        d.requiresOffset += 1;
        if (d.requiresOffset === d.tx.requires.length) this.best.add(dep);
      }
      for (const t of tx.provides) if (t !== current && this.providedTags.get(t) === hash) this.providedTags.delete(t);
      removed.push(tx);
    }
    return removed;
  }

  /**
   * Checks whether `tx` provides tags already provided; if so, replaces the providers when its priority
   * is strictly higher than their total. Returns the removed transactions and the dependents of the
   * replaced ones, which the newcomer takes over.
   */
  private replacePrevious(tx: PoolTransaction): { removed: PoolTransaction[]; unlocks: HexString[] } {
    const replace = new Set<HexString>();
    for (const tag of tx.provides) {
      const h = this.providedTags.get(tag);
      if (h !== undefined) replace.add(h);
    }
    if (replace.size === 0) return { removed: [], unlocks: [] };

    let oldPriority = 0n;
    for (const h of replace) {
      const r = this.ready.get(h);
      if (r) oldPriority = saturatingAdd(oldPriority, r.tx.priority);
    }
    if (oldPriority >= tx.priority) {
      throw new TxPoolError({
        code: "TXPOOL_ERROR_TOO_LOW_PRIORITY",
        hash: tx.hash,
        old: oldPriority,
        new: tx.priority,
      });
    }
    const unlocks: HexString[] = [];
    for (const h of replace) {
      const r = this.ready.get(h);
      if (r) unlocks.push(...r.unlocks);
    }
    const removed = this.removeSubtreeWithTagFilter([...replace], new Set(tx.provides));
    // Dependents removed along the way are no longer there to be unlocked.
    return { removed, unlocks: unlocks.filter((h) => this.ready.has(h)) };
  }

  /**
   * The transaction to drop first when over the limit: lowest priority, and among equals the oldest
   * (enforcing limits prefers newer transactions, unlike block building).
   */
  worst(): PoolTransaction | undefined {
    let worst: ReadyTx | undefined;
    for (const r of this.ready.values()) {
      if (
        !worst ||
        r.tx.priority < worst.tx.priority ||
        (r.tx.priority === worst.tx.priority && r.insertionId < worst.insertionId)
      ) {
        worst = r;
      }
    }
    return worst?.tx;
  }

  /** In import order. */
  *all(): IterableIterator<PoolTransaction> {
    for (const r of this.ready.values()) yield r.tx;
  }

  /** Block-building order over a snapshot of the graph; `isLive` tells whether a hash is still ready. */
  iterator(isLive: (hash: HexString) => boolean): ReadyIterator {
    const snapshot = new Map<HexString, ReadyTx>();
    for (const [h, r] of this.ready) snapshot.set(h, { ...r, unlocks: [...r.unlocks] });
    const best: ReadyTx[] = [];
    for (const h of this.best) best.push(snapshot.get(h)!);
    return new BestIterator(snapshot, best, isLive);
  }

  private deleteEntry(hash: HexString, r: ReadyTx): void {
    this.ready.delete(hash);
    this.best.delete(hash);
    this.totalBytes -= txSize(r.tx);
  }
}

/** Higher priority, then sooner stale, then older. */
function better(a: ReadyTx, b: ReadyTx): boolean {
  if (a.tx.priority !== b.tx.priority) return a.tx.priority > b.tx.priority;
  if (a.tx.validTill !== b.tx.validTill) return a.tx.validTill < b.tx.validTill;
  return a.insertionId < b.insertionId;
}

class BestIterator implements ReadyIterator {
  private readonly heap: ReadyTx[] = [];
  /** Unlocked by some but not all of their ready predecessors yet: hash -> requirements met so far. */
  private readonly awaiting = new Map<HexString, number>();
  private readonly invalid = new Set<HexString>();

  constructor(
    private readonly all: Map<HexString, ReadyTx>,
    best: ReadyTx[],
    private readonly isLive: (hash: HexString) => boolean,
  ) {
    for (const r of best) this.push(r);
  }

  [Symbol.iterator](): ReadyIterator {
    return this;
  }

  skip(hash: HexString): void {
    const r = this.all.get(hash);
    if (r) for (const h of r.unlocks) this.invalid.add(h);
  }

  next(): IteratorResult<ReadyTransaction> {
    for (;;) {
      const r = this.pop();
      if (!r) return { done: true, value: undefined };
      const hash = r.tx.hash;
      if (this.invalid.has(hash)) continue;
      if (!this.isLive(hash)) {
        // Left the ready queue since the snapshot: its dependents cannot follow it.
        this.skip(hash);
        continue;
      }
      for (const dep of r.unlocks) {
        const d = this.all.get(dep);
        if (!d) continue;
        const satisfied = (this.awaiting.get(dep) ?? d.requiresOffset) + 1;
        if (satisfied >= d.tx.requires.length) {
          this.awaiting.delete(dep);
          this.push(d);
        } else {
          this.awaiting.set(dep, satisfied);
        }
      }
      return { done: false, value: r.tx };
    }
  }

  private push(r: ReadyTx): void {
    const h = this.heap;
    h.push(r);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!better(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): ReadyTx | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && better(h[l], h[m])) m = l;
        if (r < h.length && better(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function removeItem<T>(arr: T[], item: T): void {
  const i = arr.indexOf(item);
  if (i >= 0) {
    arr[i] = arr[arr.length - 1];
    arr.pop();
  }
}
