/**
 * Messages between an `InferenceRunner` and its thread. The thread keeps sessions by key (model hash
 * and profile, `sessionKey`); a request carries the model only when the runner's last reply did not
 * list its key, and every reply lists the keys the thread holds afterwards, so the two sides never
 * disagree about what is cached. Big buffers (input on request, output on reply) are transferred.
 */
import type { LogMessage } from "../train/portLogger.js";
import type { WorkerMessage } from "../train/wire.js";
import type { EngineRequest, EngineResult, InferenceLimits } from "./engine.js";

/** The thread's `workerData`. */
export interface InferThreadData {
  limits: InferenceLimits;
}

export type InferThreadRequest =
  | ({ type: "run"; id: number } & EngineRequest)
  /** Release every session and let the thread exit by itself. */
  | { type: "exit" };

export type InferThreadMessage =
  | LogMessage
  | { type: "done"; id: number; held: string[]; result: EngineResult }
  | { type: "error"; id: number; held: string[]; error: Extract<WorkerMessage, { type: "error" }>["error"] };
