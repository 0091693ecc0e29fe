/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * The worker and evaluator roles on an in-memory chain (the real runtime, one block per `produce`), an
 * in-memory content store, the real evaluator (onnxruntime, cpu-exact) and a stand-in for the training
 * thread (it returns the untrained model and fixed step hashes): a job from posting to settlement,
 * and the refusals a trainer logs.
 */
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import type { ReexecuteFn } from "../../../../node/jobs/auditor.js";
import { JobRoles } from "../../../../node/jobs/index.js";
import { defaultJobRolesOptions, type JobRolesOptions } from "../../../../node/jobs/options.js";
import type { TrainFn } from "../../../../node/jobs/trainer.js";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { bytesEqual } from "../../../../primitives/hex.js";
import { createLogger } from "../../../../primitives/logger.js";
import { workRoot } from "../../../../primitives/workRoot.js";
import type { CallValue } from "../../../../runtime/index.js";
import {
  isFinal,
  JobManager,
  type JobSpecValue,
  type JobValue,
  testSetCommitment,
} from "../../../../runtime/pallets/jobManager/index.js";
import { WorkerRegistry } from "../../../../runtime/pallets/workerRegistry.js";
import { DatasetError } from "../../../../worker/data/errors.js";
import { encodeSafetensors } from "../../../../worker/data/safetensors.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { evaluateModel } from "../../../../worker/eval/evaluate.js";
import { tensor } from "../../../../worker/onnx/tensor.js";
import { buildTemplateModel } from "../../../../worker/templates/models.js";
import { type Checkpoint, checkpointHash } from "../../../../worker/train/checkpoint.js";
import type { WorkerRequest } from "../../../../worker/train/wire.js";
import { CPU_BOX, checkInvariants, jobRuntime, pk, postJob, spec } from "../../../helpers/jobs.js";
import { MemoryContentStore } from "../../../helpers/memoryContent.js";
import { babeVrfPreDigest, dev, UNIT } from "../../../helpers/runtime.js";
import { MemoryPool, produce, RuntimeChain, tick } from "./helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

const MODEL = buildTemplateModel("mlp", { hidden: 8, seed: 3n });
const dataset = (seed: bigint, sampleDims = [784]) =>
  syntheticClassification({ samples: 64, sampleDims, classes: 10, seed });
const bytesOf = (ds: ReturnType<typeof dataset>) =>
  encodeSafetensors(
    new Map([
      ["x", ds.x],
      ["y", ds.y],
    ]),
  );
const TRAIN = dataset(1n);
const TEST = dataset(2n);
const SALT = new Uint8Array(32).fill(0x5a);
const STEP_HASHES = [1, 2, 3, 4].map((i) => ({ step: i, loss: 2 / i, stateHash: blake2_256(new Uint8Array([i])) }));
/** The one leaf of the roles' job (4 steps, checkpoint interval 4). */
const LEAVES = [{ index: 1, stateHash: STEP_HASHES[3].stateHash }];

interface Net {
  chain: RuntimeChain;
  pool: MemoryPool;
  content: MemoryContentStore;
  roles: Map<string, JobRoles>;
  /** Each actor's own content store (all share one block map, as if fetching from each other). */
  stores: Map<string, MemoryContentStore>;
  logs: string[];
  trainCalls: WorkerRequest[];
  /** Stops an actor's roles and starts them again (same key and store), as a node restart would. */
  restart(name: string, actor: Actor): Promise<void>;
}

let running: JobRoles[] = [];
afterEach(async () => {
  for (const r of running) await r.stop();
  running = [];
});

type Actor = {
  trainer?: boolean;
  evaluator?: boolean;
  capabilities?: typeof CPU_BOX;
  /** The node's metrics hook (`JobRolesModules.onTrainingStep`). */
  onTrainingStep?: () => void;
};

function network(
  actors: Record<string, Actor>,
  opts: Partial<JobRolesOptions> = {},
  train?: TrainFn,
  /** Stores to start some actors with (what they kept before a restart). */
  preloaded: Record<string, MemoryContentStore> = {},
  /** Replaces the stand-in re-execution. */
  engine: { reexecute?: ReexecuteFn } = {},
): Net {
  const chain = new RuntimeChain(jobRuntime());
  const pool = new MemoryPool();
  const blocks = new Map<string, Uint8Array>();
  const content = new MemoryContentStore(blocks);
  const logs: string[] = [];
  const trainCalls: WorkerRequest[] = [];
  const roles = new Map<string, JobRoles>();
  const stores = new Map<string, MemoryContentStore>();
  const start = (name: string, r: Actor) => {
    if (!stores.has(name)) stores.set(name, preloaded[name] ?? new MemoryContentStore(blocks));
    const logger = createLogger({ level: "debug", format: "json", write: (l) => logs.push(`${name} ${l}`) });
    const roleSet = new JobRoles(
      {
        ...defaultJobRolesOptions,
        trainer: r.trainer ?? false,
        evaluator: r.evaluator ?? false,
        fetchTimeoutMs: 20,
        ...opts,
      },
      {
        chain,
        pool,
        pair: dev(name),
        content: stores.get(name)!,
        capabilities: r.capabilities ?? CPU_BOX,
        logger,
        onTrainingStep: r.onTrainingStep,
        engine: {
          train:
            train ??
            (async (req) => {
              trainCalls.push(req);
              return {
                steps: STEP_HASHES,
                leaves: LEAVES,
                model: req.job.model,
                finalStep: 4,
                profile: "cpu-exact",
                provider: "cpu",
              };
            }),
          evaluate: evaluateModel,
          // The stand-in trainer's run, re-executed: the same state hashes and the untouched model.
          reexecute:
            engine.reexecute ??
            (async ({ job, confirmStart, endStep }) => {
              confirmStart?.();
              return { endStateHash: STEP_HASHES[endStep - 1].stateHash, model: job.model };
            }),
        },
      },
    );
    roles.set(name, roleSet);
    running.push(roleSet);
    roleSet.start();
  };
  for (const [name, r] of Object.entries(actors)) start(name, r);
  const restart = async (name: string, r: Actor) => {
    const old = roles.get(name)!;
    await old.stop();
    running = running.filter((x) => x !== old);
    start(name, r);
  };
  return { chain, pool, content, roles, stores, logs, trainCalls, restart };
}

async function settle(net: Net): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await Promise.all([...net.roles.values()].map((r) => r.follower.idle()));
    await tick(i === 0 ? 30 : 5);
  }
}

/** Produces blocks (letting the roles react after each) until `done` holds or `max` blocks passed. */
async function runUntil(net: Net, done: () => boolean, max = 40, extra: () => Uint8Array[] = () => []) {
  for (let i = 0; i < max && !done(); i++) {
    await settle(net);
    produce(net.chain, net.pool, extra());
    checkInvariants(net.chain.rt.ext());
  }
  await settle(net);
  if (!done()) console.log(net.logs.join("\n"));
  expect(done()).toBe(true);
}

const job = (net: Net, id = 0n): JobValue | undefined => net.chain.rt.read((e) => JobManager.storage.Jobs.get(e, id));
const registered = (net: Net, names: string[]) =>
  names.every((n) => net.chain.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk(n))) !== undefined);
const sign = (net: Net, name: string, call: CallValue) =>
  net.chain.rt.sign(call, dev(name), net.chain.rt.nonceOf(dev(name)));
/** An actor's holds, as sorted "holder cid" strings. */
const holds = async (net: Net, name: string) =>
  (await net.stores.get(name)!.holdings()).map((h) => `${h.holder} ${h.cid}`).sort();
const logLines = (net: Net, name: string, msg: string) =>
  net.logs
    .filter((l) => l.startsWith(`${name} `))
    .map((l) => JSON.parse(l.slice(name.length + 1)) as Record<string, unknown>)
    .filter((l) => l.msg === msg);

async function postedJob(net: Net, overrides: Partial<JobSpecValue> = {}, trainSet = TRAIN): Promise<JobSpecValue> {
  const c = net.content;
  const testCid = c.toBytes(await c.add(bytesOf(TEST)));
  return spec({
    model_cid: c.toBytes(await c.add(MODEL)),
    training_set_cid: c.toBytes(await c.add(bytesOf(trainSet))),
    test_set_commitment: testSetCommitment(testCid, SALT),
    batch_size: 16,
    length: { tag: "Epochs", value: 1 },
    min_accuracy_ppm: 0,
    deadlines: { assign: 10, submit: 20, reveal_test_set: 10, commit: 10, reveal: 10 },
    // One segment of the 4 steps: its audit re-executes from the model, which the stand-ins keep as is.
    checkpoint_interval: 4,
    ...overrides,
  });
}

describe("worker and evaluator roles", () => {
  it("register, assign, train, commit, reveal, audit, evaluate, attest: the job succeeds with the attested accuracy", async () => {
    const net = network({
      W1: { trainer: true },
      W2: { trainer: true },
      E1: { evaluator: true },
      E2: { evaluator: true },
    });
    await runUntil(net, () => registered(net, ["W1", "W2", "E1", "E2"]));
    const s = await postedJob(net);
    produce(net.chain, net.pool, [sign(net, "Client", postJob(s, 1_000n * UNIT))]);
    await runUntil(net, () => job(net)?.status.tag === "AwaitingTestSet");
    const j = job(net)!;
    // While the job runs, each trainer holds the model and training set for the job, and its result.
    const [modelCid, trainCid] = [s.model_cid, s.training_set_cid].map((c) => net.content.fromBytes(c));
    const resultCid = await net.content.add(MODEL); // the stand-in trainer returns the model untouched
    for (const w of ["W1", "W2"])
      expect(await holds(net, w)).toEqual(
        [`job-result:0 ${resultCid}`, `job:0 ${modelCid}`, `job:0 ${trainCid}`].sort(),
      );
    expect(j.workers.map((w) => [pk("W1"), pk("W2")].findIndex((x) => bytesEqual(x, w))).sort()).toEqual([0, 1]);
    // Each trainer trained with the job's hyper-parameters, seed and its own key.
    expect(net.trainCalls).toHaveLength(2);
    for (const call of net.trainCalls)
      expect(call).toMatchObject({
        untilStep: 4, // 64 samples / batch 16, one epoch
        job: {
          lr: 0.001,
          batchSize: 16,
          seed: 42n,
          optimizer: { kind: "adam" },
          loss: "cross_entropy",
          profile: "cpu-exact",
        },
      });
    expect(net.trainCalls.map((c) => c.job.workerKey).sort()).toEqual([pk("W1"), pk("W2")].sort());
    // The revealed result: model CID and hash, the work root over the leaf hashes, train-set accuracy;
    // its audit (the one segment, re-executed by both evaluators) passed.
    const trainAccuracy = (await evaluateModel(MODEL, TRAIN, { profile: "cpu-exact" })).accuracyPpm;
    for (const w of ["W1", "W2"]) {
      const a = net.chain.rt.read((e) => JobManager.storage.Assignments.get(e, [0n, pk(w)]))!;
      expect(a.result).toMatchObject({
        model_cid: net.content.toBytes(await net.content.add(MODEL)),
        model_hash: blake2_256(MODEL),
        work_root: workRoot([{ index: 1, stateHash: STEP_HASHES[3].stateHash }]),
        metrics: { accuracy_ppm: trainAccuracy, loss_e9: 500_000_000n },
        steps: 4,
      });
      expect(a.audit).toEqual({ tag: "Passed" });
    }
    // The client reveals; the evaluators commit, then reveal the same accuracies.
    const testCid = net.content.toBytes(await net.content.add(bytesOf(TEST)));
    produce(net.chain, net.pool, [
      sign(net, "Client", {
        tag: "JobManager",
        value: { tag: "reveal_test_set", value: { job_id: 0n, cid: testCid, salt: SALT } },
      }),
    ]);
    const commitments: Uint8Array[] = [];
    const reveals: [Uint8Array, number][][] = [];
    const counted = new Set<number>();
    await runUntil(net, () => {
      if (counted.has(net.chain.rt.header.number)) return isFinal(job(net)!.status);
      counted.add(net.chain.rt.header.number);
      for (const { event } of net.chain.rt.lastEvents) {
        const v = event.value as { tag: string; value: Record<string, unknown> };
        if (event.tag === "JobManager" && v.tag === "AttestationRevealed")
          reveals.push(v.value.accuracies as [Uint8Array, number][]);
      }
      for (const e of ["E1", "E2"]) {
        const c = net.chain.rt.read((x) => JobManager.storage.Attestations.get(x, [0n, pk(e)]));
        if (c && !commitments.some((k) => bytesEqual(k, c.commitment))) commitments.push(c.commitment);
      }
      return isFinal(job(net)!.status);
    });
    expect(job(net)!.status).toEqual({ tag: "Succeeded" });
    const testAccuracy = (await evaluateModel(MODEL, TEST, { profile: "cpu-exact" })).accuracyPpm!;
    const expected = job(net)!.workers.map((w): [Uint8Array, number] => [w, testAccuracy]);
    expect(reveals).toEqual([expected, expected]);
    expect(commitments).toHaveLength(2);
    // The commitments were the pallet's scheme over (job, evaluator, accuracies, salt): different salts.
    expect(bytesEqual(commitments[0], commitments[1])).toBe(false);
    for (const w of ["W1", "W2"]) {
      const a = net.chain.rt.read((e) => JobManager.storage.Assignments.get(e, [0n, pk(w)]))!;
      expect(a).toMatchObject({ stake: 0n, accuracy_ppm: testAccuracy });
    }
    expect(logLines(net, "W1", "Job ended")).toEqual([expect.objectContaining({ status: "Succeeded" })]);
    expect(logLines(net, "E1", "Evaluated results")).toHaveLength(1);
    // The job is over: inputs released everywhere; each trainer keeps its result for the client.
    await runUntil(net, () => net.chain.rt.header.number >= 0, 1);
    for (const w of ["W1", "W2"]) expect(await holds(net, w)).toEqual([`job-result:0 ${resultCid}`]);
    for (const e of ["E1", "E2"]) expect(await holds(net, e)).toEqual([]);
    // The client's own uploads are its, not the job's: still held.
    expect((await net.content.holdings()).map((h) => `${h.holder} ${h.cid}`)).toContain(`user ${modelCid}`);
  });

  it("refuses a job whose training set does not fit the model, with the reason in one log line", async () => {
    const net = network({ W1: { trainer: true }, E1: { evaluator: true } });
    await runUntil(net, () => registered(net, ["W1", "E1"]));
    const s = await postedJob(net, { workers: 1, evaluators: 1 }, dataset(1n, [10]));
    produce(net.chain, net.pool, [sign(net, "Client", postJob(s, 1_000n * UNIT))]);
    await runUntil(net, () => logLines(net, "W1", "Refused job").length > 0, 5);
    expect(logLines(net, "W1", "Refused job")).toEqual([
      expect.objectContaining({
        job: "0",
        code: "JOB_REFUSED_DATASET",
        reason:
          "the training set does not fit the model (DATASET_ERROR_SHAPE_MISMATCH): Dataset does not fit the model: expected samples of [784], found samples of [10]",
      }),
    ]);
    expect(await holds(net, "W1")).toEqual([]); // what it fetched to check is released at the refusal
    await runUntil(net, () => job(net)?.status.tag === "Expired", 15);
    expect(net.pool.calls()).not.toContain("JobManager.assign_worker");
  });

  it("keeps a trained model pinned for the retention period after the job, then releases it", async () => {
    const net = network({ W1: { trainer: true }, E1: { evaluator: true } }, { resultRetentionBlocks: 3 });
    await runUntil(net, () => registered(net, ["W1", "E1"]));
    const s = await postedJob(net, { workers: 1, evaluators: 1 });
    produce(net.chain, net.pool, [sign(net, "Client", postJob(s, 1_000n * UNIT))]);
    await runUntil(net, () => job(net)?.status.tag === "AwaitingTestSet");
    const resultCid = await net.content.add(MODEL);
    // The client never reveals: the job ends at the deadline, the inputs go, the result stays 3 blocks.
    await runUntil(net, () => isFinal(job(net)!.status), 30);
    const endedAt = net.chain.rt.header.number;
    expect(await holds(net, "W1")).toEqual([`job-result:0 ${resultCid}`]);
    await runUntil(net, () => net.chain.rt.header.number >= endedAt + 2, 5);
    expect(await holds(net, "W1")).toEqual([`job-result:0 ${resultCid}`]);
    await runUntil(net, () => net.chain.rt.header.number >= endedAt + 4, 5);
    expect(await holds(net, "W1")).toEqual([]);
    expect(await holds(net, "E1")).toEqual([]);
  });

  it("a restarted node releases what it held for jobs that ended while it was down", async () => {
    const store = new MemoryContentStore();
    // Left over from before the restart: inputs and a result of job 5, which the chain does not know.
    const input = await store.add(bytesOf(TRAIN), { holder: "job:5" });
    const result = await store.add(MODEL, { holder: "job-result:5" });
    const own = await store.add(new Uint8Array([1, 2, 3])); // the operator's own pin
    const net = network({ W1: { trainer: true } }, { resultRetentionBlocks: 2 }, undefined, { W1: store });
    await runUntil(net, () => net.chain.rt.header.number >= 1, 3);
    expect(await holds(net, "W1")).toEqual([`job-result:5 ${result}`, `user ${own}`]);
    await runUntil(net, () => net.chain.rt.header.number >= 4, 5);
    expect(await holds(net, "W1")).toEqual([`user ${own}`]);
    expect(input).not.toBe(result);
  });

  it("refuses a job whose model cannot be fetched by its CID", async () => {
    const net = network({ W1: { trainer: true }, E1: { evaluator: true } });
    await runUntil(net, () => registered(net, ["W1", "E1"]));
    const s = await postedJob(net, {
      workers: 1,
      evaluators: 1,
      model_cid: new Uint8Array([0x01, 0x55, 0x12, 0x20, ...new Array(32).fill(9)]),
    });
    produce(net.chain, net.pool, [sign(net, "Client", postJob(s, 1_000n * UNIT))]);
    await runUntil(net, () => logLines(net, "W1", "Refused job").length > 0, 5);
    expect(logLines(net, "W1", "Refused job")).toEqual([
      expect.objectContaining({
        code: "JOB_REFUSED_CONTENT",
        reason: expect.stringContaining("CONTENT_ERROR_NOT_FOUND"),
      }),
    ]);
  });

  it("a restart with other capabilities sends update_capabilities with the new record's hash", async () => {
    const net = network({ W1: { trainer: true } });
    await runUntil(net, () => registered(net, ["W1"]));
    const first = net.roles.get("W1")!.capabilityRecord.hash;
    const onChain = () => net.chain.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk("W1")))!;
    expect(onChain().record_hash).toEqual(first);
    const bigger = { ...CPU_BOX, cpu_cores: CPU_BOX.cpu_cores * 2 };
    await net.restart("W1", { trainer: true, capabilities: bigger });
    const second = net.roles.get("W1")!.capabilityRecord.hash;
    expect(second).not.toEqual(first);
    await runUntil(net, () => bytesEqual(onChain().record_hash, second), 5);
    expect(onChain().capabilities).toEqual(bigger);
    expect(logLines(net, "W1", "Submitted capability update")).toHaveLength(1);
    expect(logLines(net, "W1", "Capabilities updated")).toHaveLength(1);
  });

  it("refuses by its policy (reward too low) and never assigns", async () => {
    const net = network(
      { W1: { trainer: true }, E1: { evaluator: true } },
      {
        policy: { ...defaultJobRolesOptions.policy, minPayout: 10_000n * UNIT },
      },
    );
    await runUntil(net, () => registered(net, ["W1", "E1"]));
    produce(net.chain, net.pool, [
      sign(net, "Client", postJob(await postedJob(net, { workers: 1, evaluators: 1 }), 1_000n * UNIT)),
    ]);
    await runUntil(net, () => logLines(net, "W1", "Refused job").length > 0, 5);
    expect(logLines(net, "W1", "Refused job")[0]).toMatchObject({ code: "JOB_REFUSED_REWARD_TOO_LOW" });
    expect(net.pool.calls()).not.toContain("JobManager.assign_worker");
  });

  it("a training failure aborts the job with a logged reason; the node goes on and the chain fails the job", async () => {
    const net = network({ W1: { trainer: true }, E1: { evaluator: true } }, {}, async () => {
      throw new DatasetError({ code: "DATASET_ERROR_SHAPE_MISMATCH", expected: "a", found: "b" }, "boom");
    });
    await runUntil(net, () => registered(net, ["W1", "E1"]));
    const s = await postedJob(net, {
      workers: 1,
      evaluators: 1,
      deadlines: { assign: 10, submit: 3, reveal_test_set: 10, commit: 10, reveal: 10 },
    });
    produce(net.chain, net.pool, [sign(net, "Client", postJob(s, 1_000n * UNIT))]);
    await runUntil(net, () => isFinal(job(net)?.status ?? { tag: "Open" }), 20);
    expect(logLines(net, "W1", "Training aborted")).toEqual([
      expect.objectContaining({ job: "0", code: "DATASET_ERROR_SHAPE_MISMATCH", reason: "boom" }),
    ]);
    expect(job(net)!.status).toEqual({ tag: "Failed", value: { tag: "NoResults" } });
  });

  it("tells the node's metrics of every training step", async () => {
    let steps = 0;
    const net = network(
      { W1: { trainer: true, onTrainingStep: () => steps++ }, E1: { evaluator: true } },
      { progressMessages: 1 },
      async (req, opts) => {
        for (const s of STEP_HASHES) opts.onProgress?.({ type: "progress", ...s, totalSteps: 4, stepsPerEpoch: 4 });
        return {
          steps: STEP_HASHES,
          leaves: LEAVES,
          model: req.job.model,
          finalStep: 4,
          profile: "cpu-exact",
          provider: "cpu",
        };
      },
    );
    await runUntil(net, () => registered(net, ["W1", "E1"]));
    const s = await postedJob(net, { workers: 1, evaluators: 1 });
    produce(net.chain, net.pool, [sign(net, "Client", postJob(s, 1_000n * UNIT))]);
    await runUntil(net, () => job(net)?.status.tag === "AwaitingTestSet");
    // Every step counts, also those the progress gossip skips (one message per job here).
    expect(steps).toBe(STEP_HASHES.length);
  });

  it("sends heartbeats at the configured interval", async () => {
    const net = network({ W1: { trainer: true } }, { heartbeatEveryBlocks: 3 });
    await runUntil(net, () => registered(net, ["W1"]));
    const start = net.chain.rt.header.number;
    await runUntil(net, () => net.chain.rt.header.number >= start + 10, 12);
    const last = net.chain.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk("W1")))!.last_heartbeat;
    expect(net.chain.rt.header.number - last).toBeLessThanOrEqual(4);
    expect(last).toBeGreaterThan(start);
  });

  it("a check drawn on another segment by a sibling block: the verifier re-executes the segment of the branch that stays", async () => {
    // Four one-step segments, each leaf a real checkpoint (the auditor checks served starts against it).
    const checkpoints: Checkpoint[] = [1, 2, 3, 4].map((step) => ({
      step,
      state: new Map([["w", tensor("float32", [1], [step])]]),
    }));
    const leaves = checkpoints.map((cp) => ({ index: cp.step, stateHash: checkpointHash(cp) }));
    const train: TrainFn = async (req, opts) => {
      for (const cp of checkpoints) opts.onCheckpoint?.(cp);
      return { steps: STEP_HASHES, leaves, model: req.job.model, finalStep: 4, profile: "cpu-exact", provider: "cpu" };
    };
    const reexecuted: number[] = [];
    const reexecute: ReexecuteFn = async ({ job, confirmStart, endStep }) => {
      confirmStart?.();
      reexecuted.push(endStep);
      return { endStateHash: leaves[endStep - 1].stateHash, model: job.model };
    };
    const net = network(
      { W1: { trainer: true }, E1: { evaluator: true }, E2: { evaluator: true } },
      {},
      train,
      {},
      { reexecute },
    );
    await runUntil(net, () => registered(net, ["W1", "E1", "E2"]));
    const s = await postedJob(net, { workers: 1, evaluators: 2, checkpoint_interval: 1 });
    produce(net.chain, net.pool, [sign(net, "Client", postJob(s, 1_000n * UNIT))]);
    for (let i = 0; i < 20 && !net.pool.calls().includes("JobManager.reveal_result"); i++) {
      produce(net.chain, net.pool);
      await settle(net);
    }

    // The reveal's block starts the audits: the last segment and one of 1, 2, drawn with the block's VRF
    // output. Two sibling blocks that draw differently: A (segment 1) and B (segment 2).
    const rt = net.chain.rt;
    const parent = { state: rt.state, header: rt.header, hash: rt.hash };
    const txs = net.pool.txs;
    net.pool.txs = [];
    const slot = 1_000n + BigInt(parent.header.number);
    const drawnWith = (i: number) => {
      Object.assign(rt, parent);
      rt.block(txs, { digest: [babeVrfPreDigest(0, slot, new Uint8Array(32).fill(i))] });
      return rt.eventsOf("JobManager", "CheckOpened").map((e) => e.value.segment as number);
    };
    const pre = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ i, segments: drawnWith(i) }));
    const a = pre.find((p) => p.segments.includes(1))!;
    const b = pre.find((p) => p.segments.includes(2))!;
    expect(a.segments).toEqual([4, 1]);
    expect(b.segments).toEqual([4, 2]);

    // Block A is best first: the verifiers start on segment 1 at once (it needs no served start).
    drawnWith(a.i);
    net.chain.record(true);
    await settle(net);
    expect(reexecuted).toEqual([1, 1]);
    // Then B, its sibling, wins: check 1 is segment 2 there.
    drawnWith(b.i);
    net.chain.record(true);
    const audited = () => net.chain.rt.read((e) => JobManager.storage.Assignments.get(e, [0n, pk("W1")]))!.audit;
    const start = net.chain.rt.header.number;
    await runUntil(net, () => audited().tag !== "Pending");
    // Every check passed: what was computed for A's segment 1 was not committed on B.
    expect(audited()).toEqual({ tag: "Passed" });
    expect(reexecuted.filter((step) => step === 2)).toHaveLength(2);
    for (const e of ["E1", "E2"])
      expect(logLines(net, e, "The check names another segment on this branch; re-executing")).toEqual([
        expect.objectContaining({ job: "0", check: 1, segment: 2 }),
      ]);
    // The trainer opened each end leaf as soon as asked, not a resubmission interval after serving it.
    expect(net.chain.rt.header.number - start).toBeLessThan(defaultJobRolesOptions.resubmitAfterBlocks);
  });
});
