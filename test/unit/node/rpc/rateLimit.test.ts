/** `--rpc-rate-limit`: calls per minute per connection, as Substrate's (issue 13, 4). */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "@jest/globals";
import type { RpcServer } from "../../../../node/rpc/server/index.js";
import { RATE_LIMIT_MAX_RETRIES, RateLimiter } from "../../../../node/rpc/server/rateLimit.js";
import { type Json, startServer, WsClient } from "./helpers.js";

/** POSTs on a connection of its own (no keep-alive pool). */
function postOnNewConnection(url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", agent: false, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve(text));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("RateLimiter", () => {
  it("allows a burst of n calls, then one every 60/n s", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.check()).toBe(0);
    expect(limiter.check()).toBe(1000);
    now += 400;
    expect(limiter.check()).toBe(600); // asking does not count
    now += 600;
    expect(limiter.check()).toBe(0);
    expect(limiter.check()).toBe(1000);
    // A minute of quiet refills the whole burst, and no more.
    now += 120_000;
    for (let i = 0; i < 60; i++) expect(limiter.check()).toBe(0);
    expect(limiter.check()).toBeGreaterThan(0);
  });

  it("refuses a rate that is not positive", () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });
});

describe("RpcServer rateLimitPerMinute", () => {
  let server: RpcServer | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await server?.close();
    server = undefined;
  });

  /** 600 calls/min: a burst of 600, then one every 100 ms. */
  async function setup() {
    const started = await startServer({ rateLimitPerMinute: 600 });
    server = started.server;
    let calls = 0;
    server.register({ name: "test_count", handler: () => ++calls });
    const connect = async () => {
      const c = await WsClient.connect(started.url);
      clients.push(c);
      return c;
    };
    return { ...started, connect, calls: () => calls };
  }

  const batch = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", id: from + i, method: "test_count" }));

  it("delays calls over the limit, then answers -32999 after 10 retries; other connections are not limited", async () => {
    const { connect, calls } = await setup();
    const a = await connect();
    a.send(batch(1, 600));
    const burst: Json[] = await a.next();
    expect(burst.every((r) => typeof r.result === "number")).toBe(true);
    expect(calls()).toBe(600);

    // 30 more at once: about one per 100 ms gets through while they retry, the rest are refused.
    const t0 = Date.now();
    a.send(batch(1000, 30));
    const over: Json[] = await a.waitFor(Array.isArray, 20_000);
    const elapsed = Date.now() - t0;
    const served = over.filter((r) => r.result !== undefined);
    const refused = over.filter((r) => r.error !== undefined);
    expect(served.length + refused.length).toBe(30);
    expect(served.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.error).toEqual({ code: -32999, message: "RPC rate limit exceeded" });
    // Refused only after waiting out every retry (each at least one 100 ms interval).
    expect(elapsed).toBeGreaterThanOrEqual(RATE_LIMIT_MAX_RETRIES * 100 - 50);
    expect(calls()).toBe(600 + served.length);

    const b = await connect();
    const t1 = Date.now();
    expect((await b.request("test_count")).result).toBeGreaterThan(600);
    expect(Date.now() - t1).toBeLessThan(1000);
  }, 30_000);

  it("limits HTTP calls per connection: a new connection starts with its own burst", async () => {
    const { httpUrl } = await setup();
    const over = await postOnNewConnection(httpUrl, JSON.stringify(batch(1, 620)));
    const answers = JSON.parse(over) as Json[];
    expect(answers).toHaveLength(620);
    expect(answers.filter((r) => r.error?.code === -32999).length).toBeGreaterThan(0);
    expect(answers.filter((r) => r.result !== undefined).length).toBeGreaterThanOrEqual(600);
    const t0 = Date.now();
    const fresh = JSON.parse(await postOnNewConnection(httpUrl, JSON.stringify(batch(1, 1)))) as Json[];
    expect(fresh[0].result).toBeGreaterThan(600);
    expect(Date.now() - t0).toBeLessThan(1000);
  }, 30_000);
});
