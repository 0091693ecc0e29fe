/** Runs a span of steps on a runner: per-step results, and a checkpoint every k steps. */
import type { Checkpoint } from "./checkpoint.js";
import type { StepResult, TrainingRunner } from "./runner.js";

export interface LoopOptions {
  /** Run until this many steps have been applied in total. */
  untilStep: number;
  /** Take a checkpoint whenever the step number is a multiple of this (0 = never). */
  checkpointEvery?: number;
  onStep?: (r: StepResult) => void | Promise<void>;
  onCheckpoint?: (cp: Checkpoint) => void | Promise<void>;
}

export async function runSteps(runner: TrainingRunner, opts: LoopOptions): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const every = opts.checkpointEvery ?? 0;
  while (runner.step < opts.untilStep) {
    const r = await runner.runStep();
    results.push(r);
    await opts.onStep?.(r);
    if (every > 0 && r.step % every === 0) await opts.onCheckpoint?.(runner.checkpoint());
  }
  return results;
}
