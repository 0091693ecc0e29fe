/**
 * `tensorchain job post`: checks the files locally first (the model decodes, both datasets fit it, a
 * batch fits the training set), uploads them, commits to the test set with a random 32-byte salt that
 * it writes, with the test set's CID, to a 0600 file *before* posting (`--salt-file`), then posts. With
 * `--wait` it follows the job (`follow.ts`), reveals the test set once every result is in, and prints
 * each phase until the job ends (exit 0 on Succeeded, 1 otherwise). Every line it prints starts with the
 * seconds since it started; on a terminal each upload shows its progress (`progress.ts`).
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { CID } from "multiformats/cid";
import { uploadContent } from "../../../node/content/rpcClient.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { defaultCheckpointInterval } from "../../../primitives/workRoot.js";
import { type JobSpecValue, testSetCommitment } from "../../../runtime/pallets/jobManager/index.js";
import { PPM } from "../../../runtime/pallets/workerRegistry.js";
import type { LossKind } from "../../../worker/autodiff/losses.js";
import { datasetSize, makeDataset } from "../../../worker/data/dataset.js";
import { decodeSafetensors } from "../../../worker/data/safetensors.js";
import type { OptimizerKind } from "../../../worker/optim/optimizers.js";
import { checkDatasetFits } from "../../../worker/train/fit.js";
import { mlAction, positiveFloat, positiveInt, seedArg } from "../mlCommon.js";
import { parseTrain } from "../run.js";
import { minWorkerStake, send, withApi } from "./chain.js";
import { DEFAULT_RPC, printer } from "./common.js";
import { follow } from "./follow.js";
import { uploadProgress, withElapsed } from "./progress.js";
import { defaultSaltFile, type SaltFileContent, writeSaltFile } from "./saltFile.js";

/** Phase lengths (blocks) of a posted job unless flags say otherwise. */
export const DEFAULT_DEADLINES = { assign: 50, submit: 300, revealTestSet: 50, commit: 30, reveal: 30 };

export interface JobPostFlags {
  rpc: string;
  suri: string;
  model: string;
  train: string;
  test: string;
  reward: bigint;
  workers: number;
  evaluators: number;
  minAccuracy: number;
  epochs?: number;
  checkpointInterval?: number;
  steps?: number;
  batch: number;
  lr: number;
  optimizer: OptimizerKind;
  loss: LossKind;
  seed: bigint;
  profile: "cpu-exact" | "gpu";
  workerStake?: bigint;
  minCpuCores: number;
  minMemoryMib: number;
  minGpus: number;
  minGpuMemoryMib: number;
  assignBlocks: number;
  submitBlocks: number;
  revealTestSetBlocks: number;
  commitBlocks: number;
  revealBlocks: number;
  saltFile?: string;
  wait?: boolean;
  json?: boolean;
}

/** A fraction in [0, 1] (`--min-accuracy 0.9`), as parts per million (rounded down). */
export function parseFraction(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`expected a fraction between 0 and 1, got "${v}"`);
  return Math.floor(n * PPM + 1e-9);
}

/** A learning rate: positive, at least 1e-9 (the chain stores it times 10^9). */
export function parseLearningRate(v: string): number {
  const n = positiveFloat(v);
  if (n < 1e-9) throw new InvalidArgumentError(`expected a learning rate of at least 1e-9, got "${v}"`);
  return n;
}

function parseTrainAmount(v: string): bigint {
  const n = parseTrain(v);
  if (n === 0n) throw new InvalidArgumentError("must be greater than zero");
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
}

export function registerJobPost(job: Command): void {
  job
    .command("post")
    .description("Upload a model and datasets, commit to the test set, and post a training job")
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .requiredOption("--suri <suri>", "The client's secret URI (e.g. //Eve)")
    .requiredOption("--model <file>", "Forward model .onnx")
    .requiredOption("--train <file>", "Training set .safetensors")
    .requiredOption("--test <file>", "Test set .safetensors (kept hidden until the results are in)")
    .requiredOption("--reward <TRAIN>", "Reward escrowed for the job (TRAIN)", parseTrainAmount)
    .option("--workers <n>", "Trainers wanted", positiveInt, 1)
    .option("--evaluators <n>", "Evaluators wanted", positiveInt, 1)
    .requiredOption("--min-accuracy <fraction>", "Least test accuracy of a passing model, e.g. 0.9", parseFraction)
    .option("--epochs <n>", "Epochs (or --steps)", positiveInt)
    .option("--steps <n>", "Training steps (instead of --epochs)", positiveInt)
    .requiredOption("--batch <n>", "Batch size", positiveInt)
    .option(
      "--checkpoint-interval <k>",
      "Steps per audited segment (default: about 64 segments; the chain fixes it for --steps)",
      positiveInt,
    )
    .requiredOption("--lr <rate>", "Learning rate", parseLearningRate)
    .addOption(new Option("--optimizer <kind>", "Optimizer").choices(["sgd", "momentum", "adam"]).makeOptionMandatory())
    .addOption(new Option("--loss <kind>", "Loss").choices(["cross_entropy", "mse"]).default("cross_entropy"))
    .requiredOption("--seed <n>", "Job seed (u64)", seedArg)
    .addOption(
      new Option("--profile <profile>", "Execution profile").choices(["cpu-exact", "gpu"]).default("cpu-exact"),
    )
    .option("--worker-stake <TRAIN>", "Job stake each trainer locks (default: the chain's minimum)", parseTrainAmount)
    .option("--min-cpu-cores <n>", "Least CPU cores of a trainer", positiveInt, 1)
    .option("--min-memory-mib <n>", "Least memory of a trainer (MiB)", positiveInt, 1024)
    .option("--min-gpus <n>", "Least GPUs of a trainer", nonNegativeInt, 0)
    .option("--min-gpu-memory-mib <n>", "Least memory per GPU (MiB)", nonNegativeInt, 0)
    .option("--assign-blocks <n>", "Blocks for trainers to assign", positiveInt, DEFAULT_DEADLINES.assign)
    .option("--submit-blocks <n>", "Blocks for training and submission", positiveInt, DEFAULT_DEADLINES.submit)
    .option(
      "--reveal-test-set-blocks <n>",
      "Blocks for the client to reveal",
      positiveInt,
      DEFAULT_DEADLINES.revealTestSet,
    )
    .option("--commit-blocks <n>", "Blocks for evaluators to commit", positiveInt, DEFAULT_DEADLINES.commit)
    .option("--reveal-blocks <n>", "Blocks for evaluators to reveal", positiveInt, DEFAULT_DEADLINES.reveal)
    .option("--salt-file <file>", "Where the test-set salt is kept (default: tensorchain-job-<commitment>.json)")
    .option("--wait", "Follow the job, reveal the test set when the results are in, print each phase")
    .option("--json", "Print JSON lines instead of text")
    .action(mlAction(jobPost));
}

const LOSS_TAGS = { cross_entropy: "CrossEntropy", mse: "Mse" } as const;
const OPTIMIZER_TAGS = { sgd: "Sgd", momentum: "Momentum", adam: "Adam" } as const;
const PROFILE_TAGS = { "cpu-exact": "CpuExact", gpu: "GpuTolerance" } as const;

function datasetOf(bytes: Uint8Array, file: string) {
  const f = decodeSafetensors(bytes);
  const x = f.tensors.get("x");
  const y = f.tensors.get("y");
  if (!x || !y) throw new InvalidArgumentError(`${file} must hold tensors "x" and "y"`);
  return makeDataset(x, y, f.metadata);
}

/** The spec a `job post` command line describes (CIDs and commitment filled in by the caller). */
export function specFromFlags(
  f: JobPostFlags,
  ids: { model: Uint8Array; train: Uint8Array; commitment: Uint8Array; workerStake: bigint; trainSamples?: number },
): JobSpecValue {
  if ((f.epochs === undefined) === (f.steps === undefined))
    throw new InvalidArgumentError("give exactly one of --epochs and --steps");
  // With --steps the chain fixes the default interval; for epochs only the client knows the steps.
  const epochSteps =
    f.epochs !== undefined && ids.trainSamples !== undefined ? f.epochs * Math.floor(ids.trainSamples / f.batch) : 0;
  const checkpoint_interval = f.checkpointInterval ?? (epochSteps > 0 ? defaultCheckpointInterval(epochSteps) : 0);
  return {
    model_cid: ids.model,
    training_set_cid: ids.train,
    test_set_commitment: ids.commitment,
    loss: { tag: LOSS_TAGS[f.loss] },
    optimizer: { tag: OPTIMIZER_TAGS[f.optimizer] },
    learning_rate_e9: BigInt(Math.round(f.lr * 1e9)),
    batch_size: f.batch,
    length: f.steps !== undefined ? { tag: "Steps", value: f.steps } : { tag: "Epochs", value: f.epochs! },
    seed: f.seed,
    profile: { tag: PROFILE_TAGS[f.profile] },
    requirements: {
      min_gpus: f.minGpus,
      min_gpu_memory_mib: f.minGpuMemoryMib,
      min_cpu_cores: f.minCpuCores,
      min_memory_mib: f.minMemoryMib,
    },
    workers: f.workers,
    evaluators: f.evaluators,
    min_accuracy_ppm: f.minAccuracy,
    worker_stake: ids.workerStake,
    deadlines: {
      assign: f.assignBlocks,
      submit: f.submitBlocks,
      reveal_test_set: f.revealTestSetBlocks,
      commit: f.commitBlocks,
      reveal: f.revealBlocks,
    },
    checkpoint_interval,
  };
}

/** The spec as @polkadot/api takes it (snake_case fields, enums as `{Variant: value}`, hex bytes). */
function specArg(s: JobSpecValue) {
  return {
    model_cid: toHex(s.model_cid),
    training_set_cid: toHex(s.training_set_cid),
    test_set_commitment: toHex(s.test_set_commitment),
    loss: s.loss.tag,
    optimizer: s.optimizer.tag,
    learning_rate_e9: s.learning_rate_e9,
    batch_size: s.batch_size,
    length: { [s.length.tag]: s.length.value },
    seed: s.seed,
    profile: s.profile.tag,
    requirements: s.requirements,
    workers: s.workers,
    evaluators: s.evaluators,
    min_accuracy_ppm: s.min_accuracy_ppm,
    worker_stake: s.worker_stake,
    deadlines: s.deadlines,
    checkpoint_interval: s.checkpoint_interval,
  };
}

async function jobPost(f: JobPostFlags): Promise<void> {
  if ((f.epochs === undefined) === (f.steps === undefined))
    throw new InvalidArgumentError("give exactly one of --epochs and --steps");
  const started = Date.now();
  await cryptoReady();
  const print = withElapsed(printer(f.json), started);
  const [model, train, test] = await Promise.all([readFile(f.model), readFile(f.train), readFile(f.test)]).then((b) =>
    b.map((x) => new Uint8Array(x)),
  );
  // Local checks first: nothing is uploaded or escrowed for a job no worker could run.
  const trainSet = datasetOf(train, f.train);
  checkDatasetFits(model, trainSet, f.loss, f.batch);
  checkDatasetFits(model, datasetOf(test, f.test), f.loss, 1);
  const upload = (label: string, bytes: Uint8Array, announce: boolean) => {
    const onProgress = uploadProgress(label); // a live line on a terminal only
    onProgress?.(0, bytes.length);
    return uploadContent(f.rpc, bytes, { announce, onProgress });
  };
  const [modelCid, trainCid, testCid] = [
    await upload("model", model, true),
    await upload("training set", train, true),
    // The test set's CID stays out of the DHT: whoever learns it could fetch the test set before the reveal.
    await upload("test set", test, false),
  ];
  print(
    "uploaded",
    { model: modelCid, train: trainCid, test: testCid },
    `Uploaded model ${modelCid}, training set ${trainCid}, test set ${testCid}`,
  );
  const salt = new Uint8Array(randomBytes(32));
  const testBytes = CID.parse(testCid).bytes;
  const commitment = testSetCommitment(testBytes, salt);
  const saltFile = f.saltFile ?? defaultSaltFile(commitment);
  const secret: SaltFileContent = {
    rpc: f.rpc,
    testCid,
    salt: toHex(salt),
    commitment: toHex(commitment),
    jobId: null,
  };
  writeSaltFile(saltFile, secret);

  await withApi(f.rpc, async (api) => {
    const spec = specFromFlags(f, {
      model: CID.parse(modelCid).bytes,
      train: CID.parse(trainCid).bytes,
      commitment,
      workerStake: f.workerStake ?? (await minWorkerStake(api)),
      trainSamples: datasetSize(trainSet),
    });
    const { blockHash, events } = await send(api, api.tx.jobManager.postJob(specArg(spec), f.reward), f.suri);
    const posted = events.find((e) => e.section === "jobManager" && e.method === "JobPosted");
    const id = BigInt(String(posted?.data[0]));
    secret.jobId = id.toString();
    writeSaltFile(saltFile, secret);
    print(
      "posted",
      { job: id, block: blockHash, reward: f.reward, saltFile },
      `Posted job ${id} in block ${blockHash} (reward ${f.reward} planck); test-set salt in ${saltFile}`,
    );
    if (!f.wait) return;
    const final = await follow(api, f.rpc, id, { salt, testCid: testBytes, suri: f.suri }, print);
    if (final !== "Succeeded") process.exitCode = 1;
  });
}
