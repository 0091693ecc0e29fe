/**
 * @jest-environment ./test/unit/worker/ortEnvironment.cjs
 *
 * `tensorchain job audit` as a user runs it (the built CLI, `npm run build` first): it prints the hash
 * `reexecuteSegment` computes, which for an honest trainer is the trainer's leaf.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { encodeAddress } from "@polkadot/util-crypto";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import type { LeafHash } from "../../../../primitives/workRoot.js";
import { saveDataset } from "../../../../worker/data/dataset.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { encodeCheckpoint } from "../../../../worker/train/checkpoint.js";
import type { TrainingJob } from "../../../../worker/train/runner.js";
import { trainInWorker } from "../../../../worker/train/trainInWorker.js";
import { reexecuteSegment } from "../../../../worker/verify/segment.js";
import { runCli, tinyMlp } from "../helpers.js";

const KEY = new Uint8Array(32).fill(7);
let dir: string;
let job: TrainingJob;
let leaves: LeafHash[];
const p = (name: string) => join(dir, name);

const args = (index: number, extra: string[]) => [
  "job",
  "audit",
  "--model",
  p("model.onnx"),
  "--data",
  p("train.safetensors"),
  "--index",
  String(index),
  "--interval",
  "6",
  "--steps",
  "20",
  "--seed",
  "11",
  "--lr",
  "0.02",
  "--batch-size",
  "16",
  "--optimizer",
  "momentum",
  ...extra,
];

describe("tensorchain job audit", () => {
  beforeAll(async () => {
    await cryptoReady();
    dir = await mkdtemp(join(tmpdir(), "tc-audit-cli-"));
    job = {
      model: tinyMlp(8, 16, 3),
      dataset: syntheticClassification({ samples: 320, sampleDims: [8], classes: 3, seed: 2n }),
      optimizer: { kind: "momentum" },
      lr: 0.02,
      batchSize: 16,
      seed: 11n,
      workerKey: KEY,
      profile: "cpu-exact",
    };
    await writeFile(p("model.onnx"), job.model);
    await saveDataset(p("train.safetensors"), job.dataset);
    const writes: Promise<void>[] = [];
    const honest = await trainInWorker(
      { job, untilStep: 20, leafInterval: 6, checkpointEvery: 6 },
      { onCheckpoint: (cp) => void writes.push(writeFile(p(`step-${cp.step}.safetensors`), encodeCheckpoint(cp))) },
    );
    await Promise.all(writes);
    leaves = honest.leaves;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the end state hash reexecuteSegment computes (the honest leaf), with an SS58 or a hex key", async () => {
    const last = await runCli(
      args(4, ["--checkpoint", p("step-18.safetensors"), "--worker", encodeAddress(KEY, 42), "--json"]),
    );
    expect({ code: last.code, stderr: last.stderr }).toEqual({ code: 0, stderr: "" });
    const direct = await reexecuteSegment({
      job,
      leafInterval: 6,
      totalSteps: 20,
      index: 4,
      startCheckpoint: new Uint8Array(await readFile(p("step-18.safetensors"))),
      maxCheckpointBytes: 1 << 20,
    });
    expect(JSON.parse(last.stdout)).toEqual({
      index: 4,
      startStep: 18,
      endStep: 20,
      endStateHash: toHex(direct.endStateHash),
    });
    expect(toHex(direct.endStateHash)).toBe(toHex(leaves[3].stateHash));

    const first = await runCli(args(1, ["--worker", toHex(KEY)]));
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("end-step: 6\n");
    expect(first.stdout).toContain(`end-state-hash: ${toHex(leaves[0].stateHash)}\n`);
  });

  it("fails with the AuditError's code for a checkpoint at the wrong step, and with another key gets another hash", async () => {
    const wrong = await runCli(args(2, ["--checkpoint", p("step-12.safetensors"), "--worker", toHex(KEY)]));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("Error [AUDIT_ERROR_BAD_CHECKPOINT]");
    const other = await runCli(
      args(2, ["--checkpoint", p("step-6.safetensors"), "--worker", toHex(new Uint8Array(32).fill(8)), "--json"]),
    );
    expect(other.code).toBe(0);
    expect(JSON.parse(other.stdout).endStateHash).not.toBe(toHex(leaves[1].stateHash));
  });
});
