/**
 * Chain specs in Substrate's JSON shape: `name`, `id`, `chainType`, `bootNodes`, `properties`, and a
 * genesis given either as runtime config (human-readable) or raw storage (`--raw`).
 */
import { readFileSync } from "node:fs";
import { keypairFromSuri, ss58Decode, ss58Encode } from "../primitives/crypto/index.js";
import { TensorchainError } from "../primitives/errors.js";
import { fromHex, isHex, toHex } from "../primitives/hex.js";
import { buildGenesisStorage, constants, type GenesisConfig } from "../runtime/index.js";

export type ChainType = "Development" | "Local" | "Live";

export interface RuntimeGenesisConfig {
  balances: { balances: [string, string | number][] };
  sudo?: { key: string | null };
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

export function devAddress(name: string): string {
  return ss58Encode(keypairFromSuri(`//${name}`).publicKey);
}

function properties(): ChainSpec["properties"] {
  return {
    tokenSymbol: constants.TOKEN_SYMBOL,
    tokenDecimals: constants.TOKEN_DECIMALS,
    ss58Format: constants.SS58_PREFIX,
  };
}

function testnetSpec(name: string, id: string, chainType: ChainType): ChainSpec {
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
          sudo: { key: devAddress("Alice") },
        },
      },
    },
  };
}

export const BUILTIN_SPECS: Record<string, () => ChainSpec> = {
  dev: () => testnetSpec("Development", "dev", "Development"),
  local: () => testnetSpec("Local Testnet", "local_testnet", "Local"),
};

/** `--chain dev|local|<path to a JSON spec>` */
export function loadChainSpec(chain: string): ChainSpec {
  const builtin = BUILTIN_SPECS[chain];
  if (builtin) return builtin();
  if (!chain.endsWith(".json"))
    throw new ChainSpecError(
      { code: "CHAIN_SPEC_ERROR_UNKNOWN", name: chain },
      `Unknown chain "${chain}": use dev, local or a path to a chain spec JSON file`,
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

function validateSpec(spec: ChainSpec): void {
  if (typeof spec !== "object" || spec === null) invalid("not an object");
  if (typeof spec.name !== "string" || typeof spec.id !== "string") invalid("name and id must be strings");
  if (!spec.genesis || typeof spec.genesis !== "object") invalid("missing genesis");
  if (!("raw" in spec.genesis) && !("runtimeGenesis" in spec.genesis))
    invalid("genesis must hold runtimeGenesis or raw");
}

/** Turns a spec's human-readable runtime config into the runtime's genesis config. */
export function genesisConfigOf(config: RuntimeGenesisConfig): GenesisConfig {
  const balances = config.balances?.balances;
  if (!Array.isArray(balances)) invalid("balances.balances must be a list of [address, amount]");
  return {
    balances: balances.map(([address, amount]) => {
      try {
        return [ss58Decode(address), BigInt(amount)];
      } catch (err) {
        return invalid(`bad balance entry ${JSON.stringify([address, amount])}: ${(err as Error).message}`);
      }
    }),
    sudoKey: config.sudo?.key ? ss58Decode(config.sudo.key) : undefined,
  };
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
