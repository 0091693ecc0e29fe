/** The backward rule of every differentiable operator the engine supports. */
import { convGrad } from "./conv.js";
import {
  addGrad,
  divGrad,
  expGrad,
  identityGrad,
  leakyReluGrad,
  logGrad,
  mulGrad,
  negGrad,
  reluGrad,
  sigmoidGrad,
  subGrad,
  tanhGrad,
} from "./elementwise.js";
import { gemmGrad, matMulGrad } from "./matmul.js";
import { averagePoolGrad, globalAveragePoolGrad, maxPoolGrad } from "./pool.js";
import { reduceMeanGrad, reduceSumGrad } from "./reduce.js";
import { concatGrad, reshapeGrad, transposeGrad } from "./shape.js";
import { logSoftmaxGrad, softmaxGrad } from "./softmax.js";
import type { GradRule } from "./types.js";

export type { GradContext, GradRule } from "./types.js";

export const GRAD_RULES: Readonly<Record<string, GradRule>> = {
  Add: addGrad,
  Sub: subGrad,
  Mul: mulGrad,
  Div: divGrad,
  Neg: negGrad,
  Identity: identityGrad,
  Relu: reluGrad,
  LeakyRelu: leakyReluGrad,
  Sigmoid: sigmoidGrad,
  Tanh: tanhGrad,
  Exp: expGrad,
  Log: logGrad,
  Softmax: softmaxGrad,
  LogSoftmax: logSoftmaxGrad,
  Reshape: reshapeGrad,
  Flatten: reshapeGrad,
  Transpose: transposeGrad,
  Concat: concatGrad,
  ReduceSum: reduceSumGrad,
  ReduceMean: reduceMeanGrad,
  Gemm: gemmGrad,
  MatMul: matMulGrad,
  Conv: convGrad,
  MaxPool: maxPoolGrad,
  AveragePool: averagePoolGrad,
  GlobalAveragePool: globalAveragePoolGrad,
};
