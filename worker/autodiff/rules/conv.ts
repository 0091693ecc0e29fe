/**
 * Backward rule for 2-D Conv with stride, padding, dilation and groups.
 * - dB sums dY over batch and space.
 * - dX is the transposed convolution of dY with the same weights; output_padding restores the rows and
 *   columns the forward stride skipped, so dX has exactly X's shape.
 * - dW correlates X with dY: one grouped Conv whose "batch" is the input channel and whose "kernel" is
 *   dY, with stride and dilation swapped; the result is cropped to the kernel size.
 */
import { attrInt, attrInts } from "../../onnx/ir.js";
import type { GradRule } from "./types.js";

export const convGrad: GradRule = ({ b, wants }, node, dY) => {
  const [x, w, bias] = node.inputs;
  const [n, c, h, wd] = b.dims(x);
  const [m, cg, kh, kw] = b.dims(w);
  const [, , oh, ow] = b.dims(dY);
  const group = attrInt(node, "group", 1);
  const strides = attrInts(node, "strides")!;
  const dilations = attrInts(node, "dilations")!;
  const pads = attrInts(node, "pads")!;

  let dX: string | undefined;
  if (wants(x)) {
    const span = (i: 0 | 1, inp: number, out: number, k: number) =>
      inp - (strides[i] * (out - 1) + (k - 1) * dilations[i] + 1 - pads[i] - pads[i + 2]);
    dX = b.op("ConvTranspose", [dY, w], [n, c, h, wd], {
      kernel_shape: [kh, kw],
      strides,
      dilations,
      pads,
      group,
      output_padding: [span(0, h, oh, kh), span(1, wd, ow, kw)],
    });
  }

  let dW: string | undefined;
  if (wants(w)) {
    // X as [C/G, G·N, H, W]: batch = channel within group, channels = (group, sample).
    const xg =
      group === 1
        ? b.transpose(x, [1, 0, 2, 3])
        : b.reshape(b.transpose(b.reshape(x, [n, group, cg, h, wd]), [2, 1, 0, 3, 4]), [cg, group * n, h, wd]);
    const dYt = b.transpose(dY, [1, 0, 2, 3]); // [M, N, OH, OW]
    const full = (i: 0 | 1, inp: number, out: number) =>
      Math.floor((inp + pads[i] + pads[i + 2] - ((out - 1) * strides[i] + 1)) / dilations[i]) + 1;
    const [fh, fw] = [full(0, h, oh), full(1, wd, ow)];
    let corr = b.op("Conv", [xg, dYt], [cg, m, fh, fw], {
      kernel_shape: [oh, ow],
      strides: dilations,
      dilations: strides,
      pads,
      group,
    });
    if (fh !== kh || fw !== kw) corr = b.slice(corr, [0, 0], [kh, kw], [2, 3]);
    dW = b.transpose(corr, [1, 0, 2, 3]);
  }

  const dB = bias && wants(bias) ? b.reduceSum(dY, [0, 2, 3], false) : undefined;
  return [dX, dW, dB];
};
