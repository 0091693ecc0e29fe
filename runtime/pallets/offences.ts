/**
 * # Offences pallet
 *
 * ## Overview
 * Applies the consequences of a proven offence (consensus verifies the evidence; this pallet trusts
 * its caller): the staking pallet's `SlashFraction` of the offender's exposure in the era of the
 * offence is burned (its own part and each nominator's part, proportionally), the offender is chilled
 * (so it is not elected again until it calls `validate`) and disabled for the rest of its current
 * session set. An (offender, kind, session) is slashed at most once.
 *
 * ## Terminology
 * - Kind: `BlockEquivocation` (two blocks for one slot) or `VoteEquivocation` (two votes in one round
 *   and phase).
 * - Era of the offence: the era whose first session is the latest one at or before the offence's
 *   session, among the eras still within the bonding period (`Staking.BondedEras`). Older offences are
 *   rejected: the funds at stake then may already be withdrawn.
 *
 * ## Assumptions
 * Slashes are applied at once (no deferral, no cancellation). `report_offence(proof)`, the call that
 * checks evidence on chain, comes later; until then the node calls `applyOffence` from its own
 * inherent or extrinsic, and tests use the root-only `force_apply_offence`.
 */
import { T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber } from "../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../constants.js";
import { ensure, ensureRoot, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageMap } from "../frame/storage.js";
import { disableValidator, Session } from "./session.js";
import {
  chillStash,
  eraOfSession,
  exposureOf,
  mulPerbill,
  Perbill,
  Staking,
  slashFraction,
  slashStaker,
} from "./staking.js";
import { System } from "./system.js";

export const OffenceKind = T.enumeration(
  { BlockEquivocation: { index: 0 }, VoteEquivocation: { index: 1 } },
  { path: ["pallet_offences", "OffenceKind"] },
);
export type OffenceKindName = TyValue<typeof OffenceKind>["tag"];

const OffenceDetails = T.struct(
  { offender: AccountId, era: T.u32, slash_fraction: Perbill, slashed: Balance, reported_at: BlockNumber },
  { path: ["pallet_offences", "OffenceDetails"] },
);

export const Offences = pallet({
  name: "Offences",
  index: 8,
  module: "pallet_offences",
  docs: ["Slashes and chills validators for proven offences, once per (offender, kind, session)."],
  storage: {
    Reports: storageMap("Blake2_128Concat", T.tuple(OffenceKind, T.u32, AccountId), OffenceDetails, {
      docs: [" The applied offences, keyed by (kind, session index, offender)."],
    }),
  },
  events: {
    OffenceReported: {
      index: 0,
      fields: {
        offender: AccountId,
        kind: OffenceKind,
        session_index: T.u32,
        era: T.u32,
        slash_fraction: Perbill,
        slashed: Balance,
      },
      docs: ["An offence was applied: `slashed` was burned from the offender's and its nominators' bonds."],
    },
  },
  errors: {
    DuplicateReport: { index: 0, docs: "This offence (offender, kind, session) was already applied." },
    FutureSession: { index: 1, docs: "The offence's session has not started yet." },
    OffenceTooOld: { index: 2, docs: "The offence's session is older than the bonding period." },
    NotExposed: { index: 3, docs: "The offender was not an elected validator in the era of the offence." },
  },
});

export interface OffenceOutcome {
  era: number;
  /** Burned in total, from the offender and its nominators. */
  slashed: bigint;
}

/**
 * Applies an offence. Throws a `DispatchError` (and writes nothing) if it was already applied, if the
 * session is in the future or too old, or if the offender had no exposure in that era.
 */
export function applyOffence(
  ext: Ext,
  offender: Uint8Array,
  kind: OffenceKindName,
  sessionIndex: number,
): OffenceOutcome {
  const key: [{ tag: OffenceKindName }, number, Uint8Array] = [{ tag: kind }, sessionIndex, offender];
  ensure(!Offences.storage.Reports.contains(ext, key as never), () => Offences.error("DuplicateReport"));
  ensure(sessionIndex <= Session.storage.CurrentIndex.getOrDefault(ext), () => Offences.error("FutureSession"));
  const era = eraOfSession(ext, sessionIndex);
  ensure(era !== undefined, () => Offences.error("OffenceTooOld"));
  const exposure = exposureOf(ext, era, offender);
  ensure(exposure !== undefined, () => Offences.error("NotExposed"));
  const fraction = slashFraction(ext);
  // No errors allowed after this point.
  let slashed = slashStaker(ext, offender, mulPerbill(fraction, exposure.own));
  for (const o of exposure.others) slashed += slashStaker(ext, o.who, mulPerbill(fraction, o.value));
  Offences.storage.Reports.insert(ext, key as never, {
    offender,
    era,
    slash_fraction: fraction,
    slashed,
    reported_at: System.storage.Number.getOrDefault(ext),
  });
  chillStash(ext, offender);
  disableValidator(ext, offender);
  Staking.deposit(ext, { tag: "SlashReported", value: { validator: offender, fraction, slash_era: era } });
  Offences.deposit(ext, {
    tag: "OffenceReported",
    value: { offender, kind: { tag: kind }, session_index: sessionIndex, era, slash_fraction: fraction, slashed },
  });
  return { era, slashed };
}

Offences.defineCalls({
  force_apply_offence: call({
    index: 0,
    args: { offender: AccountId, kind: OffenceKind, session_index: T.u32 },
    docs: ["Applies an offence without evidence.", "", "The dispatch origin must be Root."],
    weight: () => weight(DB_READ_WEIGHT * 40n + DB_WRITE_WEIGHT * 40n),
    dispatch: (ext, origin, { offender, kind, session_index }) => {
      ensureRoot(origin);
      applyOffence(ext, offender, kind.tag, session_index);
    },
  }),
});
