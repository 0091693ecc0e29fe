/**
 * The state hash a worker commits after every step: blake2-256 over the parameters and optimizer state
 * in canonical order. For each tensor, sorted by name (code-point order):
 *   u32 name length ‖ UTF-8 name ‖ u32 rank ‖ u32 dims… ‖ u8 dtype code ‖ little-endian element bytes
 * Names and dims are in the hash so that no two different states can frame the same bytes.
 */
import { blake2_256 } from "../../primitives/hashing.js";
import { dtypeToOnnx } from "../onnx/dtype.js";
import { type TensorData, tensorBytes } from "../onnx/tensor.js";

export interface NamedTensor {
  name: string;
  tensor: TensorData;
}

export function canonicalOrder<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Hashes into a reusable buffer: one copy of the state, one blake2 pass. */
export class StateHasher {
  private buf = new Uint8Array(0);

  hash(state: readonly NamedTensor[]): Uint8Array {
    const ordered = canonicalOrder(state);
    const enc = new TextEncoder();
    const names = ordered.map((s) => enc.encode(s.name));
    let size = 0;
    ordered.forEach((s, i) => {
      size += 4 + names[i].length + 4 + 4 * s.tensor.dims.length + 1 + s.tensor.data.byteLength;
    });
    if (this.buf.length !== size) this.buf = new Uint8Array(size);
    const view = new DataView(this.buf.buffer);
    let off = 0;
    ordered.forEach((s, i) => {
      view.setUint32(off, names[i].length, true);
      this.buf.set(names[i], off + 4);
      off += 4 + names[i].length;
      view.setUint32(off, s.tensor.dims.length, true);
      off += 4;
      for (const d of s.tensor.dims) {
        view.setUint32(off, d, true);
        off += 4;
      }
      this.buf[off++] = dtypeToOnnx(s.tensor.dtype);
      this.buf.set(tensorBytes(s.tensor.data), off);
      off += s.tensor.data.byteLength;
    });
    return blake2_256(this.buf);
  }
}

export function stateHash(state: readonly NamedTensor[]): Uint8Array {
  return new StateHasher().hash(state);
}

/** A tensor's place in the canonical framing, without its data. */
export interface TensorLayout {
  name: string;
  dtype: TensorData["dtype"];
  dims: readonly number[];
  byteLength: number;
}

/**
 * The canonical framing of a state whose names, dtypes and dims stay fixed (every step of one job):
 * the headers are written once, and each hash only copies the element bytes into place. Hashes the
 * same bytes as `StateHasher` (tests compare the two); the hasher threads use it.
 */
export class StateFrame {
  readonly bytes: Uint8Array;
  /** Layouts in canonical order, and where each one's element bytes start in `bytes`. */
  readonly layout: TensorLayout[];
  readonly dataOffsets: number[];

  constructor(tensors: readonly TensorLayout[]) {
    this.layout = canonicalOrder(tensors);
    const enc = new TextEncoder();
    const names = this.layout.map((t) => enc.encode(t.name));
    let size = 0;
    this.layout.forEach((t, i) => {
      size += 4 + names[i].length + 4 + 4 * t.dims.length + 1 + t.byteLength;
    });
    this.bytes = new Uint8Array(size);
    const view = new DataView(this.bytes.buffer);
    this.dataOffsets = [];
    let off = 0;
    this.layout.forEach((t, i) => {
      view.setUint32(off, names[i].length, true);
      this.bytes.set(names[i], off + 4);
      off += 4 + names[i].length;
      view.setUint32(off, t.dims.length, true);
      off += 4;
      for (const d of t.dims) {
        view.setUint32(off, d, true);
        off += 4;
      }
      this.bytes[off++] = dtypeToOnnx(t.dtype);
      this.dataOffsets.push(off);
      off += t.byteLength;
    });
  }

  /** Hashes the state whose element bytes are `data[i]` for `layout[i]` (canonical order). */
  hash(data: readonly Uint8Array[]): Uint8Array {
    data.forEach((d, i) => {
      if (d.byteLength !== this.layout[i].byteLength) throw new Error(`tensor "${this.layout[i].name}" changed size`);
      this.bytes.set(d, this.dataOffsets[i]);
    });
    return blake2_256(this.bytes);
  }
}
