/**
 * The ML commands as a user runs them: separate processes of the built CLI (`npm run build` first),
 * checking exit codes, output, and that a failed run leaves no output file (or temp file) behind.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { makeDataset, saveDataset } from "../../../../worker/data/dataset.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { tensor } from "../../../../worker/onnx/tensor.js";
import { runCli, tinyMlp } from "../helpers.js";

let dir: string;
const p = (name: string) => join(dir, name);

const trainArgs = (model: string, dataset: string, out: string, extra: string[] = [], seed = "9") => [
  "train",
  "--model",
  p(model),
  "--dataset",
  p(dataset),
  "--steps",
  "30",
  "--batch",
  "16",
  "--optimizer",
  "adam",
  "--lr",
  "0.01",
  "--seed",
  seed,
  "--out",
  p(out),
  ...extra,
];

async function expectNoOutput(prefix: string): Promise<void> {
  expect((await readdir(dir)).filter((f) => f.startsWith(prefix))).toEqual([]);
}

describe("tensorchain ML commands", () => {
  beforeAll(async () => {
    await cryptoReady();
    dir = await mkdtemp(join(tmpdir(), "tc-ml-cli-"));
    await writeFile(p("tiny.onnx"), tinyMlp(8, 16, 3));
    await saveDataset(
      p("train.safetensors"),
      syntheticClassification({ samples: 400, sampleDims: [8], classes: 3, seed: 2n }),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("trains the same run in two processes to identical per-step hashes; seed and worker key change them", async () => {
    const [a, b, seed, key] = await Promise.all([
      runCli(trainArgs("tiny.onnx", "train.safetensors", "a.onnx", ["--hashes", p("a.txt")])),
      runCli(trainArgs("tiny.onnx", "train.safetensors", "b.onnx", ["--hashes", p("b.txt")])),
      runCli(trainArgs("tiny.onnx", "train.safetensors", "c.onnx", ["--hashes", p("c.txt")], "10")),
      runCli(
        trainArgs("tiny.onnx", "train.safetensors", "d.onnx", [
          "--hashes",
          p("d.txt"),
          "--worker-key",
          `0x${"ab".repeat(32)}`,
        ]),
      ),
    ]);
    for (const r of [a, b, seed, key])
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const ha = (await readFile(p("a.txt"), "utf8")).trim().split("\n");
    expect(ha.length).toBe(30);
    expect(ha[29]).toMatch(/^30 0x[0-9a-f]{64}$/);
    expect(await readFile(p("b.txt"), "utf8")).toBe(await readFile(p("a.txt"), "utf8"));
    expect(a.stdout).toContain(`state-hash: ${ha[29].split(" ")[1]}`);
    expect(a.stderr).toContain("Execution provider: cpu (profile cpu-exact");
    const hc = (await readFile(p("c.txt"), "utf8")).trim().split("\n");
    const hd = (await readFile(p("d.txt"), "utf8")).trim().split("\n");
    expect(hc[0]).not.toBe(ha[0]);
    expect(hd[0]).not.toBe(ha[0]);
    expect(await readFile(p("a.onnx"))).toEqual(await readFile(p("b.onnx")));
  });

  it("evaluates as text and JSON", async () => {
    const text = await runCli(["eval", "--model", p("tiny.onnx"), "--dataset", p("train.safetensors")]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^accuracy: \d\.\d{4}\nloss: \d+\.\d{4}\n/);
    const json = await runCli(["eval", "--model", p("tiny.onnx"), "--dataset", p("train.safetensors"), "--json"]);
    const r = JSON.parse(json.stdout);
    expect(r.samples).toBe(400);
    expect(text.stdout).toContain(`accuracy: ${(Math.floor(r.accuracyPpm / 100) / 10_000).toFixed(4)}`);
  });

  it("prints help for the commands whose seed defaults to a bigint", async () => {
    for (const cmd of [
      ["model", "init"],
      ["dataset", "synthetic"],
    ]) {
      const h = await runCli([...cmd, "--help"]);
      expect({ cmd, code: h.code, seed: /--seed <n>.*\(default: 0\)/.test(h.stdout) }).toEqual({
        cmd,
        code: 0,
        seed: true,
      });
    }
  });

  it("writes model templates and synthetic datasets", async () => {
    const m = await runCli(["model", "init", "--arch", "cnn", "--out", p("cnn.onnx"), "--seed", "4"]);
    expect(m.code).toBe(0);
    expect((await readFile(p("cnn.onnx"))).length).toBeGreaterThan(40_000);
    const bad = await runCli(["model", "init", "--arch", "rnn", "--out", p("rnn.onnx")]);
    expect(bad.code).not.toBe(0);
    const d = await runCli([
      "dataset",
      "synthetic",
      "--out",
      p("syn.safetensors"),
      "--samples",
      "50",
      "--features",
      "8",
      "--classes",
      "3",
    ]);
    expect(d.code).toBe(0);
  });

  describe("bad input: typed error, non-zero exit, no partial output", () => {
    it("corrupt and truncated ONNX files", async () => {
      const good = tinyMlp(8, 16, 3);
      await writeFile(
        p("garbage.onnx"),
        Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff),
      );
      await writeFile(p("truncated.onnx"), good.subarray(0, Math.floor(good.length / 2)));
      for (const model of ["garbage.onnx", "truncated.onnx"]) {
        const r = await runCli(
          trainArgs(model, "train.safetensors", "out-corrupt.onnx", ["--hashes", p("out-corrupt.txt")]),
        );
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("ONNX_ERROR_CORRUPT");
      }
      await expectNoOutput("out-corrupt");
    });

    it("an unsupported operator, named with its node", async () => {
      await writeFile(
        p("topk.onnx"),
        tinyMlp(8, 16, 3, {
          extra: [
            { name: "pick_best", opType: "TopK", domain: "", inputs: ["logits", "k"], outputs: ["top"], attrs: {} },
          ],
        }),
      );
      const r = await runCli(trainArgs("topk.onnx", "train.safetensors", "out-op.onnx"));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("ONNX_ERROR_UNSUPPORTED_OP");
      expect(r.stderr).toContain('Unsupported operator TopK in node "pick_best"');
      await expectNoOutput("out-op");
    });

    it("a dataset whose shapes do not fit the model, and labels out of range", async () => {
      await saveDataset(p("wide.safetensors"), syntheticClassification({ samples: 100, sampleDims: [9], classes: 3 }));
      const ds = syntheticClassification({ samples: 100, sampleDims: [8], classes: 3 });
      await saveDataset(
        p("labels.safetensors"),
        makeDataset(
          ds.x,
          tensor(
            "int64",
            [100],
            Array.from({ length: 100 }, (_, i) => (i === 57 ? 3 : i % 3)),
          ),
        ),
      );
      const wide = await runCli(trainArgs("tiny.onnx", "wide.safetensors", "out-ds.onnx"));
      expect(wide.code).toBe(1);
      expect(wide.stderr).toContain("DATASET_ERROR_SHAPE_MISMATCH");
      const labels = await runCli(trainArgs("tiny.onnx", "labels.safetensors", "out-ds.onnx"));
      expect(labels.code).toBe(1);
      expect(labels.stderr).toContain("DATASET_ERROR_LABEL_OUT_OF_RANGE");
      expect(labels.stderr).toContain("Label 3 of sample 57");
      const evalWide = await runCli(["eval", "--model", p("tiny.onnx"), "--dataset", p("wide.safetensors")]);
      expect(evalWide.code).toBe(1);
      await expectNoOutput("out-ds");
    });

    it("a loss that becomes NaN or infinite", async () => {
      const args = trainArgs("tiny.onnx", "train.safetensors", "out-nan.onnx", ["--hashes", p("out-nan.txt")]);
      args[args.indexOf("adam")] = "sgd";
      args[args.indexOf("0.01")] = "1e30";
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("TRAIN_ERROR_NON_FINITE_LOSS");
      await expectNoOutput("out-nan");
    });
  });
});
