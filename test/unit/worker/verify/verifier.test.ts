/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { type Checkpoint, encodeCheckpoint } from "../../../../worker/train/checkpoint.js";
import type { TrainingJob } from "../../../../worker/train/runner.js";
import { trainInWorker } from "../../../../worker/train/trainInWorker.js";
import { openStartCheckpoint, reexecuteSegment } from "../../../../worker/verify/segment.js";
import { SegmentVerifier, type VerifySegmentRequest } from "../../../../worker/verify/verifier.js";
import { tinyMlp } from "../helpers.js";

const K = 8;
const N = 30; // segments end after steps 8, 16, 24 and 30: four segments, the last one short
const LAST = 4;

const jobOf = (workerKey: number): TrainingJob => ({
  model: tinyMlp(16, 32, 4),
  dataset: syntheticClassification({ samples: 512, sampleDims: [16], classes: 4, seed: 3n }),
  optimizer: { kind: "adam" },
  lr: 0.01,
  batchSize: 32,
  seed: 42n,
  workerKey: new Uint8Array(32).fill(workerKey),
  // The verifier forces cpu-exact on one thread whatever the job says, as reexecuteSegment does.
  profile: "cpu-fast",
  threads: 2,
});

interface Trainer {
  job: TrainingJob;
  leaves: Uint8Array[];
  model: Uint8Array;
  checkpoints: Map<number, Checkpoint>;
}

/** An honest trainer's run under cpu-exact: its leaves, a checkpoint at every leaf, its model. */
async function honestRun(workerKey: number): Promise<Trainer> {
  const job = jobOf(workerKey);
  const checkpoints = new Map<number, Checkpoint>();
  const r = await trainInWorker(
    { job: { ...job, profile: "cpu-exact", threads: 1 }, untilStep: N, leafInterval: K, checkpointEvery: K },
    { onCheckpoint: (cp) => void checkpoints.set(cp.step, cp) },
  );
  return { job, leaves: r.leaves.map((l) => l.stateHash), model: r.model, checkpoints };
}

const endStep = (index: number) => Math.min(index * K, N);

/** Segment `index` of a trainer, as a verifier request (with fresh copies of the job's buffers). */
const request = (t: Trainer, index: number): VerifySegmentRequest => ({
  job: jobOf(t.job.workerKey[0]),
  start: index > 1 ? t.checkpoints.get((index - 1) * K) : undefined,
  endStep: endStep(index),
  exportModel: index === LAST,
});

let a: Trainer;
let b: Trainer;
/** reexecuteSegment's end hashes (hex) by trainer and segment, and its model for a's last segment. */
const reference = new Map<string, string>();
let referenceModel: Uint8Array;
const verifiers: SegmentVerifier[] = [];
const verifier = (...args: ConstructorParameters<typeof SegmentVerifier>) => {
  const v = new SegmentVerifier(...args);
  verifiers.push(v);
  return v;
};

async function expectSegment(v: SegmentVerifier, t: Trainer, index: number): Promise<void> {
  const r = await v.run(request(t, index));
  expect(r.finalStep).toBe(endStep(index));
  const ref = reference.get(`${t.job.workerKey[0]}/${index}`) ?? toHex(t.leaves[index - 1]);
  expect(toHex(r.endStateHash)).toBe(ref);
  if (index === LAST) {
    expect(r.model).toBeDefined();
    if (t === a) expect(Buffer.from(r.model!).equals(referenceModel)).toBe(true);
    expect(Buffer.from(r.model!).equals(t.model)).toBe(true);
  } else expect(r.model).toBeUndefined();
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe("SegmentVerifier (needs `npm run build`)", () => {
  beforeAll(async () => {
    await cryptoReady();
    a = await honestRun(1);
    b = await honestRun(2);
    for (const [t, index] of [
      [a, 1],
      [a, 2],
      [a, LAST],
      [b, 3],
    ] as const) {
      const r = await reexecuteSegment({
        job: t.job,
        leafInterval: K,
        totalSteps: N,
        index,
        startCheckpoint: index > 1 ? encodeCheckpoint(t.checkpoints.get((index - 1) * K)!) : undefined,
        expectedStartHash: index > 1 ? t.leaves[index - 2] : undefined,
        maxCheckpointBytes: 1 << 20,
      });
      expect(toHex(r.endStateHash)).toBe(toHex(t.leaves[index - 1]));
      reference.set(`${t.job.workerKey[0]}/${index}`, toHex(r.endStateHash));
      if (t === a && index === LAST) referenceModel = r.finalModel!;
    }
  });

  afterAll(async () => {
    for (const v of verifiers) await v.close();
  });

  it("re-executes the first, a middle and the last segment in any order, across two trainers, in one thread", async () => {
    const v = verifier();
    await expectSegment(v, a, LAST);
    await expectSegment(v, a, 1);
    await expectSegment(v, a, 2);
    await expectSegment(v, a, 1);
    expect(v.stats).toEqual({ threadsStarted: 1, jobsLoaded: 1 });
    // Another trainer's key is another job: its runner replaces a's, and a's comes back after it.
    await expectSegment(v, b, 3);
    await expectSegment(v, b, 1);
    await expectSegment(v, b, LAST);
    await expectSegment(v, a, 2);
    expect(v.stats).toEqual({ threadsStarted: 1, jobsLoaded: 3 });
  });

  it("runs requests made together one at a time, each with its own result", async () => {
    const v = verifier();
    const order = [2, LAST, 1, 3];
    const results = await Promise.all(order.map((i) => v.run(request(a, i))));
    results.forEach((r, n) => {
      expect(toHex(r.endStateHash)).toBe(toHex(a.leaves[order[n] - 1]));
    });
    expect(v.stats).toEqual({ threadsStarted: 1, jobsLoaded: 1 });
  });

  it("releases the thread when idle or closed, and starts a fresh one for the next request", async () => {
    const v = verifier({ idleMs: 100 });
    await expectSegment(v, a, 2);
    expect(v.running).toBe(true);
    await until(() => !v.running, 10_000);
    expect(v.running).toBe(false);
    await expectSegment(v, a, 2);
    await expectSegment(v, a, LAST);
    expect(v.stats).toEqual({ threadsStarted: 2, jobsLoaded: 2 });

    const c = verifier();
    await expectSegment(c, b, 1);
    await c.close();
    expect(c.running).toBe(false);
    await c.close(); // closing twice is harmless
    await expectSegment(c, b, 3);
    expect(c.stats).toEqual({ threadsStarted: 2, jobsLoaded: 2 });
  });

  it("refuses a start state that is not the job's with a typed error, and keeps working", async () => {
    const v = verifier();
    await expectSegment(v, a, 1);
    const good = a.checkpoints.get(K)!;
    const missing = new Map([...good.state].filter(([name]) => name !== "w2"));
    const w1 = good.state.get("w1")!;
    const reshaped = new Map(good.state).set("w1", { ...w1, dims: [w1.dims[1], w1.dims[0]] });
    const extra = new Map(good.state).set("w9", { dtype: "float32", dims: [1], data: Float32Array.of(0) });
    for (const state of [missing, reshaped, extra]) {
      await expect(v.run({ ...request(a, 2), start: { step: K, state } })).rejects.toMatchObject({
        code: "AUDIT_ERROR_BAD_CHECKPOINT",
      });
    }
    await expectSegment(v, a, 2);
    // A start at or past the end is no segment; it is refused before reaching the thread.
    await expect(v.run({ ...request(a, 2), endStep: K })).rejects.toMatchObject({ code: "AUDIT_ERROR_BAD_SEGMENT" });
    await expect(v.run({ ...request(a, 1), endStep: 0 })).rejects.toMatchObject({ code: "AUDIT_ERROR_BAD_SEGMENT" });
    await expectSegment(v, a, LAST);
    expect(v.stats).toEqual({ threadsStarted: 1, jobsLoaded: 1 });
  });

  it("checks a start checkpoint against its leaf while the thread re-executes; a failed check fails the request", async () => {
    const v = verifier();
    const encoded = encodeCheckpoint(a.checkpoints.get(K)!);
    const opened = (leaf: Uint8Array) => openStartCheckpoint(encoded, K, 1 << 20, leaf);
    // Another trainer's leaf: the checkpoint is well-formed and at the right step, so only the hash check
    // (run alongside) can refuse it; the thread's end hash must not be reported.
    const wrong = opened(b.leaves[0]);
    await expect(v.run({ ...request(a, 2), start: wrong.checkpoint, alongside: wrong.confirm })).rejects.toMatchObject({
      code: "AUDIT_ERROR_HASH_MISMATCH",
      type: { expected: toHex(b.leaves[0]), found: toHex(a.leaves[0]) },
    });
    // Its own leaf: the same request gives the honest end hash, on the same thread and loaded job.
    const right = opened(a.leaves[0]);
    const r = await v.run({ ...request(a, 2), start: right.checkpoint, alongside: right.confirm });
    expect(toHex(r.endStateHash)).toBe(reference.get("1/2"));
    expect(v.stats).toEqual({ threadsStarted: 1, jobsLoaded: 1 });
  });

  it("rejects the request a crashed thread had, and runs the next one in a fresh thread", async () => {
    let spawned = 0;
    const v = verifier(
      {},
      {
        spawn: (script) => {
          const w = new Worker(script);
          // The first thread dies before it can answer.
          if (spawned++ === 0) void w.terminate();
          return w;
        },
      },
    );
    await expect(v.run(request(a, 2))).rejects.toMatchObject({ code: "AUDIT_ERROR_VERIFIER_THREAD" });
    expect(v.running).toBe(false);
    await expectSegment(v, a, 2);
    expect(v.stats).toEqual({ threadsStarted: 2, jobsLoaded: 2 });
  });
});
