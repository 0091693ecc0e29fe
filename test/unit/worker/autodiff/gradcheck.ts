/**
 * Gradient checks against central finite differences in float64.
 *
 * A case is a tiny forward model: input x, trainable parameters, a few nodes ending in "y", and a loss.
 * The engine builds its training graph (with the gradients exposed as outputs); the analytic gradient
 * and the finite differences (L(p + h) - L(p - h)) / 2h both come from running that same graph:
 * - on onnxruntime in float64 when every node of it has a float64 CPU kernel;
 * - otherwise (Conv, ConvTranspose, AveragePool, GlobalAveragePool: float32-only kernels) on the
 *   float64 reference evaluator, and the same graph built in float32 is run on onnxruntime and must
 *   agree with the float64 gradients to float32 precision.
 */
import ort from "onnxruntime-node";
import type { LossKind } from "../../../../worker/autodiff/losses.js";
import {
  buildTrainingGraph,
  LOSS_OUTPUT,
  TARGET_INPUT,
  type TrainingGraph,
} from "../../../../worker/autodiff/trainingGraph.js";
import type { DType } from "../../../../worker/onnx/dtype.js";
import type { Attribute, OnnxNode } from "../../../../worker/onnx/ir.js";
import { numel, type TensorData, tensor } from "../../../../worker/onnx/tensor.js";
import { Blake2Stream } from "../../../../worker/util/prng.js";
import { evaluateReference, type RefTensor } from "./referenceEvaluator.js";

export type Init = "normal" | "positive" | "awayFromZero";

export interface GradCase {
  name: string;
  x: number[];
  params: Record<string, { dims: number[]; init?: Init }>;
  /** Initializers that are not trained (constants of the model). */
  constants?: Record<string, number[] | { dims: number[]; values: number[] }>;
  /** int64 constants (shapes, axes). */
  int64?: Record<string, number[]>;
  nodes: { op: string; inputs: string[]; output: string; attrs?: Record<string, Attribute> }[];
  loss: LossKind;
  /** Output dims (needed for the target). */
  y: number[];
}

export const INTS = (ints: number[]): Attribute => ({ type: "INTS", ints });
export const INT = (i: number): Attribute => ({ type: "INT", i });
export const FLOAT = (f: number): Attribute => ({ type: "FLOAT", f });

const ORT_F64_MISSING = new Set(["Conv", "ConvTranspose", "AveragePool", "GlobalAveragePool"]);

function values(rng: Blake2Stream, n: number, init: Init): number[] {
  return Array.from({ length: n }, () => {
    const g = rng.nextGaussian();
    if (init === "positive") return 0.5 + Math.abs(g);
    if (init === "awayFromZero") return Math.sign(g || 1) * (0.3 + Math.abs(g));
    return g;
  });
}

function buildModel(c: GradCase, dtype: DType) {
  const rng = Blake2Stream.from("gradcheck", c.name);
  const initializers = new Map<string, TensorData>();
  for (const [name, p] of Object.entries(c.params))
    initializers.set(name, tensor(dtype, p.dims, values(rng, numel(p.dims), p.init ?? "normal")));
  for (const [name, v] of Object.entries(c.constants ?? {})) {
    if (Array.isArray(v)) initializers.set(name, tensor(dtype, [v.length], v));
    else initializers.set(name, tensor(dtype, v.dims, v.values));
  }
  for (const [name, v] of Object.entries(c.int64 ?? {})) initializers.set(name, tensor("int64", [v.length], v));
  const nodes: OnnxNode[] = c.nodes.map((n, i) => ({
    name: `${n.op}_${i}`,
    opType: n.op,
    domain: "",
    inputs: n.inputs,
    outputs: [n.output],
    attrs: n.attrs ?? {},
  }));
  const x = tensor(dtype, c.x, values(rng, numel(c.x), "awayFromZero"));
  const target =
    c.loss === "cross_entropy"
      ? tensor(
          "int64",
          [c.y[0]],
          Array.from({ length: c.y[0] }, () => rng.nextInt(c.y[1])),
        )
      : tensor(dtype, c.y, values(rng, numel(c.y), "normal"));
  return {
    model: {
      opset: 17,
      graph: {
        name: c.name,
        nodes,
        inputs: [{ name: "x", dtype, shape: c.x }],
        outputs: [{ name: "y", dtype, shape: c.y }],
        initializers,
      },
    },
    x,
    target,
    frozen: Object.keys(c.constants ?? {}),
  };
}

type Evaluate = (params: Map<string, TensorData>) => Promise<{ loss: number; grads: Map<string, Float64Array> }>;

async function ortEvaluator(tg: TrainingGraph, x: TensorData, target: TensorData): Promise<Evaluate> {
  const session = await ort.InferenceSession.create(tg.bytes, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const t = (d: TensorData) => new ort.Tensor(d.dtype as "float32", d.data as Float32Array, d.dims);
  return async (params) => {
    const feeds: Record<string, ort.Tensor> = {
      [tg.input.name]: t(x),
      [TARGET_INPUT]: t(target),
      lr: t(tensor(tg.floatType, [], [0])),
    };
    for (const s of tg.state) feeds[s.name] = t(params.get(s.name) ?? s.initial);
    const out = await session.run(feeds);
    const grads = new Map<string, Float64Array>();
    for (const [p, name] of tg.gradients) grads.set(p, Float64Array.from(out[name].data as Float64Array));
    return { loss: Number(out[LOSS_OUTPUT].data[0]), grads };
  };
}

function referenceEvaluator(tg: TrainingGraph, x: TensorData, target: TensorData): Evaluate {
  const ref = (d: TensorData): RefTensor => ({
    dims: d.dims,
    data: Float64Array.from(d.data as ArrayLike<number | bigint>, Number),
  });
  return async (params) => {
    const feeds: Record<string, RefTensor> = {
      [tg.input.name]: ref(x),
      [TARGET_INPUT]: ref(target),
      lr: ref(tensor("float64", [], [0])),
    };
    for (const s of tg.state) feeds[s.name] = ref(params.get(s.name) ?? s.initial);
    const out = evaluateReference(tg.graph, feeds);
    const grads = new Map<string, Float64Array>();
    for (const [p, name] of tg.gradients) grads.set(p, out[name].data);
    return { loss: out[LOSS_OUTPUT].data[0], grads };
  };
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    na += a[i] ** 2;
    nb += b[i] ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(na), Math.sqrt(nb), 1e-300);
}

export interface GradCheckReport {
  evaluator: "onnxruntime-float64" | "reference-float64";
  /** Relative error (L2) of the analytic gradient against finite differences, all parameters together. */
  relError: number;
  /** For reference-evaluated cases: onnxruntime float32 gradients against the float64 ones. */
  ortFloat32RelError?: number;
  checkedElements: number;
}

/** Finite differences on up to `perParam` elements of each parameter, spread over the tensor. */
export async function gradCheck(c: GradCase, perParam = 16, h = 1e-6): Promise<GradCheckReport> {
  const m = buildModel(c, "float64");
  const tg = buildTrainingGraph(m.model, {
    loss: c.loss,
    optimizer: { kind: "sgd" },
    batchSize: c.x[0],
    frozen: m.frozen,
    exposeGradients: true,
  });
  const needsRef = tg.graph.nodes.some((n) => ORT_F64_MISSING.has(n.opType));
  const evaluate = needsRef ? referenceEvaluator(tg, m.x, m.target) : await ortEvaluator(tg, m.x, m.target);
  const base = new Map(tg.state.map((s) => [s.name, s.initial]));
  const { grads } = await evaluate(base);
  const analytic: number[] = [];
  const numeric: number[] = [];
  for (const p of tg.parameters) {
    const t0 = base.get(p)!;
    const n = t0.data.length;
    const count = Math.min(n, perParam);
    for (let k = 0; k < count; k++) {
      const i = Math.floor((k * n) / count);
      const shifted = (delta: number) => {
        const data = (t0.data as Float64Array).slice();
        data[i] += delta;
        return new Map(base).set(p, { ...t0, data });
      };
      const lp = (await evaluate(shifted(h))).loss;
      const lm = (await evaluate(shifted(-h))).loss;
      numeric.push((lp - lm) / (2 * h));
      analytic.push(grads.get(p)![i]);
    }
  }
  const report: GradCheckReport = {
    evaluator: needsRef ? "reference-float64" : "onnxruntime-float64",
    relError: relErr(analytic, numeric),
    checkedElements: analytic.length,
  };
  if (needsRef) {
    const m32 = buildModel(c, "float32");
    const tg32 = buildTrainingGraph(m32.model, {
      loss: c.loss,
      optimizer: { kind: "sgd" },
      batchSize: c.x[0],
      frozen: m32.frozen,
      exposeGradients: true,
    });
    const g32 = (await (await ortEvaluator(tg32, m32.x, m32.target))(new Map())).grads;
    const all64 = tg.parameters.flatMap((p) => Array.from(grads.get(p)!));
    const all32 = tg.parameters.flatMap((p) => Array.from(g32.get(p)!));
    report.ortFloat32RelError = relErr(all32, all64);
  }
  return report;
}
