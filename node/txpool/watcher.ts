/**
 * Per-transaction status streams (Substrate's `graph/listener.rs` and `watcher.rs`): watchers by
 * transaction hash, and which watched transactions each best-chain block included, for `finalized` /
 * `retracted` / `finalityTimeout`.
 */
import type { HexString } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { TransactionStatus, TransactionStatusListener, TxWatcher } from "./interface.js";

export function isTerminal(status: TransactionStatus): boolean {
  if (status === "dropped" || status === "invalid") return true;
  if (typeof status === "string") return false;
  return "usurped" in status || "finalized" in status || "finalityTimeout" in status;
}

class Watcher implements TxWatcher {
  private readonly listeners = new Set<TransactionStatusListener>();
  private readonly history: TransactionStatus[] = [];
  private finished = false;

  constructor(
    readonly hash: HexString,
    private readonly detach: (w: Watcher) => void,
    private readonly log: Logger,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  on(listener: TransactionStatusListener): () => void {
    for (const status of this.history) this.call(listener, status);
    if (this.finished) return () => {};
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.listeners.clear();
    this.detach(this);
  }

  emit(status: TransactionStatus): void {
    if (this.finished) return;
    this.history.push(status);
    for (const l of this.listeners) this.call(l, status);
    if (isTerminal(status)) {
      this.finished = true;
      this.listeners.clear();
    }
  }

  private call(listener: TransactionStatusListener, status: TransactionStatus): void {
    try {
      listener(status);
    } catch (e) {
      this.log.warn("Transaction status listener threw", { hash: this.hash }, e);
    }
  }
}

/** Blocks awaiting finality whose watched transactions are remembered (Substrate's MAX_FINALITY_WATCHERS). */
export const MAX_FINALITY_WATCHERS = 512;

export class Listener {
  private readonly watchers = new Map<HexString, Set<Watcher>>();
  /** Best-chain block -> watched transactions it included, in import order (oldest block first). */
  private readonly finalityWatchers = new Map<HexString, HexString[]>();

  constructor(private readonly log: Logger) {}

  create(hash: HexString): TxWatcher & { emit(status: TransactionStatus): void } {
    const w = new Watcher(hash, (x) => this.detach(x), this.log);
    let set = this.watchers.get(hash);
    if (!set) {
      set = new Set();
      this.watchers.set(hash, set);
    }
    set.add(w);
    return w;
  }

  /** Removes one watcher (its transaction failed to enter the pool). */
  discard(w: TxWatcher): void {
    (w as Watcher).close();
  }

  isWatched(hash: HexString): boolean {
    return this.watchers.has(hash);
  }

  get watchedCount(): number {
    return this.watchers.size;
  }

  fire(hash: HexString, status: TransactionStatus): void {
    const set = this.watchers.get(hash);
    if (!set) return;
    for (const w of [...set]) {
      w.emit(status);
      if (w.done) set.delete(w);
    }
    if (set.size === 0) this.watchers.delete(hash);
  }

  /** `hashes` were included in best block `block`: `inBlock` now, `finalized` or `retracted` later. */
  inBlock(block: HexString, hashes: Iterable<HexString>): void {
    const watched: HexString[] = [];
    for (const h of new Set(hashes)) {
      if (!this.watchers.has(h)) continue;
      watched.push(h);
      this.fire(h, { inBlock: block });
    }
    if (watched.length === 0) return;
    const existing = this.finalityWatchers.get(block);
    if (existing) existing.push(...watched);
    else this.finalityWatchers.set(block, watched);
    while (this.finalityWatchers.size > MAX_FINALITY_WATCHERS) {
      const [oldest, txs] = this.finalityWatchers.entries().next().value!;
      this.finalityWatchers.delete(oldest);
      for (const h of txs) this.fire(h, { finalityTimeout: oldest });
    }
  }

  finalized(block: HexString): void {
    const txs = this.finalityWatchers.get(block);
    if (!txs) return;
    this.finalityWatchers.delete(block);
    for (const h of txs) this.fire(h, { finalized: block });
  }

  retracted(block: HexString): void {
    const txs = this.finalityWatchers.get(block);
    if (!txs) return;
    this.finalityWatchers.delete(block);
    for (const h of txs) this.fire(h, { retracted: block });
  }

  /** Forgets a block without telling its watchers (a dead fork). */
  forget(block: HexString): void {
    this.finalityWatchers.delete(block);
  }

  private detach(w: Watcher): void {
    const set = this.watchers.get(w.hash);
    if (!set) return;
    set.delete(w);
    if (set.size === 0) this.watchers.delete(w.hash);
  }
}
