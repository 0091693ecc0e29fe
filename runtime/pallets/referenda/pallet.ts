/** The referenda pallet's declaration: config constants, storage, events and errors. */
import { T } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber } from "../../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../../constants.js";
import { weight } from "../../frame/dispatch.js";
import { pallet } from "../../frame/pallet.js";
import { storageMap, storageValue } from "../../frame/storage.js";
import { Tally } from "../convictionVoting/types.js";
import { Bounded, DispatchResult, ReferendumInfo, Scheduled } from "./types.js";

// ---- Config constants ----

/**
 * Most referenda in flight at once: submitted and neither closed nor, once approved, enacted. It bounds
 * every hook's work: the referenda serviced in a block (`Alarms`) and the proposals enacted in a block
 * (`Agenda`) are each at most this many.
 */
export const MAX_QUEUED = 16;
/** Longest inline proposal, in bytes (FRAME's `BoundedInline`). */
export const MAX_PROPOSAL_LENGTH = 128;
/** The only track: proposals dispatched as Root. */
export const ROOT_TRACK = 0;

export const Referenda = pallet({
  name: "Referenda",
  index: 14,
  module: "pallet_referenda",
  docs: ["Stake-weighted referenda on Root calls: submission, decision, confirmation, enactment."],
  storage: {
    ReferendumCount: storageValue(T.u32, {
      default: 0,
      docs: [" The next free referendum index, aka the number of referenda started so far."],
    }),
    ReferendumInfoFor: storageMap("Blake2_128Concat", T.u32, ReferendumInfo, {
      docs: [" Information concerning any given referendum."],
    }),
    DecidingCount: storageMap("Twox64Concat", T.u16, T.u32, {
      default: 0,
      docs: [" The number of referenda being decided currently."],
    }),
    QueuedCount: storageValue(T.u32, {
      default: 0,
      docs: [" The number of referenda in flight: ongoing, or approved and not yet enacted (at most `MaxQueued`)."],
    }),
    Alarms: storageMap("Twox64Concat", BlockNumber, T.vec(T.u32), {
      default: [],
      docs: [
        " The referenda serviced at the start of a block (FRAME schedules these wake-ups with its",
        " scheduler; each ongoing referendum has at most one).",
      ],
    }),
    Agenda: storageMap("Twox64Concat", BlockNumber, T.vec(Scheduled), {
      default: [],
      docs: [" Approved proposals, by the block in which they are enacted."],
    }),
    EnactmentOf: storageMap("Blake2_128Concat", T.u32, T.tuple(BlockNumber, DispatchResult), {
      docs: [" When an approved referendum's proposal was dispatched, and how that went."],
    }),
  },
  constants: {
    MaxQueued: {
      type: T.u32,
      value: MAX_QUEUED,
      docs: [" Maximum number of referenda in flight (ongoing, or approved and awaiting enactment)."],
    },
    MaxProposalLength: {
      type: T.u32,
      value: MAX_PROPOSAL_LENGTH,
      docs: [" Longest inline proposal (an encoded call), in bytes."],
    },
  },
  events: {
    Submitted: {
      index: 0,
      fields: { index: T.u32, track: T.u16, proposal: Bounded },
      docs: ["A referendum has been submitted."],
    },
    DecisionDepositPlaced: {
      index: 1,
      fields: { index: T.u32, who: AccountId, amount: Balance },
      docs: ["The decision deposit has been placed."],
    },
    DecisionDepositRefunded: {
      index: 2,
      fields: { index: T.u32, who: AccountId, amount: Balance },
      docs: ["The decision deposit has been refunded."],
    },
    DepositSlashed: {
      index: 3,
      fields: { who: AccountId, amount: Balance },
      docs: ["A deposit has been slashed (to the treasury)."],
    },
    DecisionStarted: {
      index: 4,
      fields: { index: T.u32, track: T.u16, proposal: Bounded, tally: Tally },
      docs: ["A referendum has moved into the deciding phase."],
    },
    ConfirmStarted: { index: 5, fields: { index: T.u32 }, docs: ["A referendum has started confirming."] },
    ConfirmAborted: { index: 6, fields: { index: T.u32 }, docs: ["A referendum stopped passing while confirming."] },
    Confirmed: {
      index: 7,
      fields: { index: T.u32, tally: Tally },
      docs: ["A referendum has ended its confirmation phase and is ready for approval."],
    },
    Approved: {
      index: 8,
      fields: { index: T.u32 },
      docs: ["A referendum has been approved and its proposal has been scheduled."],
    },
    Rejected: {
      index: 9,
      fields: { index: T.u32, tally: Tally },
      docs: ["A proposal has been rejected by referendum."],
    },
    TimedOut: {
      index: 10,
      fields: { index: T.u32, tally: Tally },
      docs: ["A referendum has been timed out without being decided."],
    },
    Cancelled: { index: 11, fields: { index: T.u32, tally: Tally }, docs: ["A referendum has been cancelled."] },
    Killed: { index: 12, fields: { index: T.u32, tally: Tally }, docs: ["A referendum has been killed."] },
    SubmissionDepositRefunded: {
      index: 13,
      fields: { index: T.u32, who: AccountId, amount: Balance },
      docs: ["The submission deposit has been refunded."],
    },
    Enacted: {
      index: 20,
      fields: { index: T.u32, result: DispatchResult },
      docs: [
        "An approved proposal was dispatched as Root, with this result (FRAME's scheduler reports",
        "this as `Scheduler.Dispatched`).",
      ],
    },
  },
  errors: {
    NotOngoing: { index: 0, docs: "Referendum is not ongoing." },
    HasDeposit: { index: 1, docs: "Referendum's decision deposit is already paid." },
    BadTrack: { index: 2, docs: "The track identifier given was invalid." },
    Full: { index: 3, docs: "There are already `MaxQueued` referenda in flight (ongoing or awaiting enactment)." },
    BadReferendum: { index: 5, docs: "The referendum index provided is invalid in this context." },
    NoTrack: { index: 7, docs: "No track exists for the proposal origin (only `system(Root)` has one)." },
    Unfinished: { index: 8, docs: "Any deposit cannot be refunded until after the decision is over." },
    NoPermission: { index: 9, docs: "The deposit refunder is not the depositor." },
    NoDeposit: { index: 10, docs: "The deposit cannot be refunded since none was made." },
    BadStatus: { index: 11, docs: "The referendum status is invalid for this operation." },
    PreimageNotExist: { index: 12, docs: "The preimage does not exist (only inline proposals are accepted)." },
    ProposalTooLong: { index: 20, docs: "The inline proposal is longer than `MaxProposalLength` bytes." },
    UndecodableProposal: { index: 21, docs: "The inline proposal is not a call of this runtime." },
  },
});

export const w = (reads: bigint, writes: bigint) => weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);
