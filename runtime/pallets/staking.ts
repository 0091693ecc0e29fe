/**
 * # Staking pallet
 *
 * ## Overview
 * Proof-of-stake: accounts bond funds, declare themselves validators (with a commission) or nominate
 * validators; at each era boundary the top `ValidatorCount` validators by backing stake are elected
 * and handed to the session pallet; each era's payout is minted at the era's end and split by reward
 * points (blocks authored) to validators and, after commission, pro rata to their nominators.
 * Offences (see `offences.ts`) slash a governance-set fraction of an offender's exposure.
 *
 * ## Terminology
 * - Stash / controller: the bonded account. Here the stash is always its own controller (FRAME's
 *   controller accounts are deprecated); `Bonded` maps a stash to itself, `Ledger` is keyed by it.
 * - Bond: funds moved from free to reserved balance with `balances.reserve`; unbonded funds stay
 *   reserved (in `unlocking` chunks) until `withdraw_unbonded` after `BONDING_DURATION` eras, when they
 *   are unreserved. A slash burns reserved funds (`balances.slashReserved`).
 * - Era: `SESSIONS_PER_ERA` sessions. The election for era `e + 1` runs at the start of the last
 *   session of era `e` (the set is queued one session ahead), as in FRAME. `CurrentEra` is the latest
 *   planned era, `ActiveEra` the one whose validators are producing blocks.
 * - Exposure: the stake backing an elected validator in an era: its own active bond plus nominators'
 *   shares. A nominator's active bond is split equally (integer division, the remainder to the first
 *   target in account order) between its targets; for ranking among the candidates, between its
 *   targets that are candidates, for the exposures, between its targets that were elected.
 * - Election: candidates are validators with `active >= MinValidatorBond` and registered session keys,
 *   ranked by backing stake, ties broken by the smaller account id. Fewer than
 *   `max(MinimumValidatorCount, 1)` candidates: no new era is planned and the current set stays.
 * - Rewards: `notePoint` adds `REWARD_POINTS_PER_BLOCK` to a block's author in the active era; the
 *   runtime calls it in `on_finalize` for the author named by the BABE pre-digest (`findAuthor`). At the
 *   end of era `e`, `ERA_PAYOUT` is minted and paid at once (there is no `payout_stakers` call):
 *   validator `v` gets `ERA_PAYOUT * points(v) / total_points`; its commission off the top, the rest
 *   split by exposure (own and each nominator). Every division rounds down; the dust is not minted.
 *
 * ## Assumptions
 * Balances are u128 bigints and Perbill is u32 parts per billion; no floating point. Every call checks
 * its origin, then every precondition, then writes.
 */
import { compareBytes } from "../../primitives/hex.js";
import { makeTy, T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Balance, MultiAddress } from "../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT, EXISTENTIAL_DEPOSIT, UNITS } from "../constants.js";
import { DispatchError, ensure, ensureRoot, ensureSigned, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageDoubleMap, storageMap, storageValue } from "../frame/storage.js";
import { freeBalance, lookupAddress, mint, reserve, slashReserved, unreserve } from "./balances.js";
import { findAuthor, hasSessionKeys, type PlannedValidator, type SessionManager } from "./session.js";
import { Timestamp } from "./timestamp.js";

// ---- Config constants ----

/** Sessions per era. */
export const SESSIONS_PER_ERA = 3;
/** Eras unbonded funds stay reserved (and slashable) before `withdraw_unbonded` releases them. */
export const BONDING_DURATION = 2;
/** Eras of history (exposures, points, rewards) kept in storage. */
export const HISTORY_DEPTH = 8;
/** Most targets one nominator may nominate. */
export const MAX_NOMINATIONS = 16;
/** Most unlocking chunks a ledger may hold. */
export const MAX_UNLOCKING_CHUNKS = 32;
/** Upper bound of `ValidatorCount`. */
export const MAX_VALIDATOR_COUNT = 1000;
/** Minted and shared out at the end of every era in which blocks earned points. */
export const ERA_PAYOUT = 100n * UNITS;
/** Reward points for authoring one block (as FRAME's BABE authorship handler gives). */
export const REWARD_POINTS_PER_BLOCK = 20;
/** Perbill's denominator: 1_000_000_000 parts is 100%. */
export const PERBILL = 1_000_000_000;

/** `Perbill * x`, rounded down. */
export function mulPerbill(parts: number, x: bigint): bigint {
  return (x * BigInt(parts)) / BigInt(PERBILL);
}

// ---- Types ----

export const Perbill = T.wrapper(T.u32, { path: ["sp_arithmetic", "per_things", "Perbill"] });
const CompactPerbill = makeTy<number>("Compact<Perbill>", T.compactU32.codec, () => ({
  path: [],
  params: [],
  def: { tag: "compact", of: Perbill },
  docs: [],
}));

export const ValidatorPrefs = T.struct(
  { commission: CompactPerbill, blocked: T.bool },
  { path: ["pallet_staking", "ValidatorPrefs"] },
);
export type ValidatorPrefsValue = TyValue<typeof ValidatorPrefs>;

export const RewardDestination = T.enumeration(
  {
    Staked: { index: 0 },
    Stash: { index: 1 },
    Controller: { index: 2 },
    Account: { index: 3, fields: AccountId },
    None: { index: 4 },
  },
  { path: ["pallet_staking", "RewardDestination"], params: [{ name: "AccountId", type: AccountId }] },
);
export type RewardDestinationValue = TyValue<typeof RewardDestination>;

const UnlockChunk = T.struct(
  { value: T.compactU128, era: T.compactU32 },
  { path: ["pallet_staking", "UnlockChunk"], params: [{ name: "Balance", type: Balance }] },
);
export const StakingLedger = T.struct(
  {
    stash: AccountId,
    total: T.compactU128,
    active: T.compactU128,
    unlocking: T.vec(UnlockChunk),
    legacy_claimed_rewards: T.vec(T.u32),
  },
  { path: ["pallet_staking", "StakingLedger"] },
);
export type StakingLedgerValue = TyValue<typeof StakingLedger>;

const Nominations = T.struct(
  { targets: T.vec(AccountId), submitted_in: T.u32, suppressed: T.bool },
  { path: ["pallet_staking", "Nominations"] },
);
const ActiveEraInfo = T.struct({ index: T.u32, start: T.option(T.u64) }, { path: ["pallet_staking", "ActiveEraInfo"] });
const IndividualExposure = T.struct(
  { who: AccountId, value: T.compactU128 },
  {
    path: ["sp_staking", "IndividualExposure"],
    params: [
      { name: "AccountId", type: AccountId },
      { name: "Balance", type: Balance },
    ],
  },
);
export const Exposure = T.struct(
  { total: T.compactU128, own: T.compactU128, others: T.vec(IndividualExposure) },
  {
    path: ["sp_staking", "Exposure"],
    params: [
      { name: "AccountId", type: AccountId },
      { name: "Balance", type: Balance },
    ],
  },
);
export type ExposureValue = TyValue<typeof Exposure>;
/** `BTreeMap<AccountId, u32>`: entries sorted by key. */
const PointsMap = T.wrapper(T.vec(T.tuple(AccountId, T.u32)), {
  path: ["BTreeMap"],
  params: [
    { name: "K", type: AccountId },
    { name: "V", type: T.u32 },
  ],
});
const EraRewardPoints = T.struct(
  { total: T.u32, individual: PointsMap },
  { path: ["pallet_staking", "EraRewardPoints"], params: [{ name: "AccountId", type: AccountId }] },
);

const EMPTY_EXPOSURE: ExposureValue = { total: 0n, own: 0n, others: [] };
const DEFAULT_PREFS: ValidatorPrefsValue = { commission: 0, blocked: false };

export const Staking = pallet({
  name: "Staking",
  index: 7,
  module: "pallet_staking",
  docs: ["Bonds, validators, nominators, era elections, rewards and slashes."],
  storage: {
    ValidatorCount: storageValue(T.u32, { default: 0, docs: [" The ideal number of active validators."] }),
    MinimumValidatorCount: storageValue(T.u32, {
      default: 0,
      docs: [" Minimum number of staking participants before emergency conditions are imposed."],
    }),
    Bonded: storageMap("Twox64Concat", AccountId, AccountId, {
      docs: [' Map from all locked "stash" accounts to the controller account (here always the stash itself).'],
    }),
    MinNominatorBond: storageValue(Balance, {
      default: 0n,
      docs: [" The minimum active bond to become and maintain the role of a nominator."],
    }),
    MinValidatorBond: storageValue(Balance, {
      default: 0n,
      docs: [" The minimum active bond to become and maintain the role of a validator."],
    }),
    Ledger: storageMap("Blake2_128Concat", AccountId, StakingLedger, {
      docs: [' Map from all (unlocked) "controller" accounts to the info regarding the staking.'],
    }),
    Payee: storageMap("Twox64Concat", AccountId, RewardDestination, {
      docs: [" Where the reward payment should be made. Keyed by stash."],
    }),
    Validators: storageMap("Twox64Concat", AccountId, ValidatorPrefs, {
      default: DEFAULT_PREFS,
      docs: [" The map from (wannabe) validator stash key to the preferences of that validator."],
    }),
    CounterForValidators: storageValue(T.u32, { default: 0, docs: [" Counter for the related counted storage map"] }),
    Nominators: storageMap("Twox64Concat", AccountId, Nominations, {
      docs: [
        " The map from nominator stash key to their nomination preferences, namely the validators that",
        " they wish to support.",
      ],
    }),
    CounterForNominators: storageValue(T.u32, { default: 0, docs: [" Counter for the related counted storage map"] }),
    CurrentEra: storageValue(T.u32, { docs: [" The current era index (the latest planned era)."] }),
    ActiveEra: storageValue(ActiveEraInfo, { docs: [" The active era information, it holds index and start."] }),
    ErasStartSessionIndex: storageMap("Twox64Concat", T.u32, T.u32, {
      docs: [" The session index at which the era start for the last [`Config::HistoryDepth`] eras."],
    }),
    ErasStakers: storageDoubleMap("Twox64Concat", T.u32, "Twox64Concat", AccountId, Exposure, {
      default: EMPTY_EXPOSURE,
      docs: [" Exposure of validator at era. Is it removed after [`Config::HistoryDepth`] eras."],
    }),
    ErasValidatorPrefs: storageDoubleMap("Twox64Concat", T.u32, "Twox64Concat", AccountId, ValidatorPrefs, {
      default: DEFAULT_PREFS,
      docs: [" Similar to `ErasStakers`, this holds the preferences of validators."],
    }),
    ErasValidatorReward: storageMap("Twox64Concat", T.u32, Balance, {
      docs: [" The total validator era payout for the last [`Config::HistoryDepth`] eras."],
    }),
    ErasRewardPoints: storageMap("Twox64Concat", T.u32, EraRewardPoints, {
      default: { total: 0, individual: [] },
      docs: [" Rewards for the last [`Config::HistoryDepth`] eras."],
    }),
    ErasTotalStake: storageMap("Twox64Concat", T.u32, Balance, {
      default: 0n,
      docs: [" The total amount staked for the last [`Config::HistoryDepth`] eras."],
    }),
    BondedEras: storageValue(T.vec(T.tuple(T.u32, T.u32)), {
      default: [],
      docs: [" A mapping from still-bonded eras to the first session index of that era."],
    }),
    SlashFraction: storageValue(Perbill, {
      default: 0,
      docs: [" The fraction of an offender's exposure (own and nominators') slashed per offence. Set by root."],
    }),
  },
  constants: {
    SessionsPerEra: { type: T.u32, value: SESSIONS_PER_ERA, docs: [" Number of sessions per era."] },
    BondingDuration: {
      type: T.u32,
      value: BONDING_DURATION,
      docs: [" Number of eras that staked funds must remain bonded for."],
    },
    HistoryDepth: { type: T.u32, value: HISTORY_DEPTH, docs: [" Number of eras to keep in history."] },
    MaxNominations: { type: T.u32, value: MAX_NOMINATIONS, docs: [" Maximum number of nominations per nominator."] },
    MaxUnlockingChunks: {
      type: T.u32,
      value: MAX_UNLOCKING_CHUNKS,
      docs: [" The maximum number of `unlocking` chunks a [`StakingLedger`] can have."],
    },
    EraPayout: {
      type: Balance,
      value: ERA_PAYOUT,
      docs: [" Minted and paid to validators and nominators at the end of each era."],
    },
    RewardPointsPerBlock: {
      type: T.u32,
      value: REWARD_POINTS_PER_BLOCK,
      docs: [" Reward points earned by the author of a block."],
    },
  },
  events: {
    EraPaid: {
      index: 0,
      fields: { era_index: T.u32, validator_payout: Balance, remainder: Balance },
      docs: [
        "The era payout has been set; the first balance is the validator-payout; the second is",
        "the remainder from the maximum amount of reward.",
      ],
    },
    Rewarded: {
      index: 1,
      fields: { stash: AccountId, dest: RewardDestination, amount: Balance },
      docs: ["The nominator has been rewarded by this amount to this destination."],
    },
    Slashed: {
      index: 2,
      fields: { staker: AccountId, amount: Balance },
      docs: ["A staker (validator or nominator) has been slashed by the given amount."],
    },
    SlashReported: {
      index: 3,
      fields: { validator: AccountId, fraction: Perbill, slash_era: T.u32 },
      docs: [
        "A slash for the given validator, for the given percentage of their stake, at the given",
        "era as been reported.",
      ],
    },
    OldSlashingReportDiscarded: {
      index: 4,
      fields: { session_index: T.u32 },
      docs: ["An old slashing report from a prior era was discarded because it could", "not be processed."],
    },
    StakersElected: { index: 5, docs: ["A new set of stakers was elected."] },
    Bonded: {
      index: 6,
      fields: { stash: AccountId, amount: Balance },
      docs: ["An account has bonded this amount. \\[stash, amount\\]"],
    },
    Unbonded: {
      index: 7,
      fields: { stash: AccountId, amount: Balance },
      docs: ["An account has unbonded this amount."],
    },
    Withdrawn: {
      index: 8,
      fields: { stash: AccountId, amount: Balance },
      docs: [
        "An account has called `withdraw_unbonded` and removed unbonding chunks worth `Balance`",
        "from the unlocking queue.",
      ],
    },
    StakingElectionFailed: { index: 10, docs: ["The election failed. No new era is planned."] },
    Chilled: {
      index: 11,
      fields: { stash: AccountId },
      docs: ["An account has stopped participating as either a validator or nominator."],
    },
    ValidatorPrefsSet: {
      index: 13,
      fields: { stash: AccountId, prefs: ValidatorPrefs },
      docs: ["A validator has set their preferences."],
    },
    SlashFractionSet: { index: 30, fields: { fraction: Perbill }, docs: ["Root set the slash fraction."] },
    ValidatorCountSet: { index: 31, fields: { count: T.u32 }, docs: ["Root set the ideal number of validators."] },
    MinValidatorBondSet: { index: 32, fields: { value: Balance }, docs: ["Root set the minimum validator bond."] },
  },
  errors: {
    NotController: { index: 0, docs: "Not a controller account." },
    NotStash: { index: 1, docs: "Not a stash account." },
    AlreadyBonded: { index: 2, docs: "Stash is already bonded." },
    AlreadyPaired: { index: 3, docs: "Controller is already paired." },
    EmptyTargets: { index: 4, docs: "Targets cannot be empty." },
    InsufficientBond: {
      index: 7,
      docs: "Cannot have a validator or nominator role, with value less than the minimum defined by governance. If unbonding is the intention, `chill` first to remove one's role as validator/nominator.",
    },
    NoMoreChunks: { index: 8, docs: "Can not schedule more unlock chunks." },
    TooManyTargets: { index: 19, docs: "Too many nomination targets supplied." },
    BadTarget: { index: 20, docs: "A nomination target was supplied that was blocked or otherwise not a validator." },
    TooManyValidators: { index: 23, docs: "There are too many validator candidates in the system." },
    ControllerDeprecated: {
      index: 26,
      docs: "Reward destination `Controller` is deprecated: use `Stash` or `Account`.",
    },
    InvalidPerbill: { index: 40, docs: "A Perbill value (commission or fraction) was above 1_000_000_000 (100%)." },
  },
});

const S = Staking.storage;
const same = (a: Uint8Array, b: Uint8Array): boolean => compareBytes(a, b) === 0;
const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);

// ---- Ledger and role helpers ----

function ledgerOf(ext: Ext, controller: Uint8Array): StakingLedgerValue {
  const ledger = S.Ledger.get(ext, controller);
  if (!ledger) throw Staking.error("NotController");
  return ledger;
}

export function ledger(ext: Ext, stash: Uint8Array): StakingLedgerValue | undefined {
  return S.Ledger.get(ext, stash);
}

function removeValidator(ext: Ext, stash: Uint8Array): boolean {
  if (!S.Validators.contains(ext, stash)) return false;
  S.Validators.remove(ext, stash);
  S.CounterForValidators.put(ext, S.CounterForValidators.getOrDefault(ext) - 1);
  return true;
}

function removeNominator(ext: Ext, stash: Uint8Array): boolean {
  if (!S.Nominators.contains(ext, stash)) return false;
  S.Nominators.remove(ext, stash);
  S.CounterForNominators.put(ext, S.CounterForNominators.getOrDefault(ext) - 1);
  return true;
}

/** Removes `stash` from validators and nominators; `Chilled` if it was either. */
export function chillStash(ext: Ext, stash: Uint8Array): void {
  const asValidator = removeValidator(ext, stash);
  const asNominator = removeNominator(ext, stash);
  if (asValidator || asNominator) Staking.deposit(ext, { tag: "Chilled", value: { stash } });
}

function checkPerbill(parts: number): void {
  ensure(Number.isInteger(parts) && parts >= 0 && parts <= PERBILL, () => Staking.error("InvalidPerbill"));
}

export function doBond(ext: Ext, stash: Uint8Array, value: bigint, payee: RewardDestinationValue): void {
  ensure(!S.Bonded.contains(ext, stash), () => Staking.error("AlreadyBonded"));
  ensure(!S.Ledger.contains(ext, stash), () => Staking.error("AlreadyPaired"));
  ensure(payee.tag !== "Controller", () => Staking.error("ControllerDeprecated"));
  // As in FRAME: bond at most the free balance.
  const amount = minBig(value, freeBalance(ext, stash));
  ensure(amount >= EXISTENTIAL_DEPOSIT, () => Staking.error("InsufficientBond"));
  // No errors allowed after this point.
  reserve(ext, stash, amount);
  S.Bonded.insert(ext, stash, stash);
  S.Payee.insert(ext, stash, payee);
  S.Ledger.insert(ext, stash, { stash, total: amount, active: amount, unlocking: [], legacy_claimed_rewards: [] });
  Staking.deposit(ext, { tag: "Bonded", value: { stash, amount } });
}

export function doBondExtra(ext: Ext, stash: Uint8Array, maxAdditional: bigint): void {
  ensure(S.Bonded.contains(ext, stash), () => Staking.error("NotStash"));
  const l = ledgerOf(ext, stash);
  const extra = minBig(maxAdditional, freeBalance(ext, stash));
  l.total += extra;
  l.active += extra;
  ensure(l.active >= EXISTENTIAL_DEPOSIT, () => Staking.error("InsufficientBond"));
  if (extra > 0n) reserve(ext, stash, extra);
  S.Ledger.insert(ext, stash, l);
  Staking.deposit(ext, { tag: "Bonded", value: { stash, amount: extra } });
}

export function doUnbond(ext: Ext, controller: Uint8Array, value: bigint): void {
  const l = ledgerOf(ext, controller);
  const era = (S.CurrentEra.get(ext) ?? 0) + BONDING_DURATION;
  const last = l.unlocking.at(-1);
  ensure(l.unlocking.length < MAX_UNLOCKING_CHUNKS || last?.era === era, () => Staking.error("NoMoreChunks"));
  let amount = minBig(value, l.active);
  if (amount === 0n) return;
  let active = l.active - amount;
  // Dust below the existential deposit is unbonded with the rest.
  if (active < EXISTENTIAL_DEPOSIT) {
    amount += active;
    active = 0n;
  }
  const minActive = S.Validators.contains(ext, l.stash)
    ? S.MinValidatorBond.getOrDefault(ext)
    : S.Nominators.contains(ext, l.stash)
      ? S.MinNominatorBond.getOrDefault(ext)
      : 0n;
  ensure(active >= minActive || active === 0n, () => Staking.error("InsufficientBond"));
  // No errors allowed after this point.
  l.active = active;
  if (last && last.era === era) last.value += amount;
  else l.unlocking.push({ value: amount, era });
  S.Ledger.insert(ext, controller, l);
  Staking.deposit(ext, { tag: "Unbonded", value: { stash: l.stash, amount } });
}

/** Releases the chunks whose era has come; removes the stash entirely once nothing is left bonded. */
export function doWithdrawUnbonded(ext: Ext, controller: Uint8Array): void {
  const l = ledgerOf(ext, controller);
  const currentEra = S.CurrentEra.get(ext) ?? 0;
  const keep = l.unlocking.filter((c) => c.era > currentEra);
  let withdrawn = l.unlocking.filter((c) => c.era <= currentEra).reduce((s, c) => s + c.value, 0n);
  const stash = l.stash;
  if (keep.length === 0 && l.active < EXISTENTIAL_DEPOSIT) {
    // Nothing bonded and nothing unlocking: the stash is done with staking.
    withdrawn = l.total;
    unreserve(ext, stash, withdrawn);
    S.Bonded.remove(ext, stash);
    S.Ledger.remove(ext, controller);
    S.Payee.remove(ext, stash);
    removeValidator(ext, stash);
    removeNominator(ext, stash);
  } else {
    if (withdrawn === 0n) return;
    unreserve(ext, stash, withdrawn);
    S.Ledger.insert(ext, controller, { ...l, total: l.total - withdrawn, unlocking: keep });
  }
  if (withdrawn > 0n) Staking.deposit(ext, { tag: "Withdrawn", value: { stash, amount: withdrawn } });
}

export function doValidate(ext: Ext, controller: Uint8Array, prefs: ValidatorPrefsValue): void {
  const l = ledgerOf(ext, controller);
  ensure(l.active >= S.MinValidatorBond.getOrDefault(ext), () => Staking.error("InsufficientBond"));
  checkPerbill(prefs.commission);
  const stash = l.stash;
  // No errors allowed after this point.
  removeNominator(ext, stash);
  if (!S.Validators.contains(ext, stash)) S.CounterForValidators.put(ext, S.CounterForValidators.getOrDefault(ext) + 1);
  S.Validators.insert(ext, stash, prefs);
  Staking.deposit(ext, { tag: "ValidatorPrefsSet", value: { stash, prefs } });
}

export function doNominate(ext: Ext, controller: Uint8Array, targets: Uint8Array[]): void {
  const l = ledgerOf(ext, controller);
  ensure(l.active >= S.MinNominatorBond.getOrDefault(ext), () => Staking.error("InsufficientBond"));
  ensure(targets.length > 0, () => Staking.error("EmptyTargets"));
  ensure(targets.length <= MAX_NOMINATIONS, () => Staking.error("TooManyTargets"));
  const stash = l.stash;
  const old = S.Nominators.get(ext, stash)?.targets ?? [];
  const sorted = [...targets].sort(compareBytes).filter((t, i, all) => i === 0 || !same(t, all[i - 1]));
  for (const t of sorted) {
    // A good target is a validator that is not blocked, or one that was already nominated.
    const ok =
      S.Validators.contains(ext, t) && (!S.Validators.getOrDefault(ext, t).blocked || old.some((o) => same(o, t)));
    ensure(ok, () => Staking.error("BadTarget"));
  }
  // No errors allowed after this point.
  removeValidator(ext, stash);
  if (!S.Nominators.contains(ext, stash)) S.CounterForNominators.put(ext, S.CounterForNominators.getOrDefault(ext) + 1);
  S.Nominators.insert(ext, stash, { targets: sorted, submitted_in: S.CurrentEra.get(ext) ?? 0, suppressed: false });
}

const w = (reads: bigint, writes: bigint) => weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);

Staking.defineCalls({
  bond: call({
    index: 0,
    args: { value: T.compactU128, payee: RewardDestination },
    docs: [
      "Take the origin account as a stash and lock up `value` of its balance (at most its free",
      "balance; the funds are reserved). The stash is its own controller.",
    ],
    weight: () => w(4n, 5n),
    dispatch: (ext, origin, { value, payee }) => doBond(ext, ensureSigned(origin), value, payee),
  }),
  bond_extra: call({
    index: 1,
    args: { max_additional: T.compactU128 },
    docs: ["Add some extra amount that have appeared in the stash `free_balance` into the balance up", "for staking."],
    weight: () => w(3n, 2n),
    dispatch: (ext, origin, { max_additional }) => doBondExtra(ext, ensureSigned(origin), max_additional),
  }),
  unbond: call({
    index: 2,
    args: { value: T.compactU128 },
    docs: [
      "Schedule a portion of the stash to be unlocked ready for transfer out after the bond",
      "period ends (`BondingDuration` eras after the current era).",
    ],
    weight: () => w(4n, 1n),
    dispatch: (ext, origin, { value }) => doUnbond(ext, ensureSigned(origin), value),
  }),
  withdraw_unbonded: call({
    index: 3,
    args: { num_slashing_spans: T.u32 },
    docs: [
      "Remove any unlocked chunks from the `unlocking` queue from our management (unreserving them).",
      "If nothing remains bonded, the stash is removed from staking.",
    ],
    weight: () => w(4n, 6n),
    dispatch: (ext, origin) => doWithdrawUnbonded(ext, ensureSigned(origin)),
  }),
  validate: call({
    index: 4,
    args: { prefs: ValidatorPrefs },
    docs: [
      "Declare the desire to validate for the origin controller.",
      "",
      "Effects will be felt at the beginning of the next era.",
    ],
    weight: () => w(4n, 3n),
    dispatch: (ext, origin, { prefs }) => doValidate(ext, ensureSigned(origin), prefs),
  }),
  nominate: call({
    index: 5,
    args: { targets: T.vec(MultiAddress) },
    docs: [
      "Declare the desire to nominate `targets` for the origin controller.",
      "",
      "Effects will be felt at the beginning of the next era.",
    ],
    weight: ({ targets }) => w(3n + BigInt(targets.length), 3n),
    dispatch: (ext, origin, { targets }) => doNominate(ext, ensureSigned(origin), targets.map(lookupAddress)),
  }),
  chill: call({
    index: 6,
    args: {},
    docs: [
      "Declare no desire to either validate or nominate.",
      "",
      "Effects will be felt at the beginning of the next era.",
    ],
    weight: () => w(3n, 3n),
    dispatch: (ext, origin) => chillStash(ext, ledgerOf(ext, ensureSigned(origin)).stash),
  }),
  set_payee: call({
    index: 7,
    args: { payee: RewardDestination },
    docs: ["(Re-)set the payment target for a controller."],
    weight: () => w(1n, 1n),
    dispatch: (ext, origin, { payee }) => {
      const l = ledgerOf(ext, ensureSigned(origin));
      ensure(payee.tag !== "Controller", () => Staking.error("ControllerDeprecated"));
      S.Payee.insert(ext, l.stash, payee);
    },
  }),
  set_validator_count: call({
    index: 9,
    args: { new: T.compactU32 },
    docs: ["Sets the ideal number of validators.", "", "The dispatch origin must be Root."],
    weight: () => w(0n, 1n),
    dispatch: (ext, origin, { new: count }) => {
      ensureRoot(origin);
      ensure(count <= MAX_VALIDATOR_COUNT, () => Staking.error("TooManyValidators"));
      S.ValidatorCount.put(ext, count);
      Staking.deposit(ext, { tag: "ValidatorCountSet", value: { count } });
    },
  }),
  set_slash_fraction: call({
    index: 30,
    args: { fraction: Perbill },
    docs: ["Sets the fraction of an offender's exposure slashed per offence.", "", "The dispatch origin must be Root."],
    weight: () => w(0n, 1n),
    dispatch: (ext, origin, { fraction }) => {
      ensureRoot(origin);
      checkPerbill(fraction);
      S.SlashFraction.put(ext, fraction);
      Staking.deposit(ext, { tag: "SlashFractionSet", value: { fraction } });
    },
  }),
  set_min_validator_bond: call({
    index: 31,
    args: { value: T.compactU128 },
    docs: ["Sets the minimum active bond of a validator.", "", "The dispatch origin must be Root."],
    weight: () => w(0n, 1n),
    dispatch: (ext, origin, { value }) => {
      ensureRoot(origin);
      S.MinValidatorBond.put(ext, value);
      Staking.deposit(ext, { tag: "MinValidatorBondSet", value: { value } });
    },
  }),
});

// ---- Election ----

interface Elected {
  stash: Uint8Array;
  prefs: ValidatorPrefsValue;
  exposure: ExposureValue;
}

/** Splits `amount` equally between `n` parts; the remainder goes to the first. */
function split(amount: bigint, n: number): bigint[] {
  const share = amount / BigInt(n);
  const parts = Array.from({ length: n }, () => share);
  parts[0] += amount - share * BigInt(n);
  return parts;
}

/** The top `ValidatorCount` candidates by backing stake and their exposures, or `undefined` if too few. */
export function elect(ext: Ext): Elected[] | undefined {
  const minBond = S.MinValidatorBond.getOrDefault(ext);
  const candidates = new Map<string, { stash: Uint8Array; prefs: ValidatorPrefsValue; own: bigint; backing: bigint }>();
  for (const [stash, prefs] of S.Validators.entries(ext)) {
    const l = S.Ledger.get(ext, stash);
    if (!l || l.active === 0n || l.active < minBond || !hasSessionKeys(ext, stash)) continue;
    candidates.set(hexOf(stash), { stash, prefs, own: l.active, backing: l.active });
  }
  const nominators: { who: Uint8Array; stake: bigint; targets: Uint8Array[] }[] = [];
  for (const [who, n] of S.Nominators.entries(ext)) {
    const stake = S.Ledger.get(ext, who)?.active ?? 0n;
    const targets = n.targets.filter((t) => candidates.has(hexOf(t)));
    if (stake === 0n || targets.length === 0) continue;
    nominators.push({ who, stake, targets });
    split(stake, targets.length).forEach((part, i) => {
      const c = candidates.get(hexOf(targets[i]))!;
      c.backing += part;
    });
  }
  const ranked = [...candidates.values()].sort((a, b) =>
    a.backing > b.backing ? -1 : a.backing < b.backing ? 1 : compareBytes(a.stash, b.stash),
  );
  const chosen = ranked.slice(0, S.ValidatorCount.getOrDefault(ext));
  if (chosen.length === 0 || chosen.length < S.MinimumValidatorCount.getOrDefault(ext)) return undefined;
  const exposures = new Map<string, ExposureValue>(
    chosen.map((c) => [hexOf(c.stash), { total: c.own, own: c.own, others: [] }]),
  );
  for (const n of nominators) {
    const targets = n.targets.filter((t) => exposures.has(hexOf(t)));
    if (targets.length === 0) continue;
    split(n.stake, targets.length).forEach((part, i) => {
      const e = exposures.get(hexOf(targets[i]))!;
      e.total += part;
      e.others.push({ who: n.who, value: part });
    });
  }
  return chosen
    .map((c) => ({ stash: c.stash, prefs: c.prefs, exposure: exposures.get(hexOf(c.stash))! }))
    .sort((a, b) => compareBytes(a.stash, b.stash));
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function clearEra(ext: Ext, era: number): void {
  S.ErasStakers.clearPrefixOf(ext, era);
  S.ErasValidatorPrefs.clearPrefixOf(ext, era);
  S.ErasValidatorReward.remove(ext, era);
  S.ErasRewardPoints.remove(ext, era);
  S.ErasTotalStake.remove(ext, era);
  S.ErasStartSessionIndex.remove(ext, era);
}

/** Plans a new era starting at session `startSession`; returns its validators sorted by account. */
function tryTriggerNewEra(ext: Ext, startSession: number): PlannedValidator[] | undefined {
  const elected = elect(ext);
  if (!elected) {
    // A chain without staking (ValidatorCount 0) is not failing anything every session.
    if (S.ValidatorCount.getOrDefault(ext) > 0) Staking.deposit(ext, { tag: "StakingElectionFailed" });
    return undefined;
  }
  const current = S.CurrentEra.get(ext);
  const era = current === undefined ? 0 : current + 1;
  S.CurrentEra.put(ext, era);
  S.ErasStartSessionIndex.insert(ext, era, startSession);
  if (era > HISTORY_DEPTH) clearEra(ext, era - HISTORY_DEPTH - 1);
  let total = 0n;
  for (const e of elected) {
    S.ErasStakers.insert(ext, [era, e.stash], e.exposure);
    S.ErasValidatorPrefs.insert(ext, [era, e.stash], e.prefs);
    total += e.exposure.total;
  }
  S.ErasTotalStake.insert(ext, era, total);
  Staking.deposit(ext, { tag: "StakersElected" });
  return elected.map((e) => ({ account: e.stash, weight: e.exposure.total }));
}

function startEra(ext: Ext, startSession: number): void {
  const index = (S.ActiveEra.get(ext)?.index ?? -1) + 1;
  S.ActiveEra.put(ext, { index, start: undefined });
  const bonded = S.BondedEras.getOrDefault(ext);
  bonded.push([index, startSession]);
  S.BondedEras.put(
    ext,
    bonded.filter(([e]) => e + BONDING_DURATION >= index),
  );
}

function endEra(ext: Ext, era: number): void {
  const points = S.ErasRewardPoints.getOrDefault(ext, era);
  let paid = 0n;
  if (points.total > 0) {
    for (const [stash, p] of points.individual) {
      const exposure = S.ErasStakers.get(ext, [era, stash]);
      if (!exposure || exposure.total === 0n) continue;
      const reward = (ERA_PAYOUT * BigInt(p)) / BigInt(points.total);
      const commission = mulPerbill(S.ErasValidatorPrefs.getOrDefault(ext, [era, stash]).commission, reward);
      const rest = reward - commission;
      paid += payStaker(ext, stash, commission + (rest * exposure.own) / exposure.total);
      for (const o of exposure.others) paid += payStaker(ext, o.who, (rest * o.value) / exposure.total);
    }
  }
  S.ErasValidatorReward.insert(ext, era, paid);
  Staking.deposit(ext, { tag: "EraPaid", value: { era_index: era, validator_payout: paid, remainder: 0n } });
}

/** Mints `amount` for `stash` to its reward destination; returns what was minted (0 if it could not be). */
function payStaker(ext: Ext, stash: Uint8Array, amount: bigint): bigint {
  if (amount === 0n) return 0n;
  const dest: RewardDestinationValue = S.Payee.get(ext, stash) ?? { tag: "Stash" };
  if (dest.tag === "None") return 0n;
  try {
    ext.transactional(() => {
      if (dest.tag === "Account") mint(ext, dest.value, amount);
      else {
        mint(ext, stash, amount);
        const l = S.Ledger.get(ext, stash);
        if (dest.tag === "Staked" && l) {
          reserve(ext, stash, amount);
          S.Ledger.insert(ext, stash, { ...l, total: l.total + amount, active: l.active + amount });
        }
      }
      Staking.deposit(ext, { tag: "Rewarded", value: { stash, dest, amount } });
    });
    return amount;
  } catch (err) {
    // E.g. a reward below the existential deposit for an account that no longer exists: not paid.
    if (err instanceof DispatchError) return 0n;
    throw err;
  }
}

/** Adds reward points to `author` in the active era (none before the first era). */
export function notePoint(ext: Ext, author: Uint8Array, points = REWARD_POINTS_PER_BLOCK): void {
  const active = S.ActiveEra.get(ext);
  if (!active) return;
  const rp = S.ErasRewardPoints.getOrDefault(ext, active.index);
  const at = rp.individual.findIndex(([a]) => compareBytes(a, author) >= 0);
  if (at >= 0 && same(rp.individual[at][0], author)) rp.individual[at][1] = sat32(rp.individual[at][1] + points);
  else rp.individual.splice(at < 0 ? rp.individual.length : at, 0, [author, points]);
  rp.total = sat32(rp.total + points);
  S.ErasRewardPoints.insert(ext, active.index, rp);
}

const sat32 = (n: number): number => Math.min(n, 0xffff_ffff);

/** The era whose exposures were live in `sessionIndex`, if it is still within the bonding period. */
export function eraOfSession(ext: Ext, sessionIndex: number): number | undefined {
  const bonded = S.BondedEras.getOrDefault(ext);
  for (let i = bonded.length - 1; i >= 0; i--) if (bonded[i][1] <= sessionIndex) return bonded[i][0];
  return undefined;
}

export function exposureOf(ext: Ext, era: number, stash: Uint8Array): ExposureValue | undefined {
  return S.ErasStakers.contains(ext, [era, stash]) ? S.ErasStakers.get(ext, [era, stash]) : undefined;
}

export function slashFraction(ext: Ext): number {
  return S.SlashFraction.getOrDefault(ext);
}

/**
 * Burns up to `amount` of `stash`'s bond: from its active bond first, then from its unlocking chunks,
 * latest first. Returns what was burned. Never fails.
 */
export function slashStaker(ext: Ext, stash: Uint8Array, amount: bigint): bigint {
  const l = S.Ledger.get(ext, stash);
  if (!l || amount === 0n) return 0n;
  const burned = slashReserved(ext, stash, minBig(amount, l.total));
  let remaining = burned;
  const fromActive = minBig(remaining, l.active);
  l.active -= fromActive;
  remaining -= fromActive;
  for (let i = l.unlocking.length - 1; i >= 0 && remaining > 0n; i--) {
    const d = minBig(remaining, l.unlocking[i].value);
    l.unlocking[i].value -= d;
    remaining -= d;
  }
  l.unlocking = l.unlocking.filter((c) => c.value > 0n);
  l.total -= burned;
  S.Ledger.insert(ext, stash, l);
  if (burned > 0n) Staking.deposit(ext, { tag: "Slashed", value: { staker: stash, amount: burned } });
  return burned;
}

// ---- Session manager (FRAME's `impl SessionManager for Pallet`) ----

export const stakingSessionManager: SessionManager = {
  newSession(ext, newIndex) {
    const current = S.CurrentEra.get(ext);
    if (current !== undefined) {
      const start = S.ErasStartSessionIndex.get(ext, current) ?? 0;
      if (newIndex - start < SESSIONS_PER_ERA) return undefined;
    }
    return tryTriggerNewEra(ext, newIndex);
  },
  startSession(ext, index) {
    const next = (S.ActiveEra.get(ext)?.index ?? -1) + 1;
    if (S.ErasStartSessionIndex.get(ext, next) === index) startEra(ext, index);
  },
  endSession(ext, index) {
    const active = S.ActiveEra.get(ext);
    if (active && S.ErasStartSessionIndex.get(ext, active.index + 1) === index + 1) endEra(ext, active.index);
  },
  isValidatorId: (ext, who) => S.Bonded.contains(ext, who),
};

Staking.defineHooks({
  onFinalize(ext) {
    const author = findAuthor(ext);
    if (author) notePoint(ext, author);
    const active = S.ActiveEra.get(ext);
    if (active && active.start === undefined)
      S.ActiveEra.put(ext, { ...active, start: Timestamp.storage.Now.getOrDefault(ext) });
  },
});

// ---- Genesis ----

export interface GenesisValidator {
  stash: Uint8Array;
  stake: bigint;
  keys: { babe: Uint8Array; grandpa: Uint8Array };
  /** Perbill parts; 0 by default. */
  commission?: number;
}

export interface GenesisNominator {
  stash: Uint8Array;
  stake: bigint;
  targets: Uint8Array[];
}

export interface StakingGenesisConfig {
  validatorCount: number;
  minimumValidatorCount?: number;
  minValidatorBond?: bigint;
  minNominatorBond?: bigint;
  /** Perbill parts slashed per offence; 10% by default. */
  slashFraction?: number;
  validators: GenesisValidator[];
  nominators?: GenesisNominator[];
}

/** Bonds the genesis stakers (stash = controller, rewards `Staked`). Throws if an invariant is broken. */
export function buildStakingGenesis(ext: Ext, config: StakingGenesisConfig): void {
  const fail = (msg: string): never => {
    throw new Error(`Genesis: staking: ${msg}`);
  };
  const minValidatorBond = config.minValidatorBond ?? 0n;
  const slash = config.slashFraction ?? PERBILL / 10;
  if (
    !Number.isInteger(config.validatorCount) ||
    config.validatorCount < 1 ||
    config.validatorCount > MAX_VALIDATOR_COUNT
  )
    fail(`validatorCount must be within 1..=${MAX_VALIDATOR_COUNT}`);
  if (!Number.isInteger(slash) || slash < 0 || slash > PERBILL) fail("slashFraction must be within 0..=1_000_000_000");
  if (config.validators.length === 0) fail("at least one validator is required");
  S.ValidatorCount.put(ext, config.validatorCount);
  S.MinimumValidatorCount.put(ext, config.minimumValidatorCount ?? 1);
  S.MinValidatorBond.put(ext, minValidatorBond);
  S.MinNominatorBond.put(ext, config.minNominatorBond ?? 0n);
  S.SlashFraction.put(ext, slash);
  const bond = (stash: Uint8Array, stake: bigint) => {
    const who = `0x${hexOf(stash)}`;
    if (S.Bonded.contains(ext, stash)) fail(`${who} is bonded twice`);
    if (stake < EXISTENTIAL_DEPOSIT) fail(`the stake of ${who} is below the existential deposit`);
    if (freeBalance(ext, stash) < stake) fail(`${who} has less free balance than its stake`);
    doBond(ext, stash, stake, { tag: "Staked" });
  };
  for (const v of config.validators) {
    if (v.stake < minValidatorBond) fail(`the stake of 0x${hexOf(v.stash)} is below the minimum validator bond`);
    bond(v.stash, v.stake);
    doValidate(ext, v.stash, { commission: v.commission ?? 0, blocked: false });
  }
  for (const n of config.nominators ?? []) {
    bond(n.stash, n.stake);
    for (const t of n.targets)
      if (!config.validators.some((v) => same(v.stash, t)))
        fail(`nominator 0x${hexOf(n.stash)} nominates a non-validator`);
    doNominate(ext, n.stash, n.targets);
  }
}
