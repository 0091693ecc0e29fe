import { afterEach, describe, expect, it } from "@jest/globals";
import { param, RpcError, type RpcServer, type SubscriptionSink } from "../../../../node/rpc/server/index.js";
import { type LogRecord, post, recordingLogger, sleep, startServer, WsClient } from "./helpers.js";

const open: { server: RpcServer; clients: WsClient[] }[] = [];

afterEach(async () => {
  for (const { server, clients } of open.splice(0)) {
    for (const c of clients) c.ws.terminate();
    await server.close();
  }
});

/** A head-like feed: each subscriber gets the current value at once, then every `publish`. */
class Feed {
  value = 0;
  readonly sinks = new Set<SubscriptionSink<number>>();
  teardowns = 0;

  publish(): void {
    this.value++;
    for (const sink of this.sinks) sink.next(this.value);
  }
}

async function setup(opts: Parameters<typeof startServer>[0] = {}) {
  const records: LogRecord[] = [];
  const { server, url, httpUrl } = await startServer(opts, recordingLogger(records));
  const feed = new Feed();
  server.register({
    kind: "subscription",
    subscribe: "chain_subscribeNewHeads",
    aliases: ["chain_subscribeNewHead", "subscribe_newHead"],
    unsubscribe: ["chain_unsubscribeNewHeads", "chain_unsubscribeNewHead", "unsubscribe_newHead"],
    notification: "chain_newHead",
    handler: (_params, sink: SubscriptionSink<number>) => {
      sink.next(feed.value);
      feed.sinks.add(sink);
      return () => {
        feed.sinks.delete(sink);
        feed.teardowns++;
      };
    },
  });
  server.register({
    kind: "subscription",
    subscribe: "test_subscribeSlow",
    unsubscribe: ["test_unsubscribeSlow"],
    notification: "test_slow",
    params: [param.u32("start")],
    handler: async ([start], sink) => {
      sink.next(start); // before the handler resolves: must still follow the id
      await sleep(20);
      sink.next(start + 1);
      return () => {};
    },
  });
  server.register({
    kind: "subscription",
    subscribe: "test_subscribeRefused",
    unsubscribe: ["test_unsubscribeRefused"],
    notification: "test_refused",
    handler: (_params, sink) => {
      sink.next("never sent");
      throw new RpcError(1014, "Refused", "because");
    },
  });
  server.register({
    kind: "subscription",
    subscribe: "test_subscribeOnce",
    unsubscribe: ["test_unsubscribeOnce"],
    notification: "test_once",
    handler: (_params, sink) => {
      sink.next("only value");
      sink.error(new RpcError(-32800, "Subscription ended", { reason: "done" }));
      return () => {
        feed.teardowns++;
      };
    },
  });
  server.register({
    kind: "subscription",
    subscribe: "test_subscribeUnsafe",
    unsubscribe: ["test_unsubscribeUnsafe"],
    notification: "test_unsafe",
    unsafe: true,
    handler: () => () => {},
  });
  const client = await WsClient.connect(url);
  open.push({ server, clients: [client] });
  return { server, client, url, httpUrl, feed, records };
}

describe("RpcServer subscriptions", () => {
  it("returns a Substrate-like id, then the initial value, then later values", async () => {
    const { client, feed, server } = await setup();
    feed.value = 41;
    client.send({ jsonrpc: "2.0", id: 1, method: "chain_subscribeNewHeads", params: [] });
    const response = await client.next();
    expect(response).toEqual({ jsonrpc: "2.0", id: 1, result: expect.stringMatching(/^[A-Za-z0-9]{16}$/) });
    const id = response.result;
    expect(await client.next()).toEqual({
      jsonrpc: "2.0",
      method: "chain_newHead",
      params: { subscription: id, result: 41 },
    });
    feed.publish();
    feed.publish();
    expect((await client.next()).params).toEqual({ subscription: id, result: 42 });
    expect((await client.next()).params).toEqual({ subscription: id, result: 43 });
    expect(server.subscriptionCount).toBe(1);
  });

  it("holds values pushed by an async handler until the id is sent", async () => {
    const { client } = await setup();
    client.send({ jsonrpc: "2.0", id: 5, method: "test_subscribeSlow", params: [7] });
    const response = await client.next();
    expect(response.id).toBe(5);
    expect((await client.next()).params).toEqual({ subscription: response.result, result: 7 });
    expect((await client.next()).params).toEqual({ subscription: response.result, result: 8 });
  });

  it("sends the id before the initial value inside a batch too", async () => {
    const { client } = await setup();
    client.send([
      { jsonrpc: "2.0", id: 1, method: "chain_subscribeNewHead" },
      { jsonrpc: "2.0", id: 2, method: "rpc_methods" },
    ]);
    const batch = await client.next();
    expect(batch).toHaveLength(2);
    expect((await client.next()).params.subscription).toBe(batch[0].result);
  });

  it("unsubscribes by any spelling, once, and only with the matching method", async () => {
    const { client, feed, server } = await setup();
    const ids: string[] = [];
    for (const method of ["chain_subscribeNewHeads", "chain_subscribeNewHead", "subscribe_newHead"]) {
      const { result } = await client.request(method, []);
      ids.push(result);
      await client.waitFor((m) => m.params?.subscription === result);
    }
    expect(new Set(ids).size).toBe(3);
    expect(server.subscriptionCount).toBe(3);
    expect((await client.request("test_unsubscribeSlow", [ids[0]])).result).toBe(false);
    expect((await client.request("chain_unsubscribeNewHeads", [ids[0]])).result).toBe(true);
    expect((await client.request("chain_unsubscribeNewHead", [ids[1]])).result).toBe(true);
    expect((await client.request("unsubscribe_newHead", [ids[2]])).result).toBe(true);
    expect((await client.request("chain_unsubscribeNewHead", [ids[2]])).result).toBe(false);
    expect((await client.request("chain_unsubscribeNewHead", ["nonexistent"])).result).toBe(false);
    expect((await client.request("chain_unsubscribeNewHead", [])).error.code).toBe(-32602);
    expect(feed.teardowns).toBe(3);
    expect(feed.sinks.size).toBe(0);
    expect(server.subscriptionCount).toBe(0);
    feed.publish();
    expect((await client.request("rpc_methods")).result.methods).toContain("chain_unsubscribeNewHead");
    expect(client.messages).toEqual([]);
  });

  it("does not let one connection unsubscribe another's subscription", async () => {
    const { client, url, server } = await setup();
    const other = await WsClient.connect(url);
    open[0].clients.push(other);
    const { result: id } = await client.request("chain_subscribeNewHeads");
    expect((await other.request("chain_unsubscribeNewHeads", [id])).result).toBe(false);
    expect(server.subscriptionCount).toBe(1);
  });

  it("refuses the subscription when the handler throws, sending nothing of it", async () => {
    const { client, server } = await setup();
    const res = await client.request("test_subscribeRefused");
    expect(res.error).toEqual({ code: 1014, message: "Refused", data: "because" });
    expect(server.subscriptionCount).toBe(0);
    expect((await client.request("rpc_methods")).result).toBeDefined();
    expect(client.messages).toEqual([]);
  });

  it("sends a producer's error as the subscription's last message and tears it down", async () => {
    const { client, feed, server } = await setup();
    const { result: id } = await client.request("test_subscribeOnce");
    expect((await client.next()).params).toEqual({ subscription: id, result: "only value" });
    expect(await client.next()).toEqual({
      jsonrpc: "2.0",
      method: "test_once",
      params: { subscription: id, error: { code: -32800, message: "Subscription ended", data: { reason: "done" } } },
    });
    expect(feed.teardowns).toBe(1);
    expect(server.subscriptionCount).toBe(0);
    expect((await client.request("test_unsubscribeOnce", [id])).result).toBe(false);
  });

  it("ends a subscription on sink.close() without a message", async () => {
    const { client, feed, server } = await setup();
    const { result: id } = await client.request("chain_subscribeNewHeads");
    await client.next();
    for (const sink of feed.sinks) sink.close();
    expect(feed.teardowns).toBe(1);
    expect(server.subscriptionCount).toBe(0);
    expect((await client.request("chain_unsubscribeNewHeads", [id])).result).toBe(false);
    expect(client.messages).toEqual([]);
  });

  it("cleans up the subscriptions of a closed connection", async () => {
    const { client, feed, server, url } = await setup();
    const other = await WsClient.connect(url);
    open[0].clients.push(other);
    await client.request("chain_subscribeNewHeads");
    await client.request("chain_subscribeNewHeads");
    await other.request("chain_subscribeNewHeads");
    expect(server.subscriptionCount).toBe(3);
    await client.close();
    for (let i = 0; i < 100 && server.subscriptionCount > 1; i++) await sleep(5);
    expect(server.subscriptionCount).toBe(1);
    expect(feed.teardowns).toBe(2);
    expect(feed.sinks.size).toBe(1);
    expect(server.connections).toBe(1);
  });

  it("runs the teardown of a subscription whose connection closed while its handler was running", async () => {
    const { server, url } = await setup();
    let tornDown = false;
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    server.register({
      kind: "subscription",
      subscribe: "test_subscribeHang",
      unsubscribe: ["test_unsubscribeHang"],
      notification: "test_hang",
      handler: async () => {
        started();
        await sleep(50);
        return () => {
          tornDown = true;
        };
      },
    });
    const c = await WsClient.connect(url);
    c.send({ jsonrpc: "2.0", id: 1, method: "test_subscribeHang" });
    await running;
    c.ws.terminate();
    for (let i = 0; i < 100 && !tornDown; i++) await sleep(5);
    expect(tornDown).toBe(true);
    expect(server.subscriptionCount).toBe(0);
  });

  it("enforces maxSubscriptionsPerConnection", async () => {
    const { client, url, server } = await setup({ maxSubscriptionsPerConnection: 2 });
    await client.request("chain_subscribeNewHeads");
    const { result: second } = await client.request("chain_subscribeNewHeads");
    expect((await client.request("chain_subscribeNewHeads")).error).toEqual({
      code: -32006,
      message: "Too many subscriptions on the connection",
      data: "Exceeded max limit of 2",
    });
    // The limit is per connection, and freed by unsubscribing.
    const other = await WsClient.connect(url);
    open[0].clients.push(other);
    expect(typeof (await other.request("chain_subscribeNewHeads")).result).toBe("string");
    await client.request("chain_unsubscribeNewHeads", [second]);
    expect(typeof (await client.request("chain_subscribeNewHeads")).result).toBe("string");
    expect(server.subscriptionCount).toBe(3);
  });

  it("refuses subscriptions over HTTP with a clear error", async () => {
    const { httpUrl, server } = await setup();
    const res = await post(httpUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "chain_subscribeNewHeads" }));
    expect(res.json.error).toEqual({ code: -32601, message: "Subscriptions are only available over WebSocket" });
    expect(server.subscriptionCount).toBe(0);
  });

  it("hides unsafe subscriptions in safe mode", async () => {
    const { client } = await setup({ methods: "safe" });
    expect((await client.request("test_subscribeUnsafe")).error.code).toBe(-32601);
    expect((await client.request("test_unsubscribeUnsafe", ["x"])).error.code).toBe(-32601);
    const { methods } = (await client.request("rpc_methods")).result;
    expect(methods).not.toContain("test_subscribeUnsafe");
    expect(methods).not.toContain("test_unsubscribeUnsafe");
    expect(methods).toEqual(expect.arrayContaining(["chain_subscribeNewHead", "chain_unsubscribeNewHeads"]));
    expect(methods).not.toContain("chain_newHead");
  });

  it("logs and drops a value that does not serialize, keeping the subscription", async () => {
    const { client, feed, records } = await setup();
    const { result: id } = await client.request("chain_subscribeNewHeads");
    await client.next();
    for (const sink of feed.sinks) (sink as SubscriptionSink<unknown>).next({ big: 1n });
    feed.publish();
    expect((await client.next()).params).toEqual({ subscription: id, result: 1 });
    expect(records.some((r) => r.level === "error" && r.ctx?.notification === "chain_newHead")).toBe(true);
  });
});
