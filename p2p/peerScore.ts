/**
 * Peer reputation in the manner of Substrate's peer store: an i32-range score per peer, moved by
 * `ReputationChange`-like costs and benefits, decaying towards zero over time. A peer whose score falls
 * below the ban threshold is banned for a period: the host disconnects it and the connection gater
 * built by `buildLibp2pOptions` refuses its connections, inbound and outbound, until the ban ends.
 * Protected (reserved) peers keep a score but are never banned, as in Substrate.
 *
 * Time is read only through the `now` function given to the store; decay is computed lazily.
 */
import type { PeerReport, PeerReportKind } from "./interface.js";

export const REPUTATION_MIN = -(2 ** 31);
export const REPUTATION_MAX = 2 ** 31 - 1;
/** Substrate's `ReputationChange::new_fatal`. */
export const REPUTATION_FATAL = REPUTATION_MIN;

/** Default value of each report kind; the values follow Substrate's sync, transactions and GRANDPA costs. */
export const defaultReputationChanges: Record<PeerReportKind, number> = {
  /** Substrate sync: "Block verification failed". Three of these ban a peer from zero. */
  invalidBlock: -(1 << 29),
  /** Substrate sync: "Bad justification". */
  invalidJustification: -(1 << 16),
  /** Substrate transactions: "Bad transaction". */
  invalidTransaction: -(1 << 12),
  /** Substrate: "Bad message" (undecodable or malformed frame or gossip). */
  invalidMessage: -(1 << 12),
  /** A frame or gossip message above the protocol's limit: worse than a malformed one, as it costs bandwidth. */
  oversized: -(1 << 20),
  /** Substrate sync: "Request timeout". */
  timeout: -(1 << 10),
  /** Substrate sync: "Request refused". */
  refused: -(1 << 10),
  /** More inbound requests in flight than allowed. */
  tooManyRequests: -(1 << 10),
  /** Substrate: "Genesis mismatch" is fatal. */
  genesisMismatch: REPUTATION_FATAL,
  /** Speaking a protocol wrongly in a way no honest peer would. */
  badProtocol: REPUTATION_FATAL,
  /** Substrate sync: "Good block" / "Block announce". */
  goodBlock: 1 << 7,
  /** Substrate transactions: "Good transaction". */
  goodTransaction: 1 << 7,
  /** A gossip message the chain side accepted. */
  goodMessage: 1 << 4,
  /** Only meaningful with an explicit value. */
  custom: 0,
};

export interface PeerScoreOptions {
  banThreshold: number;
  banDurationMs: number;
  /** Fraction of the score lost per second (Substrate: 1/50). */
  decayPerSecond: number;
  now: () => number;
  /** Overrides of the default values per kind. */
  changes?: Partial<Record<PeerReportKind, number>>;
}

interface Entry {
  score: number;
  updatedMs: number;
  bannedUntilMs?: number;
  banReason?: string;
}

export interface ApplyResult {
  score: number;
  /** True when this report caused a ban. */
  banned: boolean;
}

export class PeerScoreStore {
  private readonly entries = new Map<string, Entry>();
  private readonly protectedPeers = new Set<string>();
  private readonly changes: Record<PeerReportKind, number>;

  constructor(private readonly opts: PeerScoreOptions) {
    this.changes = { ...defaultReputationChanges, ...opts.changes };
  }

  /** The store a node's p2p options describe (`P2pOptions`: ban threshold and duration, decay). */
  static fromP2pOptions(
    opts: { banThreshold: number; banDurationMs: number; reputationDecayPerSecond: number },
    now: () => number = Date.now,
  ): PeerScoreStore {
    return new PeerScoreStore({
      banThreshold: opts.banThreshold,
      banDurationMs: opts.banDurationMs,
      decayPerSecond: opts.reputationDecayPerSecond,
      now,
    });
  }

  /** The value a report applies: its own, else its kind's. */
  valueOf(report: PeerReport): number {
    return report.value ?? this.changes[report.kind];
  }

  score(peer: string): number {
    const e = this.entries.get(peer);
    return e === undefined ? 0 : this.decayed(e, this.opts.now());
  }

  /** Applies a report; bans the peer when it crosses the threshold (unless protected or already banned). */
  apply(peer: string, report: PeerReport): ApplyResult {
    const now = this.opts.now();
    const e = this.entries.get(peer) ?? { score: 0, updatedMs: now };
    const score = clamp(this.decayed(e, now) + this.valueOf(report));
    e.score = score;
    e.updatedMs = now;
    this.entries.set(peer, e);
    if (score < this.opts.banThreshold && !this.protectedPeers.has(peer) && !this.isBanned(peer)) {
      this.ban(peer, this.opts.banDurationMs, report.reason ?? report.kind);
      return { score, banned: true };
    }
    return { score, banned: false };
  }

  ban(peer: string, durationMs: number, reason: string): void {
    const now = this.opts.now();
    const e = this.entries.get(peer) ?? { score: 0, updatedMs: now };
    e.bannedUntilMs = now + durationMs;
    e.banReason = reason;
    this.entries.set(peer, e);
  }

  unban(peer: string): void {
    const e = this.entries.get(peer);
    if (e !== undefined) e.bannedUntilMs = undefined;
  }

  /** Whether the peer is banned now. An expired ban ends here, leaving the score at half the threshold. */
  isBanned(peer: string): boolean {
    const e = this.entries.get(peer);
    if (e?.bannedUntilMs === undefined) return false;
    const now = this.opts.now();
    if (now < e.bannedUntilMs) return true;
    e.bannedUntilMs = undefined;
    e.banReason = undefined;
    e.score = Math.max(this.decayed(e, now), this.opts.banThreshold / 2);
    e.updatedMs = now;
    return false;
  }

  bannedUntil(peer: string): number | undefined {
    return this.isBanned(peer) ? this.entries.get(peer)?.bannedUntilMs : undefined;
  }

  /** Reserved peers: never banned by reputation. */
  protect(peer: string): void {
    this.protectedPeers.add(peer);
  }

  unprotect(peer: string): void {
    this.protectedPeers.delete(peer);
  }

  /** Forgets peers whose score has decayed to (almost) nothing and who are not banned. */
  prune(): void {
    const now = this.opts.now();
    for (const [peer, e] of this.entries) {
      if (e.bannedUntilMs === undefined && Math.abs(this.decayed(e, now)) < 1) this.entries.delete(peer);
    }
  }

  private decayed(e: Entry, now: number): number {
    const seconds = Math.max(0, now - e.updatedMs) / 1000;
    if (seconds === 0 || e.score === 0) return e.score;
    return Math.trunc(e.score * (1 - this.opts.decayPerSecond) ** seconds);
  }
}

function clamp(v: number): number {
  return Math.min(REPUTATION_MAX, Math.max(REPUTATION_MIN, v));
}
