/**
 * Follows the job market on the node's own chain, without RPC: each block that joins the best chain
 * is read once (its state from the chain, `System.Events` decoded with the runtime's own codecs) and
 * handed to the listeners with the job-market events it holds (JobManager, WorkerRegistry and Inference).
 *
 * Order and reorgs: when the best head moves, the follower walks back from the new head through parent
 * hashes until it meets a block it has already handed out (or the block it started at), then hands out
 * the new blocks oldest first. A block on a retracted branch is not handed out again, and a block
 * re-enacted after a reorg is handed out once more: listeners re-read the chain state instead of
 * trusting the events alone (the roles are written that way). Blocks are handled one at a time.
 */
import { type HexString, toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { HeaderValue } from "../../primitives/types.js";
import type { RuntimeView } from "../chain/runtimeView.js";
import type { BlockRef } from "../chain/types.js";

/** What the follower needs of the chain (`Chain` provides it). */
export interface JobChain {
  readonly best: BlockRef;
  readonly genesisHash: Uint8Array;
  header(hash: Uint8Array): Promise<HeaderValue | undefined>;
  runtimeAt(hash: Uint8Array): Promise<RuntimeView>;
  on(event: "best", listener: (block: BlockRef) => void): unknown;
  off(event: "best", listener: (block: BlockRef) => void): unknown;
}

/** A job-market event as the runtime deposited it: pallet, event name and its named fields. */
export interface JobEvent {
  pallet: "JobManager" | "WorkerRegistry" | "Inference";
  name: string;
  fields: Record<string, unknown>;
}

/** One block on the best chain, with its state and its job-market events. */
export interface FollowedBlock {
  number: number;
  hash: Uint8Array;
  hashHex: HexString;
  /** The runtime at the block, for reading its state. */
  runtime: RuntimeView;
  events: JobEvent[];
}

export type BlockListener = (block: FollowedBlock) => Promise<void> | void;

export interface FollowerModules {
  chain: JobChain;
  logger: Logger;
}

/** How far back the follower looks for a known ancestor after a reorg or a jump of the best head. */
export const MAX_CATCH_UP_BLOCKS = 256;

export class JobEventFollower {
  private readonly listeners: BlockListener[] = [];
  /** Hashes handed out recently (bounded), to find where a new best chain joins the known one. */
  private readonly seen = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();
  private readonly onBest = (block: BlockRef) => {
    this.queue = this.queue.then(() => this.advance(block)).catch((err: unknown) => this.fail(err));
  };
  private started = false;
  private startNumber = 0;

  constructor(private readonly modules: FollowerModules) {}

  onBlock(listener: BlockListener): void {
    this.listeners.push(listener);
  }

  /**
   * Starts following from the current best block, which is handed out first (with its events), so
   * listeners see the state they start from.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const best = this.modules.chain.best;
    this.startNumber = best.number;
    this.modules.chain.on("best", this.onBest);
    this.onBest(best);
  }

  /** Stops following; resolves when the block being handled (if any) is done. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.modules.chain.off("best", this.onBest);
    await this.queue;
  }

  /** Resolves when every best-head change seen so far has been handled (for tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  private fail(err: unknown): void {
    this.modules.logger.error("Job event follower failed on a block", {}, err);
  }

  /** The blocks from the last known ancestor (exclusive) to `head`, oldest first. */
  private async route(head: BlockRef): Promise<{ hash: Uint8Array; number: number }[]> {
    const out: { hash: Uint8Array; number: number }[] = [];
    let hash = head.hash;
    let number = head.number;
    let header: HeaderValue | undefined = head.header;
    while (!this.seen.has(toHex(hash)) && out.length < MAX_CATCH_UP_BLOCKS) {
      out.push({ hash, number });
      if (number <= this.startNumber || number === 0 || !header) break;
      hash = header.parentHash;
      number -= 1;
      header = await this.modules.chain.header(hash);
    }
    return out.reverse();
  }

  private async advance(head: BlockRef): Promise<void> {
    if (!this.started) return;
    for (const { hash, number } of await this.route(head)) await this.handOut(hash, number);
  }

  private async handOut(hash: Uint8Array, number: number): Promise<void> {
    const runtime = await this.modules.chain.runtimeAt(hash);
    const hashHex = toHex(hash);
    const block: FollowedBlock = { number, hash, hashHex, runtime, events: jobEvents(runtime) };
    this.seen.set(hashHex, number);
    if (this.seen.size > 4 * MAX_CATCH_UP_BLOCKS) {
      for (const [h, n] of this.seen) if (n < number - MAX_CATCH_UP_BLOCKS) this.seen.delete(h);
    }
    if (block.events.length > 0) this.modules.logger.debug("Job events", { number, events: block.events.length });
    for (const listener of this.listeners) {
      try {
        await listener(block);
      } catch (err) {
        this.modules.logger.error("Job listener failed", { number, hash: hashHex }, err);
      }
    }
  }
}

/** The JobManager, WorkerRegistry and Inference events in a block's `System.Events`. */
export function jobEvents(runtime: RuntimeView): JobEvent[] {
  const out: JobEvent[] = [];
  for (const record of runtime.events()) {
    const event = record.event as { tag: string; value: { tag: string; value?: Record<string, unknown> } };
    if (event.tag !== "JobManager" && event.tag !== "WorkerRegistry" && event.tag !== "Inference") continue;
    out.push({ pallet: event.tag, name: event.value.tag, fields: event.value.value ?? {} });
  }
  return out;
}
