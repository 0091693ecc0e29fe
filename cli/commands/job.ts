/**
 * `tensorchain job post|status|fetch`: the client side of the job market, against any node's RPC.
 *
 * Transactions go through the real `@polkadot/api` (what any Substrate client uses: metadata-driven
 * encoding, signing, status and events), so the command doubles as a check that the chain's metadata
 * describes the job market correctly. Storage is read with `state_getStorage` and decoded with the
 * runtime's own codecs, so amounts stay exact bigints. Files travel through the node's content RPC
 * (`worker/content/rpcClient.ts`).
 *
 * `post` checks the files locally first (the model decodes, both datasets fit it, a batch fits the
 * training set), uploads them, commits to the test set with a random 32-byte salt that it writes,
 * with the test set's CID, to a 0600 file *before* posting (`--salt-file`), then posts. With `--wait`
 * it follows the job, reveals the test set once every result is in, and prints each phase until the
 * job ends (exit 0 on Succeeded, 1 otherwise).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { ApiPromise } from "@polkadot/api";
import { type Command, InvalidArgumentError, Option } from "commander";
import { CID } from "multiformats/cid";
import { TensorchainError } from "../../primitives/errors.js";
import { blake2_256, cryptoReady } from "../../primitives/hashing.js";
import { bytesEqual, fromHex, toHex } from "../../primitives/hex.js";
import {
  JobManager,
  type JobSpecValue,
  type JobValue,
  testSetCommitment,
} from "../../runtime/pallets/jobManager/index.js";
import { type AnyKnob, JOB_MANAGER, keyOf, Parameters } from "../../runtime/pallets/parameters/index.js";
import { PPM } from "../../runtime/pallets/workerRegistry.js";
import type { LossKind } from "../../worker/autodiff/losses.js";
import { downloadContent, rpcRequest, uploadContent } from "../../worker/content/rpcClient.js";
import { makeDataset } from "../../worker/data/dataset.js";
import { decodeSafetensors } from "../../worker/data/safetensors.js";
import type { OptimizerKind } from "../../worker/optim/optimizers.js";
import { checkDatasetFits } from "../../worker/train/fit.js";
import { writeFileAtomic } from "../../worker/util/atomicWrite.js";
import { mlAction, positiveFloat, positiveInt, seedArg } from "./mlCommon.js";
import { parseTrain } from "./run.js";

export type JobCliErrorType =
  | { code: "JOB_CLI_ERROR_DISPATCH"; error: string }
  | { code: "JOB_CLI_ERROR_TX"; status: string }
  | { code: "JOB_CLI_ERROR_NOT_FOUND"; job: string }
  | { code: "JOB_CLI_ERROR_NO_RESULT"; job: string }
  | { code: "JOB_CLI_ERROR_MODEL_HASH"; cid: string }
  | { code: "JOB_CLI_ERROR_SALT_FILE"; path: string; reason: string }
  | { code: "JOB_CLI_ERROR_PHASE"; job: string; status: string };
export class JobCliError extends TensorchainError<JobCliErrorType> {}

export const DEFAULT_RPC = "ws://127.0.0.1:9944";

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

function jobId(v: string): bigint {
  if (!/^\d+$/.test(v) || BigInt(v) >= 2n ** 64n) throw new InvalidArgumentError(`expected a job id (u64), got "${v}"`);
  return BigInt(v);
}

export function registerJobCommands(program: Command): void {
  const job = program.command("job").description("Post training jobs, follow them and fetch their models");
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
  job
    .command("status")
    .description("Show a job: phase, reward, trainers and their results, evaluators")
    .argument("<id>", "Job id", jobId)
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .option("--json", "Print JSON")
    .action(mlAction(jobStatus));
  job
    .command("reveal")
    .description("Reveal a job's test set from the salt file `job post` wrote (when posted without --wait)")
    .argument("<id>", "Job id", jobId)
    .option("--salt-file <file>", "The salt file (default: the one `job post` names after the job's commitment)")
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .option("--suri <suri>", "The client's secret URI", "//Alice")
    .option("--json", "Print JSON lines instead of text")
    .action(mlAction(jobReveal));
  job
    .command("fetch")
    .description("Download a job's trained model (the best scored result, or --worker's) and check its hash")
    .argument("<id>", "Job id", jobId)
    .requiredOption("--out <file>", "Where to write the model .onnx")
    .option("--worker <address>", "The trainer whose model to fetch")
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .action(mlAction(jobFetch));
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
}

export const cidString = (bytes: Uint8Array): string => CID.decode(bytes).toString();

// ---- Chain access ----

export async function withApi<T>(rpc: string, f: (api: ApiPromise) => Promise<T>): Promise<T> {
  const { WsProvider, ApiPromise } = await import("@polkadot/api");
  const provider = new WsProvider(rpc, false);
  await provider.connect();
  let api: ApiPromise | undefined;
  try {
    api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
    return await f(api);
  } finally {
    await api?.disconnect();
    await provider.disconnect().catch(() => {});
  }
}

export async function readStorage(api: ApiPromise, key: Uint8Array, at?: string): Promise<Uint8Array | undefined> {
  // An explicit `undefined` block hash would be sent as the zero hash: pass `at` only when given.
  const raw = (await (at === undefined
    ? api.rpc.state.getStorage(toHex(key))
    : api.rpc.state.getStorage(toHex(key), at))) as unknown as {
    isSome: boolean;
    unwrap(): { toU8a(b: boolean): Uint8Array };
  };
  return raw.isSome ? raw.unwrap().toU8a(true) : undefined;
}

export async function readJob(api: ApiPromise, id: bigint, at?: string): Promise<JobValue | undefined> {
  const bytes = await readStorage(api, JobManager.storage.Jobs.keyFor(id), at);
  return bytes && JobManager.storage.Jobs.valueTy.dec(bytes);
}

async function readAssignment(api: ApiPromise, id: bigint, worker: Uint8Array, at?: string) {
  const bytes = await readStorage(api, JobManager.storage.Assignments.keyFor([id, worker]), at);
  return bytes && JobManager.storage.Assignments.valueTy.dec(bytes);
}

async function minWorkerStake(api: ApiPromise): Promise<bigint> {
  return (await readParameter(api, JOB_MANAGER.min_worker_stake)) as bigint;
}

/** A parameter's value at `at` (the best block by default): the stored one, or its default. */
export async function readParameter(api: ApiPromise, knob: AnyKnob, at?: string): Promise<number | bigint> {
  const S = Parameters.storage.Parameters;
  const bytes = await readStorage(api, S.keyFor(keyOf(knob)), at);
  return bytes ? S.valueTy.dec(bytes).value.value : knob.defaultValue;
}

export type SubmittableTx = ReturnType<ApiPromise["tx"][string][string]>;

/**
 * Signs and sends `tx`, resolves at InBlock (or Finalized, if that comes first) with the block hash and the
 * extrinsic's events; throws on failure.
 */
export async function send(api: ApiPromise, tx: SubmittableTx, suri: string) {
  const { Keyring } = await import("@polkadot/api");
  const signer = new Keyring({ type: "sr25519" }).addFromUri(suri);
  return new Promise<{ blockHash: string; events: { section: string; method: string; data: unknown[] }[] }>(
    (resolve, reject) => {
      let unsub: (() => void) | undefined;
      tx.signAndSend(signer, (result) => {
        const status = result.status;
        // A block of a short-lived fork may be retracted before @polkadot/api has read its events (its
        // InBlock is then never reported): finality is the fallback.
        if (status.isInBlock || status.isFinalized) {
          unsub?.();
          const events = result.events.map(({ event }) => ({
            section: event.section,
            method: event.method,
            data: [...event.data],
          }));
          const failed = result.dispatchError;
          if (failed) {
            let error = failed.toString();
            if (failed.isModule) {
              const meta = api.registry.findMetaError(failed.asModule);
              error = `${meta.section}.${meta.name}`;
            }
            reject(new JobCliError({ code: "JOB_CLI_ERROR_DISPATCH", error }, `The chain rejected the call: ${error}`));
            return;
          }
          resolve({ blockHash: (status.isInBlock ? status.asInBlock : status.asFinalized).toHex(), events });
        } else if (status.isInvalid || status.isDropped || status.isUsurped) {
          unsub?.();
          reject(new JobCliError({ code: "JOB_CLI_ERROR_TX", status: status.type }, `Transaction ${status.type}`));
        }
      })
        .then((u) => {
          unsub = u;
        })
        .catch((err: unknown) => reject(err));
    },
  );
}

// ---- job post ----

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
  ids: { model: Uint8Array; train: Uint8Array; commitment: Uint8Array; workerStake: bigint },
): JobSpecValue {
  if ((f.epochs === undefined) === (f.steps === undefined))
    throw new InvalidArgumentError("give exactly one of --epochs and --steps");
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
  };
}

function printer(json: boolean | undefined) {
  return (phase: string, fields: Record<string, unknown>, text: string) => {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ phase, ...fields }, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v))}\n`,
      );
    else process.stdout.write(`${text}\n`);
  };
}

async function jobPost(f: JobPostFlags): Promise<void> {
  if ((f.epochs === undefined) === (f.steps === undefined))
    throw new InvalidArgumentError("give exactly one of --epochs and --steps");
  await cryptoReady();
  const print = printer(f.json);
  const [model, train, test] = await Promise.all([readFile(f.model), readFile(f.train), readFile(f.test)]).then((b) =>
    b.map((x) => new Uint8Array(x)),
  );
  // Local checks first: nothing is uploaded or escrowed for a job no worker could run.
  checkDatasetFits(model, datasetOf(train, f.train), f.loss, f.batch);
  checkDatasetFits(model, datasetOf(test, f.test), f.loss, 1);
  const [modelCid, trainCid, testCid] = [
    await uploadContent(f.rpc, model),
    await uploadContent(f.rpc, train),
    // The test set's CID stays out of the DHT: whoever learns it could fetch the test set before the reveal.
    await uploadContent(f.rpc, test, { announce: false }),
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
  const secret = {
    rpc: f.rpc,
    testCid,
    salt: toHex(salt),
    commitment: toHex(commitment),
    jobId: null as string | null,
  };
  writeFileSync(saltFile, `${JSON.stringify(secret, null, 2)}\n`, { mode: 0o600 });

  await withApi(f.rpc, async (api) => {
    const spec = specFromFlags(f, {
      model: CID.parse(modelCid).bytes,
      train: CID.parse(trainCid).bytes,
      commitment,
      workerStake: f.workerStake ?? (await minWorkerStake(api)),
    });
    const { blockHash, events } = await send(api, api.tx.jobManager.postJob(specArg(spec), f.reward), f.suri);
    const posted = events.find((e) => e.section === "jobManager" && e.method === "JobPosted");
    const id = BigInt(String(posted?.data[0]));
    secret.jobId = id.toString();
    writeFileSync(saltFile, `${JSON.stringify(secret, null, 2)}\n`, { mode: 0o600 });
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

/** How long the client waits for its node to announce a revealed test set. */
const PROVIDE_TIMEOUT_MS = 10_000;

/** What revealing a test set takes: the salt, the binary CID and the client's secret URI. */
type TestSetReveal = { salt: Uint8Array; testCid: Uint8Array; suri: string };

/** Follows job `id` block by block, printing each phase; reveals the test set when asked. Returns the final status. */
async function follow(
  api: ApiPromise,
  rpc: string,
  id: bigint,
  reveal: TestSetReveal,
  print: ReturnType<typeof printer>,
): Promise<string> {
  let last = "";
  let revealed = false;
  return new Promise<string>((resolve, reject) => {
    let unsub: (() => void) | undefined;
    let busy = Promise.resolve();
    const onHead = async (hash: string, number: number) => {
      const job = await readJob(api, id, hash);
      if (!job) return;
      const status = job.status.tag;
      if (status !== last) {
        last = status;
        const extra: Record<string, unknown> = { job: id, block: number };
        let text = `[#${number}] job ${id}: ${status}`;
        if (status === "Training") {
          extra.workers = job.workers.map(toHex);
          extra.evaluators = job.evaluators.map(toHex);
          text += ` (${job.workers.length} trainer(s), ${job.evaluators.length} evaluator(s) drawn)`;
        }
        if (status === "Failed") text += ` (${(job.status as { value: { tag: string } }).value.tag})`;
        if (status === "Succeeded" || status === "Failed" || status === "TestSetWithheld") {
          const results = [];
          for (const w of job.workers) {
            const a = await readAssignment(api, id, w, hash);
            results.push({
              worker: toHex(w),
              accuracyPpm: a?.accuracy_ppm ?? null,
              model: a?.result ? cidString(a.result.model_cid) : null,
            });
          }
          extra.results = results;
          text += results
            .map((r) => `\n  ${r.worker.slice(0, 12)}… accuracy ${r.accuracyPpm ?? "-"} ppm, model ${r.model ?? "-"}`)
            .join("");
        }
        print(status, extra, text);
      }
      if (status === "AwaitingTestSet" && !revealed) {
        revealed = true;
        await revealTestSet(api, rpc, id, reveal, print);
      }
      if (["Succeeded", "Failed", "Cancelled", "Expired", "TestSetWithheld"].includes(status)) {
        unsub?.();
        resolve(status);
      }
    };
    api.rpc.chain
      .subscribeNewHeads((header) => {
        const hash = header.hash.toHex();
        const number = header.number.toNumber();
        busy = busy
          .then(() => onHead(hash, number))
          .catch((err: unknown) => {
            unsub?.();
            reject(err);
          });
      })
      .then((u) => {
        unsub = u;
      }, reject);
  });
}

// ---- job status ----

async function jobStatus(id: bigint, f: { rpc: string; json?: boolean }): Promise<void> {
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    const job = await readJob(api, id);
    if (!job) throw new JobCliError({ code: "JOB_CLI_ERROR_NOT_FOUND", job: id.toString() }, `No job ${id}`);
    const results = [];
    for (const w of job.workers) {
      const a = await readAssignment(api, id, w);
      results.push({
        worker: toHex(w),
        stake: a?.stake ?? 0n,
        model: a?.result ? cidString(a.result.model_cid) : null,
        modelHash: a?.result ? toHex(a.result.model_hash) : null,
        workRoot: a?.result ? toHex(a.result.work_root) : null,
        claimedAccuracyPpm: a?.result?.metrics.accuracy_ppm ?? null,
        accuracyPpm: a?.accuracy_ppm ?? null,
      });
    }
    const out = {
      job: id.toString(),
      status: job.status.tag,
      reason: job.status.tag === "Failed" ? job.status.value.tag : undefined,
      client: toHex(job.client),
      reward: job.reward.toString(),
      networkFee: job.network_fee.toString(),
      held: job.held.toString(),
      postedAt: job.posted_at,
      deadline: job.deadline,
      minAccuracyPpm: job.spec.min_accuracy_ppm,
      model: cidString(job.spec.model_cid),
      trainingSet: cidString(job.spec.training_set_cid),
      testSet: job.test_set ? cidString(job.test_set.cid) : null,
      workers: results.map((r) => ({ ...r, stake: r.stake.toString() })),
      evaluators: job.evaluators.map(toHex),
    };
    if (f.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const lines = [
      `job ${out.job}: ${out.status}${out.reason ? ` (${out.reason})` : ""}`,
      `  reward ${out.reward} planck, network fee ${out.networkFee}, held ${out.held}, min accuracy ${out.minAccuracyPpm} ppm`,
      `  posted at #${out.postedAt}${out.deadline ? `, phase ends at #${out.deadline}` : ""}`,
      `  model ${out.model}, training set ${out.trainingSet}${out.testSet ? `, test set ${out.testSet}` : ""}`,
      ...out.workers.map(
        (w) =>
          `  trainer ${w.worker}: ${w.model ? `model ${w.model}, claimed ${w.claimedAccuracyPpm} ppm` : "no result"}${w.accuracyPpm !== null ? `, scored ${w.accuracyPpm} ppm` : ""}`,
      ),
      ...out.evaluators.map((e) => `  evaluator ${e}`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  });
}

// ---- job fetch ----

async function jobFetch(id: bigint, f: { rpc: string; out: string; worker?: string }): Promise<void> {
  await cryptoReady();
  const { decodeAddress } = await import("@polkadot/util-crypto");
  const chosen = f.worker ? decodeAddress(f.worker) : undefined;
  const { cid, hash } = await withApi(f.rpc, async (api) => {
    const job = await readJob(api, id);
    if (!job) throw new JobCliError({ code: "JOB_CLI_ERROR_NOT_FOUND", job: id.toString() }, `No job ${id}`);
    let best: { cid: Uint8Array; hash: Uint8Array; score: number } | undefined;
    for (const w of job.workers) {
      if (chosen && !bytesEqual(chosen, w)) continue;
      const a = await readAssignment(api, id, w);
      if (!a?.result) continue;
      const score = a.accuracy_ppm ?? -1;
      if (!best || score > best.score) best = { cid: a.result.model_cid, hash: a.result.model_hash, score };
    }
    if (!best)
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_NO_RESULT", job: id.toString() },
        `Job ${id} has no submitted model${f.worker ? ` from ${f.worker}` : ""}`,
      );
    return { cid: cidString(best.cid), hash: best.hash };
  });
  const model = await downloadContent(f.rpc, cid);
  if (!bytesEqual(blake2_256(model), hash))
    throw new JobCliError(
      { code: "JOB_CLI_ERROR_MODEL_HASH", cid },
      `The model ${cid} does not match the model hash on chain`,
    );
  await writeFileAtomic(f.out, model);
  process.stdout.write(`Wrote ${f.out} (${model.length} bytes, model ${cid})\n`);
}

// ---- job reveal ----

/** The salt file `job post` writes for a commitment, in the current directory. */
export const defaultSaltFile = (commitment: Uint8Array) => `tensorchain-job-${toHex(commitment).slice(2, 18)}.json`;

/** Reads a salt file written by `job post`. */
export function readSaltFile(path: string): { testCid: string; salt: Uint8Array; jobId: string | null } {
  const bad = (reason: string) =>
    new JobCliError({ code: "JOB_CLI_ERROR_SALT_FILE", path, reason }, `Salt file ${path}: ${reason}`);
  if (!existsSync(path)) throw bad("not found");
  let j: { testCid?: unknown; salt?: unknown; jobId?: unknown };
  try {
    j = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof j.testCid !== "string" || typeof j.salt !== "string" || !/^0x[0-9a-f]{64}$/i.test(j.salt))
    throw bad("it needs testCid and a 32-byte hex salt");
  return { testCid: j.testCid, salt: fromHex(j.salt), jobId: typeof j.jobId === "string" ? j.jobId : null };
}

async function jobReveal(
  id: bigint,
  f: { rpc: string; suri: string; saltFile?: string; json?: boolean },
): Promise<void> {
  await cryptoReady();
  const print = printer(f.json);
  await withApi(f.rpc, async (api) => {
    const job = await readJob(api, id);
    if (!job) throw new JobCliError({ code: "JOB_CLI_ERROR_NOT_FOUND", job: id.toString() }, `No job ${id}`);
    const path = f.saltFile ?? defaultSaltFile(job.spec.test_set_commitment);
    const secret = readSaltFile(path);
    if (secret.jobId !== null && secret.jobId !== id.toString())
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_SALT_FILE", path, reason: `it is for job ${secret.jobId}` },
        `Salt file ${path} is for job ${secret.jobId}, not ${id}`,
      );
    let testCid: Uint8Array;
    try {
      testCid = CID.parse(secret.testCid).bytes;
    } catch {
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_SALT_FILE", path, reason: "bad testCid" },
        `Salt file ${path}: bad testCid`,
      );
    }
    // Checked here so a wrong file costs no fee: the chain would reject it as TestSetMismatch.
    if (!bytesEqual(testSetCommitment(testCid, secret.salt), job.spec.test_set_commitment))
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_SALT_FILE", path, reason: "does not match the job's commitment" },
        `Salt file ${path} does not match job ${id}'s test-set commitment`,
      );
    if (job.status.tag !== "AwaitingTestSet")
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_PHASE", job: id.toString(), status: job.status.tag },
        `Job ${id} is ${job.status.tag}: the test set is revealed while it is AwaitingTestSet`,
      );
    await revealTestSet(api, f.rpc, id, { salt: secret.salt, testCid, suri: f.suri }, print);
  });
}

/** Sends `reveal_test_set`, then asks the node to announce the test set (now public) to the evaluators. */
async function revealTestSet(
  api: ApiPromise,
  rpc: string,
  id: bigint,
  reveal: TestSetReveal,
  print: ReturnType<typeof printer>,
): Promise<void> {
  const tx = api.tx.jobManager.revealTestSet(id, toHex(reveal.testCid), toHex(reveal.salt));
  const { blockHash } = await send(api, tx, reveal.suri);
  print("revealed", { job: id, block: blockHash }, `Revealed the test set in block ${blockHash}`);
  // Best effort, bounded: evaluators connected to this node fetch it over bitswap anyway.
  await rpcRequest(rpc, "content_provide", [cidString(reveal.testCid), PROVIDE_TIMEOUT_MS], {
    signal: AbortSignal.timeout(PROVIDE_TIMEOUT_MS + 2_000),
  }).catch(() => {});
}
