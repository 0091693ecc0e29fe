/**
 * Starts real `tensorchain` processes for end-to-end tests (from the build in dist/, as a user runs it)
 * and waits until their RPC answers.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { devNodeKey, devPeerId } from "../../genesis/chainSpec.js";
import { fromHex, type HexString, toHex } from "../../primitives/hex.js";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const NODE_BIN = process.execPath;
export const CLI = join(REPO_ROOT, "bin", "tensorchain.js");

export async function freePort(): Promise<number> {
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

export interface RunningNode {
  proc: ChildProcess;
  port: number;
  url: string;
  httpUrl: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function rpcCall(
  httpUrl: string,
  method: string,
  params: unknown[] = [],
): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
  const res = await fetch(httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

/** `rpcCall`: resolves to the result, throws on an error answer. */
export async function rpcResult<T>(httpUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const r = await rpcCall(httpUrl, method, params);
  if (r.error) throw new Error(`${method}: ${r.error.message}`);
  return r.result as T;
}

/** `rpcResult` on a running node. */
export function rpc<T>(node: RunningNode, method: string, params: unknown[] = []): Promise<T> {
  return rpcResult<T>(node.httpUrl, method, params);
}

/** A storage value at `at` (default: best) decoded with the runtime's own codec (exact bigints). */
export async function storageValue<V>(
  httpUrl: string,
  item: { valueTy: { dec(b: Uint8Array): V } },
  key: Uint8Array,
  at?: string,
): Promise<V | undefined> {
  const raw = await rpcResult<HexString | null>(httpUrl, "state_getStorage", [toHex(key), at]);
  return raw ? item.valueTy.dec(fromHex(raw)) : undefined;
}

/** The node's best block number. */
export async function bestNumber(node: RunningNode): Promise<number> {
  return Number((await rpc<{ number: string }>(node, "chain_getHeader")).number);
}

/** The node's finalized block number. */
export async function finalizedNumber(node: RunningNode): Promise<number> {
  const hash = await rpc<string>(node, "chain_getFinalizedHead");
  return Number((await rpc<{ number: string }>(node, "chain_getHeader", [hash])).number);
}

export async function startNode(
  args: string[],
  opts: { port?: number; timeoutMs?: number } = {},
): Promise<RunningNode> {
  const port = opts.port ?? (await freePort());
  // Metrics only where the test asks for them: nodes started together would all want port 9615.
  const metrics = args.some((a) => a.startsWith("--prometheus") || a === "--no-prometheus") ? [] : ["--no-prometheus"];
  const proc = spawn(NODE_BIN, [CLI, ...args, ...metrics, "--rpc-port", String(port)], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const node: RunningNode = {
    proc,
    port,
    url: `ws://127.0.0.1:${port}`,
    httpUrl,
    output: () => out,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`Node exited with ${proc.exitCode}:\n${out}`);
    try {
      const r = await rpcCall(httpUrl, "system_name");
      if (r.result) return node;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  await node.stop("SIGKILL");
  throw new Error(`Node did not start:\n${out}`);
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/**
 * Announces a JSON-RPC POST of `declaredBytes` without sending the body and returns the status code:
 * the server must refuse an oversized request from its declared length, before reading it.
 */
export function postOversized(port: number, declaredBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": declaredBytes },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? undefined : reject(err)));
    req.flushHeaders();
  });
}

export interface NetworkNodeSpec {
  /** A devnet validator name (`Alice`…) for `--alice`-style keys, or undefined for a full node. */
  validator?: string;
  name: string;
  basePath: string;
  p2pPort: number;
  nodeKeyHex: string;
  peerId: string;
}

/**
 * The node of dev account //`name` under `dir/<name>`: its fixed node key and peer id, a free port, and
 * (as a validator) its dev keys through `--<name>`.
 */
export async function devNodeSpec(
  name: string,
  dir: string,
  role: "validator" | "full" = "validator",
): Promise<NetworkNodeSpec> {
  return {
    validator: role === "validator" ? name : undefined,
    name,
    basePath: join(dir, name.toLowerCase()),
    p2pPort: await freePort(),
    nodeKeyHex: Buffer.from(devNodeKey(name)).toString("hex"),
    peerId: await devPeerId(name),
  };
}

/** The command line of a network node: fixed node key and listen address, every other node as a bootnode. */
export function networkNodeArgs(
  node: NetworkNodeSpec,
  all: NetworkNodeSpec[],
  chain = "devnet",
  extra: string[] = [],
): string[] {
  const bootnodes = all.filter((n) => n !== node).map((n) => `/ip4/127.0.0.1/tcp/${n.p2pPort}/p2p/${n.peerId}`);
  return [
    "--chain",
    chain,
    ...(node.validator ? [`--${node.validator.toLowerCase()}`] : []),
    "--name",
    node.name,
    "--base-path",
    node.basePath,
    "--listen-addr",
    `/ip4/127.0.0.1/tcp/${node.p2pPort}`,
    "--node-key",
    node.nodeKeyHex,
    ...(bootnodes.length > 0 ? ["--bootnodes", ...bootnodes] : []),
    ...extra,
  ];
}

/** Starts network nodes in parallel (each with its own RPC port) and returns them in order. */
export async function startNetwork(
  nodes: NetworkNodeSpec[],
  opts: { chain?: string; extra?: string[]; timeoutMs?: number } = {},
): Promise<RunningNode[]> {
  return Promise.all(
    nodes.map((n) => startNode(networkNodeArgs(n, nodes, opts.chain, opts.extra), { timeoutMs: opts.timeoutMs })),
  );
}
