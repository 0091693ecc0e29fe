/** Backward rules for ops that only move data: Reshape, Flatten, Transpose, Concat. */
import { attrInt, attrInts } from "../../onnx/ir.js";
import type { GradRule } from "./types.js";

export const reshapeGrad: GradRule = ({ b }, node, dY) => [b.reshape(dY, b.dims(node.inputs[0]))];

export const transposeGrad: GradRule = ({ b }, node, dY) => {
  const perm = attrInts(node, "perm")!;
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return [b.transpose(dY, inverse)];
};

export const concatGrad: GradRule = ({ b, wants }, node, dY) => {
  const axis = attrInt(node, "axis", 0);
  let offset = 0;
  return node.inputs.map((x) => {
    const size = b.dims(x)[axis];
    const start = offset;
    offset += size;
    return wants(x) ? b.slice(dY, [start], [start + size], [axis]) : undefined;
  });
};
