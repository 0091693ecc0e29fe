/**
 * `Chain.finalize` calls that overlap (the GRANDPA driver handles the outputs of several voter steps at
 * once, and sync imports justifications meanwhile) run one after the other: a call for a lower block
 * that started before a higher one finished must not move the finalized head back, in memory or on
 * disk. Found by the chaos suite (test/sim/): after a kill -9, a validator reopened its database one
 * block below the finalized head it had reported over RPC.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "@jest/globals";
import type { Chain } from "../../../../node/chain/chain.js";
import type { BlockRef } from "../../../../node/chain/types.js";
import { closeChains, openChain, proposeTransfer } from "./helpers.js";

afterEach(() => closeChains());

async function grow(chain: Chain, n: number): Promise<BlockRef[]> {
  const out: BlockRef[] = [];
  for (let i = 0; i < n; i++) {
    const p = await proposeTransfer(chain, i);
    out.push(await chain.importBlock({ header: p.header, extrinsics: p.extrinsics }, "own", { executed: p.state }));
  }
  return out;
}

describe("overlapping finalize calls", () => {
  it("never move the finalized head back, in memory or in the database", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tc-finalize-order-")), "db");
    const chain = await openChain(path);
    const blocks = await grow(chain, 6);
    const seen: number[] = [];
    chain.on("finalized", (b) => seen.push(b.number));
    // Later calls for lower blocks, started before the earlier ones finish.
    await Promise.all([4, 2, 5, 3, 1].map((n) => chain.finalize(blocks[n - 1]!.hash)));
    expect(chain.finalized.number).toBe(5);
    expect(seen).toEqual([4, 5]);
    await closeChains(path);
    expect((await openChain(path)).finalized.number).toBe(5);
  });
});
