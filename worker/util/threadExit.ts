/**
 * How a warm worker thread that holds onnxruntime sessions is stopped: asked to exit (it releases its
 * sessions first, so it never dies inside a native call), and terminated only if it has not exited
 * within the grace time.
 */
import type { Worker } from "node:worker_threads";

/** How long a thread asked to exit may take before it is terminated. */
export const EXIT_GRACE_MS = 5000;

/** Posts `exitMessage`, waits for `exited`, and terminates the thread past `graceMs`. */
export async function askToExit(
  worker: Worker,
  exitMessage: unknown,
  exited: Promise<void>,
  graceMs = EXIT_GRACE_MS,
): Promise<void> {
  worker.ref();
  worker.postMessage(exitMessage);
  const guard = setTimeout(() => void worker.terminate(), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(guard);
  }
}
