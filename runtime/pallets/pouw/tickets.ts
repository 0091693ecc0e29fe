/**
 * Tickets in blocks: the `TicketContext` the ticket rules read chain state through, the per-block hook
 * that checks and records the tickets of the block's `pouw` pre-runtime digest, and the epoch retarget.
 */

import { bytesEqual } from "../../../primitives/hex.js";
import {
  findPouwTickets,
  type PouwTicketValue,
  type TicketContext,
  validateTickets,
} from "../../../primitives/pouw.js";
import { leafCount } from "../../../primitives/workRoot.js";
import { addWeight, weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { EPOCH_DURATION, epochRandomnessFor } from "../babe.js";
import { mint, mintReserved } from "../balances.js";
import { assignmentOf, type JobValue, jobOf, MAX_SEGMENTS, setTicketedLeaves } from "../jobManager/index.js";
import { POUW, param } from "../parameters/index.js";
import { findAuthor } from "../session.js";
import { accountExists, System } from "../system.js";
import { nextTarget } from "./difficulty.js";
import { difficulty, MAX_STORED_TARGET, PoUW, targetToBytes, VRF_VERIFY_WEIGHT, w, workKeyOf } from "./pallet.js";

const S = PoUW.storage;

/**
 * Whether a job in `status` takes tickets: while it trains, and while its trainers reveal (a ticket
 * gossiped during training may reach a block only after the commit deadline; the work root is still
 * unrevealed then, so the ticket's leaf hash stays blind).
 */
export function takesTickets(job: JobValue): boolean {
  return job.status.tag === "Training" || job.status.tag === "RevealingResults";
}

/**
 * The most leaves a trainer of `job` can reach: ⌈steps / checkpoint_interval⌉ for a job of
 * `Steps(n)`. A job of `Epochs(e)` does not fix its steps on chain (they depend on the data set's
 * size), so its bound is `MaxSegments`, the most a revealed work root may have.
 */
export function jobLeafCount(job: JobValue): number {
  const { length, checkpoint_interval } = job.spec;
  return length.tag === "Steps" ? leafCount(length.value, checkpoint_interval) : MAX_SEGMENTS;
}

/**
 * The state the ticket rules (`validateTickets` in primitives/pouw.ts) read, for a ticket in block
 * `blockNumber`, read from `ext`. The runtime passes the block's own state after BABE's epoch change;
 * the node's gossip validator passes its best block's state and the number of the block it would
 * author next: `epochRandomnessFor` picks the same epoch randomness either way. A trainer counts as
 * assigned while it is in the job and still holds its job stake (one slashed for a missed submission
 * has none, and earns no more tickets).
 */
export function ticketContext(ext: Ext, blockNumber: number): TicketContext {
  return {
    randomness: epochRandomnessFor(ext, blockNumber),
    target: difficulty(ext),
    job(jobId) {
      const job = jobOf(ext, jobId);
      return job && { training: takesTickets(job), leafCount: jobLeafCount(job) };
    },
    isAssigned(jobId, worker) {
      const job = jobOf(ext, jobId);
      if (!job?.workers.some((who) => bytesEqual(who, worker))) return false;
      return (assignmentOf(ext, jobId, worker)?.stake ?? 0n) > 0n;
    },
    workKey: (worker) => workKeyOf(ext, worker),
    hasTicket: (jobId, worker, leaf) => S.Tickets.contains(ext, [jobId, [worker, leaf]]),
    // A job holds at most this many tickets per trainer, so counting its entries stays cheap.
    ticketCount: (jobId, worker) => S.Tickets.entriesOf(ext, jobId).filter(([[who]]) => bytesEqual(who, worker)).length,
    maxTicketsPerWorker: param(ext, POUW.max_tickets_per_worker),
  };
}

/**
 * The tickets of the block's `pouw` digest, checked. Throws a `PouwError` (the block is invalid) for
 * a malformed digest, more than `pouw.max_tickets_per_block`, a duplicate, or any invalid ticket.
 */
export function blockTickets(ext: Ext, blockNumber: number): PouwTicketValue[] {
  const max = param(ext, POUW.max_tickets_per_block);
  const tickets = findPouwTickets({ digest: System.storage.Digest.getOrDefault(ext) }, max);
  if (tickets.length > 0) validateTickets(tickets, ticketContext(ext, blockNumber), max);
  return tickets;
}

/**
 * Records valid tickets and their rewards (infallible: the tickets were checked, and each worker holds
 * a job stake, so its account exists; the reward is minted into its reserved balance, which a frozen
 * free balance cannot refuse). Ticket rewards and inclusion fees are minted, as staking rewards
 * are: a reward is reserved on the trainer until its audit passes, and burned if it never does
 * (`rewards.ts`), so only rewards of audited work stay in the issuance.
 */
function acceptTickets(ext: Ext, n: number, tickets: PouwTicketValue[]): void {
  const ticketWeight = param(ext, POUW.ticket_weight);
  const reward = param(ext, POUW.ticket_reward);
  for (const t of tickets) {
    S.Tickets.insert(ext, [t.job_id, [t.worker, t.leaf]], { block: n, leaf_hash: t.leaf_hash });
    PoUW.deposit(ext, {
      tag: "TicketAccepted",
      value: { job_id: t.job_id, worker: t.worker, leaf: t.leaf, weight: ticketWeight },
    });
    if (reward === 0n) continue;
    mintReserved(ext, t.worker, reward);
    S.HeldRewards.insert(ext, [t.job_id, t.worker], (S.HeldRewards.get(ext, [t.job_id, t.worker]) ?? 0n) + reward);
    PoUW.deposit(ext, { tag: "TicketRewardHeld", value: { job_id: t.job_id, worker: t.worker, amount: reward } });
  }
  S.EpochTickets.put(ext, S.EpochTickets.getOrDefault(ext) + tickets.length);
  // The author's reason to include tickets; a block without a known author pays none.
  const fee = param(ext, POUW.ticket_inclusion_fee) * BigInt(tickets.length);
  const author = findAuthor(ext);
  if (fee > 0n && author && accountExists(ext, author)) {
    mint(ext, author, fee);
    PoUW.deposit(ext, { tag: "InclusionFeePaid", value: { author, tickets: tickets.length, amount: fee } });
  }
}

/**
 * Blocks in the epoch that block `n` ends: every block number of the epoch, since numbers are
 * contiguous; epoch 0 starts at block 1 (genesis executes nothing). So no per-block counter is kept.
 */
export function blocksInEpochEndingAt(n: number): number {
  return n + 1 === EPOCH_DURATION ? EPOCH_DURATION - 1 : EPOCH_DURATION;
}

/** At the end of an epoch's last block `n`: the next epoch's target from this epoch's tickets. */
function retarget(ext: Ext, n: number): void {
  const tickets = S.EpochTickets.getOrDefault(ext);
  const blocks = blocksInEpochEndingAt(n);
  const old = difficulty(ext);
  let next = nextTarget({
    target: old,
    tickets: BigInt(tickets),
    blocks: BigInt(blocks),
    targetTicketsPerBlock: BigInt(param(ext, POUW.target_tickets_per_block)),
  });
  // 2^256 (every score) does not fit the 32 bytes: all but the all-ones score is as close as it gets.
  if (next > MAX_STORED_TARGET) next = MAX_STORED_TARGET;
  if (tickets > 0) S.EpochTickets.kill(ext);
  if (next === old) return;
  S.Difficulty.put(ext, targetToBytes(next));
  PoUW.deposit(ext, {
    tag: "DifficultyAdjusted",
    value: { tickets, blocks, old: targetToBytes(old), new: targetToBytes(next) },
  });
}

// The audits hold each trainer to its tickets (jobManager/audit.ts).
setTicketedLeaves({
  ticketedLeaves: (ext, jobId, worker) =>
    S.Tickets.entriesOf(ext, jobId)
      .filter(([[who]]) => bytesEqual(who, worker))
      .map(([[, leaf], r]) => ({ leaf, leafHash: r.leaf_hash }))
      .sort((a, b) => a.leaf - b.leaf),
});

PoUW.defineHooks({
  onInitialize(ext, n) {
    // Checked against the parent's job state: PoUW's hook runs before the job manager's deadlines.
    const tickets = blockTickets(ext, n);
    // No errors after this point.
    if (tickets.length === 0) return w(2n, 0n);
    acceptTickets(ext, n, tickets);
    const count = BigInt(tickets.length);
    return addWeight(w(4n + 8n * count, 2n + 5n * count), weight(VRF_VERIFY_WEIGHT * count));
  },
  onFinalize(ext, n) {
    if ((n + 1) % EPOCH_DURATION === 0) retarget(ext, n);
  },
});
