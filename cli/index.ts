/**
 * The `tensorchain` command: runs a node by default, with sub-commands for keys, chain specs and the
 * ML engine. Each sub-command lives in `commands/` and registers itself on the program.
 */
import { Command } from "commander";
import { registerChainSpecCommands } from "./commands/chainSpec.js";
import { registerDevnetCommand } from "./commands/devnet.js";
import { registerGovCommands } from "./commands/gov.js";
import { registerInferCommands } from "./commands/infer/index.js";
import { registerJobCommands } from "./commands/job/index.js";
import { registerKeyCommands } from "./commands/key.js";
import { registerMlCommands } from "./commands/ml.js";
import { registerRunCommand } from "./commands/run.js";

export function buildProgram(): Command {
  const program = new Command("tensorchain")
    .description("A Substrate-style full node with proof of useful ML work")
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  registerRunCommand(program);
  registerKeyCommands(program);
  registerChainSpecCommands(program);
  registerMlCommands(program);
  registerDevnetCommand(program);
  registerJobCommands(program);
  registerGovCommands(program);
  registerInferCommands(program);
  return program;
}
