/**
 * Catch-up: how a voter that fell behind rejoins. It answers peers with the votes it holds
 * (`votesSince`), and jumps to a later round once the distinct voters seen there, with itself, weigh
 * at least the threshold (`catchUpRound`).
 */
import type { SignedVote } from "./messages.js";
import type { Round } from "./round.js";
import type { VoterSet } from "./voterSet.js";

/** The votes held for rounds ≥ `from` (own and others'), oldest round first. */
export function votesSince(rounds: Map<bigint, Round>, from: bigint): SignedVote[] {
  const out: SignedVote[] = [];
  for (const [n, r] of [...rounds].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n < from) continue;
    for (const votes of [r.prevotes, r.precommits]) for (const vs of votes.values()) out.push(...vs);
  }
  return out;
}

/**
 * The latest kept round after `current` whose distinct voters, with this voter (index `own`, undefined
 * when it does not vote), reach the threshold; undefined when there is none.
 */
export function catchUpRound(
  rounds: Map<bigint, Round>,
  current: bigint,
  voters: VoterSet,
  own: number | undefined,
): bigint | undefined {
  const ownWeight = own !== undefined ? voters.weightOf([own]) : 0n;
  let target: bigint | undefined;
  for (const [n, round] of rounds) {
    if (n <= current) continue;
    const seen = new Set<number>([...round.prevotes.keys(), ...round.precommits.keys()]);
    const extra = own !== undefined && !seen.has(own) ? ownWeight : 0n;
    if (voters.weightOf(seen) + extra >= voters.threshold && (target === undefined || n > target)) target = n;
  }
  return target;
}
