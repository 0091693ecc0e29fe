/**
 * A trainer's tickets as it trains (DESIGN §5): each checkpoint leaf, as soon as its state hash is
 * known, is signed with the `work` key against the epoch randomness of the best block; a ticket below
 * the target goes to the pool and out on gossip.
 *
 * A ticket is only valid in its epoch (the VRF input holds the randomness). So the leaves of each job
 * are kept while the job takes tickets, and at every new best block of a new epoch the leaves without
 * a ticket on chain are signed again against the new randomness. A job that no longer takes tickets
 * (it ended, or left training and revealing) is forgotten.
 */
import { toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { PouwTicketValue, TicketContext } from "../../primitives/pouw.js";
import { makeLeafTicket, type WorkKeyPair } from "./ticketMaker.js";

export interface TrainerTicketsModules {
  /** The trainer's `work` key pair, and its account (the worker). */
  pair: WorkKeyPair;
  worker: Uint8Array;
  /** The ticket rules at the best block (for a block built on it). */
  bestContext(): TicketContext;
  /** Where new tickets go: the pool and gossip. */
  offer(tickets: PouwTicketValue[]): void;
  logger: Logger;
}

interface JobLeaves {
  /** State hash by leaf index (1-based). */
  leaves: Map<number, Uint8Array>;
  /** The randomness the leaves were last signed against (hex). */
  randomness: string;
}

export class TrainerTickets {
  private readonly jobs = new Map<bigint, JobLeaves>();

  constructor(private readonly modules: TrainerTicketsModules) {}

  /** Jobs whose leaves are kept. */
  get jobCount(): number {
    return this.jobs.size;
  }

  /** Leaf `leaf` of job `jobId` reached state `stateHash`: its ticket, if it beats the target, is offered. */
  onLeaf(jobId: bigint, leaf: number, stateHash: Uint8Array): void {
    const ctx = this.modules.bestContext();
    let job = this.jobs.get(jobId);
    if (!job) {
      job = { leaves: new Map(), randomness: toHex(ctx.randomness) };
      this.jobs.set(jobId, job);
    }
    job.leaves.set(leaf, stateHash);
    // Signed against the randomness the job's other leaves were: a new epoch re-signs them all at once.
    if (job.randomness !== toHex(ctx.randomness)) return;
    const ticket = makeLeafTicket(this.modules.pair, this.modules.worker, jobId, leaf, stateHash, ctx);
    if (ticket) this.modules.offer([ticket]);
  }

  /** A new best block: forget jobs that take no more tickets, and re-sign leaves for a new epoch. */
  onBestBlock(): void {
    if (this.jobs.size === 0) return;
    const ctx = this.modules.bestContext();
    const randomness = toHex(ctx.randomness);
    for (const [jobId, job] of this.jobs) {
      if (!ctx.job(jobId)?.training) {
        this.jobs.delete(jobId);
        continue;
      }
      if (job.randomness === randomness) continue;
      job.randomness = randomness;
      const tickets: PouwTicketValue[] = [];
      for (const [leaf, stateHash] of job.leaves) {
        if (ctx.hasTicket(jobId, this.modules.worker, leaf)) continue;
        const ticket = makeLeafTicket(this.modules.pair, this.modules.worker, jobId, leaf, stateHash, ctx);
        if (ticket) tickets.push(ticket);
      }
      if (tickets.length > 0) this.modules.offer(tickets);
      this.modules.logger.debug("PoUW tickets signed for a new epoch", {
        job: jobId.toString(),
        leaves: job.leaves.size,
        tickets: tickets.length,
      });
    }
  }
}
