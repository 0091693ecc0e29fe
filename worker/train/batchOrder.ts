/**
 * The order in which a worker visits the training set: a pure function of (job seed, worker key, step),
 * so that a verifier derives the exact batch of any step without replaying the ones before it.
 * Each epoch is a fresh blake2-seeded permutation; the last partial batch of an epoch is dropped so
 * every step sees a full batch (the training graph has a static batch size).
 */
import { Blake2Stream } from "../util/prng.js";
import { TrainError } from "./errors.js";

export class BatchOrder {
  readonly stepsPerEpoch: number;
  private readonly seed: bigint;
  private readonly workerKey: Uint8Array;
  private readonly datasetSize: number;
  private readonly batchSize: number;
  private cached: { epoch: number; perm: Uint32Array } | undefined;

  constructor(seed: bigint, workerKey: Uint8Array, datasetSize: number, batchSize: number) {
    if (batchSize < 1 || datasetSize < batchSize) {
      throw new TrainError({
        code: "TRAIN_ERROR_BAD_OPTIONS",
        reason: `batch size ${batchSize} does not fit a dataset of ${datasetSize} samples`,
      });
    }
    this.seed = seed;
    this.workerKey = workerKey;
    this.datasetSize = datasetSize;
    this.batchSize = batchSize;
    this.stepsPerEpoch = Math.floor(datasetSize / batchSize);
  }

  epochPermutation(epoch: number): Uint32Array {
    if (this.cached?.epoch !== epoch) {
      const rng = Blake2Stream.from("tensorchain/batch-order", this.seed, this.workerKey, BigInt(epoch));
      this.cached = { epoch, perm: rng.permutation(this.datasetSize) };
    }
    return this.cached.perm;
  }

  /** Sample indices of step `step` (1-based: step 1 is the first update). */
  indicesForStep(step: number): Uint32Array {
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`step must be >= 1, got ${step}`);
    const epoch = Math.floor((step - 1) / this.stepsPerEpoch);
    const offset = ((step - 1) % this.stepsPerEpoch) * this.batchSize;
    return this.epochPermutation(epoch).subarray(offset, offset + this.batchSize);
  }
}
