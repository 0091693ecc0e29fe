/**
 * `tensorchain devnet … --compose`: the devnet as a docker-compose.yml, generated from the same description
 * (`devnetMembers`, `memberArgs`, `devnetChainSpec`) the native `tensorchain devnet` starts, so the two
 * stay in step. The repository's docker-compose.yml is this output for
 * `devnet --validators 4 --workers 2 --evaluators 1 --compose`; test/unit/devnet/compose.test.ts checks
 * that it is.
 *
 * In containers every node listens on the container's own 30333 and 9944; nodes name each other by
 * service hostname (`/dns4/bob/tcp/30333/p2p/<devPeerId("Bob")>`); node i's RPC is published on
 * 127.0.0.1:<rpc-port + i> and its metrics (9615 in the container) on 127.0.0.1:<prometheus-port + i>, the
 * ports the native devnet gives it. When the devnet needs its own chain spec
 * (worker and evaluator accounts, `--block-time`), a one-shot `chain-spec` service writes it with
 * `tensorchain devnet … --write-chain-spec` into a volume every node mounts read-only.
 */
import { BUILTIN_SPECS, devPeerId } from "../../genesis/chainSpec.js";
import {
  bootnodesOf,
  DEVNET_DEFAULT_PROMETHEUS_PORT,
  DEVNET_DEFAULT_RPC_PORT,
  DevnetError,
  type DevnetMember,
  devnetChainSpec,
  devnetMembers,
  memberArgs,
} from "./devnet.js";

/** The container's libp2p and RPC ports (each service has its own network namespace). */
export const COMPOSE_P2P_PORT = 30333;
export const COMPOSE_RPC_PORT = 9944;
export const COMPOSE_PROMETHEUS_PORT = 9615;
/** Where the `chain-spec` service writes the devnet's spec, and where the nodes read it. */
export const COMPOSE_SPEC_WRITE_PATH = "/data/chain-spec.json";
export const COMPOSE_SPEC_READ_PATH = "/spec/chain-spec.json";

export interface DevnetComposeOptions {
  validators: number;
  workers: number;
  evaluators: number;
  /** Inference provider nodes (`--inference`); none when absent. */
  providers?: number;
  /** Host port of the first node's RPC; node i's is rpcPort + i. */
  rpcPort: number;
  /** Host port of the first node's Prometheus metrics; node i's is prometheusPort + i. Undefined: none. */
  prometheusPort?: number;
  /** A built-in chain spec (a file on this machine is not in the image). */
  chain: string;
  blockTime?: number;
  log?: string;
}

/** The repository's docker-compose.yml is `devnetCompose(DEFAULT_COMPOSE)`. */
export const DEFAULT_COMPOSE: DevnetComposeOptions = {
  validators: 4,
  workers: 2,
  evaluators: 1,
  rpcPort: DEVNET_DEFAULT_RPC_PORT,
  prometheusPort: DEVNET_DEFAULT_PROMETHEUS_PORT,
  chain: "devnet",
};

/** The `tensorchain` arguments that print this compose file (written into its header). */
export function composeCommand(o: DevnetComposeOptions): string[] {
  return [
    "devnet",
    ...devnetSizeArgs(o),
    ...(o.rpcPort !== DEVNET_DEFAULT_RPC_PORT ? ["--rpc-port", String(o.rpcPort)] : []),
    ...(o.prometheusPort === undefined
      ? ["--no-prometheus"]
      : o.prometheusPort !== DEVNET_DEFAULT_PROMETHEUS_PORT
        ? ["--prometheus-port", String(o.prometheusPort)]
        : []),
    ...(o.chain !== "devnet" ? ["--chain", o.chain] : []),
    ...(o.blockTime !== undefined ? ["--block-time", String(o.blockTime)] : []),
    ...(o.log !== undefined ? ["--log", o.log] : []),
    "--compose",
  ];
}

function devnetSizeArgs(o: DevnetComposeOptions): string[] {
  return [
    "--validators",
    String(o.validators),
    ...(o.workers > 0 ? ["--workers", String(o.workers)] : []),
    ...(o.evaluators > 0 ? ["--evaluators", String(o.evaluators)] : []),
    ...((o.providers ?? 0) > 0 ? ["--inference", String(o.providers)] : []),
  ];
}

/** A YAML scalar: plain when that is unambiguous, else a double-quoted (JSON) string. */
function scalar(s: string): string {
  const plain =
    /^[A-Za-z/-][A-Za-z0-9/._:,=-]*$/.test(s) &&
    !/^(y|n|yes|no|on|off|true|false|null)$/i.test(s) &&
    !/:$/.test(s) &&
    s !== "-";
  return plain ? s : JSON.stringify(s);
}

const serviceOf = (m: DevnetMember) => m.name.toLowerCase();

/** The compose file's text. */
export async function devnetCompose(o: DevnetComposeOptions): Promise<string> {
  if (!(o.chain in BUILTIN_SPECS))
    throw new DevnetError(
      { code: "DEVNET_ERROR_COMPOSE_CHAIN", chain: o.chain },
      `--compose needs a built-in chain spec (${Object.keys(BUILTIN_SPECS).join(", ")}): a file on this machine is not in the image`,
    );
  const members = devnetMembers(o.validators, o.workers, o.evaluators, o.providers ?? 0);
  for (const base of [o.rpcPort, o.prometheusPort]) {
    const last = base === undefined ? 0 : base + members.length - 1;
    if (last > 65535)
      throw new DevnetError({ code: "DEVNET_ERROR_PORT_RANGE", port: last }, `Port ${last} is out of range`);
  }
  const ownSpec = devnetChainSpec(BUILTIN_SPECS[o.chain](), o) !== undefined;
  const chain = ownSpec ? COMPOSE_SPEC_READ_PATH : o.chain;
  const peerIds = new Map(await Promise.all(members.map(async (m) => [m.name, await devPeerId(m.name)] as const)));
  const addr = (m: DevnetMember) => `/dns4/${serviceOf(m)}/tcp/${COMPOSE_P2P_PORT}/p2p/${peerIds.get(m.name)}`;

  const roles = [
    `${o.validators} validator${o.validators === 1 ? "" : "s"} (${members
      .filter((m) => m.role === "validator")
      .map((m) => `//${m.name}`)
      .join(", ")})`,
    ...(o.workers > 0 ? [`${o.workers} worker${o.workers === 1 ? "" : "s"} (--worker)`] : []),
    ...(o.evaluators > 0 ? [`${o.evaluators} evaluator${o.evaluators === 1 ? "" : "s"} (--evaluator)`] : []),
    ...((o.providers ?? 0) > 0
      ? [`${o.providers} inference provider${o.providers === 1 ? "" : "s"} (--inference)`]
      : []),
  ];
  const rpcs = members.map((m, i) => `${o.rpcPort + i} ${serviceOf(m)}`).join(", ");
  const metrics = o.prometheusPort;
  const out: string[] = [
    `# A tensorchain devnet in containers: ${roles.join(", ")}`,
    `# of the \`${o.chain}\` chain spec: the same network \`tensorchain ${composeCommand(o)
      .filter((a) => a !== "--compose")
      .join(" ")}\` starts natively.`,
    `# Generated, do not edit: \`npx tensorchain ${composeCommand(o).join(" ")} > docker-compose.yml\` writes it,`,
    "# from the same description of the devnet as the native command (cli/commands/devnetCompose.ts).",
    "#",
    `#   docker compose up --build      then the dashboard is at http://127.0.0.1:${o.rpcPort}/`,
    `#   RPC (ws:// and http://) on 127.0.0.1: ${rpcs}`,
    ...(metrics === undefined
      ? []
      : [
          `#   Prometheus metrics on http://127.0.0.1:<port>/metrics, ports ${metrics}-${metrics + members.length - 1} in the same order`,
        ]),
    "#   docker compose down -v         stops it and deletes the chain data",
    "#",
    "# Node keys are the public dev keys of genesis/chainSpec.ts:",
    '#   devNodeKey(name) = blake2_256("tensorchain-devnet-node-key/<Name>"), peer id = devPeerId(name)',
    "# so each node's bootnodes name the validators by service hostname and fixed peer id.",
  ];
  if (ownSpec)
    out.push(
      "# The one-shot chain-spec service writes the devnet's chain spec (worker and evaluator accounts",
      "# endowed like the dev accounts) into the chain-spec volume; every node starts from it.",
    );
  out.push(
    "# test/unit/devnet/compose.test.ts checks this file against the generator, every command line against",
    "# the CLI parser and every peer id against its node key. Never reuse these keys outside a dev network.",
    "name: tensorchain-devnet",
    "",
    "x-node: &node",
    "  build: .",
    "  image: tensorchain:dev",
    "  restart: unless-stopped",
    "  stop_grace_period: 30s",
    "",
    "services:",
  );
  const list = (indent: string, items: string[]) => items.map((a) => `${indent}- ${scalar(a)}`);
  if (ownSpec) {
    out.push(
      "  chain-spec:",
      "    <<: *node",
      '    restart: "no"',
      "    command:",
      ...list("      ", [
        "devnet",
        ...devnetSizeArgs(o),
        "--chain",
        o.chain,
        ...(o.blockTime !== undefined ? ["--block-time", String(o.blockTime)] : []),
        "--write-chain-spec",
        COMPOSE_SPEC_WRITE_PATH,
      ]),
      "    volumes:",
      // Mounted on the image's /data, which belongs to the image's user, so that it may write there.
      "      - chain-spec:/data",
    );
  }
  for (const [i, m] of members.entries()) {
    const service = serviceOf(m);
    const args = memberArgs(m, {
      chain,
      basePath: "/data",
      port: COMPOSE_P2P_PORT,
      rpcPort: COMPOSE_RPC_PORT,
      rpcExternal: true,
      prometheusPort: metrics === undefined ? undefined : COMPOSE_PROMETHEUS_PORT,
      prometheusExternal: true,
      bootnodes: bootnodesOf(m, members).map(addr),
      log: o.log,
    });
    out.push(`  ${service}:`, "    <<: *node", `    hostname: ${service}`, "    command:", ...list("      ", args));
    if (ownSpec) out.push("    depends_on:", "      chain-spec:", "        condition: service_completed_successfully");
    out.push(
      "    ports:",
      ...list("      ", [
        `127.0.0.1:${o.rpcPort + i}:${COMPOSE_RPC_PORT}`,
        ...(metrics === undefined ? [] : [`127.0.0.1:${metrics + i}:${COMPOSE_PROMETHEUS_PORT}`]),
      ]),
      "    volumes:",
      ...list("      ", [`${service}-data:/data`, ...(ownSpec ? ["chain-spec:/spec:ro"] : [])]),
    );
  }
  out.push("", "volumes:");
  if (ownSpec) out.push("  chain-spec:");
  for (const m of members) out.push(`  ${serviceOf(m)}-data:`);
  return `${out.join("\n")}\n`;
}
