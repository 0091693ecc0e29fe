/**
 * Turns a client's graph into the engine's canonical form: Constant nodes folded into initializers,
 * inputs that opsets 13..21 pass as tensors (Reduce axes, Reshape shape, Dropout ratio) turned into
 * attributes, Dropout reduced to Identity. Anything outside the supported set is rejected here, with the
 * op type and node name, before any training work starts.
 */
import { OnnxError, unsupportedOp } from "./errors.js";
import { type Attribute, attrInt, type OnnxGraph, type OnnxModel, type OnnxNode } from "./ir.js";
import { isSupportedOp } from "./ops.js";
import type { TensorData } from "./tensor.js";

export interface NormalizedGraph {
  nodes: OnnxNode[];
  initializers: Map<string, TensorData>;
  inputs: OnnxGraph["inputs"];
  outputs: OnnxGraph["outputs"];
}

const ATTRS_ALLOWED: Record<string, string[]> = {
  Gemm: ["alpha", "beta", "transA", "transB"],
  LeakyRelu: ["alpha"],
  Softmax: ["axis"],
  LogSoftmax: ["axis"],
  Reshape: ["allowzero"],
  Flatten: ["axis"],
  Transpose: ["perm"],
  Concat: ["axis"],
  ReduceMean: ["axes", "keepdims", "noop_with_empty_axes"],
  ReduceSum: ["keepdims", "noop_with_empty_axes"],
  Conv: ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"],
  MaxPool: ["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "storage_order"],
  AveragePool: ["kernel_shape", "strides", "pads", "count_include_pad", "ceil_mode", "auto_pad", "dilations"],
  Dropout: ["seed", "ratio"],
  Constant: ["value", "value_float", "value_floats", "value_int", "value_ints"],
};

export function normalizeGraph(model: OnnxModel): NormalizedGraph {
  const { graph, opset } = model;
  const initializers = new Map(graph.initializers);
  const nodes: OnnxNode[] = [];
  const constOf = (name: string): TensorData | undefined => initializers.get(name);
  const intsOf = (node: OnnxNode, name: string, what: string): number[] => {
    const t = constOf(name);
    if (t?.dtype !== "int64") throw unsupportedOp(node.opType, node.name, `${what} must be a constant int64 tensor`);
    return Array.from(t.data as BigInt64Array, Number);
  };

  for (const node of graph.nodes) {
    if (node.domain !== "" && node.domain !== "ai.onnx")
      throw unsupportedOp(`${node.domain}.${node.opType}`, node.name);
    if (!isSupportedOp(node.opType)) throw unsupportedOp(node.opType, node.name);
    for (const [k, a] of Object.entries(node.attrs)) {
      if (a.type === "OTHER" || !(ATTRS_ALLOWED[node.opType] ?? []).includes(k)) {
        throw new OnnxError(
          { code: "ONNX_ERROR_UNSUPPORTED_ATTRIBUTE", opType: node.opType, nodeName: node.name, attribute: k },
          `Unsupported attribute "${k}" on ${node.opType} node "${node.name}"`,
        );
      }
    }
    const n: OnnxNode = { ...node, inputs: [...node.inputs], attrs: { ...node.attrs } };
    switch (n.opType) {
      case "Constant":
        initializers.set(n.outputs[0], constantValue(n));
        continue;
      case "ReduceSum":
      case "ReduceMean":
        if (n.opType === "ReduceSum" || opset >= 18) {
          if (n.inputs[1]) n.attrs.axes = { type: "INTS", ints: intsOf(n, n.inputs[1], "axes") };
          n.inputs = [n.inputs[0]];
        }
        if (!n.attrs.axes && attrInt(n, "noop_with_empty_axes", 0) === 1) {
          n.opType = "Identity";
          n.attrs = {};
        }
        delete n.attrs.noop_with_empty_axes;
        break;
      case "Reshape":
        n.attrs.shape = { type: "INTS", ints: intsOf(n, n.inputs[1], "shape") };
        n.inputs = [n.inputs[0]];
        break;
      case "Dropout": {
        const training = n.inputs[2] ? constOf(n.inputs[2]) : undefined;
        const ratio = n.inputs[1] ? constOf(n.inputs[1]) : undefined;
        if (n.inputs[2] && !training) throw unsupportedOp("Dropout", n.name, "training_mode must be a constant");
        const isTraining = training ? Number(training.data[0]) !== 0 : false;
        const r = ratio ? Number(ratio.data[0]) : 0.5;
        // Random masks cannot be re-executed bit for bit: dropout is identity (inference) or ratio 0.
        if (isTraining && r !== 0)
          throw unsupportedOp("Dropout", n.name, "training_mode with ratio > 0 is not deterministic");
        n.opType = "Identity";
        n.inputs = [n.inputs[0]];
        n.outputs = [n.outputs[0]];
        n.attrs = {};
        break;
      }
      case "MaxPool":
        if (n.outputs.length > 1 && n.outputs[1])
          throw unsupportedOp("MaxPool", n.name, "the Indices output is not supported");
        if (attrInt(n, "storage_order", 0) !== 0) throw unsupportedOp("MaxPool", n.name, "storage_order must be 0");
        break;
      case "AveragePool":
        if (attrInt(n, "ceil_mode", 0) !== 0) throw unsupportedOp("AveragePool", n.name, "ceil_mode must be 0");
        if (n.attrs.dilations && n.attrs.dilations.type === "INTS" && n.attrs.dilations.ints.some((d) => d !== 1)) {
          throw unsupportedOp("AveragePool", n.name, "dilations must be 1");
        }
        delete n.attrs.dilations;
        break;
      default:
        break;
    }
    nodes.push(n);
  }
  return { nodes, initializers, inputs: graph.inputs, outputs: graph.outputs };
}

function constantValue(n: OnnxNode): TensorData {
  const a: Attribute | undefined = Object.values(n.attrs)[0];
  const key = Object.keys(n.attrs)[0];
  if (a?.type === "TENSOR") return a.t;
  if (a?.type === "FLOAT") return { dtype: "float32", dims: [], data: Float32Array.of(a.f) };
  if (a?.type === "FLOATS") return { dtype: "float32", dims: [a.floats.length], data: Float32Array.from(a.floats) };
  if (a?.type === "INT") return { dtype: "int64", dims: [], data: BigInt64Array.of(BigInt(a.i)) };
  if (a?.type === "INTS")
    return { dtype: "int64", dims: [a.ints.length], data: BigInt64Array.from(a.ints.map(BigInt)) };
  throw unsupportedOp("Constant", n.name, `value kind ${key ?? "(none)"}`);
}
