/**
 * One `chainHead_v1_follow` subscription: the blocks it has reported and not yet seen finalized or
 * pruned, the blocks it holds pinned, and its operations in progress. The chain's events go in
 * (`onBlock`, `onBest`, `onFinalized`) and the spec's `chainHead_v1_followEvent`s come out, in order:
 * `initialized`, then for each block `newBlock` (its parent always reported before it or finalized),
 * `bestBlockChanged`, `finalized` with the blocks it pruned, operation events, and at most one `stop`
 * after which the subscription is closed.
 *
 * Pinning is bookkeeping: the node keeps every block it imported, so a pinned block stays readable; the
 * limits keep a client that never unpins from growing this subscription's state without bound.
 */
import type { TreeBlock } from "../../../../consensus/forkChoice.js";
import { type HexString, toHex } from "../../../../primitives/hex.js";
import { CODE_KEY } from "../../../../runtime/genesis.js";
import type { Chain } from "../../../chain/chain.js";
import type { BlockRef, ImportedBlock } from "../../../chain/types.js";
import { RpcError, type SubscriptionSink } from "../../server/index.js";
import { ChainHeadError, type ChainHeadOptions } from "./options.js";
import { runtimeSpecJson } from "./runtimeSpec.js";

/** A reported block not yet finalized or pruned. */
interface Reported {
  parent: HexString;
  number: number;
  /** Its `:code`, when its state was at hand: a change from the parent's is a new runtime. */
  code: HexString | undefined;
}

/** An operation in progress (`chainHead_v1_body`, `_call`, `_storage`): the slots it holds and its events. */
export class Operation {
  private done = false;
  /** Set while the operation waits for `chainHead_v1_continue`: what resumes it. */
  waiting: (() => void) | null = null;

  constructor(
    readonly id: string,
    /** Operation slots held: one, or one per storage item. */
    readonly slots: number,
    private readonly owner: FollowSubscription,
  ) {}

  /** False once finished or stopped: nothing more is sent. */
  get active(): boolean {
    return !this.done && !this.owner.closed;
  }

  /** Sends `{event, operationId, ...fields}` on the subscription, while the operation is active. */
  emit(event: string, fields: Record<string, unknown> = {}): void {
    if (this.active) this.owner.emit({ event, operationId: this.id, ...fields });
  }

  /** Ends the operation (after its last event, or stopped): its slots are free again. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    this.waiting = null;
    this.owner.release(this);
  }
}

export class FollowSubscription {
  private readonly pinned = new Set<HexString>();
  private readonly reported = new Map<HexString, Reported>();
  private finalizedHash: HexString | undefined;
  private finalizedCode: HexString | undefined;
  private bestHash: HexString | undefined;
  private readonly operations = new Map<string, Operation>();
  private usedSlots = 0;
  private nextOperationId = 1;

  constructor(
    private readonly sink: SubscriptionSink<unknown>,
    readonly withRuntime: boolean,
    private readonly chain: Chain,
    private readonly opts: ChainHeadOptions,
  ) {}

  get id(): string {
    return this.sink.id;
  }

  /** True once the subscription has ended (`stop`, unfollow, connection closed). */
  get closed(): boolean {
    return this.sink.closed;
  }

  /** How many blocks the subscription holds pinned. */
  get pinnedCount(): number {
    return this.pinned.size;
  }

  emit(event: Record<string, unknown>): void {
    this.sink.next(event);
  }

  /**
   * Reports the current finalized block (`initialized`), every unfinalized block (`newBlock`, parents
   * first) and the best block. Too many unfinalized blocks to report: `stop` instead.
   */
  start(): void {
    const finalized = this.chain.finalized;
    const blocks = unfinalizedBlocks(this.chain);
    if (blocks.length > this.opts.maxLaggingDistance || blocks.length + 1 > this.opts.maxPinnedBlocks) {
      this.stop();
      return;
    }
    this.finalizedHash = finalized.hashHex;
    this.finalizedCode = this.codeAt(finalized.hash);
    this.pinned.add(finalized.hashHex);
    this.emit({
      event: "initialized",
      finalizedBlockHashes: [finalized.hashHex],
      ...(this.withRuntime ? { finalizedBlockRuntime: runtimeSpecJson() } : {}),
    });
    for (const b of blocks) this.announce(toHex(b.hash), toHex(b.parentHash), b.number, this.codeAt(b.hash));
    this.bestHash = this.chain.best.hashHex;
    this.emit({ event: "bestBlockChanged", bestBlockHash: this.bestHash });
  }

  onBlock(block: ImportedBlock): void {
    if (this.closed || this.finalizedHash === undefined) return;
    const hash = block.hashHex;
    if (hash === this.finalizedHash || this.reported.has(hash)) return;
    const parent = toHex(block.header.parentHash);
    // A parent this subscription never reported would leave a gap in what it told the client.
    if (
      (parent !== this.finalizedHash && !this.reported.has(parent)) ||
      this.pinned.size >= this.opts.maxPinnedBlocks
    ) {
      this.stop();
      return;
    }
    this.announce(hash, parent, block.number, this.codeAt(block.hash));
  }

  onBest(ref: BlockRef): void {
    if (this.closed || this.finalizedHash === undefined) return;
    const hash = ref.hashHex;
    if (hash === this.bestHash || (hash !== this.finalizedHash && !this.reported.has(hash))) return;
    this.bestHash = hash;
    this.emit({ event: "bestBlockChanged", bestBlockHash: hash });
  }

  onFinalized(ref: BlockRef): void {
    if (this.closed || this.finalizedHash === undefined || ref.hashHex === this.finalizedHash) return;
    // The newly finalized blocks: from `ref` back to the previous finalized block, all reported.
    const path: HexString[] = [];
    for (let h = ref.hashHex; h !== this.finalizedHash; ) {
      const r = this.reported.get(h);
      if (r === undefined) {
        this.stop();
        return;
      }
      path.push(h);
      h = r.parent;
    }
    path.reverse();
    const newFinalized = ref.hashHex;
    const code = this.reported.get(newFinalized)?.code;
    for (const h of path) this.reported.delete(h);
    const pruned = this.pruneNotDescending(newFinalized);
    this.finalizedHash = newFinalized;
    this.finalizedCode = code ?? this.finalizedCode;
    // The best block reported last must be the new finalized block or stay unfinalized.
    const best = this.bestHash;
    if (best !== newFinalized && best !== undefined && !this.reported.has(best)) {
      const chainBest = this.chain.best.hashHex;
      this.bestHash = this.reported.has(chainBest) ? chainBest : newFinalized;
      this.emit({ event: "bestBlockChanged", bestBlockHash: this.bestHash });
    }
    this.emit({ event: "finalized", finalizedBlockHashes: path, prunedBlockHashes: pruned });
  }

  /** Whether `hash` (lowercase) is pinned by this subscription. */
  isPinned(hash: HexString): boolean {
    return this.pinned.has(hash);
  }

  /** Unpins every hash, or none: -32801 if one is not pinned. */
  unpin(hashes: readonly HexString[]): void {
    for (const h of hashes) {
      if (!this.pinned.has(h))
        throw new RpcError(ChainHeadError.InvalidBlock, `Invalid block hash: ${h} is not pinned`);
    }
    for (const h of hashes) this.pinned.delete(h);
  }

  /** Starts an operation holding up to `wanted` slots (at least one); undefined when none is free. */
  startOperation(wanted: number): Operation | undefined {
    const slots = Math.min(wanted, this.opts.maxOperations - this.usedSlots);
    if (slots <= 0 || this.closed) return undefined;
    const op = new Operation(String(this.nextOperationId++), slots, this);
    this.operations.set(op.id, op);
    this.usedSlots += slots;
    return op;
  }

  operation(id: string): Operation | undefined {
    return this.operations.get(id);
  }

  /** Called by `Operation.finish`. */
  release(op: Operation): void {
    if (this.operations.get(op.id) !== op) return;
    this.operations.delete(op.id);
    this.usedSlots -= op.slots;
  }

  /** Ends the subscription with `stop`. */
  stop(): void {
    if (this.closed) return;
    this.emit({ event: "stop" });
    this.sink.close();
  }

  /** The subscription ended: operations stop, state goes. */
  dispose(): void {
    for (const op of [...this.operations.values()]) op.finish();
    this.pinned.clear();
    this.reported.clear();
  }

  private announce(hash: HexString, parent: HexString, number: number, code: HexString | undefined): void {
    const parentCode = parent === this.finalizedHash ? this.finalizedCode : this.reported.get(parent)?.code;
    // A state not at hand (blocks from before a restart) is taken to keep its parent's runtime.
    const known = code ?? parentCode;
    this.reported.set(hash, { parent, number, code: known });
    this.pinned.add(hash);
    const changed = code !== undefined && parentCode !== undefined && code !== parentCode;
    this.emit({
      event: "newBlock",
      blockHash: hash,
      parentBlockHash: parent,
      ...(this.withRuntime ? { newRuntime: changed ? runtimeSpecJson() : null } : {}),
    });
  }

  /** Forgets the reported blocks that do not descend from `root`; returns them. */
  private pruneNotDescending(root: HexString): HexString[] {
    const descends = new Map<HexString, boolean>([[root, true]]);
    for (const start of this.reported.keys()) {
      const walked: HexString[] = [];
      let h: HexString = start;
      let result: boolean | undefined;
      for (;;) {
        result = descends.get(h);
        if (result !== undefined) break;
        const r = this.reported.get(h);
        if (r === undefined) {
          result = false;
          break;
        }
        walked.push(h);
        h = r.parent;
      }
      for (const w of walked) descends.set(w, result);
    }
    const pruned: HexString[] = [];
    for (const h of [...this.reported.keys()]) {
      if (descends.get(h)) continue;
      pruned.push(h);
      this.reported.delete(h);
    }
    return pruned;
  }

  /** The block's `:code` when its state is in memory. */
  private codeAt(hash: Uint8Array): HexString | undefined {
    const code = this.chain.runtimeInMemory(hash)?.storage(CODE_KEY);
    return code === undefined ? undefined : toHex(code);
  }
}

/** The chain's unfinalized blocks, each after its parent. */
function unfinalizedBlocks(chain: Chain): TreeBlock[] {
  const tree = chain.blockTree;
  const root = tree.finalized();
  const seen = new Map<string, TreeBlock>();
  for (const leaf of tree.leaves()) {
    for (let b: TreeBlock | undefined = leaf; b !== undefined && b.number > root.number; ) {
      const key = toHex(b.hash);
      if (seen.has(key)) break;
      seen.set(key, b);
      b = tree.get(b.parentHash);
    }
  }
  return [...seen.values()].sort((a, b) => a.number - b.number);
}
