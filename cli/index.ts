/**
 * The `tensorchain` command: runs a node by default, with sub-commands for keys, chain specs and the
 * ML engine. Each sub-command lives in `commands/` and registers itself on the program.
 */
import { Command } from "commander";
import { registerMlCommands } from "./commands/ml.js";

export function buildProgram(): Command {
  const program = new Command("tensorchain")
    .description("A Substrate-style full node with proof of useful ML work")
    .showHelpAfterError()
    .exitOverride();
  registerMlCommands(program);
  return program;
}
