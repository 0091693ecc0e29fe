/**
 * `tensorchain train`: trains a model in a worker thread under the job's rules (batch order from seed and
 * worker key, per-step state hashes) and writes the trained ONNX model. Outputs are written only after
 * the last step, each through a temporary file, so a failed run leaves no partial file behind.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { toHex } from "../../primitives/hex.js";
import { createLogger } from "../../primitives/logger.js";
import type { LossKind } from "../../worker/autodiff/losses.js";
import { datasetSize, loadDataset } from "../../worker/data/dataset.js";
import { decodeModel } from "../../worker/onnx/model.js";
import type { OptimizerKind } from "../../worker/optim/optimizers.js";
import { encodeCheckpoint } from "../../worker/train/checkpoint.js";
import { TrainError } from "../../worker/train/errors.js";
import { EXECUTION_PROFILES, type ExecutionProfile } from "../../worker/train/profile.js";
import type { LrSchedule } from "../../worker/train/runner.js";
import { trainInWorker } from "../../worker/train/trainInWorker.js";
import { writeFileAtomic } from "../../worker/util/atomicWrite.js";
import { hexBytes, mlAction, positiveFloat, positiveInt, progressLine, seedArg } from "./mlCommon.js";

interface TrainOpts {
  model: string;
  dataset: string;
  epochs?: number;
  steps?: number;
  batch: number;
  optimizer: OptimizerKind;
  lr: number;
  lrSchedule: "constant" | "linear-decay";
  momentum: number;
  weightDecay: number;
  loss: LossKind;
  seed: bigint;
  workerKey: Uint8Array;
  out: string;
  threads: number;
  profile: ExecutionProfile | "auto";
  hashes?: string;
  checkpointEvery?: number;
  checkpointDir?: string;
}

export function registerTrainCommand(program: Command): void {
  program
    .command("train")
    .description("Train an ONNX model on a dataset; prints the final state hash")
    .requiredOption("--model <file>", "Forward model .onnx (outputs logits for cross-entropy)")
    .requiredOption("--dataset <file>", "Training set .safetensors (x, y)")
    .option("--epochs <n>", "Epochs (each drops the last partial batch)", positiveInt)
    .option("--steps <n>", "Steps (instead of --epochs)", positiveInt)
    .requiredOption("--batch <n>", "Batch size", positiveInt)
    .addOption(new Option("--optimizer <kind>", "Optimizer").choices(["sgd", "momentum", "adam"]).makeOptionMandatory())
    .requiredOption("--lr <rate>", "Learning rate", positiveFloat)
    .addOption(
      new Option("--lr-schedule <kind>", "Learning-rate schedule")
        .choices(["constant", "linear-decay"])
        .default("constant"),
    )
    .option("--momentum <mu>", "Momentum coefficient (momentum optimizer)", Number, 0.9)
    .option("--weight-decay <wd>", "Weight decay (L2 for sgd/momentum, decoupled for adam)", Number, 0)
    .addOption(new Option("--loss <kind>", "Loss").choices(["cross_entropy", "mse"]).default("cross_entropy"))
    .requiredOption("--seed <n>", "Job seed (fixes the batch order with the worker key)", seedArg)
    .option("--worker-key <hex>", "Worker public key (hex); part of the batch-order seed", hexBytes, new Uint8Array(32))
    .requiredOption("--out <file>", "Trained model .onnx")
    .option("--threads <n>", "onnxruntime intra-op threads (more than 1 leaves profile cpu-exact)", positiveInt, 1)
    .addOption(
      new Option("--profile <profile>", "Execution profile").choices(["auto", ...EXECUTION_PROFILES]).default("auto"),
    )
    .option("--hashes <file>", "Write every step's state hash, one 'step 0x…' line per step")
    .option("--checkpoint-every <k>", "Write a checkpoint every k steps (with --checkpoint-dir)", positiveInt)
    .option("--checkpoint-dir <dir>", "Directory for checkpoints (step-<n>.safetensors)")
    .action(mlAction(train));
}

async function train(opts: TrainOpts): Promise<void> {
  if ((opts.epochs === undefined) === (opts.steps === undefined))
    throw new InvalidArgumentError("give exactly one of --epochs and --steps");
  if ((opts.checkpointEvery === undefined) !== (opts.checkpointDir === undefined)) {
    throw new InvalidArgumentError("--checkpoint-every and --checkpoint-dir go together");
  }
  const log = createLogger({ level: "info" });
  const modelBytes = new Uint8Array(await readFile(opts.model));
  decodeModel(modelBytes); // corrupt or unsupported-opset files fail here, before a thread starts
  const dataset = await loadDataset(opts.dataset);
  const stepsPerEpoch = Math.floor(datasetSize(dataset) / opts.batch);
  if (stepsPerEpoch < 1) {
    throw new TrainError(
      { code: "TRAIN_ERROR_BAD_OPTIONS", reason: "batch larger than dataset" },
      `--batch ${opts.batch} is larger than the dataset (${datasetSize(dataset)} samples)`,
    );
  }
  const totalSteps = opts.steps ?? stepsPerEpoch * opts.epochs!;
  const lrSchedule: LrSchedule =
    opts.lrSchedule === "linear-decay" ? { kind: "linear-decay", totalSteps } : { kind: "constant" };
  if (opts.checkpointDir) await mkdir(opts.checkpointDir, { recursive: true });
  const checkpointWrites: Promise<void>[] = [];

  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  const result = await trainInWorker(
    {
      job: {
        model: modelBytes,
        dataset,
        loss: opts.loss,
        optimizer: { kind: opts.optimizer, momentum: opts.momentum, weightDecay: opts.weightDecay },
        lr: opts.lr,
        lrSchedule,
        batchSize: opts.batch,
        seed: opts.seed,
        workerKey: opts.workerKey,
        profile: opts.profile,
        threads: opts.threads,
      },
      untilStep: totalSteps,
      checkpointEvery: opts.checkpointEvery,
    },
    {
      log,
      onProgress: (p) => {
        if (!tty) return;
        const secs = (performance.now() - started) / 1000;
        process.stderr.write(progressLine(p.step, p.totalSteps, p.loss, (p.step * opts.batch) / secs));
      },
      onCheckpoint: (cp) => {
        const path = join(opts.checkpointDir!, `step-${cp.step}.safetensors`);
        checkpointWrites.push(writeFileAtomic(path, encodeCheckpoint(cp)));
      },
    },
  );
  if (tty) process.stderr.write("\n");
  await Promise.all(checkpointWrites);
  if (opts.hashes) {
    await writeFileAtomic(opts.hashes, result.steps.map((s) => `${s.step} ${toHex(s.stateHash!)}\n`).join(""));
  }
  await writeFileAtomic(opts.out, result.model);
  const last = result.steps.at(-1)!;
  const secs = (performance.now() - started) / 1000;
  log.info("Training finished", {
    steps: last.step,
    loss: Number(last.loss.toFixed(6)),
    seconds: Number(secs.toFixed(2)),
    out: opts.out,
  });
  process.stdout.write(`state-hash: ${toHex(last.stateHash!)}\n`);
}
