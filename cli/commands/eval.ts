/** `tensorchain eval`: accuracy and loss of a model on a dataset, as exact integers (ppm). */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { createLogger } from "../../primitives/logger.js";
import { loadDataset } from "../../worker/data/dataset.js";
import { evaluateModel, formatPpm } from "../../worker/eval/evaluate.js";
import { mlAction } from "./mlCommon.js";

export function registerEvalCommand(program: Command): void {
  program
    .command("eval")
    .description("Evaluate a model on a dataset (deterministic accuracy and loss)")
    .requiredOption("--model <file>", "Model .onnx file")
    .requiredOption("--dataset <file>", "Dataset .safetensors file")
    .option("--json", "Print one JSON object")
    .action(
      mlAction(async (opts: { model: string; dataset: string; json?: boolean }) => {
        const log = createLogger({ level: opts.json ? "warn" : "info" });
        const [model, ds] = await Promise.all([readFile(opts.model), loadDataset(opts.dataset)]);
        const r = await evaluateModel(new Uint8Array(model), ds, { log });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        if (r.accuracyPpm !== null) process.stdout.write(`accuracy: ${formatPpm(r.accuracyPpm)}\n`);
        process.stdout.write(`loss: ${formatPpm(r.lossPpm)}\n`);
        process.stdout.write(`samples: ${r.samples}\n`);
      }),
    );
}
