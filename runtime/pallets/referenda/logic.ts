/**
 * The referenda pallet's logic: servicing a referendum (preparation, deciding, confirmation, closing),
 * its wake-ups (`Alarms`), enactment (`Agenda`), the hook, and the poll interface conviction voting
 * uses (FRAME's `Polling`).
 */

import type { WeightValue } from "../../../primitives/types.js";
import { TREASURY_ACCOUNT } from "../../constants.js";
import { type CallValue, callWeight, dispatchCall, RuntimeCallRef } from "../../frame/calls.js";
import { addWeight, DispatchError, weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { repatriateReserved, totalIssuance } from "../balances.js";
import type { TallyValue } from "../convictionVoting/types.js";
import { param, REFERENDA } from "../parameters/index.js";
import { System } from "../system.js";
import { Referenda, ROOT_TRACK, w } from "./pallet.js";
import {
  approvalOf,
  type BoundedValue,
  blocksFor,
  type DepositValue,
  type DispatchResultValue,
  delay,
  elapsedPart,
  type LinearCurve,
  type ReferendumInfoValue,
  type ReferendumStatusValue,
  supportOf,
  threshold,
} from "./types.js";

const S = Referenda.storage;

export function now(ext: Ext): number {
  return System.storage.Number.getOrDefault(ext);
}

/** The track's settings, from the `referenda.*` parameters (FRAME's `TrackInfo`, here governable). */
export interface TrackSettings {
  submissionDeposit: bigint;
  decisionDeposit: bigint;
  prepare: number;
  decision: number;
  confirm: number;
  minEnactment: number;
  undecidingTimeout: number;
  approval: LinearCurve;
  support: LinearCurve;
}

export function trackSettings(ext: Ext): TrackSettings {
  const p = REFERENDA;
  return {
    submissionDeposit: param(ext, p.submission_deposit),
    decisionDeposit: param(ext, p.decision_deposit),
    prepare: param(ext, p.prepare_period),
    decision: param(ext, p.decision_period),
    confirm: param(ext, p.confirm_period),
    minEnactment: param(ext, p.min_enactment_period),
    undecidingTimeout: param(ext, p.undeciding_timeout),
    approval: { floor: param(ext, p.min_approval_floor), ceil: param(ext, p.min_approval_ceil) },
    support: { floor: param(ext, p.min_support_floor), ceil: param(ext, p.min_support_ceil) },
  };
}

// ---- Curves ----

/** FRAME's `is_passing`: approval and support both at least their curves, `elapsed` blocks into deciding. */
export function isPassing(tally: TallyValue, elapsed: number, t: TrackSettings, issuance: bigint): boolean {
  const x = elapsedPart(elapsed, t.decision);
  return approvalOf(tally) >= threshold(t.approval, x) && supportOf(tally, issuance) >= threshold(t.support, x);
}

/** Blocks into deciding from which `tally` passes both curves; `undefined` if it never does. */
export function passingFrom(tally: TallyValue, t: TrackSettings, issuance: bigint): number | undefined {
  const a = delay(t.approval, approvalOf(tally));
  const s = delay(t.support, supportOf(tally, issuance));
  return a === undefined || s === undefined ? undefined : blocksFor(Math.max(a, s), t.decision);
}

// ---- Alarms ----

function dropAlarm(ext: Ext, when: number, index: number): void {
  const list = S.Alarms.getOrDefault(ext, when).filter((i) => i !== index);
  if (list.length === 0) S.Alarms.remove(ext, when);
  else S.Alarms.insert(ext, when, list);
}

/** Services `index` at the start of block `when` (and not at its previous alarm). */
export function setAlarm(ext: Ext, index: number, status: ReferendumStatusValue, when: number): void {
  const previous = status.alarm?.[0];
  if (previous === when) return;
  if (previous !== undefined) dropAlarm(ext, previous, index);
  const list = S.Alarms.getOrDefault(ext, when);
  list.push(index);
  S.Alarms.insert(ext, when, list);
  status.alarm = [when, [when, 0]];
}

export function clearAlarm(ext: Ext, index: number, status: ReferendumStatusValue): void {
  if (status.alarm) dropAlarm(ext, status.alarm[0], index);
  status.alarm = undefined;
}

// ---- Closing ----

function closed(
  tag: "Approved" | "Rejected" | "Cancelled" | "TimedOut",
  status: ReferendumStatusValue,
  at: number,
): ReferendumInfoValue {
  return { tag, value: [at, status.submission_deposit, status.decision_deposit] };
}

/** Bookkeeping when a referendum stops being ongoing; `inFlight` if it still awaits enactment. */
export function noteClosed(ext: Ext, index: number, status: ReferendumStatusValue, inFlight = false): void {
  clearAlarm(ext, index, status);
  if (status.deciding) S.DecidingCount.insert(ext, ROOT_TRACK, S.DecidingCount.getOrDefault(ext, ROOT_TRACK) - 1);
  if (!inFlight) S.QueuedCount.put(ext, S.QueuedCount.getOrDefault(ext) - 1);
}

/** Slashes a deposit to the treasury (FRAME's `slash_deposit` with the treasury as `Slash`). */
export function slashDeposit(ext: Ext, d: DepositValue | undefined): void {
  if (!d) return;
  const slashed = d.amount - repatriateReserved(ext, d.who, TREASURY_ACCOUNT, d.amount);
  Referenda.deposit(ext, { tag: "DepositSlashed", value: { who: d.who, amount: slashed } });
}

function scheduleEnactment(ext: Ext, index: number, status: ReferendumStatusValue, t: TrackSettings): void {
  const n = now(ext);
  const desired = status.enactment.tag === "At" ? status.enactment.value : n + status.enactment.value;
  const when = Math.max(desired, n + t.minEnactment);
  const agenda = S.Agenda.getOrDefault(ext, when);
  agenda.push([index, status.proposal]);
  S.Agenda.insert(ext, when, agenda);
}

// ---- Service ----

/**
 * FRAME's `service_referendum`: moves an ongoing referendum on as far as it goes at this block (begins
 * deciding, starts or aborts confirming, approves, rejects, times out) and sets its next wake-up.
 * Returns what `ReferendumInfoFor` must hold; the caller writes it. Never fails.
 */
export function serviceReferendum(ext: Ext, index: number, status: ReferendumStatusValue): ReferendumInfoValue {
  const n = now(ext);
  const t = trackSettings(ext);
  const { tally } = status;
  if (!status.deciding) {
    const ready = status.submitted + t.prepare;
    const timeout = status.submitted + t.undecidingTimeout;
    if (status.decision_deposit && n >= ready) {
      status.deciding = { since: n, confirming: undefined };
      S.DecidingCount.insert(ext, ROOT_TRACK, S.DecidingCount.getOrDefault(ext, ROOT_TRACK) + 1);
      Referenda.deposit(ext, {
        tag: "DecisionStarted",
        value: { index, track: status.track, proposal: status.proposal, tally },
      });
    } else if (n >= timeout) {
      noteClosed(ext, index, status);
      Referenda.deposit(ext, { tag: "TimedOut", value: { index, tally } });
      return closed("TimedOut", status, n);
    } else {
      setAlarm(ext, index, status, status.decision_deposit ? Math.min(ready, timeout) : timeout);
      return { tag: "Ongoing", value: status };
    }
  }
  const deciding = status.deciding;
  const issuance = totalIssuance(ext);
  const passing = isPassing(tally, n - deciding.since, t, issuance);
  if (deciding.confirming !== undefined) {
    if (passing && n >= deciding.confirming) {
      noteClosed(ext, index, status, true);
      Referenda.deposit(ext, { tag: "Confirmed", value: { index, tally } });
      scheduleEnactment(ext, index, status, t);
      Referenda.deposit(ext, { tag: "Approved", value: { index } });
      return closed("Approved", status, n);
    }
    if (!passing) {
      deciding.confirming = undefined;
      Referenda.deposit(ext, { tag: "ConfirmAborted", value: { index } });
    }
  } else if (passing) {
    deciding.confirming = n + t.confirm;
    Referenda.deposit(ext, { tag: "ConfirmStarted", value: { index } });
  }
  const end = deciding.since + t.decision;
  if (deciding.confirming === undefined && n >= end) {
    noteClosed(ext, index, status);
    Referenda.deposit(ext, { tag: "Rejected", value: { index, tally } });
    return closed("Rejected", status, n);
  }
  let alarm = deciding.confirming;
  if (alarm === undefined) {
    const from = passingFrom(tally, t, issuance);
    alarm = from === undefined ? end : Math.min(end, deciding.since + from);
  }
  setAlarm(ext, index, status, Math.max(alarm, n + 1));
  return { tag: "Ongoing", value: status };
}

// ---- Enactment ----

function enact(ext: Ext, index: number, proposal: BoundedValue): WeightValue {
  let result: DispatchResultValue = { tag: "Ok", value: undefined };
  let spent = weight(0n);
  try {
    if (proposal.tag !== "Inline") throw new DispatchError({ tag: "Other" }, "PreimageNotExist");
    const call = RuntimeCallRef.dec(proposal.value) as CallValue;
    spent = callWeight(call);
    ext.transactional(() => dispatchCall(ext, { kind: "root" }, call));
  } catch (err) {
    // A proposal that fails changes nothing (its writes are rolled back); the referendum records why.
    result = { tag: "Err", value: err instanceof DispatchError ? err.value : { tag: "Other" } };
  }
  S.EnactmentOf.insert(ext, index, [now(ext), result]);
  S.QueuedCount.put(ext, S.QueuedCount.getOrDefault(ext) - 1);
  Referenda.deposit(ext, { tag: "Enacted", value: { index, result } });
  return spent;
}

/** `on_initialize`: enacts this block's agenda, then services the referenda whose alarm is this block. */
function onInitialize(ext: Ext, n: number): WeightValue {
  let spent = w(2n, 0n);
  const agenda = S.Agenda.getOrDefault(ext, n);
  if (agenda.length > 0) {
    S.Agenda.remove(ext, n);
    for (const [index, proposal] of agenda) spent = addWeight(spent, addWeight(w(1n, 3n), enact(ext, index, proposal)));
  }
  const alarms = S.Alarms.getOrDefault(ext, n);
  if (alarms.length > 0) {
    S.Alarms.remove(ext, n);
    for (const index of alarms) {
      const info = S.ReferendumInfoFor.get(ext, index);
      if (info?.tag !== "Ongoing") continue;
      info.value.alarm = undefined;
      S.ReferendumInfoFor.insert(ext, index, serviceReferendum(ext, index, info.value));
      spent = addWeight(spent, w(16n, 6n));
    }
  }
  return spent;
}

Referenda.defineHooks({ onInitialize });

// ---- Polls (FRAME's `Polling`, for conviction voting) ----

export type PollStatus =
  | { tag: "Ongoing"; tally: TallyValue; class: number }
  | { tag: "Completed"; end: number; approved: boolean }
  | { tag: "None" };

export function pollStatus(ext: Ext, index: number): PollStatus {
  const info = S.ReferendumInfoFor.get(ext, index);
  switch (info?.tag) {
    case "Ongoing":
      return { tag: "Ongoing", tally: info.value.tally, class: info.value.track };
    case "Approved":
    case "Rejected":
      return { tag: "Completed", end: info.value[0], approved: info.tag === "Approved" };
    default:
      return { tag: "None" };
  }
}

/** Replaces an ongoing referendum's tally and services it at the next block (FRAME's `access_poll`). */
export function setTally(ext: Ext, index: number, tally: TallyValue): void {
  const info = S.ReferendumInfoFor.get(ext, index);
  if (info?.tag !== "Ongoing") throw new Error(`Referendum ${index} is not ongoing`);
  info.value.tally = tally;
  setAlarm(ext, index, info.value, now(ext) + 1);
  S.ReferendumInfoFor.insert(ext, index, info);
}
