/**
 * Substrate-style periodic status line:
 *
 *   💤 Idle (3 peers), best: #12 (0x1234…abcd), finalized #12 (…), txpool: 0 ready, 0 future
 *   ⚙️  Syncing 85.2 bps, target=#5000, 51s left (3 peers), best: #650 (0x1234…abcd), finalized #640 (…), …
 *
 * When the best block carries PoUW tickets, the line ends with `, pouw: 3 tickets`.
 *
 * While syncing, the rate is the blocks imported per second since the previous line and the time left is
 * the blocks still to import (to the highest block a peer announced) at that rate.
 */
import type { Logger } from "../primitives/logger.js";
import type { Chain } from "./chain/chain.js";
import { ticketsOf } from "./pouw/service.js";
import type { TxPool } from "./txpool/index.js";

const short = (hex: string) => `${hex.slice(0, 6)}…${hex.slice(-4)}`;

/** Blocks per second, Substrate's way: `85.2 bps`. */
export function formatRate(blocksPerSecond: number): string {
  return `${blocksPerSecond.toFixed(1)} bps`;
}

/** A duration for humans, to two units: `45s`, `6m 35s`, `2h 05m`, `3d 04h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** One observation of the best block, for the rate between two status lines. */
export interface BestSample {
  atMs: number;
  best: number;
}

/**
 * `Syncing 85.2 bps, target=#5000, 51s left`: the rate between two samples and the time left to `target`
 * at that rate. Without an earlier sample (the first line) there is no rate; at 0 bps, no time left.
 */
export function syncStatus(target: number, now: BestSample, previous?: BestSample): string {
  const parts = ["Syncing"];
  const dt = previous ? (now.atMs - previous.atMs) / 1000 : 0;
  const bps = previous && dt > 0 ? Math.max(0, now.best - previous.best) / dt : undefined;
  if (bps !== undefined) parts[0] += ` ${formatRate(bps)}`;
  parts.push(`target=#${target}`);
  const remaining = Math.max(0, target - now.best);
  if (bps !== undefined && bps > 0) parts.push(`${formatDuration(remaining / bps)} left`);
  return parts.join(", ");
}

export class Informant {
  private timer: NodeJS.Timeout | undefined;
  private last: BestSample | undefined;

  constructor(
    private readonly opts: { intervalMs: number; now?: () => number },
    private readonly modules: {
      chain: Chain;
      pool: TxPool;
      peerCount: () => number;
      isSyncing: () => boolean;
      /** The highest best block a peer announced (`system_syncState.highestBlock`). */
      syncTarget?: () => number;
      logger: Logger;
    },
  ) {}

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => this.display(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The status line, without logging it (each call is one sample of the sync rate). */
  line(): string {
    const { chain, pool } = this.modules;
    const s = pool.status();
    const peers = this.modules.peerCount();
    const sample: BestSample = { atMs: (this.opts.now ?? Date.now)(), best: chain.best.number };
    const previous = this.last;
    this.last = sample;
    const syncing = this.modules.isSyncing();
    const target = this.modules.syncTarget?.();
    const state = !syncing
      ? "💤 Idle"
      : target !== undefined
        ? `⚙️  ${syncStatus(target, sample, previous)}`
        : "⚙️  Syncing";
    const tickets = ticketsOf(chain.best.header).length;
    const pouw = tickets > 0 ? `, pouw: ${tickets} ticket${tickets === 1 ? "" : "s"}` : "";
    return `${state} (${peers} peer${peers === 1 ? "" : "s"}), best: #${chain.best.number} (${short(chain.best.hashHex)}), finalized #${chain.finalized.number} (${short(chain.finalized.hashHex)}), txpool: ${s.ready} ready, ${s.future} future${pouw}`;
  }

  display(): void {
    this.modules.logger.info(this.line());
  }
}
