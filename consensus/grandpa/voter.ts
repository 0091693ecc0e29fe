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
 *     chain containing the previous round's estimate (or the last finalized block). A voter whose node
 *     is far behind its peers (syncing) holds it until sync or `syncHoldMs` after the round's start.
 *   - precommit: g(prevotes), once it descends from the previous estimate and either all voters have
 *     prevoted, the round is completable, or start + 4·gossip has passed.
 *   - estimate E_r: the highest block at or below g(prevotes) that can still reach t precommits.
 *   - completable: E_r is below g(prevotes), or no child of g(prevotes) can reach t precommits. The
 *     voter then starts round r + 1. Past rounds are kept a while to count late precommits.
 *   - finality: g(precommits) of any kept round, above the last finalized block, with a justification
 *     made of the precommits for it or its descendants (verifiable by `verifyJustification`). A voter
 *     (not an observer) that finalizes so emits the commit (target and precommits) for gossip.
 *   - commits (`onCommit`): another voter's commit, checked like a justification with the ancestry
 *     headers of this voter's chain, finalizes its target here too, so a voter that missed the
 *     precommits needs no catch-up; its precommits then count as votes of their round.
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
 *
 * Votes for rounds ahead of the current one are kept within a quota per authority (`futureVotes.ts`):
 * its nearest and its highest future rounds, so a lagging voter still sees where the others are, and
 * an authority signing votes for distant rounds fills only its own quota.
 *
 * Parts: one round's votes and tally in `round.ts` (GHOST over `voteGraph.ts`), voter weights in
 * `voterSet.ts`, catch-up in `catchUp.ts`, future-round quotas in `futureVotes.ts`; this class
 * sequences them.
 */
import { toHex } from "../../primitives/hex.js";
import type { HeaderValue } from "../../primitives/types.js";
import { catchUpRound, votesSince } from "./catchUp.js";
import { equivocationProof } from "./equivocation.js";
import { GrandpaError } from "./errors.js";
import { admitFutureVote, type FutureRoundLimits } from "./futureVotes.js";
import { buildJustification, checkPrecommits, commitOf, verifyJustification } from "./justification.js";
import {
  type AuthoritySet,
  authoritiesFromChange,
  type BlockId,
  type CommitMessage,
  checkVoteSignature,
  findScheduledChange,
  type GrandpaAuthority,
  type GrandpaEquivocationProofValue,
  GrandpaJustification,
  type GrandpaJustificationValue,
  localizedPayload,
  type SignedVote,
  type VoteKind,
} from "./messages.js";
import { Round, type RoundView } from "./round.js";
import { buildVoteGraph, ghost } from "./voteGraph.js";
import type { VoterChain } from "./voterChain.js";
import { VoterSet } from "./voterSet.js";
import type { VoterSigner } from "./voterSigner.js";
import type { SavedVotes, VoteStore } from "./voteStore.js";

export type { VoterChain } from "./voterChain.js";
export { keyPairSigner, type VoterSigner } from "./voterSigner.js";
export { MemoryVoteStore, type SavedVotes, type VoteStore } from "./voteStore.js";

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
  /**
   * Rounds ahead of the current one in which each authority's votes are kept: its nearest ones and
   * its highest ones (`futureVotes.ts`), so one authority's votes for distant rounds never evict others'.
   */
  futureRoundsPerVoter: FutureRoundLimits;
  /** After this long in one round without progress the voter reports `stalled` (ask peers to catch up). */
  catchUpAfterMs: number;
  /** Votes of the next authority set buffered until the handoff. */
  maxBufferedVotes: number;
  /**
   * While the node is far behind its peers (`VoterModules.behind`), the voter holds its prevote up to
   * this long after the round starts: a restarted voter would otherwise prevote the stale best it
   * restarted with, and the round it joins would complete on that instead of the live chain.
   */
  syncHoldMs: number;
}

export const defaultVoterOptions: VoterOptions = {
  gossipDurationMs: 200,
  keepRounds: 3,
  futureRoundsPerVoter: { nearest: 2, highest: 2 },
  catchUpAfterMs: 3000,
  maxBufferedVotes: 1024,
  syncHoldMs: 4000,
};

export interface VoterModules {
  chain: VoterChain;
  store: VoteStore;
  /** The node's ed25519 finality key; without it (or outside the set) the voter only observes. */
  signer?: VoterSigner;
  /** Whether the node's best block is far behind what its peers report (it is syncing). */
  behind?: () => boolean;
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
  /** This voter finalized a block in one of its rounds: gossip the commit (only voters emit it). */
  | { type: "commit"; commit: CommitMessage }
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

export class Voter {
  private set: AuthoritySet;
  private finalized: BlockId;
  private pendingChange: PendingChange | undefined;
  private currentRound: bigint;
  private rounds = new Map<bigint, Round>();
  /**
   * This voter's own votes of the rounds before the one it started in, read back from its store at
   * start: a voter that completed a round and restarted no longer holds that round, but peers still
   * in it may lack its votes there (they missed its gossip), and only a catch-up answer can give them.
   */
  private ownEarlierVotes: SignedVote[] = [];
  private voters: VoterSet;
  private buffered: SignedVote[] = [];
  /** The highest valid-looking commit whose blocks are not all imported yet; tried again on import. */
  private pendingCommit: CommitMessage | undefined;
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
    this.voters = new VoterSet(this.set);
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
        await this.loadOwnEarlierVotes();
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

  /** A block was imported: votes (and a pending commit) for it may now count. */
  onBlockImported(_block: BlockId, now: number): Promise<VoterOutput[]> {
    return this.run(async (out) => {
      const pending = this.pendingCommit;
      this.pendingCommit = undefined;
      if (pending) {
        try {
          this.applyCommit(pending, now, out);
        } catch {
          // Its signatures were checked when it arrived; a commit that proves nothing is dropped.
        }
      }
      if (this.started) await this.evaluate(now, out);
    });
  }

  /**
   * A commit from the network (sc-consensus-grandpa's `FullCommitMessage`): another voter finalized
   * `commit.target`. It is checked like a justification, with the ancestry headers from this voter's
   * chain; a valid one finalizes its target (a `finalized` output with the justification, and no
   * commit of ours). Commits of another set, or not above the last finalized block, are ignored; a
   * commit whose blocks are not all imported yet is kept (the highest one, once its signatures check)
   * and tried again as blocks arrive. Throws `GRANDPA_ERROR_BAD_JUSTIFICATION` for an invalid commit
   * of the current set (penalize the peer).
   */
  onCommit(commit: CommitMessage, now: number): Promise<VoterOutput[]> {
    return this.run(async (out) => {
      this.applyCommit(commit, now, out);
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

  /**
   * The votes held for rounds ≥ `round` of set `setId` (own and others'), with this voter's own votes
   * of earlier rounds read back at start (`ownEarlierVotes`): a catch-up answer.
   */
  votesSince(setId: bigint, round: bigint): SignedVote[] {
    if (setId !== this.set.setId) return [];
    const held = votesSince(this.rounds, round);
    const restored = this.ownEarlierVotes.filter((v) => v.round >= round && !this.rounds.has(v.round));
    return [...restored, ...held];
  }

  /** Reads back this voter's own votes of the `keepRounds` rounds before its current one. */
  private async loadOwnEarlierVotes(): Promise<void> {
    if (!this.isVoter()) return;
    const from =
      this.currentRound > BigInt(this.opts.keepRounds) ? this.currentRound - BigInt(this.opts.keepRounds) : 0n;
    for (let r = from; r < this.currentRound; r++) {
      const saved = await this.modules.store.load(this.set.setId, r);
      if (saved?.prevote) this.ownEarlierVotes.push(saved.prevote);
      if (saved?.precommit) this.ownEarlierVotes.push(saved.precommit);
    }
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
        currentWeight: this.voters.weightOf(voted),
        missing: this.set.authorities.filter((_, i) => !voted.has(i)).map((a) => a.id),
      };
    };
    return {
      setId: this.set.setId,
      round: this.currentRound,
      totalWeight: this.voters.total,
      thresholdWeight: this.voters.threshold,
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
      // A held prevote waits for sync (a block import wakes the voter) or the end of the hold.
      if (!round.ownPrevote) times.push(round.startedAt + (this.modules.behind?.() ? this.opts.syncHoldMs : 2 * T));
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

  /** This voter's index in the set; undefined when it has no key or its key is not in the set. */
  private ownIndex(): number | undefined {
    const s = this.modules.signer;
    return s === undefined ? undefined : this.voters.indexOf(s.publicKey);
  }

  private isVoter(): boolean {
    return this.ownIndex() !== undefined;
  }

  private acceptVote(vote: SignedVote, now: number, out: VoterOutput[]): void {
    if (vote.setId < this.set.setId) return;
    if (vote.setId > this.set.setId) {
      if (vote.setId === this.set.setId + 1n && this.buffered.length < this.opts.maxBufferedVotes)
        this.buffered.push(vote);
      return;
    }
    const idx = this.voters.indexOf(vote.id);
    if (idx === undefined) throw new GrandpaError({ code: "GRANDPA_ERROR_UNKNOWN_VOTER", id: toHex(vote.id) });
    if (!checkVoteSignature(vote))
      throw new GrandpaError({ code: "GRANDPA_ERROR_BAD_SIGNATURE", id: toHex(vote.id), round: vote.round });
    if (vote.round < this.currentRound - BigInt(this.opts.keepRounds)) return;
    if (
      vote.round > this.currentRound &&
      !admitFutureVote(this.rounds, this.currentRound, idx, vote.round, this.opts.futureRoundsPerVoter)
    )
      return;
    let round = this.rounds.get(vote.round);
    if (!round) {
      if (vote.round < this.currentRound) return;
      round = new Round(vote.round, now);
      this.rounds.set(vote.round, round);
    }
    this.recordVote(round, idx, vote, out);
  }

  private recordVote(round: Round, idx: number, vote: SignedVote, out: VoterOutput[]): void {
    const first = round.record(idx, vote);
    if (first) out.push({ type: "equivocation", proof: equivocationProof(first, vote), first, second: vote });
  }

  private view(round: Round): RoundView {
    return round.view(this.modules.chain, this.finalized, this.voters);
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
    this.recordVote(round, this.voters.indexOf(signer.publicKey)!, vote, out);
    round.lastProgressAt = now;
    out.push({ type: "vote", vote });
  }

  private catchUp(now: number): void {
    const target = catchUpRound(this.rounds, this.currentRound, this.voters, this.ownIndex());
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

      const held = this.modules.behind?.() === true && now < round.startedAt + this.opts.syncHoldMs;
      if (
        voter &&
        !round.ownPrevote &&
        !held &&
        (now >= round.startedAt + 2 * T || view.prevoteGhost || view.completable)
      ) {
        const base = this.previousEstimate(round);
        const best = this.modules.chain.bestChainContaining(base.hash) ?? base;
        await this.cast(round, "Prevote", this.capTarget(best), now, out);
        continue;
      }

      const prevoteGhost = view.prevoteGhost;
      if (voter && round.ownPrevote && !round.ownPrecommit && prevoteGhost) {
        const allPrevoted = this.voters.weightOf(view.prevotes.voted) >= this.voters.total;
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

  private applyCommit(commit: CommitMessage, now: number, out: VoterOutput[]): void {
    const { chain } = this.modules;
    if (commit.setId !== this.set.setId || commit.target.number <= this.finalized.number) return;
    checkPrecommits(commit.precommits, this.set);
    if (!chain.header(commit.target.hash)) {
      this.keepPending(commit);
      return;
    }
    // The ancestry of each precommit whose target is imported; the others wait (or are not needed).
    const included: SignedVote[] = [];
    const headers = new Map<string, HeaderValue>();
    let missing = false;
    for (const p of commit.precommits) {
      if (!chain.header(p.target.hash)) {
        missing = true;
        continue;
      }
      const path = chain.ancestry(commit.target.hash, p.target.hash);
      if (!path)
        throw new GrandpaError({ code: "GRANDPA_ERROR_BAD_JUSTIFICATION", reason: "precommit off the target" });
      included.push(p);
      for (const h of path) headers.set(toHex(h), chain.header(h)!);
    }
    const justification = buildJustification(commit.round, commit.target, included, [...headers.values()]);
    try {
      verifyJustification(justification, this.set, commit.target);
    } catch (err) {
      if (!missing || !(err instanceof GrandpaError)) throw err;
      this.keepPending(commit);
      return;
    }
    // A commit that conflicts with our finality cannot come from an honest 2/3: never follow it.
    if (!chain.isDescendant(this.finalized.hash, commit.target.hash)) return;
    out.push({
      type: "finalized",
      block: commit.target,
      setId: this.set.setId,
      round: commit.round,
      justification,
      encoded: GrandpaJustification.enc(justification),
    });
    this.advanceFinalized(commit.target, now, out);
    // The precommits are votes of their round: with them the round can complete here too.
    for (const v of commit.precommits) {
      try {
        this.acceptVote(v, now, out);
      } catch {
        // Checked above; nothing to do for a set that changed meanwhile.
      }
    }
  }

  private keepPending(commit: CommitMessage): void {
    if (!this.pendingCommit || commit.target.number > this.pendingCommit.target.number) this.pendingCommit = commit;
  }

  /** Finalizes the highest g(precommits) above the last finalized block among kept rounds. */
  private tryFinalize(now: number, out: VoterOutput[]): boolean {
    const { chain } = this.modules;
    let best: { round: Round; block: BlockId } | undefined;
    for (const round of this.rounds.values()) {
      if (round.precommits.size === 0) continue;
      const g = ghost(buildVoteGraph(chain, this.finalized, round.precommits), this.voters);
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
        for (let i = 0; i < path.length; i++) ancestryHeaders.set(toHex(path[i]!), headers[i]!);
      }
    }
    if (this.voters.weightOf(counted) < this.voters.threshold) return false;
    const justification = buildJustification(round.number, block, included, [...ancestryHeaders.values()]);
    out.push({
      type: "finalized",
      block,
      setId: this.set.setId,
      round: round.number,
      justification,
      encoded: GrandpaJustification.enc(justification),
    });
    if (this.isVoter()) out.push({ type: "commit", commit: commitOf(this.set.setId, justification) });
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
    this.voters = new VoterSet(this.set);
    this.rounds.clear();
    this.ownEarlierVotes = [];
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
