/**
 * Re-executing one segment of a training job, as an auditor or a challenge committee does (DESIGN §6).
 *
 * With `checkpoint_interval` k and N steps, segment i runs steps ((i-1)·k, min(i·k, N)] from leaf i-1
 * (the model's initial state for i = 1) to leaf i. The verifier is given the start checkpoint (the
 * trainer serves it by content id) and the start leaf's state hash (proved under the work root), checks
 * the one against the other, re-executes the steps under `cpu-exact` in a worker thread, and reports
 * the end state hash it computed: that is what it commits to. For the last segment it also returns the
 * model the steps produced, which the trainer's submitted model must equal (`modelMatch.ts`).
 *
 * Everything a trainer controls (the checkpoint bytes) is checked before use: size before decoding,
 * format and recorded hash while decoding, step and leaf hash after, tensor names and shapes against the
 * job's training graph in the thread. Each failure is one `AuditError`, never a crash.
 */

import { bytesEqual, toHex } from "../../primitives/hex.js";
import { type Logger, nullLogger } from "../../primitives/logger.js";
import { leafCount, leafStep } from "../../primitives/workRoot.js";
import { type Checkpoint, checkRecordedHash, parseCheckpoint } from "../train/checkpoint.js";
import { TrainError } from "../train/errors.js";
import type { TrainingJob } from "../train/runner.js";
import { trainInWorker } from "../train/trainInWorker.js";
import { AuditError } from "./errors.js";

export interface SegmentRequest {
  /** The job as its trainer ran it: model, data, hyper-parameters, seed and the trainer's key. */
  job: TrainingJob;
  /** The job's checkpoint interval k. */
  leafInterval: number;
  /** The job's step count N. */
  totalSteps: number;
  /** 1-based segment index. */
  index: number;
  /** Encoded checkpoint of leaf index-1; absent for segment 1, which starts from the model's weights. */
  startCheckpoint?: Uint8Array;
  /** The state hash leaf index-1 committed to (from the work root), checked against the checkpoint. */
  expectedStartHash?: Uint8Array;
  /** Largest start checkpoint accepted, in bytes. */
  maxCheckpointBytes: number;
}

export interface SegmentOptions {
  log?: Logger;
}

export interface SegmentResult {
  index: number;
  /** Steps applied to the start state (0 for segment 1). */
  startStep: number;
  /** min(index·k, N): the step the end state hash is taken after. */
  endStep: number;
  /** The state hash after `endStep`: what leaf `index` must be. */
  endStateHash: Uint8Array;
  /** The trained ONNX model, for the last segment only. */
  finalModel?: Uint8Array;
}

/** The steps segment `index` spans: (startStep, endStep]. */
export function segmentBounds(
  index: number,
  leafInterval: number,
  totalSteps: number,
): { startStep: number; endStep: number } {
  const bad = (reason: string) => new AuditError({ code: "AUDIT_ERROR_BAD_SEGMENT", reason }, `Bad segment: ${reason}`);
  if (!Number.isSafeInteger(leafInterval) || leafInterval < 1) throw bad(`checkpoint interval ${leafInterval}`);
  if (!Number.isSafeInteger(totalSteps) || totalSteps < 1) throw bad(`step count ${totalSteps}`);
  const segments = leafCount(totalSteps, leafInterval);
  if (!Number.isSafeInteger(index) || index < 1 || index > segments)
    throw bad(`segment ${index} of a job with ${segments} segments`);
  return { startStep: (index - 1) * leafInterval, endStep: leafStep(index, leafInterval, totalSteps) };
}

/**
 * Checks a start checkpoint before any training: size, format and recorded hash, step, and (if given)
 * the leaf hash it must have.
 */
export function checkStartCheckpoint(
  bytes: Uint8Array,
  startStep: number,
  maxBytes: number,
  expectedHash?: Uint8Array,
): Checkpoint {
  const opened = openStartCheckpoint(bytes, startStep, maxBytes, expectedHash);
  opened.confirm();
  return opened.checkpoint;
}

/**
 * `checkStartCheckpoint` in two parts: the size, format and step now, and in `confirm` the state hash
 * (against the recorded one, then the leaf's), which is most of the cost (a full pass over the state).
 * A verifier runs `confirm` while its thread re-executes from the checkpoint, and counts the result
 * only if it passes.
 */
export function openStartCheckpoint(
  bytes: Uint8Array,
  startStep: number,
  maxBytes: number,
  expectedHash?: Uint8Array,
): { checkpoint: Checkpoint; confirm: () => void } {
  if (bytes.length > maxBytes)
    throw new AuditError(
      { code: "AUDIT_ERROR_CHECKPOINT_TOO_LARGE", bytes: bytes.length, max: maxBytes },
      `Start checkpoint is ${bytes.length} bytes, more than the ${maxBytes} accepted`,
    );
  let parsed: ReturnType<typeof parseCheckpoint>;
  try {
    parsed = parseCheckpoint(bytes);
  } catch (e) {
    throw badCheckpoint((e as Error).message);
  }
  const cp = parsed.checkpoint;
  if (cp.step !== startStep) throw badCheckpoint(`it is at step ${cp.step}, the segment starts at step ${startStep}`);
  const confirm = () => {
    let found: Uint8Array;
    try {
      found = checkRecordedHash(cp, parsed.recordedHash);
    } catch (e) {
      throw badCheckpoint((e as Error).message);
    }
    if (expectedHash && !bytesEqual(found, expectedHash))
      throw new AuditError(
        { code: "AUDIT_ERROR_HASH_MISMATCH", expected: toHex(expectedHash), found: toHex(found) },
        `Start checkpoint hashes to ${toHex(found)}, the leaf says ${toHex(expectedHash)}`,
      );
  };
  return { checkpoint: cp, confirm };
}

/** Re-executes segment `index` under `cpu-exact` in a worker thread and returns its end state hash. */
export async function reexecuteSegment(req: SegmentRequest, opts: SegmentOptions = {}): Promise<SegmentResult> {
  const log = opts.log ?? nullLogger;
  const { startStep, endStep } = segmentBounds(req.index, req.leafInterval, req.totalSteps);
  let start: Checkpoint | undefined;
  if (req.index === 1) {
    // Segment 1 starts from the job's model; a checkpoint would be a state nobody committed to.
    if (req.startCheckpoint || req.expectedStartHash)
      throw new AuditError({
        code: "AUDIT_ERROR_BAD_SEGMENT",
        reason: "segment 1 starts from the model's initial weights, not a checkpoint",
      });
  } else {
    if (!req.startCheckpoint) throw badCheckpoint(`segment ${req.index} needs the checkpoint of leaf ${req.index - 1}`);
    start = checkStartCheckpoint(req.startCheckpoint, startStep, req.maxCheckpointBytes, req.expectedStartHash);
  }
  const last = endStep === req.totalSteps;
  log.debug("Re-executing segment", { index: req.index, from: startStep, to: endStep });
  try {
    const result = await trainInWorker(
      {
        // Bit-exact re-execution is defined for cpu-exact only, whatever the caller's job says.
        job: { ...req.job, profile: "cpu-exact", threads: 1 },
        untilStep: endStep,
        leafInterval: req.leafInterval,
        start,
        exportModel: last,
        // One hash, at the end: no hasher thread to start.
        hashing: "sync",
        logLevel: "warn",
      },
      { log },
    );
    const leaf = result.leaves.at(-1);
    if (!leaf || leaf.index !== req.index || result.finalStep !== endStep)
      throw new TrainError({ code: "TRAIN_ERROR_WORKER", reason: `no leaf ${req.index} after step ${endStep}` });
    return {
      index: req.index,
      startStep,
      endStep,
      endStateHash: leaf.stateHash,
      finalModel: last ? result.model : undefined,
    };
  } catch (e) {
    if (e instanceof TrainError && e.type.code === "TRAIN_ERROR_CHECKPOINT") throw badCheckpoint(e.type.reason);
    if (e instanceof TrainError && e.type.code === "TRAIN_ERROR_NON_FINITE_LOSS")
      throw new AuditError(
        { code: "AUDIT_ERROR_DIVERGED", step: e.type.step },
        `Re-execution diverged: the loss is ${e.type.loss} at step ${e.type.step}`,
      );
    throw e;
  }
}

function badCheckpoint(reason: string): AuditError {
  return new AuditError({ code: "AUDIT_ERROR_BAD_CHECKPOINT", reason }, `Bad start checkpoint: ${reason}`);
}
