/** `tensorchain model init`: writes a template forward model (ONNX) with seeded initial weights. */
import { type Command, Option } from "commander";
import { cryptoReady } from "../../primitives/hashing.js";
import { buildTemplateModel, TEMPLATE_ARCHS, type TemplateArch } from "../../worker/templates/models.js";
import { writeFileAtomic } from "../../worker/util/atomicWrite.js";
import { mlAction, seedArg } from "./mlCommon.js";

export function registerModelCommands(program: Command): void {
  const model = program.command("model").description("Create ONNX model templates");
  model
    .command("init")
    .description("Write a template model: mlp (784-128-10) or cnn (two conv layers)")
    .addOption(new Option("--arch <arch>", "Architecture").choices([...TEMPLATE_ARCHS]).makeOptionMandatory())
    .requiredOption("--out <file>", "Output .onnx file")
    .addOption(new Option("--seed <n>", "Seed of the initial weights").argParser(seedArg).default(0n, "0"))
    .action(
      mlAction(async (opts: { arch: TemplateArch; out: string; seed: bigint }) => {
        await cryptoReady();
        await writeFileAtomic(opts.out, buildTemplateModel(opts.arch, { seed: opts.seed }));
        process.stdout.write(`Wrote ${opts.arch} model to ${opts.out}\n`);
      }),
    );
}
