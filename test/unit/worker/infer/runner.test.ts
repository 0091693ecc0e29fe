/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import ort from "onnxruntime-node";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import type { Logger } from "../../../../primitives/logger.js";
import { decodeSafetensors, encodeSafetensors } from "../../../../worker/data/safetensors.js";
import { InferError } from "../../../../worker/infer/errors.js";
import { fingerprintSafetensors } from "../../../../worker/infer/fingerprint.js";
import {
  type InferenceRequest,
  InferenceRunner,
  type InferenceRunnerModules,
  type InferenceRunnerOptions,
} from "../../../../worker/infer/runner.js";
import type { OnnxNode } from "../../../../worker/onnx/ir.js";
import { ENGINE_OPSET, encodeModel } from "../../../../worker/onnx/model.js";
import { type TensorData, tensor } from "../../../../worker/onnx/tensor.js";
import { buildTemplateModel } from "../../../../worker/templates/models.js";
import { cudaAvailable, resolveProfile } from "../../../../worker/train/profile.js";
import { tinyMlp } from "../helpers.js";

const BATCH = 500;
const silent: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  trace: () => {},
  child: () => silent,
  isEnabled: () => false,
};

const runners: InferenceRunner[] = [];
function runner(opts: InferenceRunnerOptions = {}, modules: InferenceRunnerModules = {}): InferenceRunner {
  const r = new InferenceRunner(opts, { log: silent, ...modules });
  runners.push(r);
  return r;
}

/** Deterministic pixel-like values in [0, 1). */
function pixels(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

const file = (tensors: [string, TensorData][]) => encodeSafetensors(new Map(tensors));
const inputOf = (dims: number[], seed = 1, name = "x") =>
  file([
    [
      name,
      tensor(
        "float32",
        dims,
        pixels(
          dims.reduce((a, b) => a * b, 1),
          seed,
        ),
      ),
    ],
  ]);

/** What plain onnxruntime-node computes for `input` with the cpu-exact session options. */
async function plainRun(model: Uint8Array, input: Uint8Array): Promise<Map<string, ort.Tensor>> {
  const { sessionOptions } = resolveProfile("cpu-exact", 1, silent);
  const session = await ort.InferenceSession.create(model, sessionOptions);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of decodeSafetensors(input).tensors)
      feeds[name] = new ort.Tensor(t.dtype, t.data as Float32Array, t.dims);
    const out = await session.run(feeds);
    return new Map(Object.entries(out) as [string, ort.Tensor][]);
  } finally {
    await session.release();
  }
}

const bytesOf = (data: ArrayBufferView) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof InferError ? e.type.code : `not an InferError: ${String(e)}`;
  }
  return "resolved";
}

const mlp = buildTemplateModel("mlp", { seed: 1n });
const cnn = buildTemplateModel("cnn", { seed: 1n });
const mlpReq = (input = inputOf([BATCH, 784])): InferenceRequest => ({
  modelHash: blake2_256(mlp),
  modelBytes: mlp,
  input,
  profile: "cpu-exact",
});

let dir: string;
beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "infer-test-"));
});
afterAll(async () => {
  for (const r of runners) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("InferenceRunner under cpu-exact", () => {
  it("gives the MLP's and the CNN's outputs on a 500-image batch byte for byte as plain onnxruntime", async () => {
    const r = runner();
    for (const [model, dims] of [
      [mlp, [BATCH, 784]],
      [cnn, [BATCH, 1, 28, 28]],
    ] as const) {
      const input = inputOf([...dims], 7);
      const res = await r.run({ modelHash: blake2_256(model), modelBytes: model, input, profile: "cpu-exact" });
      const ref = (await plainRun(model, input)).get("logits")!;
      expect(res.shape).toEqual([BATCH, 10]);
      expect(res.outputs).toEqual([{ name: "logits", dtype: "float32", dims: [BATCH, 10] }]);
      expect(res.profile).toBe("cpu-exact");
      expect(res.provider).toBe("cpu");
      const got = decodeSafetensors(res.output).tensors;
      expect([...got.keys()]).toEqual(["logits"]);
      expect(bytesOf(got.get("logits")!.data).equals(bytesOf(ref.data as Float32Array))).toBe(true);
      // The output file is exactly the reference tensor in safetensors, and the hash is over those bytes.
      const refFile = encodeSafetensors(
        new Map([["logits", tensor("float32", [BATCH, 10], ref.data as Float32Array)]]),
      );
      expect(Buffer.from(res.output).equals(refFile)).toBe(true);
      expect(toHex(res.outputHash)).toBe(toHex(blake2_256(refFile)));
    }
    expect(r.stats.threadsStarted).toBe(1);
  });

  it("runs a whole batch as one session run (a model that averages over the batch sees all 500 images)", async () => {
    const extra: OnnxNode[] = [
      {
        name: "batch_mean",
        opType: "ReduceMean",
        domain: "",
        inputs: ["logits"],
        outputs: ["mean"],
        attrs: { axes: { type: "INTS", ints: [0] }, keepdims: { type: "INT", i: 1 } },
      },
    ];
    const model = tinyMlp(784, 32, 10, { extra });
    const input = inputOf([BATCH, 784], 3);
    const res = await runner().run({ modelHash: blake2_256(model), modelBytes: model, input, profile: "cpu-exact" });
    // Split into calls, the mean would be over part of the batch: [k, 10] for k calls.
    expect(res.shape).toEqual([1, 10]);
    const ref = (await plainRun(model, input)).get("mean")!;
    expect(
      bytesOf(decodeSafetensors(res.output).tensors.get("mean")!.data).equals(bytesOf(ref.data as Float32Array)),
    ).toBe(true);
  });

  it("feeds every input by name, carries every output by name, and the batch must agree", async () => {
    // Two inputs a, b [N, 4]; outputs sum = a + b and relu = Relu(a).
    const model = encodeModel(
      {
        name: "two",
        nodes: [
          { name: "add", opType: "Add", domain: "", inputs: ["a", "b"], outputs: ["sum"], attrs: {} },
          { name: "relu", opType: "Relu", domain: "", inputs: ["a"], outputs: ["relu"], attrs: {} },
        ],
        inputs: [
          { name: "a", dtype: "float32", shape: ["N", 4] },
          { name: "b", dtype: "float32", shape: ["N", 4] },
        ],
        outputs: [
          { name: "sum", dtype: "float32", shape: ["N", 4] },
          { name: "relu", dtype: "float32", shape: ["N", 4] },
        ],
        initializers: new Map(),
      },
      { opset: ENGINE_OPSET },
    );
    const r = runner();
    const base = { modelHash: blake2_256(model), modelBytes: model, profile: "cpu-exact" as const };
    const a = tensor("float32", [2, 4], [1, -2, 3, -4, 5, -6, 7, -8]);
    const b = tensor("float32", [2, 4], [1, 1, 1, 1, 2, 2, 2, 2]);
    const res = await r.run({
      ...base,
      input: file([
        ["a", a],
        ["b", b],
        ["unused", tensor("int64", [1], [9])],
      ]),
    });
    const out = decodeSafetensors(res.output).tensors;
    expect([...out.keys()].sort()).toEqual(["relu", "sum"]);
    expect([...out.get("sum")!.data]).toEqual([2, -1, 4, -3, 7, -4, 9, -6]);
    expect([...out.get("relu")!.data]).toEqual([1, 0, 3, 0, 5, 0, 7, 0]);
    // The first output is the model's first: sum.
    expect(res.outputs.map((o) => o.name)).toEqual(["sum", "relu"]);
    const b3 = tensor("float32", [3, 4], new Array(12).fill(1));
    expect(
      await codeOf(
        r.run({
          ...base,
          input: file([
            ["a", a],
            ["b", b3],
          ]),
        }),
      ),
    ).toBe("INFER_ERROR_INPUT_SHAPE");
    // With two inputs, a lone tensor is not fed by position.
    expect(await codeOf(r.run({ ...base, input: file([["a", a]]) }))).toBe("INFER_ERROR_BAD_INPUT");
    expect(r.stats.threadsStarted).toBe(1);
  });

  it("reads the model from a file in the thread when given a path", async () => {
    const path = join(dir, "cnn.onnx");
    writeFileSync(path, cnn);
    const r = runner();
    const input = inputOf([4, 1, 28, 28], 5);
    const res = await r.run({ modelHash: blake2_256(cnn), modelPath: path, input, profile: "cpu-exact" });
    const ref = (await plainRun(cnn, input)).get("logits")!;
    expect(
      bytesOf(decodeSafetensors(res.output).tensors.get("logits")!.data).equals(bytesOf(ref.data as Float32Array)),
    ).toBe(true);
  });

  it("hands over a transferred input without copying it (the caller's buffer is detached)", async () => {
    const r = runner();
    const input = inputOf([8, 784], 2);
    const expected = (await r.run(mlpReq(input.slice()))).output;
    const res = await r.run({ ...mlpReq(input), transferInput: true });
    expect(input.byteLength).toBe(0);
    expect(Buffer.from(res.output).equals(Buffer.from(expected))).toBe(true);
  });
});

describe("session cache", () => {
  it("creates a model's session once: later requests reuse it and need no model bytes", async () => {
    const r = runner();
    const first = await r.run(mlpReq());
    expect(first.sessionReused).toBe(false);
    expect(r.holds(blake2_256(mlp), "cpu-exact")).toBe(true);
    const { modelBytes: _, ...withoutModel } = mlpReq(inputOf([3, 784], 9));
    const second = await r.run(withoutModel);
    expect(second.sessionReused).toBe(true);
    const third = await r.run(mlpReq());
    expect(third.sessionReused).toBe(true);
    expect(Buffer.from(third.output).equals(Buffer.from(first.output))).toBe(true);
    expect(r.stats).toMatchObject({ threadsStarted: 1, sessionsCreated: 1, sessionsReused: 2, modelsSent: 1 });
  });

  it("keeps one session per profile", async () => {
    const r = runner({ threads: 2 });
    await r.run(mlpReq());
    const fast = await r.run({ ...mlpReq(), profile: "cpu-fast" });
    expect(fast.profile).toBe("cpu-fast");
    expect(fast.sessionReused).toBe(false);
    expect(r.stats.sessionsCreated).toBe(2);
  });

  it("evicts the least recently used session past maxSessions; an evicted model must be sent again", async () => {
    const r = runner({ maxSessions: 1 });
    await r.run(mlpReq());
    await r.run({ modelHash: blake2_256(cnn), modelBytes: cnn, input: inputOf([2, 1, 28, 28]), profile: "cpu-exact" });
    expect(r.holds(blake2_256(mlp), "cpu-exact")).toBe(false);
    expect(r.holds(blake2_256(cnn), "cpu-exact")).toBe(true);
    const { modelBytes: _, ...withoutModel } = mlpReq();
    expect(await codeOf(r.run(withoutModel))).toBe("INFER_ERROR_BAD_REQUEST");
    expect((await r.run(mlpReq())).sessionReused).toBe(false);
    expect(r.stats.sessionsCreated).toBe(3);
  });

  it("evicts to keep the models it holds within the memory limit", async () => {
    const r = runner({ memoryLimitBytes: cnn.byteLength + mlp.byteLength - 1 });
    await r.run(mlpReq());
    await r.run({ modelHash: blake2_256(cnn), modelBytes: cnn, input: inputOf([2, 1, 28, 28]), profile: "cpu-exact" });
    expect(r.holds(blake2_256(mlp), "cpu-exact")).toBe(false);
    expect(r.holds(blake2_256(cnn), "cpu-exact")).toBe(true);
  });
});

describe("refusals", () => {
  const r = () => runner({ memoryLimitBytes: 2 * 1024 * 1024, maxInputBytes: 4 * 1024 * 1024 });

  /** After each refusal the same thread still serves a good request with the right output. */
  async function stillWorks(x: InferenceRunner): Promise<void> {
    const good = await x.run(mlpReq(inputOf([2, 784], 11)));
    const ref = (await plainRun(mlp, inputOf([2, 784], 11))).get("logits")!;
    expect(
      bytesOf(decodeSafetensors(good.output).tensors.get("logits")!.data).equals(bytesOf(ref.data as Float32Array)),
    ).toBe(true);
    expect(x.stats.threadsStarted).toBe(1);
  }

  it("INFER_ERROR_INPUT_SHAPE: a wrong dimension, rank, element type or an empty batch", async () => {
    const x = r();
    await x.run(mlpReq(inputOf([2, 784])));
    for (const input of [
      inputOf([5, 783]),
      inputOf([5, 784, 1]),
      inputOf([784]),
      inputOf([0, 784]),
      file([["x", tensor("float64", [2, 784])]]),
    ]) {
      expect(await codeOf(x.run(mlpReq(input)))).toBe("INFER_ERROR_INPUT_SHAPE");
      await stillWorks(x);
    }
    try {
      await x.run(mlpReq(inputOf([5, 783])));
    } catch (e) {
      expect((e as InferError).type).toEqual({
        code: "INFER_ERROR_INPUT_SHAPE",
        input: "x",
        expected: "float32[?, 784]",
        found: "float32[5, 783]",
      });
    }
  });

  it("INFER_ERROR_BAD_INPUT: corrupt safetensors, or no tensor for the model's input", async () => {
    const x = r();
    const good = inputOf([2, 784]);
    const garbage = Uint8Array.from(pixels(64, 3), (v) => Math.floor(v * 256));
    const badLength = good.slice();
    new DataView(badLength.buffer).setBigUint64(0, 1n << 40n, true);
    for (const input of [
      good.subarray(0, good.length - 4).slice(),
      good.subarray(0, 5).slice(),
      garbage,
      badLength,
      new Uint8Array(0),
      file([
        ["y", tensor("float32", [2, 784])],
        ["z", tensor("float32", [2, 784])],
      ]),
    ]) {
      expect(await codeOf(x.run(mlpReq(input)))).toBe("INFER_ERROR_BAD_INPUT");
      await stillWorks(x);
    }
  });

  it("INFER_ERROR_BAD_MODEL: model bytes onnxruntime cannot load", async () => {
    const x = r();
    const garbage = Uint8Array.from(pixels(4096, 5), (v) => Math.floor(v * 256));
    const truncated = mlp.slice(0, mlp.length >> 1);
    for (const model of [garbage, truncated, new Uint8Array(0)]) {
      const req = { ...mlpReq(), modelHash: blake2_256(model), modelBytes: model };
      expect(await codeOf(x.run(req))).toBe("INFER_ERROR_BAD_MODEL");
      expect(x.holds(blake2_256(model), "cpu-exact")).toBe(false);
      await stillWorks(x);
    }
    // A fresh runner: x holds the MLP by now, and would not read the file.
    expect(await codeOf(r().run({ ...mlpReq(), modelBytes: undefined, modelPath: join(dir, "missing.onnx") }))).toBe(
      "INFER_ERROR_BAD_MODEL",
    );
  });

  it("INFER_ERROR_MODEL_HASH: model bytes that are not the model the hash names", async () => {
    const x = r();
    expect(await codeOf(x.run({ ...mlpReq(), modelHash: blake2_256(cnn) }))).toBe("INFER_ERROR_MODEL_HASH");
    expect(x.holds(blake2_256(cnn), "cpu-exact")).toBe(false);
    await stillWorks(x);
  });

  it("INFER_ERROR_UNSUPPORTED_OP: an operator onnxruntime has no kernel for, or an unknown domain", async () => {
    const x = r();
    const oneNode = (opType: string, domain: string) =>
      encodeModel(
        {
          name: "odd",
          nodes: [{ name: "n0", opType, domain, inputs: ["x"], outputs: ["y"], attrs: {} }],
          inputs: [{ name: "x", dtype: "float32", shape: ["N", 784] }],
          outputs: [{ name: "y", dtype: "float32", shape: ["N", 784] }],
          initializers: new Map(),
        },
        { opset: ENGINE_OPSET },
      );
    for (const [opType, domain] of [
      ["FooBar", ""],
      ["Relu", "com.example"],
    ]) {
      const model = oneNode(opType, domain);
      try {
        await x.run({ ...mlpReq(), modelHash: blake2_256(model), modelBytes: model });
        throw new Error("resolved");
      } catch (e) {
        expect(e).toBeInstanceOf(InferError);
        expect((e as InferError).type).toMatchObject({ code: "INFER_ERROR_UNSUPPORTED_OP", opType, domain });
      }
      await stillWorks(x);
    }
  });

  it("INFER_ERROR_MODEL_TOO_LARGE: a model over the memory limit, as bytes or as a file, before it is loaded", async () => {
    const x = runner({ memoryLimitBytes: mlp.byteLength - 1 });
    expect(await codeOf(x.run(mlpReq()))).toBe("INFER_ERROR_MODEL_TOO_LARGE");
    // Refused before any thread started.
    expect(x.stats.threadsStarted).toBe(0);
    const path = join(dir, "mlp.onnx");
    writeFileSync(path, mlp);
    const tiny = tinyMlp(4, 4, 2);
    await x.run({ modelHash: blake2_256(tiny), modelBytes: tiny, input: inputOf([1, 4]), profile: "cpu-exact" });
    try {
      await x.run({ ...mlpReq(), modelBytes: undefined, modelPath: path });
      throw new Error("resolved");
    } catch (e) {
      expect((e as InferError).type).toEqual({
        code: "INFER_ERROR_MODEL_TOO_LARGE",
        bytes: mlp.byteLength,
        max: mlp.byteLength - 1,
      });
    }
    // The thread that refused the file still serves the model it holds.
    const res = await x.run({ modelHash: blake2_256(tiny), input: inputOf([3, 4]), profile: "cpu-exact" });
    expect(res.shape).toEqual([3, 2]);
    expect(x.stats.threadsStarted).toBe(1);
  });

  it("INFER_ERROR_INPUT_TOO_LARGE and INFER_ERROR_BAD_REQUEST", async () => {
    const x = runner({ maxInputBytes: 1000 });
    expect(await codeOf(x.run(mlpReq()))).toBe("INFER_ERROR_INPUT_TOO_LARGE");
    const y = r();
    expect(await codeOf(y.run({ ...mlpReq(), fingerprint: { gridScale: 0 } }))).toBe("INFER_ERROR_BAD_REQUEST");
    expect(await codeOf(y.run({ ...mlpReq(), modelBytes: undefined }))).toBe("INFER_ERROR_BAD_REQUEST");
    expect(await codeOf(y.run({ ...mlpReq(), modelPath: "/x.onnx" }))).toBe("INFER_ERROR_BAD_REQUEST");
    expect(await codeOf(y.run({ ...mlpReq(), profile: "tpu" as "gpu" }))).toBe("INFER_ERROR_BAD_REQUEST");
    await stillWorks(y);
    expect(y.stats.refused).toBe(4);
  });

  it("INFER_ERROR_THREAD: a thread that dies during a request; the next request gets a fresh thread", async () => {
    let spawned = 0;
    const x = runner(
      {},
      {
        spawn: (script, workerData) =>
          spawned++ === 0
            ? new Worker("setTimeout(() => process.exit(3), 50)", { eval: true })
            : new Worker(script, { workerData }),
      },
    );
    expect(await codeOf(x.run(mlpReq()))).toBe("INFER_ERROR_THREAD");
    expect(x.running).toBe(false);
    expect((await x.run(mlpReq())).sessionReused).toBe(false);
    expect(x.stats.threadsStarted).toBe(2);
  });
});

describe("requests in flight", () => {
  /** A spawn that counts the run requests the thread has been sent and not answered yet. */
  function countingSpawn() {
    const seen = { outstanding: 0, max: 0 };
    const spawn: InferenceRunnerModules["spawn"] = (script, workerData) => {
      const w = new Worker(script, { workerData });
      const post = w.postMessage.bind(w);
      w.postMessage = (m: { type: string }, transfer?: Parameters<Worker["postMessage"]>[1]) => {
        if (m.type === "run") seen.max = Math.max(seen.max, ++seen.outstanding);
        post(m, transfer);
      };
      w.on("message", (m: { type: string }) => {
        if (m.type === "done" || m.type === "error") seen.outstanding--;
      });
      return w;
    };
    return { seen, spawn };
  }

  it("answers requests made at once each with its own output, sending the model once, at most maxInFlight in the thread", async () => {
    const { seen, spawn } = countingSpawn();
    const r = runner({}, { spawn });
    const inputs = Array.from({ length: 8 }, (_, i) => inputOf([20, 784], 100 + i));
    const results = await Promise.all(inputs.map((input) => r.run(mlpReq(input))));
    for (const [i, input] of inputs.entries()) {
      const expected = (await plainRun(mlp, input)).get(results[i].outputs[0].name)!;
      const got = decodeSafetensors(results[i].output).tensors.get(results[i].outputs[0].name)!;
      expect(bytesOf(got.data).equals(bytesOf(expected.data as Float32Array))).toBe(true);
    }
    expect(new Set(results.map((x) => toHex(x.outputHash))).size).toBe(8);
    expect(r.stats).toMatchObject({ threadsStarted: 1, modelsSent: 1, sessionsCreated: 1, sessionsReused: 7 });
    expect(seen.max).toBe(2);

    const one = countingSpawn();
    const sequential = runner({ maxInFlight: 1 }, { spawn: one.spawn });
    await Promise.all(inputs.map((input) => sequential.run(mlpReq(input))));
    expect(one.seen.max).toBe(1);
  });

  it("rejects every request in flight when the thread dies; the next request gets a fresh thread", async () => {
    let spawned = 0;
    const key = `${toHex(blake2_256(mlp))}/cpu-exact`;
    // The first thread says it holds the model, then dies once two requests are in it.
    const dying = `
      const { parentPort, workerData } = require("node:worker_threads");
      let runs = 0;
      parentPort.on("message", (m) => {
        if (m.type !== "run") return;
        runs++;
        if (runs === 1) parentPort.postMessage({ type: "error", id: m.id, held: [workerData.key], error: { message: "first" } });
        if (runs === 3) process.exit(3);
      });`;
    const x = runner(
      {},
      {
        spawn: (script, workerData) =>
          spawned++ === 0 ? new Worker(dying, { eval: true, workerData: { key } }) : new Worker(script, { workerData }),
      },
    );
    expect(await codeOf(x.run(mlpReq()))).toBe("INFER_ERROR_RUN");
    expect(x.holds(blake2_256(mlp), "cpu-exact")).toBe(true);
    const inFlight = [x.run(mlpReq(inputOf([5, 784], 1))), x.run(mlpReq(inputOf([5, 784], 2)))];
    expect(await Promise.all(inFlight.map(codeOf))).toEqual(["INFER_ERROR_THREAD", "INFER_ERROR_THREAD"]);
    expect((await x.run(mlpReq())).sessionReused).toBe(false);
    expect(x.stats.threadsStarted).toBe(2);
  });
});

describe("fingerprint and profiles", () => {
  it("returns the output's fingerprint on the request's grid, as a node recomputes it from the file", async () => {
    const r = runner();
    const res = await r.run({ ...mlpReq(), fingerprint: { gridScale: 256, maxLength: 64 } });
    expect(res.fingerprint).toHaveLength(64);
    expect([...res.fingerprint!]).toEqual([...fingerprintSafetensors(res.output, 256, 64)]);
    const small = await r.run({ ...mlpReq(inputOf([2, 784])), fingerprint: { gridScale: 1000 } });
    expect(small.fingerprint).toHaveLength(20);
    expect((await r.run(mlpReq())).fingerprint).toBeUndefined();
  });

  it("runs gpu on CUDA when present and falls back to the CPU otherwise", async () => {
    const r = runner();
    const res = await r.run({ ...mlpReq(), profile: "gpu", fingerprint: { gridScale: 64 } });
    expect(res.provider).toBe(cudaAvailable() ? "cuda" : "cpu");
    expect(res.fingerprint).toHaveLength(1024);
    // CPU or GPU, the logits agree with cpu-exact's to well within a fine grid.
    const exact = await r.run({ ...mlpReq(), fingerprint: { gridScale: 64 } });
    const diff = res.fingerprint!.map((v, i) => Math.abs(v - exact.fingerprint![i]));
    expect(Math.max(...diff)).toBeLessThanOrEqual(8);
  });
});
