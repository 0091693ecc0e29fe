/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import type { LeafHash } from "../../../../primitives/workRoot.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { decodeModel, replaceInitializers } from "../../../../worker/onnx/model.js";
import { type Checkpoint, encodeCheckpoint } from "../../../../worker/train/checkpoint.js";
import type { TrainingJob } from "../../../../worker/train/runner.js";
import { trainInWorker } from "../../../../worker/train/trainInWorker.js";
import { modelMatchesState } from "../../../../worker/verify/modelMatch.js";
import { reexecuteSegment, type SegmentRequest } from "../../../../worker/verify/segment.js";
import { tinyMlp } from "../helpers.js";

const K = 8;
const N = 30; // leaves after steps 8, 16, 24 and 30: four segments, the last one short
const MAX = 1 << 20;

const job = (over: Partial<TrainingJob> = {}): TrainingJob => ({
  model: tinyMlp(16, 32, 4),
  dataset: syntheticClassification({ samples: 512, sampleDims: [16], classes: 4, seed: 3n }),
  optimizer: { kind: "adam" },
  lr: 0.01,
  batchSize: 32,
  seed: 42n,
  workerKey: new Uint8Array(32).fill(1),
  profile: "cpu-exact",
  ...over,
});

/** An honest trainer's run: its leaves, its checkpoints at every multiple of k, and its model. */
async function honestRun(j: TrainingJob) {
  const checkpoints = new Map<number, Checkpoint>();
  const result = await trainInWorker(
    { job: j, untilStep: N, leafInterval: K, checkpointEvery: K },
    { onCheckpoint: (cp) => void checkpoints.set(cp.step, cp) },
  );
  return { leaves: result.leaves, model: result.model, checkpoints };
}

let honest: Awaited<ReturnType<typeof honestRun>>;
const cp = (step: number) => encodeCheckpoint(honest.checkpoints.get(step)!);
const leaf = (i: number): LeafHash => honest.leaves[i - 1];
const segment = (index: number, over: Partial<SegmentRequest> = {}) =>
  reexecuteSegment({
    job: job(),
    leafInterval: K,
    totalSteps: N,
    index,
    startCheckpoint: index > 1 ? cp((index - 1) * K) : undefined,
    expectedStartHash: index > 1 ? leaf(index - 1).stateHash : undefined,
    maxCheckpointBytes: MAX,
    ...over,
  });

describe("segment re-execution (needs `npm run build`)", () => {
  beforeAll(async () => {
    await cryptoReady();
    honest = await honestRun(job());
  });

  it("reproduces the honest leaves of the first, a middle and the last segment, and the trained model", async () => {
    expect(honest.leaves.map((l) => l.index)).toEqual([1, 2, 3, 4]);
    const first = await segment(1);
    expect({ ...first, endStateHash: toHex(first.endStateHash) }).toEqual({
      index: 1,
      startStep: 0,
      endStep: 8,
      endStateHash: toHex(leaf(1).stateHash),
      finalModel: undefined,
    });
    const middle = await segment(2);
    expect([middle.startStep, middle.endStep, toHex(middle.endStateHash)]).toEqual([8, 16, toHex(leaf(2).stateHash)]);
    const last = await segment(4);
    expect([last.startStep, last.endStep, toHex(last.endStateHash)]).toEqual([24, 30, toHex(leaf(4).stateHash)]);
    expect(last.finalModel).toBeDefined();
    expect(modelMatchesState(honest.model, last.finalModel!)).toBe(true);
    expect(modelMatchesState(job().model, last.finalModel!)).toBe(false);
  });

  it("gives another end hash for another worker key, another learning rate or another start state", async () => {
    const honestEnd = toHex(leaf(2).stateHash);
    const otherKey = await segment(2, { job: job({ workerKey: new Uint8Array(32).fill(2) }) });
    const otherLr = await segment(2, { job: job({ lr: 0.011 }) });
    // A state at step 8 that the trainer did not commit to (another seed's run) re-executes to another end.
    const other = await honestRun(job({ seed: 7n }));
    const otherStart = await segment(2, {
      startCheckpoint: encodeCheckpoint(other.checkpoints.get(8)!),
      expectedStartHash: undefined,
    });
    for (const r of [otherKey, otherLr, otherStart]) expect(toHex(r.endStateHash)).not.toBe(honestEnd);
    // …while that run's own job re-executes it to that run's leaf.
    const own = await segment(2, {
      job: job({ seed: 7n }),
      startCheckpoint: encodeCheckpoint(other.checkpoints.get(8)!),
      expectedStartHash: other.leaves[0].stateHash,
    });
    expect(toHex(own.endStateHash)).toBe(toHex(other.leaves[1].stateHash));
  });

  it("refuses a corrupt, oversized, mismatching, misplaced or foreign start checkpoint with a named AuditError", async () => {
    const corrupt = cp(8);
    corrupt[corrupt.length - 3] ^= 0x01;
    await expect(segment(2, { startCheckpoint: corrupt })).rejects.toMatchObject({
      code: "AUDIT_ERROR_BAD_CHECKPOINT",
    });
    await expect(segment(2, { startCheckpoint: cp(8).subarray(0, 40) })).rejects.toMatchObject({
      code: "AUDIT_ERROR_BAD_CHECKPOINT",
    });
    await expect(segment(2, { maxCheckpointBytes: cp(8).length - 1 })).rejects.toMatchObject({
      code: "AUDIT_ERROR_CHECKPOINT_TOO_LARGE",
      type: { bytes: cp(8).length, max: cp(8).length - 1 },
    });
    await expect(segment(2, { expectedStartHash: leaf(2).stateHash })).rejects.toMatchObject({
      code: "AUDIT_ERROR_HASH_MISMATCH",
      type: { expected: toHex(leaf(2).stateHash), found: toHex(leaf(1).stateHash) },
    });
    await expect(segment(2, { startCheckpoint: cp(16), expectedStartHash: undefined })).rejects.toMatchObject({
      code: "AUDIT_ERROR_BAD_CHECKPOINT",
    });
    // Well-formed, at the right step, but not a state of this job: one tensor too many, or one missing.
    const state = honest.checkpoints.get(8)!.state;
    const extra = new Map(state).set("w9", { dtype: "float32", dims: [1], data: Float32Array.of(0) });
    const missing = new Map([...state].filter(([name]) => name !== "w2"));
    for (const s of [extra, missing]) {
      await expect(
        segment(2, { startCheckpoint: encodeCheckpoint({ step: 8, state: s }), expectedStartHash: undefined }),
      ).rejects.toMatchObject({ code: "AUDIT_ERROR_BAD_CHECKPOINT" });
    }
  });

  it("refuses segments the job does not have", async () => {
    for (const over of [{ index: 0 }, { index: 5 }, { index: 1.5 }, { leafInterval: 0 }, { totalSteps: 0 }]) {
      await expect(segment(1, over)).rejects.toMatchObject({ code: "AUDIT_ERROR_BAD_SEGMENT" });
    }
    await expect(segment(1, { startCheckpoint: cp(8) })).rejects.toMatchObject({ code: "AUDIT_ERROR_BAD_SEGMENT" });
    await expect(segment(2, { startCheckpoint: undefined })).rejects.toMatchObject({
      code: "AUDIT_ERROR_BAD_CHECKPOINT",
    });
  });

  it("matches a submitted model only when every weight is the trained one, bit for bit", async () => {
    const trained = decodeModel(honest.model).graph.initializers;
    const w1 = trained.get("w1")!;
    const bumped = new Float32Array(w1.data as Float32Array);
    new Uint32Array(bumped.buffer)[17] += 1; // one ulp
    expect(bumped[17]).not.toBe((w1.data as Float32Array)[17]);
    const oneUlp = replaceInitializers(honest.model, new Map([["w1", { ...w1, data: bumped }]]));
    expect(modelMatchesState(oneUlp, honest.model)).toBe(false);
    expect(modelMatchesState(honest.model, honest.model)).toBe(true);
    expect(modelMatchesState(honest.model.subarray(0, 100), honest.model)).toBe(false);
    // Another graph around the same weights is another model.
    const renamed = tinyMlp(16, 32, 4, {
      extra: [{ name: "soft", opType: "Softmax", domain: "", inputs: ["logits"], outputs: ["p"], attrs: {} }],
    });
    const sameWeights = replaceInitializers(
      renamed,
      new Map([...trained].filter(([n]) => ["w1", "b1", "w2", "b2"].includes(n))),
    );
    expect(modelMatchesState(sameWeights, honest.model)).toBe(false);

    // The reference can also be the job's model plus a trained state (here the checkpoint at step 24).
    const at24 = await trainInWorker({ job: job(), untilStep: 24, leafInterval: K });
    const state24 = honest.checkpoints.get(24)!.state;
    expect(modelMatchesState(at24.model, { model: job().model, state: state24 })).toBe(true);
    expect(modelMatchesState(honest.model, { model: job().model, state: state24 })).toBe(false);
  });
});
