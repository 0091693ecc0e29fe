/** Backward rules for MaxPool, AveragePool and GlobalAveragePool (2-D). */
import { attrInt, attrInts } from "../../onnx/ir.js";
import { tensor } from "../../onnx/tensor.js";
import { maxPoolIndicesName } from "../forward.js";
import type { GradRule } from "./types.js";

/** Scatter-adds dY to the positions MaxPool picked (its Indices output, flattened over N·C·H·W). */
export const maxPoolGrad: GradRule = ({ b }, node, dY) => {
  const x = node.inputs[0];
  const dims = b.dims(x);
  const total = dims.reduce((p, d) => p * d, 1);
  const count = b.dims(dY).reduce((p, d) => p * d, 1);
  const indices = b.reshape(maxPoolIndicesName(node.outputs[0]), [count]);
  const zeros = b.expand(b.constFloat([0], [1]), [total]);
  const flat = b.op("ScatterElements", [zeros, indices, b.reshape(dY, [count])], [total], {
    axis: 0,
    reduction: "add",
  });
  return [b.reshape(flat, dims)];
};

/**
 * Spreads dY / (window count) back over each window: a depthwise ConvTranspose with a kernel of ones.
 * With count_include_pad = 0 the divisor differs at the borders, so it is precomputed per output cell.
 */
export const averagePoolGrad: GradRule = ({ b }, node, dY) => {
  const x = node.inputs[0];
  const [n, c, h, w] = b.dims(x);
  const [, , oh, ow] = b.dims(dY);
  const [kh, kw] = attrInts(node, "kernel_shape")!;
  const strides = attrInts(node, "strides")!;
  const pads = attrInts(node, "pads")!;
  const includePad = attrInt(node, "count_include_pad", 0) === 1;
  const inv = new Array<number>(oh * ow);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const r0 = i * strides[0] - pads[0];
      const c0 = j * strides[1] - pads[1];
      const rows = includePad ? kh : Math.min(r0 + kh, h) - Math.max(r0, 0);
      const cols = includePad ? kw : Math.min(c0 + kw, w) - Math.max(c0, 0);
      inv[i * ow + j] = 1 / (rows * cols);
    }
  }
  const uniform = inv.every((v) => v === inv[0]);
  const scaled = uniform ? b.scale(dY, inv[0]) : b.mul(dY, b.constFloat(inv, [1, 1, oh, ow]));
  const ones = b.constant(tensor(b.floatType, [c, 1, kh, kw], new Array<number>(c * kh * kw).fill(1)));
  const span = (i: 0 | 1, inp: number, out: number, k: number) =>
    inp - (strides[i] * (out - 1) + k - pads[i] - pads[i + 2]);
  return [
    b.op("ConvTranspose", [scaled, ones], [n, c, h, w], {
      kernel_shape: [kh, kw],
      strides,
      pads,
      group: c,
      output_padding: [span(0, h, oh, kh), span(1, w, ow, kw)],
    }),
  ];
};

export const globalAveragePoolGrad: GradRule = ({ b }, node, dY) => {
  const dims = b.dims(node.inputs[0]);
  return [b.expand(b.scale(dY, 1 / (dims[2] * dims[3])), dims)];
};
