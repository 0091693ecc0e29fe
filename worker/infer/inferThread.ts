/**
 * Entry point of an `InferenceRunner`'s thread: runs requests one at a time on an `InferenceEngine`,
 * which keeps the sessions warm between them. A request that fails (refused or not) is answered with
 * its typed error and leaves the engine as it was for the next one.
 */
import { parentPort, workerData } from "node:worker_threads";
import { cryptoReady } from "../../primitives/hashing.js";
import { portLogger } from "../train/portLogger.js";
import { errorToWire } from "../train/wire.js";
import { InferenceEngine } from "./engine.js";
import type { InferThreadData, InferThreadMessage, InferThreadRequest } from "./wire.js";

const port = parentPort!;
const post = (m: InferThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const engine = new InferenceEngine((workerData as InferThreadData).limits, portLogger(post, "info"));

/** The buffer of `a` when `a` spans all of it (so that it can be transferred, not copied). */
function owned(a: Uint8Array | Int32Array | undefined): ArrayBuffer[] {
  return a && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer
    ? [a.buffer]
    : [];
}

async function run(req: Extract<InferThreadRequest, { type: "run" }>): Promise<void> {
  try {
    await cryptoReady();
    const result = await engine.run(req);
    post({ type: "done", id: req.id, held: engine.held(), result }, [
      ...owned(result.output),
      ...owned(result.fingerprint),
    ]);
  } catch (e) {
    post({ type: "error", id: req.id, held: engine.held(), error: errorToWire(e) });
  }
}

let queue = Promise.resolve();
port.on("message", (m: InferThreadRequest) => {
  queue = queue.then(async () => {
    if (m.type === "run") return run(m);
    // Release the sessions first, then close the port: the thread exits with no native call running.
    await engine
      .close()
      .catch((e) =>
        post({ type: "log", level: "warn", msg: "Releasing sessions failed", ctx: { error: (e as Error).message } }),
      );
    port.close();
  });
});
