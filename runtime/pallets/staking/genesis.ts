/** The staking pallet's genesis: the validators and nominators bonded in the first block's state. */
import { EXISTENTIAL_DEPOSIT } from "../../constants.js";
import type { Ext } from "../../frame/ext.js";
import { freeBalance } from "../balances.js";
import { buildParametersGenesis } from "../parameters/index.js";
import { doBond, doNominate, doValidate } from "./calls.js";
import { hexOf, MAX_VALIDATOR_COUNT, Staking, same } from "./pallet.js";
import { PERBILL } from "./types.js";

const S = Staking.storage;

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
  // Three of these are knobs of the parameters pallet (`staking.*`); genesis stores them there.
  buildParametersGenesis(ext, {
    "staking.validator_count": config.validatorCount,
    "staking.min_validator_bond": minValidatorBond,
    "staking.slash_fraction": slash,
  });
  S.MinimumValidatorCount.put(ext, config.minimumValidatorCount ?? 1);
  S.MinNominatorBond.put(ext, config.minNominatorBond ?? 0n);
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
