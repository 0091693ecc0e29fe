/**
 * RPC isolation (issue 13): does an RPC flood delay block production? A dev node process (`--dev`,
 * `BENCH_RPC_SLOT_MS` slots) authors blocks while this process measures, from the node's log, for each
 * block how late after its slot start it was authored (the slot-claim delay: claim, propose, import,
 * up to the "Prepared block for proposing" line) and the gaps between blocks. Two windows of
 * `BENCH_RPC_SECONDS` each: idle, then under a flood of `BENCH_RPC_FLOOD_CLIENTS` HTTP clients posting
 * batches of 1,000 `state_getMetadata` back to back (each answered "Response is too big"). Printed:
 * the longest block gap, missed slots, p50/p90/p99 slot-claim delay, node RSS, and the ratios
 * flood/idle (goal: within 1.2x). With fewer than 100 blocks a window, p99 is the slowest block.
 *
 *   npm run bench -- rpc-isolation   (env: BENCH_RPC_SLOT_MS=1000, BENCH_RPC_SECONDS=30, BENCH_RPC_FLOOD_CLIENTS=24,
 *                                     BENCH_RPC_BATCH=1000)
 *
 * The attack clients and measurements are exported for the e2e test of issue 13's attacks
 * (test/e2e/rpcIsolation.test.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { type Socket, connect as tcpConnect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { freePort } from "./processes.js";

const here = dirname(fileURLToPath(import.meta.url));
/** bin/tensorchain.js, from bench/ (sources under jest) or dist/bench/ (compiled). */
const CLI = join(here, here.endsWith(join("dist", "bench")) ? "../.." : "..", "bin", "tensorchain.js");

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// --- the node ---

export interface DevNode {
  proc: ChildProcess;
  pid: number;
  port: number;
  httpUrl: string;
  wsUrl: string;
  slotMs: number;
  /** Everything the node wrote so far (its log). */
  log(): string;
  stop(): Promise<void>;
}

/** A `--dev --tmp` node authoring a block every `slotMs`, once its RPC answers. */
export async function startDevNode(slotMs: number, extraArgs: string[] = []): Promise<DevNode> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      CLI,
      "--dev",
      "--tmp",
      "--dev-block-time",
      String(slotMs),
      "--rpc-port",
      String(port),
      "--no-prometheus",
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const collect = (d: Buffer) => {
    out += d.toString();
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const httpUrl = `http://127.0.0.1:${port}/`;
  const node: DevNode = {
    proc,
    pid: proc.pid ?? 0,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    slotMs,
    log: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const killed = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killed);
    },
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`Node exited with ${proc.exitCode}:\n${out}`);
    if ((await httpCall(httpUrl, { jsonrpc: "2.0", id: 1, method: "system_name" }).catch(() => null))?.status === 200)
      return node;
    await sleep(100);
  }
  await node.stop();
  throw new Error(`Node did not start:\n${out}`);
}

/** The node's resident set size now, in MB (`VmRSS` of /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Samples the node's RSS every `everyMs`; `max` is the highest seen. */
export function rssSampler(pid: number, everyMs = 100): { max(): number; stop(): void } {
  let max = rssMb(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssMb(pid));
    } catch {}
  }, everyMs);
  return { max: () => max, stop: () => clearInterval(timer) };
}

/** A block the node authored, from its "Prepared block for proposing" log line. */
export interface AuthoredBlock {
  number: number;
  slot: number;
  /** When the line was written (ms since the epoch). */
  at: number;
}

const PREPARED =
  /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\s+INFO authoring: Prepared block for proposing number=(\d+) .*?slot=(\d+)/gm;

export function authoredBlocks(log: string): AuthoredBlock[] {
  const blocks: AuthoredBlock[] = [];
  for (const m of log.matchAll(PREPARED)) {
    blocks.push({ at: Date.parse(`${m[1]}T${m[2]}Z`), number: Number(m[3]), slot: Number(m[4]) });
  }
  return blocks;
}

export interface BlockStats {
  /** Blocks of the slots that start in the window. */
  blocks: number;
  /** Slots that start in the window and got no block. */
  missedSlots: number;
  /**
   * Longest time between two consecutive blocks (by when they were authored) over the window, the
   * blocks just outside it included; up to the window's end when no block came after the last one.
   */
  longestGapMs: number;
  /** How late after its slot start each block of the window was authored, in ms, sorted. */
  claimDelaysMs: number[];
}

/** Production over the window [fromMs, toMs) of wall time, from the log. */
export function blockStats(log: string, slotMs: number, fromMs: number, toMs: number): BlockStats {
  const all = authoredBlocks(log);
  const blocks = all.filter((b) => b.slot * slotMs >= fromMs && b.slot * slotMs < toMs);
  const slots = Math.ceil(toMs / slotMs) - Math.ceil(fromMs / slotMs);
  let longestGapMs = 0;
  for (let i = 1; i < all.length; i++) {
    if (all[i].at > fromMs && all[i - 1].at < toMs) longestGapMs = Math.max(longestGapMs, all[i].at - all[i - 1].at);
  }
  const last = all.length > 0 ? all[all.length - 1].at : fromMs;
  if (last < toMs) longestGapMs = Math.max(longestGapMs, toMs - Math.max(last, fromMs));
  return {
    blocks: blocks.length,
    missedSlots: slots - new Set(blocks.map((b) => b.slot)).size,
    longestGapMs,
    claimDelaysMs: blocks.map((b) => b.at - b.slot * slotMs).sort((a, b) => a - b),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// --- clients ---

const agentless = { agent: false as const };

/** One JSON-RPC POST on its own connection; resolves with the status and body. */
export function httpCall(
  url: string,
  body: unknown,
  opts: { agent?: Agent | false; timeoutMs?: number } = agentless,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", agent: opts.agent ?? false, headers: { "content-type": "application/json" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    if (opts.timeoutMs !== undefined) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(typeof body === "string" ? body : JSON.stringify(body));
  });
}

export interface Probe {
  /** Longest time a fresh client waited for an answer (503 refusals retried within the same wait). */
  worstMs(): number;
  answered(): number;
  /** Probes that got no answer within 10 s. */
  failed(): number;
  stop(): Promise<void>;
}

/**
 * A fresh client every `everyMs`: a new connection calling `chain_getHeader`, retried after 503
 * ("Too many connections") until answered; the time to its answer is recorded.
 */
export function freshClientProbe(httpUrl: string, everyMs = 250): Probe {
  let worst = 0;
  let answered = 0;
  let failed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      let ok = false;
      while (running && performance.now() - t0 < 10_000) {
        const r = await httpCall(
          httpUrl,
          { jsonrpc: "2.0", id: 1, method: "chain_getHeader" },
          { timeoutMs: 10_000 },
        ).catch(() => null);
        if (r?.status === 200 && r.text.includes('"result"')) {
          ok = true;
          break;
        }
        await sleep(20);
      }
      if (!running && !ok) break;
      const ms = performance.now() - t0;
      if (ok) {
        answered++;
        worst = Math.max(worst, ms);
      } else failed++;
      await sleep(Math.max(0, everyMs - ms));
    }
  })();
  return {
    worstMs: () => worst,
    answered: () => answered,
    failed: () => failed,
    async stop() {
      running = false;
      await loop;
    },
  };
}

export interface Flood {
  /** Requests answered so far. */
  answers(): number;
  /** How many of those were -32008 "Response is too big". */
  tooBig(): number;
  stop(): Promise<void>;
}

const metadataBatch = (n: number) =>
  JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "state_getMetadata" })));

/** `clients` HTTP keep-alive clients, each posting a batch of `batch` `state_getMetadata` calls back to back. */
export function metadataBatchFlood(httpUrl: string, clients = 24, batch = 1000): Flood {
  const body = metadataBatch(batch);
  let answers = 0;
  let tooBig = 0;
  let running = true;
  const agents: Agent[] = [];
  const loops = Array.from({ length: clients }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    while (running) {
      const r = await httpCall(httpUrl, body, { agent, timeoutMs: 60_000 }).catch(() => null);
      if (r === null) {
        await sleep(50);
        continue;
      }
      answers++;
      if (r.text.includes('"code":-32008')) tooBig++;
    }
  });
  return {
    answers: () => answers,
    tooBig: () => tooBig,
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const a of agents) a.destroy();
    },
  };
}

async function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return ws;
}

/** `connections` WebSockets each keeping `inFlight` unbatched `state_getMetadata` calls pending, reading every answer. */
export async function metadataCallFlood(wsUrl: string, connections = 4, inFlight = 64): Promise<Flood> {
  let answers = 0;
  let next = 1;
  const call = () => JSON.stringify({ jsonrpc: "2.0", id: next++, method: "state_getMetadata" });
  const sockets = await Promise.all(Array.from({ length: connections }, () => openWs(wsUrl)));
  let running = true;
  for (const ws of sockets) {
    ws.on("message", () => {
      answers++;
      if (running && ws.readyState === WebSocket.OPEN) ws.send(call());
    });
    for (let i = 0; i < inFlight; i++) ws.send(call());
  }
  return {
    answers: () => answers,
    tooBig: () => 0,
    async stop() {
      running = false;
      for (const ws of sockets) ws.terminate();
    },
  };
}

/**
 * `clients` WebSockets that never read: each sends `calls` `state_getMetadata` calls (222 kB answers)
 * and leaves its socket paused.
 */
export async function slowReaders(wsUrl: string, clients = 30, calls = 100): Promise<{ stop(): void }> {
  const sockets = await Promise.all(Array.from({ length: clients }, () => openWs(wsUrl)));
  for (const ws of sockets) {
    (ws as unknown as { _socket: Socket })._socket.pause();
    for (let i = 0; i < calls; i++) ws.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "state_getMetadata" }));
  }
  return {
    stop() {
      for (const ws of sockets) ws.terminate();
    },
  };
}

/**
 * Slowloris: `requests` HTTP POSTs that send their headers and one body byte of a declared 1,000 and
 * stall; each one the server cuts is opened again, so that `requests` are always stalled.
 */
export function slowloris(port: number, requests = 100): { opened(): number; cut(): number; stop(): void } {
  let opened = 0;
  let cut = 0;
  let running = true;
  const sockets = new Set<Socket>();
  const open = () => {
    if (!running) return;
    const socket = tcpConnect(port, "127.0.0.1", () => {
      opened++;
      socket.write(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
      );
    });
    sockets.add(socket);
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      if (!running) return;
      cut++;
      setTimeout(open, 10);
    });
  };
  for (let i = 0; i < requests; i++) open();
  return {
    opened: () => opened,
    cut: () => cut,
    stop() {
      running = false;
      for (const s of sockets) s.destroy();
    },
  };
}

// --- the bench ---

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

export async function runRpcIsolationBench(): Promise<void> {
  const slotMs = Number(process.env.BENCH_RPC_SLOT_MS ?? 1000);
  const seconds = Number(process.env.BENCH_RPC_SECONDS ?? 30);
  const clients = Number(process.env.BENCH_RPC_FLOOD_CLIENTS ?? 24);
  const batch = Number(process.env.BENCH_RPC_BATCH ?? 1000);
  const node = await startDevNode(slotMs);
  try {
    await sleep(3 * slotMs); // past the first blocks
    const window = async (flood: boolean) => {
      const rss = rssSampler(node.pid);
      const attack = flood ? metadataBatchFlood(node.httpUrl, clients, batch) : undefined;
      await sleep(slotMs); // the flood is on
      const from = Date.now();
      await sleep(seconds * 1000);
      const to = Date.now();
      await attack?.stop();
      await sleep(2 * slotMs); // the last blocks of the window are logged
      rss.stop();
      return { stats: blockStats(node.log(), slotMs, from, to), rss: rss.max(), answers: attack?.answers() ?? 0 };
    };
    const idle = await window(false);
    const flood = await window(true);
    const row = (name: string, w: typeof idle) => {
      const { stats } = w;
      console.log(
        `  ${name.padEnd(6)} blocks ${fmt(stats.blocks).padStart(4)}  missed slots ${fmt(stats.missedSlots).padStart(3)}  ` +
          `longest gap ${fmt(stats.longestGapMs).padStart(5)} ms  slot-claim delay p50 ${fmt(percentile(stats.claimDelaysMs, 50)).padStart(4)} ms` +
          ` p90 ${fmt(percentile(stats.claimDelaysMs, 90)).padStart(4)} ms p99 ${fmt(percentile(stats.claimDelaysMs, 99)).padStart(5)} ms` +
          `  max RSS ${fmt(w.rss)} MB`,
      );
    };
    console.log(
      `dev node, ${slotMs} ms slots, ${seconds} s per window; flood: ${clients} HTTP clients posting batches of ${fmt(batch)} state_getMetadata`,
    );
    row("idle", idle);
    row("flood", flood);
    console.log(`  flood batches answered: ${fmt(flood.answers)} (${fmt(flood.answers / seconds, 1)}/s)`);
    if (idle.stats.blocks < 100) console.log(`  (${idle.stats.blocks} blocks a window: p99 is the slowest block)`);
    const gapRatio = flood.stats.longestGapMs / idle.stats.longestGapMs;
    const p99Ratio = percentile(flood.stats.claimDelaysMs, 99) / percentile(idle.stats.claimDelaysMs, 99);
    const p50Ratio = percentile(flood.stats.claimDelaysMs, 50) / percentile(idle.stats.claimDelaysMs, 50);
    console.log(
      `  flood/idle: longest gap ${fmt(gapRatio, 2)}x, p50 slot-claim delay ${fmt(p50Ratio, 2)}x, p99 ${fmt(p99Ratio, 2)}x (goal: within 1.2x)`,
    );
  } finally {
    await node.stop();
  }
}
