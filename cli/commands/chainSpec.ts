/** `build-spec` and `purge-chain`. */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { loadChainSpec, runtimeOptionsOf, toRawSpec } from "../../genesis/chainSpec.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { buildRuntime } from "../../runtime/index.js";
import { defaultBasePath } from "./run.js";

export function registerChainSpecCommands(program: Command): void {
  program
    .command("build-spec")
    .description("Print a chain spec as JSON")
    .option("--chain <spec>", "dev, local, or a path to a chain spec JSON file", "local")
    .option("--dev", "Shorthand for --chain dev")
    .option("--raw", "Write the genesis as raw storage")
    .action(async (opts: { chain: string; dev?: boolean; raw?: boolean }) => {
      await cryptoReady();
      const spec = loadChainSpec(opts.dev ? "dev" : opts.chain);
      // The raw genesis holds `:code`, which names the chain's own runtime (with Sudo on dev only).
      buildRuntime(runtimeOptionsOf(spec));
      process.stdout.write(`${JSON.stringify(opts.raw ? toRawSpec(spec) : spec, null, 2)}\n`);
    });

  program
    .command("purge-chain")
    .description("Remove a chain's database (the keystore is kept)")
    .option("--chain <spec>", "dev, local, or a path to a chain spec JSON file", "local")
    .option("--dev", "Shorthand for --chain dev")
    .option("-d, --base-path <path>", "The node's base path")
    .option("-y", "Do not ask for confirmation")
    .action(async (opts: { chain: string; dev?: boolean; basePath?: string }) => {
      await cryptoReady();
      const spec = loadChainSpec(opts.dev ? "dev" : opts.chain);
      const dbPath = join(opts.basePath ?? defaultBasePath(), "chains", spec.id, "db");
      if (!existsSync(dbPath)) {
        process.stdout.write(`${dbPath} did not exist.\n`);
        return;
      }
      rmSync(dbPath, { recursive: true, force: true });
      process.stdout.write(`${dbPath} removed.\n`);
    });
}
