/**
 * Bad input against a node that only authors blocks on request (`--sealing manual`), so the state root
 * cannot move unless something is included: every rejection must leave it exactly where it was.
 */
import "@polkadot/api-augment";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { UNITS } from "../../runtime/constants.js";
import { postOversized, type RunningNode, rpcCall, startNode } from "../helpers/node.js";

let node: RunningNode;
let api: ApiPromise;
let alice: KeyringPair;
let bob: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  node = await startNode(["--dev", "--tmp", "--sealing", "manual"]);
  api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true, throwOnConnect: true });
  const keyring = new Keyring({ type: "sr25519" });
  alice = keyring.addFromUri("//Alice");
  bob = keyring.addFromUri("//Bob");
  // One block so that mortal transactions have a recent birth block.
  expect((await rpcCall(node.httpUrl, "engine_createBlock", [true, true])).error).toBeUndefined();
}, 60_000);

afterAll(async () => {
  await api?.disconnect();
  await node?.stop();
});

async function bestStateRoot(): Promise<string> {
  return (await api.rpc.chain.getHeader()).stateRoot.toHex();
}

/** Submits raw hex and checks the error code, that the root did not move and that nothing waits in the pool. */
async function expectRejected(hex: string, code: number, data?: RegExp) {
  const root = await bestStateRoot();
  const r = await rpcCall(node.httpUrl, "author_submitExtrinsic", [hex]);
  expect(r.error?.code).toBe(code);
  if (data) expect(JSON.stringify(r.error?.data ?? r.error?.message)).toMatch(data);
  expect(await bestStateRoot()).toBe(root);
  expect((await rpcCall(node.httpUrl, "author_pendingExtrinsics")).result).toEqual([]);
}

describe("bad input changes nothing", () => {
  it("wrong signature", async () => {
    const tx = api.tx.balances.transferKeepAlive(bob.address, UNITS);
    await tx.signAsync(alice);
    const bytes = Buffer.from(tx.toHex().slice(2), "hex");
    // The signature sits after the length prefix (2 bytes here), 0x84, the 0x00-tagged address and the sig type.
    bytes[2 + 1 + 33 + 1 + 5] ^= 0xff;
    await expectRejected(`0x${bytes.toString("hex")}`, 1010, /bad signature/i);
  });

  it("stale nonce", async () => {
    // Use Alice's nonce 0 once, then try it again.
    const first = api.tx.balances.transferKeepAlive(bob.address, UNITS);
    await first.signAsync(alice, { nonce: 0 });
    expect((await rpcCall(node.httpUrl, "author_submitExtrinsic", [first.toHex()])).error).toBeUndefined();
    await rpcCall(node.httpUrl, "engine_createBlock", [false, true]);
    const again = api.tx.balances.transferKeepAlive(bob.address, 2n * UNITS);
    await again.signAsync(alice, { nonce: 0 });
    await expectRejected(again.toHex(), 1010, /outdated/i);
  });

  it("fee the sender cannot pay", async () => {
    const pauper = new Keyring({ type: "sr25519" }).addFromUri("//Pauper");
    const tx = api.tx.balances.transferKeepAlive(bob.address, UNITS);
    await tx.signAsync(pauper, { nonce: 0 });
    await expectRejected(tx.toHex(), 1010, /pay/i);
  });

  it("garbage bytes and truncated extrinsics", async () => {
    await expectRejected("0xdeadbeef", 1002);
    const tx = api.tx.balances.transferKeepAlive(bob.address, UNITS);
    await tx.signAsync(alice);
    await expectRejected(tx.toHex().slice(0, -10), 1002);
  });

  it("unknown pallet and unknown call index", async () => {
    for (const [offset, value] of [
      [0, 99],
      [1, 77],
    ] as const) {
      const tx = api.tx.balances.transferKeepAlive(bob.address, UNITS);
      await tx.signAsync(alice);
      const bytes = Buffer.from(tx.toHex().slice(2), "hex");
      bytes[bytes.length - tx.method.toU8a().length + offset] = value;
      // Substrate's runtime cannot decode it: 1002; its pool then bans the hash like an invalid one.
      await expectRejected(
        `0x${bytes.toString("hex")}`,
        1002,
        /Could not decode `(RuntimeCall|Call)`, variant doesn't exist/,
      );
      await expectRejected(`0x${bytes.toString("hex")}`, 1012);
    }
  });

  it("malformed JSON, unknown method, invalid params, oversized request: errors, and the node keeps serving", async () => {
    const root = await bestStateRoot();
    const malformed = await fetch(node.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(((await malformed.json()) as { error: { code: number } }).error.code).toBe(-32700);
    expect((await rpcCall(node.httpUrl, "no_suchMethod")).error?.code).toBe(-32601);
    expect((await rpcCall(node.httpUrl, "chain_getBlockHash", ["not a number"])).error?.code).toBe(-32602);
    expect((await rpcCall(node.httpUrl, "state_getStorage", ["0xzz"])).error?.code).toBe(-32602);
    expect(await postOversized(node.port, 16 * 1024 * 1024)).toBe(413);
    expect(await bestStateRoot()).toBe(root);
    expect((await rpcCall(node.httpUrl, "system_name")).result).toBeDefined();
  });

  it("unsafe methods are refused when the node runs with --rpc-methods safe", async () => {
    const safe = await startNode(["--dev", "--tmp", "--sealing", "manual", "--rpc-methods", "safe"]);
    try {
      expect((await rpcCall(safe.httpUrl, "author_insertKey", ["aura", "//Alice", "0x00"])).error?.code).toBe(-32601);
      expect((await rpcCall(safe.httpUrl, "engine_createBlock", [true, true])).error?.code).toBe(-32601);
      const methods = (await rpcCall(safe.httpUrl, "rpc_methods")).result as { methods: string[] };
      expect(methods.methods).not.toContain("author_insertKey");
      expect(methods.methods).toContain("chain_subscribeNewHead");
    } finally {
      await safe.stop();
    }
  });
});
