/**
 * A devnet of separate `tensorchain` processes for the chaos suite: the four `devnet` validators
 * (//Alice … //Dave) on 127.0.0.1 with short slots (a copy of the `devnet` spec with
 * `babe.slotDurationMs`), each started with `--dev-chaos` so that the harness can block peers and skew
 * clocks over RPC (`node/devChaos.ts`).
 *
 * Every node keeps its ports, node key and base path for the whole run, so it can be killed and started
 * again on the same database. Output goes to `<dir>/<name>.log` (appended across restarts, with a marker
 * line per start) rather than to pipes: a SIGSTOPped node must not block on a full pipe, and long runs
 * must not hold logs in memory.
 *
 * The harness keeps each node's desired fault state (blocked peers, clock offset) and applies it again
 * after a restart. A node that exits without being killed by the harness is reported through
 * `onUnexpectedExit`.
 *
 * Used by the jest scenarios (`test/sim/*.test.ts`) and by `npm run chaos` (compiled to dist/chaos/).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEVNET_VALIDATORS, devNodeKey, devPeerId } from "../../genesis/chainSpec.js";

/** The repository root: the first folder above this file with `bin/tensorchain.js` (from test/sim or dist/chaos/test/sim). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "bin", "tensorchain.js")) && existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("repository root (bin/tensorchain.js) not found above test/sim");
}

export const REPO_ROOT = repoRoot();
export const CLI = join(REPO_ROOT, "bin", "tensorchain.js");

export type NodeState = "up" | "starting" | "down" | "paused";

export interface RpcResult {
  result?: unknown;
  error?: { code: number; message: string };
}

/** A JSON-RPC call over HTTP with a deadline (a paused node never answers). */
export async function rpcCall(url: string, method: string, params: unknown[] = [], timeoutMs = 3000): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as RpcResult;
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SimNode {
  state: NodeState = "down";
  proc: ChildProcess | undefined;
  /** What the harness wants this node to refuse and its clock offset; applied again after a restart. */
  blocked: string[] = [];
  clockOffsetMs = 0;
  starts = 0;
  /** Set while the harness itself stops the process (kill -9, shutdown). */
  private expectingExit = false;
  private logOffset = 0;
  private logRest = "";

  constructor(
    readonly name: string,
    readonly index: number,
    readonly peerId: string,
    private readonly args: string[],
    readonly rpcPort: number,
    readonly p2pPort: number,
    readonly logPath: string,
    private readonly onUnexpectedExit: (node: SimNode, code: number | null, signal: string | null) => void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.rpcPort}`;
  }

  /** Whether RPC can be asked now (up, not paused). */
  get queryable(): boolean {
    return this.state === "up";
  }

  rpc<T>(method: string, params: unknown[] = [], timeoutMs = 3000): Promise<T> {
    return rpcCall(this.url, method, params, timeoutMs) as Promise<T>;
  }

  /** The complete log lines written since the last call (at most 8 MiB at a time). */
  readLog(): string {
    const size = statSync(this.logPath, { throwIfNoEntry: false })?.size ?? 0;
    if (size <= this.logOffset) return "";
    const length = Math.min(size - this.logOffset, 8 * 1024 * 1024);
    const buf = Buffer.alloc(length);
    const fd = openSync(this.logPath, "r");
    try {
      readSync(fd, buf, 0, length, this.logOffset);
    } finally {
      closeSync(fd);
    }
    this.logOffset += length;
    const text = this.logRest + buf.toString("utf8");
    const cut = text.lastIndexOf("\n");
    this.logRest = text.slice(cut + 1);
    return text.slice(0, cut + 1);
  }

  /** Starts the process and waits until its RPC answers (then applies the desired fault state). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.proc) throw new Error(`${this.name} is already running`);
    this.starts++;
    appendFileSync(
      this.logPath,
      `\n==== chaos harness: start #${this.starts} of ${this.name} at ${new Date().toISOString()}\n`,
    );
    const fd = openSync(this.logPath, "a");
    const proc = spawn(process.execPath, [CLI, ...this.args], { cwd: REPO_ROOT, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    this.proc = proc;
    this.state = "starting";
    this.expectingExit = false;
    proc.once("exit", (code, signal) => {
      if (this.proc === proc) {
        this.proc = undefined;
        this.state = "down";
      }
      if (!this.expectingExit) this.onUnexpectedExit(this, code, signal);
    });
    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (!ready && Date.now() < deadline) {
      if (this.proc !== proc) throw new Error(`${this.name} exited while starting (see ${this.logPath})`);
      try {
        await rpcCall(this.url, "system_name", [], 1000);
        ready = true;
      } catch {
        await sleep(200);
      }
    }
    if (!ready) {
      await this.kill();
      throw new Error(`${this.name} did not answer RPC within ${timeoutMs} ms (see ${this.logPath})`);
    }
    this.state = "up";
    await this.applyFaultState();
  }

  /** Blocked peers and clock offset as desired (after a start, or when they change). */
  async applyFaultState(): Promise<void> {
    if (!this.queryable) return;
    await this.rpc("devChaos_blockPeers", [this.blocked]);
    await this.rpc("devChaos_setClockOffset", [this.clockOffsetMs]);
  }

  async setBlocked(peerIds: string[]): Promise<void> {
    this.blocked = [...peerIds];
    if (this.queryable) await this.rpc("devChaos_blockPeers", [this.blocked]);
  }

  async setClockOffset(ms: number): Promise<void> {
    this.clockOffsetMs = ms;
    if (this.queryable) await this.rpc("devChaos_setClockOffset", [ms]);
  }

  /** `kill -9` (a paused process dies too); resolves once it has exited. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.expectingExit = true;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill("SIGKILL");
    await exited;
  }

  pause(): void {
    if (this.state !== "up" || !this.proc) throw new Error(`${this.name} is not up (${this.state})`);
    this.proc.kill("SIGSTOP");
    this.state = "paused";
  }

  resume(): void {
    if (this.state !== "paused" || !this.proc) return;
    this.proc.kill("SIGCONT");
    this.state = "up";
  }

  /** SIGCONT, then SIGTERM with a grace period, then SIGKILL. */
  async stop(graceMs = 5000): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.expectingExit = true;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill("SIGCONT");
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort (process exit handlers). */
  killNow(): void {
    if (!this.proc) return;
    this.expectingExit = true;
    try {
      this.proc.kill("SIGKILL");
    } catch {}
  }
}

export interface SimNetOptions {
  /** Where the chain spec, the base paths and the logs go. */
  dir: string;
  slotDurationMs: number;
  /** `--log` of every node. */
  log?: string;
  /** Called when a node exits without the harness killing it. */
  onUnexpectedExit?: (node: SimNode, code: number | null, signal: string | null) => void;
}

export class SimNet {
  private constructor(
    readonly opts: SimNetOptions,
    readonly nodes: SimNode[],
    readonly chainSpecPath: string,
  ) {}

  /** Writes the chain spec and prepares (does not start) the four validators. */
  static async create(opts: SimNetOptions): Promise<SimNet> {
    mkdirSync(opts.dir, { recursive: true });
    const spec = JSON.parse(
      execFileSync(process.execPath, [CLI, "build-spec", "--chain", "devnet"], { cwd: REPO_ROOT, encoding: "utf8" }),
    );
    spec.genesis.runtimeGenesis.config.babe = { slotDurationMs: opts.slotDurationMs };
    spec.id = "devnet_chaos";
    spec.name = "Tensorchain Chaos Devnet";
    const chainSpecPath = join(opts.dir, "chain-spec.json");
    writeFileSync(chainSpecPath, JSON.stringify(spec));
    const members = await Promise.all(
      DEVNET_VALIDATORS.map(async (name) => ({
        name,
        peerId: await devPeerId(name),
        nodeKey: Buffer.from(devNodeKey(name)).toString("hex"),
        p2pPort: await freePort(),
        rpcPort: await freePort(),
      })),
    );
    const onExit =
      opts.onUnexpectedExit ??
      ((node: SimNode, code: number | null, signal: string | null) =>
        process.stderr.write(`chaos: ${node.name} exited unexpectedly (code ${code}, signal ${signal})\n`));
    const nodes = members.map((m, i) => {
      const bootnodes = members.filter((o) => o !== m).map((o) => `/ip4/127.0.0.1/tcp/${o.p2pPort}/p2p/${o.peerId}`);
      const args = [
        "--chain",
        chainSpecPath,
        `--${m.name.toLowerCase()}`,
        "--name",
        m.name,
        "--base-path",
        join(opts.dir, m.name.toLowerCase()),
        "--listen-addr",
        `/ip4/127.0.0.1/tcp/${m.p2pPort}`,
        "--node-key",
        m.nodeKey,
        "--bootnodes",
        ...bootnodes,
        "--rpc-port",
        String(m.rpcPort),
        "--no-prometheus",
        "--no-dashboard",
        "--dev-chaos",
        "--log",
        opts.log ?? "info",
      ];
      return new SimNode(m.name, i, m.peerId, args, m.rpcPort, m.p2pPort, join(opts.dir, `${m.name}.log`), onExit);
    });
    return new SimNet(opts, nodes, chainSpecPath);
  }

  node(name: string): SimNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  async startAll(timeoutMs = 90_000): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.proc ? undefined : n.start(timeoutMs))));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  killAllNow(): void {
    for (const n of this.nodes) n.killNow();
  }
}
