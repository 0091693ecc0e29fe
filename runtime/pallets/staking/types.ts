/** The staking pallet's SCALE types, and Perbill arithmetic. */
import { makeTy, T, type TyValue } from "../../../primitives/scale/types.js";
import { AccountId, Balance } from "../../../primitives/types.js";

/** Perbill's denominator: 1_000_000_000 parts is 100%. */
export const PERBILL = 1_000_000_000;

/** `Perbill * x`, rounded down. */
export function mulPerbill(parts: number, x: bigint): bigint {
  return (x * BigInt(parts)) / BigInt(PERBILL);
}

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

export const Nominations = T.struct(
  { targets: T.vec(AccountId), submitted_in: T.u32, suppressed: T.bool },
  { path: ["pallet_staking", "Nominations"] },
);
export const ActiveEraInfo = T.struct(
  { index: T.u32, start: T.option(T.u64) },
  { path: ["pallet_staking", "ActiveEraInfo"] },
);
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
export const EraRewardPoints = T.struct(
  { total: T.u32, individual: PointsMap },
  { path: ["pallet_staking", "EraRewardPoints"], params: [{ name: "AccountId", type: AccountId }] },
);

export const EMPTY_EXPOSURE: ExposureValue = { total: 0n, own: 0n, others: [] };
export const DEFAULT_PREFS: ValidatorPrefsValue = { commission: 0, blocked: false };
