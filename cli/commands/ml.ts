import type { Command } from "commander";

/** Registers the ML engine's sub-commands (dataset, model, train, eval). */
export function registerMlCommands(_program: Command): void {}
