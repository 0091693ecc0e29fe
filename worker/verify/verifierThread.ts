/**
 * Entry point of a `SegmentVerifier`'s thread: re-executes segments one at a time, keeping the last
 * job's runner (training graph, onnxruntime session, batch order) between requests so that consecutive
 * segments of one trainer pay only for their steps. Each request first restores its start state (or
 * the state the runner was created with), so what one request leaves behind never reaches the next.
 */
import { parentPort } from "node:worker_threads";
import { cryptoReady } from "../../primitives/hashing.js";
import type { Checkpoint } from "../train/checkpoint.js";
import { TrainError } from "../train/errors.js";
import { runSteps } from "../train/loop.js";
import { portLogger } from "../train/portLogger.js";
import { TrainingRunner } from "../train/runner.js";
import { errorToWire } from "../train/wire.js";
import { readSharedCheckpoint } from "./sharedStart.js";
import type { VerifierThreadMessage, VerifierThreadRequest } from "./verifierWire.js";

const port = parentPort!;
const post = (m: VerifierThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const log = portLogger(post, "warn");

let loaded: { key: number; runner: TrainingRunner; initial: Checkpoint } | undefined;

async function unload(): Promise<void> {
  const runner = loaded?.runner;
  loaded = undefined;
  await runner?.close();
}

async function run(req: Extract<VerifierThreadRequest, { type: "run" }>): Promise<void> {
  try {
    await cryptoReady();
    if (req.job) {
      await unload();
      // One hash per request, at the end: no hasher threads.
      const runner = await TrainingRunner.create(req.job, { log, hashing: "sync" });
      // Segment 1 starts from the state as created; later requests restore it from this copy.
      loaded = { key: req.key, runner, initial: runner.checkpoint() };
    } else if (loaded?.key !== req.key) {
      throw new TrainError({ code: "TRAIN_ERROR_WORKER", reason: `job ${req.key} is not loaded in the thread` });
    }
    const { runner, initial } = loaded;
    // restore copies the shared start state out before any step runs.
    runner.restore(req.start ? readSharedCheckpoint(req.start) : initial);
    // A leaf interval of endStep hashes the state after endStep only.
    const steps = await runSteps(runner, { untilStep: req.endStep, leafInterval: req.endStep });
    const end = steps.at(-1)?.stateHash;
    if (!end || runner.step !== req.endStep)
      throw new TrainError({ code: "TRAIN_ERROR_WORKER", reason: `no state hash after step ${req.endStep}` });
    const model = req.exportModel ? runner.exportModel() : undefined;
    const owned = model && model.byteOffset === 0 && model.byteLength === model.buffer.byteLength;
    post(
      { type: "done", id: req.id, cached: req.key, endStateHash: end.slice(), finalStep: runner.step, model },
      owned ? [model.buffer as ArrayBuffer] : [],
    );
  } catch (e) {
    post({ type: "error", id: req.id, cached: loaded?.key, error: errorToWire(e) });
  }
}

// Requests are handled strictly in order; the verifier sends the next only after a reply anyway.
let queue = Promise.resolve();
port.on("message", (m: VerifierThreadRequest) => {
  queue = queue.then(async () => {
    if (m.type === "run") return run(m);
    // Release the session first, then close the port: the thread exits with no native call running.
    await unload().catch((e) => log.warn("Releasing the verifier's runner failed", { error: (e as Error).message }));
    port.close();
  });
});
