/**
 * Emits ONNX nodes at the engine's opset with fresh value names, deduplicated constants and the static
 * shape of every value it creates, so that gradient rules can reason about broadcasting.
 */
import type { DType } from "./dtype.js";
import type { Attribute, OnnxNode } from "./ir.js";
import { type TensorData, tensor } from "./tensor.js";

export type AttrInput = number | number[] | string | { float: number } | { floats: number[] };

export interface ValueMeta {
  dtype: DType;
  dims: number[];
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers = new Map<string, TensorData>();
  readonly meta = new Map<string, ValueMeta>();
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  /** Element type of the float constants the builder creates. */
  readonly floatType: DType;
  private readonly prefix: string;

  constructor(floatType: DType, prefix = "__tc") {
    this.floatType = floatType;
    this.prefix = prefix;
  }

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.counter++}`;
  }

  dims(name: string): number[] {
    const m = this.meta.get(name);
    if (!m) throw new Error(`GraphBuilder: no shape known for "${name}"`);
    return m.dims;
  }

  setMeta(name: string, dtype: DType, dims: number[]): void {
    this.meta.set(name, { dtype, dims });
  }

  /** Renames a value this builder produced (e.g. to a fixed graph output name), in every node. */
  rename(from: string, to: string): void {
    for (const n of this.nodes) {
      n.inputs = n.inputs.map((v) => (v === from ? to : v));
      n.outputs = n.outputs.map((v) => (v === from ? to : v));
    }
    const m = this.meta.get(from);
    if (m) this.meta.set(to, m);
  }

  /** Adds a node whose output shapes the caller states. Returns the output names. */
  node(
    opType: string,
    inputs: string[],
    outs: ValueMeta[],
    attrs: Record<string, AttrInput> = {},
    outputNames?: string[],
  ): string[] {
    const outputs = outputNames ?? outs.map(() => this.fresh(opType));
    this.nodes.push({
      name: this.fresh(`${opType}_node`),
      opType,
      domain: "",
      inputs,
      outputs,
      attrs: toAttributes(attrs),
    });
    outs.forEach((m, i) => {
      this.meta.set(outputs[i], m);
    });
    return outputs;
  }

  /** A single-output node with the given output dims, in the builder's float type unless told. */
  op(opType: string, inputs: string[], dims: number[], attrs: Record<string, AttrInput> = {}, dtype?: DType): string {
    return this.node(opType, inputs, [{ dtype: dtype ?? this.floatType, dims }], attrs)[0];
  }

  constFloat(values: number[], dims: number[] = []): string {
    return this.constant(tensor(this.floatType, dims, values));
  }

  constInt64(values: number[], dims: number[] = [values.length]): string {
    return this.constant(tensor("int64", dims, values));
  }

  constant(t: TensorData): string {
    const key = `${t.dtype}|${t.dims.join(",")}|${Array.from(t.data as ArrayLike<number | bigint>, String).join(",")}`;
    const cached = key.length < 4096 ? this.constCache.get(key) : undefined;
    if (cached) return cached;
    const name = this.fresh("const");
    this.initializers.set(name, t);
    this.meta.set(name, { dtype: t.dtype, dims: t.dims });
    if (key.length < 4096) this.constCache.set(key, name);
    return name;
  }

  // Shape-aware helpers used throughout the gradient rules.

  add(a: string, b: string): string {
    return this.op("Add", [a, b], broadcastDims(this.dims(a), this.dims(b)));
  }
  sub(a: string, b: string): string {
    return this.op("Sub", [a, b], broadcastDims(this.dims(a), this.dims(b)));
  }
  mul(a: string, b: string): string {
    return this.op("Mul", [a, b], broadcastDims(this.dims(a), this.dims(b)));
  }
  div(a: string, b: string): string {
    return this.op("Div", [a, b], broadcastDims(this.dims(a), this.dims(b)));
  }
  neg(a: string): string {
    return this.op("Neg", [a], this.dims(a));
  }
  scale(a: string, factor: number): string {
    return factor === 1 ? a : this.mul(a, this.constFloat([factor]));
  }
  reshape(a: string, dims: number[]): string {
    const cur = this.dims(a);
    if (cur.length === dims.length && cur.every((d, i) => d === dims[i])) return a;
    return this.op("Reshape", [a, this.constInt64(dims)], dims, {}, this.meta.get(a)?.dtype);
  }
  transpose(a: string, perm: number[]): string {
    const d = this.dims(a);
    if (perm.every((p, i) => p === i)) return a;
    return this.op(
      "Transpose",
      [a],
      perm.map((p) => d[p]),
      { perm },
      this.meta.get(a)?.dtype,
    );
  }
  reduceSum(a: string, axes: number[], keepdims: boolean): string {
    if (axes.length === 0) return a;
    const d = this.dims(a);
    const out = keepdims ? d.map((x, i) => (axes.includes(i) ? 1 : x)) : d.filter((_, i) => !axes.includes(i));
    return this.op("ReduceSum", [a, this.constInt64(axes)], out, { keepdims: keepdims ? 1 : 0 });
  }
  expand(a: string, dims: number[]): string {
    const cur = this.dims(a);
    if (cur.length === dims.length && cur.every((d, i) => d === dims[i])) return a;
    return this.op("Expand", [a, this.constInt64(dims)], dims);
  }
  slice(a: string, starts: number[], ends: number[], axes: number[]): string {
    const d = [...this.dims(a)];
    axes.forEach((ax, i) => {
      d[ax] = ends[i] - starts[i];
    });
    return this.op("Slice", [a, this.constInt64(starts), this.constInt64(ends), this.constInt64(axes)], d);
  }

  /** Sums `grad` (of shape `dims(grad)`) down to `target`, undoing numpy-style broadcasting. */
  reduceToShape(grad: string, target: number[]): string {
    const g = this.dims(grad);
    const lead = g.length - target.length;
    const axes: number[] = [];
    for (let i = 0; i < g.length; i++) {
      if (i < lead) axes.push(i);
      else if (target[i - lead] === 1 && g[i] !== 1) axes.push(i);
    }
    // Only leading axes summed (a bias): drop them in the reduction itself, no Reshape needed.
    if (axes.length === lead) return this.reduceSum(grad, axes, false);
    return this.reshape(this.reduceSum(grad, axes, true), target);
  }
}

export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new RangeError(`cannot broadcast [${a}] with [${b}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

function toAttributes(attrs: Record<string, AttrInput>): Record<string, Attribute> {
  const out: Record<string, Attribute> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "number") out[k] = { type: "INT", i: v };
    else if (typeof v === "string") out[k] = { type: "STRING", s: v };
    else if (Array.isArray(v)) out[k] = { type: "INTS", ints: v };
    else if ("float" in v) out[k] = { type: "FLOAT", f: v.float };
    else out[k] = { type: "FLOATS", floats: v.floats };
  }
  return out;
}
