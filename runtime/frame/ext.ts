/**
 * The externalities a block executes with: the storage overlay, the events deposited so far, the
 * signature checker, and the block's own facts. Everything the runtime reads comes through here; it
 * never reaches for a clock, a random source or the network.
 */
import type { SignatureChecker } from "../../primitives/crypto/index.js";
import { OverlayedChanges, type StateBackend } from "./overlay.js";

export type Phase = { tag: "ApplyExtrinsic"; value: number } | { tag: "Finalization" } | { tag: "Initialization" };

export interface EventRecord<E> {
  phase: Phase;
  event: E;
  topics: Uint8Array[];
}

export class Ext<E = unknown> {
  readonly overlay: OverlayedChanges;
  readonly events: EventRecord<E>[] = [];
  phase: Phase = { tag: "Initialization" };

  constructor(
    backend: StateBackend,
    readonly signatures: SignatureChecker,
  ) {
    this.overlay = new OverlayedChanges(backend);
  }

  depositEvent(event: E, topics: Uint8Array[] = []): void {
    this.events.push({ phase: this.phase, event, topics });
  }

  /**
   * Runs `fn` in a storage transaction. If it throws, its storage writes and the events it deposited are
   * both undone before the error propagates.
   */
  transactional<R>(fn: () => R): R {
    const eventCount = this.events.length;
    try {
      return this.overlay.withTransaction(fn);
    } catch (err) {
      this.events.length = eventCount;
      throw err;
    }
  }
}
