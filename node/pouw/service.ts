/**
 * The node's PoUW service (DESIGN §5): the ticket pool, the `pouw` gossip topic, and what block authoring
 * and import ask of tickets.
 *
 * - Tickets arrive from this node's trainer (`offer`) and from gossip; each is judged against the best
 *   block's state before it joins the pool and is relayed.
 * - A block author asks for its `pouw` digest (`digestFor`): the pool's tickets valid on top of the
 *   parent, best first, at most the runtime's `MaxTicketsPerBlock`.
 * - Every imported block's tickets leave the pool: they are on chain now.
 *
 * Chain state is read through `PouwChain` (the runtime's ticket rules at a block), so the pool, gossip
 * and the runtime apply one rule.
 */
import { defaultSignatureChecker } from "../../primitives/crypto/index.js";
import type { Logger } from "../../primitives/logger.js";
import { findPouwTickets, type PouwTicketValue, pouwDigestItem, type TicketContext } from "../../primitives/pouw.js";
import type { Trie } from "../../primitives/trie/index.js";
import type { DigestItemValue, HeaderValue } from "../../primitives/types.js";
import { Ext } from "../../runtime/index.js";
import { POUW, param } from "../../runtime/pallets/parameters/index.js";
import { trieBackend } from "../chain/runtimeView.js";
import { encodeTicketMessage, type GossipVerdict, judgeTicketMessage } from "./gossip.js";
import { TicketPool } from "./ticketPool.js";

/** What the service reads of a block's state: the runtime's ticket rules for a child of that block. */
export interface PouwChainState {
  /** The rules a ticket in a child block must pass; undefined when the runtime keeps no tickets. */
  ticketContext(): TicketContext | undefined;
  /** `MaxTicketsPerBlock` for a child block. */
  maxTicketsPerBlock(): number;
}

/** The `pouw` gossip topic, when the node runs a network. */
export interface PouwGossip {
  publish(data: Uint8Array): Promise<number>;
  join(judge: (data: Uint8Array) => GossipVerdict): void;
  leave(): void;
}

export interface PouwServiceModules {
  /** The state of the node's best block now. */
  best(): PouwChainState;
  gossip?: PouwGossip;
  logger: Logger;
}

export class PouwService {
  readonly pool: TicketPool;

  constructor(
    private readonly modules: PouwServiceModules,
    pool = new TicketPool(),
  ) {
    this.pool = pool;
  }

  start(): void {
    this.modules.gossip?.join((data) => judgeTicketMessage(data, this.bestContext(), this.pool));
  }

  stop(): void {
    this.modules.gossip?.leave();
  }

  /** This node's own tickets (its trainer's): into the pool, and out on gossip. */
  offer(tickets: readonly PouwTicketValue[]): void {
    for (const t of tickets) {
      if (!this.pool.add(t)) continue;
      this.modules.gossip?.publish(encodeTicketMessage(t)).catch((err: unknown) => {
        this.modules.logger.debug("Publishing a ticket failed", { reason: (err as Error).message });
      });
    }
  }

  /** The `pouw` digest item for a block built on `parent`, or undefined when no ticket is valid there. */
  digestFor(parent: PouwChainState): DigestItemValue | undefined {
    if (this.pool.size === 0) return undefined;
    const ctx = parent.ticketContext();
    if (ctx === undefined) return undefined;
    const dropped = new Map<string, number>();
    const tickets = this.pool.pick(ctx, parent.maxTicketsPerBlock(), (code) =>
      dropped.set(code, (dropped.get(code) ?? 0) + 1),
    );
    // Tickets leave the pool when they can no longer enter a block (on chain already, the job over, an
    // older epoch's): worth a line when it happens, since a trainer's work stops counting.
    if (dropped.size > 0) this.modules.logger.info("PoUW tickets dropped", Object.fromEntries(dropped));
    return tickets.length > 0 ? pouwDigestItem(tickets) : undefined;
  }

  /** An imported block's tickets are on chain: they leave the pool. */
  onImported(header: HeaderValue): void {
    if (this.pool.size === 0) return;
    this.pool.removeAll(ticketsOf(header));
  }

  private bestContext(): TicketContext | undefined {
    try {
      return this.modules.best().ticketContext();
    } catch (err) {
      this.modules.logger.debug("No ticket context at the best block", { reason: (err as Error).message });
      return undefined;
    }
  }
}

/** The tickets of an imported header's `pouw` digest (none when it has none or cannot be read). */
export function ticketsOf(header: HeaderValue): PouwTicketValue[] {
  try {
    return findPouwTickets(header);
  } catch {
    return [];
  }
}

/** `pouw.ticket_weight` in a block's post-state: fork choice weighs that block's tickets with it. */
export function ticketWeightIn(state: Trie): bigint {
  return BigInt(param(new Ext(trieBackend(state), defaultSignatureChecker), POUW.ticket_weight));
}
