/**
 * Chain writes that overlap (network imports, the node's own blocks and finalizations run
 * concurrently in a node) go one at a time: the canonical index (`chain_getBlockHash`) always follows
 * the best chain and the finalized block's ancestry, however imports of competing forks interleave.
 * Found by the chaos suite (test/sim/): after two validators were killed during a partition and
 * restarted, one answered `chain_getBlockHash` at a finalized height with a block of the abandoned fork.
 */
import { afterEach, describe, expect, it } from "@jest/globals";
import { type Chain, hashHeader } from "../../../../node/chain/chain.js";
import type { Block } from "../../../../node/chain/types.js";
import { bytesEqual, toHex } from "../../../../primitives/hex.js";
import { UNITS } from "../../../../runtime/constants.js";
import { closeChains, openChain, proposeTransfer } from "./helpers.js";

afterEach(() => closeChains());

/** `n` blocks from genesis, each with //Alice's transfer of `amount` (forks differ by the amount). */
async function fork(n: number, amount: bigint): Promise<Block[]> {
  const chain = await openChain();
  const out: Block[] = [];
  for (let i = 0; i < n; i++) {
    const p = await proposeTransfer(chain, i, amount);
    const block = { header: p.header, extrinsics: p.extrinsics };
    await chain.importBlock(block, "own", { executed: p.state });
    out.push(block);
  }
  return out;
}

/** Heights where the canonical index is not the best block's ancestry. */
async function canonicalMismatches(chain: Chain): Promise<number[]> {
  const bad: number[] = [];
  let hash = chain.best.hash;
  for (let n = chain.best.number; n > 0; n--) {
    const header = (await chain.header(hash))!;
    const canonical = await chain.hashAt(n);
    if (!canonical || !bytesEqual(canonical, hash)) bad.push(n);
    hash = header.parentHash;
  }
  return bad;
}

describe("overlapping chain writes", () => {
  it("keep the canonical index on the best chain when one fork grows while another overtakes it", async () => {
    const a = await fork(5, UNITS);
    const b = await fork(5, 2n * UNITS);
    const chain = await openChain();
    for (let i = 0; i < 4; i++) await chain.importBlock(a[i]!, "network");
    for (let i = 0; i < 4; i++) await chain.importBlock(b[i]!, "network");
    // `best` is the fork whose #4 won (the lower hash), `other` the one that will overtake it.
    const [best, other] = chain.best.hashHex === toHex(hashHeader(a[3]!.header)) ? [a, b] : [b, a];
    // The import that extends `best` reads the canonical index at #4 and is slow to go on; meanwhile
    // the import of `other`'s #5 takes the best chain over.
    const db = (chain as unknown as { modules: { db: { canonicalHash(n: number): Promise<Uint8Array | undefined> } } })
      .modules.db;
    const read = db.canonicalHash.bind(db);
    let slow = true;
    db.canonicalHash = async (n) => {
      const v = await read(n);
      if (n === 4 && slow) {
        slow = false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return v;
    };
    await Promise.all([chain.importBlock(best[4]!, "network"), chain.importBlock(other[4]!, "network")]);
    expect(await canonicalMismatches(chain)).toEqual([]);
    // A finalization of one tip racing a block on the other: the final one wins.
    const extra = await fork(6, best === a ? UNITS : 2n * UNITS);
    const bTip = hashHeader(other[4]!.header);
    await Promise.all([chain.importBlock(extra[5]!, "network").catch(() => undefined), chain.finalize(bTip)]);
    expect(chain.finalized.hashHex).toBe(toHex(bTip));
    expect(chain.best.hashHex).toBe(toHex(bTip));
    expect(await canonicalMismatches(chain)).toEqual([]);
  });
});
