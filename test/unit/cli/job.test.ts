/**
 * `tensorchain job …` flag parsing: in process (the spec a command line describes) and as a user runs
 * it (the built CLI in a separate process, `npm run build` first): bad flags give a clear error and a
 * non-zero exit before anything is uploaded or sent.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { JobCliError } from "../../../cli/commands/job/common.js";
import { type JobPostFlags, parseFraction, parseLearningRate, specFromFlags } from "../../../cli/commands/job/post.js";
import { readSaltFile } from "../../../cli/commands/job/saltFile.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { saveDataset } from "../../../worker/data/dataset.js";
import { syntheticClassification } from "../../../worker/data/synthetic.js";
import { runCli, tinyMlp } from "../worker/helpers.js";

let dir: string;
const p = (name: string) => join(dir, name);

beforeAll(async () => {
  await cryptoReady();
  dir = await mkdtemp(join(tmpdir(), "tc-job-cli-"));
  await writeFile(p("tiny.onnx"), tinyMlp(8, 16, 3));
  await saveDataset(
    p("train.safetensors"),
    syntheticClassification({ samples: 64, sampleDims: [8], classes: 3, seed: 1n }),
  );
  await saveDataset(
    p("wide.safetensors"),
    syntheticClassification({ samples: 64, sampleDims: [9], classes: 3, seed: 1n }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const post = (overrides: Record<string, string | null> = {}) => {
  const flags: Record<string, string | null> = {
    "--rpc": "ws://127.0.0.1:1",
    "--suri": "//Eve",
    "--model": p("tiny.onnx"),
    "--train": p("train.safetensors"),
    "--test": p("train.safetensors"),
    "--reward": "100",
    "--workers": "2",
    "--evaluators": "2",
    "--min-accuracy": "0.9",
    "--epochs": "1",
    "--batch": "16",
    "--lr": "0.003",
    "--optimizer": "adam",
    "--seed": "7",
    ...overrides,
  };
  return ["job", "post", ...Object.entries(flags).flatMap(([k, v]) => (v === null ? [] : v === "" ? [k] : [k, v]))];
};

describe("job flags in process", () => {
  it("turns a command line into the job spec", () => {
    const flags = {
      workers: 2,
      evaluators: 3,
      minAccuracy: parseFraction("0.9"),
      epochs: 2,
      batch: 16,
      lr: parseLearningRate("0.003"),
      optimizer: "adam",
      loss: "cross_entropy",
      seed: 7n,
      profile: "cpu-exact",
      minCpuCores: 1,
      minMemoryMib: 1024,
      minGpus: 0,
      minGpuMemoryMib: 0,
      assignBlocks: 5,
      submitBlocks: 6,
      revealTestSetBlocks: 7,
      commitBlocks: 8,
      revealBlocks: 9,
    } as JobPostFlags;
    const ids = {
      model: new Uint8Array([1]),
      train: new Uint8Array([2]),
      commitment: new Uint8Array(32),
      workerStake: 5n,
      trainSamples: 1000,
    };
    expect(specFromFlags(flags, ids)).toEqual({
      model_cid: ids.model,
      training_set_cid: ids.train,
      test_set_commitment: ids.commitment,
      loss: { tag: "CrossEntropy" },
      optimizer: { tag: "Adam" },
      learning_rate_e9: 3_000_000n,
      batch_size: 16,
      length: { tag: "Epochs", value: 2 },
      seed: 7n,
      profile: { tag: "CpuExact" },
      requirements: { min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 1, min_memory_mib: 1024 },
      workers: 2,
      evaluators: 3,
      min_accuracy_ppm: 900_000,
      worker_stake: 5n,
      deadlines: { assign: 5, submit: 6, reveal_test_set: 7, commit: 8, reveal: 9 },
      // 2 epochs of ⌊1000 / 16⌋ = 62 steps: 124 steps in about 64 segments of ⌈124 / 64⌉ = 2.
      checkpoint_interval: 2,
    });
    // Given, the interval is kept; for --steps the chain fixes the default (0 here).
    expect(specFromFlags({ ...flags, checkpointInterval: 5 }, ids).checkpoint_interval).toBe(5);
    expect(specFromFlags({ ...flags, epochs: undefined, steps: 640 }, ids).checkpoint_interval).toBe(0);
    expect(() => specFromFlags({ ...flags, steps: 10 }, ids)).toThrow("give exactly one of --epochs and --steps");
  });

  it("reads a salt file and refuses a damaged one with JOB_CLI_ERROR_SALT_FILE", async () => {
    const good = {
      testCid: "bafkreie7q3iidccmpvszul7kudcvvuavuo7u6gzlbobczuk5nqk3b4akba",
      salt: `0x${"ab".repeat(32)}`,
      jobId: "4",
    };
    await writeFile(p("good.json"), JSON.stringify(good));
    const read = readSaltFile(p("good.json"));
    expect(read).toMatchObject({ testCid: good.testCid, jobId: "4" });
    expect(read.salt).toEqual(new Uint8Array(32).fill(0xab));
    const bad: [string, string, RegExp][] = [
      ["missing.json", "", /not found/],
      ["garbage.json", "{not json", /not JSON/],
      ["nosalt.json", JSON.stringify({ testCid: good.testCid }), /32-byte hex salt/],
      ["shortsalt.json", JSON.stringify({ ...good, salt: "0xabcd" }), /32-byte hex salt/],
    ];
    for (const [name, text, why] of bad) {
      if (text) await writeFile(p(name), text);
      let err: unknown;
      try {
        readSaltFile(p(name));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(JobCliError);
      expect((err as JobCliError).code).toBe("JOB_CLI_ERROR_SALT_FILE");
      expect((err as Error).message).toMatch(why);
    }
  });

  it("reads fractions as ppm and refuses what is not one", () => {
    expect([parseFraction("0"), parseFraction("0.9"), parseFraction("0.95"), parseFraction("1")]).toEqual([
      0, 900_000, 950_000, 1_000_000,
    ]);
    for (const bad of ["1.5", "-0.1", "x", ""])
      expect(() => parseFraction(bad)).toThrow("expected a fraction between 0 and 1");
    expect(() => parseLearningRate("1e-12")).toThrow("at least 1e-9");
  });
});

describe("tensorchain job (built CLI)", () => {
  it.each([
    [{ "--suri": null }, "required option '--suri <suri>' not specified"],
    [{ "--min-accuracy": "1.5" }, 'expected a fraction between 0 and 1, got "1.5"'],
    [{ "--optimizer": "rmsprop" }, "Allowed choices are sgd, momentum, adam"],
    [{ "--reward": "0" }, "must be greater than zero"],
    [{ "--reward": "ten" }, "must be an amount of TRAIN"],
    [{ "--workers": "0" }, 'expected a positive integer, got "0"'],
    [{ "--seed": "-1" }, 'expected a u64 seed, got "-1"'],
    [{ "--steps": "10" }, "give exactly one of --epochs and --steps"],
    [{ "--train": null }, "required option '--train <file>' not specified"],
  ])("job post %j fails with a clear error", async (overrides, message) => {
    const r = await runCli(post(overrides as Record<string, string | null>));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it("refuses, before uploading anything, a training set that does not fit the model", async () => {
    const r = await runCli(post({ "--train": p("wide.safetensors") }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Error [DATASET_ERROR_SHAPE_MISMATCH]: Dataset does not fit the model: expected samples of [8], found samples of [9]",
    );
  });

  it("job status and fetch check their arguments", async () => {
    const bad = await runCli(["job", "status", "abc"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a job id (u64), got "abc"');
    const noOut = await runCli(["job", "fetch", "3"]);
    expect(noOut.code).not.toBe(0);
    expect(noOut.stderr).toContain("required option '--out <file>' not specified");
  });
});
