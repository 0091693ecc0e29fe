/**
 * Whether a trainer's submitted model is the one its last segment produced (DESIGN §6: the final
 * checkpoint's parameters must equal the submitted model's initializers).
 *
 * Bit for bit: the same graph (nodes, inputs, outputs) and the same initializers, each with the same
 * dtype, dims and element bytes (so -0 differs from +0 and one ulp is a difference). The reference is
 * either the trained model itself (`reexecuteSegment`'s `finalModel`) or the job's model together with
 * the trained state (a final checkpoint): the state's tensors that are initializers of the job's model
 * are its parameters; the rest (optimizer moments) are not part of the model.
 */
import { isDeepStrictEqual } from "node:util";
import type { OnnxGraph } from "../onnx/ir.js";
import { decodeModel, replaceInitializers } from "../onnx/model.js";
import { type TensorData, tensorBytes } from "../onnx/tensor.js";

export type TrainedReference = Uint8Array | { model: Uint8Array; state: ReadonlyMap<string, TensorData> };

/** The job's model with its parameters set from a trained state. */
export function modelFromState(model: Uint8Array, state: ReadonlyMap<string, TensorData>): Uint8Array {
  const inits = decodeModel(model).graph.initializers;
  return replaceInitializers(model, new Map([...state].filter(([name]) => inits.has(name))));
}

/**
 * Whether `submitted` (ONNX bytes from the trainer) is bit for bit the trained model. A submitted file
 * that does not decode matches nothing; a reference that does not decode is the caller's error (throws).
 */
export function modelMatchesState(submitted: Uint8Array, trained: TrainedReference): boolean {
  const reference = decodeModel(trained instanceof Uint8Array ? trained : modelFromState(trained.model, trained.state));
  let candidate: OnnxGraph;
  try {
    candidate = decodeModel(submitted).graph;
  } catch {
    return false;
  }
  const ref = reference.graph;
  if (!isDeepStrictEqual(structure(candidate), structure(ref))) return false;
  if (candidate.initializers.size !== ref.initializers.size) return false;
  for (const [name, want] of ref.initializers) {
    const got = candidate.initializers.get(name);
    if (!got || !sameTensor(got, want)) return false;
  }
  return true;
}

function structure(g: OnnxGraph) {
  return { nodes: g.nodes, inputs: g.inputs, outputs: g.outputs };
}

function sameTensor(a: TensorData, b: TensorData): boolean {
  if (a.dtype !== b.dtype || a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) return false;
  const x = tensorBytes(a.data);
  const y = tensorBytes(b.data);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
