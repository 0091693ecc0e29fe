/**
 * `tensorchain infer`: `--job ID` resolves the model of the job's winning (best passing) result from
 * chain storage (the storage keys and codecs of the job manager, read as `state_getStorage` answers
 * them), and bad flags fail before anything is uploaded or sent (the built CLI, `npm run build` first).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { ApiPromise } from "@polkadot/api";
import { jobModel, winningResult } from "../../../cli/commands/infer/chain.js";
import { JobCliError } from "../../../cli/commands/job/common.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { type AssignmentValue, JobManager, type JobValue } from "../../../runtime/pallets/jobManager/index.js";
import { cid, hash, pk, spec } from "../../helpers/jobs.js";
import { runCli, tinyMlp } from "../worker/helpers.js";

let dir: string;
beforeAll(async () => {
  await cryptoReady();
  dir = await mkdtemp(join(tmpdir(), "tc-infer-cli-"));
  await writeFile(join(dir, "tiny.onnx"), tinyMlp(8, 16, 3));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const W = ["W1", "W2", "W3"].map(pk);
function job(status: JobValue["status"] = { tag: "Succeeded" }): JobValue {
  return {
    client: pk("Client"),
    spec: spec({ min_accuracy_ppm: 800_000 }),
    reward: 100n,
    network_fee: 1n,
    held: 0n,
    status,
    posted_at: 1,
    deadline: 0,
    workers: W,
    evaluators: [],
    test_set: undefined,
    results: W,
    checks: 0,
    open_checks: 0,
    pending_settlement: undefined,
  };
}
function assignment(fill: number, accuracy: number | undefined, audit = "Passed"): AssignmentValue {
  return {
    stake: 0n,
    commitment: undefined,
    result: {
      model_cid: cid(fill),
      model_hash: hash(fill),
      work_root: hash(0),
      metrics: { accuracy_ppm: 990_000, loss_e9: 1n },
      steps: 4,
      kernel_class: new Uint8Array(),
      revealed_at: 5,
    },
    audit: { tag: audit } as AssignmentValue["audit"],
    accuracy_ppm: accuracy,
  };
}

/** An `ApiPromise` whose `state_getStorage` answers from `entries` (storage key -> SCALE value). */
function storageApi(entries: [Uint8Array, Uint8Array][]): ApiPromise {
  const map = new Map<string, Uint8Array>(entries.map(([k, v]) => [toHex(k), v]));
  return {
    rpc: {
      state: {
        getStorage: async (key: `0x${string}`) => {
          const v = map.get(key);
          return { isSome: v !== undefined, unwrap: () => ({ toU8a: () => v }) };
        },
      },
    },
  } as unknown as ApiPromise;
}

function chainWith(j: JobValue, assignments: AssignmentValue[]): ApiPromise {
  const S = JobManager.storage;
  return storageApi([
    [S.Jobs.keyFor(7n), S.Jobs.valueTy.enc(j)],
    ...assignments.map((a, i): [Uint8Array, Uint8Array] => [
      S.Assignments.keyFor([7n, W[i]]),
      S.Assignments.valueTy.enc(a),
    ]),
  ]);
}

describe("infer --job: the winning result's model", () => {
  it("is the most accurate passing result; below the minimum or failed by an audit never wins", async () => {
    const api = chainWith(job(), [assignment(1, 850_000), assignment(2, 990_000, "Failed"), assignment(3, 900_000)]);
    expect(await jobModel(api, 7n)).toEqual({ cid: cid(3), hash: hash(3) });
    // The first of equals wins.
    const tie = chainWith(job(), [assignment(1, 900_000), assignment(2, 900_000), assignment(3, 700_000)]);
    expect(await jobModel(tie, 7n)).toEqual({ cid: cid(1), hash: hash(1) });
  });

  it("fails clearly for a job with no passing result, an unscored job, or no job", async () => {
    const below = chainWith(job({ tag: "Failed", value: { tag: "BelowMinimumAccuracy" } } as JobValue["status"]), [
      assignment(1, 100_000),
      assignment(2, undefined),
      assignment(3, 799_999),
    ]);
    await expect(jobModel(below, 7n)).rejects.toMatchObject({ type: { code: "JOB_CLI_ERROR_NO_RESULT" } });
    await expect(jobModel(storageApi([]), 7n)).rejects.toBeInstanceOf(JobCliError);
    expect(winningResult(job({ tag: "Training" }), [undefined, undefined, undefined])).toBeUndefined();
  });
});

describe("infer flags (the built CLI)", () => {
  it("needs exactly one model source and a quorum within the replicas, before any RPC", async () => {
    const base = ["infer", "--rpc", "ws://127.0.0.1:1", "--suri", "//Eve", "--input", join(dir, "tiny.onnx")];
    const two = await runCli([...base, "--model", join(dir, "tiny.onnx"), "--model-cid", "bafy", "--reward", "1"]);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toContain("exactly one of --model, --model-cid and --job");
    const q = await runCli([
      ...base,
      "--model",
      join(dir, "tiny.onnx"),
      "--reward",
      "1",
      "--replicas",
      "2",
      "--quorum",
      "3",
    ]);
    expect(q.code).not.toBe(0);
    expect(q.stderr).toContain("--quorum must not exceed --replicas");
    const help = await runCli(["infer", "status", "--help"]);
    expect(help.stdout).toContain("Show an inference request");
  });
});
