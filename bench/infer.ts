/**
 * Inference throughput (DESIGN §11): images/s of `InferenceRunner` (worker/infer: the warm thread, one
 * session run per request, output as safetensors with its blake2-256 hash) on the MNIST MLP and CNN
 * templates with 500-image batches of real MNIST test images, against plain onnxruntime-node
 * `InferenceSession.run` on the same model, batch and session options (cpu-exact: one thread) in this
 * process, printed as a ratio (goal >= 0.9).
 *
 * The runner is timed from `run()` to its result, with the input as a safetensors file the caller keeps
 * (copied into the thread's shared slot; the default) and handed over (`transferInput`: a fresh copy of
 * the file per request, made before the block starts, as a provider hands over bytes it fetched). The
 * plain run is timed from a ready Float32Array to its output tensor. A block's requests are all made at
 * once to the runner, as a provider with a backlog makes them (the runner keeps up to two in flight in
 * its thread), and one after another to the plain session (concurrent `run`s of one session would not
 * make it faster on its one thread). Warm runs first, then ROUNDS rounds of one block per contender in
 * alternating order; medians of the blocks' rates. Figures only.
 *
 * Then (unless `BENCH_INFER_DEVNET=0`) the latency of whole requests on a devnet, split by phase
 * (`inferDevnet.ts`).
 */
import ort from "onnxruntime-node";
import { blake2_256, cryptoReady } from "../primitives/hashing.js";
import { nullLogger } from "../primitives/logger.js";
import { mnistSplits } from "../worker/data/mnist.js";
import { encodeSafetensors } from "../worker/data/safetensors.js";
import { InferenceRunner } from "../worker/infer/runner.js";
import { buildTemplateModel, type TemplateArch } from "../worker/templates/models.js";
import { resolveProfile } from "../worker/train/profile.js";

const BATCH = 500;
const ROUNDS = 15;
const WARM = 5;
/** Requests per timed block: about 30-60 ms of work, so that a timer tick is a small part of a block. */
const BLOCK: Record<TemplateArch, number> = { mlp: 24, cnn: 6 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

interface Contender {
  name: string;
  /** Prepares a block of `n` requests (untimed), then returns the timed run of one. */
  prepare: (n: number) => void;
  run: (i: number) => Promise<void>;
  /** Whether a block's requests are made at once (else one after another). */
  concurrent: boolean;
}

async function archBench(arch: TemplateArch, images: Float32Array): Promise<void> {
  const model = buildTemplateModel(arch, { seed: 1n });
  const modelHash = blake2_256(model);
  const dims = arch === "mlp" ? [BATCH, 784] : [BATCH, 1, 28, 28];
  const input = encodeSafetensors(new Map([["x", { dtype: "float32", dims, data: images }]]));
  const { sessionOptions } = resolveProfile("cpu-exact", 1, nullLogger);
  const session = await ort.InferenceSession.create(model, sessionOptions);
  const runner = new InferenceRunner();
  let fresh: Uint8Array[] = [];
  const contenders: Contender[] = [
    {
      name: "plain InferenceSession.run",
      concurrent: false,
      prepare: () => {},
      run: async () => {
        await session.run({ x: new ort.Tensor("float32", images, dims) });
      },
    },
    {
      name: "runner (input copied)",
      concurrent: true,
      prepare: () => {},
      run: async () => {
        await runner.run({ modelHash, modelBytes: model, input, profile: "cpu-exact" });
      },
    },
    {
      name: "runner (input transferred)",
      concurrent: true,
      prepare: (n) => {
        fresh = Array.from({ length: n }, () => input.slice());
      },
      run: async (i) => {
        await runner.run({ modelHash, input: fresh[i], profile: "cpu-exact", transferInput: true });
      },
    },
  ];
  for (const c of contenders) {
    c.prepare(WARM);
    for (let i = 0; i < WARM; i++) await c.run(i);
  }
  const block = BLOCK[arch];
  const rates: number[][] = contenders.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const order = [...contenders.entries()];
    if (r % 2 === 1) order.reverse();
    for (const [k, c] of order) {
      c.prepare(block);
      const t0 = performance.now();
      if (c.concurrent) await Promise.all(Array.from({ length: block }, (_, i) => c.run(i)));
      else for (let i = 0; i < block; i++) await c.run(i);
      rates[k].push((block * BATCH) / ((performance.now() - t0) / 1000));
    }
  }
  await runner.close();
  await session.release();
  const [plain, ...rest] = rates.map(median);
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  console.log(`${arch} (batch ${BATCH}, cpu-exact, 1 thread, median of ${ROUNDS} blocks of ${block} requests):`);
  console.log(`  ${contenders[0].name.padEnd(28)} ${fmt(plain).padStart(9)} images/s`);
  for (const [i, rate] of rest.entries()) {
    const name = contenders[i + 1].name.padEnd(28);
    console.log(`  ${name} ${fmt(rate).padStart(9)} images/s   ratio ${(rate / plain).toFixed(3)} (goal >= 0.9)`);
  }
  console.log(`  runner stats: ${JSON.stringify(runner.stats)}`);
}

export async function runInferBench(): Promise<void> {
  await cryptoReady();
  const images = mnistSplits(1, BATCH).test.x.data as Float32Array;
  for (const arch of ["mlp", "cnn"] as const) await archBench(arch, images);
  if (process.env.BENCH_INFER_DEVNET !== "0") await (await import("./inferDevnet.js")).runInferDevnetBench();
}
