/**
 * docker-compose.yml and the Dockerfile describe the devnet `tensorchain devnet` starts: the compose file
 * is exactly what `tensorchain devnet … --compose` prints (the command is in its header), every service's
 * command line is one the real CLI parser accepts, every bootnode's peer id is the one its node key
 * gives, and the worker and evaluator work keys are funded in the chain spec the `chain-spec` service
 * writes. (Docker itself is not run here.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Command } from "commander";
import { parse } from "yaml";
import { devnetChainSpec, planDevnet, runDevnet } from "../../../cli/commands/devnet.js";
import {
  COMPOSE_SPEC_READ_PATH,
  COMPOSE_SPEC_WRITE_PATH,
  DEFAULT_COMPOSE,
  devnetCompose,
} from "../../../cli/commands/devnetCompose.js";
import { devKeyFlag, parseRunFlags, type RunFlags } from "../../../cli/commands/run.js";
import { buildProgram } from "../../../cli/index.js";
import {
  type ChainSpec,
  DEV_ENDOWMENT,
  DEVNET_VALIDATORS,
  devAddress,
  devNodeKey,
  devPeerId,
  loadChainSpec,
} from "../../../genesis/chainSpec.js";
import { parsePeerMultiaddr, peerIdFromNodeKey } from "../../../p2p/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { REPO_ROOT } from "../../helpers/node.js";

interface ComposeService {
  build?: string | { context: string };
  image?: string;
  restart?: string;
  command: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");
let text: string;
let compose: ComposeFile;
let dir: string;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The devnet's nodes as compose services, in the order the native devnet numbers them. */
const VALIDATORS = DEVNET_VALIDATORS.slice(0, DEFAULT_COMPOSE.validators);
const WORKERS = Array.from({ length: DEFAULT_COMPOSE.workers }, (_, i) => `Worker${i + 1}`);
const EVALUATORS = Array.from({ length: DEFAULT_COMPOSE.evaluators }, (_, i) => `Evaluator${i + 1}`);
const NODES = [...VALIDATORS, ...WORKERS, ...EVALUATORS];
const nameOf = (service: string) => NODES.find((n) => n.toLowerCase() === service)!;

beforeAll(async () => {
  await cryptoReady();
  text = read("docker-compose.yml");
  compose = parse(text, { merge: true }) as ComposeFile;
  dir = mkdtempSync(join(tmpdir(), "tc-compose-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Parses `args` with the whole `tensorchain` program (its run action replaced), as the binary would. */
function parseWithProgram(args: string[]): Record<string, unknown> {
  const program = buildProgram().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  let seen: Record<string, unknown> | undefined;
  program.action((opts: Record<string, unknown>) => {
    seen = opts;
  });
  program.parse(args, { from: "user" });
  if (!seen) throw new Error("the run action did not run");
  return seen;
}

/** Parses `args` (`devnet …`) with the whole program; returns the devnet command's flags. */
function parseDevnet(args: string[]): Parameters<typeof runDevnet>[0] {
  const program = buildProgram().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  const devnet = program.commands.find((c: Command) => c.name() === "devnet")!;
  let seen: Parameters<typeof runDevnet>[0] | undefined;
  devnet.action((opts: Parameters<typeof runDevnet>[0]) => {
    seen = opts;
  });
  program.parse(args, { from: "user" });
  if (!seen) throw new Error("the devnet action did not run");
  return seen;
}

const balancesOf = (spec: ChainSpec) =>
  "runtimeGenesis" in spec.genesis ? spec.genesis.runtimeGenesis.config.balances.balances : [];

describe("docker-compose.yml", () => {
  it("is what the `tensorchain devnet … --compose` command in its header prints", async () => {
    const m = /`npx tensorchain (devnet [^`]*--compose) > docker-compose\.yml`/.exec(text);
    expect(m).not.toBeNull();
    const flags = parseDevnet(m![1].split(" "));
    expect(flags).toMatchObject({ ...DEFAULT_COMPOSE, compose: true });
    expect(text).toBe(await devnetCompose(DEFAULT_COMPOSE));
  });

  it("has the one-shot chain-spec service and one service per node of the native devnet, in its order", async () => {
    expect(Object.keys(compose.services)).toEqual(["chain-spec", ...NODES.map((n) => n.toLowerCase())]);
    // The native devnet with the same flags starts the same nodes, with the same identities.
    const native = await planDevnet({ ...DEFAULT_COMPOSE, baseDir: dir, p2pPort: 30333 });
    expect(native.map((n) => n.name)).toEqual(NODES);
    for (const node of native) {
      const a = parseRunFlags(node.args);
      const b = parseRunFlags(compose.services[node.name.toLowerCase()].command);
      for (const k of ["name", "validator", "worker", "evaluator", "workerSuri", "nodeKey"] as const)
        expect([k, b[k]]).toEqual([k, a[k]]);
      expect(devKeyFlag(b)).toBe(devKeyFlag(a));
      const ids = (f: RunFlags) => (f.bootnodes ?? []).map((x) => x.split("/p2p/")[1]).sort();
      expect(ids(b)).toEqual(ids(a));
    }
  });

  for (const name of VALIDATORS) {
    const service = name.toLowerCase();

    it(`${service}: its command line is accepted by the CLI parser and means what it should`, () => {
      const { command } = compose.services[service];
      expect(Array.isArray(command) && command.every((a) => typeof a === "string")).toBe(true);
      const flags: RunFlags = parseRunFlags(command);
      expect(flags).toMatchObject({
        chain: COMPOSE_SPEC_READ_PATH,
        validator: true,
        name,
        basePath: "/data",
        port: 30333,
        rpcPort: 9944,
        rpcExternal: true,
        rpcMethods: "safe",
        nodeKey: hex(devNodeKey(name)),
      });
      expect(devKeyFlag(flags)).toBe(name);
      expect(flags.dev).toBeUndefined();
      expect(flags.worker).toBeUndefined();
      // The whole program (sub-commands included) reads it as the run command too.
      expect(parseWithProgram(command)).toMatchObject({
        chain: COMPOSE_SPEC_READ_PATH,
        nodeKey: hex(devNodeKey(name)),
      });
    });
  }

  for (const name of [...WORKERS, ...EVALUATORS]) {
    const service = name.toLowerCase();
    const role = name.startsWith("Worker") ? "worker" : "evaluator";

    it(`${service}: ${role === "worker" ? "a worker" : "an evaluator"} full node with its own work key, accepted by the CLI parser`, () => {
      const { command } = compose.services[service];
      const flags = parseRunFlags(command);
      expect(flags).toMatchObject({
        chain: COMPOSE_SPEC_READ_PATH,
        [role]: true,
        workerSuri: `//${name}`,
        name,
        basePath: "/data",
        port: 30333,
        rpcPort: 9944,
        rpcExternal: true,
        rpcMethods: "safe",
        nodeKey: hex(devNodeKey(name)),
      });
      expect(flags[role === "worker" ? "evaluator" : "worker"]).toBeUndefined();
      expect(flags.validator).toBeUndefined();
      expect(devKeyFlag(flags)).toBeUndefined();
      expect(parseWithProgram(command)).toMatchObject({ [role]: true, workerSuri: `//${name}` });
    });
  }

  for (const name of NODES) {
    const service = name.toLowerCase();
    const isValidator = (VALIDATORS as readonly string[]).includes(name);

    it(`${service}: bootnodes are ${isValidator ? "the other validators" : "every validator"}, by hostname, with the peer ids of their node keys`, async () => {
      const flags = parseRunFlags(compose.services[service].command);
      const expected = VALIDATORS.map((n) => n.toLowerCase()).filter((s) => s !== service);
      expect(flags.bootnodes?.length).toBe(expected.length);
      const hosts: string[] = [];
      for (const addr of flags.bootnodes ?? []) {
        const m = /^\/dns4\/([a-z0-9]+)\/tcp\/30333\/p2p\/(12D3KooW[1-9A-HJ-NP-Za-km-z]+)$/.exec(addr);
        expect(m).not.toBeNull();
        const [, host, id] = m!;
        hosts.push(host);
        expect(id).toBe(await devPeerId(nameOf(host)));
        // The same id as libp2p derives from the secret the other service is started with.
        const theirKey = parseRunFlags(compose.services[host].command).nodeKey!;
        const fromKey = (await peerIdFromNodeKey(Buffer.from(theirKey, "hex"))).toString();
        expect(parsePeerMultiaddr(addr).peerId.toString()).toBe(fromKey);
      }
      expect(hosts.sort()).toEqual(expected.sort());
    });

    it(`${service}: publishes its RPC and metrics on 127.0.0.1, keeps its base path on its own volume, reads the devnet's spec`, () => {
      const s = compose.services[service];
      const i = NODES.indexOf(name);
      expect(s.ports).toEqual([`127.0.0.1:${9944 + i}:9944`, `127.0.0.1:${9615 + i}:9615`]);
      // Metrics on the container's 9615, for all interfaces of the container (published to 127.0.0.1 only).
      expect(parseRunFlags(s.command)).toMatchObject({
        prometheus: true,
        prometheusPort: 9615,
        prometheusExternal: true,
      });
      expect(s.volumes).toEqual([
        `${service}-data:/data`,
        `chain-spec:${COMPOSE_SPEC_READ_PATH.replace(/\/[^/]*$/, "")}:ro`,
      ]);
      expect(Object.keys(compose.volumes ?? {})).toContain(`${service}-data`);
      expect(s.depends_on).toEqual({ "chain-spec": { condition: "service_completed_successfully" } });
      expect(s.build).toBe(".");
      expect(s.restart).toBe("unless-stopped");
    });
  }

  it("chain-spec: writes the native devnet's spec, in which every work key is funded, and exits", async () => {
    const s = compose.services["chain-spec"];
    expect(s.restart).toBe("no");
    expect(s.build).toBe(".");
    expect(s.volumes).toEqual([`chain-spec:${COMPOSE_SPEC_WRITE_PATH.replace(/\/[^/]*$/, "")}`]);
    expect(Object.keys(compose.volumes ?? {})).toContain("chain-spec");
    const flags = parseDevnet(s.command);
    expect(flags).toMatchObject({
      validators: DEFAULT_COMPOSE.validators,
      workers: DEFAULT_COMPOSE.workers,
      evaluators: DEFAULT_COMPOSE.evaluators,
      chain: "devnet",
      writeChainSpec: COMPOSE_SPEC_WRITE_PATH,
    });
    expect(flags.compose).toBeUndefined();
    // Run it, writing here instead of in the container's volume.
    const file = join(dir, "chain-spec.json");
    expect(await runDevnet({ ...flags, writeChainSpec: file })).toBe(0);
    const written = JSON.parse(readFileSync(file, "utf8")) as ChainSpec;
    // The same spec the native `tensorchain devnet --workers 2 --evaluators 1` writes for its nodes.
    expect(written).toEqual(JSON.parse(JSON.stringify(devnetChainSpec(loadChainSpec("devnet"), DEFAULT_COMPOSE))));
    const balances = new Map(balancesOf(written).map(([a, v]) => [a, String(v)]));
    for (const name of [...WORKERS, ...EVALUATORS]) {
      const suri = parseRunFlags(compose.services[name.toLowerCase()].command).workerSuri!;
      expect([name, balances.get(devAddress(suri.slice(2)))]).toEqual([name, DEV_ENDOWMENT.toString()]);
    }
  });

  it("a devnet without workers or evaluators runs the built-in spec, with no chain-spec service", async () => {
    const small = parse(await devnetCompose({ ...DEFAULT_COMPOSE, validators: 2, workers: 0, evaluators: 0 }), {
      merge: true,
    }) as ComposeFile;
    expect(Object.keys(small.services)).toEqual(["alice", "bob"]);
    expect(parseRunFlags(small.services.bob.command)).toMatchObject({ chain: "devnet", name: "Bob" });
    expect(small.services.bob.volumes).toEqual(["bob-data:/data"]);
    expect(small.services.bob.depends_on).toBeUndefined();
    const quiet = parse(await devnetCompose({ ...DEFAULT_COMPOSE, prometheusPort: undefined }), {
      merge: true,
    }) as ComposeFile;
    expect(parseRunFlags(quiet.services.alice.command).prometheus).toBe(false);
    expect(quiet.services.alice.ports).toEqual(["127.0.0.1:9944:9944"]);
    await expect(devnetCompose({ ...DEFAULT_COMPOSE, chain: "./my-spec.json" })).rejects.toMatchObject({
      type: { code: "DEVNET_ERROR_COMPOSE_CHAIN" },
    });
  });
  it("--inference P adds provider services (--inference, own work key) after the evaluators", async () => {
    const text = await devnetCompose({ ...DEFAULT_COMPOSE, validators: 2, workers: 0, evaluators: 0, providers: 2 });
    expect(text).toContain("devnet --validators 2 --inference 2");
    const file = parse(text, { merge: true }) as ComposeFile;
    expect(Object.keys(file.services)).toEqual(["chain-spec", "alice", "bob", "provider1", "provider2"]);
    expect(parseRunFlags(file.services.provider2.command)).toMatchObject({
      inference: true,
      workerSuri: "//Provider2",
      name: "Provider2",
    });
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const instructions = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("builds on node:22-slim with npm ci and the build script, and runs bin/tensorchain.js", () => {
    expect(instructions.filter((l) => l.startsWith("FROM ")).every((l) => /^FROM node:22-slim\b/.test(l))).toBe(true);
    expect(instructions.some((l) => /^RUN npm ci\b/.test(l))).toBe(true);
    expect(instructions.some((l) => /^RUN npm run build\b/.test(l))).toBe(true);
    expect(instructions).toContain('ENTRYPOINT ["node", "bin/tensorchain.js"]');
    expect(existsSync(join(REPO_ROOT, "bin", "tensorchain.js"))).toBe(true);
  });

  it("copies what npm ci reads before the sources, and .dockerignore keeps local builds out", () => {
    const copy = instructions.find((l) => l.startsWith("COPY package.json"));
    for (const f of ["package.json", "package-lock.json", ".npmrc"]) {
      expect(copy).toContain(f);
      expect(existsSync(join(REPO_ROOT, f))).toBe(true);
    }
    const ignored = read(".dockerignore").split("\n");
    for (const path of ["node_modules", "dist", ".git"]) expect(ignored).toContain(path);
  });

  it("its default command is one the CLI accepts", () => {
    const cmd = instructions.find((l) => l.startsWith("CMD "))!;
    const args = JSON.parse(cmd.slice(4)) as string[];
    expect(parseRunFlags(args)).toMatchObject({ dev: true, basePath: "/data", rpcExternal: true });
  });
});
