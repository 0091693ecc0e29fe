/**
 * Trains in a worker_threads Worker so that the caller's event loop (a node's slot timer, RPC, p2p)
 * never waits on onnxruntime. Progress, checkpoints and log lines stream back as messages.
 *
 * The thread runs the compiled module (dist/worker/train/workerThread.js): run `npm run build` first
 * when calling this from the TypeScript sources (as the tests do).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Logger, nullLogger } from "../../primitives/logger.js";
import type { Checkpoint } from "./checkpoint.js";
import { TrainError } from "./errors.js";
import { errorFromWire, type WorkerMessage, type WorkerRequest, type WorkerResult } from "./wire.js";

export interface TrainInWorkerOptions {
  log?: Logger;
  onProgress?: (p: Extract<WorkerMessage, { type: "progress" }>) => void;
  onCheckpoint?: (cp: Checkpoint) => void;
}

export function workerScriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return join(dirname(here), "workerThread.js");
  // Running from sources (jest): use the build output of the same tree.
  const root = here.replace(/[\\/]worker[\\/]train[\\/]trainInWorker\.ts$/, "");
  return join(root, "dist", "worker", "train", "workerThread.js");
}

/** How long a finished training thread may take to exit by itself before it is terminated. */
const EXIT_GRACE_MS = 5000;

export function trainInWorker(req: WorkerRequest, opts: TrainInWorkerOptions = {}): Promise<WorkerResult> {
  const log = opts.log ?? nullLogger;
  const script = workerScriptPath();
  if (!existsSync(script)) {
    return Promise.reject(
      new TrainError(
        { code: "TRAIN_ERROR_WORKER", reason: `missing ${script}` },
        `Training worker script not found at ${script}; run npm run build`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: req });
    let result: WorkerResult | undefined;
    let exitGuard: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    worker.on("message", (m: WorkerMessage) => {
      switch (m.type) {
        case "log":
          log[m.level](m.msg, m.ctx);
          break;
        case "progress":
          opts.onProgress?.(m);
          break;
        case "checkpoint":
          opts.onCheckpoint?.({ step: m.step, state: m.state });
          break;
        case "done":
          // Resolve when the thread has exited on its own (see "exit"), not while it unwinds.
          result = m.result;
          exitGuard = setTimeout(() => void worker.terminate(), EXIT_GRACE_MS);
          break;
        case "error":
          settle(() => reject(errorFromWire(m.error)));
          void worker.terminate();
          break;
      }
    });
    worker.on("error", (e) =>
      settle(() => reject(new TrainError({ code: "TRAIN_ERROR_WORKER", reason: e.message }, e.message))),
    );
    worker.on("exit", (code) => {
      if (exitGuard) clearTimeout(exitGuard);
      if (result) {
        const done = result;
        settle(() => resolve(done));
        return;
      }
      settle(() =>
        reject(
          new TrainError(
            { code: "TRAIN_ERROR_WORKER", reason: `exited with ${code}` },
            `Training worker exited with code ${code}`,
          ),
        ),
      );
    });
  });
}
