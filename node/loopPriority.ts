/**
 * Priority on the event loop: while a block is being authored, best-effort work (RPC tasks) waits.
 *
 * Authoring is a chain of awaits (the parent's state, the import's disk writes), and each await gives
 * the event loop a turn. Under an RPC flood every such turn also runs the RPC scheduler's budget, so
 * a few ms of RPC work were added per await and the block came late. Substrate keeps RPC on other
 * threads; here the RPC scheduler asks `busy` before each task and, while authoring runs, waits for
 * `idle()` instead. A hold never lasts longer than `maxHoldMs`, so a slow block cannot starve RPC.
 */
export class LoopPriority {
  private holders = 0;
  private waiters: (() => void)[] = [];
  private expired = false;

  constructor(private readonly maxHoldMs = 100) {}

  /** Whether best-effort work should wait now. */
  get busy(): boolean {
    return this.holders > 0 && !this.expired;
  }

  /** Resolves once nothing holds priority (at once when nothing does). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Runs `work` with best-effort work held back until it settles (or `maxHoldMs` passes). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.holders++ === 0) this.expired = false;
    const guard = setTimeout(() => {
      this.expired = true;
      this.release();
    }, this.maxHoldMs);
    try {
      return await work();
    } finally {
      clearTimeout(guard);
      if (--this.holders === 0) this.release();
    }
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
