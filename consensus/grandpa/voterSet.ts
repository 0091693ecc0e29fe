import { toHex } from "../../primitives/hex.js";
import { type AuthoritySet, supermajority, totalVoteWeight } from "./messages.js";

/**
 * An authority set indexed for tallying: each voter is its index in the set (the first one, for a key
 * listed twice), and a set of voters weighs the sum of their weights.
 */
export class VoterSet {
  readonly total: bigint;
  /** The supermajority of `total`: what a block needs to be g(S), and a round to be joined by catch-up. */
  readonly threshold: bigint;
  private readonly indexById = new Map<string, number>();
  private readonly weights: bigint[];

  constructor(set: AuthoritySet) {
    this.weights = set.authorities.map((a) => a.weight);
    set.authorities.forEach((a, i) => {
      if (!this.indexById.has(toHex(a.id))) this.indexById.set(toHex(a.id), i);
    });
    this.total = totalVoteWeight(set);
    this.threshold = supermajority(this.total);
  }

  /** The index of the voter with public key `id`, or undefined when it is not in the set. */
  indexOf(id: Uint8Array): number | undefined {
    return this.indexById.get(toHex(id));
  }

  weightOf(voters: Iterable<number>): bigint {
    let w = 0n;
    for (const i of voters) w += this.weights[i]!;
    return w;
  }
}
