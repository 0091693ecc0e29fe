/**
 * The governance pallets as standard tooling sees them: `@polkadot/types`, from our metadata alone,
 * computes the same storage keys, decodes every new storage item into FRAME's shapes
 * (`referendumInfoFor` → `Ongoing`/`Approved`/…, `Vote` → `{ aye, conviction }`), encodes every new call
 * to the bytes our runtime decodes, and decodes every new event.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { expandMetadata } from "@polkadot/types/metadata/decorate";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { RuntimeCall, RuntimeEvent } from "../../../runtime/construct.js";
import { metadataV14 } from "../../../runtime/metadata.js";
import { Balances } from "../../../runtime/pallets/balances.js";
import { CONVICTION_VOTING_ID, ConvictionVoting, voteByte } from "../../../runtime/pallets/convictionVoting/index.js";
import { JOB_MANAGER, keyOf, Parameters, setParameterCall } from "../../../runtime/pallets/parameters/index.js";
import { Referenda, type ReferendumInfoValue } from "../../../runtime/pallets/referenda/index.js";
import { System } from "../../../runtime/pallets/system.js";
import { pk, submit, vote } from "../../helpers/governance.js";

// biome-ignore lint/suspicious/noExplicitAny: the decorated metadata is dynamically typed.
type Any = any;
let registry: TypeRegistry;
let decorated: Any;

beforeAll(async () => {
  await cryptoReady();
  registry = new TypeRegistry();
  const metadata = new Metadata(registry, metadataV14());
  registry.setMetadata(metadata);
  decorated = expandMetadata(registry, metadata);
});

/** Decodes `bytes` as the value type of storage item `section.item`. */
function decodeValue(section: string, item: string, bytes: Uint8Array): Any {
  const entry = decorated.query[section][item];
  const ty = entry.meta.type.isPlain ? entry.meta.type.asPlain : entry.meta.type.asMap.value;
  return registry.createType(registry.createLookupType(ty), bytes);
}

/** Whether polkadot's key for `args` ends with ours (it prefixes nothing for raw keys; compare tails). */
function sameKey(section: string, item: string, args: unknown[], ours: Uint8Array): boolean {
  const key: Uint8Array = decorated.query[section][item](...args);
  return Buffer.from(key).toString("hex").endsWith(Buffer.from(ours).toString("hex"));
}

const ALICE = pk("Alice");
const proposal = RuntimeCall.enc(setParameterCall(JOB_MANAGER.worker_share_ppm, 850_000));

describe("storage", () => {
  it("Parameters.Parameters: keys and values", () => {
    const key = keyOf(JOB_MANAGER.worker_share_ppm);
    const S = Parameters.storage.Parameters;
    expect(sameKey("parameters", "parameters", [{ JobManager: "WorkerSharePpm" }], S.keyFor(key))).toBe(true);
    const value = S.valueTy.enc({ tag: "JobManager", value: { tag: "WorkerSharePpm", value: 850_000 } });
    expect(decodeValue("parameters", "parameters", value).toJSON()).toEqual({
      jobManager: { workerSharePpm: 850_000 },
    });
  });

  it("Referenda.ReferendumInfoFor decodes into FRAME's shape, Ongoing and closed", () => {
    const S = Referenda.storage;
    expect(sameKey("referenda", "referendumInfoFor", [3], S.ReferendumInfoFor.keyFor(3))).toBe(true);
    const deposit = { who: ALICE, amount: 10n };
    const ongoing: ReferendumInfoValue = {
      tag: "Ongoing",
      value: {
        track: 0,
        origin: { tag: "system", value: { tag: "Root" } },
        proposal: { tag: "Inline", value: proposal },
        enactment: { tag: "After", value: 0 },
        submitted: 1,
        submission_deposit: deposit,
        decision_deposit: { who: ALICE, amount: 100n },
        deciding: { since: 3, confirming: 12 },
        tally: { ayes: 1200n, nays: 600n, support: 800n },
        in_queue: false,
        alarm: [12, [12, 0]],
      },
    };
    const decoded = decodeValue("referenda", "referendumInfoFor", S.ReferendumInfoFor.valueTy.enc(ongoing));
    expect(decoded.isOngoing).toBe(true);
    expect(decoded.asOngoing.origin.toJSON()).toEqual({ system: { root: null } });
    expect(decoded.asOngoing.proposal.asInline.toHex()).toBe(toHex(proposal));
    expect(decoded.asOngoing.tally.toJSON()).toEqual({ ayes: 1200, nays: 600, support: 800 });
    expect(decoded.asOngoing.deciding.unwrap().confirming.unwrap().toNumber()).toBe(12);
    expect(decoded.asOngoing.enactment.toJSON()).toEqual({ after: 0 });
    const approved = decodeValue(
      "referenda",
      "referendumInfoFor",
      S.ReferendumInfoFor.valueTy.enc({ tag: "Approved", value: [12, deposit, undefined] }),
    );
    expect(approved.isApproved).toBe(true);
    expect(approved.asApproved[0].toNumber()).toBe(12);
    expect(approved.asApproved[2].isNone).toBe(true);
    for (const tag of ["Rejected", "Cancelled", "TimedOut"] as const) {
      const v = decodeValue(
        "referenda",
        "referendumInfoFor",
        S.ReferendumInfoFor.valueTy.enc({ tag, value: [9, deposit, deposit] }),
      );
      expect(v.type).toBe(tag);
    }
    const killed = decodeValue(
      "referenda",
      "referendumInfoFor",
      S.ReferendumInfoFor.valueTy.enc({ tag: "Killed", value: 7 }),
    );
    expect(killed.isKilled && killed.asKilled.toNumber()).toBe(7);
    const dec = (item: string, bytes: Uint8Array) => decodeValue("referenda", item, bytes).toJSON();
    expect(dec("referendumCount", S.ReferendumCount.valueTy.enc(5))).toBe(5);
    expect(dec("decidingCount", S.DecidingCount.valueTy.enc(2))).toBe(2);
    expect(dec("queuedCount", S.QueuedCount.valueTy.enc(3))).toBe(3);
    expect(dec("alarms", S.Alarms.valueTy.enc([0, 4]))).toEqual([0, 4]);
    expect(dec("agenda", S.Agenda.valueTy.enc([[1, { tag: "Inline", value: proposal }]]))).toEqual([
      [1, { inline: toHex(proposal) }],
    ]);
    expect(dec("enactmentOf", S.EnactmentOf.valueTy.enc([15, { tag: "Ok", value: undefined }]))).toEqual([
      15,
      { ok: null },
    ]);
    expect(sameKey("referenda", "alarms", [12], S.Alarms.keyFor(12))).toBe(true);
  });

  it("ConvictionVoting.VotingFor and ClassLocksFor; the Vote byte reads as { aye, conviction }", () => {
    const S = ConvictionVoting.storage;
    expect(sameKey("convictionVoting", "votingFor", [ALICE, 0], S.VotingFor.keyFor([ALICE, 0]))).toBe(true);
    const voting = S.VotingFor.valueTy.enc({
      tag: "Casting",
      value: {
        votes: [[0, { tag: "Standard", value: { vote: voteByte(true, 3), balance: 200n } }]],
        delegations: { votes: 0n, capital: 0n },
        prior: [32, 200n],
      },
    });
    const decoded = decodeValue("convictionVoting", "votingFor", voting);
    const standard = decoded.asCasting.votes[0][1].asStandard;
    expect(standard.vote.isAye).toBe(true);
    expect(standard.vote.conviction.type).toBe("Locked3x");
    expect(standard.balance.toNumber()).toBe(200);
    expect(decoded.asCasting.prior.toJSON()).toEqual([32, 200]);
    expect(decodeValue("convictionVoting", "classLocksFor", S.ClassLocksFor.valueTy.enc([[0, 200n]])).toJSON()).toEqual(
      [[0, 200]],
    );
  });

  it("Balances.Locks and AccountInfo.data.frozen", () => {
    const locks = Balances.storage.Locks.valueTy.enc([
      { id: CONVICTION_VOTING_ID, amount: 600n, reasons: { tag: "All" } },
    ]);
    expect(decodeValue("balances", "locks", locks).toJSON()).toEqual([
      { id: toHex(CONVICTION_VOTING_ID), amount: 600, reasons: "All" },
    ]);
    const account = System.storage.Account.valueTy.enc({
      nonce: 1,
      consumers: 0,
      providers: 1,
      sufficients: 0,
      data: { free: 1000n, reserved: 10n, frozen: 600n, flags: 1n << 127n },
    });
    expect(decodeValue("system", "account", account).data.frozen.toNumber()).toBe(600);
  });
});

describe("calls", () => {
  it("@polkadot/api encodes every new call to the bytes our runtime decodes", () => {
    const tx = decorated.tx;
    const same = (theirs: Any, ours: Uint8Array) => expect(toHex(theirs.toU8a())).toBe(toHex(ours));
    same(
      tx.parameters.setParameter({ JobManager: { WorkerSharePpm: [null, 850_000] } }),
      RuntimeCall.enc(setParameterCall(JOB_MANAGER.worker_share_ppm, 850_000)),
    );
    same(
      tx.referenda.submit({ system: "Root" }, { Inline: toHex(proposal) }, { After: 0 }),
      RuntimeCall.enc(submit(proposal)),
    );
    same(
      tx.convictionVoting.vote(0, { Standard: { vote: { aye: true, conviction: "Locked3x" }, balance: 200 } }),
      RuntimeCall.enc(vote(0, true, 3, 200n)),
    );
    for (const [method, index] of [
      ["placeDecisionDeposit", 1],
      ["refundDecisionDeposit", 2],
      ["cancel", 3],
      ["kill", 4],
      ["nudgeReferendum", 5],
      ["refundSubmissionDeposit", 7],
    ] as const) {
      const call = tx.referenda[method](9);
      expect([...call.toU8a().subarray(0, 2)]).toEqual([Referenda.index, index]);
      expect(RuntimeCall.dec(call.toU8a())).toMatchObject({ tag: "Referenda", value: { value: { index: 9 } } });
    }
    expect(RuntimeCall.dec(tx.convictionVoting.removeVote(0, 4).toU8a())).toMatchObject({
      value: { tag: "remove_vote", value: { class: 0, index: 4 } },
    });
    expect(RuntimeCall.dec(tx.convictionVoting.unlock(0, { Id: ALICE }).toU8a())).toMatchObject({
      value: { tag: "unlock", value: { class: 0 } },
    });
  });
});

describe("events", () => {
  it("every new event decodes with its fields", () => {
    const tally = { ayes: 3n, nays: 2n, support: 1n };
    const events: [string, string, Record<string, unknown> | undefined][] = [
      [
        "Parameters",
        "Updated",
        {
          key: keyOf(JOB_MANAGER.worker_share_ppm),
          old_value: undefined,
          new_value: { tag: "JobManager", value: { tag: "WorkerSharePpm", value: 850_000 } },
        },
      ],
      ["Balances", "Locked", { who: ALICE, amount: 5n }],
      ["Balances", "Unlocked", { who: ALICE, amount: 5n }],
      [
        "ConvictionVoting",
        "Voted",
        { who: ALICE, vote: { tag: "Standard", value: { vote: voteByte(false, 1), balance: 5n } }, poll_index: 0 },
      ],
      [
        "ConvictionVoting",
        "VoteRemoved",
        { who: ALICE, vote: { tag: "Split", value: { aye: 1n, nay: 2n } }, poll_index: 0 },
      ],
      ["ConvictionVoting", "VoteUnlocked", { who: ALICE, class: 0 }],
      ["Referenda", "Submitted", { index: 0, track: 0, proposal: { tag: "Inline", value: proposal } }],
      ["Referenda", "DecisionDepositPlaced", { index: 0, who: ALICE, amount: 1n }],
      ["Referenda", "DecisionDepositRefunded", { index: 0, who: ALICE, amount: 1n }],
      ["Referenda", "DepositSlashed", { who: ALICE, amount: 1n }],
      ["Referenda", "DecisionStarted", { index: 0, track: 0, proposal: { tag: "Inline", value: proposal }, tally }],
      ["Referenda", "ConfirmStarted", { index: 0 }],
      ["Referenda", "ConfirmAborted", { index: 0 }],
      ["Referenda", "Confirmed", { index: 0, tally }],
      ["Referenda", "Approved", { index: 0 }],
      ["Referenda", "Rejected", { index: 0, tally }],
      ["Referenda", "TimedOut", { index: 0, tally }],
      ["Referenda", "Cancelled", { index: 0, tally }],
      ["Referenda", "Killed", { index: 0, tally }],
      ["Referenda", "SubmissionDepositRefunded", { index: 0, who: ALICE, amount: 1n }],
      ["Referenda", "Enacted", { index: 0, result: { tag: "Err", value: { tag: "BadOrigin" } } }],
    ];
    for (const [pallet, name, value] of events) {
      const bytes = RuntimeEvent.enc({ tag: pallet, value: { tag: name, value } });
      const ev = registry.createType("Event", bytes) as Any;
      expect([ev.section, ev.method]).toEqual([pallet[0].toLowerCase() + pallet.slice(1), name]);
      expect(ev.toU8a()).toEqual(bytes);
    }
  });
});
