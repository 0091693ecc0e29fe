/**
 * A trainer's tickets (DESIGN §5): for a checkpoint leaf of its run, a VRF with its `work` key over the
 * epoch randomness, the job, the leaf and the work-root leaf node; one whose score falls below the
 * difficulty target is a ticket worth gossiping. The leaf node commits to the state hash without
 * revealing it, so audits stay blind, and binds the ticket to the work root revealed later.
 */
import { isBelowTarget, leafNodeHash, makeTicket, type PouwTicketValue, signTicket } from "../../primitives/pouw.js";

export interface WorkKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Leaf `leaf` (state `stateHash`) of job `jobId`'s ticket for `worker`, or undefined when it does not beat `target`. */
export function makeLeafTicket(
  pair: WorkKeyPair,
  worker: Uint8Array,
  jobId: bigint,
  leaf: number,
  stateHash: Uint8Array,
  draw: { randomness: Uint8Array; target: bigint },
): PouwTicketValue | undefined {
  const claim = { randomness: draw.randomness, jobId, leaf, leafHash: leafNodeHash(leaf, stateHash) };
  const signed = signTicket(pair.secretKey, claim);
  return isBelowTarget(signed.score, draw.target) ? makeTicket(worker, claim, signed) : undefined;
}
