import { describe, expect, it } from "@jest/globals";
import type { Checkpoint } from "../../../../worker/train/checkpoint.js";
import { readSharedCheckpoint, SharedStartSlot } from "../../../../worker/verify/sharedStart.js";

const checkpoint = (step: number, scale: number): Checkpoint => ({
  step,
  state: new Map([
    // An odd-length tensor first, so that the next one needs the 8-byte alignment.
    ["b", { dtype: "float32", dims: [3], data: Float32Array.of(1, 2, 3).map((x) => x * scale) }],
    ["count", { dtype: "int64", dims: [1], data: BigInt64Array.of(BigInt(step)) }],
    ["w", { dtype: "float64", dims: [2, 2], data: Float64Array.of(0.5, -1, 2, 1e-300).map((x) => x * scale) }],
  ]),
});

describe("SharedStartSlot", () => {
  it("hands a checkpoint over in shared memory, element for element, reusing the slot when it fits", () => {
    const slot = new SharedStartSlot();
    const first = slot.write(checkpoint(8, 1));
    expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(readSharedCheckpoint(first)).toEqual(checkpoint(8, 1));
    const second = slot.write(checkpoint(16, 3));
    expect(second.buffer).toBe(first.buffer);
    expect(readSharedCheckpoint(second)).toEqual(checkpoint(16, 3));
  });

  it("grows for a larger state", () => {
    const slot = new SharedStartSlot();
    const small = slot.write({
      step: 1,
      state: new Map([["w", { dtype: "float32", dims: [1], data: Float32Array.of(7) }]]),
    });
    const large = slot.write(checkpoint(2, 2));
    expect(large.buffer.byteLength).toBeGreaterThan(small.buffer.byteLength);
    expect(readSharedCheckpoint(large)).toEqual(checkpoint(2, 2));
  });
});
