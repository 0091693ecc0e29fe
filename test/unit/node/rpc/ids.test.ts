/** Request ids are echoed byte for byte (issue 13, 6): the raw id text of the request goes back. */
import { afterEach, describe, expect, it } from "@jest/globals";
import WebSocket from "ws";
import type { RpcServer } from "../../../../node/rpc/server/index.js";
import { rawRequestIds } from "../../../../node/rpc/server/rawIds.js";
import { post, startServer } from "./helpers.js";

describe("rawRequestIds", () => {
  it("finds the id of a request object as written", () => {
    expect(rawRequestIds('{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"m"}')).toBe(
      "123456789012345678901234567890",
    );
    expect(rawRequestIds('{"id":1.0,"method":"m"}')).toBe("1.0");
    expect(rawRequestIds('{"id":-0,"method":"m"}')).toBe("-0");
    expect(rawRequestIds('{"id":1E3,"method":"m"}')).toBe("1E3");
    expect(rawRequestIds('{"id":"\\u0041\\"b","method":"m"}')).toBe('"\\u0041\\"b"');
    expect(rawRequestIds('  {\n "method" : "m" ,\t"id" :\r 7 }  ')).toBe("7");
    expect(rawRequestIds('{"method":"m"}')).toBeUndefined();
    expect(rawRequestIds("{}")).toBeUndefined();
  });

  it("skips ids nested in params and strings that look like ids, and takes the last of two", () => {
    const text = '{"params":[{"id":5},"\\"id\\":6",{"a":[1,{"id":[7]}]}],"id":8,"x":{"id":9},"s":"\\\\","id":10}';
    expect(rawRequestIds(text)).toBe("10");
    expect(rawRequestIds('{"\\u0069d":11,"method":"m"}')).toBe("11");
  });

  it("finds the id of each element of a batch", () => {
    expect(
      rawRequestIds('[{"id":1e2},2,{"method":"n"},{"id":"x","params":{"id":3}} , [ {"id":4} ],{"id":null}]'),
    ).toEqual(["1e2", undefined, undefined, '"x"', undefined, "null"]);
    expect(rawRequestIds("[]")).toEqual([]);
    expect(rawRequestIds('"text"')).toBeUndefined();
  });
});

describe("RpcServer echoes ids byte for byte", () => {
  let server: RpcServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function setup() {
    const started = await startServer();
    server = started.server;
    server.register({ name: "test_one", handler: () => 1 });
    return started;
  }

  const BIG = "123456789012345678901234567890";

  it("over HTTP, for a call and in a batch", async () => {
    const { httpUrl } = await setup();
    const single = await post(httpUrl, `{"jsonrpc":"2.0","id":${BIG},"method":"test_one"}`);
    expect(single.text).toBe(`{"jsonrpc":"2.0","id":${BIG},"result":1}`);
    const batch = await post(
      httpUrl,
      `[{"jsonrpc":"2.0","id":1.50,"method":"test_one"},{"jsonrpc":"2.0","id":"\\u00e9","method":"nope"},` +
        `{"jsonrpc":"2.0","id":-1e-7,"method":"test_one","params":[{"id":2}]}]`,
    );
    expect(batch.text).toBe(
      '[{"jsonrpc":"2.0","id":1.50,"result":1},' +
        '{"jsonrpc":"2.0","id":"\\u00e9","error":{"code":-32601,"message":"Method not found"}},' +
        '{"jsonrpc":"2.0","id":-1e-7,"result":1}]',
    );
    // Invalid params and invalid requests keep the id as well.
    const invalid = await post(httpUrl, `{"jsonrpc":"1.0","id":${BIG},"method":"test_one"}`);
    expect(invalid.text).toBe(`{"jsonrpc":"2.0","id":${BIG},"error":{"code":-32600,"message":"Invalid request"}}`);
  });

  it("over WebSocket", async () => {
    const { url } = await setup();
    const ws = new WebSocket(url);
    await new Promise((resolve) => ws.once("open", resolve));
    const answer = new Promise<string>((resolve) => ws.once("message", (d) => resolve(d.toString())));
    ws.send(`{"id":${BIG}.000,"jsonrpc":"2.0","method":"test_one"}`);
    expect(await answer).toBe(`{"jsonrpc":"2.0","id":${BIG}.000,"result":1}`);
    ws.terminate();
  });
});
