import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { buildGenesisStorage, System } from "../../../runtime/index.js";
import {
  authoritySetId,
  currentAuthorities,
  findAuthor,
  GRANDPA_ENGINE_ID,
  GRANDPA_KEY_TYPE,
  GrandpaConsensusLog,
  keyOwner,
  nextAuthorities,
  SESSION_LENGTH,
  Session,
  sessionIndex,
  sessionIndexAt,
} from "../../../runtime/pallets/session.js";
import {
  babePreDigest,
  dev,
  devSessionKeys,
  moduleError,
  TestRuntime,
  UNIT,
  withStaking,
} from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const pk = (n: string) => dev(n).publicKey;
const ALL = ["Alice", "Bob", "Charlie", "Dave"];

function threeValidators(): TestRuntime {
  return withStaking({
    balances: ALL.map((n) => [n, 1000n * UNIT]),
    validators: [
      ["Alice", 100n * UNIT],
      ["Bob", 100n * UNIT],
      ["Charlie", 100n * UNIT],
    ],
    minValidatorBond: 10n * UNIT,
  });
}

const setKeys = (keys: { babe: Uint8Array; grandpa: Uint8Array }) => ({
  tag: "Session",
  value: { tag: "set_keys", value: { keys, proof: new Uint8Array() } },
});
const bond = (value: bigint) => ({
  tag: "Staking",
  value: { tag: "bond", value: { value, payee: { tag: "Staked" } } },
});

describe("session genesis", () => {
  it("starts session 0 with the genesis validators, their keys and stakes, and queues the same set", () => {
    const rt = threeValidators();
    const auths = rt.read(currentAuthorities);
    expect(rt.read(sessionIndex)).toBe(0);
    expect(auths.map((a) => a.account).sort(Buffer.compare)).toEqual(
      ["Alice", "Bob", "Charlie"].map(pk).sort(Buffer.compare),
    );
    for (const a of auths) {
      const name = ["Alice", "Bob", "Charlie"].find((n) => Buffer.compare(pk(n), a.account) === 0)!;
      expect(a.babe).toEqual(devSessionKeys(name).babe);
      expect(a.grandpa).toEqual(devSessionKeys(name).grandpa);
      expect(a.weight).toBe(100n * UNIT);
    }
    expect(rt.read(nextAuthorities)).toEqual(auths);
    expect(rt.read((e) => Session.storage.Validators.getOrDefault(e))).toEqual(auths.map((a) => a.account));
    expect(rt.read((e) => keyOwner(e, GRANDPA_KEY_TYPE, devSessionKeys("Bob").grandpa))).toEqual(pk("Bob"));
  });

  it("rejects a genesis with duplicate keys, a stake below the minimum bond, or too little balance", () => {
    const base = {
      balances: [
        [pk("Alice"), 1000n * UNIT],
        [pk("Bob"), 1000n * UNIT],
      ] as [Uint8Array, bigint][],
    };
    const v = (n: string, stake: bigint, keys = devSessionKeys(n)) => ({ stash: pk(n), stake, keys });
    expect(() =>
      buildGenesisStorage({
        ...base,
        staking: { validatorCount: 2, validators: [v("Alice", UNIT), v("Bob", UNIT, devSessionKeys("Alice"))] },
      }),
    ).toThrow(/registered twice/);
    expect(() =>
      buildGenesisStorage({
        ...base,
        staking: { validatorCount: 1, minValidatorBond: 10n * UNIT, validators: [v("Alice", UNIT)] },
      }),
    ).toThrow(/minimum validator bond/);
    expect(() =>
      buildGenesisStorage({ ...base, staking: { validatorCount: 1, validators: [v("Alice", 2000n * UNIT)] } }),
    ).toThrow(/less free balance/);
    expect(() =>
      buildGenesisStorage({ ...base, staking: { validatorCount: 1, validators: [v("Charlie", UNIT)] } }),
    ).toThrow(/free balance/);
  });
});

describe("session rotation", () => {
  it("rotates every SESSION_LENGTH blocks and emits NewSession", () => {
    const rt = threeValidators();
    rt.runTo(SESSION_LENGTH - 1);
    expect(rt.read(sessionIndex)).toBe(0);
    rt.block([]);
    expect(rt.read(sessionIndex)).toBe(1);
    expect(rt.eventsOf("Session", "NewSession")).toEqual([{ tag: "NewSession", value: { session_index: 1 } }]);
    expect(sessionIndexAt(rt.header.number)).toBe(1);
    expect(sessionIndexAt(SESSION_LENGTH - 1)).toBe(0);
    rt.runTo(2 * SESSION_LENGTH);
    expect(rt.read(sessionIndex)).toBe(2);
  });

  it("works with no validators at all (a chain without staking genesis)", () => {
    const rt = TestRuntime.withBalances([["Alice", 1000n * UNIT]]);
    rt.runTo(SESSION_LENGTH);
    expect(rt.read(sessionIndex)).toBe(1);
    expect(rt.read(currentAuthorities)).toEqual([]);
    expect(rt.header.digest.logs).toEqual([]);
  });
});

describe("set_keys / purge_keys", () => {
  it("requires a bonded stash, a live account and unused keys; fails without changing storage", () => {
    const rt = threeValidators();
    const dave = dev("Dave");
    rt.assertNoop(
      { kind: "signed", who: dave.publicKey },
      setKeys(devSessionKeys("Dave")),
      "Session.NoAssociatedValidatorId",
    );
    expect(rt.submit(dave, setKeys(devSessionKeys("Dave"))).ok).toBe(true);
    expect(rt.lastDispatchError()).toEqual(moduleError("Session", "NoAssociatedValidatorId"));

    expect(rt.submit(dave, bond(50n * UNIT))).toEqual({ ok: true, outcome: { ok: true } });
    rt.assertNoop({ kind: "signed", who: dave.publicKey }, setKeys(devSessionKeys("Alice")), "Session.DuplicatedKey");
    const mixed = { babe: devSessionKeys("Dave").babe, grandpa: devSessionKeys("Bob").grandpa };
    rt.assertNoop({ kind: "signed", who: dave.publicKey }, setKeys(mixed), "Session.DuplicatedKey");
    rt.submit(dave, setKeys(mixed));
    expect(rt.lastDispatchError()).toEqual(moduleError("Session", "DuplicatedKey"));
    rt.assertNoop(
      { kind: "signed", who: dave.publicKey },
      { tag: "Session", value: { tag: "purge_keys", value: {} } },
      "Session.NoKeys",
    );
  });

  it("registers keys (KeyOwner, NextKeys), replaces them, and purges them", () => {
    const rt = threeValidators();
    const dave = dev("Dave");
    rt.submit(dave, bond(50n * UNIT));
    expect(rt.submit(dave, setKeys(devSessionKeys("Dave")))).toEqual({ ok: true, outcome: { ok: true } });
    expect(rt.lastEvent()).toEqual({ tag: "Session", value: { tag: "KeysSet", value: { who: dave.publicKey } } });
    expect(rt.read((e) => Session.storage.NextKeys.get(e, dave.publicKey))).toEqual(devSessionKeys("Dave"));
    const other = { babe: new Uint8Array(32).fill(7), grandpa: new Uint8Array(32).fill(8) };
    rt.submit(dave, setKeys(other));
    expect(rt.read((e) => keyOwner(e, GRANDPA_KEY_TYPE, devSessionKeys("Dave").grandpa))).toBeUndefined();
    expect(rt.read((e) => keyOwner(e, GRANDPA_KEY_TYPE, other.grandpa))).toEqual(dave.publicKey);
    rt.submit(dave, { tag: "Session", value: { tag: "purge_keys", value: {} } });
    expect(rt.lastEvent()).toEqual({ tag: "Session", value: { tag: "KeysPurged", value: { who: dave.publicKey } } });
    expect(rt.read((e) => keyOwner(e, GRANDPA_KEY_TYPE, other.grandpa))).toBeUndefined();
    expect(rt.read((e) => Session.storage.NextKeys.get(e, dave.publicKey))).toBeUndefined();
  });

  it("a new finality key takes effect two sessions later, with a FRNK ScheduledChange digest and a new set id", () => {
    const rt = threeValidators();
    const bob = dev("Bob");
    const newKeys = { babe: devSessionKeys("Bob").babe, grandpa: new Uint8Array(32).fill(9) };
    rt.submit(bob, setKeys(newKeys));
    // Rotation into session 1: the queued set (fixed at genesis) comes in unchanged: no digest.
    rt.runTo(SESSION_LENGTH);
    expect(rt.header.digest.logs.filter((l) => l.tag === "Consensus")).toEqual([]);
    expect(rt.read(authoritySetId)).toBe(0n);
    expect(rt.read(nextAuthorities).some((a) => Buffer.compare(a.grandpa, newKeys.grandpa) === 0)).toBe(true);
    // Rotation into session 2: Bob's new key is live.
    rt.runTo(2 * SESSION_LENGTH);
    const consensus = rt.header.digest.logs.filter((l) => l.tag === "Consensus");
    expect(consensus).toHaveLength(1);
    const [engine, payload] = consensus[0].value as [Uint8Array, Uint8Array];
    expect(engine).toEqual(GRANDPA_ENGINE_ID);
    const log = GrandpaConsensusLog.dec(payload);
    const auths = rt.read(currentAuthorities);
    expect(log).toEqual({
      tag: "ScheduledChange",
      value: { next_authorities: auths.map((a) => [a.grandpa, 1n]), delay: 0 },
    });
    expect(auths.some((a) => Buffer.compare(a.grandpa, newKeys.grandpa) === 0)).toBe(true);
    expect(rt.read(authoritySetId)).toBe(1n);
    // The pending change does not outlive its block, and the digest is in System.Digest.
    expect(rt.read((e) => Session.storage.PendingChange.get(e))).toBeUndefined();
    expect(rt.read((e) => System.storage.Digest.getOrDefault(e).logs)).toEqual(rt.header.digest.logs);
    rt.block([]);
    expect(rt.header.digest.logs).toEqual([]);
  });
});

describe("authorship", () => {
  it("finds the block author from a BABE pre-digest through the current authorities", () => {
    const rt = threeValidators();
    const auths = rt.read(currentAuthorities);
    const { ext } = rt.block([], { digest: [babePreDigest(1, 42n)] });
    expect(findAuthor(ext)).toEqual(auths[1].account);
    const { ext: none } = rt.block([], { digest: [babePreDigest(7, 43n)] });
    expect(findAuthor(none)).toBeUndefined();
  });
});
