/** Backward rules for the broadcasting binary ops and the simple unary ops. */
import { attrFloat } from "../../onnx/ir.js";
import type { GradRule } from "./types.js";

export const addGrad: GradRule = ({ b, wants }, node, dY) => {
  const [x, y] = node.inputs;
  return [wants(x) ? b.reduceToShape(dY, b.dims(x)) : undefined, wants(y) ? b.reduceToShape(dY, b.dims(y)) : undefined];
};

export const subGrad: GradRule = ({ b, wants }, node, dY) => {
  const [x, y] = node.inputs;
  return [
    wants(x) ? b.reduceToShape(dY, b.dims(x)) : undefined,
    wants(y) ? b.neg(b.reduceToShape(dY, b.dims(y))) : undefined,
  ];
};

export const mulGrad: GradRule = ({ b, wants }, node, dY) => {
  const [x, y] = node.inputs;
  return [
    wants(x) ? b.reduceToShape(b.mul(dY, y), b.dims(x)) : undefined,
    wants(y) ? b.reduceToShape(b.mul(dY, x), b.dims(y)) : undefined,
  ];
};

/** z = x / y: dx = dz / y, dy = -dz * z / y. */
export const divGrad: GradRule = ({ b, wants }, node, dY) => {
  const [x, y] = node.inputs;
  const z = node.outputs[0];
  const dx = wants(x) || wants(y) ? b.div(dY, y) : undefined;
  return [
    wants(x) && dx ? b.reduceToShape(dx, b.dims(x)) : undefined,
    wants(y) && dx ? b.neg(b.reduceToShape(b.mul(dx, z), b.dims(y))) : undefined,
  ];
};

export const negGrad: GradRule = ({ b }, _node, dY) => [b.neg(dY)];

export const identityGrad: GradRule = (_ctx, _node, dY) => [dY];

function positiveMask(b: Parameters<GradRule>[0]["b"], x: string): string {
  return b.op("Greater", [x, b.constFloat([0])], b.dims(x), {}, "bool");
}

export const reluGrad: GradRule = ({ b }, node, dY) => {
  const x = node.inputs[0];
  return [b.op("Where", [positiveMask(b, x), dY, b.constFloat([0])], b.dims(x))];
};

export const leakyReluGrad: GradRule = ({ b }, node, dY) => {
  const x = node.inputs[0];
  const alpha = attrFloat(node, "alpha", 0.01);
  return [b.op("Where", [positiveMask(b, x), dY, b.scale(dY, alpha)], b.dims(x))];
};

/** σ' = y (1 - y), from the output so no recomputation. */
export const sigmoidGrad: GradRule = ({ b }, node, dY) => {
  const y = node.outputs[0];
  return [b.mul(dY, b.mul(y, b.sub(b.constFloat([1]), y)))];
};

export const tanhGrad: GradRule = ({ b }, node, dY) => {
  const y = node.outputs[0];
  return [b.mul(dY, b.sub(b.constFloat([1]), b.mul(y, y)))];
};

export const expGrad: GradRule = ({ b }, node, dY) => [b.mul(dY, node.outputs[0])];

export const logGrad: GradRule = ({ b }, node, dY) => [b.div(dY, node.inputs[0])];
