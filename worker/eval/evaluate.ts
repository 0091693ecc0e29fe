/**
 * Deterministic evaluation, so that honest evaluators agree to the last digit: the model runs in
 * onnxruntime under the given profile; everything after the logits is integer or fixed-order float64
 * arithmetic in JS (V8's Math.exp/log are fdlibm ports, identical on every platform).
 * - accuracy: argmax with ties to the lowest class index; accuracyPpm = floor(correct · 10⁶ / N).
 * - loss: per-sample softmax cross-entropy (or squared error) in float64, summed in sample order,
 *   lossPpm = round(mean · 10⁶).
 */
import ort from "onnxruntime-node";
import { type Logger, nullLogger } from "../../primitives/logger.js";
import { batchDims } from "../autodiff/trainingGraph.js";
import { type Dataset, datasetSize, validateDataset } from "../data/dataset.js";
import { OnnxError } from "../onnx/errors.js";
import { decodeModel } from "../onnx/model.js";
import { numel } from "../onnx/tensor.js";
import { TrainError } from "../train/errors.js";
import { type ExecutionProfile, resolveProfile } from "../train/profile.js";

export interface EvalResult {
  samples: number;
  /** Null for regression datasets (float targets). */
  correct: number | null;
  accuracyPpm: number | null;
  lossPpm: number;
}

export interface EvalOptions {
  batchSize?: number;
  profile?: ExecutionProfile | "auto";
  log?: Logger;
}

export async function evaluateModel(modelBytes: Uint8Array, ds: Dataset, opts: EvalOptions = {}): Promise<EvalResult> {
  const model = decodeModel(modelBytes);
  const { inputs, outputs } = model.graph;
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new OnnxError({
      code: "ONNX_ERROR_INVALID_GRAPH",
      reason: "model must have exactly one input and one output",
    });
  }
  const input = inputs[0];
  const fixedBatch = typeof input.shape?.[0] === "number" ? (input.shape[0] as number) : undefined;
  const batch = fixedBatch ?? opts.batchSize ?? 256;
  const sampleDims = batchDims(input, 1).slice(1);
  const outShape = outputs[0].shape;
  const classification = ds.y.dtype === "int64";
  const outPer = outShape?.slice(1).every((d) => typeof d === "number")
    ? numel(outShape.slice(1) as number[])
    : undefined;
  if (classification) {
    if (outShape?.length !== 2 || outPer === undefined) {
      throw new OnnxError({
        code: "ONNX_ERROR_INVALID_GRAPH",
        reason: "classification needs a static [batch, classes] output",
      });
    }
    validateDataset(ds, sampleDims, { kind: "classes", classes: outPer });
  } else {
    validateDataset(ds, sampleDims, { kind: "values", dims: ds.y.dims.slice(1) });
  }

  const profile = resolveProfile(opts.profile ?? "auto", 1, opts.log ?? nullLogger);
  const session = await ort.InferenceSession.create(modelBytes, profile.sessionOptions);
  try {
    const n = datasetSize(ds);
    const per = numel(sampleDims);
    const xs = ds.x.data as Float32Array;
    let correct = 0;
    let lossSum = 0;
    for (let start = 0; start < n; start += batch) {
      const count = Math.min(batch, n - start);
      const rows = fixedBatch ?? count;
      const buf = new Float32Array(rows * per);
      buf.set(xs.subarray(start * per, (start + count) * per));
      const out = await session.run({ [input.name]: new ort.Tensor("float32", buf, [rows, ...sampleDims]) });
      const logits = out[outputs[0].name].data as Float32Array;
      const k = logits.length / rows;
      for (let i = 0; i < count; i++) {
        const row = logits.subarray(i * k, (i + 1) * k);
        if (classification) {
          const label = Number((ds.y.data as BigInt64Array)[start + i]);
          const best = argmax(row);
          if (best === label) correct++;
          lossSum += crossEntropy(row, label);
        } else {
          const target = (ds.y.data as Float32Array).subarray((start + i) * k, (start + i + 1) * k);
          let se = 0;
          for (let j = 0; j < k; j++) se += (row[j] - target[j]) ** 2;
          lossSum += se / k;
        }
      }
    }
    const mean = lossSum / n;
    if (!Number.isFinite(mean))
      throw new TrainError({ code: "TRAIN_ERROR_NON_FINITE_LOSS", step: 0, loss: mean }, `Evaluation loss is ${mean}`);
    return {
      samples: n,
      correct: classification ? correct : null,
      accuracyPpm: classification ? Math.floor((correct * 1_000_000) / n) : null,
      lossPpm: Math.round(mean * 1_000_000),
    };
  } finally {
    await session.release();
  }
}

/** Index of the largest value; the lowest index wins a tie. NaN never wins. */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best] || Number.isNaN(row[best])) best = j;
  return best;
}

/** -log softmax(row)[label] in float64 with the max subtracted first. */
export function crossEntropy(row: ArrayLike<number>, label: number): number {
  let max = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j] > max) max = row[j];
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum += Math.exp(row[j] - max);
  return max + Math.log(sum) - row[label];
}

/** "0.9612" from 961234 ppm: four decimals, truncated so the text never overstates the integer. */
export function formatPpm(ppm: number): string {
  const int = Math.floor(ppm / 1_000_000);
  const frac = Math.floor((ppm % 1_000_000) / 100);
  return `${int}.${String(frac).padStart(4, "0")}`;
}
