/**
 * Builds the training graph of one step from a client's forward model:
 *
 *   inputs:  parameters, optimizer state, the batch (model input + "target"), "lr"
 *   outputs: "loss", then "<state>::next" for every parameter and optimizer state tensor
 *
 * Forward nodes keep the client's value names, so parameters are fed and fetched under the names of
 * the model's initializers. The batch size is static: every shape in the graph is known, which is what
 * lets each backward rule sum broadcast dimensions without runtime shape ops.
 */
import { GraphBuilder } from "../onnx/builder.js";
import { type DType, isFloat } from "../onnx/dtype.js";
import { OnnxError } from "../onnx/errors.js";
import type { OnnxGraph, OnnxModel, ValueInfo } from "../onnx/ir.js";
import { ENGINE_OPSET, encodeModel } from "../onnx/model.js";
import { normalizeGraph } from "../onnx/normalize.js";
import { inferShapes } from "../onnx/shapes.js";
import type { TensorData } from "../onnx/tensor.js";
import { appendOptimizer, type OptimizerSpec, type StateSlot } from "../optim/optimizers.js";
import { backward, valuesNeedingGrad } from "./backward.js";
import { emitForwardNode } from "./forward.js";
import { emitLoss, type LossKind } from "./losses.js";

export const LOSS_OUTPUT = "loss";
export const TARGET_INPUT = "target";
export const LR_INPUT = "lr";

export interface TrainingGraphOptions {
  loss: LossKind;
  optimizer: OptimizerSpec;
  batchSize: number;
  /** Initializers to keep fixed (not trained). */
  frozen?: string[];
  /** Also output "<param>::grad" (used by gradient checks). */
  exposeGradients?: boolean;
}

export interface StateTensorSpec extends StateSlot {
  kind: "parameter" | "optimizer";
  /** Starting value: the model's initializer, or zeros for optimizer state. */
  initial: TensorData;
}

export interface TrainingGraph {
  /** Serialized ONNX model of one training step. */
  bytes: Uint8Array;
  graph: OnnxGraph;
  floatType: DType;
  batchSize: number;
  input: { name: string; dims: number[] };
  target: { name: string; dtype: DType; dims: number[] };
  /** Model output (logits or prediction) dims for the training batch. */
  outputDims: number[];
  parameters: string[];
  /** Parameters and optimizer state, in canonical (sorted-name) order. */
  state: StateTensorSpec[];
  gradients: Map<string, string>;
}

/** Concrete dims for a model input with the batch (first) dimension set to `batch`. */
export function batchDims(input: ValueInfo, batch: number): number[] {
  if (!input.shape || input.shape.length === 0) {
    throw new OnnxError({ code: "ONNX_ERROR_INVALID_GRAPH", reason: `input "${input.name}" has no shape` });
  }
  return input.shape.map((d, i) => {
    if (i === 0) return batch;
    if (typeof d !== "number") {
      throw new OnnxError(
        { code: "ONNX_ERROR_INVALID_GRAPH", reason: `input "${input.name}" has a symbolic dim ${d} past the batch` },
        `Input "${input.name}" must have static dims after the batch dimension`,
      );
    }
    return d;
  });
}

export function buildTrainingGraph(model: OnnxModel, opts: TrainingGraphOptions): TrainingGraph {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
    throw new RangeError("batchSize must be a positive integer");
  const norm = normalizeGraph(model);
  if (norm.inputs.length !== 1 || norm.outputs.length !== 1) {
    throw new OnnxError(
      { code: "ONNX_ERROR_INVALID_GRAPH", reason: "model must have exactly one input and one output" },
      `Model must have exactly one input and one output (has ${norm.inputs.length} and ${norm.outputs.length})`,
    );
  }
  const input = norm.inputs[0];
  const output = norm.outputs[0].name;
  const inputDims = batchDims(input, opts.batchSize);
  const shapes = inferShapes(norm, { [input.name]: inputDims });
  const floatType = shapes.get(output)!.dtype;
  if (!isFloat(floatType))
    throw new OnnxError({ code: "ONNX_ERROR_INVALID_GRAPH", reason: "model output must be float" });

  const frozen = new Set(opts.frozen ?? []);
  const candidates = new Set(
    [...model.graph.initializers].filter(([name, t]) => isFloat(t.dtype) && !frozen.has(name)).map(([name]) => name),
  );
  const reaching = valuesNeedingGrad(norm.nodes, candidates);
  if (!reaching.has(output)) {
    throw new OnnxError({ code: "ONNX_ERROR_INVALID_GRAPH", reason: "the output depends on no trainable initializer" });
  }
  // Parameters: float initializers that the output actually depends on.
  const params = new Set([...candidates].filter((p) => norm.nodes.some((n) => n.inputs.includes(p))));

  const b = new GraphBuilder(floatType);
  for (const [name, m] of shapes) b.setMeta(name, m.dtype, m.dims);
  for (const node of norm.nodes) emitForwardNode(b, node, shapes);

  const loss = emitLoss(b, opts.loss, output, TARGET_INPUT);
  b.rename(loss.loss, LOSS_OUTPUT);
  const grads = backward(b, norm.nodes, output, loss.dOutput, params);

  b.setMeta(LR_INPUT, floatType, []);
  const paramList = [...params].sort();
  const slots = appendOptimizer(
    b,
    opts.optimizer,
    paramList.map((name) => ({ name, grad: grads.get(name)!, dims: b.dims(name) })),
    LR_INPUT,
  );
  const state: StateTensorSpec[] = slots
    .map((s) => ({
      ...s,
      kind: params.has(s.name) ? ("parameter" as const) : ("optimizer" as const),
      initial: s.initial ?? norm.initializers.get(s.name)!,
    }))
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));

  const initializers = new Map<string, TensorData>();
  for (const [name, t] of norm.initializers) if (!params.has(name)) initializers.set(name, t);
  for (const [name, t] of b.initializers) initializers.set(name, t);

  const vi = (name: string): ValueInfo => {
    const m = b.meta.get(name)!;
    return { name, dtype: m.dtype, shape: m.dims };
  };
  const gradOutputs = new Map<string, string>();
  const extraOutputs: ValueInfo[] = [];
  if (opts.exposeGradients) {
    for (const p of paramList) {
      const name = `${p}::grad`;
      const g = grads.get(p)!;
      b.op("Identity", [g], b.dims(p));
      b.rename(b.nodes.at(-1)!.outputs[0], name);
      gradOutputs.set(p, name);
      extraOutputs.push(vi(name));
    }
  }
  const graph: OnnxGraph = {
    name: "tensorchain_training_step",
    nodes: b.nodes,
    inputs: [vi(input.name), vi(TARGET_INPUT), vi(LR_INPUT), ...state.map((s) => vi(s.name))],
    outputs: [vi(LOSS_OUTPUT), ...state.map((s) => vi(s.next)), ...extraOutputs],
    initializers,
  };
  return {
    bytes: encodeModel(graph, {
      opset: ENGINE_OPSET,
      docString: `training step: ${opts.loss}, ${opts.optimizer.kind}`,
    }),
    graph,
    floatType,
    batchSize: opts.batchSize,
    input: { name: input.name, dims: inputDims },
    target: loss.target,
    outputDims: shapes.get(output)!.dims,
    parameters: paramList,
    state,
    gradients: gradOutputs,
  };
}
