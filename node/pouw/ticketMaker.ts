/**
 * A trainer's tickets (DESIGN §5): for each checkpoint leaf of its run, a VRF with its `work` key over
 * the epoch randomness, the job, the leaf and the work-root leaf node; the ones whose score falls below
 * the difficulty target are tickets worth gossiping. The leaf node commits to the state hash without
 * revealing it, so audits stay blind, and binds the ticket to the work root revealed later.
 */
import { isBelowTarget, leafNodeHash, makeTicket, type PouwTicketValue, signTicket } from "../../primitives/pouw.js";

export interface WorkKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/**
 * The tickets below `target` among the leaves `stateHashes` (leaf i + 1 at index i) of job `jobId`,
 * signed by `worker` (whose `work` key is `pair`) against `randomness`.
 */
export function makeLeafTickets(
  pair: WorkKeyPair,
  worker: Uint8Array,
  jobId: bigint,
  stateHashes: readonly Uint8Array[],
  draw: { randomness: Uint8Array; target: bigint },
): PouwTicketValue[] {
  const tickets: PouwTicketValue[] = [];
  stateHashes.forEach((stateHash, i) => {
    const claim = { randomness: draw.randomness, jobId, leaf: i + 1, leafHash: leafNodeHash(i + 1, stateHash) };
    const signed = signTicket(pair.secretKey, claim);
    if (isBelowTarget(signed.score, draw.target)) tickets.push(makeTicket(worker, claim, signed));
  });
  return tickets;
}
