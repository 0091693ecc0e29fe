/**
 * Durability: a node restarted on its base path continues where it stopped, and `kill -9` at any
 * moment of authoring never leaves a database that fails to open or a best block whose state root
 * does not match its state.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { genesisStorageOf, loadChainSpec } from "../../genesis/chainSpec.js";
import { Chain } from "../../node/chain/chain.js";
import { ChainDb } from "../../node/db/chainDb.js";
import { defaultSignatureChecker } from "../../primitives/crypto/index.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { nullLogger } from "../../primitives/logger.js";
import { buildRuntime } from "../../runtime/index.js";
import { rpcCall, startNode } from "../helpers/node.js";

let base: string;

// The dev chain's genesis (its `:code` names the runtime) as the node builds it: with the dev runtime.
buildRuntime({ sudo: true });

beforeAll(async () => {
  await cryptoReady();
  base = mkdtempSync(join(tmpdir(), "tc-durability-"));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/** Opens the chain the way the node does; throws if the database is corrupt or inconsistent. */
async function openChain(basePath: string): Promise<{ best: number; root: string }> {
  const db = await ChainDb.open(join(basePath, "chains", "dev", "db"));
  try {
    const chain = await Chain.open(
      { db, logger: nullLogger, signatures: defaultSignatureChecker },
      genesisStorageOf(loadChainSpec("dev")),
    );
    const state = await chain.stateAt(chain.best.hash);
    expect(Buffer.from(state.root).equals(Buffer.from(chain.best.header.stateRoot))).toBe(true);
    return { best: chain.best.number, root: Buffer.from(state.root).toString("hex") };
  } finally {
    await db.close();
  }
}

const BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";

describe("durability", () => {
  it("restarts on the same base path with the same best block and balances", async () => {
    const dir = join(base, "restart");
    const first = await startNode(["--dev", "--base-path", dir, "--sealing", "manual"]);
    for (let i = 0; i < 3; i++) await rpcCall(first.httpUrl, "engine_createBlock", [true, true]);
    const bestBefore = (await rpcCall(first.httpUrl, "chain_getHeader")).result as {
      number: string;
      stateRoot: string;
    };
    const key = (
      await rpcCall(first.httpUrl, "state_getKeysPaged", [
        "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9",
        10,
      ])
    ).result as string[];
    const balancesBefore = await Promise.all(
      key.map(async (k) => (await rpcCall(first.httpUrl, "state_getStorage", [k])).result),
    );
    expect(await first.stop("SIGTERM")).toBe(0);

    const second = await startNode(["--dev", "--base-path", dir, "--sealing", "manual"]);
    try {
      const bestAfter = (await rpcCall(second.httpUrl, "chain_getHeader")).result as {
        number: string;
        stateRoot: string;
      };
      expect(bestAfter).toEqual(bestBefore);
      const balancesAfter = await Promise.all(
        key.map(async (k) => (await rpcCall(second.httpUrl, "state_getStorage", [k])).result),
      );
      expect(balancesAfter).toEqual(balancesBefore);
      await rpcCall(second.httpUrl, "engine_createBlock", [true, true]);
      const next = (await rpcCall(second.httpUrl, "chain_getHeader")).result as { number: string };
      expect(Number(next.number)).toBe(Number(bestBefore.number) + 1);
      void BOB;
    } finally {
      await second.stop();
    }
  }, 60_000);

  it("survives kill -9 at random moments during authoring, 20 times", async () => {
    const dir = join(base, "kill");
    let seed = 0x2545f491;
    const nextDelay = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return 150 + (seed % 700);
    };
    let lastBest = 0;
    for (let i = 0; i < 20; i++) {
      const node = await startNode(["--dev", "--base-path", dir, "--dev-block-time", "50", "--log", "warn"]);
      await new Promise((r) => setTimeout(r, nextDelay()));
      await node.stop("SIGKILL");
      const { best } = await openChain(dir);
      expect(best).toBeGreaterThanOrEqual(lastBest);
      lastBest = best;
    }
    expect(lastBest).toBeGreaterThan(0);
  }, 240_000);
});
