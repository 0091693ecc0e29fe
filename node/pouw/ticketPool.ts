/**
 * PoUW tickets that are not on chain yet (DESIGN §5): heard on the `pouw` gossip topic or made by this
 * node's trainer, kept until a block author puts them in its `pouw` digest.
 *
 * The pool holds tickets by (job, worker, leaf), at most `maxTickets` (a full pool refuses new ones:
 * the tickets it holds are as good as any newcomer until they are checked again). A ticket's validity
 * depends on chain state (the job still training, the leaf not yet ticketed, the epoch's randomness and
 * target), so the pool never trusts an earlier check: `pick` checks again, against the state the block
 * is built on, exactly as the runtime will (`validateTicket`), and drops whatever no longer passes.
 */
import {
  PouwError,
  type PouwTicketValue,
  selectTickets,
  type TicketContext,
  ticketKey,
  validateTicket,
  workerJobKey,
} from "../../primitives/pouw.js";

/** Tickets a pool keeps by default: far more than blocks take while a few jobs train. */
export const DEFAULT_MAX_POOL_TICKETS = 4096;

export class TicketPool {
  private readonly tickets = new Map<string, PouwTicketValue>();

  constructor(private readonly maxTickets = DEFAULT_MAX_POOL_TICKETS) {}

  get size(): number {
    return this.tickets.size;
  }

  has(ticket: PouwTicketValue): boolean {
    return this.tickets.has(ticketKey(ticket));
  }

  /** Adds a ticket; false when the pool holds it already or is full. */
  add(ticket: PouwTicketValue): boolean {
    const key = ticketKey(ticket);
    if (this.tickets.has(key) || this.tickets.size >= this.maxTickets) return false;
    this.tickets.set(key, ticket);
    return true;
  }

  /** Every ticket held (the RPC's pending list). */
  all(): PouwTicketValue[] {
    return [...this.tickets.values()];
  }

  /**
   * At most `max` tickets valid on top of `ctx`, best (lowest score) first: the candidates are ranked
   * by score (a hash each), then checked in that order until `max` pass, so a block costs at most
   * `max` VRF verifications plus one per ticket found invalid. Invalid tickets leave the pool.
   */
  pick(ctx: TicketContext, max: number, onDrop?: (code: string) => void): PouwTicketValue[] {
    if (max <= 0 || this.tickets.size === 0) return [];
    const picked: PouwTicketValue[] = [];
    const perWorker = new Map<string, number>();
    for (const ticket of selectTickets(ctx.randomness, [...this.tickets.values()], this.tickets.size)) {
      if (picked.length >= max) break;
      const who = workerJobKey(ticket);
      try {
        validateTicket(ticket, ctx, perWorker.get(who) ?? 0);
        picked.push(ticket);
        perWorker.set(who, (perWorker.get(who) ?? 0) + 1);
      } catch (e) {
        if (!(e instanceof PouwError)) throw e;
        this.tickets.delete(ticketKey(ticket));
        onDrop?.(e.type.code);
      }
    }
    return picked;
  }

  /** Drops the tickets a block carried (they are on chain now). */
  removeAll(tickets: readonly PouwTicketValue[]): void {
    for (const t of tickets) this.tickets.delete(ticketKey(t));
  }
}
