/** Tensors as plain typed arrays with dims, and their conversion to and from ONNX TensorProto. */
import { type AnyTypedArray, allocate, bytesPerElement, type DType, dtypeFromOnnx, dtypeToOnnx } from "./dtype.js";
import { OnnxError } from "./errors.js";

export interface TensorData {
  dtype: DType;
  dims: number[];
  data: AnyTypedArray;
}

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function tensor(dtype: DType, dims: number[], values?: ArrayLike<number> | ArrayLike<bigint>): TensorData {
  const data = allocate(dtype, numel(dims));
  if (values) {
    if (values.length !== data.length) throw new RangeError(`tensor: ${values.length} values for dims [${dims}]`);
    if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) data[i] = BigInt(values[i]);
    else for (let i = 0; i < data.length; i++) data[i] = Number(values[i]);
  }
  return { dtype, dims, data };
}

export function scalar(dtype: DType, value: number): TensorData {
  return tensor(dtype, [], [value]);
}

/** Little-endian bytes of a typed array (a view, no copy: this engine only runs on little-endian hosts). */
export function tensorBytes(data: AnyTypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Numbers from protobufjs int64 fields, which arrive as number, Long or string. */
export function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string") return Number(v);
  if (v && typeof (v as { toNumber?: unknown }).toNumber === "function")
    return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

export interface TensorProtoLike {
  name?: string;
  dims?: unknown[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  doubleData?: number[];
  int32Data?: number[];
  int64Data?: unknown[];
  dataLocation?: number;
  externalData?: unknown[];
}

export function tensorFromProto(p: TensorProtoLike): TensorData {
  const name = p.name ?? "";
  if (p.dataLocation === 1 || (p.externalData && p.externalData.length > 0)) {
    throw new OnnxError({ code: "ONNX_ERROR_CORRUPT", reason: `tensor "${name}" uses external data` });
  }
  const dtype = dtypeFromOnnx(p.dataType ?? 0, name);
  const dims = (p.dims ?? []).map(toNumber);
  const n = numel(dims);
  const out = allocate(dtype, n);
  if (p.rawData && p.rawData.length > 0) {
    if (p.rawData.length !== n * bytesPerElement(dtype)) {
      throw new OnnxError({
        code: "ONNX_ERROR_CORRUPT",
        reason: `tensor "${name}" has ${p.rawData.length} raw bytes for dims [${dims}]`,
      });
    }
    tensorBytes(out).set(p.rawData);
    return { dtype, dims, data: out };
  }
  const src: ArrayLike<unknown> =
    dtype === "float32"
      ? (p.floatData ?? [])
      : dtype === "float64"
        ? (p.doubleData ?? [])
        : dtype === "int64"
          ? (p.int64Data ?? [])
          : (p.int32Data ?? []);
  if (src.length !== n) {
    throw new OnnxError({
      code: "ONNX_ERROR_CORRUPT",
      reason: `tensor "${name}" has ${src.length} values for dims [${dims}]`,
    });
  }
  if (out instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = BigInt(String(src[i]));
  else for (let i = 0; i < n; i++) out[i] = toNumber(src[i]);
  return { dtype, dims, data: out };
}

export function tensorToProto(name: string, t: TensorData): Record<string, unknown> {
  // Copy so that the proto does not alias a buffer the trainer keeps mutating.
  return { name, dims: t.dims, dataType: dtypeToOnnx(t.dtype), rawData: Uint8Array.from(tensorBytes(t.data)) };
}
