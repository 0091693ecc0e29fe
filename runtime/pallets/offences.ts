/**
 * # Offences pallet
 *
 * ## Overview
 * Checks equivocation evidence on chain and applies the consequences of a proven offence: the
 * `staking.slash_fraction` parameter of the offender's exposure in the era of the offence is burned (its
 * own part and each nominator's part, proportionally; within one era only the highest fraction counts, so
 * a later offence burns only what its fraction adds, as FRAME's `ValidatorSlashInEra`), the offender
 * is chilled (so it is not elected again until it calls `validate`) and disabled for the rest of its
 * current session set (within the set's disabling limit, `disablingLimit` in `session.ts`). An
 * (offender, kind, session) is slashed at most once, and a piece of evidence (offender, slot or set
 * id and round) is used at most once.
 *
 * `report_equivocation(equivocation_proof)` is an unsigned call, like `report_equivocation_unsigned`
 * of FRAME's `pallet_babe` and `pallet_grandpa`, but one call for both kinds of evidence: both end in
 * the same `applyOffence`, and one `EquivocationEvidence` type keeps the node's reporter to one path.
 * Its `ValidateUnsigned` gives it the highest priority, validity for `REPORT_LONGEVITY` blocks, and
 * the tag (offender, time slot), so that the pool keeps one report per offence; `propagate` is false
 * (each validator that sees an offence reports it itself). Unlike FRAME it also accepts reports from
 * `external` sources: the pool resubmits the transactions of blocks retracted by a reorg as
 * external, and a report must survive a reorg. The pool refuses
 * evidence that does not verify as `badProof`, a report already applied (or of a session no longer
 * kept) as `stale`, and one of a future session or set as `future`; none of them changes state.
 *
 * ## Terminology
 * - Kind: `BlockEquivocation` (two blocks for one slot) or `VoteEquivocation` (two votes in one round
 *   and phase).
 * - Era of the offence: the era whose first session is the latest one at or before the offence's
 *   session, among the eras still within the bonding period (`Staking.BondedEras`). Older offences are
 *   rejected: the funds at stake then may already be withdrawn.
 * - Session of the evidence: BABE: the session (epoch) of the two headers' block number (both must
 *   be in one session). GRANDPA: the latest session of the votes' set id (`Session.SetIdSession`, as
 *   `pallet_grandpa`). The evidence is checked against that session's authorities
 *   (`Session.HistoricalAuthorities`), which also name the offender's stash.
 * - Time slot: the BABE slot, or the GRANDPA (set id, round).
 *
 * ## Assumptions
 * Slashes are applied at once (no deferral, no cancellation). Evidence is verified with
 * `consensus/equivocation.ts`, which depends on primitives only. Key ownership needs no proof: the
 * session pallet keeps the authorities of the sessions within the bonding period.
 */
import {
  EquivocationEvidence,
  type EquivocationEvidenceValue,
  verifyEquivocation,
} from "../../consensus/equivocation.js";
import { EquivocationError } from "../../consensus/errors.js";
import { concat } from "../../primitives/hashing.js";
import { bytesEqual } from "../../primitives/hex.js";
import { T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber } from "../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../constants.js";
import { DispatchError, ensure, ensureNone, ensureRoot, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageMap } from "../frame/storage.js";
import { InvalidTransactionError, invalid, type ValidTransaction } from "../validity.js";
import {
  type Authority,
  authoritiesOfSession,
  disableValidator,
  SESSION_LENGTH,
  Session,
  sessionIndexAt,
  sessionOfSetId,
} from "./session.js";
import {
  BONDING_DURATION,
  chillStash,
  eraOfSession,
  exposureOf,
  Perbill,
  SESSIONS_PER_ERA,
  Staking,
  slashFraction,
  slashValidatorInEra,
} from "./staking/index.js";
import { System } from "./system.js";

export const OffenceKind = T.enumeration(
  { BlockEquivocation: { index: 0 }, VoteEquivocation: { index: 1 } },
  { path: ["pallet_offences", "OffenceKind"] },
);
export type OffenceKindName = TyValue<typeof OffenceKind>["tag"];

/** When an equivocation happened: a BABE slot, or a GRANDPA round of a set. */
export const EquivocationTimeSlot = T.enumeration(
  { Slot: { index: 0, fields: T.u64 }, Round: { index: 1, fields: T.struct({ set_id: T.u64, round: T.u64 }) } },
  { path: ["pallet_offences", "EquivocationTimeSlot"] },
);
export type EquivocationTimeSlotValue = TyValue<typeof EquivocationTimeSlot>;

/**
 * How many blocks an equivocation report stays valid in the pool: the bonding period in blocks (FRAME's
 * `ReportLongevity` = `BondingDuration * SessionsPerEra * EpochDuration`).
 */
export const REPORT_LONGEVITY = BigInt(BONDING_DURATION * SESSIONS_PER_ERA * SESSION_LENGTH);
/** The pool priority of an equivocation report: the highest (`TransactionPriority::max_value()`). */
export const REPORT_PRIORITY = (1n << 64n) - 1n;
/** Verifying the two signatures of a piece of evidence, in ref_time (about 0.1 ms each). */
const EVIDENCE_VERIFY_WEIGHT = 200_000_000n;

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
    Equivocations: storageMap("Blake2_128Concat", T.tuple(AccountId, EquivocationTimeSlot), T.u32, {
      docs: [
        " The equivocations slashed through `report_equivocation`, keyed by (offender, time slot), with",
        " the session they were slashed in: each is reported once.",
      ],
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
    InvalidEquivocationProof: {
      index: 4,
      docs: "The equivocation evidence does not prove an offence by an authority of its session.",
    },
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
  const { key, era, exposure } = checkOffence(ext, offender, kind, sessionIndex);
  const fraction = slashFraction(ext);
  // No errors allowed after this point.
  const slashed = slashValidatorInEra(ext, era, offender, fraction, exposure);
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

/** The preconditions of `applyOffence` (reads only). */
function checkOffence(ext: Ext, offender: Uint8Array, kind: OffenceKindName, sessionIndex: number) {
  const key: [{ tag: OffenceKindName }, number, Uint8Array] = [{ tag: kind }, sessionIndex, offender];
  ensure(!Offences.storage.Reports.contains(ext, key as never), () => Offences.error("DuplicateReport"));
  ensure(sessionIndex <= Session.storage.CurrentIndex.getOrDefault(ext), () => Offences.error("FutureSession"));
  const era = eraOfSession(ext, sessionIndex);
  ensure(era !== undefined, () => Offences.error("OffenceTooOld"));
  const exposure = exposureOf(ext, era, offender);
  ensure(exposure !== undefined, () => Offences.error("NotExposed"));
  return { key, era, exposure };
}

/** An equivocation as the chain sees it: who (the stash), which offence, in which session, when. */
export interface EquivocationReport {
  offender: Uint8Array;
  kind: OffenceKindName;
  sessionIndex: number;
  timeSlot: EquivocationTimeSlotValue;
}

/**
 * Checks equivocation evidence against the chain (reads only) and names the offence. With
 * `verifySignatures` false (the pre-dispatch check) the signatures and the conflict are not checked.
 * Throws a `DispatchError`: `InvalidEquivocationProof`, `FutureSession`, `OffenceTooOld` (the session's
 * authorities are no longer kept, or the era is past the bonding period), `DuplicateReport`, `NotExposed`.
 */
export function checkEquivocation(
  ext: Ext,
  evidence: EquivocationEvidenceValue,
  verifySignatures = true,
): EquivocationReport {
  const badProof = () => Offences.error("InvalidEquivocationProof");
  let sessionIndex: number | undefined;
  if (evidence.tag === "Babe") {
    const p = evidence.value;
    sessionIndex = sessionIndexAt(p.first_header.number);
    ensure(sessionIndexAt(p.second_header.number) === sessionIndex, badProof);
  } else {
    sessionIndex = sessionOfSetId(ext, evidence.value.set_id);
    ensure(sessionIndex !== undefined, () => Offences.error("FutureSession"));
  }
  ensure(sessionIndex <= Session.storage.CurrentIndex.getOrDefault(ext), () => Offences.error("FutureSession"));
  const authorities = authoritiesOfSession(ext, sessionIndex);
  ensure(authorities !== undefined, () => Offences.error("OffenceTooOld"));
  let offenderKey: Uint8Array;
  let timeSlot: EquivocationTimeSlotValue;
  if (verifySignatures) {
    let verified: ReturnType<typeof verifyEquivocation>;
    try {
      verified = verifyEquivocation(evidence, {
        babe: authorities.map((a) => a.babe),
        grandpa: {
          setId: evidence.tag === "Grandpa" ? evidence.value.set_id : 0n,
          authorities: authorities.map((a) => ({ id: a.grandpa, weight: 1n })),
        },
      });
    } catch (err) {
      if (err instanceof EquivocationError) throw badProof();
      throw err;
    }
    offenderKey = verified.offender;
    timeSlot =
      verified.kind === "babe"
        ? { tag: "Slot", value: verified.slot }
        : { tag: "Round", value: { set_id: verified.setId, round: verified.round } };
  } else if (evidence.tag === "Babe") {
    offenderKey = evidence.value.offender;
    timeSlot = { tag: "Slot", value: evidence.value.slot };
  } else {
    offenderKey = evidence.value.equivocation.value.identity;
    timeSlot = {
      tag: "Round",
      value: { set_id: evidence.value.set_id, round: evidence.value.equivocation.value.round_number },
    };
  }
  const field: keyof Authority = evidence.tag === "Babe" ? "babe" : "grandpa";
  const authority = authorities.find((a) => bytesEqual(a[field], offenderKey));
  ensure(authority !== undefined, badProof);
  const offender = authority.account;
  ensure(!Offences.storage.Equivocations.contains(ext, [offender, timeSlot]), () => Offences.error("DuplicateReport"));
  const kind: OffenceKindName = evidence.tag === "Babe" ? "BlockEquivocation" : "VoteEquivocation";
  checkOffence(ext, offender, kind, sessionIndex);
  return { offender, kind, sessionIndex, timeSlot };
}

/** Checks the evidence, slashes the offence and records the evidence's time slot as reported. */
export function reportEquivocation(ext: Ext, evidence: EquivocationEvidenceValue): OffenceOutcome {
  const r = checkEquivocation(ext, evidence);
  // No errors allowed after this point.
  const outcome = applyOffence(ext, r.offender, r.kind, r.sessionIndex);
  Offences.storage.Equivocations.insert(ext, [r.offender, r.timeSlot], r.sessionIndex);
  return outcome;
}

/** `checkEquivocation` for the pool and block building: its `DispatchError` as an invalid transaction. */
function checkForPool(ext: Ext, evidence: EquivocationEvidenceValue, verifySignatures: boolean): EquivocationReport {
  try {
    return checkEquivocation(ext, evidence, verifySignatures);
  } catch (err) {
    if (!(err instanceof DispatchError)) throw err;
    switch (err.label) {
      case "Offences.InvalidEquivocationProof":
        throw invalid("badProof");
      case "Offences.FutureSession":
        throw invalid("future");
      case "Offences.DuplicateReport":
      case "Offences.OffenceTooOld":
        throw invalid("stale");
      default: {
        const index = Offences.errorDecls[err.label.slice("Offences.".length) as "NotExposed"]?.index ?? 255;
        throw new InvalidTransactionError({ kind: "invalid", reason: "custom", custom: index });
      }
    }
  }
}

/** The pool tag of a report: one report per (offender, time slot), like FRAME's `(offender, slot)`. */
function reportTag(r: EquivocationReport): Uint8Array {
  return concat(REPORT_TAG_PREFIX, AccountId.enc(r.offender), EquivocationTimeSlot.enc(r.timeSlot));
}
const REPORT_TAG_PREFIX = new TextEncoder().encode("Offences:equivocation");

Offences.defineValidateUnsigned({
  validate(ext, _source, c): ValidTransaction {
    if (c.tag !== "report_equivocation") throw invalid("call");
    const r = checkForPool(ext, c.value.equivocation_proof, true);
    return {
      priority: REPORT_PRIORITY,
      requires: [],
      provides: [reportTag(r)],
      longevity: REPORT_LONGEVITY,
      propagate: false,
    };
  },
  preDispatch(ext, c) {
    if (c.tag !== "report_equivocation") throw invalid("call");
    checkForPool(ext, c.value.equivocation_proof, false);
  },
});

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
  report_equivocation: call({
    index: 1,
    args: { equivocation_proof: EquivocationEvidence },
    docs: [
      "Reports an equivocation (two headers for one slot, or two votes in one round) with its evidence;",
      "the offender is slashed, chilled and disabled.",
      "",
      "The dispatch origin must be None (an unsigned extrinsic, submitted by a node that saw the offence).",
    ],
    weight: () => weight(DB_READ_WEIGHT * 45n + DB_WRITE_WEIGHT * 41n + EVIDENCE_VERIFY_WEIGHT),
    class: "Operational",
    dispatch: (ext, origin, { equivocation_proof }) => {
      ensureNone(origin);
      reportEquivocation(ext, equivocation_proof);
    },
  }),
});
