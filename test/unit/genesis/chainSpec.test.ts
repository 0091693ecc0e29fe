import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { base58Encode, ed25519PairFromSeed } from "@polkadot/util-crypto";
import {
  BUILTIN_SPECS,
  type ChainSpec,
  ChainSpecError,
  DEFAULT_SLOT_DURATION_MS,
  DEV_GOVERNANCE,
  DEVNET_VALIDATOR_COUNT,
  DEVNET_VALIDATORS,
  devAddress,
  devNodeKey,
  devPeerId,
  GENESIS_VALIDATOR_STAKE,
  genesisStorageOf,
  loadChainSpec,
  REALISTIC_GOVERNANCE,
  type RuntimeGenesisConfig,
  runtimeOptionsOf,
  toRawSpec,
} from "../../../genesis/chainSpec.js";
import { trieBackend } from "../../../node/chain/chain.js";
import { defaultSignatureChecker, keypairFromSuri, ss58Decode } from "../../../primitives/crypto/index.js";
import { blake2_256, cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { Trie } from "../../../primitives/trie/index.js";
import { Ext } from "../../../runtime/index.js";
import { Babe, slotDuration } from "../../../runtime/pallets/babe.js";
import { param, REFERENDA, STAKING } from "../../../runtime/pallets/parameters/index.js";
import { DEFAULT_DIFFICULTY, difficulty, PoUW } from "../../../runtime/pallets/pouw/index.js";
import { currentAuthorities, nextAuthorities } from "../../../runtime/pallets/session.js";
import { Sudo } from "../../../runtime/pallets/sudo.js";
import { minimumPeriod } from "../../../runtime/pallets/timestamp.js";

let dir: string;
beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tc-chainspec-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stateOf(spec: ChainSpec): Ext {
  return new Ext(trieBackend(Trie.fromEntries(genesisStorageOf(spec))), defaultSignatureChecker);
}

function configOf(spec: ChainSpec): RuntimeGenesisConfig {
  if (!("runtimeGenesis" in spec.genesis)) throw new Error("expected a runtime genesis");
  return spec.genesis.runtimeGenesis.config;
}

const sorted = (entries: [Uint8Array, Uint8Array][]) =>
  entries.map(([k, v]) => [toHex(k), toHex(v)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** The ChainSpecError code of `fn`, with its message. */
function specError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChainSpecError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a ChainSpecError");
}

/** A copy of the devnet spec with its runtime config edited by `edit`. */
function editedDevnet(edit: (config: RuntimeGenesisConfig) => void): ChainSpec {
  const spec = JSON.parse(JSON.stringify(BUILTIN_SPECS.devnet())) as ChainSpec;
  edit(configOf(spec));
  return spec;
}

const EXPECTED = {
  dev: { id: "dev", chainType: "Development", validators: ["Alice"], validatorCount: 1 },
  local: { id: "local_testnet", chainType: "Local", validators: ["Alice", "Bob"], validatorCount: 2 },
  devnet: { id: "devnet", chainType: "Local", validators: ["Alice", "Bob", "Charlie", "Dave"], validatorCount: 5 },
} as const;

describe("built-in chain specs", () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: ${want.validators.length} genesis validator(s) with their dev keys, sudo //Alice on dev only`, () => {
      const spec = loadChainSpec(name);
      expect(spec).toMatchObject({ id: want.id, chainType: want.chainType, protocolId: "tc" });
      expect(spec.properties).toEqual({ tokenSymbol: "TRAIN", tokenDecimals: 12, ss58Format: 42 });
      const config = configOf(spec);
      const dev = name === "dev";
      expect(config.sudo).toEqual(dev ? { key: devAddress("Alice") } : undefined);
      expect(runtimeOptionsOf(spec)).toEqual({ sudo: dev });
      expect(runtimeOptionsOf(toRawSpec(spec))).toEqual({ sudo: dev });
      expect(config.parameters).toEqual(dev ? DEV_GOVERNANCE : REALISTIC_GOVERNANCE);
      // Human-readable staking section.
      expect(config.staking).toEqual({
        validatorCount: want.validatorCount,
        validators: want.validators.map((v) => ({
          stash: devAddress(v),
          stake: GENESIS_VALIDATOR_STAKE.toString(),
          babe: devAddress(v),
          grandpa: toHex(keypairFromSuri(`//${v}`, "ed25519").publicKey),
        })),
      });
      // And what the runtime made of it.
      const ext = stateOf(spec);
      // The election orders the set (equal stakes: by account), not the spec: compare as sets.
      const auths = currentAuthorities(ext);
      const set = (xs: string[]) => [...xs].sort();
      expect(set(auths.map((a) => toHex(a.account)))).toEqual(
        set(want.validators.map((v) => toHex(ss58Decode(devAddress(v))))),
      );
      for (const v of want.validators) {
        const a = auths.find((x) => toHex(x.account) === toHex(ss58Decode(devAddress(v))))!;
        expect(toHex(a.babe)).toBe(toHex(keypairFromSuri(`//${v}`).publicKey));
        expect(toHex(a.grandpa)).toBe(toHex(keypairFromSuri(`//${v}`, "ed25519").publicKey));
      }
      expect(auths.every((a) => a.weight === GENESIS_VALIDATOR_STAKE)).toBe(true);
      expect(nextAuthorities(ext).length).toBe(want.validators.length);
      expect(param(ext, STAKING.validator_count)).toBe(want.validatorCount);
      expect(param(ext, REFERENDA.decision_period)).toBe(
        (dev ? DEV_GOVERNANCE : REALISTIC_GOVERNANCE)["referenda.decision_period"],
      );
      const key = Sudo.storage.Key.get(ext);
      expect(key && toHex(key)).toBe(dev ? toHex(keypairFromSuri("//Alice").publicKey) : undefined);
    });
  }

  it("devnet's validators are the exported DEVNET_VALIDATORS, with room for a fifth", () => {
    expect([...DEVNET_VALIDATORS]).toEqual(["Alice", "Bob", "Charlie", "Dave"]);
    expect(DEVNET_VALIDATOR_COUNT).toBe(5);
  });

  it("gives the three chains three different genesis states", () => {
    const roots = Object.keys(EXPECTED).map((n) => toHex(Trie.fromEntries(genesisStorageOf(loadChainSpec(n))).root));
    expect(new Set(roots).size).toBe(3);
  });
});

describe("slot duration", () => {
  it("is 2000 ms in every built-in spec, written to genesis as Babe.SlotDuration", () => {
    for (const make of Object.values(BUILTIN_SPECS)) {
      expect(configOf(make()).babe).toEqual({ slotDurationMs: DEFAULT_SLOT_DURATION_MS });
      expect(slotDuration(stateOf(make()))).toBe(2000n);
      expect(minimumPeriod(stateOf(make()))).toBe(1000n);
    }
  });

  it("comes from the spec: 250 ms gives a 125 ms minimum period, and a different genesis", () => {
    const fast = editedDevnet((c) => {
      c.babe = { slotDurationMs: 250 };
    });
    expect(slotDuration(stateOf(fast))).toBe(250n);
    expect(minimumPeriod(stateOf(fast))).toBe(125n);
    expect(sorted(genesisStorageOf(fast))).not.toEqual(sorted(genesisStorageOf(BUILTIN_SPECS.devnet())));
    // ...and survives build-spec --raw.
    expect(slotDuration(stateOf(toRawSpec(fast)))).toBe(250n);
  });

  it("defaults to the runtime's 2000 ms when a spec leaves it out (nothing stored)", () => {
    const old = editedDevnet((c) => {
      delete c.babe;
    });
    expect(genesisStorageOf(old).some(([k]) => toHex(k) === toHex(Babe.storage.SlotDuration.key))).toBe(false);
    expect(slotDuration(stateOf(old))).toBe(2000n);
  });
});

describe("PoUW difficulty", () => {
  it("comes from the spec's pouw.difficulty (decimal or 0x-hex), and survives build-spec --raw", () => {
    const hard = editedDevnet((c) => {
      c.pouw = { difficulty: "0x0100000000000000000000000000000000000000000000000000000000000000" };
    });
    expect(difficulty(stateOf(hard))).toBe(1n << 248n);
    expect(difficulty(stateOf(toRawSpec(hard)))).toBe(1n << 248n);
    const decimal = editedDevnet((c) => {
      c.pouw = { difficulty: "12345" };
    });
    expect(difficulty(stateOf(decimal))).toBe(12_345n);
  });

  it("defaults to the runtime's when a spec leaves it out (nothing stored)", () => {
    const spec = BUILTIN_SPECS.devnet();
    expect(genesisStorageOf(spec).some(([k]) => toHex(k) === toHex(PoUW.storage.Difficulty.key))).toBe(false);
    expect(difficulty(stateOf(spec))).toBe(DEFAULT_DIFFICULTY);
  });
});

describe("raw chain specs", () => {
  for (const name of Object.keys(EXPECTED)) {
    it(`${name}: build-spec --raw round-trips to the same genesis storage, through JSON and a file`, () => {
      const spec = loadChainSpec(name);
      const raw = toRawSpec(spec);
      expect("raw" in raw.genesis).toBe(true);
      expect(sorted(genesisStorageOf(raw))).toEqual(sorted(genesisStorageOf(spec)));
      const file = join(dir, `${name}-raw.json`);
      writeFileSync(file, JSON.stringify(raw, null, 2));
      const loaded = loadChainSpec(file);
      expect(sorted(genesisStorageOf(loaded))).toEqual(sorted(genesisStorageOf(spec)));
      // Raw of raw is the same raw.
      expect(toRawSpec(loaded)).toEqual(raw);
    });
  }

  it("a human-readable spec file gives the built-in genesis", () => {
    const file = join(dir, "devnet.json");
    writeFileSync(file, JSON.stringify(BUILTIN_SPECS.devnet(), null, 2));
    expect(sorted(genesisStorageOf(loadChainSpec(file)))).toEqual(sorted(genesisStorageOf(BUILTIN_SPECS.devnet())));
  });
});

describe("invalid chain specs give typed errors", () => {
  const cases: [string, (c: RuntimeGenesisConfig) => void, RegExp][] = [
    [
      "a stash that is not SS58",
      (c) => {
        c.staking!.validators[0].stash = "nope";
      },
      /validators\[0\]\.stash/,
    ],
    [
      "a grandpa key of 31 bytes",
      (c) => {
        c.staking!.validators[1].grandpa = `0x${"11".repeat(31)}`;
      },
      /grandpa/,
    ],
    [
      "a negative stake",
      (c) => {
        c.staking!.validators[0].stake = "-5";
      },
      /validators\[0\]\.stake/,
    ],
    [
      "a fractional stake",
      (c) => {
        c.staking!.validators[0].stake = 1.5;
      },
      /validators\[0\]\.stake/,
    ],
    [
      "a stake above 2^53 as a JSON number",
      (c) => {
        c.staking!.validators[0].stake = 2 ** 60;
      },
      /stake/,
    ],
    [
      "validators that are not a list",
      (c) => {
        (c.staking as unknown as Record<string, unknown>).validators = {};
      },
      /staking\.validators/,
    ],
    [
      "validatorCount 0",
      (c) => {
        c.staking!.validatorCount = 0;
      },
      /validatorCount/,
    ],
    [
      "a stake larger than the balance",
      (c) => {
        c.staking!.validators[0].stake = (1n << 62n).toString();
      },
      /free balance/,
    ],
    ["one validator twice", (c) => c.staking!.validators.push({ ...c.staking!.validators[0] }), /twice/],
    [
      "a validator that is not endowed",
      (c) => {
        c.balances.balances = c.balances.balances.filter(([a]) => a !== devAddress("Dave"));
      },
      /free balance|does not exist/,
    ],
    [
      "a balance entry that is not a pair",
      (c) => {
        c.balances.balances[0] = ["x"] as never;
      },
      /balances\[0\]/,
    ],
    [
      "a slot duration below the runtime's minimum",
      (c) => {
        c.babe = { slotDurationMs: 5 };
      },
      /slot duration/,
    ],
    [
      "a PoUW difficulty of zero",
      (c) => {
        c.pouw = { difficulty: "0" };
      },
      /difficulty/,
    ],
    [
      "a PoUW difficulty that is not an integer",
      (c) => {
        c.pouw = { difficulty: "easy" };
      },
      /pouw\.difficulty/,
    ],
    [
      "a slot duration that is not an integer",
      (c) => {
        c.babe = { slotDurationMs: 250.5 };
      },
      /babe\.slotDurationMs/,
    ],
    [
      "an unknown parameter",
      (c) => {
        c.parameters = { "referenda.nope": 1 };
      },
      /unknown parameter/,
    ],
    [
      "a parameter out of its range",
      (c) => {
        c.parameters = { "referenda.decision_period": 0 };
      },
      /referenda\.decision_period/,
    ],
    [
      "parameters breaking a rule between them",
      (c) => {
        c.parameters = { "jobManager.worker_share_ppm": 900_000 };
      },
      /worker_share_ppm \+ evaluator_share_ppm/,
    ],
    [
      "a staking parameter also set by the staking section",
      (c) => {
        c.parameters = { "staking.validator_count": 3 };
      },
      /staking config/,
    ],
    [
      "a sudo key that is not SS58",
      (c) => {
        c.sudo = { key: "0x00" };
      },
      /sudo\.key/,
    ],
  ];
  for (const [what, edit, message] of cases) {
    it(what, () => {
      const e = specError(() => genesisStorageOf(editedDevnet(edit)));
      expect(e.code).toBe("CHAIN_SPEC_ERROR_INVALID");
      expect(e.message).toMatch(message);
    });
  }

  it("unknown names, unreadable or malformed files", () => {
    expect(specError(() => loadChainSpec("nope")).code).toBe("CHAIN_SPEC_ERROR_UNKNOWN");
    expect(specError(() => loadChainSpec(join(dir, "missing.json"))).code).toBe("CHAIN_SPEC_ERROR_READ");
    const write = (name: string, body: string) => {
      const file = join(dir, name);
      writeFileSync(file, body);
      return file;
    };
    expect(specError(() => loadChainSpec(write("broken.json", "{ not json"))).code).toBe("CHAIN_SPEC_ERROR_INVALID");
    expect(specError(() => loadChainSpec(write("array.json", "[]"))).code).toBe("CHAIN_SPEC_ERROR_INVALID");
    const noGenesis = { ...BUILTIN_SPECS.dev(), genesis: {} };
    expect(specError(() => loadChainSpec(write("nogenesis.json", JSON.stringify(noGenesis)))).message).toMatch(
      /runtimeGenesis or raw/,
    );
    const badRaw = { ...BUILTIN_SPECS.dev(), genesis: { raw: { top: { "0x00": "zz" }, childrenDefault: {} } } };
    const file = write("badraw.json", JSON.stringify(badRaw));
    expect(specError(() => genesisStorageOf(loadChainSpec(file))).message).toMatch(/not hex/);
    const badBoot = { ...BUILTIN_SPECS.dev(), bootNodes: [1] };
    expect(specError(() => loadChainSpec(write("badboot.json", JSON.stringify(badBoot)))).message).toMatch(/bootNodes/);
  });
});

/** The libp2p peer id of an ed25519 public key, built by hand: identity multihash of the protobuf key. */
function peerIdByHand(publicKey: Uint8Array): string {
  const protobufKey = new Uint8Array([0x08, 0x01, 0x12, 0x20, ...publicKey]);
  return base58Encode(new Uint8Array([0x00, protobufKey.length, ...protobufKey]));
}

describe("devnet node keys", () => {
  it('are blake2_256(utf8("tensorchain-devnet-node-key/" + name)), distinct per node', () => {
    for (const name of DEVNET_VALIDATORS)
      expect(devNodeKey(name)).toEqual(blake2_256(new TextEncoder().encode(`tensorchain-devnet-node-key/${name}`)));
    expect(new Set(DEVNET_VALIDATORS.map((n) => toHex(devNodeKey(n)))).size).toBe(4);
  });

  it("give stable peer ids (pinned; a change here breaks every devnet bootnode address)", async () => {
    const ids: Record<string, string> = {};
    for (const name of DEVNET_VALIDATORS) ids[name] = await devPeerId(name);
    expect(ids).toEqual(PINNED_PEER_IDS);
    for (const name of DEVNET_VALIDATORS)
      expect(peerIdByHand(ed25519PairFromSeed(devNodeKey(name)).publicKey)).toBe(PINNED_PEER_IDS[name]);
  });
});

const PINNED_PEER_IDS: Record<string, string> = {
  Alice: "12D3KooWRuu8YVv3cLCTcMRMhVaDUG6bNeJWBRopdxyDHDCUQyj4",
  Bob: "12D3KooW9zuuvXs332PwnDRarJNZEpo9Uv4i5LvuRy3vCSUu1tSt",
  Charlie: "12D3KooWAAhmX2HXnbPpeJpkPpzu3adioFPgH99yQVmfCjKYdnmx",
  Dave: "12D3KooWDGtQRn5qKaBUq6yKrVfKjfWJSvfPngANQjk7bSvHXd3r",
};
