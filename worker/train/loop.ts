/**
 * Runs a span of steps on a runner: per-step losses, the state hash at every checkpoint leaf, and a
 * checkpoint every `checkpointEvery` steps.
 *
 * Leaves (DESIGN §6, `primitives/workRoot.ts`): with leaf interval k the state is hashed after steps
 * k, 2k, … and after `untilStep`; leaf i is the state after step min(i·k, N). `untilStep` must be the
 * job's last step N or a multiple of k (a segment's end), so that a hash taken there is a leaf.
 *
 * Pipelined: step s+1 is started while step s's state hash is still computing on a hasher thread
 * (`TrainingRunner.startStep`). Results and checkpoints are still delivered strictly in step order, each
 * step's `onStep` before its `onCheckpoint`, and the checkpoint is taken right after its step (before
 * the next one runs). If a step fails, the steps before it are delivered first, then the error is thrown.
 */
import type { LeafHash } from "../../primitives/workRoot.js";
import type { Checkpoint } from "./checkpoint.js";
import { TrainError } from "./errors.js";
import type { PendingStep, StepResult, TrainingRunner } from "./runner.js";

export interface LoopOptions {
  /** Run until this many steps have been applied in total. */
  untilStep: number;
  /** Hash the state after every k-th step and after `untilStep` (default 1: every step). */
  leafInterval?: number;
  /** Take a checkpoint whenever the step number is a multiple of this (0 = never). */
  checkpointEvery?: number;
  onStep?: (r: StepResult) => void | Promise<void>;
  onCheckpoint?: (cp: Checkpoint) => void | Promise<void>;
}

/** Whether the state after `step` is a leaf of a run that ends at `untilStep`. */
export function isLeafStep(step: number, interval: number, untilStep: number): boolean {
  return step % interval === 0 || step === untilStep;
}

/** The leaves among a run's step results (those that carry a state hash), indexed ⌈step/k⌉. */
export function leavesOf(steps: readonly StepResult[], interval: number): LeafHash[] {
  return steps.flatMap((s) => (s.stateHash ? [{ index: Math.ceil(s.step / interval), stateHash: s.stateHash }] : []));
}

export async function runSteps(runner: TrainingRunner, opts: LoopOptions): Promise<StepResult[]> {
  const k = opts.leafInterval ?? 1;
  if (!Number.isInteger(k) || k < 1)
    throw new TrainError({ code: "TRAIN_ERROR_BAD_OPTIONS", reason: `leaf interval must be >= 1, got ${k}` });
  const results: StepResult[] = [];
  const every = opts.checkpointEvery ?? 0;
  const inFlight: { pending: PendingStep; checkpoint?: Checkpoint }[] = [];
  const deliver = async () => {
    const { pending, checkpoint } = inFlight.shift()!;
    const r: StepResult = { step: pending.step, loss: pending.loss };
    if (pending.stateHash) r.stateHash = pending.hashed() ?? (await pending.stateHash);
    results.push(r);
    await opts.onStep?.(r);
    if (checkpoint) await opts.onCheckpoint?.(checkpoint);
  };
  while (runner.step < opts.untilStep) {
    let pending: PendingStep;
    try {
      pending = await runner.startStep(isLeafStep(runner.step + 1, k, opts.untilStep));
    } catch (e) {
      while (inFlight.length > 0) await deliver();
      throw e;
    }
    const checkpoint = every > 0 && pending.step % every === 0 ? runner.checkpoint() : undefined;
    inFlight.push({ pending, checkpoint });
    // Hand over what is finished without waiting; the rest follows as the hashers catch up.
    while (inFlight.length > 0 && inFlight[0].pending.settled()) await deliver();
  }
  while (inFlight.length > 0) await deliver();
  return results;
}
