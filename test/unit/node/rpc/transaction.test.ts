/**
 * `transactionWatch_v1_*`, `transaction_v1_*` and `chainSpec_v1_*` over a real WebSocket to a server
 * serving a real chain and pool: the pool's statuses as the spec's events, refused transactions as
 * events rather than errors, broadcast operations and their ids.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { BUILTIN_SPECS } from "../../../../genesis/chainSpec.js";
import { toHex } from "../../../../primitives/hex.js";
import { type Fixture, startFixture, transfer } from "./chainFixture.js";
import type { Json, WsClient } from "./helpers.js";

let fx: Fixture | undefined;

afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const watchEvent = (sub: string) => (m: Json) =>
  m.method === "transactionWatch_v1_watchEvent" && m.params.subscription === sub;

async function nextWatchEvent(c: WsClient, sub: string): Promise<Json> {
  return (await c.waitFor(watchEvent(sub))).params.result;
}

describe("transactionWatch_v1_submitAndWatch", () => {
  it("validated, bestChainBlockIncluded with the index, finalized; then the subscription ends", async () => {
    fx = await startFixture();
    const { client, chain } = fx;
    const tx = transfer(chain, 0);
    const r = await client.request("transactionWatch_v1_submitAndWatch", [toHex(tx)]);
    const sub = r.result as string;
    expect(sub).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(await nextWatchEvent(client, sub)).toEqual({ event: "validated" });
    const block = await fx.block();
    expect(await nextWatchEvent(client, sub)).toEqual({
      event: "bestChainBlockIncluded",
      block: { hash: block.hashHex, index: 1 },
    });
    await chain.finalize(block.hash);
    expect(await nextWatchEvent(client, sub)).toEqual({ event: "finalized", block: { hash: block.hashHex, index: 1 } });
    // Ended: unwatching now finds no subscription.
    expect((await client.request("transactionWatch_v1_unwatch", [sub])).result).toBe(false);
  });

  it("a transaction the pool refuses is an invalid event, not a JSON-RPC error", async () => {
    fx = await startFixture();
    const { client, chain } = fx;
    const r = await client.request("transactionWatch_v1_submitAndWatch", ["0x0102"]);
    expect(r.error).toBeUndefined();
    expect(await nextWatchEvent(client, r.result)).toEqual({ event: "invalid", error: expect.any(String) });
    // A stale nonce: invalid too.
    await fx.block({ txs: [transfer(chain, 0)] });
    const stale = await client.request("transactionWatch_v1_submitAndWatch", [toHex(transfer(chain, 0, 2n))]);
    expect(await nextWatchEvent(client, stale.result)).toEqual({
      event: "invalid",
      error: expect.stringContaining("outdated"),
    });
    expect((await client.request("transactionWatch_v1_submitAndWatch", ["nothex"])).error.code).toBe(-32602);
  });

  it("unwatch stops the events but leaves the transaction in the pool", async () => {
    fx = await startFixture();
    const { client, chain, pool } = fx;
    const tx = transfer(chain, 0);
    const sub = (await client.request("transactionWatch_v1_submitAndWatch", [toHex(tx)])).result;
    await nextWatchEvent(client, sub);
    expect((await client.request("transactionWatch_v1_unwatch", [sub])).result).toBe(true);
    expect(pool.pending().map(toHex)).toEqual([toHex(tx)]);
    await fx.block();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.messages.filter(watchEvent(sub))).toEqual([]);
  });
});

describe("transaction_v1_broadcast / transaction_v1_stop", () => {
  it("puts the transaction into the pool under an operation id; stop ends it once", async () => {
    fx = await startFixture();
    const { client, chain, pool } = fx;
    const tx = transfer(chain, 0);
    const id = (await client.request("transaction_v1_broadcast", [toHex(tx)])).result;
    expect(typeof id).toBe("string");
    for (let i = 0; i < 50 && pool.pending().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(pool.pending().map(toHex)).toEqual([toHex(tx)]);
    // Another connection cannot stop it.
    const other = await fx.connect();
    expect((await other.request("transaction_v1_stop", [id])).error.code).toBe(-32602);
    expect((await client.request("transaction_v1_stop", [id])).result).toBeNull();
    expect((await client.request("transaction_v1_stop", [id])).error.code).toBe(-32602);
  });

  it("an invalid transaction gets an id all the same, and nothing happens; stopping it is fine", async () => {
    fx = await startFixture();
    const { client, pool } = fx;
    const id = (await client.request("transaction_v1_broadcast", ["0x0102"])).result;
    expect(typeof id).toBe("string");
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.pending()).toEqual([]);
    expect((await client.request("transaction_v1_stop", [id])).result).toBeNull();
    expect((await client.request("transaction_v1_stop", [id])).error.code).toBe(-32602);
  });

  it("ends when the transaction is finalized; the client's stop afterwards answers null", async () => {
    fx = await startFixture();
    const { client, chain, pool } = fx;
    const id = (await client.request("transaction_v1_broadcast", [toHex(transfer(chain, 0))])).result;
    for (let i = 0; i < 50 && pool.pending().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const block = await fx.block();
    await chain.finalize(block.hash);
    await new Promise((r) => setTimeout(r, 20));
    expect((await client.request("transaction_v1_stop", [id])).result).toBeNull();
  });

  it("returns null past the per-connection limit of broadcasts", async () => {
    fx = await startFixture();
    const { client, chain } = fx;
    const ids: unknown[] = [];
    for (let n = 0; n < 17; n++)
      ids.push((await client.request("transaction_v1_broadcast", [toHex(transfer(chain, n))])).result);
    expect(ids.slice(0, 16).every((id) => typeof id === "string")).toBe(true);
    expect(ids[16]).toBeNull();
    await client.request("transaction_v1_stop", [ids[0]]);
    expect(typeof (await client.request("transaction_v1_broadcast", [toHex(transfer(chain, 20))])).result).toBe(
      "string",
    );
  });
});

describe("chainSpec_v1", () => {
  it("chain name, genesis hash and properties", async () => {
    fx = await startFixture();
    const { client, chain } = fx;
    const spec = BUILTIN_SPECS.dev();
    expect((await client.request("chainSpec_v1_chainName", [])).result).toBe(spec.name);
    expect((await client.request("chainSpec_v1_genesisHash", [])).result).toBe(chain.genesis.hashHex);
    expect((await client.request("chainSpec_v1_properties", [])).result).toEqual({
      tokenSymbol: "TRAIN",
      tokenDecimals: 12,
      ss58Format: 42,
    });
  });
});
