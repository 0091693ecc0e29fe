import type { Command } from "commander";
import { registerDatasetCommands } from "./dataset.js";
import { registerEvalCommand } from "./eval.js";
import { registerModelCommands } from "./model.js";
import { registerTrainCommand } from "./train.js";

/** Registers the ML engine's sub-commands (dataset, model, train, eval). */
export function registerMlCommands(program: Command): void {
  registerDatasetCommands(program);
  registerModelCommands(program);
  registerTrainCommand(program);
  registerEvalCommand(program);
}
