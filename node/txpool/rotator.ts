/**
 * Temporary bans by transaction hash (Substrate's `graph/rotator.rs`). A banned hash is refused before
 * validation until its ban time has passed. The map is bounded: past twice the expected size the oldest
 * bans are forgotten.
 */
import type { HexString } from "../../primitives/hex.js";

export class PoolRotator {
  /** Hash -> ms until which it is banned; insertion order is ban order (oldest first). */
  private readonly bannedUntil = new Map<HexString, number>();

  constructor(
    private readonly banTimeMs: number,
    private readonly expectedSize: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.bannedUntil.size;
  }

  isBanned(hash: HexString): boolean {
    const until = this.bannedUntil.get(hash);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.bannedUntil.delete(hash);
    return false;
  }

  ban(hashes: Iterable<HexString>): void {
    const until = this.now() + this.banTimeMs;
    for (const h of hashes) {
      this.bannedUntil.delete(h);
      this.bannedUntil.set(h, until);
    }
    if (this.bannedUntil.size > 2 * this.expectedSize) {
      for (const h of this.bannedUntil.keys()) {
        if (this.bannedUntil.size <= this.expectedSize) break;
        this.bannedUntil.delete(h);
      }
    }
  }

  unban(hashes: Iterable<HexString>): void {
    for (const h of hashes) this.bannedUntil.delete(h);
  }

  /** Forgets expired bans. */
  clearTimeouts(): void {
    const now = this.now();
    for (const [h, until] of this.bannedUntil) if (until <= now) this.bannedUntil.delete(h);
  }
}
