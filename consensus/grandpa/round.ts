/**
 * One voting round: the votes received per voter and phase (at most two per voter: a second, different
 * one is an equivocation), this voter's own votes, and its timing. `view` tallies it: g(prevotes), the
 * round estimate and whether the round is completable.
 */
import { toHex } from "../../primitives/hex.js";
import { type BlockId, type SignedVote, sameTarget, type VoteKind } from "./messages.js";
import { buildVoteGraph, ghost, type VoteGraph } from "./voteGraph.js";
import type { VoterChain } from "./voterChain.js";
import type { VoterSet } from "./voterSet.js";
import type { SavedVotes } from "./voteStore.js";

/** A round tallied against the last finalized block. */
export interface RoundView {
  prevotes: VoteGraph;
  precommits: VoteGraph;
  prevoteGhost: BlockId | undefined;
  estimate: BlockId | undefined;
  completable: boolean;
}

export class Round {
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

  /**
   * Records a vote of voter `idx`. Returns the voter's first vote of that phase when this one equivocates
   * with it; a repeated target, or a third vote, is dropped.
   */
  record(idx: number, vote: SignedVote): SignedVote | undefined {
    const map = this.votes(vote.kind);
    const existing = map.get(idx);
    if (!existing) {
      map.set(idx, [vote]);
      return undefined;
    }
    if (existing.some((v) => sameTarget(v.target, vote.target))) return undefined;
    if (existing.length >= 2) return undefined;
    existing.push(vote);
    return existing[0]!;
  }

  /** Tallies the round above `finalized`. */
  view(chain: VoterChain, finalized: BlockId, voters: VoterSet): RoundView {
    const prevotes = buildVoteGraph(chain, finalized, this.prevotes);
    const precommits = buildVoteGraph(chain, finalized, this.precommits);
    const prevoteGhost = ghost(prevotes, voters);
    if (!prevoteGhost) return { prevotes, precommits, prevoteGhost, estimate: undefined, completable: false };
    const remaining = voters.total - voters.weightOf(precommits.voted);
    const possible = (key: string) => {
      const n = precommits.nodes.get(key);
      return (n ? voters.weightOf(n.voters) : 0n) + remaining >= voters.threshold;
    };
    // Walk from g(prevotes) down to the base until a block can still reach a supermajority.
    const path = chain.ancestry(finalized.hash, prevoteGhost.hash) ?? [];
    let estimate: BlockId = finalized;
    for (let i = 0; i < path.length; i++) {
      if (possible(toHex(path[i]!))) {
        estimate = { hash: path[i]!, number: prevoteGhost.number - i };
        break;
      }
    }
    let completable: boolean;
    if (estimate.number < prevoteGhost.number) {
      completable = true;
    } else {
      const g = precommits.nodes.get(toHex(prevoteGhost.hash));
      completable = remaining < voters.threshold && [...(g?.children ?? [])].every((k) => !possible(k));
    }
    return { prevotes, precommits, prevoteGhost, estimate, completable };
  }
}
