/**
 * What other pallets learn of a job's outcome, as FRAME pallets learn of staking's through
 * `EventListeners`: the job manager calls these, and never imports the listeners. The PoUW pallet
 * settles its held ticket rewards from them, and tells the audits which leaves a trainer ticketed
 * (`TicketedLeaves`), so that those are audited and an opening that contradicts one fails.
 *
 * Listeners run inside the job manager's own writes (a call, or a deadline's storage transaction):
 * they must not fail for want of funds, and whatever they write rolls back with the job manager's.
 */
import type { Ext } from "../../frame/ext.js";
import type { AuditVerdictName, JobValue } from "./types.js";

export interface JobOutcomeListener {
  /**
   * A trainer's audit verdict changed to `verdict` (`Passed`, `Failed` or `Unverifiable`). `Passed`
   * may still be followed by `Failed` (a challenge); `Failed` is final.
   */
  auditConcluded(ext: Ext, jobId: bigint, worker: Uint8Array, verdict: AuditVerdictName): void;
  /** The job reached a final status (`isFinal`); `job` is its final value. */
  jobEnded(ext: Ext, jobId: bigint, job: JobValue): void;
}

const listeners: JobOutcomeListener[] = [];

/** Registers `listener` (once; registering it again does nothing). */
export function addJobOutcomeListener(listener: JobOutcomeListener): void {
  if (!listeners.includes(listener)) listeners.push(listener);
}

export function notifyAuditConcluded(ext: Ext, jobId: bigint, worker: Uint8Array, verdict: AuditVerdictName): void {
  for (const l of listeners) l.auditConcluded(ext, jobId, worker, verdict);
}

export function notifyJobEnded(ext: Ext, jobId: bigint, job: JobValue): void {
  for (const l of listeners) l.jobEnded(ext, jobId, job);
}

/** A leaf a trainer put a PoUW ticket on: the ticket commits to `leaf_hash`, the work-root leaf node there. */
export interface TicketedLeaf {
  leaf: number;
  leafHash: Uint8Array;
}

/** Where the audits learn a trainer's ticketed leaves (the PoUW pallet); none without one. */
export interface TicketedLeaves {
  ticketedLeaves(ext: Ext, jobId: bigint, worker: Uint8Array): TicketedLeaf[];
}

let ticketSource: TicketedLeaves | undefined;

export function setTicketedLeaves(source: TicketedLeaves): void {
  ticketSource = source;
}

/** `worker`'s ticketed leaves in job `jobId`, by leaf. */
export function ticketedLeavesOf(ext: Ext, jobId: bigint, worker: Uint8Array): TicketedLeaf[] {
  return ticketSource?.ticketedLeaves(ext, jobId, worker) ?? [];
}
