/** The ONNX operators the engine trains through (forward, backward and reference evaluation). */
export const SUPPORTED_OPS = [
  "Gemm",
  "MatMul",
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Neg",
  "Relu",
  "LeakyRelu",
  "Sigmoid",
  "Tanh",
  "Exp",
  "Log",
  "Softmax",
  "LogSoftmax",
  "Reshape",
  "Flatten",
  "Transpose",
  "Concat",
  "ReduceMean",
  "ReduceSum",
  "Conv",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "Identity",
  "Dropout",
  "Constant",
] as const;

export type SupportedOp = (typeof SUPPORTED_OPS)[number];

export function isSupportedOp(op: string): op is SupportedOp {
  return (SUPPORTED_OPS as readonly string[]).includes(op);
}
