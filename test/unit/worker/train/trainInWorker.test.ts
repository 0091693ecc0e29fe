/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { runSteps } from "../../../../worker/train/loop.js";
import { type TrainingJob, TrainingRunner } from "../../../../worker/train/runner.js";
import { trainInWorker } from "../../../../worker/train/trainInWorker.js";
import { tinyMlp } from "../helpers.js";

const job = (over: Partial<TrainingJob> = {}): TrainingJob => ({
  model: tinyMlp(64, 256, 4),
  dataset: syntheticClassification({ samples: 2048, sampleDims: [64], classes: 4, seed: 5n }),
  optimizer: { kind: "momentum" },
  lr: 0.01,
  batchSize: 64,
  seed: 1n,
  workerKey: new Uint8Array(32),
  profile: "cpu-exact",
  ...over,
});

describe("training in a worker thread (needs `npm run build`)", () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it("keeps the caller's event loop ticking and matches in-thread training hash for hash", async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 5);
    const progress: number[] = [];
    const checkpoints: number[] = [];
    const started = performance.now();
    const result = await trainInWorker(
      { job: job(), untilStep: 200, checkpointEvery: 50 },
      { onProgress: (p) => void progress.push(p.step), onCheckpoint: (cp) => void checkpoints.push(cp.step) },
    );
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(result.finalStep).toBe(200);
    expect(progress).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(checkpoints).toEqual([50, 100, 150, 200]);
    // A blocked loop would tick about once; a free one ticks about every 5 ms of the run.
    expect(ticks).toBeGreaterThan(Math.min(20, elapsed / 25));

    const local = await TrainingRunner.create(job());
    const steps = await runSteps(local, { untilStep: 200 });
    await local.close();
    expect(result.steps.map((s) => toHex(s.stateHash))).toEqual(steps.map((s) => toHex(s.stateHash)));
  });

  it("brings typed errors back across the thread boundary", async () => {
    const bad = job({ dataset: syntheticClassification({ samples: 256, sampleDims: [63], classes: 4 }) });
    await expect(trainInWorker({ job: bad, untilStep: 5 })).rejects.toMatchObject({
      code: "DATASET_ERROR_SHAPE_MISMATCH",
    });
  });
});
