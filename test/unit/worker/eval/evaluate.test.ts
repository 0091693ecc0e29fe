/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { sliceDataset } from "../../../../worker/data/dataset.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { argmax, crossEntropy, evaluateModel, formatPpm } from "../../../../worker/eval/evaluate.js";
import { runSteps } from "../../../../worker/train/loop.js";
import { TrainingRunner } from "../../../../worker/train/runner.js";
import { tinyMlp } from "../helpers.js";

describe("deterministic evaluation", () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it("breaks argmax ties toward the lowest class and never picks NaN", () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([Number.NaN, 0.5, 0.1])).toBe(1);
  });

  it("computes cross-entropy stably and formats ppm without rounding up", () => {
    expect(crossEntropy([0, 0], 1)).toBeCloseTo(Math.log(2), 15);
    expect(crossEntropy([1000, 0], 0)).toBeCloseTo(0, 12);
    expect(formatPpm(961_299)).toBe("0.9612");
    expect(formatPpm(1_000_000)).toBe("1.0000");
    expect(formatPpm(5)).toBe("0.0000");
  });

  it("scores a trained model in integers, identically on every run, and for any batch size", async () => {
    const all = syntheticClassification({ samples: 1357, sampleDims: [16], classes: 4, seed: 11n });
    const train = sliceDataset(all, 0, 1024);
    const test = sliceDataset(all, 1024, 1357);
    const runner = await TrainingRunner.create({
      model: tinyMlp(16, 32, 4),
      dataset: train,
      optimizer: { kind: "adam" },
      lr: 0.01,
      batchSize: 32,
      seed: 1n,
      workerKey: new Uint8Array(32),
    });
    const untrained = await evaluateModel(tinyMlp(16, 32, 4), test);
    await runSteps(runner, { untilStep: 64 });
    const model = runner.exportModel();
    await runner.close();
    const a = await evaluateModel(model, test, { batchSize: 100 });
    const b = await evaluateModel(model, test, { batchSize: 7 });
    expect(a.samples).toBe(333);
    expect(Number.isInteger(a.accuracyPpm) && Number.isInteger(a.lossPpm)).toBe(true);
    expect(a.accuracyPpm).toBe(Math.floor((a.correct! * 1_000_000) / 333));
    expect(a.accuracyPpm!).toBeGreaterThan(900_000);
    expect(a.lossPpm).toBeLessThan(untrained.lossPpm);
    expect(b).toEqual(a);
  });
});
