/**
 * The slot duration comes from the chain spec: `build-spec` output with `babe.slotDurationMs` set to
 * 250 starts a BABE validator (a one-validator `Local` chain, so the network path runs: BABE slots,
 * GRANDPA) that authors a block every 250 ms, with timestamps on the 250 ms slot grid.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../primitives/hashing.js";
import { fromHex, toHex } from "../../primitives/hex.js";
import { T } from "../../primitives/scale/types.js";
import { Timestamp } from "../../runtime/pallets/timestamp.js";
import { CLI, freePort, NODE_BIN, type RunningNode, rpcResult, startNode, waitFor } from "../helpers/node.js";

const SLOT_MS = 250;
let dir: string;
let node: RunningNode | undefined;

const rpc = <T>(method: string, params: unknown[] = []) => rpcResult<T>(node!.httpUrl, method, params);

const bestNumber = async () => Number((await rpc<{ number: string }>("chain_getHeader")).number);

async function timestampAt(n: number): Promise<bigint> {
  const hash = await rpc<string>("chain_getBlockHash", [n]);
  const raw = await rpc<string>("state_getStorage", [toHex(Timestamp.storage.Now.key), hash]);
  return T.u64.dec(fromHex(raw as `0x${string}`));
}

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-slot-"));
});

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("slot duration from the chain spec", () => {
  it("a spec with babe.slotDurationMs = 250 authors a BABE block every 250 ms", async () => {
    const spec = JSON.parse(execFileSync(NODE_BIN, [CLI, "build-spec", "--chain", "dev"], { encoding: "utf8" }));
    expect(spec.genesis.runtimeGenesis.config.babe).toEqual({ slotDurationMs: 2000 });
    spec.genesis.runtimeGenesis.config.babe.slotDurationMs = SLOT_MS;
    spec.chainType = "Local"; // a networked validator (BABE + GRANDPA), not the dev chain's authoring
    spec.id = "fast_slots";
    const file = join(dir, "fast.json");
    writeFileSync(file, JSON.stringify(spec));
    const p2pPort = await freePort();
    node = await startNode([
      "--chain",
      file,
      "--alice",
      "--base-path",
      join(dir, "alice"),
      "--listen-addr",
      `/ip4/127.0.0.1/tcp/${p2pPort}`,
      "--log",
      "warn",
    ]);
    const start = await waitFor(async () => ((await bestNumber()) >= 3 ? await bestNumber() : undefined), 20_000);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const end = await bestNumber();
    const perSecond = (end - start) / ((Date.now() - t0) / 1000);
    // 4 blocks/s expected; 2 s slots would give 0.5.
    expect(perSecond).toBeGreaterThan(2.5);
    expect(perSecond).toBeLessThan(4.5);
    // Timestamps sit on the slot grid, one slot apart when every slot has a block.
    const stamps = await Promise.all([end - 2, end - 1, end].map(timestampAt));
    for (const t of stamps) expect(t % BigInt(SLOT_MS)).toBe(0n);
    expect(stamps[2] - stamps[0]).toBeGreaterThanOrEqual(BigInt(2 * SLOT_MS));
    expect(stamps[2] - stamps[0]).toBeLessThan(BigInt(6 * SLOT_MS));
    // The lone validator finalizes its blocks.
    await waitFor(
      async () => {
        const hash = await rpc<string>("chain_getFinalizedHead");
        return Number((await rpc<{ number: string }>("chain_getHeader", [hash])).number) >= start;
      },
      10_000,
      "finality",
    );
  }, 60_000);
});
