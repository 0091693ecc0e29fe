/** Backward rules for ReduceSum and ReduceMean: broadcast the gradient back over the reduced axes. */
import { attrInt, attrInts } from "../../onnx/ir.js";
import type { GradRule } from "./types.js";

export const reduceSumGrad: GradRule = ({ b }, node, dY) => {
  const x = node.inputs[0];
  const axes = attrInts(node, "axes")!;
  const kept = b.dims(x).map((d, i) => (axes.includes(i) ? 1 : d));
  const g = attrInt(node, "keepdims", 1) === 1 ? dY : b.reshape(dY, kept);
  return [b.expand(g, b.dims(x))];
};

export const reduceMeanGrad: GradRule = (ctx, node, dY) => {
  const dims = ctx.b.dims(node.inputs[0]);
  const count = attrInts(node, "axes")!.reduce((n, a) => n * dims[a], 1);
  // Scale before expanding: the gradient is smallest here.
  return reduceSumGrad(ctx, node, ctx.b.scale(dY, 1 / count));
};
