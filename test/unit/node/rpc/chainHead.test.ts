/**
 * `chainHead_v1_*` against the JSON-RPC interface specification, over a real WebSocket to a server
 * serving a real chain: event order and contents, pinning and its limits, operations and their limits,
 * the spec's error codes, and the reply to a call always before the events it causes.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { ChainHeadError } from "../../../../node/rpc/methods/chainHead/index.js";
import { blake2_256 } from "../../../../primitives/hashing.js";
import { fromHex, toHex } from "../../../../primitives/hex.js";
import { Header } from "../../../../primitives/types.js";
import { RUNTIME_VERSION, System } from "../../../../runtime/index.js";
import { bob, type Fixture, startFixture, transfer } from "./chainFixture.js";
import type { Json, WsClient } from "./helpers.js";

let fx: Fixture | undefined;
/** Every message the main client received, in arrival order. */
let log: Json[] = [];

afterEach(async () => {
  // Whatever the test did, no event came before the reply that started its subscription or operation.
  expectRepliesFirst(log);
  await fx?.close();
  fx = undefined;
  log = [];
});

async function setup(opts: Parameters<typeof startFixture>[0] = {}): Promise<Fixture> {
  fx = await startFixture(opts);
  log = [];
  fx.client.ws.on("message", (data) => log.push(JSON.parse(data.toString())));
  return fx;
}

/**
 * Each follow event comes after the reply that returned its subscription id and, for an operation's
 * event, after a reply that returned its operation id.
 */
function expectRepliesFirst(messages: Json[]): void {
  const replied = new Map<string, number>();
  messages.forEach((m, i) => {
    for (const r of Array.isArray(m) ? m : [m]) {
      if (r.id === undefined || r.result === undefined) continue;
      if (typeof r.result === "string" && !replied.has(`sub:${r.result}`)) replied.set(`sub:${r.result}`, i);
      const op = r.result?.operationId;
      if (op !== undefined && !replied.has(`op:${op}`)) replied.set(`op:${op}`, i);
    }
  });
  messages.forEach((m, i) => {
    if (m.method !== "chainHead_v1_followEvent") return;
    expect(replied.get(`sub:${m.params.subscription}`)).toBeLessThan(i);
    const op = m.params.result.operationId;
    if (op !== undefined) expect(replied.get(`op:${op}`)).toBeLessThan(i);
  });
}

const isEvent = (sub: string, event?: string) => (m: Json) =>
  m.method === "chainHead_v1_followEvent" &&
  m.params.subscription === sub &&
  (!event || m.params.result.event === event);

/** The next follow event of `sub` (of kind `event` if given). */
async function nextEvent(c: WsClient, sub: string, event?: string): Promise<Json> {
  return (await c.waitFor(isEvent(sub, event))).params.result;
}

/** Follows; returns the subscription id and its `initialized` event. */
async function follow(c: WsClient, withRuntime = true): Promise<{ sub: string; initialized: Json }> {
  const r = await c.request("chainHead_v1_follow", [withRuntime]);
  expect(r.error).toBeUndefined();
  const sub = r.result as string;
  return { sub, initialized: await nextEvent(c, sub) };
}

/** Sends a request and returns its reply (`expectRepliesFirst` checks that it came before its events). */
async function replyFirst(c: WsClient, id: number, method: string, params: unknown[]): Promise<Json> {
  c.send({ jsonrpc: "2.0", id, method, params });
  return c.waitFor((m) => m.id === id);
}

/** The operation's events up to its last (done, error, inaccessible) or a pause for `continue`. */
async function operationEvents(c: WsClient, sub: string, operationId: string): Promise<Json[]> {
  const out: Json[] = [];
  for (;;) {
    const e = (await c.waitFor((m) => isEvent(sub)(m) && m.params.result.operationId === operationId)).params.result;
    out.push(e);
    if (e.event !== "operationStorageItems") return out;
  }
}

async function started(c: WsClient, method: string, params: unknown[]): Promise<string> {
  const r = await c.request(method, params);
  expect(r.result).toMatchObject({ result: "started" });
  return r.result.operationId;
}

describe("chainHead_v1_follow", () => {
  it("replies with the id, then initialized (with the runtime), newBlock, bestBlockChanged, finalized", async () => {
    const { client, chain } = await setup();
    const r = await replyFirst(client, 1, "chainHead_v1_follow", [true]);
    const sub = r.result;
    expect(sub).toMatch(/^[A-Za-z0-9]{16}$/);
    const initialized = await nextEvent(client, sub);
    expect(initialized).toEqual({
      event: "initialized",
      finalizedBlockHashes: [chain.genesis.hashHex],
      finalizedBlockRuntime: {
        type: "valid",
        spec: {
          specName: RUNTIME_VERSION.specName,
          implName: RUNTIME_VERSION.implName,
          specVersion: RUNTIME_VERSION.specVersion,
          implVersion: RUNTIME_VERSION.implVersion,
          transactionVersion: RUNTIME_VERSION.transactionVersion,
          apis: expect.objectContaining({ "0xd2bc9897eed08f15": 3, "0x37e397fc7c91f5e4": 2 }),
        },
      },
    });
    expect((await client.next()).params.result).toEqual({
      event: "bestBlockChanged",
      bestBlockHash: chain.genesis.hashHex,
    });

    const b1 = await fx!.block();
    expect(await nextEvent(client, sub)).toEqual({
      event: "newBlock",
      blockHash: b1.hashHex,
      parentBlockHash: chain.genesis.hashHex,
      newRuntime: null,
    });
    expect(await nextEvent(client, sub)).toEqual({ event: "bestBlockChanged", bestBlockHash: b1.hashHex });
    const b2 = await fx!.block();
    await nextEvent(client, sub, "newBlock");
    await nextEvent(client, sub, "bestBlockChanged");
    await chain.finalize(b2.hash);
    expect(await nextEvent(client, sub)).toEqual({
      event: "finalized",
      finalizedBlockHashes: [b1.hashHex, b2.hashHex],
      prunedBlockHashes: [],
    });
    // Every hash is lowercase hex.
    for (const h of [sub && b1.hashHex, b2.hashHex]) expect(h).toBe(h.toLowerCase());
  });

  it("reports the unfinalized blocks at subscription time, parents first, then the best block", async () => {
    const { client, chain } = await setup();
    const b1 = await fx!.block();
    const b2 = await fx!.block();
    const fork = await fx!.block({ parent: b1, salt: 7 });
    const { sub, initialized } = await follow(client, false);
    expect(initialized).toEqual({ event: "initialized", finalizedBlockHashes: [chain.genesis.hashHex] });
    const news: Json[] = [];
    for (let i = 0; i < 3; i++) news.push(await nextEvent(client, sub));
    expect(news[0]).toEqual({ event: "newBlock", blockHash: b1.hashHex, parentBlockHash: chain.genesis.hashHex });
    expect(new Set(news.slice(1).map((e) => e.blockHash))).toEqual(new Set([b2.hashHex, fork.hashHex]));
    for (const e of news) expect(e).not.toHaveProperty("newRuntime");
    expect(await nextEvent(client, sub)).toEqual({ event: "bestBlockChanged", bestBlockHash: chain.best.hashHex });
  });

  it("prunes the forks that do not descend from the finalized block", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const a1 = await fx!.block();
    const b1 = await fx!.block({ parent: chain.genesis, salt: 5 });
    const a2 = await fx!.block({ parent: a1 });
    const seen: Json[] = [];
    while (!seen.some((e) => e.event === "newBlock" && e.blockHash === a2.hashHex))
      seen.push(await nextEvent(client, sub));
    await chain.finalize(a2.hash);
    const events: Json[] = [];
    let e: Json;
    do {
      e = await nextEvent(client, sub);
      events.push(e);
    } while (e.event !== "finalized");
    expect(e).toEqual({
      event: "finalized",
      finalizedBlockHashes: [a1.hashHex, a2.hashHex],
      prunedBlockHashes: [b1.hashHex],
    });
    // The best block reported last is the finalized one or not in either list.
    const best = [...seen, ...events].filter((x) => x.event === "bestBlockChanged").at(-1).bestBlockHash;
    expect(best === a2.hashHex || ![a1.hashHex, b1.hashHex].includes(best)).toBe(true);
    // Pruned blocks stay pinned until unpinned: their header is still served.
    expect((await client.request("chainHead_v1_header", [sub, b1.hashHex])).result).toBe(toHex(Header.enc(b1.header)));
  });

  it("refuses a follow beyond the per-connection limit with -32800; other connections are unaffected", async () => {
    const { client } = await setup({ chainHead: { maxFollowPerConnection: 2 } });
    const a = await follow(client);
    await follow(client);
    const r = await client.request("chainHead_v1_follow", [true]);
    expect(r.error).toMatchObject({ code: ChainHeadError.ReachedLimits });
    const other = await fx!.connect();
    await follow(other);
    expect((await client.request("chainHead_v1_unfollow", [a.sub])).result).toBe(true);
    await follow(client);
  });

  it("-32602 for a missing or mistyped withRuntime", async () => {
    const { client } = await setup();
    expect((await client.request("chainHead_v1_follow", [])).error.code).toBe(-32602);
    expect((await client.request("chainHead_v1_follow", ["yes"])).error.code).toBe(-32602);
  });
});

describe("pinning", () => {
  it("stops a subscription that would hold more than maxPinnedBlocks; the node keeps serving", async () => {
    const { client, chain } = await setup({ chainHead: { maxPinnedBlocks: 3 } });
    const { sub } = await follow(client);
    await nextEvent(client, sub, "bestBlockChanged");
    const b1 = await fx!.block();
    await fx!.block();
    await nextEvent(client, sub, "newBlock");
    await nextEvent(client, sub, "newBlock");
    await fx!.block(); // a fourth pinned block
    expect(await nextEvent(client, sub, "stop")).toEqual({ event: "stop" });
    // The subscription is gone: null header, limitReached operations, ignored unpin.
    expect((await client.request("chainHead_v1_header", [sub, b1.hashHex])).result).toBeNull();
    expect((await client.request("chainHead_v1_body", [sub, b1.hashHex])).result).toEqual({ result: "limitReached" });
    expect((await client.request("chainHead_v1_unpin", [sub, b1.hashHex])).result).toBeNull();
    // Following again while three blocks are unfinalized would pin four: stop at once. Once they are
    // finalized a new subscription starts normally.
    const r = await client.request("chainHead_v1_follow", [true]);
    expect(await nextEvent(client, r.result)).toEqual({ event: "stop" });
    await chain.finalize(chain.best.hash);
    const again = await follow(client);
    expect(again.initialized.finalizedBlockHashes).toEqual([chain.finalized.hashHex]);
    expect((await client.request("system_name", [])).result).toBe("tensorchain-test");
  });

  it("keeps a client that unpins under the limit", async () => {
    const { client, chain } = await setup({ chainHead: { maxPinnedBlocks: 3 } });
    const { sub } = await follow(client);
    let current = chain.genesis.hashHex;
    for (let i = 0; i < 5; i++) {
      const b = await fx!.block();
      await nextEvent(client, sub, "newBlock");
      await chain.finalize(b.hash);
      expect((await nextEvent(client, sub, "finalized")).finalizedBlockHashes).toEqual([b.hashHex]);
      expect((await client.request("chainHead_v1_unpin", [sub, [current]])).result).toBeNull();
      current = b.hashHex;
    }
    expect(client.messages.some(isEvent(sub, "stop"))).toBe(false);
  });

  it("stops a subscription at once when too many unfinalized blocks would have to be reported", async () => {
    const { client } = await setup({ chainHead: { maxLaggingDistance: 1 } });
    await fx!.block();
    await fx!.block();
    const r = await replyFirst(client, 9, "chainHead_v1_follow", [true]);
    expect(await nextEvent(client, r.result)).toEqual({ event: "stop" });
  });

  it("unpin: all or nothing, -32801 for a hash not pinned, -32804 for duplicates, null for an unknown subscription", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const b1 = await fx!.block();
    await nextEvent(client, sub, "newBlock");
    const g = chain.genesis.hashHex;
    const unknown = toHex(new Uint8Array(32).fill(9));
    expect((await client.request("chainHead_v1_unpin", [sub, [g, unknown]])).error).toMatchObject({
      code: ChainHeadError.InvalidBlock,
    });
    // Nothing was unpinned.
    expect((await client.request("chainHead_v1_header", [sub, g])).result).toBe(
      toHex(Header.enc(chain.genesis.header)),
    );
    expect((await client.request("chainHead_v1_unpin", [sub, [g, g]])).error).toMatchObject({
      code: ChainHeadError.InvalidDuplicateHashes,
    });
    expect(
      (await client.request("chainHead_v1_unpin", [sub, [g, b1.hashHex.toUpperCase().replace("0X", "0x")]])).result,
    ).toBeNull();
    expect((await client.request("chainHead_v1_header", [sub, g])).error).toMatchObject({
      code: ChainHeadError.InvalidBlock,
    });
    expect((await client.request("chainHead_v1_header", [sub, b1.hashHex])).error).toMatchObject({
      code: ChainHeadError.InvalidBlock,
    });
    // Unpinning twice is an error; a bad hash is -32602; an unknown subscription is ignored.
    expect((await client.request("chainHead_v1_unpin", [sub, g])).error.code).toBe(ChainHeadError.InvalidBlock);
    expect((await client.request("chainHead_v1_unpin", [sub, "0x1234"])).error.code).toBe(-32602);
    expect((await client.request("chainHead_v1_unpin", ["nope", g])).result).toBeNull();
  });
});

describe("chainHead_v1_header", () => {
  it("is the SCALE header of a pinned block; null for an unknown or another connection's subscription", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const b1 = await fx!.block();
    await nextEvent(client, sub, "newBlock");
    const hex = (await client.request("chainHead_v1_header", [sub, b1.hashHex])).result;
    expect(Header.dec(fromHex(hex))).toEqual(b1.header);
    expect(toHex(blake2_256(fromHex(hex)))).toBe(b1.hashHex);
    expect((await client.request("chainHead_v1_header", ["unknown", b1.hashHex])).result).toBeNull();
    const other = await fx!.connect();
    expect((await other.request("chainHead_v1_header", [sub, b1.hashHex])).result).toBeNull();
    expect((await client.request("chainHead_v1_header", [sub, toHex(new Uint8Array(32))])).error).toMatchObject({
      code: ChainHeadError.InvalidBlock,
    });
    expect((await client.request("chainHead_v1_header", [sub, "0xabc"])).error.code).toBe(-32602);
    expect((await client.request("chainHead_v1_header", [sub])).error.code).toBe(-32602);
    expect(chain.best.hashHex).toBe(b1.hashHex);
  });
});

describe("operations", () => {
  it("chainHead_v1_body: the reply, then operationBodyDone with the extrinsics", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const tx = transfer(chain, 0);
    const b1 = await fx!.block({ txs: [tx] });
    await nextEvent(client, sub, "newBlock");
    const r = await replyFirst(client, 50, "chainHead_v1_body", [sub, b1.hashHex]);
    expect(r.result).toEqual({ result: "started", operationId: expect.any(String) });
    const done = await nextEvent(client, sub, "operationBodyDone");
    expect(done.operationId).toBe(r.result.operationId);
    expect(done.value).toHaveLength(2); // the timestamp inherent and the transfer
    expect(done.value[1]).toBe(toHex(tx));
    expect((await client.request("chainHead_v1_body", ["unknown", b1.hashHex])).result).toEqual({
      result: "limitReached",
    });
    expect((await client.request("chainHead_v1_body", [sub, toHex(new Uint8Array(32))])).error.code).toBe(
      ChainHeadError.InvalidBlock,
    );
  });

  it('chainHead_v1_call: output of a runtime API with "" as empty parameters; operationError for an unknown function', async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const g = chain.genesis.hashHex;
    const r = await replyFirst(client, 60, "chainHead_v1_call", [sub, g, "Core_version", ""]);
    const done = await nextEvent(client, sub, "operationCallDone");
    expect(done).toEqual({
      event: "operationCallDone",
      operationId: r.result.operationId,
      output: toHex((await chain.runtimeAt(chain.genesis.hash)).call("Core_version", new Uint8Array())),
    });
    const meta = await started(client, "chainHead_v1_call", [sub, g, "Metadata_metadata_versions", "0x"]);
    expect((await operationEvents(client, sub, meta))[0].event).toBe("operationCallDone");
    const bad = await started(client, "chainHead_v1_call", [sub, g, "Nope_nothing", "0x"]);
    const [err] = await operationEvents(client, sub, bad);
    expect(err).toEqual({ event: "operationError", operationId: bad, error: expect.any(String) });
    expect((await client.request("chainHead_v1_call", [sub, g, "Core_version", "zz"])).error.code).toBe(-32602);
  });

  it("chainHead_v1_call on a withRuntime: false subscription is -32802", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client, false);
    const r = await client.request("chainHead_v1_call", [sub, chain.genesis.hashHex, "Core_version", "0x"]);
    expect(r.error).toMatchObject({ code: ChainHeadError.InvalidRuntimeCall });
  });

  it("chainHead_v1_storage: value, hash, closestDescendantMerkleValue, and absent keys", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const b1 = await fx!.block({ txs: [transfer(chain, 0, 5n)] });
    await nextEvent(client, sub, "newBlock");
    const view = await chain.runtimeAt(b1.hash);
    const bobKey = toHex(System.storage.Account.keyFor(bob.publicKey));
    const code = toHex(new TextEncoder().encode(":code"));
    const absent = toHex(new Uint8Array([0xff, 0xfe]));
    const r = await replyFirst(client, 70, "chainHead_v1_storage", [
      sub,
      b1.hashHex,
      [
        { key: bobKey, type: "value" },
        { key: code, type: "hash" },
        { key: absent, type: "value" },
        { key: "0x", type: "closestDescendantMerkleValue" },
        { key: absent, type: "closestDescendantMerkleValue" },
      ],
      null,
    ]);
    expect(r.result).toEqual({ result: "started", operationId: expect.any(String), discardedItems: 0 });
    const events = await operationEvents(client, sub, r.result.operationId);
    expect(events.map((e) => e.event)).toEqual(["operationStorageItems", "operationStorageDone"]);
    expect(events[0].items).toEqual([
      { key: bobKey, value: toHex(view.storage(fromHex(bobKey))!) },
      { key: code, hash: toHex(blake2_256(view.storage(fromHex(code))!)) },
      // The root's Merkle value is the state root.
      { key: "0x", closestDescendantMerkleValue: toHex(b1.header.stateRoot) },
    ]);
  });

  it("closestDescendantMerkleValue of a key is a node reference found in its read proof", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const view = await chain.runtimeAt(chain.genesis.hash);
    const bobPrefix = System.storage.Account.keyFor(bob.publicKey).subarray(0, 16); // System.Account's prefix
    const op = await started(client, "chainHead_v1_storage", [
      sub,
      chain.genesis.hashHex,
      [{ key: toHex(bobPrefix), type: "closestDescendantMerkleValue" }],
    ]);
    const [items] = await operationEvents(client, sub, op);
    const value = fromHex(items.items[0].closestDescendantMerkleValue);
    const proofHashes = view.readProof([bobPrefix]).map((n) => toHex(blake2_256(n)));
    expect(value.length === 32 ? proofHashes.includes(toHex(value)) : value.length < 32).toBe(true);
  });

  it("descendantsValues in batches: operationWaitingForContinue until chainHead_v1_continue, then done", async () => {
    const { client, chain } = await setup({ chainHead: { storageItemsPerBatch: 2 } });
    const { sub } = await follow(client);
    const view = await chain.runtimeAt(chain.genesis.hash);
    const all = view.keysPaged(new Uint8Array(0), 1000);
    expect(all.length).toBeGreaterThan(4);
    const op = await started(client, "chainHead_v1_storage", [
      sub,
      chain.genesis.hashHex,
      [{ key: "0x", type: "descendantsValues" }],
    ]);
    const got: Json[] = [];
    for (;;) {
      const events = await operationEvents(client, sub, op);
      const last = events.at(-1);
      for (const e of events) if (e.event === "operationStorageItems") got.push(...e.items);
      expect(events.filter((e) => e.event === "operationStorageItems").every((e) => e.items.length <= 2)).toBe(true);
      if (last.event === "operationStorageDone") break;
      expect(last.event).toBe("operationWaitingForContinue");
      // The continue reply comes before the next items.
      const id = 1000 + got.length;
      const r = await replyFirst(client, id, "chainHead_v1_continue", [sub, op]);
      expect(r.result).toBeNull();
    }
    expect(got.map((i) => i.key)).toEqual(all.map(toHex));
    // After each pause, the continue reply came before the next event of the operation.
    const opEvents = log.flatMap((m, i) => (isEvent(sub)(m) && m.params.result.operationId === op ? [i] : []));
    for (let k = 0; k + 1 < opEvents.length; k++) {
      if (log[opEvents[k]].params.result.event !== "operationWaitingForContinue") continue;
      const reply = log.findIndex((m, i) => i > opEvents[k] && m.id !== undefined && m.result === null);
      expect(reply).toBeGreaterThan(opEvents[k]);
      expect(reply).toBeLessThan(opEvents[k + 1]);
    }
    for (const i of got) expect(i.value).toBe(toHex(view.storage(fromHex(i.key))!));
  });

  it("descendantsHashes lists the hashes of a prefix's values", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const view = await chain.runtimeAt(chain.genesis.hash);
    const prefix = System.storage.Account.keyFor(bob.publicKey).subarray(0, 32);
    const op = await started(client, "chainHead_v1_storage", [
      sub,
      chain.genesis.hashHex,
      [{ key: toHex(prefix), type: "descendantsHashes" }],
    ]);
    const events = await operationEvents(client, sub, op);
    const items = events.flatMap((e) => (e.event === "operationStorageItems" ? e.items : []));
    const keys = view.keysPaged(prefix, 1000);
    expect(items).toEqual(keys.map((k) => ({ key: toHex(k), hash: toHex(blake2_256(view.storage(k)!)) })));
    expect(events.at(-1).event).toBe("operationStorageDone");
  });

  it("continue: -32803 when not waiting, no effect for unknown operations; stopOperation stops one", async () => {
    const { client, chain } = await setup({ chainHead: { storageItemsPerBatch: 1 } });
    const { sub } = await follow(client);
    const g = chain.genesis.hashHex;
    const op = await started(client, "chainHead_v1_storage", [sub, g, [{ key: "0x", type: "descendantsHashes" }]]);
    const first = await operationEvents(client, sub, op);
    expect(first.at(-1).event).toBe("operationWaitingForContinue");
    expect((await client.request("chainHead_v1_continue", [sub, "no-such-op"])).result).toBeNull();
    expect((await client.request("chainHead_v1_continue", ["no-such-sub", op])).result).toBeNull();
    expect((await client.request("chainHead_v1_stopOperation", [sub, op])).result).toBeNull();
    // Stopped: continuing it is now a no-op, nothing more arrives.
    expect((await client.request("chainHead_v1_continue", [sub, op])).result).toBeNull();
    const body = await started(client, "chainHead_v1_body", [sub, g]);
    const r = await client.request("chainHead_v1_continue", [sub, body]);
    // The body operation is done or in progress, never waiting for continue.
    if (r.error) expect(r.error.code).toBe(ChainHeadError.InvalidContinue);
    else expect(r.result).toBeNull();
    await nextEvent(client, sub, "operationBodyDone");
    expect(client.messages.filter((m) => isEvent(sub)(m) && m.params.result.operationId === op)).toEqual([]);
  });

  it("limits operations per subscription: discardedItems, then limitReached, free again when done", async () => {
    const { client, chain } = await setup({ chainHead: { maxOperations: 2, storageItemsPerBatch: 1 } });
    const { sub } = await follow(client);
    const g = chain.genesis.hashHex;
    const r = await client.request("chainHead_v1_storage", [
      sub,
      g,
      [
        { key: "0x", type: "descendantsValues" },
        { key: "0x", type: "descendantsHashes" },
        { key: "0x", type: "descendantsHashes" },
      ],
    ]);
    expect(r.result).toEqual({ result: "started", operationId: expect.any(String), discardedItems: 1 });
    expect((await client.request("chainHead_v1_body", [sub, g])).result).toEqual({ result: "limitReached" });
    expect((await client.request("chainHead_v1_call", [sub, g, "Core_version", ""])).result).toEqual({
      result: "limitReached",
    });
    expect((await client.request("chainHead_v1_storage", [sub, g, [{ key: "0x", type: "value" }]])).result).toEqual({
      result: "limitReached",
    });
    await client.request("chainHead_v1_stopOperation", [sub, r.result.operationId]);
    await started(client, "chainHead_v1_body", [sub, g]);
    // An unknown subscription gets limitReached too.
    expect((await client.request("chainHead_v1_storage", ["x", g, []])).result).toEqual({ result: "limitReached" });
    expect((await client.request("chainHead_v1_storage", [sub, g, [{ key: "0x", type: "nope" }]])).error.code).toBe(
      -32602,
    );
  });

  it("an operation on a block unpinned meanwhile still finishes", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const g = chain.genesis.hashHex;
    client.send({ jsonrpc: "2.0", id: 80, method: "chainHead_v1_body", params: [sub, g] });
    client.send({ jsonrpc: "2.0", id: 81, method: "chainHead_v1_unpin", params: [sub, g] });
    const op = (await client.waitFor((m) => m.id === 80)).result.operationId;
    expect((await client.waitFor((m) => m.id === 81)).result).toBeNull();
    expect((await operationEvents(client, sub, op))[0].event).toBe("operationBodyDone");
  });

  it("in a batch, the replies come before the operations' events", async () => {
    const { client, chain } = await setup();
    const { sub } = await follow(client);
    const g = chain.genesis.hashHex;
    client.send([
      { jsonrpc: "2.0", id: 90, method: "chainHead_v1_body", params: [sub, g] },
      { jsonrpc: "2.0", id: 91, method: "chainHead_v1_call", params: [sub, g, "Core_version", ""] },
      { jsonrpc: "2.0", id: 92, method: "chainHead_v1_storage", params: [sub, g, [{ key: "0x", type: "hash" }]] },
    ]);
    const batch = await client.waitFor((m) => Array.isArray(m));
    expect(batch.map((m: Json) => m.id)).toEqual([90, 91, 92]);
    for (const r of batch) await operationEvents(client, sub, r.result.operationId);
    // expectRepliesFirst (afterEach) checks that every event came after the batch's reply.
  });
});

describe("rpc_methods", () => {
  it("lists the new interface's functions", async () => {
    const { client } = await setup();
    const { methods } = (await client.request("rpc_methods", [])).result;
    for (const m of [
      "chainHead_v1_follow",
      "chainHead_v1_unfollow",
      "chainHead_v1_header",
      "chainHead_v1_body",
      "chainHead_v1_call",
      "chainHead_v1_storage",
      "chainHead_v1_continue",
      "chainHead_v1_stopOperation",
      "chainHead_v1_unpin",
      "chainSpec_v1_chainName",
      "chainSpec_v1_genesisHash",
      "chainSpec_v1_properties",
      "transaction_v1_broadcast",
      "transaction_v1_stop",
      "transactionWatch_v1_submitAndWatch",
      "transactionWatch_v1_unwatch",
    ]) {
      expect(methods).toContain(m);
    }
  });
});
