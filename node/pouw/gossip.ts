/**
 * PoUW tickets on gossip (`topicName(genesis, "pouw")`, DESIGN §5): one message per ticket, its SCALE
 * `PouwTicket` encoding (172 bytes), published by the trainer that made it and relayed by every node
 * that finds it valid, so that whoever authors the next block knows it.
 *
 * A message is judged against the node's best block with the runtime's own rules (`validateTicket`):
 * valid and new, it joins the pool and is relayed ("accept"); bytes that are not a ticket are
 * "reject" (the peer is scored down); a ticket that fails a state rule here is "ignore", not
 * "reject": the sender may be on another fork or in another epoch, which is no fault of its own.
 */
import {
  POUW_TICKET_BYTES,
  PouwError,
  PouwTicket,
  type PouwTicketValue,
  type TicketContext,
  validateTicket,
} from "../../primitives/pouw.js";
import type { TicketPool } from "./ticketPool.js";

export const POUW_TOPIC = "pouw";

export type GossipVerdict = "accept" | "ignore" | "reject";

export function encodeTicketMessage(ticket: PouwTicketValue): Uint8Array {
  return PouwTicket.enc(ticket);
}

/** The ticket a message carries, or undefined when it is not exactly one encoded `PouwTicket`. */
export function decodeTicketMessage(data: Uint8Array): PouwTicketValue | undefined {
  if (data.length !== POUW_TICKET_BYTES) return undefined;
  try {
    return PouwTicket.dec(data);
  } catch {
    return undefined;
  }
}

/**
 * The fate of a gossiped ticket, checked against `ctx` (the best block's ticket context; undefined
 * while the node cannot build one, e.g. before the runtime has the pallet): a valid new ticket is
 * added to `pool`.
 */
export function judgeTicketMessage(data: Uint8Array, ctx: TicketContext | undefined, pool: TicketPool): GossipVerdict {
  const ticket = decodeTicketMessage(data);
  if (ticket === undefined) return "reject";
  if (pool.has(ticket) || ctx === undefined) return "ignore";
  try {
    validateTicket(ticket, ctx);
  } catch (e) {
    if (e instanceof PouwError) return "ignore";
    throw e;
  }
  return pool.add(ticket) ? "accept" : "ignore";
}
