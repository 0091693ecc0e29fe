/**
 * Agreement between revealed outputs: integers only, deterministic, independent of anything but the
 * outputs (in draw order), the profile, the tolerance and the quorum.
 *
 * - `CpuExact`: groups of identical output hashes.
 * - `Gpu`: for each output `i` (a center), the set of outputs whose fingerprint lies within L2
 *   `tolerance` of `i`'s (`d² ≤ tolerance²`, exact in bigint; `i` itself included), as Rakis clusters
 *   embeddings. Fingerprints of different lengths are never within tolerance.
 *
 * The largest group wins if it has at least `quorum` members and no other group of the same size has
 * other members (a tie between different sets decides nothing: nobody is slashed on a coin flip). The
 * agreed output is that of the group's representative: the first member in draw order (`CpuExact`),
 * the first center with the winning set (`Gpu`).
 */
import { bytesEqual } from "../../../primitives/hex.js";
import { withinTolerance } from "../../../primitives/inference.js";
import type { InferenceProfileValue, RevealedOutputValue } from "./types.js";

export interface Agreement {
  /** Indices into the outputs, ascending. */
  members: number[];
  /** The index whose output is recorded as the agreed one. */
  representative: number;
}

/** The candidate groups: for each output, the (ascending) indices it agrees with, itself included. */
function groups(profile: InferenceProfileValue, tolerance: bigint, outputs: RevealedOutputValue[]): number[][] {
  return outputs.map((center) =>
    outputs.flatMap((o, j) =>
      (
        profile.tag === "CpuExact"
          ? bytesEqual(o.output_hash, center.output_hash)
          : withinTolerance(o.fingerprint, center.fingerprint, tolerance)
      )
        ? [j]
        : [],
    ),
  );
}

const sameSet = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The winning group of `outputs` (see the module docs), or `undefined` without a quorum. */
export function agreement(
  profile: InferenceProfileValue,
  tolerance: bigint,
  outputs: RevealedOutputValue[],
  quorum: number,
): Agreement | undefined {
  const all = groups(profile, tolerance, outputs);
  let best = -1;
  for (let i = 0; i < all.length; i++) if (best < 0 || all[i].length > all[best].length) best = i;
  if (best < 0 || all[best].length < quorum) return undefined;
  const tied = all.some((g) => g.length === all[best].length && !sameSet(g, all[best]));
  if (tied) return undefined;
  // `best` is the first center with the winning set; under CpuExact that is the set's first member.
  return { members: all[best], representative: best };
}
