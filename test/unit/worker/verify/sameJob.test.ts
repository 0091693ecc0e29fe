import { describe, expect, it } from "@jest/globals";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import type { TrainingJob } from "../../../../worker/train/runner.js";
import { sameJob } from "../../../../worker/verify/sameJob.js";
import { tinyMlp } from "../helpers.js";

const job = (over: Partial<TrainingJob> = {}): TrainingJob => ({
  model: tinyMlp(16, 32, 4),
  dataset: syntheticClassification({ samples: 64, sampleDims: [16], classes: 4, seed: 3n }),
  optimizer: { kind: "adam" },
  lr: 0.01,
  batchSize: 32,
  seed: 42n,
  workerKey: new Uint8Array(32).fill(1),
  ...over,
});

describe("sameJob", () => {
  it("compares bytes, not buffers, and fills in the runner's defaults", () => {
    const a = job();
    expect(sameJob(a, a)).toBe(true);
    expect(sameJob(a, job())).toBe(true);
    expect(sameJob(a, job({ loss: "cross_entropy", lrSchedule: { kind: "constant" } }))).toBe(true);
    // The profile is not part of a re-execution's job: a verifier forces cpu-exact.
    expect(sameJob(a, job({ profile: "cpu-fast", threads: 4 }))).toBe(true);
  });

  it("tells apart one byte of model, data or labels, and every hyper-parameter", () => {
    const a = job();
    const model = new Uint8Array(a.model);
    model[model.length - 1] ^= 1;
    const x = a.dataset.x.data.slice() as Float32Array;
    x[5] += 1;
    const y = a.dataset.y.data.slice() as BigInt64Array;
    y[0] = (y[0] + 1n) % 4n;
    const others: Partial<TrainingJob>[] = [
      { model },
      { dataset: { ...a.dataset, x: { ...a.dataset.x, data: x } } },
      { dataset: { ...a.dataset, y: { ...a.dataset.y, data: y } } },
      { dataset: { ...a.dataset, x: { ...a.dataset.x, dims: [32, 32] } } },
      { loss: "mse" },
      { optimizer: { kind: "adam", beta1: 0.8 } },
      { lr: 0.02 },
      { lrSchedule: { kind: "linear-decay", totalSteps: 30 } },
      { batchSize: 16 },
      { seed: 43n },
      { workerKey: new Uint8Array(32).fill(2) },
    ];
    for (const [i, over] of others.entries()) expect([i, sameJob(a, job(over))]).toEqual([i, false]);
  });
});
