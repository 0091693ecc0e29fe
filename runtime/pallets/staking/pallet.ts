/**
 * The staking pallet's declaration: config constants, storage, events, errors, and the helpers and
 * queries the rest of the pallet (and the offences pallet) share.
 */
import { compareBytes } from "../../../primitives/hex.js";
import { T } from "../../../primitives/scale/types.js";
import { AccountId, Balance } from "../../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT, UNITS } from "../../constants.js";
import { weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { pallet } from "../../frame/pallet.js";
import { storageDoubleMap, storageMap, storageValue } from "../../frame/storage.js";
import {
  ActiveEraInfo,
  DEFAULT_PREFS,
  EMPTY_EXPOSURE,
  EraRewardPoints,
  Exposure,
  Nominations,
  Perbill,
  RewardDestination,
  StakingLedger,
  type StakingLedgerValue,
  ValidatorPrefs,
} from "./types.js";

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
/** Upper bound of the `staking.validator_count` parameter. */
export { MAX_VALIDATOR_COUNT } from "../parameters/knobs.js";
/** Minted and shared out at the end of every era in which blocks earned points. */
export const ERA_PAYOUT = 100n * UNITS;
/** Reward points for authoring one block (as FRAME's BABE authorship handler gives). */
export const REWARD_POINTS_PER_BLOCK = 20;

export const Staking = pallet({
  name: "Staking",
  index: 7,
  module: "pallet_staking",
  docs: ["Bonds, validators, nominators, era elections, rewards and slashes."],
  storage: {
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
    ValidatorSlashInEra: storageDoubleMap("Twox64Concat", T.u32, "Twox64Concat", AccountId, T.tuple(Perbill, Balance), {
      docs: [
        " All slashing events on validators, mapped by era to the highest slash proportion",
        " and slash value of the era.",
      ],
    }),
    NominatorSlashInEra: storageDoubleMap("Twox64Concat", T.u32, "Twox64Concat", AccountId, Balance, {
      docs: [" All slashing events on nominators, mapped by era to the highest slash value of the era."],
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

// ---- Shared helpers ----

export const w = (reads: bigint, writes: bigint) => weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);
export const same = (a: Uint8Array, b: Uint8Array): boolean => compareBytes(a, b) === 0;
export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

// ---- Queries ----

export function ledger(ext: Ext, stash: Uint8Array): StakingLedgerValue | undefined {
  return S.Ledger.get(ext, stash);
}
