/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import type { OptimizerSpec } from "../../../../worker/optim/optimizers.js";
import {
  type Checkpoint,
  checkpointHash,
  decodeCheckpoint,
  encodeCheckpoint,
} from "../../../../worker/train/checkpoint.js";
import { TrainError } from "../../../../worker/train/errors.js";
import { HashPool } from "../../../../worker/train/hashPool.js";
import { leavesOf, runSteps } from "../../../../worker/train/loop.js";
import { type RunnerOptions, type TrainingJob, TrainingRunner } from "../../../../worker/train/runner.js";
import { StateFrame, stateHash } from "../../../../worker/train/stateHash.js";
import { NODE, REPO, tinyMlp } from "../helpers.js";

const job = (optimizer: OptimizerSpec): TrainingJob => ({
  model: tinyMlp(16, 32, 4),
  dataset: syntheticClassification({ samples: 512, sampleDims: [16], classes: 4, seed: 3n }),
  optimizer,
  lr: 0.01,
  batchSize: 32,
  seed: 42n,
  workerKey: new Uint8Array(32).fill(1),
  profile: "cpu-exact",
});

async function train(j: TrainingJob, opts: RunnerOptions, steps: number, checkpointEvery = 0) {
  const r = await TrainingRunner.create(j, opts);
  const events: string[] = [];
  const checkpoints: Checkpoint[] = [];
  try {
    const results = await runSteps(r, {
      untilStep: steps,
      checkpointEvery,
      onStep: (s) => void events.push(`step ${s.step}`),
      onCheckpoint: (cp) => {
        events.push(`checkpoint ${cp.step}`);
        checkpoints.push(cp);
      },
    });
    return { hashing: r.hashing, results, events, checkpoints };
  } finally {
    await r.close();
  }
}

describe("overlapped state hashing (needs `npm run build`)", () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it("frames the same bytes as StateHasher", async () => {
    const state = [
      { name: "w", tensor: { dtype: "float32" as const, dims: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) } },
      { name: "adam::t", tensor: { dtype: "float32" as const, dims: [], data: Float32Array.of(7) } },
      { name: "b", tensor: { dtype: "float64" as const, dims: [2], data: Float64Array.of(-1, 0.5) } },
    ];
    const frame = await StateFrame.create(
      state.map((s) => ({ ...s.tensor, name: s.name, byteLength: s.tensor.data.byteLength })),
    );
    const byName = new Map(state.map((s) => [s.name, s.tensor.data]));
    const bytes = frame.layout.map((t) => {
      const d = byName.get(t.name)!;
      return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    });
    expect(toHex(frame.hash(bytes))).toBe(toHex(stateHash(state)));
    expect(toHex(frame.hashTensors(state))).toBe(toHex(stateHash(state)));
    // Views into shared memory (the ring slots) stream the same bytes.
    const shared = bytes.map((b) => {
      const v = new Uint8Array(new SharedArrayBuffer(b.byteLength + 8), 8, b.byteLength);
      v.set(b);
      return v;
    });
    expect(toHex(frame.hash(shared))).toBe(toHex(stateHash(state)));
    // The frame is reusable: hashing twice gives the same digest.
    expect(toHex(frame.hash(bytes))).toBe(toHex(frame.hash(shared)));
  });

  it("gives every step the synchronous hash, in step order, for SGD and Adam and 1 or 2 hasher threads", async () => {
    for (const optimizer of [{ kind: "sgd" as const }, { kind: "adam" as const, weightDecay: 0.01 }]) {
      const sync = await train(job(optimizer), { hashing: "sync" }, 40);
      expect(sync.hashing).toBe("sync");
      const expected = sync.results.map((s) => toHex(s.stateHash!));
      expect(new Set(expected).size).toBe(40);
      for (const hashThreads of [1, 2]) {
        const over = await train(job(optimizer), { hashing: "overlapped", hashThreads }, 40);
        expect(over.hashing).toBe("overlapped");
        expect(over.results.map((s) => s.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect(over.results.map((s) => toHex(s.stateHash!))).toEqual(expected);
        expect(over.results.map((s) => s.loss)).toEqual(sync.results.map((s) => s.loss));
      }
    }
  });

  it("with a leaf interval, hashes only the leaves, in either mode, to the per-step hashes at those steps", async () => {
    const every = (await train(job({ kind: "adam" }), { hashing: "sync" }, 23)).results.map((s) => toHex(s.stateHash!));
    for (const hashing of ["sync", "overlapped"] as const) {
      const r = await TrainingRunner.create(job({ kind: "adam" }), { hashing, hashThreads: 1 });
      try {
        const results = await runSteps(r, { untilStep: 23, leafInterval: 5 });
        expect(r.hashing).toBe(hashing);
        expect(results.map((s) => s.step)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
        expect(results.filter((s) => s.stateHash).map((s) => [s.step, toHex(s.stateHash!)])).toEqual(
          [5, 10, 15, 20, 23].map((step) => [step, every[step - 1]]),
        );
        expect(leavesOf(results, 5).map((l) => l.index)).toEqual([1, 2, 3, 4, 5]);
      } finally {
        await r.close();
      }
    }
  });

  it("gives runStep and startStep the same hashes, and currentStateHash agrees after each step", async () => {
    const sync = (await train(job({ kind: "adam" }), { hashing: "sync" }, 12)).results.map((s) => toHex(s.stateHash!));
    const r = await TrainingRunner.create(job({ kind: "adam" }), { hashing: "overlapped" });
    try {
      const got: string[] = [];
      const pending = [];
      for (let i = 0; i < 6; i++) {
        const s = await r.runStep();
        got.push(toHex(s.stateHash!));
        expect(toHex(r.currentStateHash())).toBe(toHex(s.stateHash!));
      }
      for (let i = 0; i < 6; i++) pending.push(await r.startStep());
      for (const p of pending) got.push(toHex((await p.stateHash)!));
      expect(got).toEqual(sync);
    } finally {
      await r.close();
    }
  });

  it("delivers each checkpoint after its step, holding the state whose hash that step reported", async () => {
    const run = await train(job({ kind: "momentum" }), { hashing: "overlapped" }, 20, 5);
    expect(run.events.filter((e) => e.startsWith("checkpoint"))).toEqual([
      "checkpoint 5",
      "checkpoint 10",
      "checkpoint 15",
      "checkpoint 20",
    ]);
    for (const cp of run.checkpoints) {
      expect(run.events.indexOf(`checkpoint ${cp.step}`)).toBe(run.events.indexOf(`step ${cp.step}`) + 1);
      const reported = toHex(run.results[cp.step - 1].stateHash!);
      expect(toHex(checkpointHash(cp))).toBe(reported);
      expect(toHex(checkpointHash(decodeCheckpoint(encodeCheckpoint(cp))))).toBe(reported);
    }
  });

  it("stops its hasher threads on close and rejects later work", async () => {
    const state = [{ dtype: "float32" as const, dims: [4], data: Float32Array.of(1, 2, 3, 4) }];
    const pool = await HashPool.start(state, ["w"], { threads: 2 });
    const slot = await pool.nextSlot();
    (pool.slots[slot][0].data as Float32Array).set(state[0].data);
    const h = await pool.post().hash();
    expect(toHex(h)).toBe(toHex(stateHash([{ name: "w", tensor: state[0] }])));
    await pool.close();
    expect(pool.running).toBe(0);
    expect(() => pool.post()).toThrow(TrainError);
  });

  it("never keeps a process alive: closed or not, a training process exits by itself", async () => {
    const dist = (m: string) => pathToFileURL(join(REPO, "dist", m)).href;
    const dir = mkdtempSync(join(tmpdir(), "tensorchain-hash-"));
    const script = (close: boolean) => `
      import { cryptoReady } from "${dist("primitives/hashing.js")}";
      import { syntheticClassification } from "${dist("worker/data/synthetic.js")}";
      import { buildTemplateModel } from "${dist("worker/templates/models.js")}";
      import { TrainingRunner } from "${dist("worker/train/runner.js")}";
      await cryptoReady();
      const r = await TrainingRunner.create({
        model: buildTemplateModel("mlp", { seed: 1n }),
        dataset: syntheticClassification({ samples: 256, sampleDims: [784], classes: 10, seed: 1n }),
        optimizer: { kind: "sgd" }, lr: 0.01, batchSize: 32, seed: 1n, workerKey: new Uint8Array(32), profile: "cpu-exact",
      }, { hashing: "overlapped", hashThreads: 2 });
      for (let i = 0; i < 5; i++) await r.startStep();
      console.log(r.hashing, (await r.runStep()).step);
      ${close ? "await r.close();" : ""}
    `;
    for (const close of [true, false]) {
      const { code, stdout, ms } = await new Promise<{ code: number | null; stdout: string; ms: number }>((resolve) => {
        const t0 = performance.now();
        const file = join(dir, `run-${close}.mjs`);
        writeFileSync(file, script(close));
        const child = spawn(NODE, [file], { cwd: REPO });
        let stdout = "";
        child.stdout.on("data", (d) => {
          stdout += d;
        });
        child.stderr.on("data", (d) => {
          stdout += d;
        });
        const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.on("close", (c) => {
          clearTimeout(kill);
          resolve({ code: c, stdout, ms: performance.now() - t0 });
        });
      });
      expect(stdout.trim()).toBe("overlapped 6");
      expect(code).toBe(0);
      expect(ms).toBeLessThan(20_000);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
