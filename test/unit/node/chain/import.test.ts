import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import type { Chain } from "../../../../node/chain/chain.js";
import { BlockError } from "../../../../node/chain/errors.js";
import type { Block } from "../../../../node/chain/types.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import type { Trie } from "../../../../primitives/trie/index.js";
import { closeChains, openChain, proposeTransfer } from "./helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

afterEach(() => closeChains());

/** Authors a block with one transfer on `chain`'s best block, without importing it. */
async function author(chain: Chain, nonce: number): Promise<Block & { state: Trie }> {
  const p = await proposeTransfer(chain, nonce);
  expect(p.included.length).toBe(1);
  return { header: p.header, extrinsics: p.extrinsics, state: p.state };
}

async function expectImportError(chain: Chain, block: Block, code: string) {
  const best = chain.best.hashHex;
  await expect(chain.importBlock(block, "network")).rejects.toMatchObject({ type: { code } });
  expect(chain.best.hashHex).toBe(best);
}

describe("block import", () => {
  it("re-executes a network block and reaches the author's state root", async () => {
    const a = await openChain();
    const b = await openChain();
    const block = await author(a, 0);
    await a.importBlock(block, "own", { executed: block.state });
    const imported = await b.importBlock(block, "network");
    expect(imported.hashHex).toBe(a.best.hashHex);
    expect(toHex(imported.state.root)).toBe(toHex(block.header.stateRoot));
  });

  it("rejects a wrong state root, an unknown parent, a tampered body and a duplicate, changing nothing", async () => {
    const a = await openChain();
    const b = await openChain();
    const block = await author(a, 0);
    await expectImportError(
      b,
      { ...block, header: { ...block.header, stateRoot: new Uint8Array(32).fill(1) } },
      "BLOCK_ERROR_STATE_ROOT_MISMATCH",
    );
    await expectImportError(
      b,
      { ...block, header: { ...block.header, parentHash: new Uint8Array(32).fill(9) } },
      "BLOCK_ERROR_UNKNOWN_PARENT",
    );
    const tampered = block.extrinsics.map((x) => x.slice());
    tampered[1][50] ^= 1;
    await expectImportError(b, { ...block, extrinsics: tampered }, "BLOCK_ERROR_EXECUTION_FAILED");
    await expectImportError(
      b,
      { ...block, extrinsics: [block.extrinsics[1], block.extrinsics[0]] },
      "BLOCK_ERROR_EXECUTION_FAILED",
    );
    await b.importBlock(block, "network");
    await expectImportError(b, block, "BLOCK_ERROR_ALREADY_KNOWN");
    expect(BlockError).toBeDefined();
  });

  it("keeps the heavier (longer) chain as best and rewrites the canonical index on a reorg", async () => {
    const a = await openChain();
    const b1 = await author(a, 0);
    await a.importBlock(b1, "own", { executed: b1.state });
    const b2 = await author(a, 1);
    await a.importBlock(b2, "own", { executed: b2.state });
    expect(a.best.number).toBe(2);
    expect(toHex((await a.hashAt(2))!)).toBe(a.best.hashHex);
  });
});
