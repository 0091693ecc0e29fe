/**
 * A GRANDPA-like voter as a pure state machine. Inputs: `onVote`, `onBlockImported`, `onTimer`,
 * `onFinalized` (a justification imported from the network), each with the current time; outputs: votes
 * to broadcast, finalized blocks with their justifications, equivocation evidence, and authority-set
 * changes. No network, no clock, no timers: the node calls `onTimer(now)` at `nextWakeAt()`.
 *
 * Rounds (set id s, round r, threshold t = floor(2W/3) + 1 of the set's total weight W):
 *   - base: the last finalized block; a vote supports its target and all the target's ancestors
 *     down to the base; each voter counts once per block even if it equivocated.
 *   - g(S): the highest block with support ≥ t, walking from the base (the GHOST rule).
 *   - prevote: at start + 2·gossip (or earlier once others have reached g(prevotes)), for the best
 *     chain containing the previous round's estimate (or the last finalized block).
 *   - precommit: g(prevotes), once it descends from the previous estimate and either all voters have
 *     prevoted, the round is completable, or start + 4·gossip has passed.
 *   - estimate E_r: the highest block at or below g(prevotes) that can still reach t precommits.
 *   - completable: E_r is below g(prevotes), or no child of g(prevotes) can reach t precommits. The
 *     voter then starts round r + 1. Past rounds are kept a while to count late precommits.
 *   - finality: g(precommits) of any kept round, above the last finalized block, with a justification
 *     made of the precommits for it or its descendants (verifiable by `verifyJustification`).
 *   - catch-up: a later round whose distinct voters, with this voter, weigh ≥ t is joined directly.
 *     Gossip never repeats a vote a peer has seen, so a voter that makes no progress for
 *     `catchUpAfterMs` emits `stalled`: the node then asks peers for their recent votes
 *     (`votesSince` on their side, `onCatchUp` on ours), which is how a restarted voter rejoins.
 *
 * Votes are persisted before they are emitted (`VoteStore.save` is awaited), and a voter re-uses a
 * stored vote for a round instead of casting a new one, so a restarted voter never contradicts itself.
 *
 * Authority-set changes: a `ScheduledChange` in block B (delay d) takes effect when the block at
 * height B + d on that chain is finalized; honest votes never go past that height, so the old set
 * finalizes exactly that block, and the new set (set id + 1) starts at round 0 from it.
 */
import { type KeyPair, sign } from "../../primitives/crypto/index.js";
import { compareBytes, toHex } from "../../primitives/hex.js";
import type { HeaderValue } from "../../primitives/types.js";
import { equivocationProof } from "./equivocation.js";
import { GrandpaError } from "./errors.js";
import { buildJustification } from "./justification.js";
import {
  type AuthoritySet,
  authoritiesFromChange,
  type BlockId,
  checkVoteSignature,
  findScheduledChange,
  type GrandpaAuthority,
  type GrandpaEquivocationProofValue,
  GrandpaJustification,
  type GrandpaJustificationValue,
  localizedPayload,
  type SignedVote,
  sameTarget,
  supermajority,
  totalVoteWeight,
  type VoteKind,
} from "./messages.js";

/** The chain as the voter sees it (the node's block tree and header store). */
export interface VoterChain {
  /** Hashes from `block` (included) back to `base` (excluded), newest first; undefined when `block` does not descend from `base` or is unknown. */
  ancestry(base: Uint8Array, block: Uint8Array): Uint8Array[] | undefined;
  /** True when `descendant` is `ancestor` or descends from it. */
  isDescendant(ancestor: Uint8Array, descendant: Uint8Array): boolean;
  /** The head of the best chain containing `base`. */
  bestChainContaining(base: Uint8Array): BlockId | undefined;
  header(hash: Uint8Array): HeaderValue | undefined;
}

export interface SavedVotes {
  prevote?: SignedVote;
  precommit?: SignedVote;
}

/** Durable storage of the voter's own votes. `save` must be durable when its promise resolves. */
export interface VoteStore {
  load(setId: bigint, round: bigint): Promise<SavedVotes | undefined>;
  save(setId: bigint, round: bigint, vote: SignedVote): Promise<void>;
}

/** A `VoteStore` in memory: for tests, and for nodes that are not validators. */
export class MemoryVoteStore implements VoteStore {
  readonly votes = new Map<string, SavedVotes>();
  async load(setId: bigint, round: bigint): Promise<SavedVotes | undefined> {
    const v = this.votes.get(`${setId}:${round}`);
    return v && { ...v };
  }
  async save(setId: bigint, round: bigint, vote: SignedVote): Promise<void> {
    const k = `${setId}:${round}`;
    const v = this.votes.get(k) ?? {};
    if (vote.kind === "Prevote") v.prevote = vote;
    else v.precommit = vote;
    this.votes.set(k, v);
  }
}

export interface VoterSigner {
  /** ed25519 public key. */
  publicKey: Uint8Array;
  sign(payload: Uint8Array): Uint8Array;
}

export function keyPairSigner(key: KeyPair): VoterSigner {
  if (key.scheme !== "ed25519") throw new TypeError("GRANDPA voters sign with ed25519 keys");
  return { publicKey: key.publicKey, sign: (m) => sign(key, m) };
}

export interface PendingChange {
  /** The block that signalled the change. */
  signalledAt: BlockId;
  /** The height whose finalization enacts it. */
  effectiveNumber: number;
  next: GrandpaAuthority[];
}

/** What a node persists to restart a voter (with its `VoteStore`). */
export interface VoterState {
  set: AuthoritySet;
  finalized: BlockId;
  round: bigint;
  pendingChange?: PendingChange;
}

export interface VoterOptions {
  /** Expected time for a message to reach all voters; rounds wait 2× and 4× this before voting. */
  gossipDurationMs: number;
  /** Past rounds kept to count late precommits. */
  keepRounds: number;
  /** Rounds ahead of the current one whose votes are kept (at most this many rounds). */
  maxFutureRounds: number;
  /** After this long in one round without progress the voter reports `stalled` (ask peers to catch up). */
  catchUpAfterMs: number;
  /** Votes of the next authority set buffered until the handoff. */
  maxBufferedVotes: number;
}

export const defaultVoterOptions: VoterOptions = {
  gossipDurationMs: 200,
  keepRounds: 3,
  maxFutureRounds: 4,
  catchUpAfterMs: 3000,
  maxBufferedVotes: 1024,
};

export interface VoterModules {
  chain: VoterChain;
  store: VoteStore;
  /** The node's ed25519 finality key; without it (or outside the set) the voter only observes. */
  signer?: VoterSigner;
}

export type VoterOutput =
  | { type: "vote"; vote: SignedVote }
  | {
      type: "finalized";
      block: BlockId;
      setId: bigint;
      round: bigint;
      justification: GrandpaJustificationValue;
      /** SCALE-encoded `GrandpaJustification`, to store and serve. */
      encoded: Uint8Array;
    }
  | { type: "equivocation"; proof: GrandpaEquivocationProofValue; first: SignedVote; second: SignedVote }
  | { type: "setChanged"; set: AuthoritySet; at: BlockId }
  /** No progress for `catchUpAfterMs`: ask peers for their votes from `round` of set `setId` on. */
  | { type: "stalled"; setId: bigint; round: bigint };

export interface RoundState {
  setId: bigint;
  round: bigint;
  totalWeight: bigint;
  thresholdWeight: bigint;
  prevotes: { currentWeight: bigint; missing: Uint8Array[] };
  precommits: { currentWeight: bigint; missing: Uint8Array[] };
}

class Round {
  readonly prevotes = new Map<number, SignedVote[]>();
  readonly precommits = new Map<number, SignedVote[]>();
  ownPrevote: SignedVote | undefined;
  ownPrecommit: SignedVote | undefined;
  saved: SavedVotes | undefined;
  savedLoaded = false;
  /** When the round started, or last reported `stalled`. */
  lastProgressAt: number;

  constructor(
    readonly number: bigint,
    public startedAt: number,
  ) {
    this.lastProgressAt = startedAt;
  }

  votes(kind: VoteKind): Map<number, SignedVote[]> {
    return kind === "Prevote" ? this.prevotes : this.precommits;
  }
}

interface GraphNode {
  id: BlockId;
  children: Set<string>;
  voters: Set<number>;
}

interface VoteGraph {
  nodes: Map<string, GraphNode>;
  baseKey: string;
  /** Distinct voters with at least one vote for a known block. */
  voted: Set<number>;
}

interface RoundView {
  prevotes: VoteGraph;
  precommits: VoteGraph;
  prevoteGhost: BlockId | undefined;
  estimate: BlockId | undefined;
  completable: boolean;
}

const hex = (h: Uint8Array) => toHex(h);

export class Voter {
  private set: AuthoritySet;
  private finalized: BlockId;
  private pendingChange: PendingChange | undefined;
  private currentRound: bigint;
  private rounds = new Map<bigint, Round>();
  private indexById = new Map<string, number>();
  private weights: bigint[] = [];
  private total = 0n;
  private threshold = 0n;
  private buffered: SignedVote[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private started = false;

  constructor(
    private readonly opts: VoterOptions,
    private readonly modules: VoterModules,
    initial: VoterState,
  ) {
    this.set = initial.set;
    this.finalized = initial.finalized;
    this.pendingChange = initial.pendingChange;
    this.currentRound = initial.round;
    this.indexSet();
  }

  /** The state to persist for a restart (with the `VoteStore`). */
  state(): VoterState {
    return { set: this.set, finalized: this.finalized, round: this.currentRound, pendingChange: this.pendingChange };
  }

  get authoritySet(): AuthoritySet {
    return this.set;
  }

  get round(): bigint {
    return this.currentRound;
  }

  get lastFinalized(): BlockId {
    return this.finalized;
  }

  /** Starts the current round at `now`. */
  start(now: number): Promise<VoterOutput[]> {
    return this.run(async (out) => {
      if (!this.started) {
        this.started = true;
        this.rounds.set(this.currentRound, new Round(this.currentRound, now));
      }
      await this.evaluate(now, out);
    });
  }

  /**
   * A vote from the network. Throws `GRANDPA_ERROR_UNKNOWN_VOTER` / `GRANDPA_ERROR_BAD_SIGNATURE` for
   * votes of the current set that must be rejected (penalize the peer); stale votes are ignored.
   */
  onVote(vote: SignedVote, now: number): Promise<VoterOutput[]> {
    return this.run(async (out) => {
      this.acceptVote(vote, now, out);
      if (this.started) await this.evaluate(now, out);
    });
  }

  /** A block was imported: votes for it may now count. */
  onBlockImported(_block: BlockId, now: number): Promise<VoterOutput[]> {
    return this.run(async (out) => {
      if (this.started) await this.evaluate(now, out);
    });
  }

  onTimer(now: number): Promise<VoterOutput[]> {
    return this.run(async (out) => {
      if (this.started) await this.evaluate(now, out);
    });
  }

  /**
   * The node finalized `block` through a verified justification from the network (sync, commit
   * messages). Enacts a due authority-set change.
   */
  onFinalized(block: BlockId, now: number): Promise<VoterOutput[]> {
    return this.run(async (out) => {
      if (block.number <= this.finalized.number || !this.modules.chain.isDescendant(this.finalized.hash, block.hash))
        return;
      this.advanceFinalized(block, now, out);
      if (this.started) await this.evaluate(now, out);
    });
  }

  /** Changes the key this voter signs with, e.g. after a set change that includes a rotated key. */
  setSigner(signer: VoterSigner | undefined): void {
    this.modules.signer = signer;
  }

  /** The votes held for rounds ≥ `round` of set `setId` (own and others'): a catch-up answer. */
  votesSince(setId: bigint, round: bigint): SignedVote[] {
    if (setId !== this.set.setId) return [];
    const out: SignedVote[] = [];
    for (const [n, r] of [...this.rounds].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (n < round) continue;
      for (const votes of [r.prevotes, r.precommits]) for (const vs of votes.values()) out.push(...vs);
    }
    return out;
  }

  /**
   * A peer's catch-up answer. Each vote is checked as a gossiped one; an invalid vote throws (after
   * the valid ones before it are kept), so the node can report the peer.
   */
  onCatchUp(votes: SignedVote[], now: number): Promise<VoterOutput[]> {
    return this.run(async (out) => {
      try {
        for (const vote of votes) this.acceptVote(vote, now, out);
      } finally {
        if (this.started) await this.evaluate(now, out);
      }
    });
  }

  /** The current round as `grandpa_roundState` reports it: weights, and the voters not yet heard from. */
  roundState(): RoundState {
    const round = this.rounds.get(this.currentRound);
    const tally = (votes: Map<number, SignedVote[]> | undefined) => {
      const voted = new Set(votes?.keys() ?? []);
      return {
        currentWeight: this.weightOf(voted),
        missing: this.set.authorities.filter((_, i) => !voted.has(i)).map((a) => a.id),
      };
    };
    return {
      setId: this.set.setId,
      round: this.currentRound,
      totalWeight: this.total,
      thresholdWeight: this.threshold,
      prevotes: tally(round?.prevotes),
      precommits: tally(round?.precommits),
    };
  }

  /** When `onTimer` should next be called (ms), if a time-based step is pending. */
  nextWakeAt(): number | undefined {
    const round = this.rounds.get(this.currentRound);
    if (!round) return undefined;
    const T = this.opts.gossipDurationMs;
    const times: number[] = [];
    if (this.isVoter()) {
      if (!round.ownPrevote) times.push(round.startedAt + 2 * T);
      else if (!round.ownPrecommit) times.push(round.startedAt + 4 * T);
    }
    times.push(round.lastProgressAt + this.opts.catchUpAfterMs);
    return Math.min(...times);
  }

  // ---- internals ----

  private run(step: (out: VoterOutput[]) => Promise<void>): Promise<VoterOutput[]> {
    const out: VoterOutput[] = [];
    const p = this.queue.then(() => step(out)).then(() => out);
    this.queue = p.catch(() => {});
    return p;
  }

  private indexSet(): void {
    this.indexById.clear();
    this.weights = this.set.authorities.map((a) => a.weight);
    this.set.authorities.forEach((a, i) => {
      if (!this.indexById.has(hex(a.id))) this.indexById.set(hex(a.id), i);
    });
    this.total = totalVoteWeight(this.set);
    this.threshold = supermajority(this.total);
  }

  private isVoter(): boolean {
    const s = this.modules.signer;
    return s !== undefined && this.indexById.has(hex(s.publicKey));
  }

  private weightOf(voters: Iterable<number>): bigint {
    let w = 0n;
    for (const i of voters) w += this.weights[i]!;
    return w;
  }

  private acceptVote(vote: SignedVote, now: number, out: VoterOutput[]): void {
    if (vote.setId < this.set.setId) return;
    if (vote.setId > this.set.setId) {
      if (vote.setId === this.set.setId + 1n && this.buffered.length < this.opts.maxBufferedVotes)
        this.buffered.push(vote);
      return;
    }
    const idx = this.indexById.get(hex(vote.id));
    if (idx === undefined) throw new GrandpaError({ code: "GRANDPA_ERROR_UNKNOWN_VOTER", id: hex(vote.id) });
    if (!checkVoteSignature(vote))
      throw new GrandpaError({ code: "GRANDPA_ERROR_BAD_SIGNATURE", id: hex(vote.id), round: vote.round });
    if (vote.round < this.currentRound - BigInt(this.opts.keepRounds)) return;
    let round = this.rounds.get(vote.round);
    if (!round) {
      if (vote.round < this.currentRound) return;
      round = new Round(vote.round, now);
      this.rounds.set(vote.round, round);
      this.trimFutureRounds();
      if (!this.rounds.has(vote.round)) return;
    }
    this.recordVote(round, idx, vote, out);
  }

  private trimFutureRounds(): void {
    const future = [...this.rounds.keys()].filter((r) => r > this.currentRound).sort((a, b) => (a < b ? -1 : 1));
    while (future.length > this.opts.maxFutureRounds) this.rounds.delete(future.shift()!);
  }

  private recordVote(round: Round, idx: number, vote: SignedVote, out: VoterOutput[]): void {
    const map = round.votes(vote.kind);
    const existing = map.get(idx);
    if (!existing) {
      map.set(idx, [vote]);
      return;
    }
    if (existing.some((v) => sameTarget(v.target, vote.target))) return;
    if (existing.length >= 2) return;
    existing.push(vote);
    out.push({ type: "equivocation", proof: equivocationProof(existing[0]!, vote), first: existing[0]!, second: vote });
  }

  private buildGraph(votes: Map<number, SignedVote[]>): VoteGraph {
    const { chain } = this.modules;
    const base = this.finalized;
    const baseKey = hex(base.hash);
    const nodes = new Map<string, GraphNode>([[baseKey, { id: base, children: new Set(), voters: new Set() }]]);
    const voted = new Set<number>();
    for (const [idx, vs] of votes) {
      for (const v of vs) {
        const path = chain.ancestry(base.hash, v.target.hash);
        if (path === undefined || v.target.number !== base.number + path.length) {
          // Known and not on the base's chain: the vote counts as cast but supports nothing here.
          if (chain.header(v.target.hash)) voted.add(idx);
          continue;
        }
        voted.add(idx);
        nodes.get(baseKey)!.voters.add(idx);
        let parentKey = baseKey;
        for (let i = path.length - 1; i >= 0; i--) {
          const key = hex(path[i]!);
          let node = nodes.get(key);
          if (!node) {
            node = { id: { hash: path[i]!, number: v.target.number - i }, children: new Set(), voters: new Set() };
            nodes.set(key, node);
          }
          nodes.get(parentKey)!.children.add(key);
          node.voters.add(idx);
          parentKey = key;
        }
      }
    }
    return { nodes, baseKey, voted };
  }

  /** The highest block with support ≥ threshold, or undefined when even the base lacks it. */
  private ghost(graph: VoteGraph): BlockId | undefined {
    let cur = graph.nodes.get(graph.baseKey)!;
    if (this.weightOf(cur.voters) < this.threshold) return undefined;
    for (;;) {
      let next: GraphNode | undefined;
      let nextWeight = 0n;
      for (const k of cur.children) {
        const child = graph.nodes.get(k)!;
        const w = this.weightOf(child.voters);
        if (w < this.threshold) continue;
        if (!next || w > nextWeight || (w === nextWeight && compareBytes(child.id.hash, next.id.hash) < 0)) {
          next = child;
          nextWeight = w;
        }
      }
      if (!next) return cur.id;
      cur = next;
    }
  }

  private view(round: Round): RoundView {
    const prevotes = this.buildGraph(round.prevotes);
    const precommits = this.buildGraph(round.precommits);
    const prevoteGhost = this.ghost(prevotes);
    if (!prevoteGhost) return { prevotes, precommits, prevoteGhost, estimate: undefined, completable: false };
    const remaining = this.total - this.weightOf(precommits.voted);
    const possible = (key: string) => {
      const n = precommits.nodes.get(key);
      return (n ? this.weightOf(n.voters) : 0n) + remaining >= this.threshold;
    };
    // Walk from g(prevotes) down to the base until a block can still reach a supermajority.
    const path = this.modules.chain.ancestry(this.finalized.hash, prevoteGhost.hash) ?? [];
    let estimate: BlockId = this.finalized;
    for (let i = 0; i < path.length; i++) {
      if (possible(hex(path[i]!))) {
        estimate = { hash: path[i]!, number: prevoteGhost.number - i };
        break;
      }
    }
    let completable: boolean;
    if (estimate.number < prevoteGhost.number) {
      completable = true;
    } else {
      const g = precommits.nodes.get(hex(prevoteGhost.hash));
      completable = remaining < this.threshold && [...(g?.children ?? [])].every((k) => !possible(k));
    }
    return { prevotes, precommits, prevoteGhost, estimate, completable };
  }

  private previousEstimate(round: Round): BlockId {
    const prev = this.rounds.get(round.number - 1n);
    const e = prev && this.view(prev).estimate;
    return e && this.modules.chain.isDescendant(this.finalized.hash, e.hash) ? e : this.finalized;
  }

  /** Caps a vote target at the height where a pending authority-set change takes effect. */
  private capTarget(target: BlockId): BlockId {
    const { chain } = this.modules;
    const path = chain.ancestry(this.finalized.hash, target.hash);
    if (!path) return target;
    let limit = this.pendingChange?.effectiveNumber ?? Number.POSITIVE_INFINITY;
    for (let i = path.length - 1; i >= 0 && limit === Number.POSITIVE_INFINITY; i--) {
      const header = chain.header(path[i]!);
      const change = header && findScheduledChange(header);
      if (change) limit = target.number - i + change.delay;
    }
    if (target.number <= limit) return target;
    const back = target.number - limit;
    return { hash: path[back]!, number: limit };
  }

  private async loadSaved(round: Round): Promise<SavedVotes | undefined> {
    if (!round.savedLoaded) {
      round.saved = await this.modules.store.load(this.set.setId, round.number);
      round.savedLoaded = true;
    }
    return round.saved;
  }

  private async cast(round: Round, kind: VoteKind, target: BlockId, now: number, out: VoterOutput[]): Promise<void> {
    const signer = this.modules.signer!;
    const saved = await this.loadSaved(round);
    let vote = kind === "Prevote" ? saved?.prevote : saved?.precommit;
    if (!vote) {
      const signature = signer.sign(localizedPayload(kind, target, round.number, this.set.setId));
      vote = { round: round.number, setId: this.set.setId, kind, target, signature, id: signer.publicKey };
      await this.modules.store.save(this.set.setId, round.number, vote);
      round.saved = { ...round.saved, [kind === "Prevote" ? "prevote" : "precommit"]: vote };
    }
    if (kind === "Prevote") round.ownPrevote = vote;
    else round.ownPrecommit = vote;
    this.recordVote(round, this.indexById.get(hex(signer.publicKey))!, vote, out);
    round.lastProgressAt = now;
    out.push({ type: "vote", vote });
  }

  private catchUp(now: number): void {
    const own = this.isVoter() ? this.weightOf([this.indexById.get(hex(this.modules.signer!.publicKey))!]) : 0n;
    let target: bigint | undefined;
    for (const [n, round] of this.rounds) {
      if (n <= this.currentRound) continue;
      const voters = new Set<number>([...round.prevotes.keys(), ...round.precommits.keys()]);
      const ownIdx = this.isVoter() ? this.indexById.get(hex(this.modules.signer!.publicKey)) : undefined;
      const extra = ownIdx !== undefined && !voters.has(ownIdx) ? own : 0n;
      if (this.weightOf(voters) + extra >= this.threshold && (target === undefined || n > target)) target = n;
    }
    if (target !== undefined) this.enterRound(target, now);
  }

  private enterRound(n: bigint, now: number): void {
    this.currentRound = n;
    const round = this.rounds.get(n);
    if (round) {
      round.startedAt = now;
      round.lastProgressAt = now;
    } else {
      this.rounds.set(n, new Round(n, now));
    }
    const oldest = n - BigInt(this.opts.keepRounds);
    for (const r of [...this.rounds.keys()]) if (r < oldest) this.rounds.delete(r);
  }

  private async evaluate(now: number, out: VoterOutput[]): Promise<void> {
    const T = this.opts.gossipDurationMs;
    for (let guard = 0; guard < 256; guard++) {
      this.catchUp(now);
      const round = this.rounds.get(this.currentRound)!;
      const view = this.view(round);
      const voter = this.isVoter();

      if (voter && !round.ownPrevote && (now >= round.startedAt + 2 * T || view.prevoteGhost || view.completable)) {
        const base = this.previousEstimate(round);
        const best = this.modules.chain.bestChainContaining(base.hash) ?? base;
        await this.cast(round, "Prevote", this.capTarget(best), now, out);
        continue;
      }

      const prevoteGhost = view.prevoteGhost;
      if (voter && round.ownPrevote && !round.ownPrecommit && prevoteGhost) {
        const allPrevoted = this.weightOf(view.prevotes.voted) >= this.total;
        const timeUp = now >= round.startedAt + 4 * T;
        const base = this.previousEstimate(round);
        if (
          (allPrevoted || timeUp || view.completable) &&
          this.modules.chain.isDescendant(base.hash, prevoteGhost.hash)
        ) {
          await this.cast(round, "Precommit", this.capTarget(prevoteGhost), now, out);
          continue;
        }
      }

      if (this.tryFinalize(now, out)) continue;

      const precommitDone = !voter || round.ownPrecommit !== undefined || now >= round.startedAt + 4 * T;
      if (view.completable && precommitDone) {
        this.enterRound(this.currentRound + 1n, now);
        continue;
      }

      if (now >= round.lastProgressAt + this.opts.catchUpAfterMs) {
        round.lastProgressAt = now;
        out.push({ type: "stalled", setId: this.set.setId, round: this.currentRound });
      }
      return;
    }
  }

  /** Finalizes the highest g(precommits) above the last finalized block among kept rounds. */
  private tryFinalize(now: number, out: VoterOutput[]): boolean {
    const { chain } = this.modules;
    let best: { round: Round; block: BlockId } | undefined;
    for (const round of this.rounds.values()) {
      if (round.precommits.size === 0) continue;
      const g = this.ghost(this.buildGraph(round.precommits));
      if (!g || g.number <= this.finalized.number) continue;
      if (!best || g.number > best.block.number) best = { round, block: g };
    }
    if (!best) return false;
    const { round, block } = best;
    const included: SignedVote[] = [];
    const counted = new Set<number>();
    const ancestryHeaders = new Map<string, HeaderValue>();
    for (const [idx, votes] of round.precommits) {
      for (const v of votes) {
        const path = chain.ancestry(block.hash, v.target.hash);
        if (!path) continue;
        const headers = path.map((h) => chain.header(h));
        if (headers.some((h) => h === undefined)) continue;
        included.push(v);
        counted.add(idx);
        for (let i = 0; i < path.length; i++) ancestryHeaders.set(hex(path[i]!), headers[i]!);
      }
    }
    if (this.weightOf(counted) < this.threshold) return false;
    const justification = buildJustification(round.number, block, included, [...ancestryHeaders.values()]);
    out.push({
      type: "finalized",
      block,
      setId: this.set.setId,
      round: round.number,
      justification,
      encoded: GrandpaJustification.enc(justification),
    });
    this.advanceFinalized(block, now, out);
    return true;
  }

  /** Moves the finalized block forward and enacts a due authority-set change. */
  private advanceFinalized(block: BlockId, now: number, out: VoterOutput[]): void {
    const { chain } = this.modules;
    const path = chain.ancestry(this.finalized.hash, block.hash) ?? [];
    // Oldest first: the blocks newly finalized.
    const newly: BlockId[] = path.map((hash, i) => ({ hash, number: block.number - i })).reverse();
    this.finalized = block;
    for (const b of newly) {
      if (!this.pendingChange) {
        const header = chain.header(b.hash);
        const change = header && findScheduledChange(header);
        if (change)
          this.pendingChange = {
            signalledAt: b,
            effectiveNumber: b.number + change.delay,
            next: authoritiesFromChange(change),
          };
      }
      if (this.pendingChange && b.number >= this.pendingChange.effectiveNumber) {
        this.enactChange(b, now, out);
      }
    }
  }

  private enactChange(at: BlockId, now: number, out: VoterOutput[]): void {
    const change = this.pendingChange!;
    this.pendingChange = undefined;
    this.set = { setId: this.set.setId + 1n, authorities: change.next };
    this.indexSet();
    this.rounds.clear();
    this.currentRound = 0n;
    this.rounds.set(0n, new Round(0n, now));
    out.push({ type: "setChanged", set: this.set, at });
    const buffered = this.buffered;
    this.buffered = [];
    for (const v of buffered) {
      try {
        this.acceptVote(v, now, out);
      } catch {
        // Votes buffered before the handoff that turn out invalid are dropped.
      }
    }
  }
}
