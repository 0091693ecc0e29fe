/**
 * `tensorchain devnet`: the planned command lines (checked against the real run-flag parser), the
 * argument checks, and the process supervision (log forwarding, unexpected exits, stop), the latter
 * with stub child processes so that no node is started.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  DevnetError,
  type DevnetExit,
  type DevnetNodePlan,
  endpointsTable,
  planDevnet,
  startDevnet,
  withSlotDuration,
} from "../../../cli/commands/devnet.js";
import { devKeyFlag, parseRunFlags } from "../../../cli/commands/run.js";
import { buildProgram } from "../../../cli/index.js";
import { BUILTIN_SPECS, DEVNET_VALIDATORS, devNodeKey, devPeerId } from "../../../genesis/chainSpec.js";
import { cryptoReady } from "../../../primitives/hashing.js";

let dir: string;
beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tc-devnet-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = (validators: number, extra: Partial<Parameters<typeof planDevnet>[0]> = {}) =>
  planDevnet({ validators, baseDir: dir, rpcPort: 9944, p2pPort: 30333, chain: "devnet", ...extra });

describe("devnet plan", () => {
  it("gives node i the i-th dev validator, ports P+i and Q+i, its fixed node key and the others as bootnodes", async () => {
    const nodes = await plan(4);
    expect(nodes.map((n) => n.name)).toEqual([...DEVNET_VALIDATORS]);
    for (const [i, node] of nodes.entries()) {
      const flags = parseRunFlags(node.args);
      expect(flags).toMatchObject({
        chain: "devnet",
        validator: true,
        name: node.name,
        basePath: join(dir, node.name.toLowerCase()),
        port: 30333 + i,
        rpcPort: 9944 + i,
        listenAddr: [`/ip4/127.0.0.1/tcp/${30333 + i}`],
        nodeKey: Buffer.from(devNodeKey(node.name)).toString("hex"),
      });
      expect(devKeyFlag(flags)).toBe(node.name);
      expect(node.peerId).toBe(await devPeerId(node.name));
      expect(node.rpcUrl).toBe(`ws://127.0.0.1:${9944 + i}`);
      const others = nodes.filter((n) => n !== node);
      expect(flags.bootnodes).toEqual(others.map((o) => `/ip4/127.0.0.1/tcp/${o.p2pPort}/p2p/${o.peerId}`));
    }
  });

  it("gives node i Prometheus port M+i when asked, and --no-prometheus otherwise", async () => {
    const nodes = await plan(2, { prometheusPort: 9615, workers: 1 });
    for (const [i, node] of nodes.entries()) {
      expect(node.prometheusPort).toBe(9615 + i);
      expect(parseRunFlags(node.args)).toMatchObject({ prometheus: true, prometheusPort: 9615 + i });
    }
    expect(endpointsTable(nodes)).toContain("http://127.0.0.1:9617/metrics");
    for (const node of await plan(2)) {
      expect(node.prometheusPort).toBeUndefined();
      expect(parseRunFlags(node.args)).toMatchObject({ prometheus: false });
    }
    await expect(plan(4, { prometheusPort: 65534 })).rejects.toMatchObject({
      type: { code: "DEVNET_ERROR_PORT_RANGE", port: 65537 },
    });
  });

  it("passes --log through, and a single node has no bootnodes", async () => {
    const [alone] = await plan(1, { log: "info,p2p=debug", rpcPort: 10000, p2pPort: 40000 });
    const flags = parseRunFlags(alone.args);
    expect(flags).toMatchObject({ log: "info,p2p=debug", rpcPort: 10000, port: 40000 });
    expect(flags.bootnodes).toBeUndefined();
  });

  it("--block-time sets the slot length in the devnet's copy of the chain spec", () => {
    const spec = withSlotDuration(BUILTIN_SPECS.devnet(), 500);
    expect("runtimeGenesis" in spec.genesis && spec.genesis.runtimeGenesis.config.babe).toEqual({
      slotDurationMs: 500,
    });
    const original = BUILTIN_SPECS.devnet();
    expect("runtimeGenesis" in original.genesis && original.genesis.runtimeGenesis.config.babe).toEqual({
      slotDurationMs: 2000,
    });
  });

  it("rejects more validators than the devnet has, or ports past 65535, with a typed error", async () => {
    await expect(plan(5)).rejects.toThrow(DevnetError);
    await expect(plan(0)).rejects.toMatchObject({ type: { code: "DEVNET_ERROR_TOO_MANY_VALIDATORS", max: 4 } });
    await expect(plan(4, { rpcPort: 65534 })).rejects.toMatchObject({ type: { code: "DEVNET_ERROR_PORT_RANGE" } });
  });

  it("prints every endpoint in the table", async () => {
    const nodes = await plan(4);
    const table = endpointsTable(nodes);
    for (const n of nodes) {
      expect(table).toContain(n.rpcUrl);
      expect(table).toContain(n.multiaddr);
    }
  });
});

describe("devnet command line", () => {
  function parseDevnet(args: string[]): Record<string, unknown> {
    const program = buildProgram().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    const devnet = program.commands.find((c) => c.name() === "devnet")!;
    devnet.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    let seen: Record<string, unknown> | undefined;
    devnet.action((opts: Record<string, unknown>) => {
      seen = opts;
    });
    program.parse(["devnet", ...args], { from: "user" });
    return seen!;
  }

  it("is registered, with Substrate-like defaults", () => {
    expect(parseDevnet(["--validators", "4"])).toEqual({
      validators: 4,
      rpcPort: 9944,
      p2pPort: 30333,
      prometheus: true,
      prometheusPort: 9615,
      chain: "devnet",
      workers: 0,
      evaluators: 0,
      inference: 0,
    });
    expect(parseDevnet(["--validators", "2", "--prometheus-port", "9700"])).toMatchObject({ prometheusPort: 9700 });
    expect(parseDevnet(["--validators", "2", "--no-prometheus"])).toMatchObject({ prometheus: false });
    expect(
      parseDevnet([
        "--validators",
        "2",
        "--base-dir",
        "/x",
        "--rpc-port",
        "8000",
        "--p2p-port",
        "31000",
        "--block-time",
        "500",
      ]),
    ).toMatchObject({ validators: 2, baseDir: "/x", rpcPort: 8000, p2pPort: 31000, blockTime: 500 });
  });

  it("rejects a missing, zero or too large --validators with a clear message", () => {
    expect(() => parseDevnet([])).toThrow(/--validators/);
    expect(() => parseDevnet(["--validators", "0"])).toThrow(/positive integer/);
    expect(() => parseDevnet(["--validators", "5"])).toThrow(/at most 4/);
    expect(() => parseDevnet(["--validators", "2", "--rpc-port", "70000"])).toThrow(/port number/);
  });
});

/**
 * A stand-in for `tensorchain`: prints its name, exits with code 3 after 300 ms when it is Bob, ignores
 * SIGTERM when it is Charlie and `--stubborn` is given, otherwise exits 0 on SIGTERM.
 */
const STUB = `
const args = process.argv.slice(1);
const name = args[args.indexOf("--name") + 1];
// The handler goes in before "up" is printed: the test stops the nodes as soon as it reads that line.
process.on("SIGTERM", () => {
  if (name === "Charlie" && args.includes("--stubborn")) return;
  console.log("bye " + name);
  process.exit(0);
});
console.log("up " + name);
console.error("stderr of " + name);
if (name === "Bob") setTimeout(() => process.exit(3), 300);
setInterval(() => {}, 1000);
`;

function stubbed(nodes: DevnetNodePlan[], extraArg?: string): DevnetNodePlan[] {
  return nodes.map((n) => ({ ...n, args: extraArg ? [...n.args, extraArg] : n.args }));
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("devnet supervision", () => {
  it("forwards prefixed output, reports an unexpected exit, keeps the others, and stops them all", async () => {
    const nodes = stubbed(await plan(3, { baseDir: join(dir, "run1") }));
    const lines: string[] = [];
    const exits: DevnetExit[] = [];
    const devnet = startDevnet(nodes, {
      command: [process.execPath, "-e", STUB, "--"],
      write: (l) => lines.push(l),
      onExit: (e) => exits.push(e),
    });
    await until(() => exits.length === 1);
    expect(exits[0]).toMatchObject({ name: "Bob", code: 3, expected: false });
    expect(lines).toContain("[Bob    ] exited unexpectedly (code 3)");
    await until(() => lines.includes("[Alice  ] up Alice") && lines.includes("[Charlie] up Charlie"));
    expect(lines).toContain("[Alice  ] stderr of Alice");
    const all = await devnet.stop();
    expect(all.map((e) => [e.name, e.code, e.expected])).toEqual([
      ["Alice", 0, true],
      ["Bob", 3, false],
      ["Charlie", 0, true],
    ]);
    expect(lines).toContain("[Alice  ] bye Alice");
    expect(readFileSync(join(nodes[0].basePath, "node.log"), "utf8")).toBe("up Alice\nstderr of Alice\nbye Alice\n");
  }, 30_000);

  it("kills a node that ignores SIGTERM after the grace period", async () => {
    const nodes = stubbed(await plan(3, { baseDir: join(dir, "run2") }), "--stubborn").filter((n) => n.name !== "Bob");
    const lines: string[] = [];
    const devnet = startDevnet(nodes, {
      command: [process.execPath, "-e", STUB, "--"],
      write: (l) => lines.push(l),
      logFiles: false,
      stopGraceMs: 2000,
    });
    await until(() => lines.filter((l) => l.includes(" up ")).length === 2);
    const all = await devnet.stop();
    expect(all.find((e) => e.name === "Charlie")).toMatchObject({ signal: "SIGKILL", expected: true });
    expect(all.find((e) => e.name === "Alice")).toMatchObject({ code: 0, expected: true });
  }, 30_000);
});
