/**
 * Process entry point of the `tensorchain` binary. The runtime is not built here: running a node builds
 * the one its chain spec calls for (with Sudo on `dev` only), and the other commands get the default
 * runtime on first use (see `runtime/construct.ts`).
 */
import { buildProgram } from "./index.js";

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { exitCode?: number }).exitCode;
  if (typeof code !== "number") process.stderr.write(`Error: ${(err as Error).message}\n`);
  process.exit(typeof code === "number" ? code : 1);
}
