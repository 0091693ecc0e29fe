/**
 * Audit figures (DESIGN §6): what re-executing one segment costs a verifier against what the same steps
 * cost the trainer, on real MNIST data under cpu-exact (one onnxruntime thread).
 *
 * The trainer runs the whole job in a worker thread as a node does (leaf hashing every k steps, a
 * checkpoint at every leaf), with k = `defaultCheckpointInterval(N)` (64 segments); its time for a
 * segment is its steady per-step time (from its progress messages, first to last step) times the
 * segment's steps: messages arrive in bursts, so one segment's span would be noise. The verifier then
 * re-executes a middle segment and the last one with `reexecuteSegment`, from the trainer's checkpoint
 * and leaf, timed end to end (checkpoint checks, thread start, training graph and session, the steps,
 * the end hash): verifier / trainer is printed (goal <= 1.1x); so is the verifier's fixed cost (its time
 * less the trainer's for the same steps), which is what keeps short segments above the goal.
 *
 * Then the same with a warm `SegmentVerifier`, as an auditor uses it: segment 1 first (thread start and
 * job load, reported apart), then six segments across the job (the last among them), three passes, each
 * timed end to end including the start checkpoint's checks (`openStartCheckpoint`, the hash while the thread
 * re-executes, as the auditor does): the median, min and max of
 * verifier / trainer are printed. The six are passed the same job object, as an auditor that keeps a
 * job's decoded model and dataset would; then again with a fresh copy of both per request, which the
 * verifier must compare byte for byte (~2.5 ms for this 25 MB dataset).
 * Then the share of a job's steps its audits re-execute with 64 segments and 4 audited (the last + 3).
 * Figures only, no pass/fail.
 */
import { cryptoReady } from "../primitives/hashing.js";
import { bytesEqual } from "../primitives/hex.js";
import { defaultCheckpointInterval, leafCount, leafStep } from "../primitives/workRoot.js";
import { mnistSplits } from "../worker/data/mnist.js";
import type { OptimizerKind } from "../worker/optim/optimizers.js";
import { buildTemplateModel, type TemplateArch } from "../worker/templates/models.js";
import { type Checkpoint, encodeCheckpoint } from "../worker/train/checkpoint.js";
import type { TrainingJob } from "../worker/train/runner.js";
import { trainInWorker } from "../worker/train/trainInWorker.js";
import { openStartCheckpoint, reexecuteSegment } from "../worker/verify/segment.js";
import { SegmentVerifier } from "../worker/verify/verifier.js";

const BATCH = 64;
const AUDITED = 4;
/** Passes of the warm verifier over its six segments. */
const PASSES = 3;

interface Case {
  arch: TemplateArch;
  kind: OptimizerKind;
  steps: number;
}

// Sized so the whole bench stays near a minute and a half on 2 cores.
const CASES: Case[] = [
  { arch: "mlp", kind: "adam", steps: 64 * 48 },
  { arch: "cnn", kind: "sgd", steps: 64 * 8 },
];

async function auditCase(c: Case, train: ReturnType<typeof mnistSplits>["train"]): Promise<void> {
  const job: TrainingJob = {
    model: buildTemplateModel(c.arch, { seed: 1n }),
    dataset: train,
    optimizer: { kind: c.kind },
    lr: 0.01,
    batchSize: BATCH,
    seed: 1n,
    workerKey: new Uint8Array(32).fill(3),
    profile: "cpu-exact",
  };
  const k = defaultCheckpointInterval(c.steps);
  const segments = leafCount(c.steps, k);
  const stepAt = new Float64Array(c.steps + 1);
  const checkpoints = new Map<number, Checkpoint>();
  const t0 = performance.now();
  stepAt[0] = t0;
  const trained = await trainInWorker(
    { job, untilStep: c.steps, leafInterval: k, checkpointEvery: k },
    {
      onProgress: (p) => {
        stepAt[p.step] = performance.now();
      },
      onCheckpoint: (cp) => void checkpoints.set(cp.step, cp),
    },
  );
  const total = performance.now() - t0;
  const perStep = (stepAt[c.steps] - stepAt[1]) / (c.steps - 1);
  console.log(
    `${c.arch.toUpperCase()} ${c.kind}: N = ${c.steps} steps, k = ${k} (${segments} segments); trainer ${(total / 1000).toFixed(1)} s in all, ${perStep.toFixed(2)} ms per step`,
  );
  for (const index of [segments >> 1, segments]) {
    const from = leafStep(index - 1, k, c.steps);
    const to = leafStep(index, k, c.steps);
    const trainerMs = (to - from) * perStep;
    const startCheckpoint = encodeCheckpoint(checkpoints.get(from)!);
    const v0 = performance.now();
    const r = await reexecuteSegment({
      job,
      leafInterval: k,
      totalSteps: c.steps,
      index,
      startCheckpoint,
      expectedStartHash: trained.leaves[index - 2].stateHash,
      maxCheckpointBytes: 1 << 30,
    });
    const verifierMs = performance.now() - v0;
    const agrees = bytesEqual(r.endStateHash, trained.leaves[index - 1].stateHash);
    console.log(
      `  segment ${index} (steps ${from + 1}..${to}, checkpoint ${(startCheckpoint.length / 1e6).toFixed(2)} MB): verifier ${verifierMs.toFixed(0)} ms, trainer ${trainerMs.toFixed(0)} ms, ratio ${(verifierMs / trainerMs).toFixed(2)}x (goal <= 1.1x); verifier fixed cost ${(verifierMs - trainerMs).toFixed(0)} ms; end hash ${agrees ? "equals" : "DIFFERS FROM"} the leaf`,
    );
  }
  await warmCase(job, c.steps, k, perStep, checkpoints, trained.leaves);
  // The last segment plus 3 others: every other segment is k steps, the last may be shorter.
  const audited = leafStep(segments, k, c.steps) - leafStep(segments - 1, k, c.steps) + (AUDITED - 1) * k;
  console.log(
    `  audits re-execute ${audited} of ${c.steps} steps (${((audited / c.steps) * 100).toFixed(2)}%): ${AUDITED} of ${segments} segments (the last + ${AUDITED - 1})`,
  );
}

/** The warm verifier's figures: per segment after the first, verifier / trainer for the same steps. */
async function warmCase(
  job: TrainingJob,
  steps: number,
  k: number,
  perStep: number,
  checkpoints: Map<number, Checkpoint>,
  leaves: { stateHash: Uint8Array }[],
): Promise<void> {
  const segments = leafCount(steps, k);
  const copyOf = (j: TrainingJob): TrainingJob => ({
    ...j,
    model: new Uint8Array(j.model),
    dataset: {
      ...j.dataset,
      x: { ...j.dataset.x, data: j.dataset.x.data.slice() },
      y: { ...j.dataset.y, data: j.dataset.y.data.slice() },
    },
  });
  const q = segments >> 2;
  const later = [2, q, 2 * q, 2 * q + 1, 3 * q, segments];
  const verifier = new SegmentVerifier();
  let agree = 0;
  let runs = 0;
  /** Times segment `index` end to end, from the encoded checkpoint a trainer serves to the end hash. */
  const timed = async (index: number, fresh: boolean) => {
    const from = leafStep(index - 1, k, steps);
    const to = leafStep(index, k, steps);
    const encoded = index > 1 ? encodeCheckpoint(checkpoints.get(from)!) : undefined;
    const request = fresh ? copyOf(job) : job;
    const v0 = performance.now();
    // As the auditor does: the leaf check (a state hash) runs while the thread re-executes.
    const start = encoded && openStartCheckpoint(encoded, from, 1 << 30, leaves[index - 2].stateHash);
    const r = await verifier.run({
      job: request,
      start: start?.checkpoint,
      alongside: start?.confirm,
      endStep: to,
      exportModel: index === segments,
    });
    const verifierMs = performance.now() - v0;
    runs++;
    if (bytesEqual(r.endStateHash, leaves[index - 1].stateHash)) agree++;
    return { index, verifierMs, trainerMs: (to - from) * perStep };
  };
  const median = (rows: { verifierMs: number; trainerMs: number }[]) => {
    const ratios = rows.map((r) => r.verifierMs / r.trainerMs).sort((x, y) => x - y);
    return `median ${ratios[ratios.length >> 1].toFixed(2)}x (min ${ratios[0].toFixed(2)}x, max ${ratios.at(-1)!.toFixed(2)}x)`;
  };
  try {
    const first = await timed(1, false);
    // Several passes: one 40 ms segment is easily hit by a collection or another process's burst.
    const same: Awaited<ReturnType<typeof timed>>[] = [];
    for (let pass = 0; pass < PASSES; pass++) for (const index of later) same.push(await timed(index, false));
    const fresh: Awaited<ReturnType<typeof timed>>[] = [];
    for (let pass = 0; pass < PASSES; pass++) for (const index of later) fresh.push(await timed(index, true));
    console.log(
      `  warm verifier: segment 1 ${first.verifierMs.toFixed(0)} ms (thread start and job load, once); then (first pass) ${same
        .slice(0, later.length)
        .map((r) => `segment ${r.index} ${r.verifierMs.toFixed(0)}/${r.trainerMs.toFixed(0)} ms`)
        .join(", ")} (verifier/trainer)`,
    );
    console.log(
      `  warm verifier / trainer per segment after the first, ${PASSES} passes over ${later.length} segments: ${median(same)} (goal <= 1.1x); with a fresh copy of the model and dataset per request (compared byte for byte): ${median(fresh)}`,
    );
  } finally {
    await verifier.close();
  }
  console.log(
    `  warm verifier: ${agree} of ${runs} end hashes equal the leaves; ${verifier.stats.threadsStarted} thread, ${verifier.stats.jobsLoaded} job load`,
  );
}

export async function runAuditBench(): Promise<void> {
  await cryptoReady();
  const { train } = mnistSplits(8000, 100);
  console.log(`Audit bench: MNIST 8000, batch ${BATCH}, cpu-exact (1 onnxruntime thread), 64 segments per job`);
  for (const c of CASES) await auditCase(c, train);
}
