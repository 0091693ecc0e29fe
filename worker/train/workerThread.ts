/** Entry point of the training worker thread: runs one request and reports back over the parent port. */
import { parentPort, workerData } from "node:worker_threads";
import { cryptoReady } from "../../primitives/hashing.js";
import { leavesOf, runSteps } from "./loop.js";
import { portLogger } from "./portLogger.js";
import { TrainingRunner } from "./runner.js";
import { errorToWire, type WorkerMessage, type WorkerRequest } from "./wire.js";

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

async function main(req: WorkerRequest): Promise<void> {
  await cryptoReady();
  const runner = await TrainingRunner.create(req.job, {
    log: portLogger(post, req.logLevel ?? "info"),
    hashing: req.hashing,
  });
  let result: Extract<WorkerMessage, { type: "done" }>["result"];
  try {
    if (req.start) runner.restore(req.start);
    if (req.checkpointAtStart) {
      const cp = runner.checkpoint();
      post({ type: "checkpoint", step: cp.step, state: cp.state });
    }
    const leafInterval = req.leafInterval ?? 1;
    const steps = await runSteps(runner, {
      untilStep: req.untilStep,
      leafInterval,
      checkpointEvery: req.checkpointEvery,
      onStep: (r) => post({ type: "progress", ...r, totalSteps: req.untilStep, stepsPerEpoch: runner.stepsPerEpoch }),
      onCheckpoint: (cp) => post({ type: "checkpoint", step: cp.step, state: cp.state }),
    });
    result = {
      steps,
      leaves: leavesOf(steps, leafInterval),
      model: req.exportModel === false ? new Uint8Array(0) : runner.exportModel(),
      finalStep: runner.step,
      profile: runner.profile.profile,
      provider: runner.profile.provider,
    };
  } finally {
    await runner.close();
  }
  // Only once the onnxruntime sessions are released: the parent then lets this thread exit by itself,
  // never terminating it inside a native call.
  post({ type: "done", result });
}

main(workerData as WorkerRequest).catch((e) => post({ type: "error", error: errorToWire(e) }));
