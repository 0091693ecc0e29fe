/**
 * Model templates for clients without a Python toolchain: ONNX forward graphs with a symbolic batch
 * dimension "N", logits as the output, and weights drawn deterministically from a seed.
 * Both start by standardizing pixels with constant nodes: (x - 0.1307) / 0.3081.
 * - mlp: x [N, 784] → Gemm 128 → Relu → Gemm 10
 * - cnn: x [N, 1, 28, 28] → Conv 8 (3×3, pad 1) → Relu → MaxPool 2 → Conv 16 (3×3, pad 1) → Relu →
 *        MaxPool 2 → Flatten → Gemm 64 → Relu → Gemm 10
 */
import type { OnnxGraph, OnnxNode } from "../onnx/ir.js";
import { ENGINE_OPSET, encodeModel } from "../onnx/model.js";
import type { TensorData } from "../onnx/tensor.js";
import { fanInUniform, heUniform } from "./init.js";

export type TemplateArch = "mlp" | "cnn";
export const TEMPLATE_ARCHS: readonly TemplateArch[] = ["mlp", "cnn"];

export interface TemplateOptions {
  seed?: bigint;
  /** Hidden width of the MLP (default 128). */
  hidden?: number;
}

/** Mean and standard deviation of MNIST pixel values in [0, 1]. */
const PIXEL_MEAN = 0.1307;
const PIXEL_STD = 0.3081;

class TemplateBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers = new Map<string, TensorData>();
  private readonly seed: bigint;
  constructor(seed: bigint) {
    this.seed = seed;
  }

  /** He-uniform weights when a ReLU follows, 1/√fanIn otherwise and for biases. */
  param(name: string, dims: number[], fanIn: number, relu = false): string {
    const init = relu ? heUniform : fanInUniform;
    this.initializers.set(name, init(this.seed, name, dims, fanIn));
    return name;
  }

  node(opType: string, name: string, inputs: string[], attrs: OnnxNode["attrs"] = {}): string {
    const out = `${name}_out`;
    this.nodes.push({ name, opType, domain: "", inputs, outputs: [out], attrs });
    return out;
  }

  /** A constant as a Constant node: part of the graph, never a trainable initializer. */
  constant(name: string, value: number): string {
    this.nodes.push({
      name,
      opType: "Constant",
      domain: "",
      inputs: [],
      outputs: [name],
      attrs: { value: { type: "TENSOR", t: { dtype: "float32", dims: [], data: Float32Array.of(value) } } },
    });
    return name;
  }

  /** (x - mean) / std with MNIST's pixel statistics, so the first layer sees centred inputs. */
  standardize(x: string): string {
    const centred = this.node("Sub", "standardize_sub", [x, this.constant("pixel_mean", PIXEL_MEAN)]);
    return this.node("Div", "standardize_div", [centred, this.constant("pixel_std", PIXEL_STD)]);
  }

  linear(name: string, x: string, inF: number, outF: number, relu: boolean): string {
    const w = this.param(`${name}.weight`, [outF, inF], inF, relu);
    const b = this.param(`${name}.bias`, [outF], inF);
    return this.node("Gemm", name, [x, w, b], { transB: { type: "INT", i: 1 } });
  }

  conv(name: string, x: string, inC: number, outC: number): string {
    const w = this.param(`${name}.weight`, [outC, inC, 3, 3], inC * 9, true);
    const b = this.param(`${name}.bias`, [outC], inC * 9);
    return this.node("Conv", name, [x, w, b], {
      kernel_shape: { type: "INTS", ints: [3, 3] },
      pads: { type: "INTS", ints: [1, 1, 1, 1] },
    });
  }

  maxPool(name: string, x: string): string {
    return this.node("MaxPool", name, [x], {
      kernel_shape: { type: "INTS", ints: [2, 2] },
      strides: { type: "INTS", ints: [2, 2] },
    });
  }
}

export function buildTemplateGraph(arch: TemplateArch, opts: TemplateOptions = {}): OnnxGraph {
  const t = new TemplateBuilder(opts.seed ?? 0n);
  let x: string;
  let inputShape: (number | string)[];
  if (arch === "mlp") {
    const hidden = opts.hidden ?? 128;
    inputShape = ["N", 784];
    x = t.linear("fc1", t.standardize("x"), 784, hidden, true);
    x = t.node("Relu", "relu1", [x]);
    x = t.linear("fc2", x, hidden, 10, false);
  } else {
    inputShape = ["N", 1, 28, 28];
    x = t.conv("conv1", t.standardize("x"), 1, 8);
    x = t.node("Relu", "relu1", [x]);
    x = t.maxPool("pool1", x);
    x = t.conv("conv2", x, 8, 16);
    x = t.node("Relu", "relu2", [x]);
    x = t.maxPool("pool2", x);
    x = t.node("Flatten", "flatten", [x], { axis: { type: "INT", i: 1 } });
    x = t.linear("fc1", x, 16 * 7 * 7, 64, true);
    x = t.node("Relu", "relu3", [x]);
    x = t.linear("fc2", x, 64, 10, false);
  }
  t.nodes.at(-1)!.outputs[0] = "logits";
  return {
    name: `tensorchain_${arch}`,
    nodes: t.nodes,
    inputs: [{ name: "x", dtype: "float32", shape: inputShape }],
    outputs: [{ name: "logits", dtype: "float32", shape: ["N", 10] }],
    initializers: t.initializers,
  };
}

/** The template as ONNX bytes. */
export function buildTemplateModel(arch: TemplateArch, opts: TemplateOptions = {}): Uint8Array {
  return encodeModel(buildTemplateGraph(arch, opts), {
    opset: ENGINE_OPSET,
    docString: `tensorchain ${arch} template`,
  });
}
