/**
 * Synthetic datasets for fast tests, deterministic from a seed:
 * - classification: Gaussian blobs, one centre per class, features [N, ...sampleDims];
 * - regression: y = x·W + noise for a fixed random W.
 */
import { numel, tensor } from "../onnx/tensor.js";
import { Blake2Stream } from "../util/prng.js";
import { type Dataset, makeDataset } from "./dataset.js";

export interface SyntheticClassificationOptions {
  samples: number;
  sampleDims: number[];
  classes: number;
  seed?: bigint;
  /** Spread of each blob around its centre (default 0.5). */
  noise?: number;
}

export function syntheticClassification(o: SyntheticClassificationOptions): Dataset {
  const rng = Blake2Stream.from("tensorchain/synthetic/classification", o.seed ?? 0n);
  const features = numel(o.sampleDims);
  const centres = Array.from({ length: o.classes }, () => Array.from({ length: features }, () => rng.nextGaussian()));
  const x = tensor("float32", [o.samples, ...o.sampleDims]);
  const y = tensor("int64", [o.samples]);
  const xd = x.data as Float32Array;
  for (let i = 0; i < o.samples; i++) {
    const label = rng.nextInt(o.classes);
    (y.data as BigInt64Array)[i] = BigInt(label);
    for (let f = 0; f < features; f++) xd[i * features + f] = centres[label][f] + (o.noise ?? 0.5) * rng.nextGaussian();
  }
  return makeDataset(x, y, { source: "synthetic", classes: String(o.classes) });
}

export interface SyntheticRegressionOptions {
  samples: number;
  features: number;
  outputs: number;
  seed?: bigint;
}

export function syntheticRegression(o: SyntheticRegressionOptions): Dataset {
  const rng = Blake2Stream.from("tensorchain/synthetic/regression", o.seed ?? 0n);
  const w = Array.from({ length: o.features * o.outputs }, () => rng.nextGaussian());
  const x = tensor("float32", [o.samples, o.features]);
  const y = tensor("float32", [o.samples, o.outputs]);
  const xd = x.data as Float32Array;
  const yd = y.data as Float32Array;
  for (let i = 0; i < o.samples; i++) {
    for (let f = 0; f < o.features; f++) xd[i * o.features + f] = rng.nextGaussian();
    for (let k = 0; k < o.outputs; k++) {
      let s = 0.1 * rng.nextGaussian();
      for (let f = 0; f < o.features; f++) s += xd[i * o.features + f] * w[f * o.outputs + k];
      yd[i * o.outputs + k] = s;
    }
  }
  return makeDataset(x, y, { source: "synthetic regression" });
}
