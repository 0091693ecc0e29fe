/** Window geometry shared by Conv and the pools: explicit pads, strides, dilations and output size. */
import { shapeError } from "./errors.js";
import { attrInt, attrInts, attrString, type OnnxNode } from "./ir.js";

export interface Window2d {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right], as ONNX orders them. */
  pads: [number, number, number, number];
  ceil: boolean;
}

/** Resolves a node's window attributes (auto_pad included) against the input's spatial size. */
export function window2d(node: OnnxNode, inH: number, inW: number, kernel: [number, number]): Window2d {
  const two = (name: string, dflt: number): [number, number] => {
    const v = attrInts(node, name);
    if (v && v.length !== 2) throw shapeError(node.name, `${name} must have 2 values (2-D only)`);
    return v ? [v[0], v[1]] : [dflt, dflt];
  };
  const strides = two("strides", 1);
  const dilations = two("dilations", 1);
  const ceil = attrInt(node, "ceil_mode", 0) === 1;
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  let pads: [number, number, number, number];
  if (autoPad === "NOTSET") {
    const p = attrInts(node, "pads") ?? [0, 0, 0, 0];
    if (p.length !== 4) throw shapeError(node.name, "pads must have 4 values (2-D only)");
    pads = [p[0], p[1], p[2], p[3]];
  } else if (autoPad === "VALID") {
    pads = [0, 0, 0, 0];
  } else if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const total = (inp: number, i: 0 | 1) => {
      const out = Math.ceil(inp / strides[i]);
      return Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inp);
    };
    const [th, tw] = [total(inH, 0), total(inW, 1)];
    const small = (t: number) => (autoPad === "SAME_UPPER" ? Math.floor(t / 2) : Math.ceil(t / 2));
    pads = [small(th), small(tw), th - small(th), tw - small(tw)];
  } else {
    throw shapeError(node.name, `unknown auto_pad ${autoPad}`);
  }
  return { kernel, strides, dilations, pads, ceil };
}

export function outputSize(w: Window2d, inH: number, inW: number): [number, number] {
  const one = (inp: number, i: 0 | 1) => {
    const span = inp + w.pads[i] + w.pads[i + 2] - ((w.kernel[i] - 1) * w.dilations[i] + 1);
    const q = span / w.strides[i];
    return (w.ceil ? Math.ceil(q) : Math.floor(q)) + 1;
  };
  return [one(inH, 0), one(inW, 1)];
}

/** Writes the resolved window back as plain attributes, so emitted nodes never depend on auto_pad. */
export function windowAttrs(w: Window2d): Record<string, number[] | number> {
  return {
    kernel_shape: [...w.kernel],
    strides: [...w.strides],
    dilations: [...w.dilations],
    pads: [...w.pads],
  };
}
