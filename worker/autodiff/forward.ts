/**
 * Re-emits a normalized forward node into a training graph at the engine's opset: attributes that the
 * opset takes as inputs become constants, Reshape targets become static dims, and MaxPool gains its
 * Indices output, which the backward rule scatters through.
 */
import type { GraphBuilder } from "../onnx/builder.js";
import { attrInt, attrInts, type OnnxNode } from "../onnx/ir.js";
import type { ShapeMap } from "../onnx/shapes.js";

export function maxPoolIndicesName(output: string): string {
  return `${output}::indices`;
}

export function emitForwardNode(b: GraphBuilder, node: OnnxNode, shapes: ShapeMap): void {
  const out = node.outputs[0];
  const meta = shapes.get(out)!;
  const emit = (opType: string, inputs: string[], attrs: Record<string, unknown>, extra: (typeof meta)[] = []) => {
    b.nodes.push({
      name: node.name,
      opType,
      domain: "",
      inputs,
      outputs: [out, ...extra.map((_, i) => (i === 0 && opType === "MaxPool" ? maxPoolIndicesName(out) : ""))],
      attrs: attrs as OnnxNode["attrs"],
    });
    b.setMeta(out, meta.dtype, meta.dims);
  };
  switch (node.opType) {
    case "ReduceSum":
      emit("ReduceSum", [node.inputs[0], b.constInt64(attrInts(node, "axes")!)], {
        keepdims: { type: "INT", i: attrInt(node, "keepdims", 1) },
      });
      return;
    case "Reshape":
      emit("Reshape", [node.inputs[0], b.constInt64(meta.dims)], {});
      return;
    case "MaxPool": {
      emit("MaxPool", node.inputs, node.attrs, [{ dtype: "int64", dims: meta.dims }]);
      b.setMeta(maxPoolIndicesName(out), "int64", meta.dims);
      return;
    }
    default:
      emit(node.opType, node.inputs, node.attrs);
  }
}
