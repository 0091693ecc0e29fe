/**
 * Static shape inference over a normalized graph, with every input's dims given (the batch size is
 * fixed per training graph). It also resolves what depends on shapes: negative axes, auto_pad, Reshape
 * targets with 0 and -1. The result maps every value name to its dtype and dims.
 */
import { broadcastDims, type ValueMeta } from "./builder.js";
import { outputSize, window2d } from "./convGeometry.js";
import type { DType } from "./dtype.js";
import { OnnxError, shapeError } from "./errors.js";
import { attrInt, attrInts, type OnnxNode } from "./ir.js";
import type { NormalizedGraph } from "./normalize.js";
import { numel } from "./tensor.js";

export type ShapeMap = Map<string, ValueMeta>;

export function inferShapes(g: NormalizedGraph, inputDims: Record<string, number[]>): ShapeMap {
  const shapes: ShapeMap = new Map();
  for (const [name, t] of g.initializers) shapes.set(name, { dtype: t.dtype, dims: t.dims });
  for (const input of g.inputs) {
    const dims = inputDims[input.name];
    if (!dims)
      throw new OnnxError({ code: "ONNX_ERROR_INVALID_GRAPH", reason: `no dims given for input "${input.name}"` });
    shapes.set(input.name, { dtype: input.dtype, dims });
  }
  for (const node of g.nodes) {
    const ins = node.inputs.map((name) => {
      if (name === "") return undefined;
      const m = shapes.get(name);
      if (!m)
        throw new OnnxError({
          code: "ONNX_ERROR_INVALID_GRAPH",
          reason: `node "${node.name}" reads "${name}" before it is defined`,
        });
      return m;
    });
    const out = inferNode(node, ins);
    shapes.set(node.outputs[0], out);
  }
  for (const o of g.outputs) {
    if (!shapes.has(o.name))
      throw new OnnxError({ code: "ONNX_ERROR_INVALID_GRAPH", reason: `output "${o.name}" is never computed` });
  }
  return shapes;
}

export function normAxis(axis: number, rank: number, node: OnnxNode): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw shapeError(node.name, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

function inferNode(node: OnnxNode, ins: (ValueMeta | undefined)[]): ValueMeta {
  const x = ins[0];
  if (!x) throw shapeError(node.name, "missing first input");
  const same = (dims: number[], dtype: DType = x.dtype): ValueMeta => ({ dtype, dims });
  const need = (i: number): ValueMeta => {
    const m = ins[i];
    if (!m) throw shapeError(node.name, `missing input ${i}`);
    return m;
  };
  const d = x.dims;
  switch (node.opType) {
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
      try {
        return same(broadcastDims(d, need(1).dims));
      } catch (e) {
        throw shapeError(node.name, (e as Error).message);
      }
    case "Neg":
    case "Relu":
    case "LeakyRelu":
    case "Sigmoid":
    case "Tanh":
    case "Exp":
    case "Log":
    case "Identity":
      return same(d);
    case "Softmax":
    case "LogSoftmax":
      node.attrs.axis = { type: "INT", i: normAxis(attrInt(node, "axis", -1), d.length, node) };
      return same(d);
    case "Gemm": {
      const b = need(1).dims;
      if (d.length !== 2 || b.length !== 2) throw shapeError(node.name, "Gemm needs 2-D A and B");
      const [m, k] = attrInt(node, "transA", 0) ? [d[1], d[0]] : [d[0], d[1]];
      const [k2, n] = attrInt(node, "transB", 0) ? [b[1], b[0]] : [b[0], b[1]];
      if (k !== k2) throw shapeError(node.name, `inner dims differ: A [${d}] and B [${b}]`);
      if (ins[2]) broadcastOrThrow(node, ins[2].dims, [m, n]);
      return same([m, n]);
    }
    case "MatMul": {
      const b = need(1).dims;
      if (d.length < 2 || b.length < 2) throw shapeError(node.name, "MatMul inputs must have rank >= 2");
      if (d[d.length - 1] !== b[b.length - 2]) throw shapeError(node.name, `inner dims differ: [${d}] x [${b}]`);
      let batch: number[];
      try {
        batch = broadcastDims(d.slice(0, -2), b.slice(0, -2));
      } catch (e) {
        throw shapeError(node.name, (e as Error).message);
      }
      return same([...batch, d[d.length - 2], b[b.length - 1]]);
    }
    case "Reshape": {
      const target = [...(attrInts(node, "shape") ?? [])];
      const allowzero = attrInt(node, "allowzero", 0) === 1;
      for (let i = 0; i < target.length; i++) if (target[i] === 0 && !allowzero) target[i] = d[i];
      const known = target.filter((t) => t !== -1).reduce((a, b) => a * b, 1);
      const inferred = target.map((t) => (t === -1 ? numel(d) / known : t));
      if (numel(inferred) !== numel(d) || inferred.some((v) => !Number.isInteger(v))) {
        throw shapeError(node.name, `cannot reshape [${d}] to [${target}]`);
      }
      node.attrs.shape = { type: "INTS", ints: inferred };
      return same(inferred);
    }
    case "Flatten": {
      const axis = attrInt(node, "axis", 1);
      const a = axis < 0 ? axis + d.length : axis;
      node.attrs.axis = { type: "INT", i: a };
      return same([numel(d.slice(0, a)), numel(d.slice(a))]);
    }
    case "Transpose": {
      const perm = attrInts(node, "perm") ?? d.map((_, i) => d.length - 1 - i);
      node.attrs.perm = { type: "INTS", ints: perm };
      return same(perm.map((p) => d[p]));
    }
    case "Concat": {
      const axis = normAxis(attrInt(node, "axis", 0), d.length, node);
      node.attrs.axis = { type: "INT", i: axis };
      const out = [...d];
      out[axis] = 0;
      for (const m of ins) {
        if (!m || m.dims.length !== d.length || m.dims.some((v, i) => i !== axis && v !== d[i])) {
          throw shapeError(node.name, "Concat inputs differ outside the axis");
        }
        out[axis] += m.dims[axis];
      }
      return same(out);
    }
    case "ReduceSum":
    case "ReduceMean": {
      const axes = (attrInts(node, "axes") ?? d.map((_, i) => i))
        .map((a) => normAxis(a, d.length, node))
        .sort((a, b) => a - b);
      node.attrs.axes = { type: "INTS", ints: axes };
      const keep = attrInt(node, "keepdims", 1) === 1;
      return same(keep ? d.map((v, i) => (axes.includes(i) ? 1 : v)) : d.filter((_, i) => !axes.includes(i)));
    }
    case "Conv": {
      const w = need(1).dims;
      if (d.length !== 4 || w.length !== 4) throw shapeError(node.name, "only 2-D Conv (rank-4 X and W) is supported");
      const group = attrInt(node, "group", 1);
      if (d[1] !== w[1] * group || w[0] % group !== 0)
        throw shapeError(node.name, `channels: X [${d}], W [${w}], group ${group}`);
      if (ins[2] && (ins[2].dims.length !== 1 || ins[2].dims[0] !== w[0]))
        throw shapeError(node.name, "bias must be [M]");
      const win = window2d(node, d[2], d[3], [w[2], w[3]]);
      setWindow(node, win);
      const [oh, ow] = outputSize(win, d[2], d[3]);
      if (oh < 1 || ow < 1) throw shapeError(node.name, "output would be empty");
      return same([d[0], w[0], oh, ow]);
    }
    case "MaxPool":
    case "AveragePool": {
      if (d.length !== 4) throw shapeError(node.name, "only 2-D pooling (rank-4 X) is supported");
      const k = attrInts(node, "kernel_shape");
      if (k?.length !== 2) throw shapeError(node.name, "kernel_shape must have 2 values");
      const win = window2d(node, d[2], d[3], [k[0], k[1]]);
      setWindow(node, win);
      const [oh, ow] = outputSize(win, d[2], d[3]);
      return same([d[0], d[1], oh, ow]);
    }
    case "GlobalAveragePool":
      if (d.length !== 4) throw shapeError(node.name, "only 2-D pooling (rank-4 X) is supported");
      return same([d[0], d[1], 1, 1]);
    default:
      throw shapeError(node.name, `no shape rule for ${node.opType}`);
  }
}

function broadcastOrThrow(node: OnnxNode, a: number[], b: number[]): void {
  try {
    const out = broadcastDims(a, b);
    if (out.length !== b.length || out.some((v, i) => v !== b[i]))
      throw new Error(`[${a}] does not broadcast to [${b}]`);
  } catch (e) {
    throw shapeError(node.name, (e as Error).message);
  }
}

function setWindow(node: OnnxNode, w: ReturnType<typeof window2d>): void {
  node.attrs.kernel_shape = { type: "INTS", ints: [...w.kernel] };
  node.attrs.strides = { type: "INTS", ints: [...w.strides] };
  // AveragePool has no dilations attribute before opset 19 (normalize rejects dilations != 1).
  if (node.opType !== "AveragePool") node.attrs.dilations = { type: "INTS", ints: [...w.dilations] };
  node.attrs.pads = { type: "INTS", ints: [...w.pads] };
  delete node.attrs.auto_pad;
}
