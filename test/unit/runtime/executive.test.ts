import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { TREASURY_ACCOUNT } from "../../../runtime/executive.js";
import { applyExtrinsic, constants, type Ext, System } from "../../../runtime/index.js";
import { freeBalance, totalIssuance } from "../../../runtime/pallets/balances.js";
import { computeFee, totalFee } from "../../../runtime/pallets/transactionPayment.js";
import { dev, TestRuntime, transferAllowDeath, transferKeepAlive, UNIT } from "../../helpers/runtime.js";

function applyInBlock(rt: TestRuntime, ext: Ext, tx: Uint8Array) {
  return applyExtrinsic(ext, tx, rt.genesisHash);
}

beforeAll(async () => {
  await cryptoReady();
});

const alice = () => dev("Alice");
const bob = () => dev("Bob");

describe("executive", () => {
  it("applies a transfer: exact amounts, fee to the treasury, nonce bumped, issuance unchanged", () => {
    const rt = TestRuntime.withBalances([
      ["Alice", 1000n * UNIT],
      ["Bob", 10n * UNIT],
    ]);
    const issuance = rt.read(totalIssuance);
    const tx = rt.sign(transferKeepAlive(bob(), 7n * UNIT), alice(), 0);
    const { results } = rt.block([tx]);
    expect(results[0]).toEqual({ ok: true, outcome: { ok: true } });
    const fee = totalFee(
      computeFee(
        tx.length,
        { ref_time: 2n * constants.DB_READ_WEIGHT + 2n * constants.DB_WRITE_WEIGHT, proof_size: 0n },
        0n,
      ),
    );
    expect(rt.read((e) => freeBalance(e, bob().publicKey))).toBe(17n * UNIT);
    expect(rt.read((e) => freeBalance(e, alice().publicKey))).toBe(993n * UNIT - fee);
    expect(rt.read((e) => freeBalance(e, TREASURY_ACCOUNT))).toBe(constants.EXISTENTIAL_DEPOSIT + fee);
    expect(rt.read((e) => System.storage.Account.getOrDefault(e, alice().publicKey).nonce)).toBe(1);
    expect(rt.read(totalIssuance)).toBe(issuance);
  });

  it("rejects a transaction whose sender cannot pay the fee, in the pool and in a block", () => {
    const rt = TestRuntime.withBalances([["Alice", 1000n * UNIT]]);
    const tx = rt.sign(transferKeepAlive(alice(), UNIT), dev("Pauper"), 0);
    expect(rt.validate(tx)).toEqual({ ok: false, error: { kind: "invalid", reason: "payment" } });
    const before = rt.state;
    const ext = rt.ext();
    expect(applyInBlock(rt, ext, tx)).toEqual({ ok: false, error: { kind: "invalid", reason: "payment" } });
    // Nothing the rejected extrinsic did is left in the block's changes.
    expect(before.update(ext.overlay.drain()).root).toEqual(before.root);
  });

  it("rejects a bad signature, a stale nonce and a future nonce", () => {
    const rt = TestRuntime.withBalances([["Alice", 1000n * UNIT]]);
    const good = rt.sign(transferKeepAlive(bob(), UNIT), alice(), 0);
    const bad = good.slice();
    bad[40] ^= 1;
    expect(rt.validate(bad)).toEqual({ ok: false, error: { kind: "invalid", reason: "badProof" } });
    rt.block([good]);
    const stale = rt.sign(transferKeepAlive(bob(), UNIT), alice(), 0);
    expect(rt.validate(stale)).toEqual({ ok: false, error: { kind: "invalid", reason: "stale" } });
    const future = rt.sign(transferKeepAlive(bob(), UNIT), alice(), 5);
    const v = rt.validate(future);
    expect(v.ok && v.value.requires.length).toBe(1);
    expect(rt.block([future]).results[0]).toEqual({ ok: false, error: { kind: "invalid", reason: "future" } });
  });

  it("a failed call keeps the fee and nonce but none of the call's writes", () => {
    const rt = TestRuntime.withBalances([["Alice", 1000n * UNIT]]);
    const tx = rt.sign(transferAllowDeath(dev("Nobody"), 1n), alice(), 0);
    const { results, ext } = rt.block([tx]);
    expect(results[0].ok && results[0].outcome.ok).toBe(false);
    expect(rt.read((e) => freeBalance(e, dev("Nobody").publicKey))).toBe(0n);
    expect(rt.read((e) => System.storage.Account.getOrDefault(e, alice().publicKey).nonce)).toBe(1);
    const failed = ext.events.find(
      (e) => (e.event as { tag: string; value: { tag: string } }).value.tag === "ExtrinsicFailed",
    );
    expect(failed).toBeDefined();
  });

  it("accepts mortal transactions and rejects them once their era has passed", () => {
    const rt = TestRuntime.withBalances([["Alice", 1000n * UNIT]]);
    rt.block([]);
    const tx = rt.sign(transferKeepAlive(bob(), UNIT), alice(), 0, { mortal: 4 });
    expect(rt.validate(tx).ok).toBe(true);
    for (let i = 0; i < 4; i++) rt.block([]);
    // As in Substrate: past its era the birth block moves on, so the signed block hash no longer matches.
    expect(rt.validate(tx)).toEqual({ ok: false, error: { kind: "invalid", reason: "badProof" } });
  });
});
