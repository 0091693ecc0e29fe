import { describe, expect, it } from "@jest/globals";
import { decodeBlock, encodeBlock } from "../../../../node/network/codec.js";

describe("block gossip codec", () => {
  it("round-trips {header, extrinsics} and refuses malformed bytes", () => {
    const block = {
      header: {
        parentHash: new Uint8Array(32).fill(1),
        number: 42,
        stateRoot: new Uint8Array(32).fill(2),
        extrinsicsRoot: new Uint8Array(32).fill(3),
        digest: {
          logs: [
            {
              tag: "PreRuntime" as const,
              value: [new Uint8Array([66, 65, 66, 69]), new Uint8Array([2, 0])] as [Uint8Array, Uint8Array],
            },
          ],
        },
      },
      extrinsics: [new Uint8Array([8, 1, 2]), new Uint8Array([4, 9])],
    };
    const decoded = decodeBlock(encodeBlock(block));
    expect(decoded.header).toEqual(block.header);
    expect(decoded.extrinsics).toEqual(block.extrinsics);
    expect(() => decodeBlock(new Uint8Array([1, 2, 3]))).toThrow();
  });
});
