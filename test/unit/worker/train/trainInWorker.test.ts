/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { type Checkpoint, checkpointHash } from "../../../../worker/train/checkpoint.js";
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
    expect(result.steps.map((s) => toHex(s.stateHash!))).toEqual(steps.map((s) => toHex(s.stateHash!)));
  });

  it("hashes only the leaves (every k-th step and the last), resumes between leaves, and checkpoints the start", async () => {
    const everyStep = await trainInWorker({ job: job(), untilStep: 90 });
    const perStep = new Map(everyStep.steps.map((s) => [s.step, toHex(s.stateHash!)]));
    expect(everyStep.leaves.map((l) => l.index)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));

    const hashedAt: number[] = [];
    const starts: { step: number; hash: string }[] = [];
    const checkpoints = new Map<number, Checkpoint>();
    const leafRun = await trainInWorker(
      { job: job(), untilStep: 90, leafInterval: 16, checkpointEvery: 16, checkpointAtStart: true },
      {
        onProgress: (p) => void (p.stateHash && hashedAt.push(p.step)),
        onCheckpoint: (cp) => {
          checkpoints.set(cp.step, cp);
          if (cp.step === 0) starts.push({ step: cp.step, hash: toHex(checkpointHash(cp)) });
        },
      },
    );
    expect(hashedAt).toEqual([16, 32, 48, 64, 80, 90]);
    expect(leafRun.steps.map((s) => s.step)).toEqual(everyStep.steps.map((s) => s.step));
    expect(leafRun.steps.map((s) => s.loss)).toEqual(everyStep.steps.map((s) => s.loss));
    expect(leafRun.steps.filter((s) => s.stateHash).map((s) => s.step)).toEqual([16, 32, 48, 64, 80, 90]);
    expect(leafRun.leaves.map((l) => ({ index: l.index, hash: toHex(l.stateHash) }))).toEqual(
      [1, 2, 3, 4, 5, 6].map((index) => ({ index, hash: perStep.get(Math.min(index * 16, 90)) })),
    );
    expect([...checkpoints.keys()]).toEqual([0, 16, 32, 48, 64, 80]);
    const local = await TrainingRunner.create(job());
    expect(starts).toEqual([{ step: 0, hash: toHex(local.currentStateHash()) }]);
    await local.close();

    // Resumed at leaf 2 (step 32): the leaves whose steps fall in (32, 64], then (32, 90].
    const from32 = checkpoints.get(32)!;
    const mid = await trainInWorker({ job: job(), untilStep: 64, leafInterval: 16, start: from32 });
    expect(mid.leaves.map((l) => [l.index, toHex(l.stateHash)])).toEqual([
      [3, perStep.get(48)],
      [4, perStep.get(64)],
    ]);
    expect(mid.steps.map((s) => s.step)).toEqual(Array.from({ length: 32 }, (_, i) => i + 33));
    const tail = await trainInWorker({ job: job(), untilStep: 90, leafInterval: 16, start: from32 });
    expect(tail.leaves.map((l) => l.index)).toEqual([3, 4, 5, 6]);
    expect(toHex(tail.leaves.at(-1)!.stateHash)).toBe(perStep.get(90));
  });

  it("brings typed errors back across the thread boundary", async () => {
    const bad = job({ dataset: syntheticClassification({ samples: 256, sampleDims: [63], classes: 4 }) });
    await expect(trainInWorker({ job: bad, untilStep: 5 })).rejects.toMatchObject({
      code: "DATASET_ERROR_SHAPE_MISMATCH",
    });
  });
});
