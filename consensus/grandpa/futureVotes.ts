/**
 * Votes for rounds ahead of the voter's current one, bounded per authority.
 *
 * A voter keeps others' votes for future rounds for two reasons: the next round's votes often arrive
 * before it has completed its own round, and a voter that fell behind joins a later round as soon as
 * a supermajority has voted there (`catchUpRound`), without asking peers. A bound on future rounds
 * taken over all authorities lets one authority that signs votes for many distant rounds push out
 * the honest votes; a fixed window of rounds makes a voter that fell further behind than the window
 * wait for catch-up. So the bound is per authority: each authority's votes occupy at most
 * `nearest + highest` future rounds, its `nearest` lowest ones (the next rounds, where an honest
 * authority a little ahead votes) and its `highest` ones (where it votes now: the round a lagging
 * voter has to jump to). A vote for another round evicts that authority's own votes from the round
 * between the two groups, or is dropped when it is that round itself: a flooding authority fills only
 * its own quota and never evicts another's votes.
 *
 * Memory: with N authorities, at most N·(nearest + highest) future rounds, holding at most 4 votes
 * (2 per phase, see `Round.record`) of each authority in each of its rounds. An authority whose votes
 * are evicted from a round can vote there again unnoticed as an equivocator; that only concerns
 * rounds this voter has not reached.
 */
import type { Round } from "./round.js";

export interface FutureRoundLimits {
  /** Each authority's lowest future rounds kept (the next rounds). */
  nearest: number;
  /** Each authority's highest future rounds kept (where a lagging voter has to jump to). */
  highest: number;
}

const ascending = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** The rounds after `current` holding a vote of voter `idx`, lowest first. */
export function futureRoundsOf(rounds: Map<bigint, Round>, current: bigint, idx: number): bigint[] {
  const out: bigint[] = [];
  for (const [n, round] of rounds)
    if (n > current && (round.prevotes.has(idx) || round.precommits.has(idx))) out.push(n);
  return out.sort(ascending);
}

/**
 * Makes room for a vote of voter `idx` for round `round` (after `current`): true when the vote is to be
 * recorded, false when it is to be dropped. Making room removes `idx`'s votes from one of its other
 * future rounds (and that round once it holds no votes); no other voter's votes are touched.
 */
export function admitFutureVote(
  rounds: Map<bigint, Round>,
  current: bigint,
  idx: number,
  round: bigint,
  limits: FutureRoundLimits,
): boolean {
  const held = futureRoundsOf(rounds, current, idx);
  if (held.includes(round)) return true;
  const all = [...held, round].sort(ascending);
  while (all.length > limits.nearest + limits.highest) {
    const [evicted] = all.splice(limits.nearest, 1);
    if (evicted === round) return false;
    dropVotesOf(rounds, evicted!, idx);
  }
  return true;
}

function dropVotesOf(rounds: Map<bigint, Round>, n: bigint, idx: number): void {
  const round = rounds.get(n);
  if (!round) return;
  round.prevotes.delete(idx);
  round.precommits.delete(idx);
  if (round.prevotes.size === 0 && round.precommits.size === 0) rounds.delete(n);
}
