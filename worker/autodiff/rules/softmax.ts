/** Backward rules for Softmax and LogSoftmax along one axis (opset >= 13 semantics). */
import { attrInt } from "../../onnx/ir.js";
import type { GradRule } from "./types.js";

/** dx = y * (dy - Σ_axis(dy * y)). */
export const softmaxGrad: GradRule = ({ b }, node, dY) => {
  const y = node.outputs[0];
  const axis = attrInt(node, "axis", -1);
  const dot = b.reduceSum(b.mul(dY, y), [axis], true);
  return [b.mul(y, b.sub(dY, dot))];
};

/** dx = dy - exp(y) * Σ_axis(dy). */
export const logSoftmaxGrad: GradRule = ({ b }, node, dY) => {
  const y = node.outputs[0];
  const axis = attrInt(node, "axis", -1);
  const softmax = b.op("Exp", [y], b.dims(y));
  return [b.sub(dY, b.mul(softmax, b.reduceSum(dY, [axis], true)))];
};
