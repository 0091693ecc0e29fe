import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { type Chain, RUNTIME_VIEW_CACHE_SIZE } from "../../../../node/chain/chain.js";
import { RuntimeView } from "../../../../node/chain/runtimeView.js";
import type { BlockRef } from "../../../../node/chain/types.js";
import { defaultSignatureChecker, keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { UNITS } from "../../../../runtime/constants.js";
import { System } from "../../../../runtime/index.js";
import { closeChains, openChain, proposeTransfer } from "./helpers.js";

const alice = keypairFromSuri("//Alice");
const bob = keypairFromSuri("//Bob");

beforeAll(async () => {
  await cryptoReady();
});

afterEach(() => closeChains());

/** Authors and imports `count` blocks on the best block, each with one transfer of `n` UNITS (n = 1, 2, ...). */
async function extend(chain: Chain, count: number): Promise<BlockRef[]> {
  const refs: BlockRef[] = [];
  for (let i = 0; i < count; i++) {
    const nonce = (await chain.runtimeAt(chain.best.hash)).nonce(alice.publicKey);
    const p = await proposeTransfer(chain, nonce, BigInt(nonce + 1) * UNITS);
    expect(p.included).toHaveLength(1);
    refs.push(await chain.importBlock({ header: p.header, extrinsics: p.extrinsics }, "own", { executed: p.state }));
  }
  return refs;
}

/** Everything a service reads through a view, as plain values. */
function reads(view: RuntimeView) {
  return {
    block: view.block.hashHex,
    aliceNonce: view.nonce(alice.publicKey),
    bob: view.account(bob.publicKey),
    bobFree: view.freeBalance(bob.publicKey),
    timestamp: view.timestamp(),
    slotDuration: view.slotDuration(),
    grandpaSet: view.grandpaSet(),
    events: view.events().length,
    jobs: view.jobs(),
    workers: view.findWorkers(),
    accountKey: view.storage(System.storage.Account.keyFor(bob.publicKey)),
    version: toHex(view.call("Core_version", new Uint8Array())),
  };
}

describe("RuntimeView", () => {
  it("reads a block's own state: balances, nonces and timestamps move block by block", async () => {
    const chain = await openChain();
    const [b1, b2] = await extend(chain, 2);
    const v1 = await chain.runtimeAt(b1.hash);
    const v2 = await chain.runtimeAt(b2.hash);
    expect(v1.nonce(alice.publicKey)).toBe(1);
    expect(v2.nonce(alice.publicKey)).toBe(2);
    // Transfers of 1 and then 2 UNITS.
    expect(v1.freeBalance(bob.publicKey)).toBe(1n * UNITS);
    expect(v2.freeBalance(bob.publicKey)).toBe(3n * UNITS);
    expect(v1.timestamp()).toBe(1_002_000n);
    expect(v2.timestamp()).toBe(1_004_000n);
    expect(v2.events().map((e) => (e.event as { tag: string }).tag)).toContain("Balances");
  });

  it("keeps at most RUNTIME_VIEW_CACHE_SIZE views, and a cached view reads what a fresh one reads", async () => {
    const chain = await openChain();
    const refs = await extend(chain, RUNTIME_VIEW_CACHE_SIZE + 6);
    const cached = new Map<string, RuntimeView>();
    for (const ref of refs) {
      cached.set(ref.hashHex, await chain.runtimeAt(ref.hash));
      expect(chain.cachedViews).toBeLessThanOrEqual(RUNTIME_VIEW_CACHE_SIZE);
    }
    expect(chain.cachedViews).toBe(RUNTIME_VIEW_CACHE_SIZE);

    // A recent block is served from the cache: the same object.
    const last = refs[refs.length - 1];
    expect(await chain.runtimeAt(last.hash)).toBe(cached.get(last.hashHex));
    // The oldest was evicted: a new view, with the same answers.
    const first = refs[0];
    const again = await chain.runtimeAt(first.hash);
    expect(again).not.toBe(cached.get(first.hashHex));
    expect(reads(again)).toEqual(reads(cached.get(first.hashHex)!));

    // Every view equals one built from scratch on the block's state.
    for (const ref of [first, refs[10], last]) {
      const fresh = new RuntimeView(ref, await chain.stateAt(ref.hash), {
        signatures: defaultSignatureChecker,
        genesisHash: chain.genesisHash,
      });
      expect(reads(await chain.runtimeAt(ref.hash))).toEqual(reads(fresh));
    }
  });

  it("serves finalized blocks whose state left memory from the database", async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), "tc-view-")), "db");
    const chain = await openChain(dbPath);
    const refs = await extend(chain, 5);
    const before = reads(await chain.runtimeAt(refs[1].hash));
    await chain.finalize(refs[4].hash);
    // The chain reopened on the same database holds only the best block's state in memory.
    await closeChains(dbPath);
    const reopened = await openChain(dbPath);
    expect(reopened.runtimeInMemory(refs[1].hash)).toBeUndefined();
    expect(reads(await reopened.runtimeAt(refs[1].hash))).toEqual(before);
  });

  it("refuses an unknown block with BLOCK_ERROR_UNKNOWN_BLOCK", async () => {
    const chain = await openChain();
    await expect(chain.runtimeAt(new Uint8Array(32).fill(7))).rejects.toMatchObject({
      type: { code: "BLOCK_ERROR_UNKNOWN_BLOCK" },
    });
  });
});
