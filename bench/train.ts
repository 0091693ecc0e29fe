/**
 * Training figures for the ML engine, on one onnxruntime thread (profile cpu-exact), real MNIST data:
 * 1. samples/s of the generated training graph against a hand-written ONNX training graph for the same
 *    MLP (784-128-10 template, batch 64, SGD), run side by side in one process in alternating blocks;
 *    printed as a ratio (goal >= 0.95);
 * 2. the cost of leaf hashing (the state hashed after every 16th step, as a worker does with
 *    `checkpoint_interval` 16) as % of training time against the same run without hashing, for the MLP
 *    and the CNN template, with SGD (state = parameters) and Adam (state = parameters + 2 moments):
 *    synchronous hashing on the training thread and overlapped hashing on a hasher thread (what the
 *    runner does by default). The cost is the median over rounds of the ratio between a round's blocks
 *    (`pairedCost`). An overlapped block counts until every hash of its steps is in. Blocks
 *    are a multiple of k and their leaves sit mid-interval (steps 24, 40, 56 of 17..64), as in the
 *    steady state of a job: a leaf's hash overlaps the k/2 steps after it inside the same block. Ending
 *    a block on a leaf would instead charge every block a whole unoverlapped hash, which a job pays
 *    once, after its last step; that tail is printed apart, as ms and as % of a 1,000-step job. Then the
 *    hash alone, as ms and as % of a step: the per-step hashing this replaces cost about that much.
 * Figures only, no pass/fail.
 */

import { availableParallelism } from "node:os";
import ort from "onnxruntime-node";
import { cryptoReady } from "../primitives/hashing.js";
import { mnistSplits } from "../worker/data/mnist.js";
import type { OnnxNode } from "../worker/onnx/ir.js";
import { decodeModel, encodeModel } from "../worker/onnx/model.js";
import { tensor } from "../worker/onnx/tensor.js";
import type { OptimizerKind } from "../worker/optim/optimizers.js";
import { buildTemplateModel, type TemplateArch } from "../worker/templates/models.js";
import { BatchOrder } from "../worker/train/batchOrder.js";
import { type HashingMode, type PendingStep, type RunnerOptions, TrainingRunner } from "../worker/train/runner.js";

const BATCH = 64;
const LR = 0.01;
/**
 * Steps per timed block, a multiple of the leaf interval so that every block hashes the same number of
 * leaves: about 150 ms of MLP steps and 350 ms of CNN steps, long enough that a timer tick or a
 * collection is a small part of one block.
 */
const BLOCK: Record<TemplateArch, number> = { mlp: 192, cnn: 48 };
const ROUNDS = 11;
/** Hashes per round when the hash is timed alone. */
const HASHES = 48;
const LEAF_INTERVAL = 16;
/** Steps run before timing: one leaf interval, so that every timed block starts at the same phase. */
const WARM_UP = LEAF_INTERVAL;
/** Leaves at steps ≡ k/2 (mod k): mid-block, see the header. */
const LEAF_PHASE = LEAF_INTERVAL / 2;
/** The job size the tail hash is put against. */
const JOB_STEPS = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** The MLP template's training step written out by hand: forward, fused softmax-CE backward, SGD. */
function handWrittenMlpStep(model: Uint8Array): Uint8Array {
  const m = decodeModel(model);
  const n = (opType: string, inputs: string[], outputs: string[], attrs: OnnxNode["attrs"] = {}): OnnxNode => ({
    name: outputs[0],
    opType,
    domain: "",
    inputs,
    outputs,
    attrs,
  });
  const I = (i: number) => ({ type: "INT" as const, i });
  const inits = new Map([
    ["mean", tensor("float32", [], [0.1307])],
    ["std", tensor("float32", [], [0.3081])],
    ["zero", tensor("float32", [], [0])],
    ["invB", tensor("float32", [], [1 / BATCH])],
    ["negInvB", tensor("float32", [], [-1 / BATCH])],
    ["labelShape", tensor("int64", [2], [BATCH, 1])],
    ["classes", tensor("int64", [1, 10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])],
    ["axes01", tensor("int64", [2], [0, 1])],
    ["axis0", tensor("int64", [1], [0])],
  ]);
  const nodes = [
    n("Sub", ["x", "mean"], ["xc"]),
    n("Div", ["xc", "std"], ["xs"]),
    n("Gemm", ["xs", "fc1.weight", "fc1.bias"], ["h1"], { transB: I(1) }),
    n("Relu", ["h1"], ["a1"]),
    n("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["z"], { transB: I(1) }),
    n("LogSoftmax", ["z"], ["logp"], { axis: I(1) }),
    n("Reshape", ["target", "labelShape"], ["labels"]),
    n("Equal", ["labels", "classes"], ["hit"]),
    n("Cast", ["hit"], ["onehot"], { to: I(1) }),
    n("Mul", ["onehot", "logp"], ["picked"]),
    n("ReduceSum", ["picked", "axes01"], ["total"], { keepdims: I(0) }),
    n("Mul", ["total", "negInvB"], ["loss"]),
    n("Exp", ["logp"], ["p"]),
    n("Sub", ["p", "onehot"], ["pm"]),
    n("Mul", ["pm", "invB"], ["dz"]),
    n("Gemm", ["dz", "a1"], ["dW2"], { transA: I(1) }),
    n("ReduceSum", ["dz", "axis0"], ["db2"], { keepdims: I(0) }),
    n("MatMul", ["dz", "fc2.weight"], ["da1"]),
    n("Greater", ["h1", "zero"], ["active"]),
    n("Where", ["active", "da1", "zero"], ["dh1"]),
    n("Gemm", ["dh1", "xs"], ["dW1"], { transA: I(1) }),
    n("ReduceSum", ["dh1", "axis0"], ["db1"], { keepdims: I(0) }),
    ...["fc1.weight:dW1", "fc1.bias:db1", "fc2.weight:dW2", "fc2.bias:db2"].flatMap((pair) => {
      const [p, g] = pair.split(":");
      return [n("Mul", [g, "lr"], [`${g}_lr`]), n("Sub", [p, `${g}_lr`], [`${p}::next`])];
    }),
  ];
  const params = ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"];
  const dims = (p: string) => m.graph.initializers.get(p)!.dims;
  return encodeModel({
    name: "hand_written_mlp_step",
    nodes,
    inputs: [
      { name: "x", dtype: "float32", shape: [BATCH, 784] },
      { name: "target", dtype: "int64", shape: [BATCH] },
      { name: "lr", dtype: "float32", shape: [] },
      ...params.map((p) => ({ name: p, dtype: "float32" as const, shape: dims(p) })),
    ],
    outputs: [
      { name: "loss", dtype: "float32", shape: [] },
      ...params.map((p) => ({ name: `${p}::next`, dtype: "float32" as const, shape: dims(p) })),
    ],
    initializers: inits,
  });
}

/** `flush` waits for work a step left running (overlapped hashes); it is timed with the block. */
type Stepper = { step: () => Promise<void>; flush?: () => Promise<void>; close: () => Promise<void>; hashing?: string };

/** A runner for a template model on MNIST with the bench's hyper-parameters. */
function templateRunner(
  arch: TemplateArch,
  kind: OptimizerKind,
  ds: ReturnType<typeof mnistSplits>["train"],
  opts: RunnerOptions,
): Promise<TrainingRunner> {
  return TrainingRunner.create(
    {
      model: buildTemplateModel(arch, { seed: 1n }),
      dataset: ds,
      optimizer: { kind },
      lr: LR,
      batchSize: BATCH,
      seed: 1n,
      workerKey: new Uint8Array(32),
      profile: "cpu-exact",
    },
    opts,
  );
}

/** `hash`: false = never hash (the baseline); otherwise hash every LEAF_INTERVAL-th step in that mode. */
async function generatedStepper(
  arch: TemplateArch,
  kind: OptimizerKind,
  hash: false | HashingMode,
  ds: ReturnType<typeof mnistSplits>["train"],
): Promise<Stepper> {
  const runner = await templateRunner(arch, kind, ds, { hashing: hash || "sync" });
  // As runSteps does: start the next step while earlier hashes finish, take hashes in step order.
  const inFlight: PendingStep[] = [];
  return {
    step: async () => {
      inFlight.push(await runner.startStep(hash !== false && (runner.step + 1) % LEAF_INTERVAL === LEAF_PHASE));
      while (inFlight.length > 0 && inFlight[0].settled()) inFlight.shift();
    },
    flush: async () => {
      for (const p of inFlight.splice(0)) await p.stateHash;
    },
    close: () => runner.close(),
    hashing: runner.hashing,
  };
}

async function handWrittenStepper(ds: ReturnType<typeof mnistSplits>["train"]): Promise<Stepper> {
  const model = buildTemplateModel("mlp", { seed: 1n });
  const session = await ort.InferenceSession.create(handWrittenMlpStep(model), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const params = new Map<string, ort.Tensor>(
    [...decodeModel(model).graph.initializers].map(([k, t]) => [
      k,
      new ort.Tensor("float32", t.data as Float32Array, t.dims),
    ]),
  );
  const order = new BatchOrder(1n, new Uint8Array(32), ds.x.dims[0], BATCH);
  const x = new Float32Array(BATCH * 784);
  const y = new BigInt64Array(BATCH);
  let step = 0;
  const lr = new ort.Tensor("float32", Float32Array.of(LR), []);
  // As the runner does: outputs go into one of two preallocated sets, never the one the step reads.
  const sets = [0, 1].map(() => {
    const fetches: Record<string, ort.Tensor | null> = { loss: null };
    for (const [k, t] of params) fetches[`${k}::next`] = new ort.Tensor("float32", new Float32Array(t.size), t.dims);
    return fetches;
  });
  return {
    step: async () => {
      step++;
      order.indicesForStep(step).forEach((src, i) => {
        x.set((ds.x.data as Float32Array).subarray(src * 784, (src + 1) * 784), i * 784);
        y[i] = (ds.y.data as BigInt64Array)[src];
      });
      const feeds: Record<string, ort.Tensor> = {
        x: new ort.Tensor("float32", x, [BATCH, 784]),
        target: new ort.Tensor("int64", y, [BATCH]),
        lr,
      };
      for (const [k, t] of params) feeds[k] = t as ort.Tensor;
      const out = await session.run(feeds, sets[step % 2]);
      for (const k of params.keys()) params.set(k, out[`${k}::next`]);
    },
    close: () => session.release(),
  };
}

/**
 * Samples/s of each stepper per round of alternating blocks, so drifts in machine load hit all of them
 * alike: `rates[k][r]` is stepper k in round r.
 */
async function sideBySide(steppers: Stepper[], block: number): Promise<number[][]> {
  const rates: number[][] = steppers.map(() => []);
  for (const s of steppers) {
    for (let i = 0; i < WARM_UP; i++) await s.step();
    await s.flush?.();
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate who goes first, so neither always runs on a warmer or colder cache.
    const order = r % 2 === 0 ? [...steppers.entries()] : [...steppers.entries()].reverse();
    for (const [k, s] of order) {
      const t0 = performance.now();
      for (let i = 0; i < block; i++) await s.step();
      await s.flush?.();
      rates[k].push((block * BATCH) / ((performance.now() - t0) / 1000));
    }
  }
  for (const s of steppers) await s.close();
  return rates;
}

/**
 * The extra time of `rates` against `base` in %, as the median over rounds of the two blocks' ratio
 * within the round: blocks of one round run back to back, so a load drift between rounds (another
 * process, a frequency change) cancels out, where a ratio of two medians would keep it.
 */
function pairedCost(rates: number[], base: number[]): number {
  return (median(rates.map((r, i) => base[i] / r)) - 1) * 100;
}

/** The state hash alone (no training) on this thread: ms per hash and the state's size in bytes. */
async function hashAlone(
  arch: TemplateArch,
  kind: OptimizerKind,
  ds: ReturnType<typeof mnistSplits>["train"],
): Promise<{ ms: number; bytes: number }> {
  const runner = await templateRunner(arch, kind, ds, { hashing: "sync" });
  const bytes = runner.stateTensors().reduce((n, s) => n + s.tensor.data.byteLength, 0);
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < HASHES; i++) runner.currentStateHash();
    times.push((performance.now() - t0) / HASHES);
  }
  await runner.close();
  return { ms: median(times), bytes };
}

export async function runTrainBench(): Promise<void> {
  await cryptoReady();
  ort.env.logLevel = "error";
  const { train } = mnistSplits(8000, 100);
  console.log(
    `ML training bench: MNIST 8000, batch ${BATCH}, 1 onnxruntime thread (cpu-exact), medians of ${ROUNDS} blocks of ${BLOCK.mlp} (MLP) or ${BLOCK.cnn} (CNN) steps`,
  );

  const [generated, hand] = (
    await sideBySide([await generatedStepper("mlp", "sgd", false, train), await handWrittenStepper(train)], BLOCK.mlp)
  ).map(median);
  console.log(
    `MLP 784-128-10, SGD: generated graph ${generated.toFixed(0)} samples/s, hand-written ${hand.toFixed(0)} samples/s, ratio ${(generated / hand).toFixed(3)} (goal >= 0.95)`,
  );

  console.log(
    `Leaf hashing, k = ${LEAF_INTERVAL}: sync = on the training thread; overlapped = on hasher threads while the next steps train (${availableParallelism()} cores here); baseline = the same run without hashing`,
  );
  for (const arch of ["mlp", "cnn"] as const) {
    for (const kind of ["sgd", "adam"] as const) {
      const overlappedStepper = await generatedStepper(arch, kind, "overlapped", train);
      const mode = overlappedStepper.hashing;
      const rounds = await sideBySide(
        [
          await generatedStepper(arch, kind, false, train),
          await generatedStepper(arch, kind, "sync", train),
          overlappedStepper,
        ],
        BLOCK[arch],
      );
      const [plain, hashed, overlapped] = rounds.map(median);
      const ms = (rate: number) => (BATCH / rate) * 1000;
      const cost = (k: number) => pairedCost(rounds[k], rounds[0]).toFixed(1);
      const alone = await hashAlone(arch, kind, train);
      console.log(
        `${arch.toUpperCase()} ${kind}: step ${ms(plain).toFixed(3)} ms; with leaf hashing: sync ${ms(hashed).toFixed(3)} ms, cost ${cost(1)}% of training time; overlapped${mode === "overlapped" ? "" : ` (fell back to ${mode})`} ${ms(overlapped).toFixed(3)} ms, cost ${cost(2)}%; ${plain.toFixed(0)} samples/s`,
      );
      // Per-step hashing paid the hash on every step; leaf hashing pays it once per k steps.
      console.log(
        `  state ${(alone.bytes / 1e6).toFixed(2)} MB: hash alone ${alone.ms.toFixed(3)} ms = ${((alone.ms / ms(plain)) * 100).toFixed(1)}% of a step (what per-step hashing cost in sync mode), /${LEAF_INTERVAL} = ${((alone.ms / ms(plain) / LEAF_INTERVAL) * 100).toFixed(2)}%`,
      );
      // The last leaf's hash has no steps after it to overlap: a job waits for it once.
      console.log(
        `  the job's last hash, not overlapped: ${alone.ms.toFixed(3)} ms once per job = ${((alone.ms / (JOB_STEPS * ms(plain))) * 100).toFixed(2)}% of a ${JOB_STEPS}-step job`,
      );
    }
  }
}
