/**
 * A dataset is a safetensors file with `x` (float32 [N, ...features]) and `y` (labels: integer [N];
 * or float32 [N, ...outputs] for regression). Labels are widened to int64 on load.
 */
import { numel, type TensorData } from "../onnx/tensor.js";
import { DatasetError } from "./errors.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";

export interface Dataset {
  x: TensorData;
  y: TensorData;
  metadata: Record<string, string>;
}

export function datasetSize(ds: Dataset): number {
  return ds.x.dims[0];
}

export function makeDataset(x: TensorData, y: TensorData, metadata: Record<string, string> = {}): Dataset {
  if (x.dtype !== "float32") throw shapeMismatch("x as float32", `x as ${x.dtype}`);
  if (x.dims.length < 2) throw shapeMismatch("x of rank >= 2 [N, ...]", `x [${x.dims}]`);
  if (y.dims[0] !== x.dims[0]) throw shapeMismatch(`y with ${x.dims[0]} rows`, `y [${y.dims}]`);
  let labels = y;
  if (y.dtype === "int32" || y.dtype === "uint8") {
    labels = { dtype: "int64", dims: y.dims, data: BigInt64Array.from(y.data as Int32Array, (v) => BigInt(v)) };
  } else if (y.dtype !== "int64" && y.dtype !== "float32") {
    throw shapeMismatch("y as an integer or float32 tensor", `y as ${y.dtype}`);
  }
  return { x, y: labels, metadata };
}

export async function loadDataset(path: string): Promise<Dataset> {
  const f = await readSafetensors(path);
  const x = f.tensors.get("x");
  const y = f.tensors.get("y");
  if (!x)
    throw new DatasetError({ code: "DATASET_ERROR_MISSING_TENSOR", tensor: "x" }, `Dataset ${path} has no tensor "x"`);
  if (!y)
    throw new DatasetError({ code: "DATASET_ERROR_MISSING_TENSOR", tensor: "y" }, `Dataset ${path} has no tensor "y"`);
  return makeDataset(x, y, f.metadata);
}

export async function saveDataset(path: string, ds: Dataset): Promise<void> {
  await writeSafetensors(
    path,
    new Map([
      ["x", ds.x],
      ["y", ds.y],
    ]),
    ds.metadata,
  );
}

export function shapeMismatch(expected: string, found: string): DatasetError {
  return new DatasetError(
    { code: "DATASET_ERROR_SHAPE_MISMATCH", expected, found },
    `Dataset does not fit the model: expected ${expected}, found ${found}`,
  );
}

export type TargetKind = { kind: "classes"; classes: number } | { kind: "values"; dims: number[] };

/**
 * Checks a dataset against a model's per-sample input dims and its target: the features of a sample
 * must be the model's input (same dims, or the same elements flattened); class labels must lie in
 * [0, classes); regression targets must have the output's per-sample dims.
 */
export function validateDataset(ds: Dataset, sampleDims: number[], target: TargetKind): void {
  const features = ds.x.dims.slice(1);
  if (numel(features) !== numel(sampleDims)) {
    throw shapeMismatch(`samples of [${sampleDims}]`, `samples of [${features}]`);
  }
  if (target.kind === "classes") {
    if (ds.y.dtype !== "int64" || ds.y.dims.length !== 1)
      throw shapeMismatch("integer labels y [N]", `y ${ds.y.dtype} [${ds.y.dims}]`);
    const labels = ds.y.data as BigInt64Array;
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i];
      if (l < 0n || l >= BigInt(target.classes)) {
        throw new DatasetError(
          { code: "DATASET_ERROR_LABEL_OUT_OF_RANGE", index: i, label: Number(l), classes: target.classes },
          `Label ${l} of sample ${i} is out of range: the model has ${target.classes} classes (0..${target.classes - 1})`,
        );
      }
    }
  } else {
    const ydims = ds.y.dims.slice(1);
    if (ds.y.dtype !== "float32" || numel(ydims) !== numel(target.dims)) {
      throw shapeMismatch(`float32 targets of [${target.dims}]`, `y ${ds.y.dtype} [${ds.y.dims}]`);
    }
  }
}

/** Samples [start, end) of a dataset (copies), e.g. to split one generated set into train and test. */
export function sliceDataset(ds: Dataset, start: number, end: number): Dataset {
  const rows = (t: TensorData): TensorData => {
    const per = numel(t.dims.slice(1));
    return { dtype: t.dtype, dims: [end - start, ...t.dims.slice(1)], data: t.data.slice(start * per, end * per) };
  };
  return makeDataset(rows(ds.x), rows(ds.y), { ...ds.metadata });
}
