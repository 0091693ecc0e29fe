/**
 * Messages between a `SegmentVerifier` and its thread. The thread keeps one job loaded (its model and
 * dataset, and a runner with the training graph and session built), named by a key the verifier picks:
 * a request carries the job only when the key is new, and every reply says which key the thread now
 * holds (none after a failed load), so the two sides never disagree about what is cached.
 */
import type { LogMessage } from "../train/portLogger.js";
import type { TrainingJob } from "../train/runner.js";
import type { WorkerMessage } from "../train/wire.js";
import type { SharedCheckpoint } from "./sharedStart.js";

export type VerifierThreadRequest =
  | {
      type: "run";
      id: number;
      /** The job's key; `job` is present iff the thread does not hold this key yet. */
      key: number;
      job?: TrainingJob;
      /** The state to start from, in the verifier's shared slot; absent: the job's initial state (step 0). */
      start?: SharedCheckpoint;
      endStep: number;
      exportModel: boolean;
    }
  /** Release the runner and let the thread exit by itself. */
  | { type: "exit" };

export type VerifierThreadMessage =
  | LogMessage
  | { type: "done"; id: number; cached: number; endStateHash: Uint8Array; finalStep: number; model?: Uint8Array }
  | { type: "error"; id: number; cached?: number; error: Extract<WorkerMessage, { type: "error" }>["error"] };
