/**
 * A small float64 reference evaluator for ONNX graphs, written directly from the ONNX operator
 * definitions. onnxruntime's CPU kernels for Conv, ConvTranspose, AveragePool and GlobalAveragePool
 * exist in float32 only, so gradient checks of those ops run their generated training graphs here in
 * float64 (and compare the same graph on onnxruntime in float32). Clarity over speed: loops, no tricks.
 */
import { attrFloat, attrInt, attrInts, type OnnxGraph, type OnnxNode } from "../../../../worker/onnx/ir.js";
import { numel, type TensorData } from "../../../../worker/onnx/tensor.js";

/** Values as float64 arrays (integers included) with their dims. */
export interface RefTensor {
  dims: number[];
  data: Float64Array;
}

export function fromTensorData(t: TensorData): RefTensor {
  return { dims: [...t.dims], data: Float64Array.from(t.data as ArrayLike<number | bigint>, Number) };
}

function strides(dims: number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

function broadcastTo(t: RefTensor, dims: number[]): RefTensor {
  const out = new Float64Array(numel(dims));
  const lead = dims.length - t.dims.length;
  const ts = strides(t.dims);
  const os = strides(dims);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < dims.length; d++) {
      const idx = Math.floor(i / os[d]) % dims[d];
      if (d >= lead && t.dims[d - lead] !== 1) src += idx * ts[d - lead];
    }
    out[i] = t.data[src];
  }
  return { dims, data: out };
}

function broadcastShape(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

function binary(a: RefTensor, b: RefTensor, f: (x: number, y: number) => number): RefTensor {
  const dims = broadcastShape(a.dims, b.dims);
  const x = broadcastTo(a, dims);
  const y = broadcastTo(b, dims);
  return { dims, data: x.data.map((v, i) => f(v, y.data[i])) };
}

function unary(a: RefTensor, f: (x: number) => number): RefTensor {
  return { dims: a.dims, data: a.data.map(f) };
}

function transpose(a: RefTensor, perm: number[]): RefTensor {
  const dims = perm.map((p) => a.dims[p]);
  const as = strides(a.dims);
  const os = strides(dims);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < dims.length; d++) src += (Math.floor(i / os[d]) % dims[d]) * as[perm[d]];
    out[i] = a.data[src];
  }
  return { dims, data: out };
}

function reduceSum(a: RefTensor, axes: number[], keep: boolean): RefTensor {
  const kept = a.dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(numel(kept));
  const as = strides(a.dims);
  const ks = strides(kept);
  for (let i = 0; i < a.data.length; i++) {
    let dst = 0;
    for (let d = 0; d < a.dims.length; d++) if (!axes.includes(d)) dst += (Math.floor(i / as[d]) % a.dims[d]) * ks[d];
    out[dst] += a.data[i];
  }
  return { dims: keep ? kept : a.dims.filter((_, i) => !axes.includes(i)), data: out };
}

interface Conv2dParams {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

/** Y[n, m, oh, ow] = Σ_c,i,j X[n, g·C/G + c, oh·s + i·d - p, …] · W[m, c, i, j] (+ B[m]). */
function conv(x: RefTensor, w: RefTensor, b: RefTensor | undefined, p: Conv2dParams): RefTensor {
  const [n, c, h, wd] = x.dims;
  const [m, cg, kh, kw] = w.dims;
  const oh = Math.floor((h + p.pads[0] + p.pads[2] - ((kh - 1) * p.dilations[0] + 1)) / p.strides[0]) + 1;
  const ow = Math.floor((wd + p.pads[1] + p.pads[3] - ((kw - 1) * p.dilations[1] + 1)) / p.strides[1]) + 1;
  const mg = m / p.group;
  const out = new Float64Array(n * m * oh * ow);
  for (let b0 = 0; b0 < n; b0++)
    for (let o = 0; o < m; o++) {
      const g = Math.floor(o / mg);
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = b ? b.data[o] : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const r = y * p.strides[0] + i * p.dilations[0] - p.pads[0];
                const q = xx * p.strides[1] + j * p.dilations[1] - p.pads[1];
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                s += x.data[((b0 * c + g * cg + ci) * h + r) * wd + q] * w.data[((o * cg + ci) * kh + i) * kw + j];
              }
          out[((b0 * m + o) * oh + y) * ow + xx] = s;
        }
    }
  return { dims: [n, m, oh, ow], data: out };
}

/** The adjoint of conv: scatters each input cell through the kernel (ONNX ConvTranspose, W [C, M/G, kh, kw]). */
function convTranspose(x: RefTensor, w: RefTensor, p: Conv2dParams, outputPadding: number[]): RefTensor {
  const [n, c, h, wd] = x.dims;
  const [, mg, kh, kw] = w.dims;
  const m = mg * p.group;
  const cg = c / p.group;
  const oh = p.strides[0] * (h - 1) + outputPadding[0] + (kh - 1) * p.dilations[0] + 1 - p.pads[0] - p.pads[2];
  const ow = p.strides[1] * (wd - 1) + outputPadding[1] + (kw - 1) * p.dilations[1] + 1 - p.pads[1] - p.pads[3];
  const out = new Float64Array(n * m * oh * ow);
  for (let b0 = 0; b0 < n; b0++)
    for (let ci = 0; ci < c; ci++) {
      const g = Math.floor(ci / cg);
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < wd; xx++) {
          const v = x.data[((b0 * c + ci) * h + y) * wd + xx];
          for (let mo = 0; mo < mg; mo++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const r = y * p.strides[0] + i * p.dilations[0] - p.pads[0];
                const q = xx * p.strides[1] + j * p.dilations[1] - p.pads[1];
                if (r < 0 || r >= oh || q < 0 || q >= ow) continue;
                out[((b0 * m + g * mg + mo) * oh + r) * ow + q] += v * w.data[((ci * mg + mo) * kh + i) * kw + j];
              }
        }
    }
  return { dims: [n, m, oh, ow], data: out };
}

function averagePool(x: RefTensor, k: number[], s: number[], pads: number[], includePad: boolean): RefTensor {
  const [n, c, h, w] = x.dims;
  const oh = Math.floor((h + pads[0] + pads[2] - k[0]) / s[0]) + 1;
  const ow = Math.floor((w + pads[1] + pads[3] - k[1]) / s[1]) + 1;
  const out = new Float64Array(n * c * oh * ow);
  for (let nc = 0; nc < n * c; nc++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let sum = 0;
        let count = 0;
        for (let i = 0; i < k[0]; i++)
          for (let j = 0; j < k[1]; j++) {
            const r = y * s[0] + i - pads[0];
            const q = xx * s[1] + j - pads[1];
            if (r < 0 || r >= h || q < 0 || q >= w) continue;
            sum += x.data[(nc * h + r) * w + q];
            count++;
          }
        out[(nc * oh + y) * ow + xx] = sum / (includePad ? k[0] * k[1] : count);
      }
  return { dims: [n, c, oh, ow], data: out };
}

function logSoftmax(a: RefTensor, axis: number): RefTensor {
  const ax = axis < 0 ? axis + a.dims.length : axis;
  const st = strides(a.dims);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    if (Math.floor(i / st[ax]) % a.dims[ax] !== 0) continue;
    let max = -Infinity;
    for (let k = 0; k < a.dims[ax]; k++) max = Math.max(max, a.data[i + k * st[ax]]);
    let sum = 0;
    for (let k = 0; k < a.dims[ax]; k++) sum += Math.exp(a.data[i + k * st[ax]] - max);
    for (let k = 0; k < a.dims[ax]; k++) out[i + k * st[ax]] = a.data[i + k * st[ax]] - max - Math.log(sum);
  }
  return { dims: a.dims, data: out };
}

function convParams(node: OnnxNode): Conv2dParams {
  return {
    strides: attrInts(node, "strides") ?? [1, 1],
    pads: attrInts(node, "pads") ?? [0, 0, 0, 0],
    dilations: attrInts(node, "dilations") ?? [1, 1],
    group: attrInt(node, "group", 1),
  };
}

function evalNode(node: OnnxNode, ins: (RefTensor | undefined)[]): RefTensor {
  const [a, b] = ins as RefTensor[];
  const ints = (t: RefTensor) => Array.from(t.data);
  switch (node.opType) {
    case "Add":
      return binary(a, b, (x, y) => x + y);
    case "Sub":
      return binary(a, b, (x, y) => x - y);
    case "Mul":
      return binary(a, b, (x, y) => x * y);
    case "Div":
      return binary(a, b, (x, y) => x / y);
    case "Equal":
      return binary(a, b, (x, y) => (x === y ? 1 : 0));
    case "Greater":
      return binary(a, b, (x, y) => (x > y ? 1 : 0));
    case "Where": {
      const dims = broadcastShape(broadcastShape(a.dims, b.dims), ins[2]!.dims);
      const [c, x, y] = [broadcastTo(a, dims), broadcastTo(b, dims), broadcastTo(ins[2]!, dims)];
      return { dims, data: c.data.map((v, i) => (v ? x.data[i] : y.data[i])) };
    }
    case "Neg":
      return unary(a, (x) => -x);
    case "Exp":
      return unary(a, Math.exp);
    case "Relu":
      return unary(a, (x) => Math.max(0, x));
    case "Identity":
    case "Cast":
      return a;
    case "Reshape":
      return { dims: ints(b), data: a.data };
    case "Flatten": {
      const axis = attrInt(node, "axis", 1);
      return { dims: [numel(a.dims.slice(0, axis)), numel(a.dims.slice(axis))], data: a.data };
    }
    case "Expand":
      return broadcastTo(a, broadcastShape(a.dims, ints(b)));
    case "Transpose":
      return transpose(a, attrInts(node, "perm") ?? a.dims.map((_, i) => a.dims.length - 1 - i));
    case "ReduceSum":
      return reduceSum(a, b ? ints(b) : a.dims.map((_, i) => i), attrInt(node, "keepdims", 1) === 1);
    case "Slice": {
      const [starts, ends, axes] = [ints(b), ints(ins[2]!), ints(ins[3]!)];
      const dims = [...a.dims];
      axes.forEach((ax, i) => {
        dims[ax] = Math.min(ends[i], a.dims[ax]) - starts[i];
      });
      const as = strides(a.dims);
      const os = strides(dims);
      const out = new Float64Array(numel(dims));
      for (let i = 0; i < out.length; i++) {
        let src = 0;
        for (let d = 0; d < dims.length; d++) {
          const k = axes.indexOf(d);
          src += ((Math.floor(i / os[d]) % dims[d]) + (k >= 0 ? starts[k] : 0)) * as[d];
        }
        out[i] = a.data[src];
      }
      return { dims, data: out };
    }
    case "LogSoftmax":
      return logSoftmax(a, attrInt(node, "axis", -1));
    case "Gemm": {
      const at = attrInt(node, "transA", 0) ? transpose(a, [1, 0]) : a;
      const bt = attrInt(node, "transB", 0) ? transpose(b, [1, 0]) : b;
      const [m, k] = at.dims;
      const nn = bt.dims[1];
      const alpha = attrFloat(node, "alpha", 1);
      const out = new Float64Array(m * nn);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < nn; j++) {
          let s = 0;
          for (let q = 0; q < k; q++) s += at.data[i * k + q] * bt.data[q * nn + j];
          out[i * nn + j] = alpha * s;
        }
      const y = { dims: [m, nn], data: out };
      return ins[2]
        ? binary(
            y,
            unary(ins[2], (v) => v * attrFloat(node, "beta", 1)),
            (p, q) => p + q,
          )
        : y;
    }
    case "Conv":
      return conv(a, b, ins[2], convParams(node));
    case "ConvTranspose":
      return convTranspose(a, b, convParams(node), attrInts(node, "output_padding") ?? [0, 0]);
    case "AveragePool":
      return averagePool(
        a,
        attrInts(node, "kernel_shape")!,
        attrInts(node, "strides") ?? [1, 1],
        attrInts(node, "pads") ?? [0, 0, 0, 0],
        attrInt(node, "count_include_pad", 0) === 1,
      );
    case "GlobalAveragePool": {
      const [n, c, h, w] = a.dims;
      const r = reduceSum(a, [2, 3], true);
      return { dims: [n, c, 1, 1], data: r.data.map((v) => v / (h * w)) };
    }
    default:
      throw new Error(`reference evaluator: no ${node.opType}`);
  }
}

/** Runs a graph in float64; returns every named output. */
export function evaluateReference(graph: OnnxGraph, feeds: Record<string, RefTensor>): Record<string, RefTensor> {
  const values = new Map<string, RefTensor>(Object.entries(feeds));
  for (const [name, t] of graph.initializers) values.set(name, fromTensorData(t));
  for (const node of graph.nodes) {
    const ins = node.inputs.map((n) => (n === "" ? undefined : values.get(n)));
    node.inputs.forEach((n, i) => {
      if (n !== "" && !ins[i]) throw new Error(`reference evaluator: "${n}" undefined at ${node.name}`);
    });
    values.set(node.outputs[0], evalNode(node, ins));
  }
  return Object.fromEntries(graph.outputs.map((o) => [o.name, values.get(o.name)!]));
}
