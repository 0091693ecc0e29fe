/**
 * The inference pallet's phase logic: the deadline queue, moving the client's escrow, slashes, the
 * transitions at deadlines (`on_initialize`) and the settlement from the revealed outputs. Everything
 * here is infallible once a call's checks have passed: payees exist, amounts come from what is held.
 */
import { bytesEqual } from "../../../primitives/hex.js";
import { TREASURY_ACCOUNT } from "../../constants.js";
import { addWeight, DispatchError, weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { repatriateReserved, unreserve } from "../balances.js";
import { INFERENCE, param } from "../parameters/index.js";
import { findAuthor } from "../session.js";
import { accountExists } from "../system.js";
import { noteJobEnded, PPM, type SlashReasonName, slashRegistrationStake } from "../workerRegistry.js";
import { agreement } from "./cluster.js";
import {
  INFERENCE_REPUTATION_PENALTY,
  INFERENCE_REPUTATION_REWARD,
  Inference,
  MAX_DEADLINES_PER_BLOCK,
  now,
  SETTLE_WEIGHT,
  w,
} from "./pallet.js";
import type { RequestStatusValue, RequestValue, RevealedOutputValue } from "./types.js";

const S = Inference.storage;

// ---- Deadlines ----

/** Queues `id` at block `at` or, if that block is full, the first later block with room. */
export function schedule(ext: Ext, id: bigint, at: number): number {
  for (let b = at; ; b++) {
    const queue = S.DeadlineQueue.getOrDefault(ext, b);
    if (queue.length >= MAX_DEADLINES_PER_BLOCK) continue;
    queue.push(id);
    S.DeadlineQueue.insert(ext, b, queue);
    return b;
  }
}

function unschedule(ext: Ext, id: bigint, at: number): void {
  const queue = S.DeadlineQueue.getOrDefault(ext, at).filter((x) => x !== id);
  if (queue.length === 0) S.DeadlineQueue.remove(ext, at);
  else S.DeadlineQueue.insert(ext, at, queue);
}

// ---- Money and reputation ----

/** Pays `amount` of the client's escrow to `to` (to the treasury if `to` no longer exists). */
function payFromEscrow(ext: Ext, req: RequestValue, to: Uint8Array, amount: bigint): Uint8Array {
  const dest = accountExists(ext, to) ? to : TREASURY_ACCOUNT;
  if (amount === 0n) return dest;
  req.held -= amount - repatriateReserved(ext, req.client, dest, amount);
  return dest;
}

function refundClient(ext: Ext, id: bigint, req: RequestValue): bigint {
  const amount = req.held;
  if (amount === 0n) return 0n;
  unreserve(ext, req.client, amount);
  req.held = 0n;
  Inference.deposit(ext, { tag: "Refunded", value: { request_id: id, client: req.client, amount } });
  return amount;
}

function changeReputation(ext: Ext, who: Uint8Array, delta: number): void {
  const old = S.Reputation.getOrDefault(ext, who);
  S.Reputation.insert(ext, who, Math.min(Math.max(old + delta, 0), PPM));
}

/** Slashes `inference_slash_ppm` of a provider's registration stake to the treasury. */
function slash(ext: Ext, id: bigint, who: Uint8Array, reason: SlashReasonName): void {
  const amount = slashRegistrationStake(ext, who, param(ext, INFERENCE.inference_slash_ppm), id, reason);
  changeReputation(ext, who, -INFERENCE_REPUTATION_PENALTY);
  Inference.deposit(ext, { tag: "Slashed", value: { request_id: id, provider: who, amount, reason: { tag: reason } } });
}

function finish(ext: Ext, id: bigint, req: RequestValue, status: RequestStatusValue): void {
  for (const who of req.providers) noteJobEnded(ext, who, "neutral");
  req.status = status;
  req.deadline = 0;
  S.Requests.insert(ext, id, req);
  S.LiveRequests.put(ext, Math.max(S.LiveRequests.getOrDefault(ext) - 1, 0));
}

// ---- Phase logic ----

const committed = (ext: Ext, id: bigint, who: Uint8Array) => S.Outputs.contains(ext, [id, who]);

/** Whether every provider still serving has committed. */
export function allCommitted(ext: Ext, id: bigint, req: RequestValue): boolean {
  return req.providers.every((who) => committed(ext, id, who));
}

/** Commitments are closed: providers reveal within the request's reveal window. */
export function startReveal(ext: Ext, id: bigint, req: RequestValue): void {
  unschedule(ext, id, req.deadline);
  req.status = { tag: "Revealing" };
  req.deadline = schedule(ext, id, now(ext) + req.reveal_blocks);
  Inference.deposit(ext, { tag: "RevealStarted", value: { request_id: id, reveal_by: req.deadline } });
}

/**
 * Refusals left fewer providers than the quorum and no replacement: nothing can be agreed, nobody
 * revealed, nobody failed a duty. The client gets everything back.
 */
export function endUnservable(ext: Ext, id: bigint, req: RequestValue): void {
  unschedule(ext, id, req.deadline);
  const refund = refundClient(ext, id, req);
  Inference.deposit(ext, { tag: "NoQuorum", value: { request_id: id, paid: [], refund } });
  finish(ext, id, req, { tag: "NoQuorum" });
}

/** Settlement from the revealed outputs (see the module docs). */
export function settle(ext: Ext, id: bigint, req: RequestValue): void {
  unschedule(ext, id, req.deadline);
  const revealed: { who: Uint8Array; output: RevealedOutputValue }[] = [];
  for (const who of req.providers) {
    const output = S.Outputs.get(ext, [id, who])?.revealed;
    if (output) revealed.push({ who, output });
  }
  const isIn = (list: Uint8Array[], who: Uint8Array) => list.some((x) => bytesEqual(x, who));
  const outputs = revealed.map((r) => r.output);
  const win = agreement(req.profile, req.tolerance, outputs, req.quorum);
  if (!win) {
    // Without a quorum nobody can tell right from wrong: revealers are paid for their work, the silent
    // are slashed, the client gets the rest back (the network fee included).
    const paid = revealed.map((r) => r.who);
    for (const who of paid) payFromEscrow(ext, req, who, req.reward);
    for (const who of req.providers) if (!isIn(paid, who)) slash(ext, id, who, "InferenceSilent");
    const refund = refundClient(ext, id, req);
    Inference.deposit(ext, { tag: "NoQuorum", value: { request_id: id, paid, refund } });
    finish(ext, id, req, { tag: "NoQuorum" });
    return;
  }
  const winners = win.members.map((i) => revealed[i].who);
  for (const who of winners) {
    payFromEscrow(ext, req, who, req.reward);
    changeReputation(ext, who, INFERENCE_REPUTATION_REWARD);
  }
  if (req.network_fee > 0n) {
    const to = payFromEscrow(ext, req, findAuthor(ext) ?? TREASURY_ACCOUNT, req.network_fee);
    Inference.deposit(ext, { tag: "NetworkFeePaid", value: { request_id: id, to, amount: req.network_fee } });
  }
  const revealers = revealed.map((r) => r.who);
  for (const who of req.providers) {
    if (isIn(winners, who)) continue;
    slash(ext, id, who, isIn(revealers, who) ? "InferenceDisagreed" : "InferenceSilent");
  }
  const { output_cid, output_hash } = outputs[win.representative];
  req.agreed = { output_cid, output_hash };
  Inference.deposit(ext, {
    tag: "Settled",
    value: { request_id: id, output_cid, output_hash, providers: winners, reward: req.reward },
  });
  // The rewards of the replicas outside the quorum go back to the client.
  refundClient(ext, id, req);
  finish(ext, id, req, { tag: "Settled" });
}

function onDeadline(ext: Ext, id: bigint, block: number): void {
  const req = S.Requests.get(ext, id);
  if (!req || req.deadline !== block) return;
  if (req.status.tag === "Committing" && req.providers.some((who) => committed(ext, id, who))) {
    startReveal(ext, id, req);
    S.Requests.insert(ext, id, req);
  } else if (req.status.tag === "Committing" || req.status.tag === "Revealing") settle(ext, id, req);
}

Inference.defineHooks({
  onInitialize(ext, n) {
    const due = S.DeadlineQueue.get(ext, n);
    if (!due) return w(1n, 0n);
    S.DeadlineQueue.remove(ext, n);
    for (const id of due) {
      try {
        ext.transactional(() => onDeadline(ext, id, n));
      } catch (err) {
        // A deadline must never make the block invalid; a failure here is a bug, kept visible.
        if (!(err instanceof DispatchError)) throw err;
        Inference.deposit(ext, { tag: "DeadlineFailed", value: { request_id: id } });
      }
    }
    return addWeight(w(1n, 1n), weight(SETTLE_WEIGHT.ref_time * BigInt(due.length)));
  },
});
