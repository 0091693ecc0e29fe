/**
 * Runs a span of steps on a runner: per-step results, and a checkpoint every k steps.
 *
 * Pipelined: step s+1 is started while step s's state hash is still computing on a hasher thread
 * (`TrainingRunner.startStep`). Results and checkpoints are still delivered strictly in step order, each
 * step's `onStep` before its `onCheckpoint`, and the checkpoint is taken right after its step (before
 * the next one runs). If a step fails, the steps before it are delivered first, then the error is thrown.
 */
import type { Checkpoint } from "./checkpoint.js";
import type { PendingStep, StepResult, TrainingRunner } from "./runner.js";

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
  const inFlight: { pending: PendingStep; checkpoint?: Checkpoint }[] = [];
  const deliver = async () => {
    const { pending, checkpoint } = inFlight.shift()!;
    const r = { step: pending.step, loss: pending.loss, stateHash: pending.hashed() ?? (await pending.stateHash) };
    results.push(r);
    await opts.onStep?.(r);
    if (checkpoint) await opts.onCheckpoint?.(checkpoint);
  };
  while (runner.step < opts.untilStep) {
    let pending: PendingStep;
    try {
      pending = await runner.startStep();
    } catch (e) {
      while (inFlight.length > 0) await deliver();
      throw e;
    }
    const checkpoint = every > 0 && pending.step % every === 0 ? runner.checkpoint() : undefined;
    inFlight.push({ pending, checkpoint });
    // Hand over what is finished without waiting; the rest follows as the hashers catch up.
    while (inFlight.length > 0 && inFlight[0].pending.hashed()) await deliver();
  }
  while (inFlight.length > 0) await deliver();
  return results;
}
