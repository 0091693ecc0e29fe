/**
 * `tensorchain devnet --validators N`: a local network of N validator processes on 127.0.0.1.
 *
 * Node i (0-based) runs the i-th of `DEVNET_VALIDATORS` (//Alice, //Bob, …) as
 *
 *   tensorchain --chain devnet --validator --alice --name Alice --base-path <dir>/alice
 *     --port <Q+i> --listen-addr /ip4/127.0.0.1/tcp/<Q+i> --rpc-port <P+i> --prometheus-port <M+i>
 *     --node-key <devNodeKey("Alice")> --bootnodes /ip4/127.0.0.1/tcp/<Q+j>/p2p/<devPeerId(j)> (every j ≠ i)
 *
 * so that every address and peer id is known in advance. Each child's output is forwarded line by line,
 * prefixed with its name, and also written to `<dir>/<name>/node.log`. Ctrl-C (SIGINT) or SIGTERM stops
 * them all (SIGTERM, then SIGKILL after a grace period); a node that exits on its own is reported and
 * the others keep running; the command exits when all have stopped, non-zero if any failed.
 * Without `--base-dir` the data lives in a fresh temporary folder that is removed at the end.
 *
 * `--workers W --evaluators V` add W worker nodes (`Worker1`…, `--worker --worker-suri //Worker1`) and V
 * evaluator nodes (`Evaluator1`…, `--evaluator`), and `--inference P` P inference provider nodes
 * (`Provider1`…, `--inference`), full nodes that dial every validator, with the ports
 * after the validators'. Their accounts are endowed like the dev accounts in a copy of the chain spec
 * (`<dir>/chain-spec.json`, `withRoleAccounts`) that every node of the devnet then runs.
 *
 * `--compose` prints the same devnet as a docker-compose.yml instead (cli/commands/devnetCompose.ts, built
 * from the same `devnetMembers` / `memberArgs` / `devnetChainSpec`); `--write-chain-spec <file>` writes
 * the chain spec the devnet runs and exits (the compose file's one-shot `chain-spec` service).
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  type WriteStream,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type Command, InvalidArgumentError } from "commander";
import {
  type ChainSpec,
  DEV_ENDOWMENT,
  DEVNET_VALIDATORS,
  devAddress,
  devNodeKey,
  devPeerId,
  loadChainSpec,
} from "../../genesis/chainSpec.js";
import { TensorchainError } from "../../primitives/errors.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { parseNonNegativeInt, parsePort, parsePositiveInt } from "./run.js";

export const DEVNET_DEFAULT_RPC_PORT = 9944;
export const DEVNET_DEFAULT_P2P_PORT = 30333;
export const DEVNET_DEFAULT_PROMETHEUS_PORT = 9615;
/** How long a node gets to shut down after SIGTERM before it is killed. */
export const DEVNET_STOP_GRACE_MS = 10_000;

export type DevnetErrorType =
  | { code: "DEVNET_ERROR_TOO_MANY_VALIDATORS"; requested: number; max: number }
  | { code: "DEVNET_ERROR_PORT_RANGE"; port: number }
  | { code: "DEVNET_ERROR_COMPOSE_CHAIN"; chain: string };
export class DevnetError extends TensorchainError<DevnetErrorType> {}

export interface DevnetOptions {
  /** How many validators to start: 1..=DEVNET_VALIDATORS.length. */
  validators: number;
  /** Where each node's base path goes (`<baseDir>/<name>`). */
  baseDir: string;
  /** Node i's RPC port is rpcPort + i. */
  rpcPort: number;
  /** Node i's libp2p port is p2pPort + i. */
  p2pPort: number;
  /** Node i's Prometheus port is prometheusPort + i; undefined: the nodes run `--no-prometheus`. */
  prometheusPort?: number;
  /** The chain every node runs. */
  chain: string;
  /** Passed to each node as `--log`, when given. */
  log?: string;
  /** Worker nodes (`--worker`) to add after the validators. */
  workers?: number;
  /** Evaluator nodes (`--evaluator`) to add after the workers. */
  evaluators?: number;
  /** Inference provider nodes (`--inference`) to add after the evaluators. */
  providers?: number;
}

/** The names (and dev accounts, //Name) of a devnet's worker, evaluator and inference provider nodes. */
export function devnetRoleNames(workers: number, evaluators: number, providers = 0): string[] {
  return [
    ...Array.from({ length: workers }, (_, i) => `Worker${i + 1}`),
    ...Array.from({ length: evaluators }, (_, i) => `Evaluator${i + 1}`),
    ...Array.from({ length: providers }, (_, i) => `Provider${i + 1}`),
  ];
}

/** `spec` with BABE slots of `ms` (networked nodes take the slot length from the chain spec). */
export function withSlotDuration(spec: ChainSpec, ms: number): ChainSpec {
  if (!("runtimeGenesis" in spec.genesis)) throw new Error("--block-time needs a non-raw chain spec");
  const copy = structuredClone(spec);
  if (!("runtimeGenesis" in copy.genesis)) throw new Error("unreachable");
  copy.genesis.runtimeGenesis.config.babe = { slotDurationMs: ms };
  return copy;
}

/** `spec` with the dev accounts //Name of `names` endowed like the built-in dev accounts. */
export function withRoleAccounts(spec: ChainSpec, names: string[]): ChainSpec {
  if (!("runtimeGenesis" in spec.genesis)) throw new Error("worker and evaluator accounts need a non-raw chain spec");
  const copy = structuredClone(spec) as ChainSpec & {
    genesis: { runtimeGenesis: { config: { balances: { balances: [string, string | number][] } } } };
  };
  const balances = copy.genesis.runtimeGenesis.config.balances.balances;
  for (const name of names) balances.push([devAddress(name), DEV_ENDOWMENT.toString()]);
  return copy;
}

/** What a devnet node does: produce blocks, train jobs, score results, or run inference requests. */
export type DevnetRole = "validator" | "worker" | "evaluator" | "inference";

/** One node of a devnet by name (its dev account is //Name) and role. */
export interface DevnetMember {
  name: string;
  role: DevnetRole;
}

/**
 * The nodes of a devnet, in order: the first `validators` of `DEVNET_VALIDATORS`, then `Worker1`…,
 * then `Evaluator1`…, then `Provider1`…. The one description both `tensorchain devnet` and its `--compose` output start from.
 */
export function devnetMembers(validators: number, workers = 0, evaluators = 0, providers = 0): DevnetMember[] {
  const max = DEVNET_VALIDATORS.length;
  if (!Number.isInteger(validators) || validators < 1 || validators > max)
    throw new DevnetError(
      { code: "DEVNET_ERROR_TOO_MANY_VALIDATORS", requested: validators, max },
      `--validators must be between 1 and ${max} (the devnet has ${max} genesis validators: ${DEVNET_VALIDATORS.join(", ")})`,
    );
  return [
    ...DEVNET_VALIDATORS.slice(0, validators).map((name) => ({ name, role: "validator" as const })),
    ...devnetRoleNames(workers, evaluators, providers).map((name, k) => ({
      name,
      role:
        k < workers ? ("worker" as const) : k < workers + evaluators ? ("evaluator" as const) : ("inference" as const),
    })),
  ];
}

/** The flags that make a member what it is: `--validator --alice`, or `--worker --worker-suri //Worker1`. */
export function memberRoleArgs(member: DevnetMember): string[] {
  return member.role === "validator"
    ? ["--validator", `--${member.name.toLowerCase()}`]
    : [`--${member.role}`, "--worker-suri", `//${member.name}`];
}

/** The members a node dials at start: a validator the other validators, a worker or evaluator every validator. */
export function bootnodesOf(member: DevnetMember, members: DevnetMember[]): DevnetMember[] {
  return members.filter((m) => m.role === "validator" && m !== member);
}

/** Where a member runs: everything of its command line that is not who it is. */
export interface MemberPlacement {
  chain: string;
  basePath: string;
  port: number;
  /** `--listen-addr` (the native devnet listens on 127.0.0.1 only). */
  listenAddr?: string;
  rpcPort: number;
  /** `--rpc-external --rpc-methods safe` (in a container, whose port is published to 127.0.0.1). */
  rpcExternal?: boolean;
  /** `--prometheus-port <port>`; undefined: `--no-prometheus`. */
  prometheusPort?: number;
  /** `--prometheus-external` (in a container). */
  prometheusExternal?: boolean;
  bootnodes: string[];
  log?: string;
}

/** A devnet member's command line: the arguments after `tensorchain`. */
export function memberArgs(member: DevnetMember, at: MemberPlacement): string[] {
  return [
    "--chain",
    at.chain,
    ...memberRoleArgs(member),
    "--name",
    member.name,
    "--base-path",
    at.basePath,
    "--port",
    String(at.port),
    ...(at.listenAddr !== undefined ? ["--listen-addr", at.listenAddr] : []),
    "--rpc-port",
    String(at.rpcPort),
    ...(at.rpcExternal ? ["--rpc-external", "--rpc-methods", "safe"] : []),
    ...(at.prometheusPort === undefined
      ? ["--no-prometheus"]
      : ["--prometheus-port", String(at.prometheusPort), ...(at.prometheusExternal ? ["--prometheus-external"] : [])]),
    "--node-key",
    hexOf(devNodeKey(member.name)),
    ...(at.bootnodes.length > 0 ? ["--bootnodes", ...at.bootnodes] : []),
    ...(at.log !== undefined ? ["--log", at.log] : []),
  ];
}

/**
 * The chain spec a devnet runs instead of `spec` itself: a copy with the worker and evaluator accounts
 * endowed and `--block-time` as the slot length; undefined when `spec` serves as it is.
 */
export function devnetChainSpec(
  spec: ChainSpec,
  opts: { workers?: number; evaluators?: number; providers?: number; blockTime?: number },
): ChainSpec | undefined {
  const roles = devnetRoleNames(opts.workers ?? 0, opts.evaluators ?? 0, opts.providers ?? 0);
  if (roles.length === 0 && opts.blockTime === undefined) return undefined;
  const withRoles = roles.length > 0 ? withRoleAccounts(spec, roles) : spec;
  return opts.blockTime !== undefined ? withSlotDuration(withRoles, opts.blockTime) : withRoles;
}

/** One node of the devnet: who it is, where it listens, and its exact command line. */
export interface DevnetNodePlan {
  name: string;
  role: DevnetRole;
  basePath: string;
  rpcPort: number;
  p2pPort: number;
  /** Where the node serves Prometheus metrics (`http://127.0.0.1:<port>/metrics`), if it does. */
  prometheusPort?: number;
  peerId: string;
  /** The node's address as the others dial it: `/ip4/127.0.0.1/tcp/<port>/p2p/<peerId>`. */
  multiaddr: string;
  rpcUrl: string;
  /** The arguments after `tensorchain` (the run command's flags). */
  args: string[];
}

export const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** The command lines of a devnet on 127.0.0.1; pure apart from computing peer ids. */
export async function planDevnet(opts: DevnetOptions): Promise<DevnetNodePlan[]> {
  const members = devnetMembers(opts.validators, opts.workers ?? 0, opts.evaluators ?? 0, opts.providers ?? 0);
  const last = members.length - 1;
  for (const base of [opts.rpcPort, opts.p2pPort, opts.prometheusPort])
    if (base !== undefined && base + last > 65535)
      throw new DevnetError(
        { code: "DEVNET_ERROR_PORT_RANGE", port: base + last },
        `Port ${base + last} is out of range`,
      );
  const nodes: DevnetNodePlan[] = await Promise.all(
    members.map(async ({ name, role }, i) => {
      const p2pPort = opts.p2pPort + i;
      const peerId = await devPeerId(name);
      return {
        name,
        role,
        basePath: join(opts.baseDir, name.toLowerCase()),
        rpcPort: opts.rpcPort + i,
        p2pPort,
        prometheusPort: opts.prometheusPort === undefined ? undefined : opts.prometheusPort + i,
        peerId,
        multiaddr: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerId}`,
        rpcUrl: `ws://127.0.0.1:${opts.rpcPort + i}`,
        args: [] as string[],
      };
    }),
  );
  for (const [i, node] of nodes.entries())
    node.args = memberArgs(members[i], {
      chain: opts.chain,
      basePath: node.basePath,
      port: node.p2pPort,
      listenAddr: `/ip4/127.0.0.1/tcp/${node.p2pPort}`,
      rpcPort: node.rpcPort,
      prometheusPort: node.prometheusPort,
      bootnodes: bootnodesOf(members[i], members).map((m) => nodes[members.indexOf(m)].multiaddr),
      log: opts.log,
    });
  return nodes;
}

/** The endpoints table printed at start (with a metrics column when the nodes serve metrics). */
export function endpointsTable(nodes: DevnetNodePlan[]): string {
  const metrics = nodes.some((n) => n.prometheusPort !== undefined);
  const rows = [
    ["name", "rpc", ...(metrics ? ["metrics"] : []), "p2p", "base path"],
    ...nodes.map((n) => [
      n.name,
      n.rpcUrl,
      ...(metrics ? [n.prometheusPort === undefined ? "-" : `http://127.0.0.1:${n.prometheusPort}/metrics`] : []),
      n.multiaddr,
      n.basePath,
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return `${rows.map((r) => `  ${r.map((cell, c) => cell.padEnd(widths[c])).join("  ")}`.trimEnd()).join("\n")}\n`;
}

/** How a devnet node ended. */
export interface DevnetExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** False when the node exited before `stop()` was called. */
  expected: boolean;
}

export interface DevnetIo {
  /** The program and leading arguments that run `tensorchain` (default: this Node.js and bin/tensorchain.js). */
  command?: [string, ...string[]];
  /** Where prefixed log lines and reports go (default: process.stdout). */
  write?: (line: string) => void;
  /** Called when a node exits, expectedly or not. */
  onExit?: (exit: DevnetExit) => void;
  /** Write each node's output to `<basePath>/node.log` too (default true). */
  logFiles?: boolean;
  stopGraceMs?: number;
}

export interface RunningDevnet {
  nodes: DevnetNodePlan[];
  children: Map<string, ChildProcess>;
  /** Resolves when every node has exited, with how each ended. */
  done: Promise<DevnetExit[]>;
  /** Stops every node still running (SIGTERM, SIGKILL after the grace period); resolves when all exited. */
  stop(): Promise<DevnetExit[]>;
}

/** The CLI entry script: `bin/tensorchain.js`, found by walking up from this file (works from dist/ and from source). */
export function defaultCliPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "bin", "tensorchain.js");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("Cannot find bin/tensorchain.js above this module");
    dir = parent;
  }
}

/** Spawns the planned nodes and forwards their output. */
export function startDevnet(nodes: DevnetNodePlan[], io: DevnetIo = {}): RunningDevnet {
  const [program, ...lead] = io.command ?? [process.execPath, defaultCliPath()];
  const write = io.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const width = Math.max(...nodes.map((n) => n.name.length));
  const children = new Map<string, ChildProcess>();
  const exits: Promise<DevnetExit>[] = [];
  let stopping = false;
  for (const node of nodes) {
    mkdirSync(node.basePath, { recursive: true });
    const child = spawn(program, [...lead, ...node.args], { stdio: ["ignore", "pipe", "pipe"] });
    children.set(node.name, child);
    const prefix = `[${node.name.padEnd(width)}]`;
    const file: WriteStream | undefined =
      io.logFiles === false ? undefined : createWriteStream(join(node.basePath, "node.log"), { flags: "a" });
    const streamsClosed: Promise<void>[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on("line", (line) => {
        write(`${prefix} ${line}`);
        file?.write(`${line}\n`);
      });
      streamsClosed.push(new Promise((r) => lines.once("close", () => r())));
    }
    exits.push(
      new Promise<DevnetExit>((resolveExit) => {
        const finish = (code: number | null, signal: NodeJS.Signals | null) => {
          // Wait for the last lines before reporting, so the report comes after them.
          void Promise.all(streamsClosed).then(() => {
            file?.end();
            const exit: DevnetExit = { name: node.name, code, signal, expected: stopping };
            if (!stopping) write(`${prefix} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`})`);
            io.onExit?.(exit);
            resolveExit(exit);
          });
        };
        child.once("exit", finish);
        child.once("error", (err) => {
          write(`${prefix} could not start: ${err.message}`);
          finish(null, null);
        });
      }),
    );
  }
  const done = Promise.all(exits);
  let stopped: Promise<DevnetExit[]> | undefined;
  const stop = (): Promise<DevnetExit[]> => {
    if (stopped) return stopped;
    stopping = true;
    const live = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of live) c.kill("SIGTERM");
    const killer = setTimeout(() => {
      for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    }, io.stopGraceMs ?? DEVNET_STOP_GRACE_MS);
    stopped = done.finally(() => clearTimeout(killer));
    return stopped;
  };
  return { nodes, children, done, stop };
}

interface DevnetFlags {
  validators: number;
  baseDir?: string;
  rpcPort: number;
  p2pPort: number;
  prometheus: boolean;
  prometheusPort: number;
  blockTime?: number;
  chain: string;
  log?: string;
  workers: number;
  evaluators: number;
  /** Inference provider nodes (`--inference P`). */
  inference: number;
  /** Print the devnet as a docker-compose.yml instead of starting it. */
  compose?: boolean;
  /** Write the devnet's chain spec to this file instead of starting it (compose's chain-spec service). */
  writeChainSpec?: string;
}

function parseValidators(value: string): number {
  const n = parsePositiveInt(value);
  if (n > DEVNET_VALIDATORS.length)
    throw new InvalidArgumentError(
      `at most ${DEVNET_VALIDATORS.length} for now (the devnet's genesis validators are ${DEVNET_VALIDATORS.join(", ")})`,
    );
  return n;
}

export function registerDevnetCommand(program: Command): void {
  program
    .command("devnet")
    .description("Start a local network of validator nodes on 127.0.0.1 (//Alice, //Bob, …); Ctrl-C stops them all")
    .requiredOption("--validators <n>", `How many validators to start (1-${DEVNET_VALIDATORS.length})`, parseValidators)
    .option("--base-dir <dir>", "Where the nodes' base paths go (default: a temporary folder removed at the end)")
    .option(
      "--rpc-port <port>",
      "RPC port of the first node; node i listens on port + i",
      parsePort,
      DEVNET_DEFAULT_RPC_PORT,
    )
    .option(
      "--p2p-port <port>",
      "libp2p port of the first node; node i listens on port + i",
      parsePort,
      DEVNET_DEFAULT_P2P_PORT,
    )
    .option(
      "--prometheus-port <port>",
      "Prometheus metrics port of the first node; node i serves /metrics on port + i",
      parsePort,
      DEVNET_DEFAULT_PROMETHEUS_PORT,
    )
    .option("--no-prometheus", "Run the nodes without Prometheus metrics")
    .option(
      "--block-time <ms>",
      "Slot length: written to the devnet's copy of the chain spec (babe.slotDurationMs)",
      parsePositiveInt,
    )
    .option("--chain <spec>", "The chain spec every node runs", "devnet")
    .option("-l, --log <filter>", "Log filter passed to every node")
    .option("--workers <n>", "Worker nodes (--worker, accounts //Worker1…) to add", parseNonNegativeInt, 0)
    .option("--evaluators <n>", "Evaluator nodes (--evaluator, accounts //Evaluator1…) to add", parseNonNegativeInt, 0)
    .option(
      "--inference <n>",
      "Inference provider nodes (--inference, accounts //Provider1…) to add",
      parseNonNegativeInt,
      0,
    )
    .option(
      "--compose",
      "Print this devnet as a docker-compose.yml (node i's RPC on 127.0.0.1:<rpc-port + i>) and exit",
    )
    .option(
      "--write-chain-spec <file>",
      "Write the chain spec this devnet runs (worker and evaluator accounts endowed, --block-time) and exit",
    )
    .action(async (flags: DevnetFlags) => {
      process.exitCode = await runDevnet(flags);
    });
}

/** The `devnet` command: plans, prints, starts, waits for a signal or for every node to exit. Returns the exit code. */
export async function runDevnet(flags: DevnetFlags): Promise<number> {
  await cryptoReady();
  if (flags.compose) {
    const { devnetCompose } = await import("./devnetCompose.js");
    process.stdout.write(
      await devnetCompose({
        validators: flags.validators,
        workers: flags.workers,
        evaluators: flags.evaluators,
        providers: flags.inference,
        rpcPort: flags.rpcPort,
        prometheusPort: flags.prometheus ? flags.prometheusPort : undefined,
        chain: flags.chain,
        blockTime: flags.blockTime,
        log: flags.log,
      }),
    );
    return 0;
  }
  const spec = loadChainSpec(flags.chain);
  const ownSpec = devnetChainSpec(spec, { ...flags, providers: flags.inference });
  if (flags.writeChainSpec !== undefined) {
    const file = resolve(flags.writeChainSpec);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(ownSpec ?? spec, null, 2));
    process.stdout.write(`Wrote the devnet's chain spec to ${file}\n`);
    return 0;
  }
  const temporary = flags.baseDir === undefined;
  const baseDir = flags.baseDir ? resolve(flags.baseDir) : mkdtempSync(join(tmpdir(), "tensorchain-devnet-"));
  let chain = flags.chain;
  const roles = devnetRoleNames(flags.workers, flags.evaluators, flags.inference);
  if (ownSpec) {
    mkdirSync(baseDir, { recursive: true });
    chain = join(baseDir, "chain-spec.json");
    writeFileSync(chain, JSON.stringify(ownSpec, null, 2));
  }
  const nodes = await planDevnet({
    validators: flags.validators,
    baseDir,
    rpcPort: flags.rpcPort,
    p2pPort: flags.p2pPort,
    prometheusPort: flags.prometheus ? flags.prometheusPort : undefined,
    chain,
    log: flags.log,
    workers: flags.workers,
    evaluators: flags.evaluators,
    providers: flags.inference,
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `Devnet: ${flags.validators} validator(s)${roles.length > 0 ? `, ${flags.workers} worker(s), ${flags.evaluators} evaluator(s), ${flags.inference} inference provider(s)` : ""} of chain "${spec.name}", base dir ${baseDir}${temporary ? " (temporary)" : ""}`,
  );
  out(endpointsTable(nodes).trimEnd());
  const genesisValidators =
    "runtimeGenesis" in spec.genesis ? (spec.genesis.runtimeGenesis.config.staking?.validators.length ?? 0) : 0;
  if (genesisValidators > 0 && 3 * flags.validators <= 2 * genesisValidators)
    out(
      `Note: ${flags.validators} of ${genesisValidators} genesis validators: blocks are produced, but finality needs more than 2/3.`,
    );
  const devnet = startDevnet(nodes, { write: out });
  const onSignal = (signal: NodeJS.Signals) => {
    out(`Received ${signal}, stopping the devnet`);
    void devnet.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const exits = await devnet.done;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  if (temporary) rmSync(baseDir, { recursive: true, force: true });
  const failed = exits.filter((e) => !e.expected);
  out(failed.length === 0 ? "Devnet stopped" : `Devnet stopped; ${failed.map((e) => e.name).join(", ")} failed`);
  return failed.length === 0 ? 0 : 1;
}
