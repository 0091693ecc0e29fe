/**
 * `tensorchain [options]`: runs a node. Flags follow Substrate's names (`--dev`, `--tmp`, `--base-path`,
 * `--chain`, `--rpc-port`, `--rpc-methods`, `--name`, `--log`, …).
 */

import { homedir } from "node:os";
import { join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { loadChainSpec } from "../../genesis/chainSpec.js";
import { TensorchainNode } from "../../node/node.js";
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
  rpcMaxSubscriptionsPerConnection: number;
  rpc: boolean;
  devBlockTime: number;
  sealing?: "manual";
  alice?: boolean;
  validator?: boolean;
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
    .option(
      "--rpc-max-subscriptions-per-connection <n>",
      "Maximum subscriptions per RPC connection",
      parsePositiveInt,
      1024,
    )
    .option("--no-rpc", "Do not start the RPC server")
    .option(
      "--dev-block-time <ms>",
      "Block time of the dev chain in milliseconds (0: blocks only on engine_createBlock)",
      parseNonNegativeInt,
      2000,
    )
    .addOption(
      new Option("--sealing <mode>", "manual: author blocks only when engine_createBlock is called").choices([
        "manual",
      ]),
    )
    .option("--alice", "Author blocks as //Alice (implied by --dev)")
    .option("--validator", "Author blocks (with --alice on a dev or local chain)")
    .action(async (flags: RunFlags) => {
      await runNode(flags);
    });
}

export async function runNode(flags: RunFlags): Promise<void> {
  const { level, moduleLevels } = parseLogFilter(flags.log);
  const logger = createLogger({ level, moduleLevels, format: flags.logFormat });
  const spec = loadChainSpec(flags.chain ?? (flags.dev ? "dev" : "local"));
  const tmp = flags.tmp ?? (flags.dev === true && flags.basePath === undefined);
  const authoring = flags.dev || flags.alice || (flags.validator && spec.chainType !== "Live");
  const node = await TensorchainNode.start(
    {
      spec,
      basePath: flags.basePath ?? (tmp ? undefined : defaultBasePath()),
      tmp,
      name: flags.name ?? `tensorchain-${process.pid}`,
      rpc: {
        enabled: flags.rpc,
        host: flags.rpcExternal ? "0.0.0.0" : "127.0.0.1",
        port: flags.rpcPort,
        methods: flags.rpcMethods,
        maxConnections: flags.rpcMaxConnections,
        maxRequestBytes: flags.rpcMaxRequestSize * 1024 * 1024,
        maxSubscriptionsPerConnection: flags.rpcMaxSubscriptionsPerConnection,
      },
      devAuthority: authoring
        ? { suri: "//Alice", blockTimeMs: flags.sealing === "manual" ? 0 : flags.devBlockTime }
        : undefined,
      informantIntervalMs: 5000,
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
