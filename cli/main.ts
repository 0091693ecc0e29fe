/** Process entry point of the `tensorchain` binary. */
import { buildRuntime } from "../runtime/index.js";
import { buildProgram } from "./index.js";

buildRuntime();
const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { exitCode?: number }).exitCode;
  if (typeof code !== "number") process.stderr.write(`Error: ${(err as Error).message}\n`);
  process.exit(typeof code === "number" ? code : 1);
}
