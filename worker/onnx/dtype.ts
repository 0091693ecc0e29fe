import { OnnxError } from "./errors.js";

/** The element types the engine handles, named as onnxruntime-node names them. */
export type DType = "float32" | "float64" | "int64" | "int32" | "bool" | "uint8";

export type TypedArrayOf<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float64"
    ? Float64Array
    : D extends "int64"
      ? BigInt64Array
      : D extends "int32"
        ? Int32Array
        : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** ONNX TensorProto.DataType codes. */
const ONNX_CODE: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };
const FROM_CODE = new Map<number, DType>(Object.entries(ONNX_CODE).map(([k, v]) => [v, k as DType]));

export function dtypeToOnnx(dtype: DType): number {
  return ONNX_CODE[dtype];
}

export function dtypeFromOnnx(code: number, tensor: string): DType {
  const d = FROM_CODE.get(code);
  if (d === undefined) throw new OnnxError({ code: "ONNX_ERROR_UNSUPPORTED_DTYPE", dataType: code, tensor });
  return d;
}

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case "float64":
    case "int64":
      return 8;
    case "float32":
    case "int32":
      return 4;
    default:
      return 1;
  }
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

export function allocate(dtype: DType, length: number): AnyTypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(length);
    case "float64":
      return new Float64Array(length);
    case "int64":
      return new BigInt64Array(length);
    case "int32":
      return new Int32Array(length);
    default:
      return new Uint8Array(length);
  }
}

/** A typed array of `dtype` over `byteLength` bytes of `buffer` from `byteOffset` (shared memory included). */
export function viewOf(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, byteLength: number): AnyTypedArray {
  const Ctor = allocate(dtype, 0).constructor as new (b: ArrayBufferLike, o: number, n: number) => AnyTypedArray;
  return new Ctor(buffer, byteOffset, byteLength / bytesPerElement(dtype));
}
