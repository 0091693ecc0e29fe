/** A reorg hands the retracted blocks, newest first and with their bodies, to the transaction pool. */
import { describe, expect, it } from "@jest/globals";
import { retractIntoPool } from "../../../node/node.js";
import type { TxPoolBlock } from "../../../node/txpool/index.js";

describe("retractIntoPool", () => {
  it("passes each retracted block with its extrinsics, in the route's order", async () => {
    const bodies = new Map<number, Uint8Array[]>([
      [7, [Uint8Array.of(1, 2), Uint8Array.of(3)]],
      [6, [Uint8Array.of(4)]],
    ]);
    const seen: TxPoolBlock[] = [];
    await retractIntoPool(
      { body: async (hash: Uint8Array) => bodies.get(hash[0]!) },
      { onBlockRetracted: async (b: TxPoolBlock) => void seen.push(b) },
      [
        { hash: new Uint8Array(32).fill(7), number: 7 },
        { hash: new Uint8Array(32).fill(6), number: 6 },
        { hash: new Uint8Array(32).fill(5), number: 5 },
      ],
    );
    expect(seen.map((b) => [b.number, b.hash.slice(0, 4), b.extrinsics])).toEqual([
      [7, "0x07", [Uint8Array.of(1, 2), Uint8Array.of(3)]],
      [6, "0x06", [Uint8Array.of(4)]],
      [5, "0x05", []],
    ]);
  });
});
