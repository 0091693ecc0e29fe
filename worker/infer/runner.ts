/**
 * Runs inference off the main thread (DESIGN §11): an `InferenceRunner` keeps one worker thread warm,
 * and in it an `InferenceEngine` (engine.ts) with a bounded LRU of onnxruntime sessions keyed by model
 * hash and profile, so that a provider's event loop (slots, RPC, p2p) never waits on onnxruntime and a
 * model is loaded once for all the requests on it.
 *
 * A request gives the model by hash, with its bytes or a file path the thread reads itself; neither is
 * read nor sent when the thread already holds a session for (hash, profile): the runner mirrors the
 * thread's cache from its replies. The input (a safetensors file) is copied into a shared-memory slot
 * the thread decodes in place (tensors as views where aligned), or transferred with `transferInput`
 * (the caller's buffer is then detached); the output comes back transferred. The thread runs requests
 * one at a time in call order, each batch as one session run; up to `maxInFlight` of them are posted to
 * it at once (each with its own input slot), so that the thread starts the next batch as soon as one
 * ends instead of waiting for a round trip through this thread's event loop. A request whose model the
 * thread does not hold waits until nothing is in flight, so a model is sent once.
 *
 * Refusals (a model over the memory limit, an operator onnxruntime lacks, an input that does not fit the
 * model, corrupt model or input bytes, ...) reject with an `InferError` whose code says which (errors.ts),
 * logged with that code; the thread stays as it was and serves the next request. A thread that crashes
 * or exits during a request rejects it with `INFER_ERROR_THREAD`; the next request starts a fresh one
 * (with no sessions: models are sent again). The thread is released after `idleMs` without requests and
 * by `close()`, by asking it to exit once it has released its sessions; it is terminated only if it has
 * not exited `EXIT_GRACE_MS` after being asked.
 *
 * The thread runs the compiled module (dist/worker/infer/inferThread.js): run `npm run build` first
 * when using this from the TypeScript sources (as the tests do).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Logger, nullLogger } from "../../primitives/logger.js";
import type { ExecutionProfile, ExecutionProviderName } from "../train/profile.js";
import type { WorkerMessage } from "../train/wire.js";
import { askToExit } from "../util/threadExit.js";
import {
  type EngineRequest,
  type FingerprintGrid,
  type InferenceLimits,
  type OutputInfo,
  sessionKey,
} from "./engine.js";
import { InferError, type InferErrorType } from "./errors.js";
import { checkFingerprintGrid, FINGERPRINT_MAX_LENGTH } from "./fingerprint.js";
import type { InferThreadData, InferThreadMessage, InferThreadRequest } from "./wire.js";

export interface InferenceRequest {
  /** blake2_256 of the model's ONNX bytes: the session cache's key (with the profile). */
  modelHash: Uint8Array;
  /** The model, when the runner may not hold it yet (one of `modelBytes` and `modelPath`). */
  modelBytes?: Uint8Array;
  /** A model file the thread reads itself, instead of `modelBytes`. */
  modelPath?: string;
  /** The input as a safetensors file; its tensors' first dimension is the batch. */
  input: Uint8Array;
  profile: ExecutionProfile;
  /** Also compute the output's fingerprint on this grid (what a `gpu` provider reveals). */
  fingerprint?: FingerprintGrid;
  /** Hand `input`'s buffer to the thread instead of copying it; the caller's array is detached. */
  transferInput?: boolean;
}

export interface InferenceResult {
  /** Every model output, by output name, as one safetensors file. */
  output: Uint8Array;
  /** blake2_256(output). */
  outputHash: Uint8Array;
  /** When the request asked for one: `fingerprint(outputValues(outputs), gridScale, maxLength)`. */
  fingerprint?: Int32Array;
  /** The first output's dimensions. */
  shape: number[];
  outputs: OutputInfo[];
  /** What the session ran with: `gpu` without CUDA runs on the CPU (see `resolveProfile`). */
  profile: ExecutionProfile;
  provider: ExecutionProviderName;
  /** False when this request created the session. */
  sessionReused: boolean;
}

export interface InferenceRunnerOptions extends Partial<InferenceLimits> {
  /** Release the thread (and its sessions) after this long without requests (default 5 min). */
  idleMs?: number;
  /** Requests posted to the thread at once (default 2; each holds an input slot of its size). */
  maxInFlight?: number;
}

export interface InferenceRunnerModules {
  log?: Logger;
  /** Starts the thread from its script (default `new Worker(script, { workerData })`); tests inject failures. */
  spawn?: (script: string, data: InferThreadData) => Worker;
}

export const defaultInferenceRunnerOptions = {
  idleMs: 5 * 60_000,
  maxInFlight: 2,
  memoryLimitBytes: 1024 * 1024 * 1024,
  maxInputBytes: 256 * 1024 * 1024,
  maxSessions: 4,
  threads: 1,
} satisfies Required<InferenceRunnerOptions>;

export function inferScriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return join(dirname(here), "inferThread.js");
  // Running from sources (jest): use the build output of the same tree.
  const root = here.replace(/[\\/]worker[\\/]infer[\\/]runner\.ts$/, "");
  return join(root, "dist", "worker", "infer", "inferThread.js");
}

type Reply = Extract<InferThreadMessage, { type: "done" | "error" }>;

interface Thread {
  worker: Worker;
  alive: boolean;
  exited: Promise<void>;
  /** The session keys the thread holds, as of its last reply. */
  held: Set<string>;
  /** Where inputs cross to the thread: shared memory slots not in use, each grown to the largest input it carried. */
  freeSlots: SharedArrayBuffer[];
  /** Requests posted and not answered yet, by id. */
  pending: Map<number, { resolve: (m: Reply) => void; reject: (e: Error) => void }>;
}

export class InferenceRunner {
  /**
   * Threads started, requests answered, sessions the thread created and reused, models sent to it,
   * and requests refused (rejected with an `InferError`).
   */
  readonly stats = {
    threadsStarted: 0,
    requests: 0,
    sessionsCreated: 0,
    sessionsReused: 0,
    modelsSent: 0,
    refused: 0,
  };
  private readonly opts: Required<InferenceRunnerOptions>;
  private readonly log: Logger;
  private readonly spawn: (script: string, data: InferThreadData) => Worker;
  private thread: Thread | undefined;
  /** Requests are posted, and closes run, one after another on this chain. */
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  /** Requests posted to the thread and not answered yet; woken on every answer. */
  private inFlight = 0;
  private answered: (() => void)[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(opts: InferenceRunnerOptions = {}, modules: InferenceRunnerModules = {}) {
    this.opts = { ...defaultInferenceRunnerOptions, ...opts };
    this.log = modules.log ?? nullLogger;
    this.spawn = modules.spawn ?? ((script, workerData) => new Worker(script, { workerData }));
  }

  /** Whether a thread is running (it is released after `idleMs` without requests). */
  get running(): boolean {
    return this.thread?.alive ?? false;
  }

  /** Whether the thread holds a session for this model and profile (then no model bytes are needed). */
  holds(modelHash: Uint8Array, profile: ExecutionProfile): boolean {
    return (this.thread?.alive && this.thread.held.has(sessionKey(modelHash, profile))) ?? false;
  }

  /** Runs the model on the input's whole batch, after the requests before it. */
  run(req: InferenceRequest): Promise<InferenceResult> {
    clearTimeout(this.idleTimer);
    this.queued++;
    // The next request may be posted once this one is (the thread queues them); the answer comes later.
    const posted = this.tail.then(() => this.post(req));
    this.tail = posted.catch(() => {});
    const result = posted.then(({ answer }) => answer);
    result
      .catch(() => {})
      .finally(() => {
        if (--this.queued === 0) this.armIdle();
      });
    return result.catch((e: unknown) => {
      if (e instanceof InferError) {
        this.stats.refused++;
        const level = e.type.code === "INFER_ERROR_THREAD" ? "warn" : "info";
        this.log[level]("Inference request refused", { code: e.type.code });
      }
      throw e;
    });
  }

  /** Lets the requests already made finish, then releases the thread; a later `run` starts a new one. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const closed = this.tail.then(async () => {
      await this.inFlightBelow(1);
      await this.retire();
    });
    this.tail = closed.catch(() => {});
    await closed;
  }

  private armIdle(): void {
    this.idleTimer = setTimeout(() => {
      if (this.queued === 0 && this.inFlight === 0) this.tail = this.tail.then(() => this.retire()).catch(() => {});
    }, this.opts.idleMs);
    // An idle runner does not keep the process alive.
    this.idleTimer.unref();
  }

  /** What can be refused without the thread: checked before any bytes cross. */
  private precheck(req: InferenceRequest): void {
    const refuse = (type: InferErrorType, message: string) => {
      throw new InferError(type, message);
    };
    if (req.modelBytes && req.modelPath)
      refuse({ code: "INFER_ERROR_BAD_REQUEST", reason: "both modelBytes and modelPath" }, "Give one model source");
    if (req.modelBytes && req.modelBytes.byteLength > this.opts.memoryLimitBytes)
      refuse(
        { code: "INFER_ERROR_MODEL_TOO_LARGE", bytes: req.modelBytes.byteLength, max: this.opts.memoryLimitBytes },
        `Model of ${req.modelBytes.byteLength} bytes is over the memory limit of ${this.opts.memoryLimitBytes}`,
      );
    if (req.input.byteLength > this.opts.maxInputBytes)
      refuse(
        { code: "INFER_ERROR_INPUT_TOO_LARGE", bytes: req.input.byteLength, max: this.opts.maxInputBytes },
        `Input of ${req.input.byteLength} bytes is over the limit of ${this.opts.maxInputBytes}`,
      );
    if (req.fingerprint)
      checkFingerprintGrid(req.fingerprint.gridScale, req.fingerprint.maxLength ?? FINGERPRINT_MAX_LENGTH);
  }

  /** Resolves once fewer than `n` requests are in flight. */
  private async inFlightBelow(n: number): Promise<void> {
    while (this.inFlight >= n) await new Promise<void>((r) => this.answered.push(r));
  }

  /**
   * Posts `req` to the thread once it may be (a free place in flight; for a model the thread does not
   * hold, nothing in flight, so that its bytes are sent once); `answer` settles with the thread's reply.
   * Wrapped in an object so that awaiting the posting does not wait for the answer.
   */
  private async post(req: InferenceRequest): Promise<{ answer: Promise<InferenceResult> }> {
    this.precheck(req);
    await this.inFlightBelow(this.opts.maxInFlight);
    const key = sessionKey(req.modelHash, req.profile);
    if (!(this.thread?.alive && this.thread.held.has(key))) await this.inFlightBelow(1);
    let t = this.thread;
    if (!t?.alive) t = this.thread = this.start();
    let model: EngineRequest["model"];
    if (!t.held.has(key)) {
      if (req.modelBytes) model = { bytes: req.modelBytes };
      else if (req.modelPath) model = { path: req.modelPath };
      else
        throw new InferError(
          { code: "INFER_ERROR_BAD_REQUEST", reason: "the model is not held and the request carries no model" },
          "The runner does not hold this model: give modelBytes or modelPath",
        );
      this.stats.modelsSent++;
    }
    // A transferred input crosses as it is; otherwise it is copied into a shared slot of this request's
    // own, which the thread reads in place (no clone, no allocation per request) and which no other
    // request writes until this one is answered.
    let input = req.input;
    const transfer: ArrayBuffer[] = [];
    let slot: SharedArrayBuffer | undefined;
    if (req.transferInput && input.buffer instanceof ArrayBuffer && input.byteLength === input.buffer.byteLength)
      transfer.push(input.buffer);
    else {
      slot = t.freeSlots.pop();
      if (!slot || slot.byteLength < input.byteLength) slot = new SharedArrayBuffer(input.byteLength);
      const view = new Uint8Array(slot, 0, input.byteLength);
      view.set(input);
      input = view;
    }
    const msg: InferThreadRequest = {
      type: "run",
      id: this.nextId++,
      modelHash: req.modelHash,
      model,
      input,
      profile: req.profile,
      fingerprint: req.fingerprint,
    };
    const thread = t;
    const answer = this.call(thread, msg, transfer, slot).then((reply) => {
      this.stats.requests++;
      if (reply.type === "error") throw errorFromWire(reply.error);
      const r = reply.result;
      if (r.sessionReused) this.stats.sessionsReused++;
      else this.stats.sessionsCreated++;
      return r;
    });
    return { answer };
  }

  /** Posts `msg`; `slot` (its input's, if any) is free again once the answer is in. */
  private call(
    t: Thread,
    msg: Extract<InferThreadRequest, { type: "run" }>,
    transfer: ArrayBuffer[],
    slot: SharedArrayBuffer | undefined,
  ): Promise<Reply> {
    this.inFlight++;
    return new Promise<Reply>((resolve, reject) => {
      t.pending.set(msg.id, { resolve, reject });
      // Busy: keep the process alive until the reply; idle: let it exit.
      if (t.pending.size === 1) t.worker.ref();
      t.worker.postMessage(msg, transfer);
    }).finally(() => {
      t.pending.delete(msg.id);
      if (slot) t.freeSlots.push(slot);
      if (t.pending.size === 0) t.worker.unref();
      this.inFlight--;
      for (const wake of this.answered.splice(0)) wake();
    });
  }

  private start(): Thread {
    const script = inferScriptPath();
    if (!existsSync(script))
      throw new InferError(
        { code: "INFER_ERROR_THREAD", reason: `missing ${script}` },
        `Inference thread script not found at ${script}; run npm run build`,
      );
    const { memoryLimitBytes, maxInputBytes, maxSessions, threads } = this.opts;
    const worker = this.spawn(script, { limits: { memoryLimitBytes, maxInputBytes, maxSessions, threads } });
    this.stats.threadsStarted++;
    let exited!: () => void;
    const t: Thread = {
      worker,
      alive: true,
      exited: new Promise((r) => (exited = r)),
      held: new Set(),
      freeSlots: [],
      pending: new Map(),
    };
    const fail = (reason: string) => {
      t.alive = false;
      t.held.clear();
      const error = new InferError({ code: "INFER_ERROR_THREAD", reason }, `Inference thread failed: ${reason}`);
      for (const p of t.pending.values()) p.reject(error);
    };
    worker.on("message", (m: InferThreadMessage) => {
      if (m.type === "log") this.log[m.level](m.msg, m.ctx);
      else {
        // Before anyone is woken by the answer: a request waiting to know whether to send its model.
        t.held = new Set(m.held);
        t.pending.get(m.id)?.resolve(m);
      }
    });
    worker.on("error", (e) => fail(e.message));
    worker.on("exit", (code) => {
      fail(`exited with code ${code}`);
      if (this.thread === t) this.thread = undefined;
      exited();
    });
    worker.unref();
    this.log.debug("Inference thread started", { threadId: worker.threadId });
    return t;
  }

  /** Asks the thread to exit once it has released its sessions; terminates it only past the grace time. */
  private async retire(): Promise<void> {
    const t = this.thread;
    if (!t) return;
    this.thread = undefined;
    if (t.alive) {
      await askToExit(t.worker, { type: "exit" } satisfies InferThreadRequest, t.exited);
    }
    this.log.debug("Inference thread released");
  }
}

/** The thread's error as an `InferError` (every error the engine throws is one; anything else is a run failure). */
function errorFromWire(w: Extract<WorkerMessage, { type: "error" }>["error"]): InferError {
  const type = w.type as InferErrorType | undefined;
  if (type?.code.startsWith("INFER_ERROR")) return new InferError(type, w.message);
  return new InferError({ code: "INFER_ERROR_RUN", reason: w.message }, w.message);
}
