/**
 * `Offences.report_equivocation`: unsigned equivocation reports, validated like FRAME's
 * `ValidateUnsigned` and slashed through `applyOffence`, on a mock runtime with three genesis
 * validators (Alice, Bob, Charlie; 100 each, Dave nominating Alice with 100) and a 10% slash fraction.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import type { EquivocationEvidenceValue } from "../../../consensus/equivocation.js";
import { equivocationReportExtrinsic } from "../../../node/offences/reporter.js";
import { keypairFromSuri } from "../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { BlockError, type CallValue, executeBlock, timestampInherent } from "../../../runtime/index.js";
import { Offences, REPORT_LONGEVITY, REPORT_PRIORITY } from "../../../runtime/pallets/offences.js";
import {
  authoritySetId,
  currentAuthorities,
  HISTORICAL_SESSIONS,
  SESSION_LENGTH,
  Session,
} from "../../../runtime/pallets/session.js";
import {
  BONDING_DURATION,
  exposureOf,
  mulPerbill,
  SESSIONS_PER_ERA,
  Staking,
} from "../../../runtime/pallets/staking/index.js";
import { babeEvidence, babeHeader, grandpaEvidence } from "../../helpers/equivocation.js";
import { dev, joinAsValidator, moduleError, type TestRuntime, UNIT, withStaking } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];
const FRACTION = 100_000_000; // 10%
const pk = (n: string) => dev(n).publicKey;
const ed = (n: string) => keypairFromSuri(`//${n}`, "ed25519");
const none = { kind: "none" as const };
const OK = { ok: true, outcome: { ok: true } };

const report = (evidence: EquivocationEvidenceValue): CallValue => ({
  tag: "Offences",
  value: { tag: "report_equivocation", value: { equivocation_proof: evidence } },
});
const invalidTx = (reason: string) => ({ ok: false, error: { kind: "invalid", reason } });

function runtime(validatorCount = 3): TestRuntime {
  return withStaking({
    balances: NAMES.map((n) => [n, 1000n * UNIT]),
    validators: [
      ["Alice", 100n * UNIT],
      ["Bob", 100n * UNIT],
      ["Charlie", 100n * UNIT],
    ],
    nominators: [["Dave", 100n * UNIT, ["Alice"]]],
    validatorCount,
    slashFraction: FRACTION,
    sudo: "Ferdie",
  });
}

const indexOf = (rt: TestRuntime, name: string) =>
  rt.read(currentAuthorities).findIndex((a) => Buffer.compare(a.account, pk(name)) === 0);
const bonded = (rt: TestRuntime, name: string) => rt.read((e) => Staking.storage.Ledger.get(e, pk(name))?.total);

/** Pool validity, then the FRAME `assert_noop!` of the dispatch, for evidence that must be refused. */
function refused(rt: TestRuntime, evidence: EquivocationEvidenceValue, reason: string, error: string): void {
  expect(rt.validate(equivocationReportExtrinsic(evidence), "local")).toEqual(invalidTx(reason));
  rt.assertNoop(none, report(evidence), error);
}

describe("report_equivocation: BABE evidence", () => {
  it("is a top-priority, non-gossiped report that slashes exactly SlashFraction of the exposure", () => {
    const rt = runtime();
    const evidence = babeEvidence(dev("Alice"), { number: 1, slot: 5n, authorityIndex: indexOf(rt, "Alice") });
    const tx = equivocationReportExtrinsic(evidence);
    const validity = rt.validate(tx, "local");
    expect(validity).toEqual({
      ok: true,
      value: {
        priority: REPORT_PRIORITY,
        requires: [],
        provides: [expect.any(Uint8Array)],
        longevity: REPORT_LONGEVITY,
        propagate: false,
      },
    });
    // Also from elsewhere: the pool resubmits the transactions of retracted blocks as external.
    expect(rt.validate(tx, "external")).toEqual(validity);

    const exposure = rt.read((e) => exposureOf(e, 0, pk("Alice")))!;
    expect(exposure.own).toBe(100n * UNIT);
    const [alice, dave] = [bonded(rt, "Alice")!, bonded(rt, "Dave")!];
    const { results } = rt.block([tx]);
    expect(results).toEqual([OK]);
    const ownSlash = mulPerbill(FRACTION, exposure.own);
    const nominatorSlash = mulPerbill(FRACTION, exposure.others[0]!.value);
    expect(ownSlash).toBe(10n * UNIT);
    expect(bonded(rt, "Alice")).toBe(alice - ownSlash);
    expect(bonded(rt, "Dave")).toBe(dave - nominatorSlash);
    expect(rt.eventsOf("Staking", "Slashed")).toEqual([
      { tag: "Slashed", value: { staker: pk("Alice"), amount: ownSlash } },
      { tag: "Slashed", value: { staker: pk("Dave"), amount: nominatorSlash } },
    ]);
    expect(rt.eventsOf("Offences")).toEqual([
      {
        tag: "OffenceReported",
        value: {
          offender: pk("Alice"),
          kind: { tag: "BlockEquivocation" },
          session_index: 0,
          era: 0,
          slash_fraction: FRACTION,
          slashed: ownSlash + nominatorSlash,
        },
      },
    ]);
    // Unsigned: no fee was charged to anyone.
    expect(rt.eventsOf("TransactionPayment")).toEqual([]);
    expect(rt.read((e) => Offences.storage.Equivocations.get(e, [pk("Alice"), { tag: "Slot", value: 5n }]))).toBe(0);
  });

  it("is refused once reported: the same evidence, or another offence of the offender in that session", () => {
    const rt = runtime();
    const evidence = babeEvidence(dev("Alice"), { number: 1, slot: 5n, authorityIndex: indexOf(rt, "Alice") });
    const tx = equivocationReportExtrinsic(evidence);
    expect(rt.block([tx]).results).toEqual([OK]);
    refused(rt, evidence, "stale", "Offences.DuplicateReport");
    const later = babeEvidence(dev("Alice"), { number: 2, slot: 6n, authorityIndex: indexOf(rt, "Alice") });
    refused(rt, later, "stale", "Offences.DuplicateReport");
    // In a block it is not even applied (FRAME's `pre_dispatch`): the block would be invalid.
    expect(rt.block([tx]).results).toEqual([invalidTx("stale")]);
    expect(bonded(rt, "Alice")).toBe(90n * UNIT);
  });

  it("refuses forged evidence with badProof and leaves the state untouched", () => {
    const rt = runtime();
    const alice = dev("Alice");
    const aliceIndex = indexOf(rt, "Alice");
    const good = babeEvidence(alice, { number: 1, slot: 5n, authorityIndex: aliceIndex });
    if (good.tag !== "Babe") throw new Error("unreachable");
    const forgedSeal: EquivocationEvidenceValue = {
      tag: "Babe",
      value: { ...good.value, second_header: { ...good.value.second_header, stateRoot: new Uint8Array(32) } },
    };
    refused(rt, forgedSeal, "badProof", "Offences.InvalidEquivocationProof");
    const sameHeaderTwice: EquivocationEvidenceValue = {
      tag: "Babe",
      value: { ...good.value, second_header: good.value.first_header },
    };
    refused(rt, sameHeaderTwice, "badProof", "Offences.InvalidEquivocationProof");
    // Signed by someone who is not an authority, or by Alice claiming Bob's authority index.
    refused(
      rt,
      babeEvidence(dev("Eve"), { number: 1, slot: 5n, authorityIndex: aliceIndex }),
      "badProof",
      "Offences.InvalidEquivocationProof",
    );
    refused(
      rt,
      babeEvidence(alice, { number: 1, slot: 5n, authorityIndex: indexOf(rt, "Bob") }),
      "badProof",
      "Offences.InvalidEquivocationProof",
    );
    // A second header by Alice, but for another slot.
    const otherSlot: EquivocationEvidenceValue = {
      tag: "Babe",
      value: { ...good.value, second_header: babeHeader(alice, { number: 1, slot: 6n, authorityIndex: aliceIndex }) },
    };
    refused(rt, otherSlot, "badProof", "Offences.InvalidEquivocationProof");
    rt.assertNoop({ kind: "signed", who: pk("Alice") }, report(good), "BadOrigin");
    // Included by an author anyway: the call fails (recorded), nobody is slashed.
    const { results } = rt.block([equivocationReportExtrinsic(forgedSeal)]);
    expect(results).toEqual([
      { ok: true, outcome: { ok: false, error: moduleError("Offences", "InvalidEquivocationProof") } },
    ]);
    expect(bonded(rt, "Alice")).toBe(100n * UNIT);
  });

  it("checks evidence against the authorities of the headers' session", () => {
    const rt = runtime(4);
    const eve = dev("Eve");
    // Eve joins: bonds, registers keys and validates; elected for era 1 (from session 3).
    joinAsValidator(rt, "Eve", 50n * UNIT);
    // Headers of the next session (or of two sessions) cannot be checked yet.
    refused(
      rt,
      babeEvidence(dev("Alice"), { number: SESSION_LENGTH + 1, slot: 50n, authorityIndex: indexOf(rt, "Alice") }),
      "future",
      "Offences.FutureSession",
    );
    refused(
      rt,
      babeEvidence(dev("Alice"), {
        number: SESSION_LENGTH - 1,
        secondNumber: SESSION_LENGTH,
        slot: 50n,
        authorityIndex: indexOf(rt, "Alice"),
      }),
      "badProof",
      "Offences.InvalidEquivocationProof",
    );

    const era1 = SESSION_LENGTH * SESSIONS_PER_ERA;
    rt.runTo(era1 + 1);
    const eveIndex = indexOf(rt, "Eve");
    expect(eveIndex).toBeGreaterThanOrEqual(0);
    // In session 0 Eve was no authority: her header there proves nothing.
    refused(
      rt,
      babeEvidence(eve, { number: 5, slot: 5n, authorityIndex: eveIndex }),
      "badProof",
      "Offences.InvalidEquivocationProof",
    );
    const inEra1 = babeEvidence(eve, { number: era1 + 1, slot: 500n, authorityIndex: eveIndex });
    expect(rt.block([equivocationReportExtrinsic(inEra1)]).results).toEqual([OK]);
    expect(rt.eventsOf("Offences")).toEqual([
      {
        tag: "OffenceReported",
        value: {
          offender: pk("Eve"),
          kind: { tag: "BlockEquivocation" },
          session_index: SESSIONS_PER_ERA,
          era: 1,
          slash_fraction: FRACTION,
          slashed: 5n * UNIT,
        },
      },
    ]);
    // Alice's header of session 0, checked against session 0's authorities (kept in history).
    const aliceIndex0 = rt
      .read((e) => Session.storage.HistoricalAuthorities.get(e, 0))!
      .findIndex((a) => Buffer.compare(a.account, pk("Alice")) === 0);
    const old = babeEvidence(dev("Alice"), { number: 3, slot: 3n, authorityIndex: aliceIndex0 });
    expect(rt.validate(equivocationReportExtrinsic(old), "local").ok).toBe(true);
  });

  it("may follow the timestamp inherent in a block, never precede it", () => {
    const rt = runtime();
    const evidence = babeEvidence(dev("Alice"), { number: 1, slot: 5n, authorityIndex: indexOf(rt, "Alice") });
    const header = {
      parentHash: rt.hash,
      number: rt.header.number + 1,
      stateRoot: new Uint8Array(32),
      extrinsicsRoot: new Uint8Array(32),
      digest: { logs: [] },
    };
    expect(() =>
      executeBlock(rt.ext(), header, [equivocationReportExtrinsic(evidence), timestampInherent(1n)], rt.genesisHash),
    ).toThrow(new BlockError({ code: "BLOCK_ERROR_NO_TIMESTAMP" }, "First extrinsic must be the timestamp inherent"));
  });

  it("refuses evidence whose session's authorities are no longer kept (older than the bonding period)", () => {
    expect(HISTORICAL_SESSIONS).toBeGreaterThanOrEqual((BONDING_DURATION + 1) * SESSIONS_PER_ERA);
    const rt = runtime();
    const evidence = babeEvidence(dev("Alice"), { number: 1, slot: 5n, authorityIndex: indexOf(rt, "Alice") });
    rt.runTo(SESSION_LENGTH * (HISTORICAL_SESSIONS + 1));
    expect(rt.read((e) => Session.storage.HistoricalAuthorities.get(e, 0))).toBeUndefined();
    expect(rt.read((e) => Session.storage.HistoricalAuthorities.get(e, 1))).toBeDefined();
    refused(rt, evidence, "stale", "Offences.OffenceTooOld");
  });
});

describe("report_equivocation: GRANDPA evidence", () => {
  it("maps the offender's ed25519 key to its stash and slashes it", () => {
    const rt = runtime();
    const evidence = grandpaEvidence(ed("Bob"), { setId: 0n, round: 3n });
    const tx = equivocationReportExtrinsic(evidence);
    expect(rt.validate(tx, "local")).toMatchObject({ ok: true, value: { priority: REPORT_PRIORITY } });
    const before = bonded(rt, "Bob")!;
    expect(rt.block([tx]).results).toEqual([OK]);
    expect(bonded(rt, "Bob")).toBe(before - 10n * UNIT);
    expect(rt.eventsOf("Staking", "Slashed")).toEqual([
      { tag: "Slashed", value: { staker: pk("Bob"), amount: 10n * UNIT } },
    ]);
    expect(rt.eventsOf("Offences")).toEqual([
      {
        tag: "OffenceReported",
        value: {
          offender: pk("Bob"),
          kind: { tag: "VoteEquivocation" },
          session_index: 0,
          era: 0,
          slash_fraction: FRACTION,
          slashed: 10n * UNIT,
        },
      },
    ]);
    // Precommits are checked the same way.
    const precommits = grandpaEvidence(ed("Charlie"), { setId: 0n, round: 3n, kind: "Precommit" });
    expect(rt.block([equivocationReportExtrinsic(precommits)]).results).toEqual([OK]);
    expect(bonded(rt, "Charlie")).toBe(90n * UNIT);
  });

  it("uses evidence once, even after the set's session moved on; a new round in a new session is a new offence", () => {
    const rt = runtime();
    const evidence = grandpaEvidence(ed("Bob"), { setId: 0n, round: 3n });
    expect(rt.block([equivocationReportExtrinsic(evidence)]).results).toEqual([OK]);
    refused(rt, grandpaEvidence(ed("Bob"), { setId: 0n, round: 4n }), "stale", "Offences.DuplicateReport");
    rt.runTo(SESSION_LENGTH);
    expect(rt.read(authoritySetId)).toBe(0n);
    refused(rt, evidence, "stale", "Offences.DuplicateReport");
    expect(
      rt.block([equivocationReportExtrinsic(grandpaEvidence(ed("Bob"), { setId: 0n, round: 9n }))]).results,
    ).toEqual([OK]);
    expect(rt.eventsOf("Offences")[0]?.value).toMatchObject({ session_index: 1 });
  });

  it("refuses forged votes, non-members, future sets and members of another set", () => {
    const rt = runtime(4);
    const good = grandpaEvidence(ed("Bob"), { setId: 0n, round: 3n });
    if (good.tag !== "Grandpa") throw new Error("unreachable");
    const e = good.value.equivocation.value;
    const forged: EquivocationEvidenceValue = {
      tag: "Grandpa",
      value: {
        ...good.value,
        equivocation: { ...good.value.equivocation, value: { ...e, second: [e.second[0], e.first[1]] } },
      },
    };
    refused(rt, forged, "badProof", "Offences.InvalidEquivocationProof");
    const target = { hash: new Uint8Array(32).fill(7), number: 3 };
    refused(
      rt,
      grandpaEvidence(ed("Bob"), { setId: 0n, round: 3n, targets: [target, target] }),
      "badProof",
      "Offences.InvalidEquivocationProof",
    );
    refused(rt, grandpaEvidence(ed("Eve"), { setId: 0n, round: 3n }), "badProof", "Offences.InvalidEquivocationProof");
    refused(rt, grandpaEvidence(ed("Bob"), { setId: 1n, round: 3n }), "future", "Offences.FutureSession");

    // Eve joins at era 1: the finality keys change, so set 1 starts; set 0 is checked against session 2.
    joinAsValidator(rt, "Eve", 50n * UNIT);
    rt.runTo(SESSION_LENGTH * SESSIONS_PER_ERA);
    expect(rt.read(authoritySetId)).toBe(1n);
    expect(rt.read((x) => Session.storage.SetIdSession.get(x, 0n))).toBe(SESSIONS_PER_ERA - 1);
    refused(rt, grandpaEvidence(ed("Eve"), { setId: 0n, round: 3n }), "badProof", "Offences.InvalidEquivocationProof");
    expect(rt.validate(equivocationReportExtrinsic(good), "local").ok).toBe(true);
    expect(
      rt.block([equivocationReportExtrinsic(grandpaEvidence(ed("Eve"), { setId: 1n, round: 0n }))]).results,
    ).toEqual([OK]);
    expect(rt.eventsOf("Offences")[0]?.value).toMatchObject({ offender: pk("Eve"), session_index: SESSIONS_PER_ERA });
  });
});
