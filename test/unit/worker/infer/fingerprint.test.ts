import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { encodeSafetensors } from "../../../../worker/data/safetensors.js";
import { InferError } from "../../../../worker/infer/errors.js";
import {
  FINGERPRINT_MAX,
  FINGERPRINT_MAX_LENGTH,
  FINGERPRINT_NAN,
  fingerprint,
  fingerprintSafetensors,
  outputValues,
  quantize,
} from "../../../../worker/infer/fingerprint.js";
import { type TensorData, tensor } from "../../../../worker/onnx/tensor.js";

const fp = (values: number[], scale = 1, max?: number) => [...fingerprint(values, scale, max)];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof InferError ? e.type.code : `not an InferError: ${String(e)}`;
  }
  return undefined;
}

describe("quantize", () => {
  it("rounds v·scale to the nearest integer, halves away from zero", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4, -0.6].map((v) => quantize(v, 1))).toEqual([
      1, 2, 3, -1, -2, -3, 0, -1,
    ]);
    // The largest double below 0.5: x + 0.5 rounds to 1 in float64, Math.round does not.
    expect(quantize(0.49999999999999994, 1)).toBe(0);
    expect(quantize(0.125, 8)).toBe(1);
    expect(quantize(-0.3, 10)).toBe(-3);
  });

  it("clamps to ±FINGERPRINT_MAX, infinities included, and maps NaN to its own sentinel", () => {
    expect(quantize(1e30, 1)).toBe(FINGERPRINT_MAX);
    expect(quantize(-1e30, 1)).toBe(-FINGERPRINT_MAX);
    expect(quantize(Infinity, 1)).toBe(FINGERPRINT_MAX);
    expect(quantize(-Infinity, 1)).toBe(-FINGERPRINT_MAX);
    expect(quantize(2147483647.4, 1)).toBe(FINGERPRINT_MAX);
    expect(quantize(Number.NaN, 1)).toBe(FINGERPRINT_NAN);
    // No finite or infinite value reaches the NaN sentinel.
    expect(FINGERPRINT_NAN).toBeLessThan(-FINGERPRINT_MAX);
  });

  it("takes float32 values exactly: a Float32Array and the same values in a Float64Array agree", () => {
    const f32 = Float32Array.of(0.1, -0.35, 3.75, 1e-8, 12345.678);
    const f64 = Float64Array.from(f32);
    expect([...fingerprint(f32, 1000)]).toEqual([...fingerprint(f64, 1000)]);
    // 0.1 in float32 is 0.100000001490116…: ×10 rounds to 1; ×1e9 shows the float32 value, not 0.1.
    expect([...fingerprint(Float32Array.of(0.1), 1e9)]).toEqual([100000001]);
  });
});

describe("fingerprint", () => {
  it("is the quantized values themselves up to the maximum length", () => {
    expect(fp([0.2, -0.7, 1.26], 10)).toEqual([2, -7, 13]);
    expect(fp([], 10)).toEqual([]);
    expect(fingerprint(new Float32Array(FINGERPRINT_MAX_LENGTH), 1)).toHaveLength(FINGERPRINT_MAX_LENGTH);
  });

  it("sum-pools longer outputs into exactly L contiguous buckets [⌊j·n/L⌋, ⌊(j+1)·n/L⌋)", () => {
    // n = 10, L = 4: buckets [0,2) [2,5) [5,7) [7,10)
    expect(fp([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 1, 4)).toEqual([3, 12, 13, 27]);
    // Each value is quantized before it is summed: 0.4 + 0.4 is 0 + 0, not round(0.8).
    expect(fp([0.4, 0.4, 0.4, 0.4], 1, 2)).toEqual([0, 0]);
    expect(fingerprint(new Float32Array(FINGERPRINT_MAX_LENGTH + 1), 1)).toHaveLength(FINGERPRINT_MAX_LENGTH);
    expect(fingerprint(new Float32Array(100_000).fill(1), 1)).toHaveLength(FINGERPRINT_MAX_LENGTH);
  });

  it("marks a bucket holding a NaN with the NaN sentinel, and clamps bucket sums", () => {
    expect(fp([1, Number.NaN, 3, 4], 1, 2)).toEqual([FINGERPRINT_NAN, 7]);
    expect(fp([Infinity, Infinity, -Infinity, 5], 1, 2)).toEqual([FINGERPRINT_MAX, -FINGERPRINT_MAX + 5]);
    expect(fp([2e9, 2e9, -2e9, -2e9], 1, 2)).toEqual([FINGERPRINT_MAX, -FINGERPRINT_MAX]);
  });

  it("keeps the total of the quantized values when pooling (no clamping), for any values and length", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 1000 }),
        (values, maxLength, scale) => {
          const f32 = Float32Array.from(values);
          const pooled = fingerprint(f32, scale, maxLength);
          const plain = fingerprint(f32, scale, f32.length);
          expect(pooled.length).toBe(Math.min(maxLength, f32.length));
          expect(pooled.reduce((a, b) => a + b, 0)).toBe(plain.reduce((a, b) => a + b, 0));
          // Deterministic: the same input gives the same fingerprint.
          expect([...fingerprint(Float32Array.from(values), scale, maxLength)]).toEqual([...pooled]);
        },
      ),
    );
  });

  it("refuses a grid scale that is not a positive finite number, and a bad length", () => {
    for (const scale of [0, -1, Number.NaN, Infinity])
      expect(codeOf(() => fingerprint([1], scale))).toBe("INFER_ERROR_BAD_REQUEST");
    for (const max of [0, -3, 1.5]) expect(codeOf(() => fingerprint([1], 1, max))).toBe("INFER_ERROR_BAD_REQUEST");
    expect(codeOf(() => fingerprint([1], 0.5, 1))).toBeUndefined();
  });
});

describe("outputValues and fingerprintSafetensors", () => {
  const tensors = new Map<string, TensorData>([
    ["logits", tensor("float32", [2, 2], [0.5, -1.25, 2, 3.5])],
    ["argmax", tensor("int64", [2], [1, 0])],
  ]);

  it("flattens the outputs in name order, int64 included", () => {
    expect([...outputValues(tensors)]).toEqual([1, 0, 0.5, -1.25, 2, 3.5]);
  });

  it("fingerprints an output file exactly as its decoded values", () => {
    const file = encodeSafetensors(tensors);
    expect([...fingerprintSafetensors(file, 4)]).toEqual([4, 0, 2, -5, 8, 14]);
    expect([...fingerprintSafetensors(file, 4, 3)]).toEqual([4, -3, 22]);
  });
});
