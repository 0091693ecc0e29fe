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
