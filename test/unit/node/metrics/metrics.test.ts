/**
 * The node's metrics: what the registry holds after simulated events (chain heights, forks, pool,
 * blocks imported and built, RPC calls, training steps), the `/metrics` exporter, and the
 * `--prometheus-*` flags.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { register as globalRegistry } from "prom-client";
import { parseRunFlags } from "../../../../cli/commands/run.js";
import { HeliaContentStore } from "../../../../node/content/index.js";
import {
  JOB_STATUSES,
  type MetricsChain,
  MetricsError,
  MetricsServer,
  NodeMetrics,
  prometheusOptionsFromFlags,
} from "../../../../node/metrics/index.js";
import { RpcError, RpcServer } from "../../../../node/rpc/server/index.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { Scrape, scrape } from "../../../helpers/prometheus.js";
import { post, recordingLogger, WsClient } from "../rpc/helpers.js";

/** A chain whose heights, leaves and jobs the test sets. */
function fakeChain() {
  const state = {
    best: 0,
    finalized: 0,
    leaves: 1,
    jobs: [] as string[],
    failRuntime: false,
  };
  const chain: MetricsChain = {
    get best() {
      return { number: state.best };
    },
    get finalized() {
      return { number: state.finalized };
    },
    blockTree: { leaves: () => Array.from({ length: state.leaves }, () => ({})) },
    get bestRuntime() {
      return {
        jobs: (): [bigint, { status: { tag: string } }][] => {
          if (state.failRuntime) throw new Error("state unavailable");
          return state.jobs.map((tag, i) => [BigInt(i), { status: { tag } }]);
        },
      };
    },
  };
  return { chain, state };
}

function setup(opts: { chainId?: string } = {}) {
  const { chain, state } = fakeChain();
  const pool = { ready: 0 };
  const metrics = new NodeMetrics(
    { processMetrics: false, ...opts },
    { chain, pool: { status: () => ({ ready: pool.ready }) }, logger: nullLogger },
  );
  const read = async () => new Scrape(await metrics.text());
  return { metrics, state, pool, read };
}

describe("NodeMetrics", () => {
  it("reads heights, leaves, ready transactions and jobs by status at scrape time", async () => {
    const { state, pool, read } = setup();
    let s = await read();
    expect(s.type("substrate_block_height")).toBe("GAUGE");
    expect(s.value("substrate_block_height", { status: "best" })).toBe(0);
    expect(s.value("substrate_block_height", { status: "finalized" })).toBe(0);
    expect(s.value("substrate_block_height", { status: "sync_target" })).toBeUndefined();
    expect(s.value("substrate_number_leaves")).toBe(1);
    expect(s.value("substrate_ready_transactions_number")).toBe(0);
    expect(s.value("substrate_sub_libp2p_peers_count")).toBe(0);
    // Every status has a series from the start, so rates and sums work before the first job.
    expect(s.type("tensorchain_jobs")).toBe("GAUGE");
    for (const status of JOB_STATUSES) expect(s.value("tensorchain_jobs", { status })).toBe(0);

    // Blocks 1..5 imported, a fork at 5, 3 finalized, 2 transactions waiting, 3 jobs.
    state.best = 5;
    state.finalized = 3;
    state.leaves = 2;
    pool.ready = 2;
    state.jobs = ["Open", "Training", "Open"];
    s = await read();
    expect(s.value("substrate_block_height", { status: "best" })).toBe(5);
    expect(s.value("substrate_block_height", { status: "finalized" })).toBe(3);
    expect(s.value("substrate_number_leaves")).toBe(2);
    expect(s.value("substrate_ready_transactions_number")).toBe(2);
    expect(s.value("tensorchain_jobs", { status: "Open" })).toBe(2);
    expect(s.value("tensorchain_jobs", { status: "Training" })).toBe(1);
    expect(s.value("tensorchain_jobs", { status: "Succeeded" })).toBe(0);
  });

  it("records block import and construction times and training steps as they happen", async () => {
    const { metrics, read } = setup();
    let s = await read();
    expect(s.type("substrate_block_verification_and_import_time")).toBe("HISTOGRAM");
    expect(s.type("substrate_proposer_block_constructed")).toBe("HISTOGRAM");
    expect(s.type("tensorchain_training_steps_total")).toBe("COUNTER");
    expect(s.count("substrate_block_verification_and_import_time")).toBe(0);
    expect(s.value("tensorchain_training_steps_total")).toBe(0);

    metrics.observeBlockImport(0.02);
    metrics.observeBlockImport(0.3);
    metrics.observeBlockConstructed(0.004, 3);
    for (let i = 0; i < 7; i++) metrics.trainingStep();
    s = await read();
    const imports = "substrate_block_verification_and_import_time";
    expect(s.count(imports)).toBe(2);
    expect(s.sum(imports)).toBeCloseTo(0.32);
    expect(s.bucket(imports, "0.025")).toBe(1);
    expect(s.bucket(imports, "0.5")).toBe(2);
    expect(s.count("substrate_proposer_block_constructed")).toBe(1);
    expect(s.bucket("substrate_proposer_block_constructed", "0.005")).toBe(1);
    expect(s.value("substrate_proposer_number_of_transactions")).toBe(3);
    expect(s.value("tensorchain_training_steps_total")).toBe(7);
  });

  it("adds the network, finality and content sources when those services exist", async () => {
    const { metrics, read } = setup();
    let s = await read();
    expect(s.families.has("substrate_finality_grandpa_round")).toBe(false);
    expect(s.families.has("tensorchain_content_store_bytes")).toBe(false);

    let peers = 3;
    metrics.addSources({
      peers: () => peers,
      syncTarget: () => 42,
      grandpaRound: () => 17n,
      contentBytes: async () => 123_456,
    });
    s = await read();
    expect(s.value("substrate_sub_libp2p_peers_count")).toBe(3);
    expect(s.value("substrate_block_height", { status: "sync_target" })).toBe(42);
    expect(s.type("substrate_finality_grandpa_round")).toBe("GAUGE");
    expect(s.value("substrate_finality_grandpa_round")).toBe(17);
    expect(s.type("tensorchain_content_store_bytes")).toBe("GAUGE");
    expect(s.value("tensorchain_content_store_bytes")).toBe(123_456);
    peers = 1;
    expect((await read()).value("substrate_sub_libp2p_peers_count")).toBe(1);
  });

  it("a failing source keeps its last value and never fails the scrape", async () => {
    const { metrics, state, read } = setup();
    state.jobs = ["Open"];
    expect((await read()).value("tensorchain_jobs", { status: "Open" })).toBe(1);
    state.failRuntime = true;
    state.best = 9;
    metrics.addSources({
      contentBytes: async () => {
        throw new Error("disk gone");
      },
    });
    const s = await read();
    expect(s.value("tensorchain_jobs", { status: "Open" })).toBe(1);
    expect(s.value("substrate_block_height", { status: "best" })).toBe(9);
    expect(s.value("tensorchain_content_store_bytes")).toBe(0);
  });

  it("keeps each node's metrics in its own registry, labelled with the chain", async () => {
    const a = setup({ chainId: "dev" });
    const b = setup({ chainId: "local" });
    a.state.best = 4;
    b.state.best = 8;
    a.metrics.trainingStep();
    const sa = await a.read();
    const sb = await b.read();
    expect(sa.value("substrate_block_height", { status: "best", chain: "dev" })).toBe(4);
    expect(sb.value("substrate_block_height", { status: "best", chain: "local" })).toBe(8);
    expect(sa.value("tensorchain_training_steps_total")).toBe(1);
    expect(sb.value("tensorchain_training_steps_total")).toBe(0);
    expect(globalRegistry.getSingleMetric("substrate_block_height")).toBeUndefined();
  });

  it("exports process metrics when asked", async () => {
    const { chain } = fakeChain();
    const metrics = new NodeMetrics(
      { processMetrics: true },
      { chain, pool: { status: () => ({ ready: 0 }) }, logger: nullLogger },
    );
    const s = new Scrape(await metrics.text());
    expect(s.type("process_cpu_seconds_total")).toBe("COUNTER");
    expect(s.type("process_resident_memory_bytes")).toBe("GAUGE");
  });
});

describe("RPC call metrics", () => {
  let server: RpcServer;
  let httpUrl: string;
  let url: string;
  const { metrics, read } = setup();

  beforeAll(async () => {
    server = new RpcServer(
      { host: "127.0.0.1", port: 0, pingIntervalMs: 0 },
      { logger: recordingLogger(), calls: metrics.rpcCalls },
    );
    server.register({ name: "test_sync", handler: () => 1 });
    server.register({ name: "test_async", handler: async () => "a" });
    server.register({
      name: "test_fails",
      handler: async () => {
        throw new RpcError(1010, "Invalid Transaction");
      },
    });
    const port = await server.listen();
    httpUrl = `http://127.0.0.1:${port}/`;
    url = `ws://127.0.0.1:${port}`;
  });
  afterAll(() => server.close());

  it("counts calls by transport, method and outcome, and times them in microseconds", async () => {
    await post(httpUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "test_sync" }));
    await post(
      httpUrl,
      JSON.stringify([
        { jsonrpc: "2.0", id: 2, method: "test_async" },
        { jsonrpc: "2.0", id: 3, method: "test_fails" },
        { jsonrpc: "2.0", id: 4, method: "no_such_method_1" },
        { jsonrpc: "2.0", id: 5, method: "no_such_method_2" },
      ]),
    );
    const ws = await WsClient.connect(url);
    ws.send({ jsonrpc: "2.0", id: "x", method: "test_sync" });
    await ws.waitFor((m) => m.id === "x");
    ws.ws.terminate();

    const s = await read();
    expect(s.type("substrate_rpc_calls_started")).toBe("COUNTER");
    expect(s.type("substrate_rpc_calls_finished")).toBe("COUNTER");
    expect(s.type("substrate_rpc_calls_time")).toBe("HISTOGRAM");
    expect(s.value("substrate_rpc_calls_started", { protocol: "http", method: "test_sync" })).toBe(1);
    expect(s.value("substrate_rpc_calls_started", { protocol: "ws", method: "test_sync" })).toBe(1);
    const finished = (method: string, isError: string, protocol = "http") =>
      s.value("substrate_rpc_calls_finished", { protocol, method, is_error: isError, is_rate_limited: "false" });
    expect(finished("test_sync", "false")).toBe(1);
    expect(finished("test_async", "false")).toBe(1);
    expect(finished("test_fails", "true")).toBe(1);
    expect(finished("test_sync", "false", "ws")).toBe(1);
    // Names nobody serves share one label value: junk cannot grow the series without bound.
    expect(finished("unknown", "true")).toBe(2);
    expect(s.matching("substrate_rpc_calls_started").some((m) => m.labels?.method?.startsWith("no_such"))).toBe(false);
    expect(s.count("substrate_rpc_calls_time", { protocol: "http", method: "test_async" })).toBe(1);
    // Microseconds: an in-process call answers well within 10 s = 10^7 µs, and takes more than 0.
    const labels = { protocol: "http", method: "test_sync" };
    expect(s.sum("substrate_rpc_calls_time", labels)).toBeGreaterThan(0);
    expect(s.bucket("substrate_rpc_calls_time", "10000000", labels)).toBe(1);
  });
});

describe("MetricsServer", () => {
  const { metrics } = setup();
  let server: MetricsServer;
  let port: number;

  beforeAll(async () => {
    server = new MetricsServer({ host: "127.0.0.1", port: 0 }, { metrics, logger: nullLogger });
    port = await server.start();
  });
  afterAll(() => server.stop());

  it("serves the registry at GET /metrics in the text format", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = new Scrape(await res.text());
    expect(s.type("substrate_block_height")).toBe("GAUGE");
    const scraped = await scrape(`http://127.0.0.1:${port}/metrics?x=1`);
    expect(scraped.value("substrate_number_leaves")).toBe(1);
  });

  it("answers 404 elsewhere and 405 to other methods", async () => {
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics/x`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: "POST", body: "" })).status).toBe(405);
  });

  it("refuses a port in use with a typed error that names the flags", async () => {
    const other = new MetricsServer({ host: "127.0.0.1", port }, { metrics, logger: nullLogger });
    const err = await other.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsError);
    expect(err).toMatchObject({ type: { code: "METRICS_ERROR_PORT_IN_USE", port } });
    expect((err as Error).message).toMatch(/--prometheus-port.*--no-prometheus/);
  });
});

describe("--prometheus-* flags", () => {
  it("default to port 9615 on loopback", () => {
    const flags = parseRunFlags(["--dev"]);
    expect(prometheusOptionsFromFlags(flags)).toEqual({ host: "127.0.0.1", port: 9615 });
  });

  it("--prometheus-external listens on all interfaces, --prometheus-port moves it", () => {
    const flags = parseRunFlags(["--prometheus-external", "--prometheus-port", "9700"]);
    expect(prometheusOptionsFromFlags(flags)).toEqual({ host: "0.0.0.0", port: 9700 });
  });

  it("--no-prometheus disables the exporter", () => {
    expect(prometheusOptionsFromFlags(parseRunFlags(["--no-prometheus"]))).toBeUndefined();
  });

  it("rejects a bad port with a clear message", () => {
    expect(() => parseRunFlags(["--prometheus-port", "abc"])).toThrow(
      /option '--prometheus-port <port>' argument 'abc' is invalid\. must be a port number/,
    );
    expect(() => parseRunFlags(["--prometheus-port", "70000"])).toThrow(/must be a port number/);
  });
});

describe("content store size", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tc-metrics-content-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("diskBytes grows with what the store holds; an in-memory store takes none", async () => {
    const store = await HeliaContentStore.create({ directory: dir }, { logger: nullLogger });
    try {
      const before = await store.diskBytes();
      await store.add(new Uint8Array(300_000).map((_, i) => (i * 7) % 251));
      expect(await store.diskBytes()).toBeGreaterThanOrEqual(before + 300_000);
    } finally {
      await store.stop();
    }
    const memory = await HeliaContentStore.create({}, { logger: nullLogger });
    try {
      expect(await memory.diskBytes()).toBe(0);
    } finally {
      await memory.stop();
    }
  });
});
