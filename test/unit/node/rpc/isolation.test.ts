/**
 * One client cannot hold the event loop or the server's memory (issue 13, 1-3): RPC work is sliced
 * per event-loop turn, batches stop at the response limit, slow readers are paused then cut, and
 * stalled HTTP requests expire.
 */
import { type Socket, connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "@jest/globals";
import WebSocket from "ws";
import type { RpcServer, RpcServerOptions } from "../../../../node/rpc/server/index.js";
import { type Json, post, sleep, startServer, WsClient } from "./helpers.js";

type Closable = { destroy(): void } | { terminate(): void };
const open: { server: RpcServer; sockets: Closable[] }[] = [];

afterEach(async () => {
  for (const { server, sockets } of open.splice(0)) {
    for (const s of sockets) "destroy" in s ? s.destroy() : s.terminate();
    await server.close();
  }
});

async function setup(opts: Partial<RpcServerOptions> = {}) {
  const started = await startServer(opts);
  const entry = { server: started.server, sockets: [] as Closable[] };
  open.push(entry);
  const track = <T extends Closable>(s: T) => {
    entry.sockets.push(s);
    return s;
  };
  return { ...started, track };
}

/** Keeps the CPU busy for `ms`. */
function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}

/**
 * How long the event loop was held while `during` runs: the most CPU time the process used between two
 * ticks of a 5 ms interval. CPU time rather than wall time, so that the scheduler of a loaded machine
 * taking the CPU away does not count as the loop being held.
 */
async function longestStall(during: () => Promise<unknown>): Promise<number> {
  // This thread's CPU time only: work on the server's parser threads is not a stall of the event loop.
  let last = process.threadCpuUsage();
  let worst = 0;
  const timer = setInterval(() => {
    const used = process.threadCpuUsage(last);
    worst = Math.max(worst, (used.user + used.system) / 1000);
    last = process.threadCpuUsage();
  }, 5);
  try {
    await during();
  } finally {
    clearInterval(timer);
  }
  return worst;
}

const call = (id: number, method: string) => ({ jsonrpc: "2.0", id, method });

describe("RPC work per event-loop turn", () => {
  it("runs a batch of CPU-heavy calls in slices, sync or after an await, and serves another client meanwhile", async () => {
    const { server, url, track } = await setup();
    let ran = 0;
    server.register({
      name: "test_burnSync",
      handler: () => {
        burn(1);
        return ++ran;
      },
    });
    server.register({
      name: "test_burnAsync",
      handler: async () => {
        await null;
        burn(1);
        return ++ran;
      },
    });
    const flooder = track((await WsClient.connect(url)).ws);
    const fresh = await WsClient.connect(url);
    track(fresh.ws);
    const answers: Json[] = [];
    flooder.on("message", (d) => answers.push(JSON.parse(d.toString())));
    let freshLatency = Number.NaN;
    const stall = await longestStall(async () => {
      // 2 x 400 ms of work unsliced.
      flooder.send(JSON.stringify(Array.from({ length: 400 }, (_, i) => call(i, "test_burnSync"))));
      flooder.send(JSON.stringify(Array.from({ length: 400 }, (_, i) => call(i, "test_burnAsync"))));
      await sleep(50);
      const t0 = performance.now();
      expect((await fresh.request("rpc_methods")).result.methods).toContain("test_burnSync");
      freshLatency = performance.now() - t0;
      while (answers.length < 2) await sleep(20);
    });
    expect(answers.map((a) => a.length)).toEqual([400, 400]);
    expect(ran).toBe(800);
    // Unsliced (turnBudgetMs: 1e5) the loop is held for ~800 ms of CPU at once.
    expect(stall).toBeLessThan(100);
    expect(freshLatency).toBeLessThan(500);
  }, 30_000);

  it("stops a batch once its answers pass maxResponseBytes, without running the rest", async () => {
    const { server, httpUrl } = await setup({ maxResponseBytes: 1024 * 1024 });
    let ran = 0;
    const big = "ab".repeat(50_000); // 100 kB
    server.register({
      name: "test_big",
      handler: () => {
        ran++;
        return big;
      },
    });
    const res = await post(httpUrl, JSON.stringify(Array.from({ length: 1000 }, (_, i) => call(i, "test_big"))));
    expect(res.json).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32008, message: "Response is too big", data: "Exceeded max limit of 1048576" },
    });
    expect(ran).toBeGreaterThanOrEqual(10);
    expect(ran).toBeLessThanOrEqual(12);
    // Under the limit the batch is answered in full, in order.
    const fits = await post(httpUrl, JSON.stringify(Array.from({ length: 9 }, (_, i) => call(i, "test_big"))));
    expect((fits.json as Json[]).map((a) => a.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect((fits.json as Json[]).every((a) => a.result === big)).toBe(true);
  });

  it("sends a big result's JSON, encoded once, in every answer that carries it, intact", async () => {
    const { server, url, httpUrl, track } = await setup();
    const big = `0x${"12".repeat(100_000)}`;
    server.register({ name: "test_big", handler: () => big });
    const c = await WsClient.connect(url);
    track(c.ws);
    for (let id = 1; id <= 3; id++) expect(await c.request("test_big")).toEqual({ jsonrpc: "2.0", id, result: big });
    c.send([call(7, "test_big"), call(8, "nope"), call(9, "test_big")]);
    const batch: Json[] = await c.next();
    expect(batch.map((a) => [a.id, a.result === big, a.error?.code])).toEqual([
      [7, true, undefined],
      [8, false, -32601],
      [9, true, undefined],
    ]);
    const res = await post(httpUrl, '{"jsonrpc":"2.0","id":"é","method":"test_big"}');
    expect(res.text).toBe(`{"jsonrpc":"2.0","id":"é","result":"${big}"}`);
    expect(
      Number(
        (
          await fetch(httpUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(call(1, "test_big")),
          })
        ).headers.get("content-length"),
      ),
    ).toBe(Buffer.byteLength(`{"jsonrpc":"2.0","id":1,"result":"${big}"}`));
  });

  it("ends the subscriptions of a batch answered too big", async () => {
    const { server, url, track } = await setup({ maxResponseBytes: 64 * 1024 });
    let live = 0;
    server.register({
      kind: "subscription",
      subscribe: "test_sub",
      unsubscribe: ["test_unsub"],
      notification: "test_note",
      handler: (_p, sink) => {
        live++;
        sink.next(1);
        return () => {
          live--;
        };
      },
    });
    server.register({ name: "test_big", handler: () => "x".repeat(40 * 1024) });
    const c = await WsClient.connect(url);
    track(c.ws);
    c.send([call(1, "test_sub"), call(2, "test_big"), call(3, "test_big")]);
    expect((await c.next()).error.code).toBe(-32008);
    expect(live).toBe(0);
    expect(server.subscriptionCount).toBe(0);
    await sleep(50);
    expect(c.messages).toEqual([]);
  });
});

describe("large messages", () => {
  it("are parsed off the event loop, ids and errors as for any message", async () => {
    const { server, url, httpUrl, track } = await setup();
    server.register({ name: "test_len", handler: ([hex]) => (hex as string).length });
    const hex = `0x${"ab".repeat(3_000_000)}`; // a 6 MB message
    const big = `{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"test_len","params":["${hex}"]}`;
    const ws = track(new WebSocket(url));
    await new Promise((resolve) => ws.once("open", resolve));
    const answers: string[] = [];
    ws.on("message", (d) => answers.push(d.toString()));
    const stall = await longestStall(async () => {
      ws.send(big);
      ws.send(`[${big},{"jsonrpc":"2.0","id":2,"method":"nope"}]`);
      ws.send(`${big.slice(0, -1)},`); // not JSON
      while (answers.length < 3) await sleep(10);
    });
    expect(answers).toEqual([
      `{"jsonrpc":"2.0","id":123456789012345678901234567890,"result":${hex.length}}`,
      `[{"jsonrpc":"2.0","id":123456789012345678901234567890,"result":${hex.length}},` +
        '{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"Method not found"}}]',
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}',
    ]);
    // The client in this process builds and sends 18 MB; the server's parse of them is elsewhere.
    expect(stall).toBeLessThan(200);
    const res = await post(httpUrl, big);
    expect(res.text).toBe(`{"jsonrpc":"2.0","id":123456789012345678901234567890,"result":${hex.length}}`);
  }, 30_000);
});

describe("slow WebSocket readers", () => {
  it("stops executing a connection's requests while its answers are not read, then resumes", async () => {
    const { server, url, track } = await setup({ pauseBufferedBytesPerConnection: 256 * 1024 });
    let ran = 0;
    const big = "cd".repeat(50_000); // 100 kB answers
    server.register({
      name: "test_big",
      handler: () => {
        ran++;
        return big;
      },
    });
    const ws = track(new WebSocket(url));
    await new Promise((resolve) => ws.once("open", resolve));
    let received = 0;
    ws.on("message", () => received++);
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.pause(); // reads nothing
    // 200 MB of answers; the kernel's socket buffers on 127.0.0.1 take up to ~36 MB of them.
    for (let i = 0; i < 2000; i++) ws.send(JSON.stringify(call(i, "test_big")));
    let stalledAt = -1;
    for (let i = 0; i < 100 && stalledAt !== ran; i++) {
      stalledAt = ran;
      await sleep(300);
    }
    expect(stalledAt).toBeLessThan(500);
    await sleep(300);
    expect(ran).toBe(stalledAt);
    // Others are served.
    const other = await WsClient.connect(url);
    track(other.ws);
    expect((await other.request("rpc_methods")).result).toBeDefined();
    // Reading again, every request is answered.
    socket.resume();
    for (let i = 0; i < 1000 && received < 2000; i++) await sleep(20);
    expect(received).toBe(2000);
    expect(server.connections).toBe(2);
  }, 30_000);

  it("cuts a client that does not read its subscription once its send buffer passes the cap", async () => {
    const { server, url, track } = await setup({
      maxBufferedBytesPerConnection: 1024 * 1024,
      pauseBufferedBytesPerConnection: 256 * 1024,
    });
    const note = "ef".repeat(50_000);
    let timers = 0;
    server.register({
      kind: "subscription",
      subscribe: "test_flood",
      unsubscribe: ["test_unflood"],
      notification: "test_flooded",
      handler: (_p, sink) => {
        timers++;
        const t = setInterval(() => sink.next(note), 1);
        return () => {
          timers--;
          clearInterval(t);
        };
      },
    });
    const c = await WsClient.connect(url);
    track(c.ws);
    await c.request("test_flood");
    (c.ws as unknown as { _socket: Socket })._socket.pause();
    // The client reads nothing, not even the close: the server's side tells.
    for (let i = 0; i < 500 && server.connections > 0; i++) await sleep(20);
    expect(server.connections).toBe(0);
    expect(server.subscriptionCount).toBe(0);
    expect(timers).toBe(0);
  }, 30_000);
});

/** Opens a raw HTTP connection, sends the headers of a POST and `body`, and leaves it there. */
function stalledPost(
  port: number,
  body: string,
  declared = 1000,
): Promise<{ socket: Socket; response: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1", () => {
      socket.write(
        `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${body}`,
      );
      let text = "";
      const response = new Promise<string>((done) => {
        socket.on("data", (d) => {
          text += d.toString();
        });
        socket.on("close", () => done(text));
      });
      resolve({ socket, response });
    });
    socket.on("error", reject);
  });
}

describe("slow HTTP clients", () => {
  it("cuts stalled bodies to make room for new clients, and after httpIdleTimeoutMs", async () => {
    const { server, port, httpUrl, track } = await setup({ maxConnections: 5, httpIdleTimeoutMs: 3000 });
    server.register({ name: "test_one", handler: () => 1 });
    const stalled = await Promise.all(Array.from({ length: 5 }, () => stalledPost(port, "{")));
    for (const s of stalled) track(s.socket);
    for (let i = 0; i < 100 && server.connections < 5; i++) await sleep(10);
    expect(server.connections).toBe(5);
    await sleep(300); // stalled for STALLED_BODY_MS
    const t0 = performance.now();
    const fresh = await post(httpUrl, JSON.stringify(call(1, "test_one")));
    expect(fresh.json.result).toBe(1);
    expect(performance.now() - t0).toBeLessThan(1000);
    const cut = await Promise.race(stalled.map((s) => s.response));
    expect(cut).toMatch(/^HTTP\/1.1 408/);
    // The others go when their bodies have been idle for httpIdleTimeoutMs.
    const rest = await Promise.all(stalled.map((s) => s.response));
    expect(rest.every((r) => r.startsWith("HTTP/1.1 408"))).toBe(true);
    expect(server.connections).toBe(0);
  }, 30_000);

  it("closes a connection that does not finish its headers within httpHeadersTimeoutMs", async () => {
    const { port, track } = await setup({ httpHeadersTimeoutMs: 500 });
    const socket = track(tcpConnect(port, "127.0.0.1"));
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const t0 = performance.now();
    let text = "";
    socket.on("data", (d) => {
      text += d.toString();
    });
    await new Promise((resolve) => socket.once("close", resolve));
    expect(text).toMatch(/^HTTP\/1.1 408/);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it("cuts a response the client takes nothing of for httpIdleTimeoutMs", async () => {
    const { server, port, track } = await setup({ maxResponseBytes: 64 * 1024 * 1024, httpIdleTimeoutMs: 500 });
    server.register({ name: "test_huge", handler: () => "0".repeat(40 * 1024 * 1024) });
    const body = JSON.stringify(call(1, "test_huge"));
    const { socket } = await stalledPost(port, body, body.length);
    track(socket);
    socket.pause(); // never reads the answer
    for (let i = 0; i < 100 && server.connections === 0; i++) await sleep(10);
    expect(server.connections).toBe(1);
    for (let i = 0; i < 500 && server.connections > 0; i++) await sleep(20);
    expect(server.connections).toBe(0);
  }, 30_000);
});
