/**
 * The node's metrics, in a prom-client `Registry` of its own (never the global one, so that several
 * nodes in one process keep theirs apart). Substrate's names where Substrate has the metric, so its
 * dashboards and alerts work unchanged; `tensorchain_*` for the job market, with the unit in the name.
 *
 * Two kinds of metric:
 *   - read at scrape time (`collect`), from the services that hold the value: block heights, leaves,
 *     ready transactions, peers, the GRANDPA round, jobs by status, content store bytes. Nothing is
 *     computed per block; a source that throws keeps the series at its last value (logged at debug).
 *   - recorded by hooks in the services, as it happens: block import and block construction times,
 *     RPC calls, training steps. The services take these as optional callbacks and know nothing of
 *     Prometheus.
 *
 * Chain state is read only through the chain's `bestRuntime` view.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "../../primitives/logger.js";
import type { JobStatusValue } from "../../runtime/pallets/jobManager/index.js";
import type { RpcCallObserver, RpcTransport } from "../rpc/server/interface.js";
import { defaultNodeMetricsOptions, type NodeMetricsOptions } from "./options.js";

/** What the metrics read from the chain: heights, the fork tree's leaves, and the best block's runtime. */
export interface MetricsChain {
  readonly best: { readonly number: number };
  readonly finalized: { readonly number: number };
  readonly blockTree: { leaves(): unknown[] };
  readonly bestRuntime: { jobs(): [bigint, { status: { tag: string } }][] };
}

export interface NodeMetricsModules {
  chain: MetricsChain;
  pool: { status(): { ready: number } };
  logger: Logger;
}

/**
 * Scrape-time sources of the services built after the metrics (the network, finality, the content
 * store), added with `addSources`. Without `peers` the peer count is 0 (a node without networking);
 * without `syncTarget` there is no `status="sync_target"` height; without `grandpaRound` no
 * `substrate_finality_grandpa_round`; without `contentBytes` no `tensorchain_content_store_bytes`.
 */
export interface MetricsSources {
  peers: () => number;
  /** The highest block any peer announces (at least our best). */
  syncTarget: () => number;
  grandpaRound: () => bigint | number;
  contentBytes: () => Promise<number>;
}

/** Every `JobStatus` tag (the record makes the compiler check the list is complete). */
export const JOB_STATUSES = Object.keys({
  Open: 0,
  Training: 0,
  AwaitingTestSet: 0,
  Committing: 0,
  Revealing: 0,
  Succeeded: 0,
  Failed: 0,
  Cancelled: 0,
  Expired: 0,
  TestSetWithheld: 0,
  RevealingResults: 0,
  Auditing: 0,
} satisfies Record<JobStatusValue["tag"], 0>) as JobStatusValue["tag"][];

/** Substrate's RPC time buckets, in microseconds. */
const RPC_TIME_BUCKETS_US = [5, 25, 100, 500, 1_000, 2_500, 10_000, 25_000, 100_000, 1_000_000, 10_000_000];

/** Substrate's (and Prometheus') default buckets, in seconds. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class NodeMetrics {
  readonly registry = new Registry();
  /** For the RPC server (`RpcServerModules.calls`). */
  readonly rpcCalls: RpcCallObserver;
  private readonly log: Logger;
  private sources: Partial<MetricsSources> = {};
  private readonly blockImportTime: Histogram;
  private readonly blockConstructed: Histogram;
  private readonly proposerTransactions: Gauge;
  private readonly trainingSteps: Counter;

  constructor(opts: Partial<NodeMetricsOptions>, modules: NodeMetricsModules) {
    const o = { ...defaultNodeMetricsOptions, ...opts };
    const { chain, pool } = modules;
    this.log = modules.logger;
    const registers = [this.registry];
    if (o.chainId !== undefined) this.registry.setDefaultLabels({ chain: o.chainId });
    if (o.processMetrics) collectDefaultMetrics({ register: this.registry });
    const guard = this.guard.bind(this);

    const sources = () => this.sources;

    new Gauge({
      name: "substrate_block_height",
      help: "Block height info of the chain",
      labelNames: ["status"],
      registers,
      collect() {
        guard("substrate_block_height", () => {
          this.set({ status: "best" }, chain.best.number);
          this.set({ status: "finalized" }, chain.finalized.number);
        });
        const target = sources().syncTarget;
        if (target) guard("substrate_block_height", () => this.set({ status: "sync_target" }, target()));
      },
    });
    new Gauge({
      name: "substrate_number_leaves",
      help: "Number of known chain leaves (aka forks)",
      registers,
      collect() {
        guard("substrate_number_leaves", () => this.set(chain.blockTree.leaves().length));
      },
    });
    new Gauge({
      name: "substrate_ready_transactions_number",
      help: "Number of transactions in the ready queue",
      registers,
      collect() {
        guard("substrate_ready_transactions_number", () => this.set(pool.status().ready));
      },
    });
    new Gauge({
      name: "substrate_sub_libp2p_peers_count",
      help: "Number of connected peers",
      registers,
      collect() {
        guard("substrate_sub_libp2p_peers_count", () => this.set(sources().peers?.() ?? 0));
      },
    });
    new Gauge({
      name: "tensorchain_jobs",
      help: "Jobs on chain at the best block, by status",
      labelNames: ["status"],
      registers,
      collect() {
        guard("tensorchain_jobs", () => {
          const counts = new Map<string, number>(JOB_STATUSES.map((s) => [s, 0]));
          for (const [, job] of chain.bestRuntime.jobs())
            counts.set(job.status.tag, (counts.get(job.status.tag) ?? 0) + 1);
          for (const [status, n] of counts) this.set({ status }, n);
        });
      },
    });

    this.blockImportTime = new Histogram({
      name: "substrate_block_verification_and_import_time",
      help: "Time taken to verify and import blocks",
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.blockConstructed = new Histogram({
      name: "substrate_proposer_block_constructed",
      help: "Histogram of time taken to construct new block",
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.proposerTransactions = new Gauge({
      name: "substrate_proposer_number_of_transactions",
      help: "Number of transactions included in block",
      registers,
    });
    this.trainingSteps = new Counter({
      name: "tensorchain_training_steps_total",
      help: "Training steps completed by this node's trainer (--worker)",
      registers,
    });

    const callsStarted = new Counter({
      name: "substrate_rpc_calls_started",
      help: "Number of received RPC calls (unique un-batched requests)",
      labelNames: ["protocol", "method"],
      registers,
    });
    const callsFinished = new Counter({
      name: "substrate_rpc_calls_finished",
      help: "Number of processed RPC calls (unique un-batched requests)",
      labelNames: ["protocol", "method", "is_error", "is_rate_limited"],
      registers,
    });
    const callsTime = new Histogram({
      name: "substrate_rpc_calls_time",
      help: "Total time [μs] of processed RPC calls",
      labelNames: ["protocol", "method", "is_rate_limited"],
      buckets: RPC_TIME_BUCKETS_US,
      registers,
    });
    // The server does not rate-limit: `is_rate_limited` is always "false" (kept for Substrate's dashboards).
    this.rpcCalls = {
      callStarted(protocol: RpcTransport, method: string) {
        callsStarted.inc({ protocol, method });
      },
      callFinished(protocol: RpcTransport, method: string, isError: boolean, seconds: number) {
        callsTime.observe({ protocol, method, is_rate_limited: "false" }, seconds * 1e6);
        callsFinished.inc({ protocol, method, is_error: String(isError), is_rate_limited: "false" });
      },
    };
  }

  /** Adds the scrape-time sources of services built after the metrics (see `MetricsSources`). */
  addSources(sources: Partial<MetricsSources>): void {
    this.sources = { ...this.sources, ...sources };
    const registers = [this.registry];
    const guard = this.guard.bind(this);
    const failed = this.failed.bind(this);
    const { grandpaRound, contentBytes } = sources;
    if (grandpaRound && !this.registry.getSingleMetric("substrate_finality_grandpa_round")) {
      new Gauge({
        name: "substrate_finality_grandpa_round",
        help: "The GRANDPA voter's current round",
        registers,
        collect() {
          guard("substrate_finality_grandpa_round", () => this.set(Number(grandpaRound())));
        },
      });
    }
    if (contentBytes && !this.registry.getSingleMetric("tensorchain_content_store_bytes")) {
      new Gauge({
        name: "tensorchain_content_store_bytes",
        help: "Bytes the content store (job artifacts) takes on disk",
        registers,
        async collect() {
          try {
            this.set(await contentBytes());
          } catch (err) {
            failed("tensorchain_content_store_bytes", err);
          }
        },
      });
    }
  }

  /** A block from the network verified and imported in `seconds`. */
  observeBlockImport(seconds: number): void {
    this.blockImportTime.observe(seconds);
  }

  /** A block of `extrinsics` built by this node's proposer in `seconds`. */
  observeBlockConstructed(seconds: number, extrinsics: number): void {
    this.blockConstructed.observe(seconds);
    this.proposerTransactions.set(extrinsics);
  }

  /** One training step completed by this node's trainer. */
  trainingStep(): void {
    this.trainingSteps.inc();
  }

  /** The exposition text (what `/metrics` serves). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Runs a scrape-time read; a failure keeps the last value and is logged, never failing the scrape. */
  private guard(metric: string, read: () => void): void {
    try {
      read();
    } catch (err) {
      this.failed(metric, err);
    }
  }

  private failed(metric: string, err: unknown): void {
    this.log.debug("Metric source failed", { metric, error: err instanceof Error ? err.message : String(err) });
  }
}
