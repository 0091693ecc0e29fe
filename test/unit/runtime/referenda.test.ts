/**
 * Referenda on a runtime without Sudo (as on `local` and `devnet`): the whole life of a referendum at
 * the blocks its curves give, the deposits, the origins of `cancel` and `kill`, time-outs, the
 * `MaxQueued` bound, and a proposal whose call fails at enactment. Every failing call is checked with
 * `assertNoop` (named error, no event, unchanged state root).
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady, twox128 } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { TREASURY_ACCOUNT } from "../../../runtime/constants.js";
import { runtimeOptions, runtimePallets } from "../../../runtime/construct.js";
import { callDecl } from "../../../runtime/frame/calls.js";
import type { CallValue } from "../../../runtime/index.js";
import { JOB_MANAGER, param, setParameterCall } from "../../../runtime/pallets/parameters/index.js";
import {
  blocksFor,
  delay,
  MAX_PROPOSAL_LENGTH,
  MAX_QUEUED,
  Referenda,
  threshold,
} from "../../../runtime/pallets/referenda/index.js";
import { System } from "../../../runtime/pallets/system.js";
import {
  cancelReferendum,
  dataOf,
  eventNames,
  governanceRuntime,
  killReferendum,
  pk,
  placeDecisionDeposit,
  proposeParameter,
  refundDecisionDeposit,
  refundSubmissionDeposit,
  runTo,
  send,
  submit,
  vote,
} from "../../helpers/governance.js";
import { type TestRuntime, UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const S = Referenda.storage;
const ROOT = { kind: "root" as const };
const signed = (n: string) => ({ kind: "signed" as const, who: pk(n) });
const info = (rt: TestRuntime, i: number) => rt.read((e) => S.ReferendumInfoFor.get(e, i));
const share = (rt: TestRuntime) => rt.read((e) => param(e, JOB_MANAGER.worker_share_ppm));

/** Ferdie proposes `c` and places the decision deposit (blocks 1 and 2 on a fresh runtime). */
function proposeAndDeposit(rt: TestRuntime, c: CallValue): number {
  const index = rt.read((e) => S.ReferendumCount.getOrDefault(e));
  send(rt, "Ferdie", submit(c));
  send(rt, "Ferdie", placeDecisionDeposit(index));
  return index;
}

/** Three votes that pass at 70% of a 10-block decision period: ayes 1200, nays 600, support 800 TRAIN. */
function passingVotes(rt: TestRuntime, index: number): void {
  send(rt, "Alice", vote(index, true, 1, 600n * UNIT));
  send(rt, "Bob", vote(index, false, 2, 300n * UNIT));
  send(rt, "Charlie", vote(index, true, 3, 200n * UNIT));
}

describe("a referendum's life", () => {
  it("is prepared, decided, confirmed, approved and enacted at the blocks the curves give", () => {
    const rt = governanceRuntime();
    expect(runtimeOptions()).toEqual({ sudo: false });
    expect(runtimePallets().map((p) => p.name)).not.toContain("Sudo");
    let fees = send(rt, "Ferdie", proposeParameter(JOB_MANAGER.worker_share_ppm, 850_000));
    expect(eventNames(rt)).toEqual(["Referenda.Submitted"]);
    expect(dataOf(rt, "Ferdie").reserved).toBe(10n * UNIT);
    expect(info(rt, 0)).toMatchObject({ tag: "Ongoing", value: { submitted: 1, alarm: [21, [21, 0]] } });
    fees += send(rt, "Ferdie", placeDecisionDeposit(0));
    expect(dataOf(rt, "Ferdie").reserved).toBe(110n * UNIT);
    // Preparation lasts 2 blocks: deciding starts at the start of block 3.
    expect(info(rt, 0)).toMatchObject({ tag: "Ongoing", value: { deciding: undefined, alarm: [3, [3, 0]] } });
    send(rt, "Alice", vote(0, true, 1, 600n * UNIT));
    expect(eventNames(rt)).toEqual(["Referenda.DecisionStarted", "ConvictionVoting.Voted"]);
    send(rt, "Bob", vote(0, false, 2, 300n * UNIT));
    send(rt, "Charlie", vote(0, true, 3, 200n * UNIT));
    // Ayes 600 x1 + 200 x3, nays 300 x2, support the aye capital.
    expect(info(rt, 0)).toMatchObject({
      value: { tally: { ayes: 1200n * UNIT, nays: 600n * UNIT, support: 800n * UNIT } },
    });
    // Approval 66.7% meets the approval curve (100% -> 50%) at 70% of the period; support 13.3% meets
    // the support curve (25% -> 1%) earlier. 7 blocks after deciding started: block 10.
    runTo(rt, 6);
    expect(info(rt, 0)).toMatchObject({ value: { alarm: [10, [10, 0]] } });
    runTo(rt, 9);
    expect(eventNames(rt)).toEqual([]);
    runTo(rt, 10);
    expect(eventNames(rt)).toEqual(["Referenda.ConfirmStarted"]);
    expect(info(rt, 0)).toMatchObject({ value: { deciding: { since: 3, confirming: 12 } } });
    runTo(rt, 12);
    expect(eventNames(rt)).toEqual(["Referenda.Confirmed", "Referenda.Approved"]);
    expect(info(rt, 0)).toEqual({
      tag: "Approved",
      value: [12, { who: pk("Ferdie"), amount: 10n * UNIT }, { who: pk("Ferdie"), amount: 100n * UNIT }],
    });
    // Enacted after the 3-block delay.
    runTo(rt, 14);
    expect(share(rt)).toBe(800_000);
    runTo(rt, 15);
    expect(eventNames(rt)).toEqual(["Parameters.Updated", "Referenda.Enacted"]);
    expect(share(rt)).toBe(850_000);
    expect(rt.read((e) => S.EnactmentOf.get(e, 0))).toEqual([15, { tag: "Ok", value: undefined }]);
    expect(rt.read((e) => [S.QueuedCount.getOrDefault(e), S.DecidingCount.getOrDefault(e, 0)])).toEqual([0, 0]);
    // Anyone may refund both deposits to Ferdie, who is left out of pocket by exactly its two fees.
    send(rt, "Bob", refundDecisionDeposit(0));
    send(rt, "Alice", refundSubmissionDeposit(0));
    expect(dataOf(rt, "Ferdie")).toMatchObject({ free: 1000n * UNIT - fees, reserved: 0n, frozen: 0n });
  });

  it("a rejected referendum changes nothing, returns the decision deposit and keeps the submission deposit", () => {
    const rt = governanceRuntime();
    proposeAndDeposit(rt, setParameterCall(JOB_MANAGER.worker_share_ppm, 850_000));
    send(rt, "Alice", vote(0, false, 1, 100n * UNIT));
    // Deciding from 3, for 10 blocks: rejected at 13.
    runTo(rt, 12);
    expect(info(rt, 0)?.tag).toBe("Ongoing");
    runTo(rt, 13);
    expect(eventNames(rt)).toEqual(["Referenda.Rejected"]);
    expect(share(rt)).toBe(800_000);
    rt.assertNoop(signed("Alice"), vote(0, true, 1, UNIT), "ConvictionVoting.NotOngoing");
    rt.assertNoop(signed("Ferdie"), refundSubmissionDeposit(0), "Referenda.BadStatus");
    const before = dataOf(rt, "Ferdie");
    const fee = send(rt, "Ferdie", refundDecisionDeposit(0));
    expect(dataOf(rt, "Ferdie")).toMatchObject({ free: before.free + 100n * UNIT - fee, reserved: 10n * UNIT });
    rt.assertNoop(signed("Ferdie"), refundDecisionDeposit(0), "Referenda.NoDeposit");
  });

  it("times out without a decision deposit", () => {
    const rt = governanceRuntime();
    send(rt, "Ferdie", submit(setParameterCall(JOB_MANAGER.worker_share_ppm, 850_000)));
    rt.assertNoop(signed("Ferdie"), refundDecisionDeposit(0), "Referenda.NoDeposit");
    runTo(rt, 20);
    expect(info(rt, 0)?.tag).toBe("Ongoing");
    runTo(rt, 21);
    expect(eventNames(rt)).toEqual(["Referenda.TimedOut"]);
    expect(info(rt, 0)).toEqual({ tag: "TimedOut", value: [21, { who: pk("Ferdie"), amount: 10n * UNIT }, undefined] });
    rt.assertNoop(signed("Alice"), placeDecisionDeposit(0), "Referenda.NotOngoing");
    expect(rt.read((e) => S.QueuedCount.getOrDefault(e))).toBe(0);
  });
});

describe("rules", () => {
  it("cancel and kill need Root; a deposit is refunded only once the referendum is over", () => {
    const rt = governanceRuntime();
    proposeAndDeposit(rt, setParameterCall(JOB_MANAGER.worker_share_ppm, 850_000));
    for (const who of ["Alice", "Ferdie"]) {
      rt.assertNoop(signed(who), cancelReferendum(0), "BadOrigin");
      rt.assertNoop(signed(who), killReferendum(0), "BadOrigin");
    }
    rt.assertNoop(signed("Ferdie"), refundDecisionDeposit(0), "Referenda.Unfinished");
    rt.assertNoop(signed("Ferdie"), placeDecisionDeposit(0), "Referenda.HasDeposit");
    rt.assertNoop(ROOT, cancelReferendum(7), "Referenda.NotOngoing");
    // What Root's kill does (an approved referendum would dispatch it): both deposits to the treasury.
    const ext = rt.ext();
    const treasury = System.storage.Account.getOrDefault(ext, TREASURY_ACCOUNT).data.free;
    const c = killReferendum(0);
    callDecl(c).dispatch(ext, ROOT, c.value.value);
    expect(S.ReferendumInfoFor.get(ext, 0)).toEqual({ tag: "Killed", value: 2 });
    expect(System.storage.Account.getOrDefault(ext, pk("Ferdie")).data.reserved).toBe(0n);
    expect(System.storage.Account.getOrDefault(ext, TREASURY_ACCOUNT).data.free).toBe(treasury + 110n * UNIT);
    expect(S.QueuedCount.getOrDefault(ext)).toBe(0);
  });

  it("accepts only inline Root proposals of this runtime, and at most MaxQueued in flight", () => {
    const rt = governanceRuntime();
    const proposal = setParameterCall(JOB_MANAGER.worker_share_ppm, 850_000);
    const withOrigin = (origin: unknown) => {
      const c = submit(proposal);
      return { ...c, value: { ...c.value, value: { ...c.value.value, proposal_origin: origin } } };
    };
    rt.assertNoop(
      signed("Alice"),
      withOrigin({ tag: "system", value: { tag: "Signed", value: pk("Alice") } }),
      "Referenda.NoTrack",
    );
    const lookup = submit(proposal);
    lookup.value.value.proposal = { tag: "Lookup", value: { hash: new Uint8Array(32), len: 10 } };
    rt.assertNoop(signed("Alice"), lookup, "Referenda.PreimageNotExist");
    rt.assertNoop(signed("Alice"), submit(new Uint8Array(MAX_PROPOSAL_LENGTH + 1)), "Referenda.ProposalTooLong");
    rt.assertNoop(signed("Alice"), submit(new Uint8Array([0xee, 0])), "Referenda.UndecodableProposal");
    for (let i = 0; i < MAX_QUEUED; i++) send(rt, "Alice", submit(proposal));
    rt.assertNoop(signed("Bob"), submit(proposal), "Referenda.Full");
    expect(dataOf(rt, "Alice").reserved).toBe(BigInt(MAX_QUEUED) * 10n * UNIT);
  });

  it("a proposal whose call fails at enactment is recorded as failed, and changes nothing else", () => {
    const rt = governanceRuntime();
    // Out of the knob's range: valid to submit, fails when dispatched.
    proposeAndDeposit(rt, setParameterCall(JOB_MANAGER.worker_share_ppm, 1_000_001));
    passingVotes(rt, 0);
    runTo(rt, 14);
    const before = snapshot(rt);
    runTo(rt, 15);
    const result = { tag: "Err", value: { tag: "Module", value: { index: 12, error: new Uint8Array([0, 0, 0, 0]) } } };
    expect(rt.eventsOf("Referenda")).toEqual([{ tag: "Enacted", value: { index: 0, result } }]);
    expect(rt.read((e) => S.EnactmentOf.get(e, 0))).toEqual([15, result]);
    expect(share(rt)).toBe(800_000);
    // Only the block's own bookkeeping and the referendum's record changed.
    const changed = new Set(diff(before, snapshot(rt)).map(palletOf));
    expect([...changed].sort()).toEqual(["Referenda", "System", "Timestamp"]);
  });
});

describe("curves", () => {
  const approval = { floor: 500_000_000, ceil: 1_000_000_000 };
  it("fall linearly from the ceiling to the floor; delay is the first part of the period at which y passes", () => {
    expect(threshold(approval, 0)).toBe(1_000_000_000);
    expect(threshold(approval, 700_000_000)).toBe(650_000_000);
    expect(threshold(approval, 1_000_000_000)).toBe(500_000_000);
    expect(delay(approval, 666_666_666)).toBe(666_666_668);
    expect(threshold(approval, 666_666_668)).toBeLessThanOrEqual(666_666_666);
    expect(threshold(approval, 666_666_667)).toBeGreaterThan(666_666_666);
    expect(delay(approval, 499_999_999)).toBeUndefined();
    expect(delay(approval, 1_000_000_000)).toBe(0);
    expect(blocksFor(666_666_668, 10)).toBe(7);
  });
});

// ---- State diffs ----

function snapshot(rt: TestRuntime): Map<string, string> {
  return rt.read((e) => new Map(e.overlay.keys(new Uint8Array(0)).map((k) => [toHex(k), toHex(e.overlay.get(k)!)])));
}

function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k));
}

const PALLET_PREFIXES = new Map(
  runtimePallets().map((p) => [toHex(twox128(new TextEncoder().encode(p.name))).slice(2), p.name]),
);

function palletOf(key: string): string {
  return PALLET_PREFIXES.get(key.slice(2, 34)) ?? key;
}
