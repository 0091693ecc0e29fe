import { afterEach, describe, expect, it } from "@jest/globals";
import { isLoopbackHost, param, RpcError, type RpcServer, RpcServerError } from "../../../../node/rpc/server/index.js";
import { type LogRecord, post, recordingLogger, startServer, WsClient } from "./helpers.js";

const open: { server: RpcServer; clients: WsClient[] }[] = [];

afterEach(async () => {
  for (const { server, clients } of open.splice(0)) {
    for (const c of clients) c.ws.terminate();
    await server.close();
  }
});

/** A server with a few methods, and a WS client on it. */
async function setup(opts: Parameters<typeof startServer>[0] = {}) {
  const records: LogRecord[] = [];
  const { server, url, httpUrl } = await startServer(opts, recordingLogger(records));
  server.register({
    name: "test_echo",
    aliases: ["test_echoAlias"],
    params: [param.string("text"), param.optional(param.u32("times"))],
    handler: ([text, times]) => text.repeat(times ?? 1),
  });
  server.register({ name: "test_async", handler: async (params) => ({ got: params }) });
  server.register({
    name: "test_rpcError",
    handler: () => {
      throw new RpcError(1010, "Invalid Transaction", "Inability to pay some fees (e.g. account balance too low)");
    },
  });
  server.register({
    name: "test_asyncRpcError",
    handler: async () => {
      throw new RpcError(1012, "Transaction is temporarily banned");
    },
  });
  server.register({
    name: "test_bug",
    handler: () => {
      throw new Error("secret internal detail");
    },
  });
  server.register({ name: "test_bigint", handler: () => ({ balance: 10n }) });
  server.register({ name: "test_undefined", handler: () => undefined });
  server.register({ name: "test_big", handler: () => "x".repeat(4096) });
  server.register({ name: "test_unsafe", unsafe: true, handler: () => "danger" });
  const client = await WsClient.connect(url);
  open.push({ server, clients: [client] });
  return { server, client, url, httpUrl, records };
}

describe("RpcServer over WebSocket", () => {
  it("answers a request with the same id", async () => {
    const { client } = await setup();
    expect(await client.request("test_echo", ["ab", 2])).toEqual({ jsonrpc: "2.0", id: 1, result: "abab" });
    client.send({ jsonrpc: "2.0", id: "req-x", method: "test_echoAlias", params: ["q"] });
    expect(await client.next()).toEqual({ jsonrpc: "2.0", id: "req-x", result: "q" });
  });

  it("serves async handlers and sends null for an undefined result", async () => {
    const { client } = await setup();
    expect((await client.request("test_async", [1, "a"])).result).toEqual({ got: [1, "a"] });
    expect((await client.request("test_async")).result).toEqual({ got: [] });
    expect(await client.request("test_undefined")).toEqual({ jsonrpc: "2.0", id: 3, result: null });
  });

  it("answers malformed JSON with -32700 and keeps the connection usable", async () => {
    const { client } = await setup();
    client.send('{"jsonrpc":"2.0","id":1,"method":');
    expect(await client.next()).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
    expect((await client.request("test_echo", ["still here"])).result).toBe("still here");
  });

  it("answers invalid request objects with -32600", async () => {
    const { client } = await setup();
    client.send({ id: 7, method: "test_echo", params: ["a"] }); // no jsonrpc
    expect(await client.next()).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32600, message: "Invalid request" } });
    client.send({ jsonrpc: "2.0", id: 8, method: 5 });
    expect((await client.next()).error.code).toBe(-32600);
    client.send({ jsonrpc: "2.0", id: 9, method: "test_echo", params: "a" });
    expect((await client.next()).error.code).toBe(-32600);
    client.send({ jsonrpc: "2.0", id: { x: 1 }, method: "test_echo", params: ["a"] });
    expect(await client.next()).toMatchObject({ id: null, error: { code: -32600 } });
    client.send("42");
    expect(await client.next()).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it("answers an unknown method with -32601", async () => {
    const { client } = await setup();
    expect(await client.request("nope_nothing", [])).toEqual({
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32601, message: "Method not found" },
    });
  });

  it("answers bad params with -32602 naming the param", async () => {
    const { client } = await setup();
    const wrongType = await client.request("test_echo", [5]);
    expect(wrongType.error.code).toBe(-32602);
    expect(wrongType.error.message).toContain('"text"');
    const missing = await client.request("test_echo", []);
    expect(missing.error).toMatchObject({ code: -32602, message: expect.stringContaining('missing param 0 "text"') });
    const tooMany = await client.request("test_echo", ["a", 1, 2]);
    expect(tooMany.error.code).toBe(-32602);
    const badU32 = await client.request("test_echo", ["a", -1]);
    expect(badU32.error.message).toContain('"times"');
    // Named params, and null for an optional one.
    expect((await client.request("test_echo", { text: "n", times: 3 })).result).toBe("nnn");
    expect((await client.request("test_echo", ["z", null])).result).toBe("z");
    // A method without a spec takes positional params only.
    expect((await client.request("test_async", { a: 1 })).error.code).toBe(-32602);
  });

  it("answers an RpcError with its code, message and data", async () => {
    const { client } = await setup();
    expect((await client.request("test_rpcError")).error).toEqual({
      code: 1010,
      message: "Invalid Transaction",
      data: "Inability to pay some fees (e.g. account balance too low)",
    });
    expect((await client.request("test_asyncRpcError")).error).toEqual({
      code: 1012,
      message: "Transaction is temporarily banned",
    });
  });

  it("answers any other error with a bare -32603 and logs it", async () => {
    const { client, records } = await setup();
    const res = await client.request("test_bug");
    expect(res.error).toEqual({ code: -32603, message: "Internal error" });
    expect(JSON.stringify(res)).not.toContain("secret");
    expect(records.find((r) => r.level === "error" && r.ctx?.method === "test_bug")).toBeDefined();
  });

  it("answers a result that does not serialize (a bigint) with -32603, logs it, and keeps serving", async () => {
    const { client, records } = await setup();
    expect((await client.request("test_bigint")).error).toEqual({ code: -32603, message: "Internal error" });
    expect(records.find((r) => r.level === "error" && r.ctx?.method === "test_bigint")).toBeDefined();
    expect((await client.request("test_echo", ["ok"])).result).toBe("ok");
  });

  it("sends nothing for notifications", async () => {
    const { client } = await setup();
    client.send({ jsonrpc: "2.0", method: "test_echo", params: ["silent"] });
    client.send({ jsonrpc: "2.0", method: "test_bug" });
    client.send({ jsonrpc: "2.0", method: "nope_nothing" });
    const res = await client.request("test_echo", ["loud"]);
    expect(res.result).toBe("loud");
    expect(client.messages).toEqual([]);
  });

  it("answers a batch with an array of the answers, skipping notifications", async () => {
    const { client } = await setup();
    client.send([
      { jsonrpc: "2.0", id: 1, method: "test_echo", params: ["a"] },
      { jsonrpc: "2.0", method: "test_echo", params: ["notified"] },
      { jsonrpc: "2.0", id: 2, method: "nope_nothing" },
      { foo: "bar" },
      { jsonrpc: "2.0", id: 3, method: "test_async", params: [true] },
      { jsonrpc: "2.0", id: 4, method: "test_echo", params: [1] },
      { jsonrpc: "2.0", id: 5, method: "test_rpcError" },
    ]);
    const batch = await client.next();
    expect(batch).toEqual([
      { jsonrpc: "2.0", id: 1, result: "a" },
      { jsonrpc: "2.0", id: 2, error: { code: -32601, message: "Method not found" } },
      { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid request" } },
      { jsonrpc: "2.0", id: 3, result: { got: [true] } },
      { jsonrpc: "2.0", id: 4, error: expect.objectContaining({ code: -32602 }) },
      { jsonrpc: "2.0", id: 5, error: expect.objectContaining({ code: 1010 }) },
    ]);
  });

  it("answers an empty batch with -32600, an all-notification batch with nothing, a long one with -32010", async () => {
    const { client } = await setup({ maxBatchLength: 3 });
    client.send([]);
    expect(await client.next()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, message: "Invalid request" },
    });
    client.send([{ jsonrpc: "2.0", method: "test_echo", params: ["x"] }]);
    const call = { jsonrpc: "2.0", id: 1, method: "test_echo", params: ["x"] };
    client.send([call, call, call, call]);
    expect(await client.next()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32010, message: "The batch request was too large", data: "Exceeded max limit of 3" },
    });
    expect(client.messages).toEqual([]);
  });

  it("replaces a response larger than maxResponseBytes with -32008", async () => {
    const { client } = await setup({ maxResponseBytes: 1024 });
    expect((await client.request("test_big")).error).toEqual({
      code: -32008,
      message: "Response is too big",
      data: "Exceeded max limit of 1024",
    });
    expect((await client.request("test_echo", ["small"])).result).toBe("small");
  });
});

describe("RpcServer over HTTP", () => {
  it("answers a POSTed request, batch, and errors", async () => {
    const { httpUrl } = await setup();
    const one = await post(httpUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "test_echo", params: ["h"] }));
    expect(one.status).toBe(200);
    expect(one.json).toEqual({ jsonrpc: "2.0", id: 1, result: "h" });

    const batch = await post(
      httpUrl,
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "test_async", params: [] },
        { jsonrpc: "2.0", id: 2, method: "nope" },
      ]),
    );
    expect(batch.json).toEqual([
      { jsonrpc: "2.0", id: 1, result: { got: [] } },
      { jsonrpc: "2.0", id: 2, error: { code: -32601, message: "Method not found" } },
    ]);

    const malformed = await post(httpUrl, "{oops");
    expect(malformed.json.error.code).toBe(-32700);

    const notification = await post(httpUrl, JSON.stringify({ jsonrpc: "2.0", method: "test_echo", params: ["n"] }));
    expect(notification.status).toBe(200);
    expect(notification.text).toBe("");
  });

  it("refuses other HTTP methods and content types", async () => {
    const { httpUrl } = await setup();
    expect((await fetch(httpUrl)).status).toBe(405);
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "test_echo", params: ["h"] });
    expect((await post(httpUrl, body, { "content-type": "text/plain" })).status).toBe(415);
    expect((await post(httpUrl, body, { "content-type": "application/json; charset=utf-8" })).status).toBe(200);
  });
});

describe("RpcServer method sets", () => {
  it("hides unsafe methods in safe mode, from calls and from rpc_methods", async () => {
    const { client, server } = await setup({ methods: "safe" });
    expect(server.allowUnsafe).toBe(false);
    expect(await client.request("test_unsafe")).toMatchObject({ error: { code: -32601, message: "Method not found" } });
    const { methods } = (await client.request("rpc_methods")).result;
    expect(methods).not.toContain("test_unsafe");
    expect(methods).toContain("test_echo");
    expect(methods).toContain("test_echoAlias");
    expect(methods).toContain("rpc_methods");
    expect(methods).toEqual([...methods].sort());
  });

  it("serves unsafe methods in unsafe mode, and in auto mode on a loopback address", async () => {
    for (const methods of ["unsafe", "auto"] as const) {
      const { client, server } = await setup({ methods });
      expect(server.allowUnsafe).toBe(true);
      expect((await client.request("test_unsafe")).result).toBe("danger");
      expect((await client.request("rpc_methods")).result.methods).toContain("test_unsafe");
    }
  });

  it("treats only loopback hosts as loopback", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) {
      expect(isLoopbackHost(h)).toBe(true);
    }
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "example.com", "::2"]) {
      expect(isLoopbackHost(h)).toBe(false);
    }
  });

  it("refuses a name registered twice", async () => {
    const { server } = await setup();
    expect(() => server.register({ name: "test_echo", handler: () => 1 })).toThrow(RpcServerError);
    expect(() => server.register({ name: "other", aliases: ["test_echoAlias"], handler: () => 1 })).toThrow(
      RpcServerError,
    );
    expect(() =>
      server.register({
        kind: "subscription",
        subscribe: "x_sub",
        unsubscribe: ["rpc_methods"],
        notification: "x",
        handler: () => () => {},
      }),
    ).toThrow(RpcServerError);
  });
});
