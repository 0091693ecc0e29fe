/**
 * The start state of a re-execution, handed to the verifier thread through shared memory. Posting the
 * checkpoint would copy it into buffers the thread allocates per request; for a small model those
 * state-sized allocations cost a full collection per segment, more than the copy itself (the audit
 * bench's warm MLP: about 1.3x of the trainer's time, against 1.05x this way).
 *
 * The verifier owns one slot per thread and writes each request's state into it. Requests run one at a
 * time and the thread copies the state out when it restores it, before it replies, so a slot is never
 * written while the thread reads it.
 */
import { viewOf } from "../onnx/dtype.js";
import { type TensorData, tensorBytes } from "../onnx/tensor.js";
import type { Checkpoint } from "../train/checkpoint.js";
import { slotOffsets } from "../train/hashPool.js";

export interface SharedCheckpoint {
  step: number;
  buffer: SharedArrayBuffer;
  tensors: { name: string; dtype: TensorData["dtype"]; dims: number[]; byteOffset: number; byteLength: number }[];
}

export class SharedStartSlot {
  private buffer = new SharedArrayBuffer(0);

  /** Copies `cp`'s tensors into the slot (a larger one when they do not fit) and says where each is. */
  write(cp: Checkpoint): SharedCheckpoint {
    const entries = [...cp.state];
    // The hash pool's ring-slot layout: every tensor 8-byte aligned, so any element type can view it.
    const offsets = slotOffsets(entries.map(([, t]) => ({ byteLength: t.data.byteLength })));
    const tensors = entries.map(([name, t], i) => ({
      name,
      dtype: t.dtype,
      dims: [...t.dims],
      byteOffset: offsets[i],
      byteLength: t.data.byteLength,
    }));
    const last = tensors.at(-1);
    const size = last ? last.byteOffset + last.byteLength : 0;
    if (this.buffer.byteLength < size) this.buffer = new SharedArrayBuffer(size);
    const bytes = new Uint8Array(this.buffer);
    entries.forEach(([, t], i) => {
      bytes.set(tensorBytes(t.data), offsets[i]);
    });
    return { step: cp.step, buffer: this.buffer, tensors };
  }
}

/** The checkpoint a slot holds, as views of the shared memory: copy it before the slot is written again. */
export function readSharedCheckpoint(s: SharedCheckpoint): Checkpoint {
  return {
    step: s.step,
    state: new Map(
      s.tensors.map((t) => [
        t.name,
        { dtype: t.dtype, dims: t.dims, data: viewOf(t.dtype, s.buffer, t.byteOffset, t.byteLength) },
      ]),
    ),
  };
}
