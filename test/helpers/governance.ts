/**
 * Helpers for the governance runtime tests: the calls of `referenda` and `convictionVoting` as
 * `CallValue`s, a genesis with short governance periods, and a runtime that tracks every account's fees
 * so that tests can assert exact balances.
 */
import { expect } from "@jest/globals";
import { toHex } from "../../primitives/hex.js";
import { RuntimeCall } from "../../runtime/construct.js";
import type { CallValue } from "../../runtime/index.js";
import { locksOf, totalIssuance } from "../../runtime/pallets/balances.js";
import { voteByte } from "../../runtime/pallets/convictionVoting/index.js";
import { type AnyKnob, setParameterCall } from "../../runtime/pallets/parameters/index.js";
import { System } from "../../runtime/pallets/system.js";
import { dev, TestRuntime, UNIT } from "./runtime.js";

export const pk = (name: string): Uint8Array => dev(name).publicKey;

/** Short periods (blocks) and small deposits, as a test chain spec sets them. */
export const TEST_GOVERNANCE = {
  "referenda.submission_deposit": 10n * UNIT,
  "referenda.decision_deposit": 100n * UNIT,
  "referenda.prepare_period": 2,
  "referenda.decision_period": 10,
  "referenda.confirm_period": 2,
  "referenda.min_enactment_period": 3,
  "referenda.undeciding_timeout": 20,
  "convictionVoting.vote_locking_period": 5,
};

export const VOTERS = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];

/** Every dev account with 1000 TRAIN, no sudo key (the runtime has no Sudo), short governance periods. */
export function governanceRuntime(parameters: Record<string, number | bigint> = {}): TestRuntime {
  return new TestRuntime({
    balances: VOTERS.map((n): [Uint8Array, bigint] => [pk(n), 1000n * UNIT]),
    parameters: { ...TEST_GOVERNANCE, ...parameters },
  });
}

const call = (pallet: string, tag: string, value: Record<string, unknown>): CallValue => ({
  tag: pallet,
  value: { tag, value },
});

/** `referenda.submit` of `proposal` as Root, enacted `after` blocks after approval (at least the minimum). */
export function submit(proposal: CallValue | Uint8Array, after = 0): CallValue {
  const bytes = proposal instanceof Uint8Array ? proposal : RuntimeCall.enc(proposal);
  return call("Referenda", "submit", {
    proposal_origin: { tag: "system", value: { tag: "Root" } },
    proposal: { tag: "Inline", value: bytes },
    enactment_moment: { tag: "After", value: after },
  });
}

/** A proposal setting `knob` to `value`. */
export const proposeParameter = (knob: AnyKnob, value: number | bigint) => submit(setParameterCall(knob, value));

export const placeDecisionDeposit = (index: number) => call("Referenda", "place_decision_deposit", { index });
export const refundDecisionDeposit = (index: number) => call("Referenda", "refund_decision_deposit", { index });
export const refundSubmissionDeposit = (index: number) => call("Referenda", "refund_submission_deposit", { index });
export const cancelReferendum = (index: number) => call("Referenda", "cancel", { index });
export const killReferendum = (index: number) => call("Referenda", "kill", { index });

/** A standard vote: `aye` or nay with `balance` at `conviction` (0 = None, 1..=6 = Locked1x..6x). */
export function vote(index: number, aye: boolean, conviction: number, balance: bigint): CallValue {
  return call("ConvictionVoting", "vote", {
    poll_index: index,
    vote: { tag: "Standard", value: { vote: voteByte(aye, conviction), balance } },
  });
}

/** `remove_vote` of the vote on `index`; `cls` null leaves the class out (`None`). */
export const removeVoteCall = (index: number, cls: number | null = 0) =>
  call("ConvictionVoting", "remove_vote", { class: cls ?? undefined, index });
export const unlockCall = (target: string) =>
  call("ConvictionVoting", "unlock", { class: 0, target: { tag: "Id", value: pk(target) } });

/** The account's balance data. */
export function dataOf(rt: TestRuntime, name: string) {
  return rt.read((e) => System.storage.Account.getOrDefault(e, pk(name)).data);
}

/** The invariants of the e2e run, on the runtime's head state: issuance and locks. */
export function checkBalanceInvariants(rt: TestRuntime): void {
  rt.read((ext) => {
    const accounts = System.storage.Account.entries(ext);
    let sum = 0n;
    for (const [who, info] of accounts) {
      sum += info.data.free + info.data.reserved;
      for (const lock of locksOf(ext, who))
        expect(lock.amount).toBeLessThanOrEqual(info.data.free + info.data.reserved);
      expect(info.data.frozen).toBeLessThanOrEqual(info.data.free);
    }
    expect(sum).toBe(totalIssuance(ext));
  });
}

/** Fees each account paid in the last block (from `TransactionFeePaid`). */
export function feesOfLastBlock(rt: TestRuntime): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const { event } of rt.lastEvents) {
    const v = event.value as { tag: string; value: { who: Uint8Array; actual_fee: bigint } };
    if (event.tag === "TransactionPayment" && v.tag === "TransactionFeePaid")
      out.set(toHex(v.value.who), (out.get(toHex(v.value.who)) ?? 0n) + v.value.actual_fee);
  }
  return out;
}

/** Submits `c` signed by `name` in a block of its own; returns the fee it paid. Throws if it failed. */
export function send(rt: TestRuntime, name: string, c: CallValue): bigint {
  const r = rt.submit(dev(name), c);
  if (!r.ok || !r.outcome.ok)
    throw new Error(`${name} ${c.tag}.${c.value.tag}: ${JSON.stringify(r.ok ? rt.lastDispatchError() : r.error)}`);
  checkBalanceInvariants(rt);
  return feesOfLastBlock(rt).get(toHex(pk(name))) ?? 0n;
}

/** Empty blocks until the head is `n`, checking the invariants after each. */
export function runTo(rt: TestRuntime, n: number): void {
  while (rt.header.number < n) {
    rt.block([]);
    checkBalanceInvariants(rt);
  }
}

/** The events of the last block as `Pallet.Variant` names. */
export function eventNames(rt: TestRuntime, pallets = ["Referenda", "ConvictionVoting", "Parameters"]): string[] {
  return rt.lastEvents.filter((r) => pallets.includes(r.event.tag)).map((r) => `${r.event.tag}.${r.event.value.tag}`);
}
