/**
 * p2p hosts in separate processes: two child processes running test/fixtures/p2p/peer.mjs against
 * the compiled dist/, and one host in this process, over TCP on 127.0.0.1.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { devNodeKey } from "../../p2p/nodeKey.js";
import { GENESIS, startHost, stopAll, type TestHost, toyBlock, waitFor } from "../unit/p2p/hosts.js";

const ROOT = resolve(import.meta.dirname, "../..");
const NODE = join(ROOT, "node_modules/.bin/node");
const ALICE_PEER_ID = "12D3KooWJSPAW4XzxnyjwQNyFbFYMNJvdBx3K58uGzzz36VAbpJJ";

interface Child {
  proc: ChildProcessWithoutNullStreams;
  events: Array<Record<string, unknown>>;
  stderr: string;
}

function spawnPeer(args: { nodeKey: string; bootnodes: string[]; best: number }): Child {
  const proc = spawn(
    NODE,
    [
      join(ROOT, "test/fixtures/p2p/peer.mjs"),
      JSON.stringify({ ...args, genesis: Buffer.from(GENESIS).toString("hex") }),
    ],
    { cwd: ROOT, stdio: "pipe" },
  );
  const child: Child = { proc, events: [], stderr: "" };
  let buf = "";
  proc.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      child.events.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
    }
  });
  proc.stderr.on("data", (d: Buffer) => {
    child.stderr += d.toString();
  });
  return child;
}

async function ready(child: Child): Promise<{ peerId: string; addr: string }> {
  await waitFor(`child ready (stderr: ${child.stderr})`, () => child.events.some((e) => e.event === "ready"), 20_000);
  const e = child.events.find((x) => x.event === "ready") as { peerId: string; addrs: string[] };
  return { peerId: e.peerId, addr: e.addrs.find((a) => a.startsWith("/ip4/127.0.0.1/"))! };
}

/** Compiles p2p/ (and the primitives it imports) into dist/, so the fixture runs the current sources. */
function compileP2p(): void {
  const config = join(tmpdir(), `tsconfig.p2p.${process.pid}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(ROOT, "tsconfig.build.json"),
      compilerOptions: {
        incremental: false,
        outDir: join(ROOT, "dist"),
        rootDir: ROOT,
        noEmitOnError: false,
        typeRoots: [join(ROOT, "node_modules/@types")],
      },
      include: [join(ROOT, "p2p")],
    }),
  );
  execFileSync(NODE, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", config], { cwd: ROOT, stdio: "pipe" });
}

const children: Child[] = [];
let local: TestHost | undefined;

beforeAll(() => {
  compileP2p();
}, 60_000);

afterAll(async () => {
  await stopAll([local]);
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((done) => {
          if (c.proc.exitCode !== null) return done();
          const timer = setTimeout(() => c.proc.kill("SIGKILL"), 3000);
          c.proc.once("exit", () => {
            clearTimeout(timer);
            done();
          });
          c.proc.kill("SIGTERM");
        }),
    ),
  );
});

describe("p2p hosts in separate processes", () => {
  it("handshake, block requests and gossip across processes", async () => {
    const alice = spawnPeer({ nodeKey: Buffer.from(devNodeKey("//Alice")).toString("hex"), bootnodes: [], best: 42 });
    children.push(alice);
    const a = await ready(alice);
    // The devnet's fixed bootnode id: //Alice's dev node key gives the same peer id in any process.
    expect(a.peerId).toBe(ALICE_PEER_ID);

    const bob = spawnPeer({ nodeKey: Buffer.from(devNodeKey("//Bob")).toString("hex"), bootnodes: [a.addr], best: 40 });
    children.push(bob);
    const b = await ready(bob);
    await waitFor("bob's handshake with alice", () =>
      bob.events.some((e) => e.event === "status" && e.peerId === a.peerId && e.best === 42),
    );

    local = await startHost({ bootnodes: [a.addr] });
    const host = local.host;
    await waitFor("local handshake with alice", () => host.peers().some((p) => p.peerId === a.peerId));
    expect(host.peers().find((p) => p.peerId === a.peerId)).toMatchObject({
      best: { number: 42 },
      finalized: { number: 41 },
    });
    await waitFor("alice saw the local status", () =>
      alice.events.some((e) => e.event === "status" && e.peerId === local?.id && e.best === 10),
    );

    const blocks = await host.requestBlocks(a.peerId, { from: 40, direction: "ascending", max: 10 });
    expect(blocks.map((x) => x.hash[0])).toEqual([40, 41, 42]);
    expect(blocks[1]).toEqual({ hash: toyBlock(41).hash, header: toyBlock(41).header, body: toyBlock(41).body });

    // Gossip from this process reaches alice (directly) and bob (through alice's mesh, or directly).
    const topic = host.topics.blocks;
    await waitFor("alice on the blocks topic", () => host.topicPeers(topic).includes(a.peerId));
    await waitFor("alice's echo topic", () => host.topicPeers(host.topics.transactions).includes(a.peerId));
    await new Promise((r) => setTimeout(r, 1200)); // one gossipsub heartbeat, so alice's mesh holds bob
    await host.publish(topic, new Uint8Array([1, 2, 3]));
    await waitFor("alice got the gossip", () => alice.events.some((e) => e.event === "gossip" && e.data === "010203"));
    await waitFor("bob got the gossip", () => bob.events.some((e) => e.event === "gossip" && e.data === "010203"));
    // Alice echoes it on the transactions topic; it comes back to this process.
    await waitFor("echo from alice", () =>
      local!.chain.gossip.some(
        (g) => g.topic === host.topics.transactions && Buffer.from(g.data).toString("hex") === "ee010203",
      ),
    );
    expect(b.peerId).not.toBe(a.peerId);
  });
});
