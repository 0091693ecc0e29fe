/**
 * Conviction voting and the balance locks it holds, on a runtime without Sudo: one test per rule, each
 * failing call checked with `assertNoop` (named error, no event, unchanged state root), balances exact.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { Balances, locksOf } from "../../../runtime/pallets/balances.js";
import {
  CONVICTION_VOTING_ID,
  ConvictionVoting,
  convictionVotes,
  lockPeriods,
  MAX_VOTES,
  voteByte,
  votesOf,
} from "../../../runtime/pallets/convictionVoting/index.js";
import { JOB_MANAGER, setParameterCall } from "../../../runtime/pallets/parameters/index.js";
import { Referenda } from "../../../runtime/pallets/referenda/index.js";
import {
  dataOf,
  eventNames,
  governanceRuntime,
  pk,
  placeDecisionDeposit,
  removeVoteCall,
  runTo,
  send,
  submit,
  unlockCall,
  vote,
} from "../../helpers/governance.js";
import { dev, type TestRuntime, transferKeepAlive, UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const signed = (n: string) => ({ kind: "signed" as const, who: pk(n) });
const PROPOSAL = setParameterCall(JOB_MANAGER.worker_share_ppm, 850_000);
const tally = (rt: TestRuntime, i: number) =>
  rt.read((e) => {
    const info = Referenda.storage.ReferendumInfoFor.get(e, i);
    return info?.tag === "Ongoing" ? info.value.tally : undefined;
  });

/** Referendum 0, deciding from block 3 to 13 (Ferdie proposes and deposits at blocks 1 and 2). */
function deciding(): TestRuntime {
  const rt = governanceRuntime();
  send(rt, "Ferdie", submit(PROPOSAL));
  send(rt, "Ferdie", placeDecisionDeposit(0));
  return rt;
}

describe("vote", () => {
  it("weighs the balance by conviction: None a tenth, LockedNx N times; lock periods double", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((c) => convictionVotes(c, 100n))).toEqual([
      10n,
      100n,
      200n,
      300n,
      400n,
      500n,
      600n,
    ]);
    expect([0, 1, 2, 3, 4, 5, 6].map(lockPeriods)).toEqual([0, 1, 2, 4, 8, 16, 32]);
    expect(voteByte(true, 3)).toBe(0x83);
  });

  it("a vote above the free balance is refused (InsufficientFunds), reserved funds included", () => {
    const rt = deciding();
    const free = dataOf(rt, "Alice").free;
    rt.assertNoop(signed("Alice"), vote(0, true, 1, free + 1n), "ConvictionVoting.InsufficientFunds");
    // Ferdie has 110 TRAIN reserved for the deposits: its total balance does not count.
    const ferdie = dataOf(rt, "Ferdie");
    rt.assertNoop(signed("Ferdie"), vote(0, true, 1, ferdie.free + 1n), "ConvictionVoting.InsufficientFunds");
    rt.assertNoop(signed("Alice"), vote(0, true, 7, UNIT), "ConvictionVoting.InvalidConviction");
    rt.assertNoop(signed("Alice"), vote(5, true, 1, UNIT), "ConvictionVoting.NotOngoing");
  });

  it("a second vote on the same referendum replaces the first (the tally moves by the difference)", () => {
    const rt = deciding();
    send(rt, "Alice", vote(0, true, 1, 600n * UNIT));
    expect(tally(rt, 0)).toEqual({ ayes: 600n * UNIT, nays: 0n, support: 600n * UNIT });
    send(rt, "Alice", vote(0, false, 2, 100n * UNIT));
    expect(tally(rt, 0)).toEqual({ ayes: 0n, nays: 200n * UNIT, support: 0n });
    expect(rt.read((e) => votesOf(e, pk("Alice")).votes.length)).toBe(1);
    // The lock only grows with a vote (as in FRAME); unlock brings it down to the standing vote.
    expect(dataOf(rt, "Alice").frozen).toBe(600n * UNIT);
    send(rt, "Bob", unlockCall("Alice"));
    expect(eventNames(rt)).toEqual(["ConvictionVoting.VoteUnlocked"]);
    expect(dataOf(rt, "Alice").frozen).toBe(100n * UNIT);
  });

  it("split votes count a tenth on each side; abstain counts as support only", () => {
    const rt = deciding();
    const split = (aye: bigint, nay: bigint, abstain?: bigint) => ({
      tag: "ConvictionVoting",
      value: {
        tag: "vote",
        value: {
          poll_index: 0,
          vote:
            abstain === undefined
              ? { tag: "Split", value: { aye, nay } }
              : { tag: "SplitAbstain", value: { aye, nay, abstain } },
        },
      },
    });
    send(rt, "Alice", split(100n * UNIT, 50n * UNIT));
    send(rt, "Bob", split(10n * UNIT, 20n * UNIT, 30n * UNIT));
    expect(tally(rt, 0)).toEqual({ ayes: 11n * UNIT, nays: 7n * UNIT, support: 140n * UNIT });
    expect([dataOf(rt, "Alice").frozen, dataOf(rt, "Bob").frozen]).toEqual([150n * UNIT, 60n * UNIT]);
  });

  it("is refused once the decision period is over (NotOngoing)", () => {
    const rt = deciding();
    send(rt, "Alice", vote(0, false, 1, 10n * UNIT));
    runTo(rt, 13);
    expect(eventNames(rt)).toEqual(["Referenda.Rejected"]);
    rt.assertNoop(signed("Bob"), vote(0, true, 1, 10n * UNIT), "ConvictionVoting.NotOngoing");
    rt.assertNoop(signed("Alice"), vote(0, true, 1, 10n * UNIT), "ConvictionVoting.NotOngoing");
  });

  it("at most MaxVotes votes per account, finished referenda included until their votes are removed", () => {
    const rt = governanceRuntime();
    for (let i = 0; i < MAX_VOTES; i++) send(rt, "Ferdie", submit(PROPOSAL));
    for (let i = 0; i < MAX_VOTES; i++) send(rt, "Alice", vote(i, true, 0, UNIT));
    // No decision deposits: all time out, 20 blocks after their submission.
    runTo(rt, MAX_VOTES + 20);
    expect(rt.read((e) => Referenda.storage.QueuedCount.getOrDefault(e))).toBe(0);
    send(rt, "Ferdie", submit(PROPOSAL));
    rt.assertNoop(signed("Alice"), vote(MAX_VOTES, true, 0, UNIT), "ConvictionVoting.MaxVotesReached");
    rt.assertNoop(signed("Alice"), removeVoteCall(0, null), "ConvictionVoting.ClassNeeded");
    rt.assertNoop(signed("Bob"), removeVoteCall(0), "ConvictionVoting.NotVoter");
    send(rt, "Alice", removeVoteCall(0));
    send(rt, "Alice", vote(MAX_VOTES, true, 0, UNIT));
    expect(rt.read((e) => votesOf(e, pk("Alice")).votes.length)).toBe(MAX_VOTES);
  });
});

describe("locks", () => {
  it("a vote freezes its balance: visible in AccountInfo.data.frozen and Balances.Locks; transfers, reserves and fees respect it", () => {
    const rt = deciding();
    send(rt, "Alice", vote(0, true, 1, 995n * UNIT));
    const a = dataOf(rt, "Alice");
    expect(a.frozen).toBe(995n * UNIT);
    expect(rt.read((e) => locksOf(e, pk("Alice")))).toEqual([
      { id: CONVICTION_VOTING_ID, amount: 995n * UNIT, reasons: { tag: "All" } },
    ]);
    expect(rt.eventsOf("Balances", "Locked")).toEqual([
      { tag: "Locked", value: { who: pk("Alice"), amount: 995n * UNIT } },
    ]);
    const usable = a.free - a.frozen;
    rt.assertNoop(signed("Alice"), transferKeepAlive(dev("Bob"), usable + 1n), "Balances.LiquidityRestrictions");
    // The 10 TRAIN submission deposit cannot be reserved from frozen funds.
    rt.assertNoop(signed("Alice"), submit(PROPOSAL), "Balances.LiquidityRestrictions");
    send(rt, "Alice", transferKeepAlive(dev("Bob"), usable / 2n));
    expect(dataOf(rt, "Alice").free).toBeGreaterThanOrEqual(995n * UNIT);
    // transfer_all leaves exactly the frozen balance; then Alice cannot pay a fee, and the pool refuses her.
    send(rt, "Alice", {
      tag: "Balances",
      value: { tag: "transfer_all", value: { dest: { tag: "Id", value: pk("Bob") }, keep_alive: false } },
    });
    expect(dataOf(rt, "Alice")).toMatchObject({ free: 995n * UNIT, frozen: 995n * UNIT });
    const tx = rt.sign(transferKeepAlive(dev("Bob"), 1n), dev("Alice"), rt.nonceOf(dev("Alice")));
    expect(rt.validate(tx)).toEqual({ ok: false, error: { kind: "invalid", reason: "payment" } });
  });

  it("a winning vote stays locked for its conviction's periods after the end; a losing one is free at once", () => {
    const rt = governanceRuntime({ "convictionVoting.vote_locking_period": 10 });
    send(rt, "Ferdie", submit(PROPOSAL));
    send(rt, "Ferdie", placeDecisionDeposit(0));
    send(rt, "Alice", vote(0, true, 1, 600n * UNIT));
    send(rt, "Bob", vote(0, false, 2, 300n * UNIT));
    send(rt, "Charlie", vote(0, true, 3, 200n * UNIT));
    runTo(rt, 12);
    expect(eventNames(rt)).toEqual(["Referenda.Confirmed", "Referenda.Approved"]);
    // Votes on a finished referendum keep their lock until removed.
    send(rt, "Alice", unlockCall("Alice"));
    expect(dataOf(rt, "Alice").frozen).toBe(600n * UNIT);
    for (const n of ["Alice", "Bob", "Charlie"]) send(rt, n, removeVoteCall(0));
    // Bob lost: nothing holds his balance. Alice (1x) is locked until 12 + 10, Charlie (3x) until 12 + 4 * 10.
    for (const n of ["Alice", "Bob", "Charlie"]) send(rt, "Dave", unlockCall(n));
    expect([dataOf(rt, "Alice").frozen, dataOf(rt, "Bob").frozen, dataOf(rt, "Charlie").frozen]).toEqual([
      600n * UNIT,
      0n,
      200n * UNIT,
    ]);
    expect(rt.read((e) => ConvictionVoting.storage.VotingFor.get(e, [pk("Charlie"), 0]))).toMatchObject({
      value: { votes: [], prior: [52, 200n * UNIT] },
    });
    runTo(rt, 20);
    send(rt, "Dave", unlockCall("Alice"));
    expect(dataOf(rt, "Alice").frozen).toBe(600n * UNIT);
    send(rt, "Dave", unlockCall("Alice"));
    expect(dataOf(rt, "Alice").frozen).toBe(0n);
    expect(rt.eventsOf("Balances", "Unlocked")).toEqual([
      { tag: "Unlocked", value: { who: pk("Alice"), amount: 600n * UNIT } },
    ]);
    expect(rt.read((e) => [locksOf(e, pk("Alice")), Balances.storage.Locks.contains(e, pk("Alice"))])).toEqual([
      [],
      false,
    ]);
    runTo(rt, 51);
    send(rt, "Dave", unlockCall("Charlie"));
    expect(dataOf(rt, "Charlie").frozen).toBe(0n);
    expect(rt.read((e) => ConvictionVoting.storage.VotingFor.contains(e, [pk("Charlie"), 0]))).toBe(false);
  });
});
