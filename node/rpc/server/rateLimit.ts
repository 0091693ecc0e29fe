/**
 * Substrate's `--rpc-rate-limit`: calls per minute per connection, as the `governor` crate's
 * `Quota::per_minute(n)` (a GCRA: a burst of n calls, then one every 60/n s). A call over the limit waits
 * what the limiter asks plus a jitter of up to 50 ms and tries again, at most 10 times; then it is
 * answered -32999 "RPC rate limit exceeded" (polkadot-sdk `sc-rpc-server` `middleware/rate_limit.rs`).
 */

/** How many times a limited call waits and tries again before it is refused. */
export const RATE_LIMIT_MAX_RETRIES = 10;
/** Upper bound of the random delay added to each wait. */
export const RATE_LIMIT_MAX_JITTER_MS = 50;

export class RateLimiter {
  /** Emission interval: one call per this many ms, sustained. */
  private readonly intervalMs: number;
  /** How far ahead of now the theoretical arrival time may run: the burst. */
  private readonly toleranceMs: number;
  /** Theoretical arrival time of the next call. */
  private tat = Number.NEGATIVE_INFINITY;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perMinute > 0)) throw new RangeError("perMinute must be positive");
    this.intervalMs = 60_000 / perMinute;
    this.toleranceMs = this.intervalMs * perMinute;
  }

  /** 0 when a call may run now (it is counted); otherwise how many ms to wait before asking again. */
  check(): number {
    const now = this.now();
    const next = Math.max(this.tat, now) + this.intervalMs;
    const ahead = next - now;
    if (ahead <= this.toleranceMs) {
      this.tat = next;
      return 0;
    }
    return ahead - this.toleranceMs;
  }
}
