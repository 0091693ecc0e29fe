/**
 * The state hash a worker commits after every step: blake2-256 over the parameters and optimizer state
 * in canonical order. For each tensor, sorted by name (code-point order):
 *   u32 name length ‖ UTF-8 name ‖ u32 rank ‖ u32 dims… ‖ u8 dtype code ‖ little-endian element bytes
 * Names and dims are in the hash so that no two different states can frame the same bytes.
 */
import { createBLAKE2b, type IHasher } from "hash-wasm";
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
 * each tensor's header is encoded once, and a hash streams header and element bytes straight from
 * where they are (shared ring slots included) into one blake2-256, without assembling a copy of the
 * state first. Hashes the same bytes as `StateHasher` (tests compare the two); the runner and the
 * hasher threads use it.
 */
export class StateFrame {
  /** Layouts in canonical order. */
  readonly layout: TensorLayout[];
  private readonly headers: Uint8Array[];
  private readonly blake2: IHasher;

  private constructor(layout: TensorLayout[], blake2: IHasher) {
    this.layout = layout;
    this.blake2 = blake2;
    const enc = new TextEncoder();
    this.headers = layout.map((t) => {
      const name = enc.encode(t.name);
      const header = new Uint8Array(4 + name.length + 4 + 4 * t.dims.length + 1);
      const view = new DataView(header.buffer);
      view.setUint32(0, name.length, true);
      header.set(name, 4);
      let off = 4 + name.length;
      view.setUint32(off, t.dims.length, true);
      off += 4;
      for (const d of t.dims) {
        view.setUint32(off, d, true);
        off += 4;
      }
      header[off] = dtypeToOnnx(t.dtype);
      return header;
    });
  }

  static async create(tensors: readonly TensorLayout[]): Promise<StateFrame> {
    return new StateFrame(canonicalOrder(tensors), await createBLAKE2b(256));
  }

  /** Hashes the state whose element bytes are `data[i]` for `layout[i]` (canonical order). */
  hash(data: readonly Uint8Array[]): Uint8Array {
    const h = this.blake2.init();
    data.forEach((d, i) => {
      if (d.byteLength !== this.layout[i].byteLength) throw new Error(`tensor "${this.layout[i].name}" changed size`);
      h.update(this.headers[i]);
      h.update(d);
    });
    return h.digest("binary");
  }

  /** Hashes named tensors of this layout, in any order. */
  hashTensors(state: readonly NamedTensor[]): Uint8Array {
    const byName = new Map(state.map((s) => [s.name, s.tensor]));
    return this.hash(
      this.layout.map((t) => {
        const d = byName.get(t.name)?.data;
        if (!d) throw new Error(`tensor "${t.name}" missing`);
        return tensorBytes(d);
      }),
    );
  }
}
