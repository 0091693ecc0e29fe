/**
 * Held ticket rewards, settled from the job manager's outcomes (`JobOutcomeListener`): a trainer's
 * held rewards are released to it when its audit passes, and burned when its audit fails or the job
 * ends without a passing audit (an unverifiable result, a missed submission or reveal, a job that
 * failed before its audits). They were minted when the tickets were accepted, so burning them undoes
 * the mint: only rewards of audited work stay in the total issuance. Every path ends with nothing
 * held, since every job ends.
 */
import type { Ext } from "../../frame/ext.js";
import { slashReserved, unreserve } from "../balances.js";
import { addJobOutcomeListener } from "../jobManager/index.js";
import { PoUW } from "./pallet.js";

const S = PoUW.storage;

/** Releases `worker`'s held rewards of job `jobId` to it. */
function payHeld(ext: Ext, jobId: bigint, worker: Uint8Array): void {
  const amount = S.HeldRewards.get(ext, [jobId, worker]);
  if (amount === undefined) return;
  S.HeldRewards.remove(ext, [jobId, worker]);
  unreserve(ext, worker, amount);
  PoUW.deposit(ext, { tag: "TicketRewardPaid", value: { job_id: jobId, worker, amount } });
}

/** Burns `worker`'s held rewards of job `jobId`. */
function burnHeld(ext: Ext, jobId: bigint, worker: Uint8Array, amount: bigint): void {
  S.HeldRewards.remove(ext, [jobId, worker]);
  const burned = slashReserved(ext, worker, amount);
  PoUW.deposit(ext, { tag: "TicketRewardSlashed", value: { job_id: jobId, worker, amount: burned } });
}

addJobOutcomeListener({
  auditConcluded(ext, jobId, worker, verdict) {
    if (verdict === "Passed") payHeld(ext, jobId, worker);
    else if (verdict === "Failed") {
      const amount = S.HeldRewards.get(ext, [jobId, worker]);
      if (amount !== undefined) burnHeld(ext, jobId, worker, amount);
    }
    // `Unverifiable`: no PoUW credit unless a later verdict passes; the job's end burns what is left.
  },
  jobEnded(ext, jobId) {
    for (const [worker, amount] of S.HeldRewards.entriesOf(ext, jobId)) burnHeld(ext, jobId, worker, amount);
  },
});
