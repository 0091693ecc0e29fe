/**
 * Chain specs in Substrate's JSON shape: `name`, `id`, `chainType`, `bootNodes`, `properties`, and a
 * genesis given either as runtime config (human-readable) or raw storage (`--raw`).
 *
 * Built-in specs (all endow the six dev accounts):
 * - `dev`: one authority, //Alice, also the one genesis validator (so session and staking run). //Alice
 *   is the sudo key: the dev chain's runtime has the Sudo pallet, and governance periods of minutes.
 * - `local`: two validators, //Alice and //Bob.
 * - `devnet`: four validators, //Alice, //Bob, //Charlie and //Dave, with room for a fifth
 *   (`validatorCount` 5) to join through staking.
 * `local` and `devnet` have no sudo key, so their runtime has no Sudo pallet (`runtimeOptionsOf`): Root
 * is reached only through referenda, whose periods (`parameters`, `REALISTIC_GOVERNANCE`) are hours to a
 * day of 2-second blocks. Tests shorten them by editing the `parameters` section of a spec file.
 * Each genesis validator's stash is its sr25519 dev account, bonding `GENESIS_VALIDATOR_STAKE`, with
 * session keys babe = sr25519 `//Name` and grandpa = ed25519 `//Name`.
 *
 * Each built-in spec writes its slot duration, `babe.slotDurationMs` (2000 ms), into genesis; a spec file
 * may set another (tests and fast devnets use short slots; see `runtime/pallets/babe.ts`).
 *
 * Devnet node keys are deterministic (`devNodeKey`), so bootnode addresses can be written down
 * (docker-compose.yml, `tensorchain devnet`). Never use them on a live network.
 */
import { readFileSync } from "node:fs";
import { devNodeKey as nodeKeyFromSeed, peerIdFromNodeKey } from "../p2p/index.js";
import { keypairFromSuri, ss58Decode, ss58Encode } from "../primitives/crypto/index.js";
import { TensorchainError } from "../primitives/errors.js";
import { fromHex, isHex, toHex } from "../primitives/hex.js";
import { buildGenesisStorage, constants, type GenesisConfig, type RuntimeOptions } from "../runtime/index.js";
import { DEFAULT_SLOT_DURATION_MS as RUNTIME_DEFAULT_SLOT_DURATION_MS } from "../runtime/pallets/babe.js";
import { knobByName } from "../runtime/pallets/parameters/index.js";
import { Sudo } from "../runtime/pallets/sudo.js";

export type ChainType = "Development" | "Local" | "Live";

/** A genesis validator in a JSON spec. */
export interface StakingValidatorSpec {
  /** SS58 address of the stash (also its controller); it must be endowed. */
  stash: string;
  /** The bonded amount in planck, as a decimal string (or a safe integer). */
  stake: string | number;
  /** sr25519 block-production key: SS58 or 0x-hex. */
  babe: string;
  /** ed25519 finality key: 0x-hex or SS58. */
  grandpa: string;
  /** Commission in perbill parts (0..=1_000_000_000); 0 if absent. */
  commission?: number;
}

export interface StakingNominatorSpec {
  stash: string;
  stake: string | number;
  targets: string[];
}

/** The staking section of a JSON spec: the genesis validator set and its election parameters. */
export interface StakingGenesisSpec {
  /** How many validators each era elects (may exceed the genesis set, so that others can join). */
  validatorCount: number;
  minimumValidatorCount?: number;
  minValidatorBond?: string | number;
  minNominatorBond?: string | number;
  /** Perbill parts slashed per offence. */
  slashFraction?: number;
  validators: StakingValidatorSpec[];
  nominators?: StakingNominatorSpec[];
}

/** The BABE section of a JSON spec. */
export interface BabeGenesisSpec {
  /** Slot duration in milliseconds (at least the runtime's `MIN_SLOT_DURATION_MS`, 10); half of it is the least gap between block timestamps. */
  slotDurationMs: number;
}

/** The PoUW section of a JSON spec. */
export interface PouwGenesisSpec {
  /** The initial ticket target, a decimal or 0x-hex string in 1..2^256-1 (a ticket is valid below it). */
  difficulty: string;
}

export interface RuntimeGenesisConfig {
  balances: { balances: [string, string | number][] };
  babe?: BabeGenesisSpec;
  pouw?: PouwGenesisSpec;
  /** The dev chain only: with a key, the chain runs the runtime with the Sudo pallet. */
  sudo?: { key: string | null };
  staking?: StakingGenesisSpec;
  /**
   * Parameters that differ from their defaults, by qualified name (`tensorchain params` lists them):
   * `{ "referenda.decision_period": 43200, "jobManager.min_worker_stake": "1000000000000" }`. Amounts
   * may be decimal strings (JSON numbers lose precision beyond 2^53).
   */
  parameters?: Record<string, number | string>;
}

export interface ChainSpec {
  name: string;
  id: string;
  chainType: ChainType;
  bootNodes: string[];
  telemetryEndpoints: null;
  protocolId: string;
  properties: { tokenSymbol: string; tokenDecimals: number; ss58Format: number };
  codeSubstitutes: Record<string, never>;
  genesis:
    | { runtimeGenesis: { config: RuntimeGenesisConfig } }
    | { raw: { top: Record<string, string>; childrenDefault: Record<string, never> } };
}

export type ChainSpecErrorType =
  | { code: "CHAIN_SPEC_ERROR_UNKNOWN"; name: string }
  | { code: "CHAIN_SPEC_ERROR_READ"; path: string; reason: string }
  | { code: "CHAIN_SPEC_ERROR_INVALID"; reason: string };
export class ChainSpecError extends TensorchainError<ChainSpecErrorType> {}

export const DEV_ACCOUNTS = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];
/** 2^60 planck (about 1.15 million TRAIN) for each dev account. */
export const DEV_ENDOWMENT = 1n << 60n;
/** What each genesis validator bonds: 100,000 TRAIN. */
export const GENESIS_VALIDATOR_STAKE = 100_000n * constants.UNITS;
/**
 * The validators of the `devnet` spec (node i of `tensorchain devnet` and docker-compose runs the i-th). The
 * authority order is the staking election's, not this one.
 */
export const DEVNET_VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"] as const;
/** The devnet elects up to this many validators, so that a fifth can join by bonding and validating. */
export const DEVNET_VALIDATOR_COUNT = 5;
/** The slot duration of the built-in specs, in milliseconds: the runtime's default. */
export const DEFAULT_SLOT_DURATION_MS = Number(RUNTIME_DEFAULT_SLOT_DURATION_MS);

export function devAddress(name: string): string {
  return ss58Encode(keypairFromSuri(`//${name}`).publicKey);
}

/** A dev account as a genesis validator: stash //Name (sr25519), babe //Name (sr25519), grandpa //Name (ed25519). */
export function devValidator(name: string, stake: bigint = GENESIS_VALIDATOR_STAKE): StakingValidatorSpec {
  return {
    stash: devAddress(name),
    stake: stake.toString(),
    babe: devAddress(name),
    grandpa: toHex(keypairFromSuri(`//${name}`, "ed25519").publicKey),
  };
}

/**
 * The libp2p node key (ed25519 secret) of a devnet node: `blake2_256(utf8("tensorchain-devnet-node-key/" + name))`.
 * Public knowledge: for dev and test networks only.
 */
export function devNodeKey(name: string): Uint8Array {
  return nodeKeyFromSeed(`tensorchain-devnet-node-key/${name}`);
}

/** The peer id (`12D3KooW…`) of `devNodeKey(name)`. */
export async function devPeerId(name: string): Promise<string> {
  return (await peerIdFromNodeKey(devNodeKey(name))).toString();
}

function properties(): ChainSpec["properties"] {
  return {
    tokenSymbol: constants.TOKEN_SYMBOL,
    tokenDecimals: constants.TOKEN_DECIMALS,
    ss58Format: constants.SS58_PREFIX,
  };
}

/**
 * Governance on `local` and `devnet`, in 2-second blocks: 5 minutes of preparation, a day to decide, half
 * an hour of confirmation and of enactment delay, a day per conviction lock period.
 */
export const REALISTIC_GOVERNANCE: Record<string, number> = {
  "referenda.prepare_period": 150,
  "referenda.decision_period": 43_200,
  "referenda.confirm_period": 900,
  "referenda.min_enactment_period": 900,
  "referenda.undeciding_timeout": 302_400,
  "convictionVoting.vote_locking_period": 43_200,
};

/** Governance on `dev`: minutes, so that a referendum can be tried out by hand. */
export const DEV_GOVERNANCE: Record<string, number> = {
  "referenda.prepare_period": 5,
  "referenda.decision_period": 50,
  "referenda.confirm_period": 5,
  "referenda.min_enactment_period": 5,
  "referenda.undeciding_timeout": 300,
  "convictionVoting.vote_locking_period": 50,
};

function testnetSpec(
  name: string,
  id: string,
  chainType: ChainType,
  validators: readonly string[],
  validatorCount: number,
): ChainSpec {
  const dev = chainType === "Development";
  return {
    name,
    id,
    chainType,
    bootNodes: [],
    telemetryEndpoints: null,
    protocolId: "tc",
    properties: properties(),
    codeSubstitutes: {},
    genesis: {
      runtimeGenesis: {
        config: {
          balances: { balances: DEV_ACCOUNTS.map((n) => [devAddress(n), DEV_ENDOWMENT.toString()]) },
          babe: { slotDurationMs: DEFAULT_SLOT_DURATION_MS },
          ...(dev && { sudo: { key: devAddress("Alice") } }),
          staking: { validatorCount, validators: validators.map((v) => devValidator(v)) },
          parameters: { ...(dev ? DEV_GOVERNANCE : REALISTIC_GOVERNANCE) },
        },
      },
    },
  };
}

export const BUILTIN_SPECS: Record<string, () => ChainSpec> = {
  dev: () => testnetSpec("Development", "dev", "Development", ["Alice"], 1),
  local: () => testnetSpec("Local Testnet", "local_testnet", "Local", ["Alice", "Bob"], 2),
  devnet: () => testnetSpec("Tensorchain Devnet", "devnet", "Local", DEVNET_VALIDATORS, DEVNET_VALIDATOR_COUNT),
};

/** `--chain dev|local|devnet|<path to a JSON spec>` */
export function loadChainSpec(chain: string): ChainSpec {
  const builtin = BUILTIN_SPECS[chain];
  if (builtin) return builtin();
  if (!chain.endsWith(".json"))
    throw new ChainSpecError(
      { code: "CHAIN_SPEC_ERROR_UNKNOWN", name: chain },
      `Unknown chain "${chain}": use dev, local, devnet or a path to a chain spec JSON file`,
    );
  let raw: string;
  try {
    raw = readFileSync(chain, "utf8");
  } catch (err) {
    throw new ChainSpecError(
      { code: "CHAIN_SPEC_ERROR_READ", path: chain, reason: (err as Error).message },
      `Cannot read chain spec ${chain}: ${(err as Error).message}`,
    );
  }
  let spec: ChainSpec;
  try {
    spec = JSON.parse(raw) as ChainSpec;
  } catch (err) {
    throw new ChainSpecError(
      { code: "CHAIN_SPEC_ERROR_INVALID", reason: (err as Error).message },
      `Chain spec ${chain} is not valid JSON: ${(err as Error).message}`,
    );
  }
  validateSpec(spec);
  return spec;
}

function invalid(reason: string): never {
  throw new ChainSpecError({ code: "CHAIN_SPEC_ERROR_INVALID", reason }, `Invalid chain spec: ${reason}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validateSpec(spec: ChainSpec): void {
  if (!isObject(spec)) invalid("not an object");
  if (typeof spec.name !== "string" || typeof spec.id !== "string") invalid("name and id must be strings");
  if (!isObject(spec.genesis)) invalid("missing genesis");
  if ("raw" in spec.genesis) {
    if (!isObject(spec.genesis.raw) || !isObject(spec.genesis.raw.top)) invalid("genesis.raw.top must be an object");
  } else if ("runtimeGenesis" in spec.genesis) {
    if (!isObject(spec.genesis.runtimeGenesis) || !isObject(spec.genesis.runtimeGenesis.config))
      invalid("genesis.runtimeGenesis.config must be an object");
  } else invalid("genesis must hold runtimeGenesis or raw");
  if (
    spec.bootNodes !== undefined &&
    !(Array.isArray(spec.bootNodes) && spec.bootNodes.every((b) => typeof b === "string"))
  )
    invalid("bootNodes must be a list of multiaddr strings");
}

/** An account from its SS58 address. */
function account(what: string, address: unknown): Uint8Array {
  try {
    return ss58Decode(address as string);
  } catch (err) {
    return invalid(`${what}: ${JSON.stringify(address)} is not an SS58 address (${(err as Error).message})`);
  }
}

/** A 32-byte public key given as 0x-hex or SS58. */
function publicKey(what: string, value: unknown): Uint8Array {
  if (typeof value === "string" && value.startsWith("0x")) {
    if (!isHex(value) || value.length !== 66) invalid(`${what}: ${JSON.stringify(value)} is not 32 bytes of hex`);
    return fromHex(value);
  }
  return account(what, value);
}

/**
 * A non-negative amount in planck: a decimal or 0x-hex string, or a safe integer (JSON numbers beyond
 * 2^53 have already lost precision when parsed, so they are refused rather than rounded).
 */
function amount(what: string, value: unknown): bigint {
  const ok =
    (typeof value === "string" && /^(?:[0-9]+|0x[0-9a-fA-F]+)$/.test(value)) ||
    (typeof value === "number" && Number.isSafeInteger(value) && value >= 0);
  if (!ok) invalid(`${what}: ${JSON.stringify(value)} is not a non-negative integer amount`);
  return BigInt(value as string | number);
}

function optionalAmount(what: string, value: unknown): bigint | undefined {
  return value === undefined ? undefined : amount(what, value);
}

function integer(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    invalid(`${what}: ${JSON.stringify(value)} is not a non-negative integer`);
  return value as number;
}

function optionalInteger(what: string, value: unknown): number | undefined {
  return value === undefined ? undefined : integer(what, value);
}

function stakingConfigOf(staking: unknown): NonNullable<GenesisConfig["staking"]> {
  if (!isObject(staking)) return invalid("staking must be an object");
  const validators = staking.validators;
  const nominators = staking.nominators ?? [];
  if (!Array.isArray(validators)) invalid("staking.validators must be a list");
  if (!Array.isArray(nominators)) invalid("staking.nominators must be a list");
  return {
    validatorCount: integer("staking.validatorCount", staking.validatorCount),
    minimumValidatorCount: optionalInteger("staking.minimumValidatorCount", staking.minimumValidatorCount),
    minValidatorBond: optionalAmount("staking.minValidatorBond", staking.minValidatorBond),
    minNominatorBond: optionalAmount("staking.minNominatorBond", staking.minNominatorBond),
    slashFraction: optionalInteger("staking.slashFraction", staking.slashFraction),
    validators: (validators as unknown[]).map((v, i) => {
      const at = `staking.validators[${i}]`;
      if (!isObject(v)) return invalid(`${at} must be an object`);
      return {
        stash: account(`${at}.stash`, v.stash),
        stake: amount(`${at}.stake`, v.stake),
        keys: { babe: publicKey(`${at}.babe`, v.babe), grandpa: publicKey(`${at}.grandpa`, v.grandpa) },
        commission: optionalInteger(`${at}.commission`, v.commission),
      };
    }),
    nominators: (nominators as unknown[]).map((n, i) => {
      const at = `staking.nominators[${i}]`;
      if (!isObject(n)) return invalid(`${at} must be an object`);
      if (!Array.isArray(n.targets)) return invalid(`${at}.targets must be a list`);
      return {
        stash: account(`${at}.stash`, n.stash),
        stake: amount(`${at}.stake`, n.stake),
        targets: n.targets.map((t, j) => account(`${at}.targets[${j}]`, t)),
      };
    }),
  };
}

function parametersOf(parameters: unknown): Record<string, number | bigint> {
  if (!isObject(parameters)) return invalid("parameters must be an object of name: value");
  const out: Record<string, number | bigint> = {};
  for (const [name, value] of Object.entries(parameters)) {
    const knob = knobByName(name);
    if (!knob) invalid(`parameters: unknown parameter ${JSON.stringify(name)} (see tensorchain params)`);
    out[knob!.qualified] =
      typeof knob!.defaultValue === "bigint"
        ? amount(`parameters.${name}`, value)
        : integer(`parameters.${name}`, value);
  }
  return out;
}

function babeConfigOf(babe: unknown): NonNullable<GenesisConfig["babe"]> {
  if (!isObject(babe)) return invalid("babe must be an object");
  // The genesis builder refuses one below the runtime's minimum.
  return { slotDurationMs: BigInt(integer("babe.slotDurationMs", babe.slotDurationMs)) };
}

function pouwConfigOf(pouw: unknown): NonNullable<GenesisConfig["pouw"]> {
  if (!isObject(pouw)) return invalid("pouw must be an object");
  // The genesis builder refuses a target outside 1..2^256-1.
  return { difficulty: amount("pouw.difficulty", pouw.difficulty) };
}

/** Turns a spec's human-readable runtime config into the runtime's genesis config. */
export function genesisConfigOf(config: RuntimeGenesisConfig): GenesisConfig {
  if (!isObject(config)) invalid("the runtime genesis config must be an object");
  const balances = config.balances?.balances;
  if (!Array.isArray(balances)) invalid("balances.balances must be a list of [address, amount]");
  return {
    balances: balances.map((entry, i) => {
      if (!Array.isArray(entry) || entry.length !== 2)
        return invalid(`balances.balances[${i}] must be [address, amount], got ${JSON.stringify(entry)}`);
      return [account(`balances.balances[${i}]`, entry[0]), amount(`balances.balances[${i}]`, entry[1])];
    }),
    sudoKey: config.sudo?.key ? account("sudo.key", config.sudo.key) : undefined,
    staking: config.staking === undefined ? undefined : stakingConfigOf(config.staking),
    babe: config.babe === undefined ? undefined : babeConfigOf(config.babe),
    pouw: config.pouw === undefined ? undefined : pouwConfigOf(config.pouw),
    parameters: config.parameters === undefined ? undefined : parametersOf(config.parameters),
  };
}

/**
 * Which runtime a chain runs: the one with the Sudo pallet exactly when its genesis has a sudo key (in
 * the config, or in raw storage as `Sudo.Key`). The node builds it before anything else.
 */
export function runtimeOptionsOf(spec: ChainSpec): RuntimeOptions {
  if ("raw" in spec.genesis) return { sudo: toHex(Sudo.storage.Key.key) in spec.genesis.raw.top };
  return { sudo: Boolean(spec.genesis.runtimeGenesis.config.sudo?.key) };
}

/** The genesis storage of a spec, raw or built from its config. */
export function genesisStorageOf(spec: ChainSpec): [Uint8Array, Uint8Array][] {
  if ("raw" in spec.genesis) {
    return Object.entries(spec.genesis.raw.top).map(([k, v]) => {
      if (!isHex(k) || !isHex(v)) invalid(`raw storage entry ${k} is not hex`);
      return [fromHex(k), fromHex(v)];
    });
  }
  try {
    return buildGenesisStorage(genesisConfigOf(spec.genesis.runtimeGenesis.config));
  } catch (err) {
    if (err instanceof ChainSpecError) throw err;
    return invalid((err as Error).message);
  }
}

/** `build-spec --raw`: the same spec with its genesis as raw storage. */
export function toRawSpec(spec: ChainSpec): ChainSpec {
  const top: Record<string, string> = {};
  for (const [k, v] of genesisStorageOf(spec).sort((a, b) => Buffer.compare(a[0], b[0]))) top[toHex(k)] = toHex(v);
  return { ...spec, genesis: { raw: { top, childrenDefault: {} } } };
}
