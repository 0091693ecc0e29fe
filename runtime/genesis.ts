/**
 * Genesis storage: each pallet's genesis config applied to empty state, with its invariants asserted.
 */
import type { SignatureChecker } from "../primitives/crypto/index.js";
import { blake2_256 } from "../primitives/hashing.js";
import { T } from "../primitives/scale/types.js";
import { EXISTENTIAL_DEPOSIT } from "./constants.js";
import { TREASURY_ACCOUNT } from "./executive.js";
import { ensureRuntime } from "./frame/calls.js";
import { Ext } from "./frame/ext.js";
import type { StateBackend } from "./frame/overlay.js";
import { metadataV15 } from "./metadata.js";
import { type BabeGenesisConfig, buildBabeGenesis } from "./pallets/babe.js";
import { buildBalancesGenesis, mint } from "./pallets/balances.js";
import { buildParametersGenesis, knobByName } from "./pallets/parameters/index.js";
import { buildPouwGenesis, type PouwGenesisConfig } from "./pallets/pouw/index.js";
import { buildSessionGenesis } from "./pallets/session.js";
import { buildStakingGenesis, type StakingGenesisConfig } from "./pallets/staking/index.js";
import { Sudo } from "./pallets/sudo.js";
import { accountExists } from "./pallets/system.js";
import { RUNTIME_VERSION } from "./version.js";

export interface GenesisConfig {
  balances: [Uint8Array, bigint][];
  /** The dev chain only: a runtime has the Sudo pallet exactly when its chain has a sudo key. */
  sudoKey?: Uint8Array;
  /**
   * Genesis validators (stash = controller; each stake is reserved from its free balance; session keys
   * registered) and nominators. Without it the chain has no validator set until accounts bond,
   * set keys and validate (and governance sets `staking.validator_count`). Its `validatorCount`,
   * `slashFraction` and `minValidatorBond` are stored as the `staking.*` parameters.
   */
  staking?: StakingGenesisConfig;
  /**
   * Parameters (`knobs.ts`) that differ from their defaults, by qualified name:
   * `{ "jobManager.worker_share_ppm": 850_000, "referenda.decision_period": 20 }`. The `staking.*`
   * knobs that `staking` sets may not be set here as well.
   */
  parameters?: Record<string, number | bigint>;
  /** The slot duration; without it the chain uses `DEFAULT_SLOT_DURATION_MS` (and stores nothing). */
  babe?: BabeGenesisConfig;
  /** The initial PoUW ticket target; without it the chain uses `DEFAULT_DIFFICULTY` (and stores nothing). */
  pouw?: PouwGenesisConfig;
}

export type { GenesisNominator, GenesisValidator, StakingGenesisConfig } from "./pallets/staking/index.js";

const emptyBackend: StateBackend = { get: () => undefined, keys: () => [] };
const noSignatures: SignatureChecker = {
  verify: () => {
    throw new Error("No signatures at genesis");
  },
};

/** `:code`: the well-known key under which a Substrate chain keeps its runtime's Wasm blob. */
export const CODE_KEY: Uint8Array = new TextEncoder().encode(":code");

/**
 * The value under `:code`. This runtime is not a Wasm blob, so what is stored identifies it instead:
 * SCALE `(spec_name: String, spec_version: u32, blake2_256(metadata V15))`. Clients that key runtimes
 * by the hash of `:code` (polkadot-api does) then see it change exactly when the runtime does.
 */
export function runtimeCode(): Uint8Array {
  return Uint8Array.from([
    ...T.str.enc(RUNTIME_VERSION.specName),
    ...T.u32.enc(RUNTIME_VERSION.specVersion),
    ...blake2_256(metadataV15()),
  ]);
}

/** The genesis state as key/value pairs. Throws if the config breaks an invariant. */
export function buildGenesisStorage(config: GenesisConfig): [Uint8Array, Uint8Array][] {
  // Genesis deposits events and asks staking for the first validator sets: the runtime must be linked.
  ensureRuntime();
  const ext = new Ext(emptyBackend, noSignatures);
  buildBalancesGenesis(ext, config.balances);
  // The treasury receives fees; it must exist so that any fee, however small, can be credited.
  if (!accountExists(ext, TREASURY_ACCOUNT)) mint(ext, TREASURY_ACCOUNT, EXISTENTIAL_DEPOSIT);
  if (config.sudoKey) {
    if (!accountExists(ext, config.sudoKey)) throw new Error("Genesis: the sudo key must be an endowed account");
    Sudo.storage.Key.put(ext, config.sudoKey);
  }
  // Staking before session: the session pallet asks staking for the sets of sessions 0 and 1.
  if (config.staking) buildStakingGenesis(ext, config.staking);
  buildSessionGenesis(
    ext,
    (config.staking?.validators ?? []).map((v) => [v.stash, v.keys]),
  );
  if (config.parameters) {
    for (const name of Object.keys(config.parameters)) {
      const knob = knobByName(name);
      if (config.staking && knob?.group === "Staking")
        throw new Error(`Genesis: ${knob.qualified} is set by the staking config`);
    }
    buildParametersGenesis(ext, config.parameters);
  }
  if (config.babe) buildBabeGenesis(ext, config.babe);
  if (config.pouw) buildPouwGenesis(ext, config.pouw);
  // Genesis events are not kept (as in FRAME): the first block starts with none.
  const storage = ext.overlay.drain().filter((e): e is [Uint8Array, Uint8Array] => e[1] !== null);
  storage.push([CODE_KEY, runtimeCode()]);
  return storage;
}

export { T };
