/**
 * JSON-RPC throughput and latency (issue 16's bench): a dev node (`bin/tensorchain.js --dev --tmp`) runs
 * in its own process, and this process drives it over WebSocket on 127.0.0.1 with `BENCH_RPC_CONNECTIONS`
 * (64) connections, each keeping exactly one request in flight (closed loop: the next request goes out
 * when the previous one's answer has arrived and been parsed). Latency is per request, from just before
 * `send` to the answer, with `process.hrtime`. One method at a time: `BENCH_RPC_WARMUP` seconds of
 * warm-up, then `BENCH_RPC_SECONDS` measured.
 *
 *   system_health         the baseline: a synchronous handler with a tiny answer (transport + dispatch);
 *   state_getStorage      //Alice's System.Account at the best block (the answer must be a value);
 *   chainHead_v1_storage  one `value` item, the same key, at the subscription's finalized block (one
 *                         `chainHead_v1_follow` per connection, withRuntime false); a request is complete
 *                         when its operation's `operationStorageDone` arrives, after its
 *                         `operationStorageItems`. The client moves to each newly finalized block and unpins
 *                         the others, as a client should.
 *
 * Printed per method: requests/s, latency p50/p90/p99/max, errors, and the 1-minute load average; the CPU
 * the node and the load generator used (share of one core, CPU time per request: on a shared machine the
 * CPU per request moves less with the load than requests/s does); ratios against the baseline; whether
 * state_getStorage meets the issue's goal (≥ 15,000 req/s and p99 < 10 ms).
 *
 * With `BENCH_RPC_PROFILE=<dir>` the node runs under `--cpu-prof` (writing its profile there when it
 * stops) and the bench prints, for each method's measured window alone, the functions and files with the
 * most self time.
 *
 *   npm run bench -- rpc   (env: BENCH_RPC_SECONDS=10, BENCH_RPC_WARMUP=2, BENCH_RPC_CONNECTIONS=64,
 *                           BENCH_RPC_METHODS=system_health,state_getStorage,chainHead_v1_storage,
 *                           BENCH_RPC_PROFILE=<dir>)
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { WebSocket } from "ws";
import { keypairFromSuri } from "../primitives/crypto/index.js";
import { blake2_128, concat, cryptoReady, twox128 } from "../primitives/hashing.js";
import { type HexString, toHex } from "../primitives/hex.js";
import { System } from "../runtime/index.js";
import { freePort, percentile, spawnNode, stopProc } from "./processes.js";

const SECONDS = Number(process.env.BENCH_RPC_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_RPC_WARMUP ?? 2);
const CONNECTIONS = Number(process.env.BENCH_RPC_CONNECTIONS ?? 64);
const ALL_METHODS = ["system_health", "state_getStorage", "chainHead_v1_storage"] as const;
type Method = (typeof ALL_METHODS)[number];
const METHODS = (process.env.BENCH_RPC_METHODS ?? ALL_METHODS.join(",")).split(",") as Method[];
const PROFILE_DIR = process.env.BENCH_RPC_PROFILE;
const BASELINE: Method = "system_health";
const GOAL_RPS = 15_000;
const GOAL_P99_MS = 10;

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowNs = () => process.hrtime.bigint();
const load1 = () => loadavg()[0].toFixed(2);

/** CPU seconds a process has used so far, user and system, from /proc (Linux); NaN elsewhere. */
function procCpuSeconds(pid: number | undefined): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the command name; in
    // clock ticks of 1/100 s (USER_HZ).
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

// --- the load generator's connections ---

interface Response {
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

interface FollowEvent {
  event: string;
  operationId?: string;
  finalizedBlockHashes?: HexString[];
  blockHash?: HexString;
  items?: { key: string; value?: string }[];
  error?: string;
}

/** One WebSocket connection: answers matched to requests by id, and its chainHead follow subscription. */
class Conn {
  private nextId = 1;
  private readonly pending = new Map<number, (r: Response) => void>();
  /** Follow subscription: its id, the block it queries, what it holds pinned, its operations. */
  follow:
    | { id: string; hash: HexString; pinned: Set<HexString>; ops: Map<string, (e: FollowEvent) => void> }
    | undefined;
  private onInitialized: ((hash: HexString) => void) | undefined;
  /** Operation events that arrived before the `chainHead_v1_storage` answer naming the operation. */
  early = 0;
  followStops = 0;
  unpinErrors = 0;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => this.onMessage(data.toString()));
  }

  static open(url: string): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once("open", () => resolve(new Conn(ws)));
      ws.once("error", reject);
    });
  }

  /** Sends `{…, method, params}` (`paramsJson` already JSON); `onAnswer` gets the response. */
  request(method: string, paramsJson: string, onAnswer: (r: Response) => void): void {
    const id = this.nextId++;
    this.pending.set(id, onAnswer);
    this.ws.send(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":${paramsJson}}`);
  }

  call(method: string, paramsJson: string): Promise<Response> {
    return new Promise((resolve) => this.request(method, paramsJson, resolve));
  }

  /** `chainHead_v1_follow` (withRuntime false); resolves once `initialized` has named the block to query. */
  startFollow(): Promise<void> {
    return new Promise((resolve, reject) => {
      // Set up in the answer's callback, not after an await: ws may deliver `initialized` in the same tick.
      this.request("chainHead_v1_follow", "[false]", (r) => {
        if (typeof r.result !== "string") {
          reject(new Error(`chainHead_v1_follow failed: ${JSON.stringify(r.error)}`));
          return;
        }
        const follow = { id: r.result, hash: "0x" as HexString, pinned: new Set<HexString>(), ops: new Map() };
        this.follow = follow;
        this.onInitialized = (hash) => {
          follow.hash = hash;
          follow.pinned.add(hash);
          resolve();
        };
      });
    });
  }

  async stopFollow(): Promise<void> {
    if (this.follow === undefined) return;
    const id = this.follow.id;
    this.follow = undefined;
    await this.call("chainHead_v1_unfollow", JSON.stringify([id]));
  }

  close(): void {
    this.ws.close();
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text);
    if (msg.id !== undefined) {
      const onAnswer = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      onAnswer?.(msg);
    } else if (msg.method === "chainHead_v1_followEvent") {
      this.onFollowEvent(msg.params.subscription, msg.params.result);
    }
  }

  private onFollowEvent(subscription: string, ev: FollowEvent): void {
    const follow = this.follow;
    if (follow === undefined || subscription !== follow.id) return;
    if (ev.operationId !== undefined) {
      const handler = follow.ops.get(ev.operationId);
      if (handler === undefined) this.early++;
      else handler(ev);
      return;
    }
    switch (ev.event) {
      case "initialized":
        this.onInitialized?.(ev.finalizedBlockHashes![ev.finalizedBlockHashes!.length - 1]);
        this.onInitialized = undefined;
        break;
      case "newBlock":
        follow.pinned.add(ev.blockHash!);
        break;
      case "finalized": {
        // Query the newest finalized block from now on; unpin everything else this subscription holds.
        const hashes = ev.finalizedBlockHashes!;
        if (hashes.length > 0) follow.hash = hashes[hashes.length - 1];
        const unpin = [...follow.pinned].filter((h) => h !== follow.hash);
        if (unpin.length === 0) break;
        for (const h of unpin) follow.pinned.delete(h);
        this.request("chainHead_v1_unpin", JSON.stringify([follow.id, unpin]), (r) => {
          if (r.error !== undefined) this.unpinErrors++;
        });
        break;
      }
      case "stop":
        // The next request follows again (see `chainHeadStorage`).
        this.followStops++;
        this.follow = undefined;
        for (const handler of follow.ops.values()) handler({ event: "operationError", error: "follow stopped" });
        break;
    }
  }
}

// --- the workloads: one request each, completion reported to `done` ---

type Issue = (conn: Conn, done: (error: string | undefined) => void) => void;

function systemHealth(): Issue {
  return (conn, done) =>
    conn.request("system_health", "[]", (r) =>
      done(typeof r.result === "object" && r.result !== null ? undefined : errorText(r)),
    );
}

function stateGetStorage(key: HexString): Issue {
  const params = JSON.stringify([key]);
  return (conn, done) =>
    conn.request("state_getStorage", params, (r) =>
      done(typeof r.result === "string" ? undefined : r.result === null ? "no value" : errorText(r)),
    );
}

function chainHeadStorage(key: HexString): Issue {
  const items = JSON.stringify([{ key, type: "value" }]);
  return (conn, done) => {
    const follow = conn.follow;
    if (follow === undefined) {
      // The subscription was stopped: follow again (counted as a failed request).
      conn.startFollow().then(
        () => done("follow restarted"),
        (err: Error) => done(err.message),
      );
      return;
    }
    conn.request("chainHead_v1_storage", `["${follow.id}","${follow.hash}",${items},null]`, (r) => {
      const started = r.result as { result: string; operationId?: string } | undefined;
      if (started?.result !== "started" || started.operationId === undefined) {
        done(r.error !== undefined ? errorText(r) : `not started: ${JSON.stringify(r.result)}`);
        return;
      }
      const opId = started.operationId;
      let value = false;
      follow.ops.set(opId, (ev) => {
        switch (ev.event) {
          case "operationStorageItems":
            value ||= ev.items?.some((i) => i.key === key && typeof i.value === "string") === true;
            return;
          case "operationStorageDone":
            follow.ops.delete(opId);
            done(value ? undefined : "no value");
            return;
          case "operationWaitingForContinue":
            conn.request("chainHead_v1_continue", JSON.stringify([follow.id, opId]), () => {});
            return;
          default:
            follow.ops.delete(opId);
            done(`${ev.event}${ev.error ? `: ${ev.error}` : ""}`);
        }
      });
    });
  };
}

function errorText(r: Response): string {
  return r.error !== undefined ? `${r.error.code} ${r.error.message}` : `unexpected answer ${JSON.stringify(r)}`;
}

// --- one measured run ---

interface RunResult {
  method: Method;
  window: Window;
  completed: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: Map<string, number>;
  /** Cores' worth of CPU the node used in the window, and how much of it in the kernel. */
  serverCpu: number;
  serverSystemCpu: number;
  clientCpu: number;
  load: string;
}

/**
 * Every connection runs `issue` in a closed loop: warm-up, then `SECONDS` measured, then the loops stop
 * and the requests still in flight are awaited. Counted: requests sent and answered inside the window.
 */
async function measure(method: Method, conns: Conn[], issue: Issue, nodePid: number | undefined): Promise<RunResult> {
  let windowStart = -1n;
  let windowEnd = -1n;
  let stopping = false;
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let completed = 0;
  let running = conns.length;
  let drained: () => void = () => {};
  const allDrained = new Promise<void>((r) => {
    drained = r;
  });

  const loop = (conn: Conn): void => {
    if (stopping) {
      if (--running === 0) drained();
      return;
    }
    const t0 = nowNs();
    issue(conn, (error) => {
      const t1 = nowNs();
      if (windowStart >= 0n && t0 >= windowStart) {
        if (error !== undefined) errors.set(error, (errors.get(error) ?? 0) + 1);
        else {
          latencies.push(Number(t1 - t0) / 1e6);
          if (windowEnd < 0n || t1 <= windowEnd) completed++;
        }
      }
      loop(conn);
    });
  };
  for (const conn of conns) loop(conn);

  await sleep(WARMUP_SECONDS * 1000);
  const cpu0 = procCpuSeconds(nodePid);
  const client0 = process.cpuUsage();
  windowStart = nowNs();
  await sleep(SECONDS * 1000);
  windowEnd = nowNs();
  const cpu1 = procCpuSeconds(nodePid);
  const client1 = process.cpuUsage(client0);
  const load = load1();
  stopping = true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((r) => {
    timer = setTimeout(() => r("timeout"), 30_000);
  });
  const drainOutcome = await Promise.race([allDrained, timedOut]);
  clearTimeout(timer);
  if (drainOutcome === "timeout") {
    throw new Error(`${method}: ${running} connections still wait for an answer 30 s after the window`);
  }

  const seconds = Number(windowEnd - windowStart) / 1e9;
  const sorted = Float64Array.from(latencies).sort();
  return {
    method,
    window: { method, startUs: Number(windowStart / 1000n), endUs: Number(windowEnd / 1000n) },
    completed,
    rps: completed / seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
    errors,
    serverCpu: (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / seconds,
    serverSystemCpu: (cpu1.system - cpu0.system) / seconds,
    clientCpu: (client1.user + client1.system) / 1e6 / seconds,
    load,
  };
}

function printResult(r: RunResult, base: RunResult | undefined): void {
  const ms = (v: number) => fmt(v, 2);
  const ratio = base !== undefined && base !== r ? ` (${fmt(r.rps / base.rps, 2)}x ${base.method})` : "";
  console.log(
    `${r.method.padEnd(21)} ${fmt(r.rps).padStart(7)} req/s${ratio}; latency p50 ${ms(r.p50)} ms, ` +
      `p90 ${ms(r.p90)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms`,
  );
  const errors = [...r.errors.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${"".padEnd(21)} ${fmt(r.completed)} answered in the window, ${fmt(errors)} errors; load average ${r.load}`,
  );
  const perReq = (cpu: number) => (cpu * 1e6) / r.rps;
  const baseCost =
    base !== undefined && base !== r ? ` (${fmt(perReq(r.serverCpu) / ((base.serverCpu * 1e6) / base.rps), 2)}x)` : "";
  console.log(
    `${"".padEnd(21)} CPU: node ${fmt(r.serverCpu * 100)}% of a core (${fmt(r.serverSystemCpu * 100)}% in the kernel), ` +
      `${fmt(perReq(r.serverCpu), 1)} µs/request${baseCost} ` +
      `(≈ ${fmt(r.rps / r.serverCpu)} req/s per core it had to itself); ` +
      `load generator ${fmt(r.clientCpu * 100)}%, ${fmt(perReq(r.clientCpu), 1)} µs/request`,
  );
  for (const [e, n] of r.errors) console.log(`${"".padEnd(21)}   ${fmt(n)} × ${e}`);
}

// --- the profile ---

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** A measured window, in µs of the monotonic clock that `process.hrtime` and V8's profiler share. */
interface Window {
  method: Method;
  startUs: number;
  endUs: number;
}

/**
 * The functions and files with the most self time in the node's `.cpuprofile`, in each measured window
 * (startup, warm-up and the other methods left out).
 */
function printProfile(dir: string, windows: Window[]): void {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length === 0) {
    console.log(`no .cpuprofile in ${dir}`);
    return;
  }
  const file = join(dir, files.sort().at(-1)!);
  const profile = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: ProfileNode[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  console.log(`\nnode profile: ${file}`);
  const root = process.cwd();
  for (const w of windows) {
    const selfUs = new Map<number, number>();
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i] ?? 0;
      t += dt;
      if (t < w.startUs || t > w.endUs) continue;
      selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
    }
    const byFunction = new Map<string, number>();
    const byFile = new Map<string, number>();
    let busy = 0;
    let idle = 0;
    for (const [id, us] of selfUs) {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      if (functionName === "(idle)") {
        idle += us;
        continue;
      }
      busy += us;
      const path = url.startsWith("file://") ? relative(root, url.slice(7)) : url;
      const fn = `${functionName || "(anonymous)"}${path === "" ? "" : ` ${path}:${lineNumber + 1}`}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
      const group = path === "" ? functionName : path.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, "$1 (npm)");
      byFile.set(group, (byFile.get(group) ?? 0) + us);
    }
    if (busy === 0) {
      console.log(`${w.method}: no samples in its window`);
      continue;
    }
    const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
    console.log(
      `${w.method}, measured window: ${fmt(busy / 1e6, 1)} s busy, ${fmt(idle / 1e6, 1)} s idle; self time, % of busy:`,
    );
    for (const [fn, us] of top(byFunction, 15)) console.log(`  ${fmt((100 * us) / busy, 1).padStart(5)}%  ${fn}`);
    console.log("  by file (npm packages together):");
    for (const [f, us] of top(byFile, 10)) console.log(`  ${fmt((100 * us) / busy, 1).padStart(5)}%  ${f}`);
  }
}

// --- the bench ---

/** //Alice's `System.Account` key, built by the runtime and checked against the hashers by hand. */
function aliceAccountKey(): HexString {
  const alice = keypairFromSuri("//Alice").publicKey;
  const key = System.storage.Account.keyFor(alice);
  const byHand = concat(
    twox128(new TextEncoder().encode("System")),
    twox128(new TextEncoder().encode("Account")),
    blake2_128(alice),
    alice,
  );
  if (toHex(key) !== toHex(byHand)) throw new Error("System.Account key: the runtime and the hashers disagree");
  return toHex(key);
}

export async function runRpcBench(): Promise<void> {
  const unknown = METHODS.filter((m) => !ALL_METHODS.includes(m));
  if (unknown.length > 0) throw new Error(`BENCH_RPC_METHODS: unknown ${unknown.join(", ")}`);
  await cryptoReady();
  const key = aliceAccountKey();
  const port = await freePort();
  const nodeArgs: string[] = [];
  if (PROFILE_DIR !== undefined) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`);
  }
  const args = ["--dev", "--tmp", "--rpc-port", String(port), "--no-prometheus"];
  if (CONNECTIONS > 90) args.push("--rpc-max-connections", String(CONNECTIONS + 10));
  console.log(
    `dev node: ${[...nodeArgs, "bin/tensorchain.js", ...args].join(" ")}; ${CONNECTIONS} WebSocket connections, ` +
      `one request in flight each; ${WARMUP_SECONDS} s warm-up + ${SECONDS} s per method; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );
  const node = await spawnNode(args, /Running JSON-RPC server/, nodeArgs);
  const conns: Conn[] = [];
  const results: RunResult[] = [];
  try {
    const url = `ws://127.0.0.1:${port}`;
    for (let i = 0; i < CONNECTIONS; i++) conns.push(await Conn.open(url));
    const issues: Record<Method, Issue> = {
      system_health: systemHealth(),
      state_getStorage: stateGetStorage(key),
      chainHead_v1_storage: chainHeadStorage(key),
    };
    for (const method of METHODS) {
      if (method === "chainHead_v1_storage") await Promise.all(conns.map((c) => c.startFollow()));
      const r = await measure(method, conns, issues[method], node.pid);
      if (method === "chainHead_v1_storage") {
        const early = conns.reduce((a, c) => a + c.early, 0);
        const stops = conns.reduce((a, c) => a + c.followStops, 0);
        const unpinErrors = conns.reduce((a, c) => a + c.unpinErrors, 0);
        if (early > 0) r.errors.set("operation event before the answer naming the operation", early);
        if (stops > 0) r.errors.set("follow subscription stopped", stops);
        if (unpinErrors > 0) r.errors.set("chainHead_v1_unpin failed", unpinErrors);
        await Promise.all(conns.map((c) => c.stopFollow()));
      }
      results.push(r);
      const base = results.find((x) => x.method === BASELINE);
      printResult(r, base);
    }
  } finally {
    for (const c of conns) c.close();
    await stopProc(node);
  }

  const storage = results.find((r) => r.method === "state_getStorage");
  if (storage !== undefined) {
    const met = storage.rps >= GOAL_RPS && storage.p99 < GOAL_P99_MS && storage.errors.size === 0;
    console.log(
      `goal for state_getStorage (≥ ${fmt(GOAL_RPS)} req/s, p99 < ${GOAL_P99_MS} ms): ${met ? "met" : "NOT met"} ` +
        `(${fmt(storage.rps)} req/s, p99 ${fmt(storage.p99, 2)} ms, load average ${storage.load})`,
    );
  }
  const windows = results.map((r) => r.window);
  if (PROFILE_DIR !== undefined) printProfile(PROFILE_DIR, windows);
}
