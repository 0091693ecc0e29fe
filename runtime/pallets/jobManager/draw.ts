/** The job manager's draws from chain randomness, weighted by stake: evaluators, verifiers. */
import { blake2_256, concat } from "../../../primitives/hashing.js";
import { T } from "../../../primitives/scale/types.js";
import type { Ext } from "../../frame/ext.js";
import { randomnessForSubject } from "../babe.js";

const EVALUATOR_DRAW_SUBJECT = new TextEncoder().encode("tensorchain/jobManager/evaluators");

/**
 * Draws `k` distinct candidates (at most all of them) without replacement, each draw weighted by stake:
 * draw `i` picks the candidate at `u128_le(blake2_256(seed ++ u32_le(i))[0..16]) mod remaining_total`
 * in the cumulative stakes of the remaining candidates, in the given order.
 */
export function drawWeighted<C extends { stake: bigint }>(candidates: C[], k: number, seed: Uint8Array): C[] {
  const left = candidates.filter((c) => c.stake > 0n);
  let total = left.reduce((s, c) => s + c.stake, 0n);
  const out: C[] = [];
  for (let i = 0; i < k && left.length > 0; i++) {
    const h = blake2_256(concat(seed, T.u32.enc(i)));
    let r = 0n;
    for (let j = 15; j >= 0; j--) r = (r << 8n) | BigInt(h[j]);
    r %= total;
    let at = 0;
    while (r >= left[at].stake) r -= left[at++].stake;
    const [chosen] = left.splice(at, 1);
    total -= chosen.stake;
    out.push(chosen);
  }
  return out;
}

/** The evaluator-draw seed of a job: chain randomness for `subject ++ u64_le(job_id)`. */
export function evaluatorSeed(ext: Ext, jobId: bigint): Uint8Array {
  return randomnessForSubject(ext, concat(EVALUATOR_DRAW_SUBJECT, T.u64.enc(jobId)));
}
