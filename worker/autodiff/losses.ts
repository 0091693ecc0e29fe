/**
 * The two losses, each emitted with its fused gradient with respect to the model output:
 * - softmax cross-entropy on logits [B, K] with int64 labels [B], mean over the batch:
 *   loss = -Σ onehot · logsoftmax(z) / B, dz = (softmax(z) - onehot) / B;
 * - mean squared error against a float target of the output's shape, mean over all elements:
 *   loss = Σ (p - t)² / n, dp = 2 (p - t) / n.
 */
import type { GraphBuilder } from "../onnx/builder.js";
import type { DType } from "../onnx/dtype.js";
import { OnnxError } from "../onnx/errors.js";

export type LossKind = "cross_entropy" | "mse";

export interface LossResult {
  loss: string;
  dOutput: string;
  target: { name: string; dtype: DType; dims: number[] };
}

export function emitLoss(b: GraphBuilder, kind: LossKind, output: string, targetName: string): LossResult {
  const dims = b.dims(output);
  if (kind === "cross_entropy") {
    if (dims.length !== 2) {
      throw new OnnxError(
        { code: "ONNX_ERROR_INVALID_GRAPH", reason: `cross-entropy needs logits [B, K], got [${dims}]` },
        `Cross-entropy needs a model output of shape [batch, classes], got [${dims}]`,
      );
    }
    const [batch, classes] = dims;
    b.setMeta(targetName, "int64", [batch]);
    const logp = b.op("LogSoftmax", [output], dims, { axis: 1 });
    const labels = b.reshape(targetName, [batch, 1]);
    const classIds = b.constInt64(
      Array.from({ length: classes }, (_, i) => i),
      [1, classes],
    );
    const hit = b.op("Equal", [labels, classIds], dims, {}, "bool");
    const onehot = b.op("Cast", [hit], dims, { to: b.floatType === "float64" ? 11 : 1 });
    const picked = b.reduceSum(b.mul(onehot, logp), [0, 1], false);
    const loss = b.scale(b.neg(picked), 1 / batch);
    const softmax = b.op("Exp", [logp], dims);
    const dOutput = b.scale(b.sub(softmax, onehot), 1 / batch);
    return { loss, dOutput, target: { name: targetName, dtype: "int64", dims: [batch] } };
  }
  b.setMeta(targetName, b.floatType, dims);
  const n = dims.reduce((p, d) => p * d, 1);
  const diff = b.sub(output, targetName);
  const loss = b.scale(
    b.reduceSum(
      b.mul(diff, diff),
      dims.map((_, i) => i),
      false,
    ),
    1 / n,
  );
  return { loss, dOutput: b.scale(diff, 2 / n), target: { name: targetName, dtype: b.floatType, dims } };
}
