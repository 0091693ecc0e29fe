/**
 * The transaction pool, with the rules of Substrate's `sc-transaction-pool` graph (single-state pool).
 *
 * A submitted transaction is hashed (blake2_256), checked against bans and the pool, validated by the
 * runtime at the best block, and placed by its tags: `ready` when every `requires` tag is provided by
 * the chain or by a ready transaction, else `future` until one is. A transaction providing a tag that a
 * ready one provides replaces it only with a strictly higher priority. Queues are kept within their
 * limits by dropping the lowest-priority (ready) or longest-waiting (future) transactions.
 *
 * Side effects of `onBlockImported(block, isBest=true)`, in order (serialized with the other block
 * notifications; `submit` may interleave while it awaits the runtime):
 *  1. learns the tags the block's extrinsics provide (from the pool, else by validating at the parent);
 *  2. prunes: removes transactions providing those tags, promotes future ones they unlock, and bans
 *     the included hashes (so that gossip does not bring them back);
 *  3. emits `inBlock` to the watchers of included transactions;
 *  4. re-verifies the pruned transactions that were not in the block, and puts back the valid ones;
 *  5. removes (and bans) transactions past their longevity, watchers get `invalid`;
 *  6. revalidates up to `maxRevalidationPerBlock` remaining transactions, least recently validated
 *     first, in batches; invalid ones are removed and banned (`invalid`), changed ones re-placed;
 *  7. enforces the limits.
 *
 * A reorg (`onReorg`, as Substrate's maintenance with a tree route) first tells the watchers of every
 * retracted block's transactions `retracted`, then runs steps 1-4 for each enacted block, oldest first
 * (so every transaction of the new best chain gets `inBlock` for its block, whether or not that block
 * was best when imported), then resubmits the retracted transactions that no enacted block includes
 * (watchers get `ready`/`future` again, or `invalid`/`dropped` when that fails), and then steps 5-7 at
 * the new best block. A watched transaction thus always ends with `finalized`, `invalid`, `dropped`,
 * `usurped` or `finalityTimeout`.
 *
 * Bans (`banTimeMs`): invalid transactions (and those the runtime could not validate at all, e.g. bytes
 * it cannot decode), those dropped by the limits, and included ones, as Substrate.
 * The node must have awaited `cryptoReady()` before using the pool.
 */
import { blake2_256 } from "../../primitives/hashing.js";
import { type HexString, toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import { BasePool, type Imported } from "./basePool.js";
import { TxPoolError } from "./errors.js";
import type {
  ReadyIterator,
  ReadyTransaction,
  TransactionSource,
  TransactionValidity,
  TxPoolBlock,
  TxPoolModules,
  TxPoolReorg,
  TxPoolStatus,
  TxWatcher,
  ValidTransaction,
} from "./interface.js";
import { defaultTxPoolOptions, type TxPoolOptions } from "./options.js";
import { PoolRotator } from "./rotator.js";
import { type PoolTransaction, saturatingAdd } from "./transaction.js";
import { Listener, MAX_FINALITY_WATCHERS } from "./watcher.js";

/** The pool's transaction hash: blake2_256 of the encoded extrinsic, as Substrate's `hash_and_length`. */
export function txHash(tx: Uint8Array): HexString {
  return toHex(blake2_256(tx));
}

type FinalStatus = "ready" | "future" | "dropped" | "invalid";

interface BestBlockEntry {
  number: number;
  parentHash?: HexString;
  /** Hashes of all its extrinsics. */
  txs: HexString[];
}

export class TxPool {
  private readonly opts: TxPoolOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly base: BasePool;
  private readonly rotator: PoolRotator;
  private readonly listener: Listener;
  private readonly importListeners = new Set<(hash: HexString) => void>();
  /** Best-chain blocks not yet finalized or retracted, oldest first. */
  private readonly bestBlocks = new Map<HexString, BestBlockEntry>();
  /** Block notifications run one at a time, in call order. */
  private maintenance: Promise<void> = Promise.resolve();
  /** Bumped by each new best block (and `close`); a running revalidation stops when it changes. */
  private bestEpoch = 0;

  constructor(
    opts: Partial<TxPoolOptions>,
    private readonly modules: TxPoolModules,
  ) {
    this.opts = { ...defaultTxPoolOptions, ...opts };
    this.log = modules.logger;
    this.now = modules.now ?? Date.now;
    this.base = new BasePool(this.now);
    this.rotator = new PoolRotator(this.opts.banTimeMs, this.opts.ready.count + this.opts.future.count, this.now);
    this.listener = new Listener(this.log);
  }

  /**
   * Validates and imports a transaction; resolves with its hash. Throws `TxPoolError` (see
   * `rpcCodeOf` for the RPC codes): banned, already imported, invalid (then banned), unknown validity,
   * no tags, too low priority to replace a ready one, cycle, or immediately dropped by the limits.
   */
  async submit(source: TransactionSource, tx: Uint8Array): Promise<HexString> {
    return (await this.submitOne(source, tx, false, true)).hash;
  }

  /** As `submit`, with a watcher of the transaction's statuses (its first one is `ready` or `future`). */
  async submitAndWatch(source: TransactionSource, tx: Uint8Array): Promise<{ hash: HexString; watcher: TxWatcher }> {
    const { hash, watcher } = await this.submitOne(source, tx, true, true);
    return { hash, watcher: watcher! };
  }

  /**
   * Ready transactions in block-building order (see `ReadyIterator`). A transaction removed from the
   * ready queue during the iteration (e.g. by `reportInvalid`) is skipped along with its dependents.
   */
  ready(): ReadyIterator {
    return this.base.ready();
  }

  /**
   * The block builder found these transactions invalid: they are removed and banned, watchers get
   * `invalid`. Their dependents leave the ready queue and are re-placed by their tags (usually into
   * future, waiting for a new provider); their watchers get `future`.
   */
  reportInvalid(hashes: HexString | readonly HexString[]): void {
    const set = new Set(typeof hashes === "string" ? [hashes] : hashes);
    this.log.debug("Transactions reported invalid", { count: set.size });
    this.resubmit(new Map(), set);
  }

  /**
   * Removes transactions and everything that depends on them (`author_removeExtrinsic`, Substrate's
   * `remove_invalid`): the given hashes are banned, every removed watcher gets `invalid`. Returns the
   * hashes removed.
   */
  remove(hashes: readonly HexString[]): HexString[] {
    if (hashes.length === 0) return [];
    this.rotator.ban(hashes);
    const removed = this.base.removeSubtree(hashes);
    for (const tx of removed) this.listener.fire(tx.hash, "invalid");
    this.log.debug("Removed transactions", { requested: hashes.length, removed: removed.length });
    return removed.map((t) => t.hash);
  }

  /** Encoded transactions, ready ones in block-building order then future ones (`author_pendingExtrinsics`). */
  pending(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const tx of this.ready()) out.push(tx.bytes);
    for (const tx of this.base.futureTransactions()) out.push(tx.bytes);
    return out;
  }

  status(): TxPoolStatus {
    return this.base.status();
  }

  has(hash: HexString): boolean {
    return this.base.isImported(hash);
  }

  get(hash: HexString): ReadyTransaction | undefined {
    return this.base.get(hash);
  }

  /** True while `hash` is refused for a recent ban. */
  isBanned(hash: HexString): boolean {
    return this.rotator.isBanned(hash);
  }

  /**
   * Calls `listener` with the hash of each transaction that entered the ready queue: a submission, and
   * the future transactions it or an imported block promoted (so the network gossips those too).
   */
  onImported(listener: (hash: HexString) => void): () => void {
    this.importListeners.add(listener);
    return () => {
      this.importListeners.delete(listener);
    };
  }

  /** The network sent the transaction to `peers`: watchers get `broadcast`. */
  onBroadcasted(hash: HexString, peers: string[]): void {
    this.listener.fire(hash, { broadcast: peers });
  }

  /**
   * A block was imported. Only a new best block changes the pool (see the module comment); resolves
   * when its maintenance, revalidation included, is done. Never rejects.
   */
  onBlockImported(block: TxPoolBlock, isBest: boolean): Promise<void> {
    if (!isBest) {
      this.log.trace("Ignoring non-best block", { number: block.number, hash: block.hash });
      return Promise.resolve();
    }
    const epoch = ++this.bestEpoch;
    return this.enqueue(() => this.maintainBestBlock(block, epoch));
  }

  /**
   * A block was finalized: watchers of transactions included in it, and in the tracked best-chain
   * blocks below it, get `finalized`; their bookkeeping is dropped.
   */
  onBlockFinalized(hash: HexString): Promise<void> {
    return this.enqueue(async () => this.finalize(hash));
  }

  /**
   * The best chain switched branches (see the module comment): `retracted` blocks left it, newest first,
   * and `enacted` ones joined it, oldest first, the new best block last. Call it instead of
   * `onBlockImported` for a new best block that does not extend the previous one, once the new best is
   * set (`bestBlock()` answers it). The route may be given as a promise (bodies still loading): the pool
   * takes it in call order all the same, and a running revalidation stops at once. Never rejects.
   */
  onReorg(route: TxPoolReorg | Promise<TxPoolReorg>): Promise<void> {
    const epoch = ++this.bestEpoch;
    // Handled here at once (the task awaits it later, maybe turns later) so that a failed load is logged
    // by the task rather than taken for an unhandled rejection.
    if (route instanceof Promise) route.catch(() => {});
    return this.enqueue(async () => this.reorg(await route, epoch));
  }

  /** Stops a running revalidation and waits for pending block notifications. */
  async close(): Promise<void> {
    this.bestEpoch++;
    await this.maintenance;
  }

  // ---------------------------------------------------------------------------------------------

  private async submitOne(
    source: TransactionSource,
    data: Uint8Array,
    watch: boolean,
    checkBanned: boolean,
  ): Promise<{ hash: HexString; watcher?: TxWatcher }> {
    const hash = txHash(data);
    this.checkKnown(hash, checkBanned);
    if (data.length > this.opts.maxTxBytes) {
      throw new TxPoolError({ code: "TXPOOL_ERROR_INVALID_TRANSACTION", hash, reason: "exhaustsResources" });
    }
    const at = this.modules.bestBlock();
    const tx = await this.validateNew(source, data, hash, at);
    // The pool may have changed while the runtime was validating.
    this.checkKnown(hash, checkBanned);

    const watcher = watch ? this.listener.create(hash) : undefined;
    let imported: Imported;
    try {
      imported = this.base.import(tx);
      if (imported.kind === "cycle") {
        for (const t of imported.dropped) this.listener.fire(t.hash, "dropped");
        throw new TxPoolError({ code: "TXPOOL_ERROR_CYCLE_DETECTED", hash });
      }
      this.fireImported(imported);
      if (this.enforceLimits().has(hash)) throw new TxPoolError({ code: "TXPOOL_ERROR_IMMEDIATELY_DROPPED", hash });
    } catch (e) {
      if (watcher) this.listener.discard(watcher);
      if (e instanceof TxPoolError) this.log.trace("Transaction rejected", { hash, code: e.code });
      throw e;
    }
    this.log.trace("Transaction imported", { hash, queue: imported.kind, priority: tx.priority });
    if (imported.kind === "ready") this.notifyReady([hash, ...imported.promoted]);
    return { hash, watcher };
  }

  private checkKnown(hash: HexString, checkBanned: boolean): void {
    if (checkBanned && this.rotator.isBanned(hash))
      throw new TxPoolError({ code: "TXPOOL_ERROR_TEMPORARILY_BANNED", hash });
    if (this.base.isImported(hash)) throw new TxPoolError({ code: "TXPOOL_ERROR_ALREADY_IMPORTED", hash });
  }

  /** Validates a transaction entering the pool; bans it when the runtime says invalid. */
  private async validateNew(
    source: TransactionSource,
    data: Uint8Array,
    hash: HexString,
    at: { hash: HexString; number: number },
  ): Promise<PoolTransaction> {
    let validity: TransactionValidity;
    try {
      validity = await this.modules.validate(source, data, at.hash);
    } catch (e) {
      // Substrate's pool takes a failed runtime call for an invalid transaction (`verify_one` answers
      // `ValidatedTransaction::Invalid`) and bans it like one.
      const message = e instanceof Error ? e.message : String(e);
      this.log.debug("Transaction validation failed", { hash, error: message });
      this.rotator.ban([hash]);
      throw new TxPoolError({ code: "TXPOOL_ERROR_VALIDATION_FAILED", hash, message });
    }
    if (!validity.ok) {
      const err = validity.error;
      if (err.kind === "invalid") {
        this.rotator.ban([hash]);
        throw new TxPoolError({
          code: "TXPOOL_ERROR_INVALID_TRANSACTION",
          hash,
          reason: err.reason,
          custom: err.custom,
        });
      }
      throw new TxPoolError({ code: "TXPOOL_ERROR_UNKNOWN_TRANSACTION", hash, reason: err.reason, custom: err.custom });
    }
    if (validity.value.provides.length === 0) {
      this.rotator.ban([hash]);
      throw new TxPoolError({ code: "TXPOOL_ERROR_NO_TAGS_PROVIDED", hash });
    }
    return makePoolTransaction(hash, data, source, validity.value, at.number, this.now());
  }

  private notifyReady(hashes: HexString[]): void {
    for (const h of hashes) if (this.base.isImported(h)) for (const l of this.importListeners) l(h);
  }

  private fireImported(imported: Imported): void {
    if (imported.kind === "future") {
      this.listener.fire(imported.hash, "future");
    } else if (imported.kind === "ready") {
      this.listener.fire(imported.hash, "ready");
      for (const h of imported.failed) this.listener.fire(h, "invalid");
      for (const t of imported.removed) this.listener.fire(t.hash, { usurped: imported.hash });
      for (const h of imported.promoted) this.listener.fire(h, "ready");
    } else {
      for (const t of imported.dropped) this.listener.fire(t.hash, "dropped");
    }
  }

  /** Drops (and bans) the worst transactions until within limits; returns the dropped hashes. */
  private enforceLimits(): Set<HexString> {
    const removed = this.base.enforceLimits(this.opts.ready, this.opts.future);
    if (removed.length === 0) return new Set();
    const hashes = new Set(removed.map((t) => t.hash));
    this.rotator.ban(hashes);
    for (const h of hashes) this.listener.fire(h, "dropped");
    this.log.debug("Enforced pool limits", { dropped: hashes.size, ...this.status() });
    return hashes;
  }

  /**
   * Re-places transactions: those in `invalid` are removed for good (banned, `invalid`); those in
   * `updates` are re-imported with their new validity; everything depending on either is re-imported
   * with its current one. Watchers hear of status changes only.
   */
  private resubmit(updates: ReadonlyMap<HexString, PoolTransaction>, invalid: ReadonlySet<HexString>): void {
    if (invalid.size > 0) this.rotator.ban(invalid);
    const roots = [...new Set([...updates.keys(), ...invalid])];
    const removed = this.base.removeSubtreeDetailed(roots);
    const initial = new Map<HexString, FinalStatus>();
    const toImport: PoolTransaction[] = [];
    for (const { tx, wasReady } of removed) {
      if (invalid.has(tx.hash)) {
        this.listener.fire(tx.hash, "invalid");
        continue;
      }
      initial.set(tx.hash, wasReady ? "ready" : "future");
      toImport.push(updates.get(tx.hash) ?? tx);
    }
    this.reimport(toImport, initial);
  }

  /** Imports transactions that were taken out of the pool; fires the status changes against `initial`. */
  private reimport(txs: readonly PoolTransaction[], initial: ReadonlyMap<HexString, FinalStatus>): void {
    const final = new Map<HexString, FinalStatus>();
    for (const tx of txs) {
      try {
        const imported = this.base.import(tx);
        if (imported.kind === "future") {
          final.set(tx.hash, "future");
        } else if (imported.kind === "ready") {
          final.set(tx.hash, "ready");
          for (const h of imported.promoted) final.set(h, "ready");
          for (const h of imported.failed) final.set(h, "invalid");
          for (const t of imported.removed) final.set(t.hash, "dropped");
        } else {
          final.set(tx.hash, "dropped");
          for (const t of imported.dropped) final.set(t.hash, "dropped");
        }
      } catch (e) {
        this.log.trace("Failed to re-import transaction", { hash: tx.hash, error: (e as Error).message });
        final.set(tx.hash, "dropped");
      }
    }
    for (const [hash, status] of final) if (initial.get(hash) !== status) this.listener.fire(hash, status);
  }

  /** Runs `task` after the pending ones; never rejects (a failure is logged), so callers may not await. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    this.maintenance = this.maintenance
      .then(task)
      .catch((e) => this.log.error("Transaction pool maintenance failed", {}, e));
    return this.maintenance;
  }

  private async maintainBestBlock(block: TxPoolBlock, epoch: number): Promise<void> {
    const started = this.now();
    const pruned = await this.enactBlock(block);
    await this.maintainAtBest(block, epoch, started, pruned);
  }

  private async reorg(route: TxPoolReorg, epoch: number): Promise<void> {
    const started = this.now();
    // Retracted first: a transaction in both branches hears `retracted` before its new `inBlock`.
    for (const b of route.retracted) {
      this.listener.retracted(b.hash);
      this.bestBlocks.delete(b.hash);
    }
    const counts = { included: 0, pruned: 0, promoted: 0 };
    for (const b of route.enacted) {
      const c = await this.enactBlock(b);
      counts.included += c.included;
      counts.pruned += c.pruned;
      counts.promoted += c.promoted;
    }
    await this.resubmitRetracted(route.retracted);
    const best = route.enacted.at(-1);
    if (best) await this.maintainAtBest(best, epoch, started, counts);
    this.log.debug("Transaction pool followed a reorg", {
      retracted: route.retracted.length,
      enacted: route.enacted.length,
      best: best?.hash,
    });
  }

  /** Steps 1-4 of the module comment for a block that joined the best chain. */
  private async enactBlock(block: TxPoolBlock): Promise<{ included: number; pruned: number; promoted: number }> {
    const hashes = block.extrinsics.map(txHash);
    const included = new Set(hashes);

    // 1. Tags now provided by the chain.
    const tags: HexString[] = [];
    const unknown: Uint8Array[] = [];
    for (let i = 0; i < hashes.length; i++) {
      const inPool = this.base.get(hashes[i]);
      if (inPool) tags.push(...inPool.provides);
      else unknown.push(block.extrinsics[i]);
    }
    const parentHash = block.parentHash;
    if (parentHash !== undefined && unknown.length > 0 && !this.isEmpty()) {
      const results = await Promise.all(
        unknown.map((xt) => this.modules.validate("inBlock", xt, parentHash).catch(() => undefined)),
      );
      for (const v of results) if (v?.ok) tags.push(...v.value.provides.map(toHex));
    }

    // 2. Prune.
    const pruneStatus = this.base.pruneTags(tags);
    this.rotator.ban(hashes);
    for (const imported of pruneStatus.promoted) {
      this.fireImported(imported);
      if (imported.kind === "ready") this.notifyReady([imported.hash, ...imported.promoted]);
    }
    for (const tx of pruneStatus.failed) if (!included.has(tx.hash)) this.listener.fire(tx.hash, "dropped");

    // 3. inBlock.
    this.listener.inBlock(block.hash, hashes);
    this.trackBestBlock(block, hashes);

    // 4. Re-verify what was pruned without being included (e.g. eagerly pruned predecessors).
    const reverify = pruneStatus.pruned.filter((t) => !included.has(t.hash));
    if (reverify.length > 0) await this.reverifyPruned(reverify, block);
    return { included: hashes.length, pruned: pruneStatus.pruned.length, promoted: pruneStatus.promoted.length };
  }

  /** Steps 5-7 of the module comment at the new best block. */
  private async maintainAtBest(
    block: TxPoolBlock,
    epoch: number,
    started: number,
    counts: { included: number; pruned: number; promoted: number },
  ): Promise<void> {
    // 5. Stale transactions.
    const number = BigInt(block.number);
    const stale = new Set<HexString>();
    for (const tx of this.base.readyTransactions()) if (tx.validTill <= number) stale.add(tx.hash);
    for (const tx of this.base.futureTransactions()) if (tx.validTill <= number) stale.add(tx.hash);
    if (stale.size > 0) this.resubmit(new Map(), stale);
    this.rotator.clearTimeouts();

    // 6. Revalidation.
    const revalidated = await this.revalidate(block, epoch);

    // 7. Limits.
    this.enforceLimits();

    this.log.debug("Transaction pool maintained", {
      number: block.number,
      hash: block.hash,
      ...counts,
      stale: stale.size,
      revalidated,
      ...this.status(),
      ms: this.now() - started,
    });
  }

  private async reverifyPruned(txs: PoolTransaction[], at: TxPoolBlock): Promise<void> {
    const results = await Promise.all(
      txs.map((tx) => this.modules.validate(tx.source, tx.bytes, at.hash).catch(() => undefined)),
    );
    const toImport: PoolTransaction[] = [];
    const initial = new Map<HexString, FinalStatus>();
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i];
      const v = results[i];
      // Resubmitted meanwhile, or included and banned by now.
      if (this.base.isImported(tx.hash) || this.rotator.isBanned(tx.hash)) continue;
      if (v?.ok && v.value.provides.length > 0) {
        initial.set(tx.hash, "ready");
        toImport.push(makePoolTransaction(tx.hash, tx.bytes, tx.source, v.value, at.number, tx.submittedAt));
      } else if (v && !v.ok && v.error.kind === "invalid") {
        this.rotator.ban([tx.hash]);
        this.listener.fire(tx.hash, "invalid");
      } else {
        this.listener.fire(tx.hash, "dropped");
      }
    }
    this.reimport(toImport, initial);
  }

  /** Revalidates at `at` the least recently validated transactions; returns how many were validated. */
  private async revalidate(at: TxPoolBlock, epoch: number): Promise<number> {
    const candidates: PoolTransaction[] = [];
    for (const tx of this.base.readyTransactions()) if (tx.revalidatedAt < at.number) candidates.push(tx);
    for (const tx of this.base.futureTransactions()) if (tx.revalidatedAt < at.number) candidates.push(tx);
    candidates.sort((a, b) => a.revalidatedAt - b.revalidatedAt);
    const selected = candidates.slice(0, Math.max(0, this.opts.maxRevalidationPerBlock));
    const batchSize = Math.max(1, this.opts.revalidationBatchSize);

    let done = 0;
    let invalidCount = 0;
    for (let i = 0; i < selected.length; i += batchSize) {
      if (epoch !== this.bestEpoch) {
        this.log.debug("Revalidation interrupted by a newer best block", { done, remaining: selected.length - i });
        break;
      }
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = selected.slice(i, i + batchSize);
      const results = await Promise.all(
        batch.map((tx) => this.modules.validate(tx.source, tx.bytes, at.hash).catch(() => undefined)),
      );
      const updates = new Map<HexString, PoolTransaction>();
      const invalid = new Set<HexString>();
      for (let j = 0; j < batch.length; j++) {
        const tx = batch[j];
        const v = results[j];
        if (v === undefined || this.base.get(tx.hash) !== tx) continue; // failed, or changed meanwhile
        done++;
        if (!v.ok) {
          // Unknown validity keeps the transaction, as Substrate does.
          if (v.error.kind === "invalid") invalid.add(tx.hash);
          else tx.revalidatedAt = at.number;
          continue;
        }
        if (v.value.provides.length === 0) {
          invalid.add(tx.hash);
          continue;
        }
        const updated = makePoolTransaction(tx.hash, tx.bytes, tx.source, v.value, at.number, tx.submittedAt);
        if (samePlacement(tx, updated)) {
          tx.revalidatedAt = at.number;
          tx.validTill = updated.validTill;
        } else {
          updates.set(tx.hash, updated);
        }
      }
      invalidCount += invalid.size;
      if (updates.size > 0 || invalid.size > 0) this.resubmit(updates, invalid);
    }
    if (invalidCount > 0) this.log.debug("Revalidation removed invalid transactions", { count: invalidCount });
    return done;
  }

  private trackBestBlock(block: TxPoolBlock, hashes: HexString[]): void {
    this.bestBlocks.delete(block.hash);
    this.bestBlocks.set(block.hash, { number: block.number, parentHash: block.parentHash, txs: hashes });
    while (this.bestBlocks.size > MAX_FINALITY_WATCHERS) {
      this.bestBlocks.delete(this.bestBlocks.keys().next().value!);
    }
  }

  private finalize(hash: HexString): void {
    const entry = this.bestBlocks.get(hash);
    if (!entry) {
      this.listener.finalized(hash);
      return;
    }
    // The finalized block's tracked ancestors: by parent links where known, else by number.
    const chain: HexString[] = [hash];
    let cur: BestBlockEntry | undefined = entry;
    let byNumberBelow: number | undefined;
    while (cur) {
      if (cur.parentHash === undefined) {
        byNumberBelow = cur.number;
        break;
      }
      const parent = this.bestBlocks.get(cur.parentHash);
      if (parent) chain.push(cur.parentHash);
      cur = parent;
    }
    const onChain = new Set(chain);
    const finalized: [HexString, number][] = [];
    for (const [h, b] of this.bestBlocks) {
      if (b.number > entry.number) continue;
      if (onChain.has(h) || (byNumberBelow !== undefined && b.number < byNumberBelow)) finalized.push([h, b.number]);
      else this.listener.forget(h); // a dead fork at or below the finalized height
      this.bestBlocks.delete(h);
    }
    finalized.sort((a, b) => a[1] - b[1]);
    for (const [h] of finalized) this.listener.finalized(h);
    this.log.debug("Finalized in transaction pool", { hash, blocks: finalized.length });
  }

  /**
   * Resubmits (bans lifted, validated at `bestBlock()`) the transactions of retracted blocks that no
   * tracked best-chain block includes and that are not in the pool. Their watchers, which heard
   * `retracted`, get `ready`/`future` again, or a final `invalid` (the runtime refuses it now, e.g. the
   * new branch used its nonce; banned) or `dropped` (anything else that keeps it out).
   */
  private async resubmitRetracted(retracted: readonly TxPoolBlock[]): Promise<void> {
    if (retracted.length === 0) return;
    const stillIncluded = new Set<HexString>();
    for (const b of this.bestBlocks.values()) for (const h of b.txs) stillIncluded.add(h);
    const seen = new Set<HexString>();
    const resubmit: { hash: HexString; bytes: Uint8Array }[] = [];
    for (const b of retracted) {
      for (const bytes of b.extrinsics) {
        const hash = txHash(bytes);
        if (seen.has(hash) || stillIncluded.has(hash) || this.base.isImported(hash)) continue;
        seen.add(hash);
        resubmit.push({ hash, bytes });
      }
    }
    this.rotator.unban(resubmit.map((t) => t.hash));
    const results = await Promise.allSettled(resubmit.map((t) => this.submitOne("external", t.bytes, false, false)));
    let ok = 0;
    // A best-chain block imported meanwhile may hold one (stale now): its watcher gets that block's inBlock.
    const includedNow = new Set([...this.bestBlocks.values()].flatMap((b) => [...b.txs]));
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r.status === "fulfilled") {
        ok++;
        continue;
      }
      const { hash } = resubmit[i];
      if (this.base.isImported(hash)) continue; // resubmitted meanwhile by someone else
      if (includedNow.has(hash)) continue;
      const code = r.reason instanceof TxPoolError ? r.reason.type.code : undefined;
      const invalid =
        code === "TXPOOL_ERROR_INVALID_TRANSACTION" ||
        code === "TXPOOL_ERROR_NO_TAGS_PROVIDED" ||
        code === "TXPOOL_ERROR_VALIDATION_FAILED";
      this.listener.fire(hash, invalid ? "invalid" : "dropped");
    }
    const failed = results.length - ok;
    this.log.debug("Resubmitted retracted transactions", { blocks: retracted.length, resubmitted: ok, failed });
  }

  private isEmpty(): boolean {
    const s = this.base.status();
    return s.ready === 0 && s.future === 0;
  }
}

function makePoolTransaction(
  hash: HexString,
  bytes: Uint8Array,
  source: TransactionSource,
  v: ValidTransaction,
  atNumber: number,
  submittedAt: number,
): PoolTransaction {
  return {
    hash,
    bytes,
    priority: v.priority,
    requires: v.requires.map(toHex),
    provides: v.provides.map(toHex),
    validTill: saturatingAdd(BigInt(atNumber), v.longevity),
    propagate: v.propagate,
    source,
    submittedAt,
    revalidatedAt: atNumber,
  };
}

/** Whether a revalidated transaction sits where it was: same priority and tags. */
function samePlacement(a: PoolTransaction, b: PoolTransaction): boolean {
  return (
    a.priority === b.priority &&
    a.propagate === b.propagate &&
    sameTags(a.requires, b.requires) &&
    sameTags(a.provides, b.provides)
  );
}

function sameTags(a: readonly HexString[], b: readonly HexString[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
