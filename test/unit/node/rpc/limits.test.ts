import { afterEach, describe, expect, it } from "@jest/globals";
import { type RpcServer, RpcServer as Server } from "../../../../node/rpc/server/index.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { post, postChunked, refusedUpgrade, sleep, startServer, WsClient } from "./helpers.js";

const open: { server: RpcServer; clients: WsClient[] }[] = [];

afterEach(async () => {
  for (const { server, clients } of open.splice(0)) {
    for (const c of clients) c.ws.terminate();
    await server.close();
  }
});

async function setup(opts: Parameters<typeof startServer>[0] = {}) {
  const started = await startServer(opts);
  started.server.register({ name: "test_len", handler: (params) => JSON.stringify(params).length });
  started.server.register({
    kind: "subscription",
    subscribe: "test_subscribe",
    unsubscribe: ["test_unsubscribe"],
    notification: "test_value",
    handler: (_p, sink) => {
      sink.next(1);
      return () => {};
    },
  });
  const entry = { server: started.server, clients: [] as WsClient[] };
  open.push(entry);
  const connect = async () => {
    const c = await WsClient.connect(started.url);
    entry.clients.push(c);
    return c;
  };
  return { ...started, connect };
}

const call = (params: unknown[], id = 1) => JSON.stringify({ jsonrpc: "2.0", id, method: "test_len", params });

describe("RpcServer limits", () => {
  it("closes a WebSocket that sends an oversized message with 1009, and keeps serving", async () => {
    const { connect } = await setup({ maxRequestBytes: 1024 });
    const victim = await connect();
    const bystander = await connect();
    expect((await victim.request("test_len", ["x".repeat(900)])).result).toBeGreaterThan(900);
    victim.send(call(["x".repeat(2000)]));
    expect((await victim.closed).code).toBe(1009);
    expect((await bystander.request("test_len", ["ok"])).result).toBe(6);
    const fresh = await connect();
    expect((await fresh.request("test_len", [])).result).toBe(2);
  });

  it("answers an oversized HTTP body with 413 and a JSON-RPC error, and keeps serving", async () => {
    const { httpUrl } = await setup({ maxRequestBytes: 1024 });
    const declared = await post(httpUrl, call(["x".repeat(5000)]));
    expect(declared.status).toBe(413);
    expect(declared.json).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32007, message: "Request is too big", data: "Exceeded max limit of 1024" },
    });
    // Without a content-length the body is counted as it arrives.
    const streamed = await postChunked(httpUrl, [
      call(["x".repeat(600)]).slice(0, 600),
      "y".repeat(600),
      "z".repeat(600),
    ]);
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.text).error.code).toBe(-32007);
    const fine = await post(httpUrl, call(["x".repeat(900)]));
    expect(fine.status).toBe(200);
    expect(fine.json.result).toBeGreaterThan(900);
  });

  it("refuses connections beyond maxConnections, WebSocket and HTTP alike", async () => {
    const { connect, url, httpUrl, server } = await setup({ maxConnections: 2 });
    const a = await connect();
    await connect();
    expect(server.connections).toBe(2);
    expect(await refusedUpgrade(url)).toBe(503);
    const http = await post(httpUrl, call([]));
    expect(http.status).toBe(503);
    expect(http.text).toContain("Too many connections");
    await a.close();
    for (let i = 0; i < 100 && server.connections > 1; i++) await sleep(5);
    const c = await connect();
    expect((await c.request("test_len", [])).result).toBe(2);
  });

  it("counts in-flight HTTP requests as connections, and frees them", async () => {
    const { httpUrl, server } = await setup({ maxConnections: 1 });
    for (let i = 0; i < 3; i++) expect((await post(httpUrl, call([]))).status).toBe(200);
    for (let i = 0; i < 100 && server.connections > 0; i++) await sleep(5);
    expect(server.connections).toBe(0);
  });

  it("stops reading a connection with maxInFlightPerConnection requests pending, and resumes", async () => {
    const { server, connect } = await setup({ maxInFlightPerConnection: 2 });
    const gates: (() => void)[] = [];
    let running = 0;
    let maxRunning = 0;
    server.register({
      name: "test_gate",
      handler: () =>
        new Promise((resolve) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          gates.push(() => {
            running--;
            resolve(true);
          });
        }),
    });
    const c = await connect();
    for (let id = 1; id <= 6; id++) c.send({ jsonrpc: "2.0", id, method: "test_gate" });
    await sleep(50);
    expect(running).toBe(2);
    const answered = new Set<number>();
    // Queued requests start on the server's scheduler, a turn after the answers that make room for them.
    for (let i = 0; i < 500 && answered.size < 6; i++) {
      for (const g of gates.splice(0)) g();
      await sleep(10);
      for (const m of c.messages.splice(0)) answered.add(m.id);
    }
    expect(answered.size).toBe(6);
    expect(maxRunning).toBe(2);
  });

  it("drops a connection that stops answering pings", async () => {
    const { connect, server } = await setup({ pingIntervalMs: 50 });
    const c = await connect();
    await c.request("test_subscribe");
    expect(server.subscriptionCount).toBe(1);
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // no more pongs
    for (let i = 0; i < 100 && server.connections > 0; i++) await sleep(10);
    expect(server.connections).toBe(0);
    expect(server.subscriptionCount).toBe(0);
  });
});

describe("RpcServer close", () => {
  it("resolves with open clients, closing them and ending their subscriptions", async () => {
    const { server, connect, httpUrl, url } = await setup();
    let tornDown = 0;
    server.register({
      kind: "subscription",
      subscribe: "test_subscribeCounted",
      unsubscribe: ["test_unsubscribeCounted"],
      notification: "test_counted",
      handler: () => () => {
        tornDown++;
      },
    });
    const a = await connect();
    const b = await connect();
    await a.request("test_subscribeCounted");
    await b.request("test_subscribeCounted");
    await post(httpUrl, call([])); // leaves an idle keep-alive HTTP connection
    await server.close();
    expect(tornDown).toBe(2);
    expect(server.subscriptionCount).toBe(0);
    expect(server.connections).toBe(0);
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    await expect(WsClient.connect(url)).rejects.toThrow(); // no longer listening
    await server.close(); // idempotent
  });

  it("cuts clients that do not finish the closing handshake after closeTimeoutMs", async () => {
    const { server, connect } = await setup({ closeTimeoutMs: 100 });
    const c = await connect();
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // never answers the close frame
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(server.connections).toBe(0);
  });

  it("closes a server that never listened", async () => {
    const server = new Server({ port: 0 }, { logger: nullLogger });
    await server.close();
    await expect(server.listen()).rejects.toThrow();
  });

  it("serves safe methods only in auto mode on a non-loopback host", () => {
    expect(new Server({ host: "0.0.0.0", methods: "auto" }, { logger: nullLogger }).allowUnsafe).toBe(false);
    expect(new Server({ host: "0.0.0.0", methods: "unsafe" }, { logger: nullLogger }).allowUnsafe).toBe(true);
    expect(new Server({ host: "127.0.0.1", methods: "safe" }, { logger: nullLogger }).allowUnsafe).toBe(false);
  });
});
