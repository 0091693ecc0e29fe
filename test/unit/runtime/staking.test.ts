import { beforeAll, describe, expect, it } from "@jest/globals";
import type { KeyPair } from "../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import type { CallValue } from "../../../runtime/index.js";
import { freeBalance, reservedBalance, totalIssuance } from "../../../runtime/pallets/balances.js";
import { Offences } from "../../../runtime/pallets/offences.js";
import { param, STAKING, setParameterCall } from "../../../runtime/pallets/parameters/index.js";
import { currentAuthorities, disabledValidators, SESSION_LENGTH, Session } from "../../../runtime/pallets/session.js";
import {
  BONDING_DURATION,
  ERA_PAYOUT,
  MAX_NOMINATIONS,
  REWARD_POINTS_PER_BLOCK,
  SESSIONS_PER_ERA,
  Staking,
  slashFraction,
} from "../../../runtime/pallets/staking/index.js";
import {
  babePreDigest,
  bondCall as bond,
  dev,
  moduleError,
  setKeysCall as setKeys,
  type TestRuntime,
  UNIT,
  validateCall as validate,
  withStaking,
} from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const ERA_BLOCKS = SESSION_LENGTH * SESSIONS_PER_ERA;
const NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];
const pk = (n: string) => dev(n).publicKey;
const signed = (n: string) => ({ kind: "signed" as const, who: pk(n) });
const root = { kind: "root" as const };
const S = Staking.storage;

const staking = (tag: string, value: Record<string, unknown> = {}): CallValue => ({
  tag: "Staking",
  value: { tag, value },
});
const unbond = (value: bigint) => staking("unbond", { value });
const withdraw = () => staking("withdraw_unbonded", { num_slashing_spans: 0 });
const nominate = (...names: string[]) =>
  staking("nominate", { targets: names.map((n) => ({ tag: "Id", value: pk(n) })) });
const forceOffence = (offender: string, session: number, kind = "BlockEquivocation"): CallValue => ({
  tag: "Offences",
  value: { tag: "force_apply_offence", value: { offender: pk(offender), kind: { tag: kind }, session_index: session } },
});

const OK = { ok: true, outcome: { ok: true } };

function runtime(opts: Partial<Parameters<typeof withStaking>[0]> = {}): TestRuntime {
  return withStaking({
    balances: NAMES.map((n) => [n, 1000n * UNIT]),
    validators: [
      ["Alice", 100n * UNIT],
      ["Bob", 100n * UNIT],
      ["Charlie", 100n * UNIT],
    ],
    minValidatorBond: 10n * UNIT,
    slashFraction: 100_000_000,
    sudo: "Ferdie",
    ...opts,
  });
}

/** Signs and checks the extrinsic was included and its call succeeded. */
function ok(rt: TestRuntime, who: KeyPair, call: CallValue): void {
  expect(rt.submit(who, call)).toEqual(OK);
}

/** The call fails as `error` without touching storage, and as an extrinsic it records the module error. */
function noop(rt: TestRuntime, who: string, call: CallValue, pallet: string, error: string): void {
  rt.assertNoop(signed(who), call, `${pallet}.${error}`);
  rt.submit(dev(who), call);
  expect(rt.lastDispatchError()).toEqual(moduleError(pallet, error));
}

const ledgerOf = (rt: TestRuntime, n: string) => rt.read((e) => S.Ledger.get(e, pk(n)));
const validatorSet = (rt: TestRuntime) =>
  rt
    .read((e) => Session.storage.Validators.getOrDefault(e))
    .map((a) => NAMES.find((n) => Buffer.compare(pk(n), a) === 0))
    .sort();

describe("bond, bond_extra, unbond, withdraw_unbonded", () => {
  it("bonds by reserving, and rejects a second bond, dust and the Controller destination", () => {
    const rt = runtime();
    const dave = dev("Dave");
    ok(rt, dave, bond(50n * UNIT));
    expect(rt.lastEvent()).toEqual({
      tag: "Staking",
      value: { tag: "Bonded", value: { stash: pk("Dave"), amount: 50n * UNIT } },
    });
    expect(rt.read((e) => reservedBalance(e, pk("Dave")))).toBe(50n * UNIT);
    expect(ledgerOf(rt, "Dave")).toEqual({
      stash: pk("Dave"),
      total: 50n * UNIT,
      active: 50n * UNIT,
      unlocking: [],
      legacy_claimed_rewards: [],
    });
    expect(rt.read((e) => S.Bonded.get(e, pk("Dave")))).toEqual(pk("Dave"));
    noop(rt, "Dave", bond(UNIT), "Staking", "AlreadyBonded");
    noop(rt, "Eve", bond(1n), "Staking", "InsufficientBond");
    noop(rt, "Eve", bond(UNIT, { tag: "Controller" }), "Staking", "ControllerDeprecated");
  });

  it("bond_extra adds to the bond; unbond schedules a chunk BondingDuration eras ahead; withdraw releases it", () => {
    const rt = runtime();
    const dave = dev("Dave");
    noop(rt, "Dave", staking("bond_extra", { max_additional: UNIT }), "Staking", "NotStash");
    ok(rt, dave, bond(50n * UNIT));
    ok(rt, dave, staking("bond_extra", { max_additional: 10n * UNIT }));
    expect(rt.lastEvent()).toEqual({
      tag: "Staking",
      value: { tag: "Bonded", value: { stash: pk("Dave"), amount: 10n * UNIT } },
    });
    ok(rt, dave, unbond(20n * UNIT));
    expect(rt.lastEvent()).toEqual({
      tag: "Staking",
      value: { tag: "Unbonded", value: { stash: pk("Dave"), amount: 20n * UNIT } },
    });
    expect(ledgerOf(rt, "Dave")).toMatchObject({
      total: 60n * UNIT,
      active: 40n * UNIT,
      unlocking: [{ value: 20n * UNIT, era: BONDING_DURATION }],
    });
    // Too early: nothing to withdraw, nothing changes.
    const before = ledgerOf(rt, "Dave");
    ok(rt, dave, withdraw());
    expect(ledgerOf(rt, "Dave")).toEqual(before);
    expect(rt.eventsOf("Staking")).toEqual([]);
    // CurrentEra reaches BONDING_DURATION when era 2 is planned, one session before era 1 ends.
    rt.runTo(ERA_BLOCKS * BONDING_DURATION - SESSION_LENGTH);
    expect(rt.read((e) => S.CurrentEra.get(e))).toBe(BONDING_DURATION);
    const free = rt.read((e) => freeBalance(e, pk("Dave")));
    rt.submit(dave, withdraw());
    expect(rt.lastEvent()).toEqual({
      tag: "Staking",
      value: { tag: "Withdrawn", value: { stash: pk("Dave"), amount: 20n * UNIT } },
    });
    expect(rt.read((e) => reservedBalance(e, pk("Dave")))).toBe(40n * UNIT);
    expect(rt.read((e) => freeBalance(e, pk("Dave"))) - free).toBeGreaterThan(19n * UNIT);
    expect(ledgerOf(rt, "Dave")).toMatchObject({ total: 40n * UNIT, active: 40n * UNIT, unlocking: [] });
    // Unbond everything, wait, withdraw: the stash leaves staking.
    ok(rt, dave, unbond(1000n * UNIT));
    expect(ledgerOf(rt, "Dave")).toMatchObject({ active: 0n, unlocking: [{ value: 40n * UNIT, era: 4 }] });
    rt.runTo(ERA_BLOCKS * 4 - SESSION_LENGTH);
    ok(rt, dave, withdraw());
    expect(ledgerOf(rt, "Dave")).toBeUndefined();
    expect(rt.read((e) => S.Bonded.get(e, pk("Dave")))).toBeUndefined();
    expect(rt.read((e) => reservedBalance(e, pk("Dave")))).toBe(0n);
  });

  it("calls on an account without a ledger fail with NotController and change nothing", () => {
    const rt = runtime();
    for (const call of [unbond(UNIT), withdraw(), validate(), nominate("Alice"), staking("chill")])
      noop(rt, "Eve", call, "Staking", "NotController");
    noop(rt, "Eve", staking("set_payee", { payee: { tag: "Stash" } }), "Staking", "NotController");
  });
});

describe("validate, nominate, chill", () => {
  it("validates with a minimum bond and a valid commission", () => {
    const rt = runtime();
    const dave = dev("Dave");
    ok(rt, dave, bond(5n * UNIT));
    noop(rt, "Dave", validate(), "Staking", "InsufficientBond");
    ok(rt, dave, staking("bond_extra", { max_additional: 20n * UNIT }));
    noop(rt, "Dave", validate(1_000_000_001), "Staking", "InvalidPerbill");
    ok(rt, dave, validate(50_000_000));
    expect(rt.lastEvent()).toEqual({
      tag: "Staking",
      value: {
        tag: "ValidatorPrefsSet",
        value: { stash: pk("Dave"), prefs: { commission: 50_000_000, blocked: false } },
      },
    });
    expect(rt.read((e) => S.CounterForValidators.getOrDefault(e))).toBe(4);
    // A validator cannot unbond below the minimum bond without chilling first (but may unbond everything).
    noop(rt, "Dave", unbond(20n * UNIT), "Staking", "InsufficientBond");
    ok(rt, dave, staking("chill"));
    expect(rt.lastEvent()).toEqual({ tag: "Staking", value: { tag: "Chilled", value: { stash: pk("Dave") } } });
    expect(rt.read((e) => S.Validators.contains(e, pk("Dave")))).toBe(false);
    expect(rt.read((e) => S.CounterForValidators.getOrDefault(e))).toBe(3);
  });

  it("nominates validators only, at most MaxNominations of them, and not blocked ones", () => {
    const rt = runtime();
    const dave = dev("Dave");
    ok(rt, dave, bond(50n * UNIT));
    noop(rt, "Dave", nominate(), "Staking", "EmptyTargets");
    noop(
      rt,
      "Dave",
      nominate(...Array.from({ length: MAX_NOMINATIONS + 1 }, () => "Alice")),
      "Staking",
      "TooManyTargets",
    );
    noop(rt, "Dave", nominate("Alice", "Eve"), "Staking", "BadTarget");
    ok(rt, dev("Bob"), validate(0, true));
    noop(rt, "Dave", nominate("Bob"), "Staking", "BadTarget");
    ok(rt, dave, nominate("Charlie", "Alice", "Alice"));
    const n = rt.read((e) => S.Nominators.get(e, pk("Dave")));
    expect(n?.targets).toEqual([pk("Charlie"), pk("Alice")].sort(Buffer.compare));
    expect(rt.read((e) => S.CounterForNominators.getOrDefault(e))).toBe(1);
    // A validator that nominates stops validating.
    ok(rt, dev("Charlie"), nominate("Alice"));
    expect(rt.read((e) => S.Validators.contains(e, pk("Charlie")))).toBe(false);
    expect(rt.read((e) => S.CounterForNominators.getOrDefault(e))).toBe(2);
  });
});

describe("staking parameters", () => {
  it("validator_count, slash_fraction and min_validator_bond are set by Root within their ranges", () => {
    const rt = runtime();
    const K = STAKING;
    rt.assertNoop(signed("Alice"), setParameterCall(K.validator_count, 5), "BadOrigin");
    rt.assertNoop(root, setParameterCall(K.validator_count, 1001), "Parameters.OutOfRange");
    rt.assertNoop(root, setParameterCall(K.slash_fraction, 1_000_000_001), "Parameters.OutOfRange");
    rt.sudo(dev("Ferdie"), setParameterCall(K.slash_fraction, 1_000_000_001));
    expect(rt.lastDispatchError()).toEqual(moduleError("Parameters", "OutOfRange"));
    expect(rt.sudo(dev("Ferdie"), setParameterCall(K.validator_count, 5))).toEqual(OK);
    expect(rt.eventsOf("Parameters").map((e) => e.tag)).toEqual(["Updated"]);
    rt.sudo(dev("Ferdie"), setParameterCall(K.slash_fraction, 250_000_000));
    expect(rt.read((e) => [param(e, K.validator_count), slashFraction(e)])).toEqual([5, 250_000_000]);
  });
});

describe("eras and elections", () => {
  it("plans era 1 one session before era 0 ends, elects the top N by backing (ties by account id)", () => {
    const rt = runtime({ validatorCount: 2 });
    const byId = ["Alice", "Bob", "Charlie"].sort((a, b) => Buffer.compare(pk(a), pk(b)));
    expect(validatorSet(rt)).toEqual(byId.slice(0, 2).sort());
    // Dave's nomination lifts the third validator to the top for era 1.
    const third = byId[2];
    ok(rt, dev("Dave"), bond(60n * UNIT));
    ok(rt, dev("Dave"), nominate(third));
    rt.runTo(ERA_BLOCKS - SESSION_LENGTH);
    expect(rt.read((e) => S.CurrentEra.get(e))).toBe(1);
    expect(rt.read((e) => S.ActiveEra.get(e)?.index)).toBe(0);
    expect(rt.eventsOf("Staking", "StakersElected")).toHaveLength(1);
    expect(rt.read((e) => S.ErasStakers.get(e, [1, pk(third)]))).toEqual({
      total: 160n * UNIT,
      own: 100n * UNIT,
      others: [{ who: pk("Dave"), value: 60n * UNIT }],
    });
    expect(rt.read((e) => S.ErasTotalStake.getOrDefault(e, 1))).toBe(260n * UNIT);
    rt.runTo(ERA_BLOCKS);
    expect(rt.read((e) => S.ActiveEra.get(e))).toEqual({ index: 1, start: expect.any(BigInt) });
    expect(validatorSet(rt)).toEqual([byId[0], third].sort());
    const weights = rt.read(currentAuthorities).map((a) => a.weight);
    expect(weights.sort()).toEqual([100n * UNIT, 160n * UNIT]);
  });

  it("a new account that bonds, sets keys and validates joins from a later era, and leaves after unbonding", () => {
    const rt = runtime({ validatorCount: 4 });
    const eve = dev("Eve");
    ok(rt, eve, bond(50n * UNIT));
    ok(rt, eve, setKeys("Eve"));
    ok(rt, eve, validate());
    rt.runTo(ERA_BLOCKS - 1);
    expect(validatorSet(rt)).not.toContain("Eve");
    rt.runTo(ERA_BLOCKS);
    expect(validatorSet(rt)).toContain("Eve");
    ok(rt, eve, unbond(50n * UNIT));
    rt.runTo(3 * ERA_BLOCKS);
    expect(validatorSet(rt)).not.toContain("Eve");
    ok(rt, eve, withdraw());
    expect(ledgerOf(rt, "Eve")).toBeUndefined();
    expect(rt.read((e) => reservedBalance(e, pk("Eve")))).toBe(0n);
  });

  it("does not elect a validator without session keys", () => {
    const rt = runtime({ validatorCount: 4 });
    ok(rt, dev("Eve"), bond(500n * UNIT));
    ok(rt, dev("Eve"), validate());
    rt.runTo(ERA_BLOCKS);
    expect(validatorSet(rt)).toEqual(["Alice", "Bob", "Charlie"]);
  });
});

describe("era rewards", () => {
  it("pays ERA_PAYOUT at the era end by points, commission first, the rest pro rata to exposure", () => {
    const rt = runtime({
      nominators: [["Dave", 100n * UNIT, ["Alice"]]],
      commission: { Alice: 100_000_000 },
    });
    const auths = rt.read(currentAuthorities);
    const index = (n: string) => auths.findIndex((a) => Buffer.compare(a.account, pk(n)) === 0);
    // Alice authors two blocks in three, Bob the rest; Charlie none.
    const author = (n: number) => (n % 3 === 0 ? "Bob" : "Alice");
    rt.runTo(ERA_BLOCKS - 1, (n) => [babePreDigest(index(author(n)), BigInt(n))]);
    const points = rt.read((e) => S.ErasRewardPoints.getOrDefault(e, 0));
    const alicePts = [...Array(ERA_BLOCKS - 1).keys()].map((i) => i + 1).filter((n) => author(n) === "Alice").length;
    const bobPts = ERA_BLOCKS - 1 - alicePts;
    expect(points.total).toBe((ERA_BLOCKS - 1) * REWARD_POINTS_PER_BLOCK);
    expect(new Map(points.individual.map(([a, p]) => [Buffer.from(a).toString("hex"), p]))).toEqual(
      new Map([
        [Buffer.from(pk("Alice")).toString("hex"), alicePts * REWARD_POINTS_PER_BLOCK],
        [Buffer.from(pk("Bob")).toString("hex"), bobPts * REWARD_POINTS_PER_BLOCK],
      ]),
    );
    const issuance = rt.read(totalIssuance);
    rt.block([]);
    const aliceReward = (ERA_PAYOUT * BigInt(alicePts)) / BigInt(ERA_BLOCKS - 1);
    const bobReward = (ERA_PAYOUT * BigInt(bobPts)) / BigInt(ERA_BLOCKS - 1);
    const commission = aliceReward / 10n;
    const rest = aliceReward - commission;
    const aliceOwn = commission + (rest * 100n) / 200n;
    const daveShare = (rest * 100n) / 200n;
    const paid = aliceOwn + daveShare + bobReward;
    expect(rt.eventsOf("Staking", "EraPaid")).toEqual([
      { tag: "EraPaid", value: { era_index: 0, validator_payout: paid, remainder: 0n } },
    ]);
    expect(rt.read(totalIssuance) - issuance).toBe(paid);
    expect(rt.read((e) => S.ErasValidatorReward.get(e, 0))).toBe(paid);
    // Rewards are `Staked` (the genesis default): the bonds grow.
    expect(ledgerOf(rt, "Alice")?.active).toBe(100n * UNIT + aliceOwn);
    expect(ledgerOf(rt, "Dave")?.active).toBe(100n * UNIT + daveShare);
    expect(ledgerOf(rt, "Bob")?.active).toBe(100n * UNIT + bobReward);
    expect(ledgerOf(rt, "Charlie")?.active).toBe(100n * UNIT);
    expect(rt.eventsOf("Staking", "Rewarded")).toContainEqual({
      tag: "Rewarded",
      value: { stash: pk("Dave"), dest: { tag: "Staked" }, amount: daveShare },
    });
  });

  it("pays to the stash's free balance with the Stash destination, and nothing for an era without points", () => {
    const rt = runtime();
    ok(rt, dev("Bob"), staking("set_payee", { payee: { tag: "Stash" } }));
    const idx = rt.read(currentAuthorities).findIndex((a) => Buffer.compare(a.account, pk("Bob")) === 0);
    const free = rt.read((e) => freeBalance(e, pk("Bob")));
    rt.runTo(ERA_BLOCKS, (n) => (n < ERA_BLOCKS ? [babePreDigest(idx, BigInt(n))] : []));
    const gained = rt.read((e) => freeBalance(e, pk("Bob"))) - free;
    expect(gained).toBe(ERA_PAYOUT);
    expect(ledgerOf(rt, "Bob")?.active).toBe(100n * UNIT);
    rt.runTo(2 * ERA_BLOCKS);
    expect(rt.eventsOf("Staking", "EraPaid")).toEqual([
      { tag: "EraPaid", value: { era_index: 1, validator_payout: 0n, remainder: 0n } },
    ]);
  });
});

describe("offences", () => {
  function offended() {
    const rt = runtime({ nominators: [["Dave", 100n * UNIT, ["Alice"]]] });
    return rt;
  }
  /** Four validators (Eve too): one of them may be disabled, (4 - 1) / 3. */
  const FOUR: [string, bigint][] = [
    ["Alice", 100n * UNIT],
    ["Bob", 100n * UNIT],
    ["Charlie", 100n * UNIT],
    ["Eve", 100n * UNIT],
  ];

  it("slashes SlashFraction of the offender's and its nominators' exposure, burns it, chills and disables", () => {
    const rt = runtime({ validators: FOUR, nominators: [["Dave", 100n * UNIT, ["Alice"]]] });
    const issuance = rt.read(totalIssuance);
    const aliceIndex = rt.read(currentAuthorities).findIndex((a) => Buffer.compare(a.account, pk("Alice")) === 0);
    expect(rt.sudo(dev("Ferdie"), forceOffence("Alice", 0))).toEqual(OK);
    expect(rt.lastDispatchError()).toBeUndefined();
    expect(ledgerOf(rt, "Alice")).toMatchObject({ total: 90n * UNIT, active: 90n * UNIT });
    expect(ledgerOf(rt, "Dave")).toMatchObject({ total: 90n * UNIT, active: 90n * UNIT });
    expect(rt.read((e) => reservedBalance(e, pk("Alice")))).toBe(90n * UNIT);
    expect(rt.read((e) => reservedBalance(e, pk("Dave")))).toBe(90n * UNIT);
    expect(issuance - rt.read(totalIssuance)).toBe(20n * UNIT);
    expect(rt.read((e) => S.Validators.contains(e, pk("Alice")))).toBe(false);
    expect(rt.read(disabledValidators)).toEqual([aliceIndex]);
    expect(rt.eventsOf("Staking", "Slashed")).toEqual([
      { tag: "Slashed", value: { staker: pk("Alice"), amount: 10n * UNIT } },
      { tag: "Slashed", value: { staker: pk("Dave"), amount: 10n * UNIT } },
    ]);
    expect(rt.eventsOf("Offences")).toEqual([
      {
        tag: "OffenceReported",
        value: {
          offender: pk("Alice"),
          kind: { tag: "BlockEquivocation" },
          session_index: 0,
          era: 0,
          slash_fraction: 100_000_000,
          slashed: 20n * UNIT,
        },
      },
    ]);
    expect(rt.eventsOf("Session", "ValidatorDisabled")).toHaveLength(1);
    // Never twice for the same (offender, kind, session); another kind is another offence.
    rt.assertNoop(root, forceOffence("Alice", 0), "Offences.DuplicateReport");
    rt.sudo(dev("Ferdie"), forceOffence("Alice", 0));
    expect(rt.lastDispatchError()).toEqual(moduleError("Offences", "DuplicateReport"));
    expect(rt.sudo(dev("Ferdie"), forceOffence("Alice", 0, "VoteEquivocation"))).toEqual(OK);
    expect(rt.lastDispatchError()).toBeUndefined();
    // Applied, but in the same era with no higher fraction: nothing more is slashed (highest per era).
    expect(ledgerOf(rt, "Alice")?.total).toBe(90n * UNIT);
    expect(rt.eventsOf("Staking", "Slashed")).toEqual([]);
    // Chilled: not elected for the next era.
    rt.runTo(ERA_BLOCKS);
    expect(validatorSet(rt)).toEqual(["Bob", "Charlie", "Eve"]);
    expect(rt.read(disabledValidators)).toEqual([]);
  });

  it("disables at most (validators - 1) / 3 of the set; further offenders are slashed and chilled only", () => {
    const rt = runtime({ validators: FOUR });
    const indexOf = (n: string) => rt.read(currentAuthorities).findIndex((a) => Buffer.compare(a.account, pk(n)) === 0);
    rt.sudo(dev("Ferdie"), forceOffence("Alice", 0));
    expect(rt.read(disabledValidators)).toEqual([indexOf("Alice")]);
    rt.sudo(dev("Ferdie"), forceOffence("Bob", 0));
    expect(rt.lastDispatchError()).toBeUndefined();
    expect(ledgerOf(rt, "Bob")?.total).toBe(90n * UNIT);
    expect(rt.read((e) => S.Validators.contains(e, pk("Bob")))).toBe(false);
    expect(rt.read(disabledValidators)).toEqual([indexOf("Alice")]);
    expect(rt.eventsOf("Session", "ValidatorDisabled")).toEqual([]);
    // Three validators (or fewer): nobody is disabled, so offences never stop block production.
    const three = runtime();
    three.sudo(dev("Ferdie"), forceOffence("Alice", 0));
    expect(ledgerOf(three, "Alice")?.total).toBe(90n * UNIT);
    expect(three.read(disabledValidators)).toEqual([]);
  });

  it("slashes only the highest fraction per validator per era: a later larger offence slashes the difference", () => {
    const rt = offended();
    const fraction = (parts: number) => rt.sudo(dev("Ferdie"), setParameterCall(STAKING.slash_fraction, parts));
    const slashes = () => rt.eventsOf("Staking", "Slashed").map((e) => [e.value.staker, e.value.amount]);
    const reported = () => rt.eventsOf("Offences", "OffenceReported")[0]?.value.slashed;
    const issuance = rt.read(totalIssuance);
    // Session 0, 10% of era 0's exposure (Alice 100 own, Dave 100).
    expect(rt.sudo(dev("Ferdie"), forceOffence("Alice", 0))).toEqual(OK);
    expect(slashes()).toEqual([
      [pk("Alice"), 10n * UNIT],
      [pk("Dave"), 10n * UNIT],
    ]);
    // Session 1, same era, same 10%: applied (reported, disabled) but slashes nothing more.
    rt.runTo(SESSION_LENGTH);
    expect(rt.sudo(dev("Ferdie"), forceOffence("Alice", 1))).toEqual(OK);
    expect(rt.lastDispatchError()).toBeUndefined();
    expect(slashes()).toEqual([]);
    expect(reported()).toBe(0n);
    // 25%: slashes 25% - 10% = 15% of the era's exposure.
    fraction(250_000_000);
    expect(rt.sudo(dev("Ferdie"), forceOffence("Alice", 1, "VoteEquivocation"))).toEqual(OK);
    expect(slashes()).toEqual([
      [pk("Alice"), 15n * UNIT],
      [pk("Dave"), 15n * UNIT],
    ]);
    expect(reported()).toBe(30n * UNIT);
    // A smaller fraction later in the era slashes nothing.
    fraction(200_000_000);
    rt.runTo(2 * SESSION_LENGTH);
    expect(rt.sudo(dev("Ferdie"), forceOffence("Alice", 2))).toEqual(OK);
    expect(slashes()).toEqual([]);
    // In total, the highest fraction (25%) of the era's exposure, from each.
    expect(ledgerOf(rt, "Alice")).toMatchObject({ total: 75n * UNIT, active: 75n * UNIT });
    expect(ledgerOf(rt, "Dave")).toMatchObject({ total: 75n * UNIT, active: 75n * UNIT });
    expect(rt.read((e) => reservedBalance(e, pk("Alice")))).toBe(75n * UNIT);
    expect(rt.read((e) => reservedBalance(e, pk("Dave")))).toBe(75n * UNIT);
    expect(issuance - rt.read(totalIssuance)).toBe(50n * UNIT);
    expect(rt.read((e) => S.ValidatorSlashInEra.get(e, [0, pk("Alice")]))).toEqual([250_000_000, 25n * UNIT]);
    expect(rt.read((e) => S.NominatorSlashInEra.get(e, [0, pk("Dave")]))).toBe(25n * UNIT);
  });

  it("keeps the highest slash per era: another era is slashed again, and the record goes with the bonding period", () => {
    const rt = offended();
    // Era 1's exposures are elected at the start of session 2: Bob is exposed there with 100.
    rt.runTo(2 * SESSION_LENGTH);
    expect(rt.sudo(dev("Ferdie"), forceOffence("Bob", 2))).toEqual(OK);
    expect(ledgerOf(rt, "Bob")?.total).toBe(90n * UNIT);
    rt.runTo(ERA_BLOCKS);
    expect(validatorSet(rt)).toContain("Bob");
    // An offence in era 1 is measured against era 1's record (none yet): 10% of 100 again.
    expect(rt.sudo(dev("Ferdie"), forceOffence("Bob", SESSIONS_PER_ERA))).toEqual(OK);
    expect(rt.eventsOf("Staking", "Slashed")).toEqual([
      { tag: "Slashed", value: { staker: pk("Bob"), amount: 10n * UNIT } },
    ]);
    expect(ledgerOf(rt, "Bob")?.total).toBe(80n * UNIT);
    // Once era 0 leaves the bonding period its record is removed; era 1's stays while it is bonded.
    rt.runTo(ERA_BLOCKS * (BONDING_DURATION + 1));
    expect(rt.read((e) => S.ValidatorSlashInEra.get(e, [0, pk("Bob")]))).toBeUndefined();
    expect(rt.read((e) => S.ValidatorSlashInEra.get(e, [1, pk("Bob")]))).toEqual([100_000_000, 10n * UNIT]);
  });

  it("rejects bad origins, future sessions, offenders without exposure and offences older than the bonding period", () => {
    const rt = offended();
    rt.assertNoop(signed("Alice"), forceOffence("Bob", 0), "BadOrigin");
    rt.assertNoop(root, forceOffence("Bob", 1), "Offences.FutureSession");
    rt.assertNoop(root, forceOffence("Eve", 0), "Offences.NotExposed");
    rt.runTo(ERA_BLOCKS * (BONDING_DURATION + 1));
    rt.assertNoop(root, forceOffence("Bob", 0), "Offences.OffenceTooOld");
    rt.sudo(dev("Ferdie"), forceOffence("Bob", 0));
    expect(rt.lastDispatchError()).toEqual(moduleError("Offences", "OffenceTooOld"));
    // A session still within the bonding period maps to its era.
    expect(rt.sudo(dev("Ferdie"), forceOffence("Bob", SESSIONS_PER_ERA * BONDING_DURATION))).toEqual(OK);
    expect(
      rt.read((e) => Offences.storage.Reports.get(e, [{ tag: "BlockEquivocation" }, 6, pk("Bob")] as never)),
    ).toMatchObject({ era: BONDING_DURATION });
  });

  it("slashes unlocking chunks too, once the active bond is gone", () => {
    const rt = offended();
    ok(rt, dev("Dave"), unbond(95n * UNIT));
    rt.sudo(dev("Ferdie"), setParameterCall(STAKING.slash_fraction, 500_000_000));
    rt.sudo(dev("Ferdie"), forceOffence("Alice", 0));
    // Dave was exposed with 100: 50 is slashed, 5 from active and 45 from the unlocking chunk.
    expect(ledgerOf(rt, "Dave")).toMatchObject({
      total: 50n * UNIT,
      active: 0n,
      unlocking: [{ value: 50n * UNIT, era: BONDING_DURATION }],
    });
  });
});
