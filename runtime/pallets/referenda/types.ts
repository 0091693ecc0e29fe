/**
 * The referenda pallet's SCALE types, with FRAME's type paths and shapes so that standard tooling decodes
 * `Referenda.ReferendumInfoFor` (`Ongoing`, `Approved`, `Rejected`, `Cancelled`, `TimedOut`, `Killed`),
 * and the pure arithmetic of its approval and support curves.
 */
import { T, type TyValue } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, DispatchErrorTy, H256 } from "../../../primitives/types.js";
import { RUNTIME_MODULE_NAME } from "../../frame/calls.js";
import { Tally, type TallyValue } from "../convictionVoting/types.js";

const P = "pallet_referenda";

/** FRAME's `RawOrigin`: the origins a proposal may be dispatched with (here only `Root` has a track). */
export const RawOrigin = T.enumeration(
  { Root: { index: 0 }, Signed: { index: 1, fields: AccountId }, None: { index: 2 } },
  { path: ["frame_support", "dispatch", "RawOrigin"], params: [{ name: "AccountId", type: AccountId }] },
);

/** The runtime's `OriginCaller` (FRAME's `PalletsOrigin`): `system` is frame_system's origin. */
export const OriginCaller = T.enumeration(
  { system: { index: 0, fields: RawOrigin } },
  { path: [RUNTIME_MODULE_NAME, "OriginCaller"] },
);
export type OriginCallerValue = TyValue<typeof OriginCaller>;

const BlakeTwo256 = T.struct({}, { path: ["sp_runtime", "traits", "BlakeTwo256"] });

/**
 * FRAME's `Bounded<RuntimeCall, BlakeTwo256>`: a proposal. Only `Inline` (the SCALE-encoded call, at
 * most `MaxProposalLength` bytes) is accepted; `Legacy` and `Lookup` need a preimage pallet.
 */
export const Bounded = T.enumeration(
  {
    Legacy: { index: 0, fields: { hash: H256 } },
    Inline: { index: 1, fields: T.bytes },
    Lookup: { index: 2, fields: { hash: H256, len: T.u32 } },
  },
  {
    path: ["frame_support", "traits", "preimages", "Bounded"],
    params: [{ name: "T" }, { name: "H", type: BlakeTwo256 }],
  },
);
export type BoundedValue = TyValue<typeof Bounded>;

export const DispatchTime = T.enumeration(
  { At: { index: 0, fields: BlockNumber }, After: { index: 1, fields: BlockNumber } },
  {
    path: ["frame_support", "traits", "schedule", "DispatchTime"],
    params: [{ name: "BlockNumber", type: BlockNumber }],
  },
);
export type DispatchTimeValue = TyValue<typeof DispatchTime>;

export const Deposit = T.struct(
  { who: AccountId, amount: Balance },
  {
    path: [P, "types", "Deposit"],
    params: [
      { name: "AccountId", type: AccountId },
      { name: "Balance", type: Balance },
    ],
  },
);
export type DepositValue = TyValue<typeof Deposit>;

export const DecidingStatus = T.struct(
  { since: BlockNumber, confirming: T.option(BlockNumber) },
  {
    path: [P, "types", "DecidingStatus"],
    params: [{ name: "BlockNumber", type: BlockNumber }],
    fieldInfo: {
      since: { docs: ['When this referendum began being "decided".'] },
      confirming: { docs: ["If `Some`, the block at which confirmation ends if the referendum keeps passing."] },
    },
  },
);

export const ReferendumStatus = T.struct(
  {
    track: T.u16,
    origin: OriginCaller,
    proposal: Bounded,
    enactment: DispatchTime,
    submitted: BlockNumber,
    submission_deposit: Deposit,
    decision_deposit: T.option(Deposit),
    deciding: T.option(DecidingStatus),
    tally: Tally,
    in_queue: T.bool,
    alarm: T.option(T.tuple(BlockNumber, T.tuple(BlockNumber, T.u32))),
  },
  {
    path: [P, "types", "ReferendumStatus"],
    fieldInfo: {
      in_queue: { docs: ["Always false: every referendum past its preparation is decided at once."] },
      alarm: {
        docs: [
          "The next block at which the referendum is serviced. FRAME's second part is a scheduler",
          "address; this runtime has no scheduler and writes `(when, 0)` (the referendum sits in `Alarms[when]`).",
        ],
      },
    },
  },
);
export type ReferendumStatusValue = TyValue<typeof ReferendumStatus>;

const Closed = T.tuple(BlockNumber, T.option(Deposit), T.option(Deposit));

export const ReferendumInfo = T.enumeration(
  {
    Ongoing: { index: 0, fields: ReferendumStatus, docs: ["Referendum has been submitted and is being voted on."] },
    Approved: { index: 1, fields: Closed, docs: ["Referendum finished with approval. Submission deposit is held."] },
    Rejected: { index: 2, fields: Closed, docs: ["Referendum finished with rejection. Submission deposit is held."] },
    Cancelled: {
      index: 3,
      fields: Closed,
      docs: ["Referendum finished with cancellation. Submission deposit is held."],
    },
    TimedOut: {
      index: 4,
      fields: Closed,
      docs: ["Referendum finished and was never decided. Submission deposit is held."],
    },
    Killed: { index: 5, fields: BlockNumber, docs: ["Referendum finished with a kill."] },
  },
  { path: [P, "types", "ReferendumInfo"] },
);
export type ReferendumInfoValue = TyValue<typeof ReferendumInfo>;
export type ClosedValue = TyValue<typeof Closed>;

/** `Result<(), DispatchError>`: how an enacted proposal's dispatch went. */
export const DispatchResult = T.enumeration(
  { Ok: { index: 0, fields: T.unit }, Err: { index: 1, fields: DispatchErrorTy } },
  {
    path: ["Result"],
    params: [
      { name: "T", type: T.unit },
      { name: "E", type: DispatchErrorTy },
    ],
  },
);
export type DispatchResultValue = TyValue<typeof DispatchResult>;

/** An approved proposal waiting in `Agenda` for its enactment block. */
export const Scheduled = T.tuple(T.u32, Bounded);

// ---- Curves ----

/** Perbill's denominator. */
export const PERBILL_BIG = 1_000_000_000n;

/**
 * FRAME's `Curve::LinearDecreasing` with `length` 100%: from `ceil` when deciding starts, linearly down to
 * `floor` at the end of the decision period. All values are perbill parts.
 */
export interface LinearCurve {
  floor: number;
  ceil: number;
}

/** The threshold at `x` (perbill of the decision period elapsed): `ceil - x * (ceil - floor)`, rounded up. */
export function threshold(c: LinearCurve, x: number): number {
  const xx = BigInt(Math.min(Math.max(x, 0), 1_000_000_000));
  return c.ceil - Number((xx * BigInt(c.ceil - c.floor)) / PERBILL_BIG);
}

/** The least `x` at which `y` passes the curve; `undefined` if never (below the floor). */
export function delay(c: LinearCurve, y: number): number | undefined {
  if (y >= c.ceil) return 0;
  if (y < c.floor) return undefined;
  const num = BigInt(c.ceil - y) * PERBILL_BIG;
  const den = BigInt(c.ceil - c.floor);
  return Number((num + den - 1n) / den);
}

/** `part / whole` in perbill, rounded down (0 when `whole` is 0). */
export function perbillOf(part: bigint, whole: bigint): number {
  return whole === 0n ? 0 : Number((part * PERBILL_BIG) / whole);
}

/** Approval: ayes over ayes and nays. */
export function approvalOf(t: TallyValue): number {
  return perbillOf(t.ayes, t.ayes + t.nays);
}

/** Support: aye capital over the total issuance. */
export function supportOf(t: TallyValue, totalIssuance: bigint): number {
  return perbillOf(t.support, totalIssuance);
}

/** The part of the decision period elapsed after `elapsed` blocks, in perbill. */
export function elapsedPart(elapsed: number, period: number): number {
  return Number((BigInt(Math.min(Math.max(elapsed, 0), period)) * PERBILL_BIG) / BigInt(period));
}

/** The least number of blocks after which `part` (perbill) of `period` has elapsed. */
export function blocksFor(part: number, period: number): number {
  return Number((BigInt(part) * BigInt(period) + PERBILL_BIG - 1n) / PERBILL_BIG);
}
