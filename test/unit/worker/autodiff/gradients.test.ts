/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * Every differentiable operator and both losses against central finite differences in float64
 * (relative L2 error < 1e-6), including broadcasting and Conv with stride, padding, dilation and groups.
 * Each case feeds the op through a trained elementwise scale `h = x * a` so the gradient with respect
 * to the op's input (dX) is checked too, not only its own parameters.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { FLOAT, type GradCase, gradCheck, INT, INTS } from "./gradcheck.js";

const scaled = (x: number[]) => ({ a: { dims: x, init: "awayFromZero" as const } });
const h = { op: "Mul", inputs: ["x", "a"], output: "h" };

const unaryCase = (op: string, extra: Partial<GradCase> = {}, attrs = {}): GradCase => ({
  name: op,
  x: [2, 3, 4],
  params: scaled([2, 3, 4]),
  nodes: [h, { op, inputs: ["h"], output: "y", attrs }],
  loss: "mse",
  y: [2, 3, 4],
  ...extra,
});

const binaryCase = (
  op: string,
  name: string,
  other: number[],
  otherFirst = false,
  init: "normal" | "positive" = "normal",
): GradCase => ({
  name,
  x: [2, 3, 4],
  params: { ...scaled([2, 3, 4]), p: { dims: other, init } },
  nodes: [h, { op, inputs: otherFirst ? ["p", "h"] : ["h", "p"], output: "y" }],
  loss: "mse",
  y: [2, 3, 4],
});

const CASES: GradCase[] = [
  binaryCase("Add", "Add broadcast [4]", [4]),
  binaryCase("Add", "Add broadcast [3,1]", [3, 1]),
  binaryCase("Sub", "Sub broadcast [1,4] first", [1, 4], true),
  binaryCase("Sub", "Sub same shape", [2, 3, 4]),
  binaryCase("Mul", "Mul broadcast [2,1,4]", [2, 1, 4]),
  binaryCase("Div", "Div broadcast [3,1] divisor", [3, 1], false, "positive"),
  binaryCase("Div", "Div broadcast [4] dividend", [4], true),
  unaryCase("Neg"),
  unaryCase("Identity"),
  unaryCase("Relu"),
  unaryCase("LeakyRelu", {}, { alpha: FLOAT(0.1) }),
  unaryCase("Sigmoid"),
  unaryCase("Tanh"),
  unaryCase("Exp"),
  {
    name: "Log (of h*h + 0.5, a value used twice)",
    x: [2, 3, 4],
    params: scaled([2, 3, 4]),
    constants: { half: [0.5] },
    nodes: [
      h,
      { op: "Mul", inputs: ["h", "h"], output: "sq" },
      { op: "Add", inputs: ["sq", "half"], output: "pos" },
      { op: "Log", inputs: ["pos"], output: "y" },
    ],
    loss: "mse",
    y: [2, 3, 4],
  },
  unaryCase("Softmax", {}, { axis: INT(1) }),
  unaryCase("LogSoftmax", {}, { axis: INT(-1) }),
  unaryCase("Dropout"),
  {
    name: "Reshape",
    x: [2, 3, 4],
    params: scaled([2, 3, 4]),
    int64: { shape: [-1, 4] },
    nodes: [h, { op: "Reshape", inputs: ["h", "shape"], output: "y" }],
    loss: "mse",
    y: [6, 4],
  },
  unaryCase("Flatten", { y: [6, 4] }, { axis: INT(2) }),
  unaryCase("Transpose", { y: [4, 2, 3] }, { perm: INTS([2, 0, 1]) }),
  {
    name: "Concat axis 1",
    x: [2, 3, 4],
    params: { ...scaled([2, 3, 4]), c: { dims: [2, 2, 4] } },
    nodes: [h, { op: "Concat", inputs: ["h", "c"], output: "y", attrs: { axis: INT(1) } }],
    loss: "mse",
    y: [2, 5, 4],
  },
  {
    name: "ReduceSum axes input, keepdims 0",
    x: [2, 3, 4],
    params: scaled([2, 3, 4]),
    int64: { axes: [1] },
    nodes: [h, { op: "ReduceSum", inputs: ["h", "axes"], output: "y", attrs: { keepdims: INT(0) } }],
    loss: "mse",
    y: [2, 4],
  },
  unaryCase("ReduceSum", { name: "ReduceSum all axes", y: [1, 1, 1] }),
  unaryCase("ReduceMean", { y: [1, 3, 1] }, { axes: INTS([0, 2]) }),
  {
    name: "Gemm transB, bias [N]",
    x: [3, 4],
    params: { ...scaled([3, 4]), w: { dims: [5, 4] }, b: { dims: [5] } },
    nodes: [h, { op: "Gemm", inputs: ["h", "w", "b"], output: "y", attrs: { transB: INT(1) } }],
    loss: "cross_entropy",
    y: [3, 5],
  },
  {
    name: "Gemm transA, alpha, beta, bias [M,1]",
    x: [4, 3],
    params: { ...scaled([4, 3]), w: { dims: [4, 5] }, b: { dims: [3, 1] } },
    nodes: [
      h,
      {
        op: "Gemm",
        inputs: ["h", "w", "b"],
        output: "y",
        attrs: { transA: INT(1), alpha: FLOAT(0.7), beta: FLOAT(1.3) },
      },
    ],
    loss: "mse",
    y: [3, 5],
  },
  {
    name: "Gemm transA and transB",
    x: [4, 3],
    params: { ...scaled([4, 3]), w: { dims: [5, 4] } },
    nodes: [h, { op: "Gemm", inputs: ["h", "w"], output: "y", attrs: { transA: INT(1), transB: INT(1) } }],
    loss: "cross_entropy",
    y: [3, 5],
  },
  {
    name: "MatMul batched with broadcast weight",
    x: [2, 3, 4],
    params: { ...scaled([2, 3, 4]), w: { dims: [4, 5] } },
    nodes: [h, { op: "MatMul", inputs: ["h", "w"], output: "y" }],
    loss: "mse",
    y: [2, 3, 5],
  },
  {
    name: "MatMul broadcast batch [2,1,..] x [3,..]",
    x: [2, 1, 3, 4],
    params: { ...scaled([2, 1, 3, 4]), w: { dims: [3, 4, 2] } },
    nodes: [h, { op: "MatMul", inputs: ["h", "w"], output: "y" }],
    loss: "mse",
    y: [2, 3, 3, 2],
  },
  {
    name: "Conv stride 2, asymmetric pads, dilation, groups 2, bias",
    x: [2, 4, 7, 6],
    params: { ...scaled([2, 4, 7, 6]), w: { dims: [6, 2, 3, 2] }, b: { dims: [6] } },
    nodes: [
      h,
      {
        op: "Conv",
        inputs: ["h", "w", "b"],
        output: "y",
        attrs: { strides: INTS([2, 1]), pads: INTS([1, 0, 2, 1]), dilations: INTS([2, 1]), group: INT(2) },
      },
    ],
    loss: "mse",
    y: [2, 6, 3, 6],
  },
  {
    name: "Conv depthwise (groups = channels), SAME_UPPER, no bias",
    x: [1, 3, 5, 5],
    params: { ...scaled([1, 3, 5, 5]), w: { dims: [3, 1, 3, 3] } },
    nodes: [
      h,
      {
        op: "Conv",
        inputs: ["h", "w"],
        output: "y",
        attrs: { group: INT(3), auto_pad: { type: "STRING", s: "SAME_UPPER" }, strides: INTS([2, 2]) },
      },
    ],
    loss: "mse",
    y: [1, 3, 3, 3],
  },
  {
    name: "MaxPool 2x2 stride 2",
    x: [2, 2, 4, 4],
    params: scaled([2, 2, 4, 4]),
    nodes: [
      h,
      { op: "MaxPool", inputs: ["h"], output: "y", attrs: { kernel_shape: INTS([2, 2]), strides: INTS([2, 2]) } },
    ],
    loss: "mse",
    y: [2, 2, 2, 2],
  },
  {
    name: "MaxPool 3x3 stride 2 pads 1 (overlapping windows)",
    x: [1, 2, 5, 5],
    params: scaled([1, 2, 5, 5]),
    nodes: [
      h,
      {
        op: "MaxPool",
        inputs: ["h"],
        output: "y",
        attrs: { kernel_shape: INTS([3, 3]), strides: INTS([2, 2]), pads: INTS([1, 1, 1, 1]) },
      },
    ],
    loss: "mse",
    y: [1, 2, 3, 3],
  },
  {
    name: "AveragePool 3x3 stride 2 pads 1, count_include_pad 0",
    x: [1, 2, 5, 5],
    params: scaled([1, 2, 5, 5]),
    nodes: [
      h,
      {
        op: "AveragePool",
        inputs: ["h"],
        output: "y",
        attrs: { kernel_shape: INTS([3, 3]), strides: INTS([2, 2]), pads: INTS([1, 1, 1, 1]) },
      },
    ],
    loss: "mse",
    y: [1, 2, 3, 3],
  },
  {
    name: "AveragePool 2x2 stride 1, count_include_pad 1",
    x: [2, 2, 4, 4],
    params: scaled([2, 2, 4, 4]),
    nodes: [
      h,
      {
        op: "AveragePool",
        inputs: ["h"],
        output: "y",
        attrs: { kernel_shape: INTS([2, 2]), pads: INTS([0, 1, 1, 0]), count_include_pad: INT(1) },
      },
    ],
    loss: "mse",
    y: [2, 2, 4, 4],
  },
  {
    name: "GlobalAveragePool",
    x: [2, 3, 4, 5],
    params: scaled([2, 3, 4, 5]),
    nodes: [h, { op: "GlobalAveragePool", inputs: ["h"], output: "y" }],
    loss: "mse",
    y: [2, 3, 1, 1],
  },
  {
    name: "cross-entropy loss on logits (Add broadcast bias)",
    x: [4, 6],
    params: { ...scaled([4, 6]), b: { dims: [6] } },
    nodes: [h, { op: "Add", inputs: ["h", "b"], output: "y" }],
    loss: "cross_entropy",
    y: [4, 6],
  },
  {
    name: "mse loss",
    x: [4, 6],
    params: scaled([4, 6]),
    nodes: [{ op: "Mul", inputs: ["x", "a"], output: "y" }],
    loss: "mse",
    y: [4, 6],
  },
];

describe("gradient check (float64, central differences)", () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const r = await gradCheck(c);
    expect(r.checkedElements).toBeGreaterThan(0);
    expect(r.relError).toBeLessThan(1e-6);
    if (r.evaluator === "reference-float64") expect(r.ortFloat32RelError!).toBeLessThan(1e-4);
  });

  it("uses the float64 reference evaluator exactly for the ops onnxruntime lacks in float64", async () => {
    const byName = async (name: string) => (await gradCheck(CASES.find((c) => c.name === name)!, 1)).evaluator;
    expect(await byName("GlobalAveragePool")).toBe("reference-float64");
    expect(await byName("MaxPool 2x2 stride 2")).toBe("onnxruntime-float64");
  });
});
