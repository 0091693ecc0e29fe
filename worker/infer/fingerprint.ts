/**
 * What an inference provider reveals besides its output hash, shared by the provider, the node and the
 * CLI (no onnxruntime here): the output hash, and under `gpu` the fingerprint, the output quantized to
 * the request's grid, which honest GPUs agree on up to a small distance where their bytes differ.
 *
 * Output hash: blake2_256 over the output's safetensors bytes, exactly as stored in the content store.
 *
 * Fingerprint of values v[0..n) (the output tensors in safetensors order, names sorted, flattened
 * row-major, as float64: float32 values exactly, int64 through Number) with grid scale s (a positive
 * finite number; on chain an integer) and maximum length L (default `FINGERPRINT_MAX_LENGTH`):
 * 1. each value to an integer q = round(v·s), the product in float64 and rounded half away from zero,
 *    clamped to ±FINGERPRINT_MAX (2³¹−1); +Inf and −Inf clamp to ±FINGERPRINT_MAX; NaN becomes
 *    FINGERPRINT_NAN (−2³¹), a value no finite or infinite input reaches;
 * 2. n ≤ L: the fingerprint is q itself (length n);
 * 3. n > L: sum-pooled into exactly L buckets, bucket j summing q over the contiguous indices
 *    [⌊j·n/L⌋, ⌊(j+1)·n/L⌋) in index order, the sum clamped to ±FINGERPRINT_MAX; a bucket holding a NaN
 *    is FINGERPRINT_NAN. The sums are of integers below 2³¹ in float64, exact for buckets of up to 2²²
 *    values (n ≤ 2²²·L) and in a fixed order beyond, so the result is the same everywhere.
 * No step depends on the platform: float64 products and integer sums only.
 */
import { blake2_256 } from "../../primitives/hashing.js";
import { decodeSafetensors } from "../data/safetensors.js";
import type { TensorData } from "../onnx/tensor.js";
import { InferError } from "./errors.js";

/** The largest magnitude of a fingerprint entry. */
export const FINGERPRINT_MAX = 2147483647;
/** A NaN's entry (and a pooled bucket's holding one): int32's minimum, below −FINGERPRINT_MAX. */
export const FINGERPRINT_NAN = -2147483648;
/** The default maximum fingerprint length: 1,024 entries, 4 KiB. */
export const FINGERPRINT_MAX_LENGTH = 1024;

/** A grid scale must be a positive finite number and a length a positive integer. */
export function checkFingerprintGrid(gridScale: number, maxLength: number): void {
  if (typeof gridScale !== "number" || !Number.isFinite(gridScale) || gridScale <= 0)
    throw new InferError(
      { code: "INFER_ERROR_BAD_REQUEST", reason: `grid scale ${gridScale} is not a positive finite number` },
      `Bad fingerprint grid scale ${gridScale}`,
    );
  if (!Number.isSafeInteger(maxLength) || maxLength < 1)
    throw new InferError(
      { code: "INFER_ERROR_BAD_REQUEST", reason: `fingerprint length ${maxLength} is not a positive integer` },
      `Bad fingerprint length ${maxLength}`,
    );
}

function clamp(v: number): number {
  return Math.min(FINGERPRINT_MAX, Math.max(-FINGERPRINT_MAX, v));
}

/** One value on the grid: round half away from zero of v·s, clamped; NaN to FINGERPRINT_NAN. */
export function quantize(v: number, gridScale: number): number {
  const x = v * gridScale;
  if (Number.isNaN(x)) return FINGERPRINT_NAN;
  // Math.round is exact (no 0.49999999999999994 + 0.5 trap); on |x| it rounds halves away from zero.
  const r = x < 0 ? -Math.round(-x) : Math.round(x);
  return clamp(r);
}

/** The fingerprint of `values` (see the module header); deterministic and at most `maxLength` long. */
export function fingerprint(
  values: ArrayLike<number>,
  gridScale: number,
  maxLength: number = FINGERPRINT_MAX_LENGTH,
): Int32Array {
  checkFingerprintGrid(gridScale, maxLength);
  const n = values.length;
  if (n <= maxLength) {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = quantize(values[i], gridScale);
    return out;
  }
  const out = new Int32Array(maxLength);
  for (let j = 0; j < maxLength; j++) {
    const begin = Math.floor((j * n) / maxLength);
    const end = Math.floor(((j + 1) * n) / maxLength);
    let sum = 0;
    let nan = false;
    for (let i = begin; i < end; i++) {
      const q = quantize(values[i], gridScale);
      if (q === FINGERPRINT_NAN) nan = true;
      else sum += q;
    }
    out[j] = nan ? FINGERPRINT_NAN : clamp(sum);
  }
  return out;
}

/** The values a fingerprint is taken over: every tensor in name order (safetensors order), flattened. */
export function outputValues(tensors: Map<string, TensorData>): Float64Array {
  const names = [...tensors.keys()].sort();
  let n = 0;
  for (const name of names) n += tensors.get(name)!.data.length;
  const out = new Float64Array(n);
  let pos = 0;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) out[pos + i] = Number(data[i]);
    else out.set(data, pos);
    pos += data.length;
  }
  return out;
}

/** The fingerprint of an output as stored (safetensors bytes), as a node or the CLI checks a reveal. */
export function fingerprintSafetensors(
  output: Uint8Array,
  gridScale: number,
  maxLength: number = FINGERPRINT_MAX_LENGTH,
): Int32Array {
  return fingerprint(outputValues(decodeSafetensors(output, { view: true }).tensors), gridScale, maxLength);
}

/** blake2_256 of the output's safetensors bytes (`cryptoReady()` first). */
export function outputHash(output: Uint8Array): Uint8Array {
  return blake2_256(output);
}
