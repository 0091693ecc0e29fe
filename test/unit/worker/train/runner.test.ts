/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { BatchOrder } from "../../../../worker/train/batchOrder.js";
import { decodeCheckpoint, encodeCheckpoint } from "../../../../worker/train/checkpoint.js";
import { TrainError } from "../../../../worker/train/errors.js";
import { runSteps } from "../../../../worker/train/loop.js";
import { type TrainingJob, TrainingRunner } from "../../../../worker/train/runner.js";
import { stateHash } from "../../../../worker/train/stateHash.js";
import { tinyMlp } from "../helpers.js";

const KEY_A = new Uint8Array(32).fill(1);
const KEY_B = new Uint8Array(32).fill(2);

function job(over: Partial<TrainingJob> = {}): TrainingJob {
  return {
    model: tinyMlp(16, 32, 4),
    dataset: syntheticClassification({ samples: 512, sampleDims: [16], classes: 4, seed: 3n }),
    optimizer: { kind: "adam" },
    lr: 0.01,
    batchSize: 32,
    seed: 42n,
    workerKey: KEY_A,
    profile: "cpu-exact",
    ...over,
  };
}

async function hashes(j: TrainingJob, steps: number): Promise<string[]> {
  const r = await TrainingRunner.create(j);
  try {
    return (await runSteps(r, { untilStep: steps })).map((s) => toHex(s.stateHash!));
  } finally {
    await r.close();
  }
}

describe("batch order", () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it("is a pure function of (seed, worker key, step), a permutation per epoch", () => {
    const a = new BatchOrder(7n, KEY_A, 100, 10);
    const b = new BatchOrder(7n, KEY_A, 100, 10);
    expect(a.indicesForStep(37)).toEqual(b.indicesForStep(37));
    expect(a.indicesForStep(1)).toEqual(new BatchOrder(7n, KEY_A, 100, 10).indicesForStep(1));
    const epoch = new Set<number>();
    for (let s = 11; s <= 20; s++) for (const i of a.indicesForStep(s)) epoch.add(i);
    expect(epoch.size).toBe(100);
    expect(new BatchOrder(8n, KEY_A, 100, 10).indicesForStep(1)).not.toEqual(a.indicesForStep(1));
    expect(new BatchOrder(7n, KEY_B, 100, 10).indicesForStep(1)).not.toEqual(a.indicesForStep(1));
    expect(a.indicesForStep(1)).not.toEqual(a.indicesForStep(11));
  });
});

describe("training runner", () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it("learns, and repeats every per-step state hash exactly", async () => {
    const r = await TrainingRunner.create(job());
    const steps = await runSteps(r, { untilStep: 48 });
    await r.close();
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    expect(steps.at(-1)!.loss).toBeLessThan(steps[0].loss / 2);
    expect(new Set(steps.map((s) => toHex(s.stateHash!))).size).toBe(48);
    expect(await hashes(job(), 48)).toEqual(steps.map((s) => toHex(s.stateHash!)));
  });

  it("gives different hashes for another seed or another worker key", async () => {
    const base = await hashes(job(), 3);
    const otherSeed = await hashes(job({ seed: 43n }), 3);
    const otherKey = await hashes(job({ workerKey: KEY_B }), 3);
    for (let i = 0; i < 3; i++) {
      expect(otherSeed[i]).not.toBe(base[i]);
      expect(otherKey[i]).not.toBe(base[i]);
    }
  });

  it("re-executes steps i..j from the checkpoint at i to the same hash at j, for every optimizer", async () => {
    for (const optimizer of [
      { kind: "sgd" as const },
      { kind: "momentum" as const, nesterov: true },
      { kind: "adam" as const, weightDecay: 0.01 },
    ]) {
      const j = job({ optimizer, lr: 0.05 });
      const first = await TrainingRunner.create(j);
      const saved: Uint8Array[] = [];
      const full = await runSteps(first, {
        untilStep: 20,
        checkpointEvery: 8,
        onCheckpoint: (cp) => void saved.push(encodeCheckpoint(cp)),
      });
      await first.close();
      expect(saved.length).toBe(2);
      const cp = decodeCheckpoint(saved[0]);
      expect(cp.step).toBe(8);
      expect(toHex(stateHash([...cp.state].map(([name, tensor]) => ({ name, tensor }))))).toBe(
        toHex(full[7].stateHash!),
      );
      const again = await TrainingRunner.create(j);
      again.restore(cp);
      const replay = await runSteps(again, { untilStep: 20 });
      await again.close();
      expect(replay.map((s) => toHex(s.stateHash!))).toEqual(full.slice(8).map((s) => toHex(s.stateHash!)));
    }
  });

  it("writes unhashed steps into spare state buffers without changing any result", async () => {
    // Steps without a hash alternate between two preallocated state sets. Each step from a fresh copy
    // of the state (restore clones it) is the reference: a step writing into what it reads would differ.
    const j = job({ optimizer: { kind: "adam" } });
    const reference = await hashes(j, 10);
    const spared = await TrainingRunner.create(j, { hashing: "sync" });
    const fresh = await TrainingRunner.create(j, { hashing: "sync" });
    try {
      for (let i = 0; i < 10; i++) {
        await spared.startStep(false);
        fresh.restore(fresh.checkpoint());
        await fresh.startStep(false);
        expect(toHex(spared.currentStateHash())).toBe(reference[i]);
        expect(toHex(fresh.currentStateHash())).toBe(reference[i]);
      }
    } finally {
      await spared.close();
      await fresh.close();
    }
  });

  it("refuses a checkpoint whose tensor holds fewer elements than its dims say, and keeps its state", async () => {
    const r = await TrainingRunner.create(job(), { hashing: "sync" });
    try {
      await r.runStep();
      const before = toHex(r.currentStateHash());
      const cp = r.checkpoint();
      const [name, t] = [...cp.state][0];
      cp.state.set(name, { ...t, data: t.data.slice(1) });
      expect(() => r.restore(cp)).toThrow(expect.objectContaining({ code: "TRAIN_ERROR_CHECKPOINT" }));
      expect(toHex(r.currentStateHash())).toBe(before);
    } finally {
      await r.close();
    }
  });

  it("rejects a corrupted checkpoint", () => {
    const bytes = encodeCheckpoint({
      step: 1,
      state: new Map([["w", { dtype: "float32", dims: [2], data: Float32Array.of(1, 2) }]]),
    });
    bytes[bytes.length - 1] ^= 1;
    expect(() => decodeCheckpoint(bytes)).toThrow(TrainError);
  });

  it("stops with TRAIN_ERROR_NON_FINITE_LOSS and keeps the state when the loss is not finite", async () => {
    // A huge learning rate with plain SGD overflows float32 within a few steps.
    const r = await TrainingRunner.create(job({ optimizer: { kind: "sgd" }, lr: 1e30 }));
    let error: unknown;
    let before = "";
    try {
      for (;;) {
        before = toHex(r.currentStateHash());
        await r.runStep();
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainError);
    expect((error as TrainError).code).toBe("TRAIN_ERROR_NON_FINITE_LOSS");
    expect(toHex(r.currentStateHash())).toBe(before);
    await r.close();
  });

  it("rejects a dataset that does not fit the model", async () => {
    const wrongShape = syntheticClassification({ samples: 64, sampleDims: [15], classes: 4 });
    await expect(TrainingRunner.create(job({ dataset: wrongShape }))).rejects.toMatchObject({
      code: "DATASET_ERROR_SHAPE_MISMATCH",
    });
    const tooManyClasses = syntheticClassification({ samples: 64, sampleDims: [16], classes: 6 });
    await expect(TrainingRunner.create(job({ dataset: tooManyClasses }))).rejects.toMatchObject({
      code: "DATASET_ERROR_LABEL_OUT_OF_RANGE",
    });
  });
});
