/**
 * # Staking pallet
 *
 * ## Overview
 * Proof-of-stake: accounts bond funds, declare themselves validators (with a commission) or nominate
 * validators; at each era boundary the top `validator_count` validators by backing stake are elected
 * and handed to the session pallet; each era's payout is minted at the era's end and split by reward
 * points (blocks authored) to validators and, after commission, pro rata to their nominators.
 * Offences (see `offences.ts`) slash a governance-set fraction of an offender's exposure, the highest
 * fraction per validator per era only (`slashing.ts`). The knobs `staking.validator_count`,
 * `staking.slash_fraction` and `staking.min_validator_bond` live in the parameters pallet (FRAME keeps
 * them in staking's own storage and sets them with root calls).
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
 * - Election: candidates are validators with `active >= min_validator_bond` and registered session keys,
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

// Importing `calls.js` and `election.js` defines the pallet's calls and hooks.
export {
  chillStash,
  doBond,
  doBondExtra,
  doNominate,
  doUnbond,
  doValidate,
  doWithdrawUnbonded,
} from "./calls.js";
export { elect, notePoint, stakingSessionManager } from "./election.js";
export {
  buildStakingGenesis,
  type GenesisNominator,
  type GenesisValidator,
  type StakingGenesisConfig,
} from "./genesis.js";
export {
  BONDING_DURATION,
  ERA_PAYOUT,
  HISTORY_DEPTH,
  ledger,
  MAX_NOMINATIONS,
  MAX_UNLOCKING_CHUNKS,
  MAX_VALIDATOR_COUNT,
  REWARD_POINTS_PER_BLOCK,
  SESSIONS_PER_ERA,
  Staking,
} from "./pallet.js";
export { eraOfSession, exposureOf, slashFraction, slashStaker, slashValidatorInEra } from "./slashing.js";
export {
  Exposure,
  type ExposureValue,
  mulPerbill,
  PERBILL,
  Perbill,
  RewardDestination,
  type RewardDestinationValue,
  StakingLedger,
  type StakingLedgerValue,
  ValidatorPrefs,
  type ValidatorPrefsValue,
} from "./types.js";
