/**
 * `npm run bench -- <name>`: runs one benchmark (or all without a name). Benchmarks print figures and
 * ratios against a baseline measured in the same process; they never pass or fail.
 */
import { buildRuntime } from "../runtime/index.js";

// One runtime per process: the dev runtime (with Sudo), since the sync bench runs dev-chain nodes in
// this process; every other bench's chain needs no more than it has. Devnets run as child processes.
buildRuntime({ sudo: true });

const benches: Record<string, () => Promise<void>> = {
  import: async () => (await import("./import.js")).runImportBench(),
  codec: async () => (await import("./codec.js")).runCodecBench(),
  verify: async () => (await import("./verify.js")).runVerifyBench(),
  trie: async () => (await import("./trie.js")).runTrieBench(),
  train: async () => (await import("./train.js")).runTrainBench(),
  infer: async () => (await import("./infer.js")).runInferBench(),
  audit: async () => (await import("./audit.js")).runAuditBench(),
  sync: async () => (await import("./sync.js")).runSyncBench(),
  job: async () => (await import("./job.js")).runJobBench(),
  rpc: async () => (await import("./rpc.js")).runRpcBench(),
  "rpc-isolation": async () => (await import("./rpcIsolation.js")).runRpcIsolationBench(),
  pouw: async () => (await import("./pouw.js")).runPouwBench(),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in benches));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Available: ${Object.keys(benches).join(", ")}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
  console.log(`\n== ${name} ==`);
  await benches[name]();
}
