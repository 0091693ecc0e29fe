/**
 * docker-compose.yml and the Dockerfile describe the same 4-validator devnet as `tensorchain devnet`:
 * every service's command line is one the real CLI parser accepts, and every bootnode's peer id is the
 * one its node key gives. (Docker itself is not run here.)
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { parse } from "yaml";
import { devKeyFlag, parseRunFlags, type RunFlags } from "../../../cli/commands/run.js";
import { buildProgram } from "../../../cli/index.js";
import { DEVNET_VALIDATORS, devNodeKey, devPeerId } from "../../../genesis/chainSpec.js";
import { parsePeerMultiaddr, peerIdFromNodeKey } from "../../../p2p/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { REPO_ROOT } from "../../helpers/node.js";

interface ComposeService {
  build?: string | { context: string };
  image?: string;
  command: string[];
  ports?: string[];
  volumes?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");
let compose: ComposeFile;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const nameOf = (service: string) => DEVNET_VALIDATORS.find((n) => n.toLowerCase() === service)!;

beforeAll(async () => {
  await cryptoReady();
  compose = parse(read("docker-compose.yml"), { merge: true }) as ComposeFile;
});

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

describe("docker-compose.yml", () => {
  it("has one service per devnet validator", () => {
    expect(Object.keys(compose.services).sort()).toEqual(DEVNET_VALIDATORS.map((n) => n.toLowerCase()).sort());
  });

  for (const name of DEVNET_VALIDATORS) {
    const service = name.toLowerCase();

    it(`${service}: its command line is accepted by the CLI parser and means what it should`, () => {
      const { command } = compose.services[service];
      expect(Array.isArray(command) && command.every((a) => typeof a === "string")).toBe(true);
      const flags: RunFlags = parseRunFlags(command);
      expect(flags).toMatchObject({
        chain: "devnet",
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
      // The whole program (sub-commands included) reads it as the run command too.
      expect(parseWithProgram(command)).toMatchObject({ chain: "devnet", nodeKey: hex(devNodeKey(name)) });
    });

    it(`${service}: bootnodes are the other services, by hostname, with the peer ids of their node keys`, async () => {
      const flags = parseRunFlags(compose.services[service].command);
      const others = Object.keys(compose.services).filter((s) => s !== service);
      expect(flags.bootnodes?.length).toBe(others.length);
      const hosts: string[] = [];
      for (const addr of flags.bootnodes ?? []) {
        const m = /^\/dns4\/([a-z]+)\/tcp\/30333\/p2p\/(12D3KooW[1-9A-HJ-NP-Za-km-z]+)$/.exec(addr);
        expect(m).not.toBeNull();
        const [, host, id] = m!;
        hosts.push(host);
        expect(others).toContain(host);
        expect(id).toBe(await devPeerId(nameOf(host)));
        // The same id as libp2p derives from the secret the other service is started with.
        const theirKey = parseRunFlags(compose.services[host].command).nodeKey!;
        const fromKey = (await peerIdFromNodeKey(Buffer.from(theirKey, "hex"))).toString();
        expect(parsePeerMultiaddr(addr).peerId.toString()).toBe(fromKey);
      }
      expect(hosts.sort()).toEqual(others.sort());
    });

    it(`${service}: publishes its RPC on 127.0.0.1 and keeps its base path on its own volume`, () => {
      const s = compose.services[service];
      const i = DEVNET_VALIDATORS.indexOf(name);
      expect(s.ports).toEqual([`127.0.0.1:${9944 + i}:9944`]);
      expect(s.volumes).toEqual([`${service}-data:/data`]);
      expect(Object.keys(compose.volumes ?? {})).toContain(`${service}-data`);
      expect(s.build).toBe(".");
    });
  }
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
