/**
 * `tensorchain [options]`: runs a node. Flags follow Substrate's names (`--dev`, `--tmp`, `--base-path`,
 * `--chain`, `--rpc-port`, `--rpc-methods`, `--prometheus-port`, `--name`, `--log`, …).
 */

import { homedir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { loadChainSpec } from "../../genesis/chainSpec.js";
import { PROMETHEUS_DEFAULT_PORT, prometheusOptionsFromFlags } from "../../node/metrics/index.js";
import { TensorchainNode } from "../../node/node.js";
import type { RpcServerOptions } from "../../node/rpc/server/index.js";
import {
  TXPOOL_CLI_DEFAULTS,
  type TxPoolCliFlags,
  txPoolFlagError,
  txPoolOptionsFromCli,
} from "../../node/txpool/index.js";
import { p2pOptionsFromFlags } from "../../p2p/index.js";
import { createLogger, parseLogFilter } from "../../primitives/logger.js";

export interface RunFlags {
  dev?: boolean;
  tmp?: boolean;
  basePath?: string;
  chain?: string;
  name?: string;
  log: string;
  logFormat: "human" | "json";
  rpcPort: number;
  rpcExternal?: boolean;
  rpcMethods: "safe" | "unsafe" | "auto";
  rpcMaxConnections: number;
  rpcMaxRequestSize: number;
  rpcMaxResponseSize: number;
  rpcRateLimit?: number;
  rpcMaxSubscriptionsPerConnection: number;
  rpc: boolean;
  prometheus: boolean;
  prometheusPort: number;
  prometheusExternal?: boolean;
  dashboard: boolean;
  poolLimit: number;
  poolKbytes: number;
  txBanSeconds: number;
  devBlockTime?: number;
  sealing?: "manual";
  validator?: boolean;
  port: number;
  listenAddr?: string[];
  publicAddr?: string[];
  bootnodes?: string[];
  reservedNodes?: string[];
  nodeKey?: string;
  nodeKeyFile?: string;
  worker?: boolean;
  evaluator?: boolean;
  inference?: boolean;
  workerSuri?: string;
  workerStake?: bigint;
  workerResultRetention?: number;
  devChaos?: boolean;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("must be a port number (0-65535)");
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

/** A parser for one of the pool's flags, refusing what `txPoolFlagError` refuses. */
function poolFlag(flag: keyof TxPoolCliFlags): (value: string) => number {
  return (value) => {
    const n = value.trim() === "" ? Number.NaN : Number(value);
    const problem = txPoolFlagError(flag, n);
    if (problem) throw new InvalidArgumentError(problem);
    return n;
  };
}

export function defaultBasePath(): string {
  return join(homedir(), ".tensorchain");
}

export function registerRunCommand(program: Command): void {
  program
    .option("--dev", "Run a development chain: --chain dev, authoring as //Alice, --tmp unless --base-path is given")
    .option("--tmp", "Use a temporary base path, removed when the node stops")
    .option("-d, --base-path <path>", "Where the database and keystore live")
    .option("--chain <spec>", "dev, local, or a path to a chain spec JSON file")
    .option("--name <name>", "The node's human-readable name")
    .option("-l, --log <filter>", "Log filter, e.g. info,chain=debug", "info")
    .addOption(new Option("--log-format <format>", "Log line format").choices(["human", "json"]).default("human"))
    .option("--rpc-port <port>", "JSON-RPC (WebSocket and HTTP) port", parsePort, 9944)
    .option("--rpc-external", "Listen for RPC on all interfaces (use with --rpc-methods safe)")
    .addOption(
      new Option("--rpc-methods <set>", "RPC methods to expose").choices(["safe", "unsafe", "auto"]).default("auto"),
    )
    .option("--rpc-max-connections <n>", "Maximum RPC connections", parsePositiveInt, 100)
    .option("--rpc-max-request-size <MiB>", "Maximum RPC request size in MiB", parsePositiveInt, 15)
    .option("--rpc-max-response-size <MiB>", "Maximum RPC response size in MiB", parsePositiveInt, 15)
    .option(
      "--rpc-rate-limit <calls>",
      "RPC calls per minute allowed to each connection (over it, calls wait, then get -32999); default: no limit",
      parsePositiveInt,
    )
    .option(
      "--rpc-max-subscriptions-per-connection <n>",
      "Maximum subscriptions per RPC connection",
      parsePositiveInt,
      1024,
    )
    .option("--no-rpc", "Do not start the RPC server")
    .option("--prometheus-port <port>", "Prometheus metrics port (GET /metrics)", parsePort, PROMETHEUS_DEFAULT_PORT)
    .option("--prometheus-external", "Expose Prometheus metrics on all interfaces (default: 127.0.0.1 only)")
    .option("--no-prometheus", "Do not expose Prometheus metrics")
    .option("--no-dashboard", "Do not serve the dashboard page at / on the RPC port")
    .option(
      "--pool-limit <count>",
      "Maximum number of transactions in the ready queue of the transaction pool; the future queue holds a tenth as many",
      poolFlag("poolLimit"),
      TXPOOL_CLI_DEFAULTS.poolLimit,
    )
    .option(
      "--pool-kbytes <count>",
      "Maximum kilobytes of transactions in the ready queue of the transaction pool; the future queue a tenth as many",
      poolFlag("poolKbytes"),
      TXPOOL_CLI_DEFAULTS.poolKbytes,
    )
    .option(
      "--tx-ban-seconds <seconds>",
      "How long an invalid, dropped or just-included transaction is refused by the pool (0: never)",
      poolFlag("txBanSeconds"),
      TXPOOL_CLI_DEFAULTS.txBanSeconds,
    )
    .option(
      "--dev-block-time <ms>",
      "Block time of the dev chain in milliseconds (0: blocks only on engine_createBlock; default: the chain spec's slot duration)",
      parseNonNegativeInt,
    )
    .addOption(
      new Option("--sealing <mode>", "manual: author blocks only when engine_createBlock is called").choices([
        "manual",
      ]),
    )
    .option("--validator", "Take part in block production and finality with the keys in the keystore")
    .option("--port <port>", "libp2p TCP port", parsePort, 30333)
    .option("--listen-addr <multiaddr...>", "Listen on these multiaddrs instead of /ip4/0.0.0.0/tcp/<port>")
    .option("--public-addr <multiaddr...>", "Addresses to announce to peers")
    .option("--bootnodes <multiaddr...>", "Peers to connect to at start (/ip4/…/tcp/…/p2p/12D3…)")
    .option("--reserved-nodes <multiaddr...>", "Peers to stay connected to")
    .option("--node-key <hex>", "The libp2p ed25519 secret key (32 bytes hex)", parseNodeKey)
    .option("--node-key-file <path>", "File holding the libp2p secret key; created if missing")
    .option("--worker", "Train jobs: register as a trainer and take the jobs this machine can run (key type `work`)")
    .option("--evaluator", "Score results when drawn as an evaluator (key type `work`)")
    .option(
      "--inference",
      "Serve inference requests: register the inference role and run the models this node is drawn for (key type `work`)",
    )
    .option(
      "--worker-suri <suri>",
      "Put this secret URI in the keystore as the `work` key (e.g. //Worker1 on dev chains)",
    )
    .option(
      "--worker-stake <TRAIN>",
      "Registration stake of --worker/--evaluator/--inference (default: the registry minimum)",
      parseTrain,
    )
    .option(
      "--worker-result-retention <BLOCKS>",
      "Blocks a --worker keeps its trained models pinned after their jobs end (default 7200)",
      parseNonNegativeInt,
    )
    .option(
      "--dev-chaos",
      "TEST ONLY: fault injection for the chaos suite (unsafe devChaos_* RPC methods: blocked peers, clock offset); refused on live chains",
    );
  for (const name of DEV_KEY_FLAGS)
    program.option(`--${name.toLowerCase()}`, `Shortcut for --name ${name} --validator with //${name}'s dev keys`);
  program.action(async (flags: RunFlags) => {
    await runNode(flags);
  });
}

/** A TRAIN amount with up to 12 decimals, in planck. */
export function parseTrain(value: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,12}))?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("must be an amount of TRAIN, e.g. 10 or 0.5");
  return BigInt(m[1]) * 10n ** 12n + BigInt((m[2] ?? "").padEnd(12, "0"));
}

/** Substrate's dev-key shortcuts: each puts that account's keys in the keystore and implies --validator. */
export const DEV_KEY_FLAGS = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"] as const;

export function parseNodeKey(value: string): string {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError("must be 32 bytes of hex");
  return value.startsWith("0x") ? value.slice(2) : value;
}

/** Parses node flags exactly as the `tensorchain` command does, without running anything. */
export function parseRunFlags(argv: string[]): RunFlags {
  let parsed: RunFlags | undefined;
  const program = new Command("tensorchain").exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerRunCommand(program);
  program.action((flags: RunFlags) => {
    parsed = flags;
  });
  program.parse(argv, { from: "user" });
  if (!parsed) throw new Error("No flags parsed");
  return parsed;
}

/** The RPC server's options from the `--rpc-*` flags. */
export function rpcOptionsFromFlags(flags: RunFlags): Partial<RpcServerOptions> & { enabled: boolean } {
  const MiB = 1024 * 1024;
  return {
    enabled: flags.rpc,
    host: flags.rpcExternal ? "0.0.0.0" : "127.0.0.1",
    port: flags.rpcPort,
    methods: flags.rpcMethods,
    maxConnections: flags.rpcMaxConnections,
    maxRequestBytes: flags.rpcMaxRequestSize * MiB,
    maxResponseBytes: flags.rpcMaxResponseSize * MiB,
    // Substrate's send-buffer cap per connection: the max response size.
    maxBufferedBytesPerConnection: flags.rpcMaxResponseSize * MiB,
    rateLimitPerMinute: flags.rpcRateLimit ?? 0,
    maxSubscriptionsPerConnection: flags.rpcMaxSubscriptionsPerConnection,
  };
}

/** The dev account a `--alice`-style flag names, if any. */
export function devKeyFlag(flags: RunFlags): string | undefined {
  return DEV_KEY_FLAGS.find((n) => (flags as unknown as Record<string, unknown>)[n.toLowerCase()] === true);
}

export async function runNode(flags: RunFlags): Promise<void> {
  const { level, moduleLevels } = parseLogFilter(flags.log);
  const logger = createLogger({ level, moduleLevels, format: flags.logFormat });
  const spec = loadChainSpec(flags.chain ?? (flags.dev ? "dev" : "local"));
  const tmp = flags.tmp ?? (flags.dev === true && flags.basePath === undefined);
  const devKey = devKeyFlag(flags);
  const authoring = flags.dev || (devKey === "Alice" && spec.chainType === "Development");
  const basePath = flags.basePath ?? (tmp ? undefined : defaultBasePath());
  const validator = flags.validator === true || devKey !== undefined;
  const network = authoring
    ? undefined
    : {
        p2p: p2pOptionsFromFlags(
          {
            port: flags.port,
            listenAddr: flags.listenAddr,
            publicAddr: flags.publicAddr,
            bootnodes: [...(flags.bootnodes ?? []), ...(spec.bootNodes ?? [])],
            reservedNodes: flags.reservedNodes,
            nodeKey: flags.nodeKey,
            nodeKeyFile: flags.nodeKeyFile,
          },
          {
            // Substrate's default node key file; a `--tmp` node gets a fresh key each start.
            defaultNodeKeyFile:
              basePath && !tmp ? join(basePath, "chains", spec.id, "network", "secret_ed25519") : undefined,
            allowPrivateIp: spec.chainType !== "Live",
            roles: validator ? ["authority"] : ["full"],
          },
        ),
      };
  const node = await TensorchainNode.start(
    {
      spec,
      basePath,
      tmp,
      name: flags.name ?? devKey ?? `tensorchain-${process.pid}`,
      rpc: rpcOptionsFromFlags(flags),
      prometheus: prometheusOptionsFromFlags(flags),
      dashboard: flags.dashboard,
      pool: txPoolOptionsFromCli({
        poolLimit: flags.poolLimit,
        poolKbytes: flags.poolKbytes,
        txBanSeconds: flags.txBanSeconds,
      }),
      devAuthority: authoring
        ? { suri: "//Alice", blockTimeMs: flags.sealing === "manual" ? 0 : flags.devBlockTime }
        : undefined,
      network,
      validator,
      devKeys: devKey,
      informantIntervalMs: 5000,
      devChaos: flags.devChaos === true,
      jobs:
        flags.worker || flags.evaluator || flags.inference
          ? {
              trainer: flags.worker === true,
              evaluator: flags.evaluator === true,
              inference: flags.inference === true,
              stake: flags.workerStake,
              ...(flags.workerResultRetention !== undefined && { resultRetentionBlocks: flags.workerResultRetention }),
              suri: flags.workerSuri ?? (devKey ? `//${devKey}` : undefined),
            }
          : undefined,
    },
    logger,
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info("Received signal, shutting down", { signal });
      node.close().then(resolve, (err: unknown) => {
        logger.error("Shutdown failed", {}, err);
        resolve();
      });
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}
