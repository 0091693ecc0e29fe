/**
 * `tensorchain job audit`: re-executes one segment of a training job locally, as an auditor does
 * (`worker/verify/segment.ts`), and prints the end state hash and end step. Everything comes from files
 * and flags (no node needed): the job's model and training set, the start checkpoint (leaf I-1, absent
 * for segment 1), and the job's hyper-parameters, seed and the trainer's key. Compare the hash with the
 * trainer's revealed leaf I.
 */
import { readFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { createLogger } from "../../../primitives/logger.js";
import type { LossKind } from "../../../worker/autodiff/losses.js";
import { loadDataset } from "../../../worker/data/dataset.js";
import type { OptimizerKind } from "../../../worker/optim/optimizers.js";
import { reexecuteSegment } from "../../../worker/verify/segment.js";
import { mlAction, positiveFloat, positiveInt, seedArg } from "../mlCommon.js";
import { accountKey } from "./common.js";

/** Larger start checkpoints are refused unless `--max-checkpoint-bytes` says otherwise. */
const DEFAULT_MAX_CHECKPOINT_BYTES = 1 << 30;

interface AuditFlags {
  model: string;
  data: string;
  checkpoint?: string;
  index: number;
  interval: number;
  steps: number;
  seed: bigint;
  worker: string;
  lr: number;
  batchSize: number;
  optimizer: OptimizerKind;
  loss: "cross-entropy" | "mse";
  maxCheckpointBytes: number;
  json?: boolean;
}

export function registerJobAudit(job: Command): void {
  job
    .command("audit")
    .description("Re-execute one segment of a training job (cpu-exact) and print its end state hash")
    .requiredOption("--model <file>", "The job's model .onnx")
    .requiredOption("--data <file>", "The job's training set .safetensors")
    .option("--checkpoint <file>", "Start checkpoint .safetensors (leaf I-1); absent for segment 1")
    .requiredOption("--index <i>", "Segment index I (1-based)", positiveInt)
    .requiredOption("--interval <k>", "The job's checkpoint interval", positiveInt)
    .requiredOption("--steps <n>", "The job's total training steps", positiveInt)
    .requiredOption("--seed <n>", "The job's seed", seedArg)
    .requiredOption("--worker <key>", "The trainer's address (SS58) or public key (hex)")
    .requiredOption("--lr <rate>", "Learning rate", positiveFloat)
    .requiredOption("--batch-size <n>", "Batch size", positiveInt)
    .addOption(new Option("--optimizer <kind>", "Optimizer").choices(["sgd", "momentum", "adam"]).makeOptionMandatory())
    .addOption(new Option("--loss <kind>", "Loss").choices(["cross-entropy", "mse"]).default("cross-entropy"))
    .option(
      "--max-checkpoint-bytes <n>",
      "Largest start checkpoint accepted",
      positiveInt,
      DEFAULT_MAX_CHECKPOINT_BYTES,
    )
    .option("--json", "Print JSON")
    .action(mlAction(jobAudit));
}

async function jobAudit(f: AuditFlags): Promise<void> {
  await cryptoReady();
  const log = createLogger({ level: "warn" });
  const [model, dataset, startCheckpoint, key] = await Promise.all([
    readFile(f.model).then((b) => new Uint8Array(b)),
    loadDataset(f.data),
    f.checkpoint ? readFile(f.checkpoint).then((b) => new Uint8Array(b)) : undefined,
    accountKey(f.worker, "--worker"),
  ]);
  const loss: LossKind = f.loss === "mse" ? "mse" : "cross_entropy";
  const r = await reexecuteSegment(
    {
      job: {
        model,
        dataset,
        loss,
        optimizer: { kind: f.optimizer },
        lr: f.lr,
        lrSchedule: { kind: "constant" },
        batchSize: f.batchSize,
        seed: f.seed,
        workerKey: key,
        profile: "cpu-exact",
      },
      leafInterval: f.interval,
      totalSteps: f.steps,
      index: f.index,
      startCheckpoint,
      maxCheckpointBytes: f.maxCheckpointBytes,
    },
    { log },
  );
  const out = { index: r.index, startStep: r.startStep, endStep: r.endStep, endStateHash: toHex(r.endStateHash) };
  if (f.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else
    process.stdout.write(
      `segment ${out.index}: steps ${out.startStep + 1}..${out.endStep}\nend-step: ${out.endStep}\nend-state-hash: ${out.endStateHash}\n`,
    );
}
