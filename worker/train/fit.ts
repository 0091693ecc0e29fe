/**
 * Whether a dataset fits a model for a job, checked before any training starts (a worker refuses a job
 * it cannot run instead of failing it): one input and one output, the samples' features are the
 * model's per-sample input, the labels suit the loss (class indices inside the model's classes for
 * cross-entropy, the output's dims for MSE), and at least one full batch.
 */
import type { LossKind } from "../autodiff/losses.js";
import { batchDims } from "../autodiff/trainingGraph.js";
import { type Dataset, datasetSize, shapeMismatch, validateDataset } from "../data/dataset.js";
import { OnnxError } from "../onnx/errors.js";
import { decodeModel } from "../onnx/model.js";
import { numel } from "../onnx/tensor.js";

/** Throws a typed error (`DATASET_ERROR_*` or `ONNX_ERROR_*`) saying why `ds` does not fit; returns the steps per epoch. */
export function checkDatasetFits(modelBytes: Uint8Array, ds: Dataset, loss: LossKind, batchSize: number): number {
  const model = decodeModel(modelBytes);
  const { inputs, outputs } = model.graph;
  if (inputs.length !== 1 || outputs.length !== 1)
    throw new OnnxError({
      code: "ONNX_ERROR_INVALID_GRAPH",
      reason: "model must have exactly one input and one output",
    });
  const sampleDims = batchDims(inputs[0], 1).slice(1);
  const outShape = outputs[0].shape;
  const perSample = outShape?.slice(1).every((d) => typeof d === "number")
    ? (outShape.slice(1) as number[])
    : undefined;
  if (perSample === undefined)
    throw new OnnxError({ code: "ONNX_ERROR_INVALID_GRAPH", reason: "the output needs static dims after the batch" });
  if (loss === "cross_entropy") validateDataset(ds, sampleDims, { kind: "classes", classes: numel(perSample) });
  else validateDataset(ds, sampleDims, { kind: "values", dims: perSample });
  const steps = Math.floor(datasetSize(ds) / batchSize);
  if (steps < 1) throw shapeMismatch(`at least one batch of ${batchSize} samples`, `${datasetSize(ds)} samples`);
  return steps;
}
