/** The voter's own votes, stored before they are sent so that a restarted voter never contradicts itself. */
import type { SignedVote } from "./messages.js";

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
