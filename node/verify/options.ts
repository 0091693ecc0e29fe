import { availableParallelism } from "node:os";

export interface VerifierPoolOptions {
  /**
   * Worker threads. Default: `os.availableParallelism() - 1`, at least 1, leaving one core to the
   * importing thread. 0 verifies on the calling thread (no workers).
   */
  threads?: number;
  /** Most signatures sent to one worker in one message. Default 1024. */
  maxBatch?: number;
  /** The compiled worker script; by default found as described in `workerScript.ts`. */
  workerPath?: string | URL;
}

export const defaultVerifierPoolOptions = {
  maxBatch: 1024,
} as const;

/** Batches smaller than this per thread are not split further: a round trip costs about one verification. */
export const MIN_CHUNK = 16;

export function defaultThreadCount(): number {
  return Math.max(1, availableParallelism() - 1);
}
