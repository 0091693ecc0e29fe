/** The referenda pallet's calls, with FRAME's names and indices. */
import { T } from "../../../primitives/scale/types.js";
import { RuntimeCallRef } from "../../frame/calls.js";
import { BadOrigin, ensure, ensureRoot, ensureSigned, type Origin } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { call } from "../../frame/pallet.js";
import { reserve, unreserve } from "../balances.js";
import { clearAlarm, noteClosed, now, serviceReferendum, setAlarm, slashDeposit, trackSettings } from "./logic.js";
import { MAX_PROPOSAL_LENGTH, MAX_QUEUED, Referenda, ROOT_TRACK, w } from "./pallet.js";
import {
  Bounded,
  type DepositValue,
  DispatchTime,
  OriginCaller,
  type ReferendumInfoValue,
  type ReferendumStatusValue,
} from "./types.js";

const S = Referenda.storage;

function ensureOngoing(ext: Ext, index: number): ReferendumStatusValue {
  const info = S.ReferendumInfoFor.get(ext, index);
  ensure(info?.tag === "Ongoing", () => Referenda.error("NotOngoing"));
  return info.value;
}

function ensureSignedOrRoot(origin: Origin): void {
  if (origin.kind !== "signed" && origin.kind !== "root") throw BadOrigin();
}

/** FRAME's `take_decision_deposit`: `undefined` when the referendum is in no state to refund it. */
function takeDecisionDeposit(info: ReferendumInfoValue): { ok: boolean; deposit?: DepositValue } {
  switch (info.tag) {
    case "Ongoing":
      return { ok: info.value.decision_deposit === undefined };
    case "Killed":
      return { ok: true };
    default: {
      const deposit = info.value[2];
      info.value[2] = undefined;
      return { ok: true, deposit };
    }
  }
}

Referenda.defineCalls({
  submit: call({
    index: 0,
    args: { proposal_origin: OriginCaller, proposal: Bounded, enactment_moment: DispatchTime },
    docs: [
      "Propose a referendum on a privileged action.",
      "",
      "- `origin`: must be `Signed`, with `referenda.submission_deposit` free to reserve.",
      "- `proposal_origin`: the origin the proposal is dispatched with: `system(Root)`.",
      "- `proposal`: the call, `Inline` (at most `MaxProposalLength` bytes).",
      "- `enactment_moment`: when the proposal is enacted once approved (at least",
      "  `referenda.min_enactment_period` blocks after approval).",
      "",
      "Emits `Submitted`.",
    ],
    weight: () => w(6n, 5n),
    dispatch: (ext, origin, { proposal_origin, proposal, enactment_moment }) => {
      const who = ensureSigned(origin);
      ensure(proposal_origin.tag === "system" && proposal_origin.value.tag === "Root", () =>
        Referenda.error("NoTrack"),
      );
      ensure(proposal.tag === "Inline", () => Referenda.error("PreimageNotExist"));
      const bytes = proposal.value as Uint8Array;
      ensure(bytes.length <= MAX_PROPOSAL_LENGTH, () => Referenda.error("ProposalTooLong"));
      let decodes = true;
      try {
        RuntimeCallRef.dec(bytes);
      } catch {
        decodes = false;
      }
      ensure(decodes, () => Referenda.error("UndecodableProposal"));
      const queued = S.QueuedCount.getOrDefault(ext);
      ensure(queued < MAX_QUEUED, () => Referenda.error("Full"));
      const t = trackSettings(ext);
      reserve(ext, who, t.submissionDeposit);
      // No errors allowed after this point.
      const index = S.ReferendumCount.getOrDefault(ext);
      S.ReferendumCount.put(ext, index + 1);
      S.QueuedCount.put(ext, queued + 1);
      const submitted = now(ext);
      const status: ReferendumStatusValue = {
        track: ROOT_TRACK,
        origin: proposal_origin,
        proposal,
        enactment: enactment_moment,
        submitted,
        submission_deposit: { who, amount: t.submissionDeposit },
        decision_deposit: undefined,
        deciding: undefined,
        tally: { ayes: 0n, nays: 0n, support: 0n },
        in_queue: false,
        alarm: undefined,
      };
      setAlarm(ext, index, status, submitted + t.undecidingTimeout);
      S.ReferendumInfoFor.insert(ext, index, { tag: "Ongoing", value: status });
      Referenda.deposit(ext, { tag: "Submitted", value: { index, track: ROOT_TRACK, proposal } });
    },
  }),
  place_decision_deposit: call({
    index: 1,
    args: { index: T.u32 },
    docs: [
      "Post the Decision Deposit for a referendum.",
      "",
      "- `origin`: must be `Signed`, with `referenda.decision_deposit` free to reserve.",
      "- `index`: the index of the submitted referendum whose Decision Deposit is yet to be posted.",
      "",
      "Emits `DecisionDepositPlaced`.",
    ],
    weight: () => w(16n, 8n),
    dispatch: (ext, origin, { index }) => {
      const who = ensureSigned(origin);
      const status = ensureOngoing(ext, index);
      ensure(status.decision_deposit === undefined, () => Referenda.error("HasDeposit"));
      const amount = trackSettings(ext).decisionDeposit;
      reserve(ext, who, amount);
      // No errors allowed after this point.
      status.decision_deposit = { who, amount };
      S.ReferendumInfoFor.insert(ext, index, serviceReferendum(ext, index, status));
      Referenda.deposit(ext, { tag: "DecisionDepositPlaced", value: { index, who, amount } });
    },
  }),
  refund_decision_deposit: call({
    index: 2,
    args: { index: T.u32 },
    docs: [
      "Refund the Decision Deposit for a closed referendum back to the depositor.",
      "",
      "- `origin`: must be `Signed` or `Root`.",
      "- `index`: The index of a closed referendum whose Decision Deposit has not yet been refunded.",
      "",
      "Emits `DecisionDepositRefunded`.",
    ],
    weight: () => w(1n, 2n),
    dispatch: (ext, origin, { index }) => {
      ensureSignedOrRoot(origin);
      const info = S.ReferendumInfoFor.get(ext, index);
      ensure(info !== undefined, () => Referenda.error("BadReferendum"));
      const { ok, deposit } = takeDecisionDeposit(info);
      ensure(ok, () => Referenda.error("Unfinished"));
      ensure(deposit !== undefined, () => Referenda.error("NoDeposit"));
      unreserve(ext, deposit.who, deposit.amount);
      S.ReferendumInfoFor.insert(ext, index, info);
      Referenda.deposit(ext, { tag: "DecisionDepositRefunded", value: { index, ...deposit } });
    },
  }),
  cancel: call({
    index: 3,
    args: { index: T.u32 },
    docs: [
      "Cancel an ongoing referendum.",
      "",
      "- `origin`: must be the `CancelOrigin` (Root).",
      "- `index`: The index of the referendum to be cancelled.",
      "",
      "Emits `Cancelled`.",
    ],
    weight: () => w(3n, 4n),
    dispatch: (ext, origin, { index }) => {
      ensureRoot(origin);
      const status = ensureOngoing(ext, index);
      noteClosed(ext, index, status);
      Referenda.deposit(ext, { tag: "Cancelled", value: { index, tally: status.tally } });
      S.ReferendumInfoFor.insert(ext, index, {
        tag: "Cancelled",
        value: [now(ext), status.submission_deposit, status.decision_deposit],
      });
    },
  }),
  kill: call({
    index: 4,
    args: { index: T.u32 },
    docs: [
      "Cancel an ongoing referendum and slash the deposits (to the treasury).",
      "",
      "- `origin`: must be the `KillOrigin` (Root).",
      "- `index`: The index of the referendum to be cancelled.",
      "",
      "Emits `Killed` and `DepositSlashed`.",
    ],
    weight: () => w(5n, 8n),
    dispatch: (ext, origin, { index }) => {
      ensureRoot(origin);
      const status = ensureOngoing(ext, index);
      noteClosed(ext, index, status);
      Referenda.deposit(ext, { tag: "Killed", value: { index, tally: status.tally } });
      slashDeposit(ext, status.submission_deposit);
      slashDeposit(ext, status.decision_deposit);
      S.ReferendumInfoFor.insert(ext, index, { tag: "Killed", value: now(ext) });
    },
  }),
  nudge_referendum: call({
    index: 5,
    args: { index: T.u32 },
    docs: [
      "Advance a referendum onto its next logical state. Only used internally.",
      "",
      "- `origin`: must be `Root`.",
    ],
    weight: () => w(16n, 6n),
    dispatch: (ext, origin, { index }) => {
      ensureRoot(origin);
      const status = ensureOngoing(ext, index);
      clearAlarm(ext, index, status);
      S.ReferendumInfoFor.insert(ext, index, serviceReferendum(ext, index, status));
    },
  }),
  refund_submission_deposit: call({
    index: 7,
    args: { index: T.u32 },
    docs: [
      "Refund the Submission Deposit for a closed referendum back to the depositor.",
      "",
      "- `origin`: must be `Signed` or `Root`.",
      "- `index`: The index of a closed referendum (approved or cancelled) whose Submission Deposit",
      "  has not yet been refunded.",
      "",
      "Emits `SubmissionDepositRefunded`.",
    ],
    weight: () => w(1n, 2n),
    dispatch: (ext, origin, { index }) => {
      ensureSignedOrRoot(origin);
      const info = S.ReferendumInfoFor.get(ext, index);
      ensure(info !== undefined, () => Referenda.error("BadReferendum"));
      ensure(info.tag === "Approved" || info.tag === "Cancelled", () => Referenda.error("BadStatus"));
      const deposit = info.value[1];
      ensure(deposit !== undefined, () => Referenda.error("NoDeposit"));
      info.value[1] = undefined;
      unreserve(ext, deposit.who, deposit.amount);
      S.ReferendumInfoFor.insert(ext, index, info);
      Referenda.deposit(ext, { tag: "SubmissionDepositRefunded", value: { index, ...deposit } });
    },
  }),
});
