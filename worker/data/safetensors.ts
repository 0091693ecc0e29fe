/**
 * The safetensors format: u64 little-endian header length, a JSON header mapping each tensor name to
 * {dtype, shape, data_offsets} (plus an optional "__metadata__" of strings), then the raw
 * little-endian tensor bytes. Reading validates every offset and size before touching the data.
 */
import { readFile } from "node:fs/promises";
import { allocate, bytesPerElement, type DType, viewOf } from "../onnx/dtype.js";
import { numel, type TensorData, tensorBytes } from "../onnx/tensor.js";
import { writeFileAtomic } from "../util/atomicWrite.js";
import { DatasetError } from "./errors.js";

const TO_ST: Record<DType, string> = {
  float32: "F32",
  float64: "F64",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};
const FROM_ST = new Map(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));
const MAX_HEADER = 100 * 1024 * 1024;

export interface SafetensorsFile {
  tensors: Map<string, TensorData>;
  metadata: Record<string, string>;
}

export function encodeSafetensors(tensors: Map<string, TensorData>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    header[name] = { dtype: TO_ST[t.dtype], shape: t.dims, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((json.length + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const bytes = tensorBytes(tensors.get(name)!.data);
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

function corrupt(reason: string): DatasetError {
  return new DatasetError({ code: "DATASET_ERROR_CORRUPT", reason }, `Corrupt safetensors file: ${reason}`);
}

export interface DecodeOptions {
  /**
   * Give each tensor as a view over `bytes` (shared memory included) where its data is aligned to its
   * element size, instead of a copy: no allocation, but the tensors change with `bytes`. Default false.
   */
  view?: boolean;
}

export function decodeSafetensors(bytes: Uint8Array, opts: DecodeOptions = {}): SafetensorsFile {
  if (bytes.length < 8) throw corrupt("shorter than its 8-byte header length");
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length)
    throw corrupt(`header length ${headerLen} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw corrupt(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw corrupt("header is not an object");
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, TensorData>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = FROM_ST.get(String(e.dtype));
    if (!dtype) throw corrupt(`tensor "${name}" has unsupported dtype ${String(e.dtype)}`);
    const shape = e.shape;
    const offs = e.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw corrupt(`tensor "${name}" has a bad shape`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o)))
      throw corrupt(`tensor "${name}" has bad offsets`);
    const [begin, end] = offs as [number, number];
    const size = numel(shape as number[]) * bytesPerElement(dtype);
    if (begin < 0 || end > dataLen || end - begin !== size)
      throw corrupt(`tensor "${name}" has offsets [${begin}, ${end}] for ${size} bytes in ${dataLen}`);
    const at = bytes.byteOffset + dataStart + begin;
    let data: TensorData["data"];
    if (opts.view && at % bytesPerElement(dtype) === 0) data = viewOf(dtype, bytes.buffer, at, size);
    else {
      data = allocate(dtype, numel(shape as number[]));
      tensorBytes(data).set(bytes.subarray(dataStart + begin, dataStart + end));
    }
    tensors.set(name, { dtype, dims: shape as number[], data });
  }
  return { tensors, metadata };
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return decodeSafetensors(new Uint8Array(await readFile(path)));
}

export async function writeSafetensors(
  path: string,
  tensors: Map<string, TensorData>,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
