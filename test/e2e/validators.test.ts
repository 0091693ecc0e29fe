/**
 * A 4-validator devnet of real processes on 127.0.0.1 (the `devnet` spec: //Alice, //Bob, //Charlie,
 * //Dave): BABE block production by every validator, GRANDPA finality agreed by all, finality lag at
 * steady state, finality going on with one validator down, which then restarts and catches up, and
 * finality stalling with two down and resuming within 2 rounds once they restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { BABE_ENGINE_ID, PreDigest } from "../../consensus/babe/index.js";
import { GrandpaJustification } from "../../consensus/grandpa/index.js";
import { DEVNET_VALIDATORS } from "../../genesis/chainSpec.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { bytesEqual, fromHex } from "../../primitives/hex.js";
import { DigestItem } from "../../primitives/types.js";
import {
  bestNumber,
  devNodeSpec,
  finalizedNumber,
  type NetworkNodeSpec,
  networkNodeArgs,
  type RunningNode,
  rpc,
  startNetwork,
  startNode,
  waitFor,
} from "../helpers/node.js";

let dir: string;
let specs: NetworkNodeSpec[];
let nodes: (RunningNode | undefined)[];

/** The BABE authority index of the author of block `n` (canonical chain of `node`). */
async function authorAt(node: RunningNode, n: number): Promise<number> {
  const hash = await rpc<string>(node, "chain_getBlockHash", [n]);
  const header = await rpc<{ digest: { logs: string[] } }>(node, "chain_getHeader", [hash]);
  for (const log of header.digest.logs) {
    const item = DigestItem.dec(fromHex(log as `0x${string}`));
    if (item.tag === "PreRuntime" && bytesEqual(item.value[0], BABE_ENGINE_ID))
      return PreDigest.dec(item.value[1]).value.authority_index;
  }
  throw new Error(`block ${n} has no BABE pre-digest`);
}

const running = () => nodes.filter((n): n is RunningNode => n !== undefined);

/** Every pair of running nodes has the same canonical hash at each height both have finalized. */
async function assertSameFinalized(from = 1): Promise<number> {
  const live = running();
  const finalized = await Promise.all(live.map(finalizedNumber));
  const shared = Math.min(...finalized);
  for (let n = from; n <= shared; n++) {
    const hashes = await Promise.all(live.map((node) => rpc<string>(node, "chain_getBlockHash", [n])));
    expect(new Set(hashes).size).toBe(1);
  }
  return shared;
}

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-validators-"));
  specs = await Promise.all(DEVNET_VALIDATORS.map((name) => devNodeSpec(name, dir)));
  nodes = await startNetwork(specs);
}, 60_000);

afterAll(async () => {
  await Promise.all(running().map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe("4 validators", () => {
  it("all author blocks, finalize the same blocks, with finality lag ≤ 3 at steady state", async () => {
    const live = running();
    // Peers found each other.
    await waitFor(
      async () => {
        const health = await Promise.all(live.map((n) => rpc<{ peers: number }>(n, "system_health")));
        return health.every((h) => h.peers === 3) || undefined;
      },
      20_000,
      "3 peers each",
    );
    // Every validator authors: collect authors along the finalized chain until all four appear.
    const authors = new Set<number>();
    let scanned = 0;
    await waitFor(
      async () => {
        const f = await finalizedNumber(live[0]!);
        for (; scanned < f; scanned++) authors.add(await authorAt(live[0]!, scanned + 1));
        return (authors.size === 4 && f >= 6) || undefined;
      },
      90_000,
      "blocks by all 4 validators",
    );
    expect([...authors].sort()).toEqual([0, 1, 2, 3]);
    // Steady state: finality lag.
    for (let i = 0; i < 3; i++) {
      const lags = await Promise.all(live.map(async (n) => (await bestNumber(n)) - (await finalizedNumber(n))));
      for (const lag of lags) expect(lag).toBeLessThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await assertSameFinalized()).toBeGreaterThanOrEqual(6);
  }, 120_000);

  it("one validator down: finality continues; restarted, it catches up", async () => {
    const dave = nodes[3]!;
    await dave.stop();
    nodes[3] = undefined;
    const before = Math.min(...(await Promise.all(running().map(finalizedNumber))));
    await waitFor(
      async () => (await Promise.all(running().map(finalizedNumber))).every((f) => f >= before + 3) || undefined,
      30_000,
      "finality with 3 of 4 validators",
    );
    await assertSameFinalized(Math.max(1, before - 5));

    nodes[3] = await startNode(networkNodeArgs(specs[3]!, specs));
    await waitFor(
      async () => {
        const [alice, restarted] = [nodes[0]!, nodes[3]!];
        const target = await finalizedNumber(alice);
        return (await finalizedNumber(restarted)) >= target || undefined;
      },
      40_000,
      "the restarted validator to catch up with finality",
    );
    await assertSameFinalized(Math.max(1, before - 5));
  }, 120_000);

  it("two validators down: blocks continue, finality stalls; restarted, finality resumes within 2 rounds", async () => {
    await Promise.all([nodes[2]!.stop(), nodes[3]!.stop()]);
    nodes[2] = undefined;
    nodes[3] = undefined;
    const alice = nodes[0]!;
    // Let votes in flight settle, then finality must not move while blocks do.
    await new Promise((r) => setTimeout(r, 3000));
    const [f0, b0] = [await finalizedNumber(alice), await bestNumber(alice)];
    await waitFor(async () => (await bestNumber(alice)) >= b0 + 3 || undefined, 30_000, "blocks from 2 validators");
    expect(await finalizedNumber(alice)).toBe(f0);
    const stuck = (await rpc<{ best: { round: number } }>(alice, "grandpa_roundState")).best.round;

    [nodes[2], nodes[3]] = await Promise.all([2, 3].map((i) => startNode(networkNodeArgs(specs[i]!, specs))));
    // The restarted voters catch up with the live round (gossip does not repeat old votes) and
    // finality resumes: the first block finalized after the stall carries a justification of the
    // round the live voters were stuck in or the next (the chaos suite's bound). A restarted voter
    // holds its prevote while it is far behind, so it does not prevote the stale best it came back with.
    await waitFor(async () => (await finalizedNumber(alice)) > f0 || undefined, 40_000, "finality to resume");
    let firstRound: number | undefined;
    for (let n = f0 + 1; firstRound === undefined; n++) {
      const hash = await rpc<string>(alice, "chain_getBlockHash", [n]);
      const block = await rpc<{ justifications: [string, string][] | null }>(alice, "chain_getBlock", [hash]);
      const grandpa = block.justifications?.find(([engine]) => engine === "0x46524e4b");
      if (grandpa) firstRound = Number(GrandpaJustification.dec(fromHex(grandpa[1] as `0x${string}`)).round);
    }
    expect(firstRound).toBeLessThanOrEqual(stuck + 1);
    const target = await bestNumber(alice);
    await waitFor(
      async () => (await Promise.all([nodes[2]!, nodes[3]!].map(bestNumber))).every((b) => b >= target) || undefined,
      60_000,
      "restarted validators to catch up",
    );
    const f1 = await finalizedNumber(alice);
    await waitFor(
      async () => (await Promise.all(running().map(finalizedNumber))).every((f) => f >= f1) || undefined,
      30_000,
      "every node to finalize past the stall",
    );
    await assertSameFinalized(Math.max(1, f0 - 5));
  }, 150_000);

  it("a full node started later syncs to the head with the same state root and follows finality", async () => {
    const full = await devNodeSpec("Eve", dir, "full");
    const eve = await startNode(networkNodeArgs(full, [...specs, full]));
    nodes.push(eve);
    expect(await rpc<string[]>(eve, "system_nodeRoles")).toEqual(["Full"]);
    const alice = nodes[0]!;
    const target = await bestNumber(alice);
    await waitFor(async () => (await bestNumber(eve)) >= target || undefined, 40_000, "the full node to sync");
    const f = await finalizedNumber(alice);
    await waitFor(
      async () => (await finalizedNumber(eve)) >= f || undefined,
      30_000,
      "the full node to follow finality",
    );
    const hash = await rpc<string>(alice, "chain_getBlockHash", [f]);
    const [a, e] = await Promise.all([alice, eve].map((n) => rpc<{ stateRoot: string }>(n, "chain_getHeader", [hash])));
    expect(e!.stateRoot).toBe(a!.stateRoot);
    expect(await rpc<string>(eve, "chain_getBlockHash", [f])).toBe(hash);
    const sync = await rpc<{ currentBlock: number; highestBlock: number }>(eve, "system_syncState");
    expect(sync.highestBlock - sync.currentBlock).toBeLessThanOrEqual(3);
  }, 90_000);
});
