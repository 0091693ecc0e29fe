/**
 * Prometheus metrics as an operator scrapes them: `tensorchain` processes serving `/metrics`, parsed
 * with a Prometheus text-format parser; the heights follow what RPC says; `--no-prometheus` listens on
 * nothing; the default binds loopback only; bad or taken ports stop the node with a clear error.
 *
 * Which addresses a process listens on is read from Linux's /proc (its socket inodes in
 * /proc/<pid>/fd, their local addresses in /proc/net/tcp and tcp6).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  bestNumber,
  CLI,
  finalizedNumber,
  freePort,
  NODE_BIN,
  type RunningNode,
  rpc,
  startNode,
  waitFor,
} from "../helpers/node.js";
import { type Scrape, scrape } from "../helpers/prometheus.js";

const run = promisify(execFile);

/** The TCP addresses `pid` listens on, as `host:port` (IPv4 dotted, IPv6 as `[hex]`). */
function listening(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {} // closed meanwhile
  }
  const out: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").trim().split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (state !== "0A" || !inodes.has(inode)) continue; // 0A: LISTEN
      const [hexAddr, hexPort] = local.split(":");
      const port = Number.parseInt(hexPort, 16);
      const host =
        hexAddr.length === 8
          ? (hexAddr.match(/../g) ?? [])
              .reverse()
              .map((b) => Number.parseInt(b, 16))
              .join(".")
          : `[${hexAddr}]`;
      out.push(`${host}:${port}`);
    }
  }
  return out.sort();
}

const canReadSockets = process.platform === "linux" && existsSync("/proc/net/tcp");
const itLinux = canReadSockets ? it : it.skip;

/** The metrics every node exports, with their types. */
const NODE_METRICS: [string, string][] = [
  ["substrate_block_height", "GAUGE"],
  ["substrate_number_leaves", "GAUGE"],
  ["substrate_ready_transactions_number", "GAUGE"],
  ["substrate_sub_libp2p_peers_count", "GAUGE"],
  ["substrate_block_verification_and_import_time", "HISTOGRAM"],
  ["substrate_proposer_block_constructed", "HISTOGRAM"],
  ["substrate_proposer_number_of_transactions", "GAUGE"],
  ["substrate_rpc_calls_started", "COUNTER"],
  ["substrate_rpc_calls_finished", "COUNTER"],
  ["substrate_rpc_calls_time", "HISTOGRAM"],
  ["tensorchain_jobs", "GAUGE"],
  ["tensorchain_training_steps_total", "COUNTER"],
  ["tensorchain_content_store_bytes", "GAUGE"],
  ["process_resident_memory_bytes", "GAUGE"],
];

describe("Prometheus metrics of a dev node", () => {
  let node: RunningNode;
  let metricsUrl: string;
  let promPort: number;

  beforeAll(async () => {
    promPort = await freePort();
    node = await startNode(["--dev", "--tmp", "--dev-block-time", "500", "--prometheus-port", String(promPort)]);
    metricsUrl = `http://127.0.0.1:${promPort}/metrics`;
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
  });

  it("serves Substrate's and tensorchain's metrics with their types, labelled with the chain", async () => {
    // One RPC call first, so that the RPC counters have a series.
    await rpc(node, "system_name");
    const s = await scrape(metricsUrl);
    for (const [name, type] of NODE_METRICS) expect([name, s.type(name)]).toEqual([name, type]);
    expect(s.value("substrate_block_height", { status: "best", chain: "dev" })).toBeDefined();
    expect(s.value("substrate_sub_libp2p_peers_count")).toBe(0); // a dev node runs no network
    expect(s.value("tensorchain_jobs", { status: "Open" })).toBe(0);
    expect(s.value("tensorchain_training_steps_total")).toBe(0);
    expect(s.value("substrate_rpc_calls_started", { protocol: "http", method: "system_name" })).toBeGreaterThanOrEqual(
      1,
    );
    // No network: no GRANDPA voter and no sync target.
    expect(s.families.has("substrate_finality_grandpa_round")).toBe(false);
    expect(s.value("substrate_block_height", { status: "sync_target" })).toBeUndefined();
  });

  it("substrate_block_height follows chain_getHeader and chain_getFinalizedHead, and rises", async () => {
    await waitFor(async () => (await finalizedNumber(node)) >= 2 || undefined, 30_000, "block 2 finalized");
    // The chain moves while we look: the scrape lies between what RPC says before and after it.
    const heights = async () => {
      const before = { best: await bestNumber(node), finalized: await finalizedNumber(node) };
      const s = await scrape(metricsUrl);
      const after = { best: await bestNumber(node), finalized: await finalizedNumber(node) };
      const best = s.value("substrate_block_height", { status: "best" })!;
      const finalized = s.value("substrate_block_height", { status: "finalized" })!;
      expect(best).toBeGreaterThanOrEqual(before.best);
      expect(best).toBeLessThanOrEqual(after.best);
      expect(finalized).toBeGreaterThanOrEqual(before.finalized);
      expect(finalized).toBeLessThanOrEqual(after.finalized);
      expect(finalized).toBeLessThanOrEqual(best);
      return { best, finalized, s };
    };
    const first = await heights();
    expect(first.finalized).toBeGreaterThanOrEqual(2);
    await waitFor(
      async () => (await finalizedNumber(node)) > first.best || undefined,
      30_000,
      "finality past the first scrape's best block",
    );
    const second = await heights();
    expect(second.best).toBeGreaterThan(first.best);
    expect(second.finalized).toBeGreaterThan(first.finalized);
    // The dev node built those blocks itself: its proposer timed each.
    expect(second.s.count("substrate_proposer_block_constructed")).toBeGreaterThan(
      first.s.count("substrate_proposer_block_constructed")!,
    );
    expect(second.s.value("substrate_number_leaves")).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it("counts RPC calls by method and outcome, and the content store's bytes", async () => {
    const before = await scrape(metricsUrl);
    const calls = (s: Scrape, method: string, isError: string) =>
      s.value("substrate_rpc_calls_finished", { protocol: "http", method, is_error: isError }) ?? 0;
    await rpc(node, "chain_getBlockHash", [0]);
    await rpc(node, "chain_getBlockHash", [1]);
    await expect(rpc(node, "chain_getBlockHash", ["not a number"])).rejects.toThrow();
    const data = `0x${Buffer.alloc(200_000, 7).toString("hex")}`;
    await rpc(node, "content_add", [data]);
    const after = await scrape(metricsUrl);
    expect(calls(after, "chain_getBlockHash", "false") - calls(before, "chain_getBlockHash", "false")).toBe(2);
    expect(calls(after, "chain_getBlockHash", "true") - calls(before, "chain_getBlockHash", "true")).toBe(1);
    expect(after.count("substrate_rpc_calls_time", { protocol: "http", method: "content_add" })).toBe(1);
    expect(after.value("tensorchain_content_store_bytes")!).toBeGreaterThanOrEqual(
      before.value("tensorchain_content_store_bytes")! + 200_000,
    );
  });

  itLinux("binds the exporter to loopback only by default, next to the RPC server", () => {
    expect(listening(node.proc.pid!)).toEqual([`127.0.0.1:${node.port}`, `127.0.0.1:${promPort}`].sort());
  });

  it("answers 404 off /metrics", async () => {
    expect((await fetch(`http://127.0.0.1:${promPort}/`)).status).toBe(404);
  });

  it("a port already in use stops another node with a clear error", async () => {
    await expect(startNode(["--dev", "--tmp", "--prometheus-port", String(promPort)])).rejects.toThrow(
      /Prometheus port \d+ on 127\.0\.0\.1 is already in use.*--prometheus-port.*--no-prometheus/,
    );
  }, 60_000);
});

describe("--no-prometheus", () => {
  itLinux(
    "listens on nothing but RPC",
    async () => {
      const promPort = await freePort();
      const node = await startNode(["--dev", "--tmp", "--no-prometheus", "--prometheus-port", String(promPort)]);
      try {
        expect(listening(node.proc.pid!)).toEqual([`127.0.0.1:${node.port}`]);
        await expect(fetch(`http://127.0.0.1:${promPort}/metrics`)).rejects.toThrow();
        expect(node.output()).not.toContain("Prometheus exporter started");
      } finally {
        await node.stop();
      }
    },
    60_000,
  );
});

describe("a bad --prometheus-port", () => {
  it("is refused before the node starts, naming the flag", async () => {
    for (const value of ["abc", "70000"]) {
      const err = (await run(NODE_BIN, [CLI, "--dev", "--tmp", "--prometheus-port", value]).catch(
        (e: unknown) => e,
      )) as { code: number; stderr: string };
      expect(err.code).not.toBe(0);
      expect(err.stderr).toMatch(/--prometheus-port.*is invalid.*must be a port number/);
    }
  });
});

describe("Prometheus metrics of a network node", () => {
  let node: RunningNode;
  let promPort: number;

  beforeAll(async () => {
    promPort = await freePort();
    const p2pPort = await freePort();
    // A full node of the local testnet with no peers: it runs sync and a GRANDPA voter (observer).
    node = await startNode([
      "--chain",
      "local",
      "--tmp",
      "--port",
      String(p2pPort),
      "--listen-addr",
      `/ip4/127.0.0.1/tcp/${p2pPort}`,
      "--prometheus-port",
      String(promPort),
      "--prometheus-external",
    ]);
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
  });

  it("exports the peer count, the sync target and the GRANDPA round, labelled with its chain", async () => {
    const s = await scrape(`http://127.0.0.1:${promPort}/metrics`);
    for (const [name, type] of NODE_METRICS) expect([name, s.type(name)]).toEqual([name, type]);
    expect(s.type("substrate_finality_grandpa_round")).toBe("GAUGE");
    expect(s.value("substrate_finality_grandpa_round", { chain: "local_testnet" })).toBeGreaterThanOrEqual(0);
    expect(s.value("substrate_block_height", { status: "sync_target" })).toBe(0);
    expect(s.value("substrate_sub_libp2p_peers_count")).toBe(0);
  });

  itLinux("--prometheus-external listens on all interfaces", () => {
    expect(listening(node.proc.pid!)).toContain(`0.0.0.0:${promPort}`);
  });
});
