/**
 * Runs the fuzz targets of `test/fuzz/` with a chosen budget, one target (one jest process) at a time,
 * and prints each target's time. `npm test` runs the same files with the CI budget (1000 cases).
 *
 *   npm run fuzz                          # every target, FUZZ_RUNS or 1000 cases each
 *   npm run fuzz -- --runs 100000         # the long run
 *   npm run fuzz -- --runs 100000 trie    # one target (scale, extrinsic, trie, rpc)
 *   npm run fuzz -- --seed 42 scale       # replay a failure (fast-check prints the seed; FUZZ_PATH too)
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TARGETS: Record<string, string> = {
  scale: "test/fuzz/scale.test.ts",
  extrinsic: "test/fuzz/extrinsic.test.ts",
  trie: "test/fuzz/trieProof.test.ts",
  rpc: "test/fuzz/rpcParams.test.ts",
};

function usage(message: string): never {
  console.error(`${message}\nusage: npm run fuzz -- [--runs N] [--seed S] [${Object.keys(TARGETS).join("|")} ...]`);
  process.exit(2);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env: NodeJS.ProcessEnv = { ...process.env };
const chosen: string[] = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === "--runs" || arg === "--seed") {
    const v = args[++i];
    if (v === undefined || !/^-?\d+$/.test(v)) usage(`${arg} needs an integer`);
    env[arg === "--runs" ? "FUZZ_RUNS" : "FUZZ_SEED"] = v;
  } else if (arg in TARGETS) chosen.push(arg);
  else usage(`unknown argument ${arg}`);
}
const targets = chosen.length > 0 ? chosen : Object.keys(TARGETS);
const runs = env.FUZZ_RUNS ?? "1000";

const results: { target: string; ok: boolean; seconds: number }[] = [];
for (const target of targets) {
  console.log(`\n== fuzz ${target}: ${runs} runs`);
  const start = performance.now();
  const r = spawnSync(
    process.execPath,
    ["--experimental-vm-modules", "node_modules/jest/bin/jest.js", "--verbose", TARGETS[target]],
    { cwd: root, env, stdio: "inherit" },
  );
  results.push({ target, ok: r.status === 0, seconds: (performance.now() - start) / 1000 });
}

console.log(`\nfuzz summary (${runs} runs per target)`);
for (const { target, ok, seconds } of results)
  console.log(`  ${target.padEnd(10)} ${ok ? "passed" : "FAILED"}  ${seconds.toFixed(1)} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
