/**
 * A segment verifier that keeps one worker thread warm across re-executions (DESIGN §6).
 *
 * `reexecuteSegment` starts a thread per segment: ~1.2 s to load the thread's modules and ~70 ms to
 * build the training graph and session, against 60-100 ms of steps for a typical segment. An auditor
 * re-executes several segments per job, one after another, so `SegmentVerifier` pays the first cost
 * once per thread and the second once per job: the thread keeps the runner of the last job it ran
 * (same model and dataset bytes, hyper-parameters, seed and worker key: `sameJob.ts`) and only
 * restores each request's start state. The model and dataset cross to the thread only when the job
 * changes; a start state crosses through shared memory (`sharedStart.ts`).
 *
 * Requests run one at a time in call order. The thread is released after `idleMs` without requests
 * and by `close()`, always by asking it to exit (it releases its session, then its event loop ends):
 * it is never terminated inside an onnxruntime call, except when it has not exited `EXIT_GRACE_MS`
 * after being asked. A thread that crashes or exits during a request rejects that request with
 * `AUDIT_ERROR_VERIFIER_THREAD`; the next request starts a fresh one.
 *
 * Re-execution is `cpu-exact` on one onnxruntime thread whatever the job says, as in
 * `reexecuteSegment`, and gives the same end state hash and model bit for bit. The caller checks the
 * start checkpoint against its leaf (`openStartCheckpoint`), best in `alongside`, while the thread
 * re-executes: the check is a pass over the whole state, about 2% of a segment for a small model. The
 * thread checks that the tensors are the job's state, and a mismatch is `AUDIT_ERROR_BAD_CHECKPOINT`.
 *
 * The verifier keeps a reference to the last job's buffers to compare the next job against: do not
 * change a job's model or dataset in place after handing it over (the thread holds its own copy).
 *
 * The thread runs the compiled module (dist/worker/verify/verifierThread.js): run `npm run build` first
 * when using this from the TypeScript sources (as the tests do).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Logger, nullLogger } from "../../primitives/logger.js";
import type { Checkpoint } from "../train/checkpoint.js";
import type { TrainingJob } from "../train/runner.js";
import { errorFromWire } from "../train/wire.js";
import { askToExit } from "../util/threadExit.js";
import { AuditError, auditErrorOf } from "./errors.js";
import { sameJob } from "./sameJob.js";
import { SharedStartSlot } from "./sharedStart.js";
import type { VerifierThreadMessage, VerifierThreadRequest } from "./verifierWire.js";

export interface VerifySegmentRequest {
  /** The job as its trainer ran it; its profile and thread count are ignored (cpu-exact, one thread). */
  job: TrainingJob;
  /** The state the segment starts from (already checked against its leaf); absent for segment 1. */
  start?: Checkpoint;
  /** The step the end state hash is taken after: min(i·k, N) for segment i. */
  endStep: number;
  /** Also return the trained model (the last segment's, which the submitted model must equal). */
  exportModel: boolean;
  /**
   * Runs on the calling thread once the request is with the verifier thread, so that it overlaps the
   * re-execution: the start checkpoint's hash checks (`openStartCheckpoint`). If it throws, the request
   * fails with its error once the thread is done, whatever the thread found.
   */
  alongside?: () => void;
}

export interface VerifySegmentResult {
  endStateHash: Uint8Array;
  finalStep: number;
  /** The trained ONNX model, when `exportModel` was asked. */
  model?: Uint8Array;
}

export interface SegmentVerifierOptions {
  /** Release the thread after this long without requests (default 30 s). */
  idleMs?: number;
}

export interface SegmentVerifierModules {
  log?: Logger;
  /** Starts the thread from its script (default `new Worker(script)`); tests inject failures here. */
  spawn?: (script: string) => Worker;
}

export const defaultSegmentVerifierOptions: Required<SegmentVerifierOptions> = { idleMs: 30_000 };

export function verifierScriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return join(dirname(here), "verifierThread.js");
  // Running from sources (jest): use the build output of the same tree.
  const root = here.replace(/[\\/]worker[\\/]verify[\\/]verifier\.ts$/, "");
  return join(root, "dist", "worker", "verify", "verifierThread.js");
}

type Reply = Extract<VerifierThreadMessage, { type: "done" | "error" }>;

interface Pending {
  id: number;
  resolve: (m: Reply) => void;
  reject: (e: Error) => void;
}

interface Thread {
  worker: Worker;
  alive: boolean;
  exited: Promise<void>;
  /** The key of the job the thread holds, and that job (to compare the next one with). */
  key?: number;
  job?: TrainingJob;
  pending?: Pending;
  /** Where each request's start state goes to the thread. */
  startSlot: SharedStartSlot;
}

export class SegmentVerifier {
  /** Threads started, and jobs sent to them to load (a load builds the training graph and session). */
  readonly stats = { threadsStarted: 0, jobsLoaded: 0 };
  private readonly opts: Required<SegmentVerifierOptions>;
  private readonly log: Logger;
  private readonly spawn: (script: string) => Worker;
  private thread: Thread | undefined;
  /** Requests, exits and closes run one after another on this chain. */
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private nextKey = 1;

  constructor(opts: SegmentVerifierOptions = {}, modules: SegmentVerifierModules = {}) {
    this.opts = { ...defaultSegmentVerifierOptions, ...opts };
    this.log = modules.log ?? nullLogger;
    this.spawn = modules.spawn ?? ((script) => new Worker(script));
  }

  /** Whether a thread is running (it is released after `idleMs` without requests). */
  get running(): boolean {
    return this.thread?.alive ?? false;
  }

  /** Re-executes from `start` (or the job's initial state) to `endStep`, after the requests before it. */
  run(req: VerifySegmentRequest): Promise<VerifySegmentResult> {
    const from = req.start?.step ?? 0;
    if (!Number.isSafeInteger(req.endStep) || req.endStep <= from)
      return Promise.reject(
        new AuditError(
          { code: "AUDIT_ERROR_BAD_SEGMENT", reason: `end step ${req.endStep} after start step ${from}` },
          `Bad segment: end step ${req.endStep} after start step ${from}`,
        ),
      );
    clearTimeout(this.idleTimer);
    this.queued++;
    const result = this.tail.then(() => this.execute(req));
    this.tail = result
      .catch(() => {})
      .finally(() => {
        if (--this.queued === 0) this.armIdle();
      });
    return result;
  }

  /** Lets the requests already made finish, then releases the thread; a later `run` starts a new one. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const closed = this.tail.then(() => this.retire());
    this.tail = closed.catch(() => {});
    await closed;
  }

  private armIdle(): void {
    this.idleTimer = setTimeout(() => {
      if (this.queued === 0) this.tail = this.tail.then(() => this.retire()).catch(() => {});
    }, this.opts.idleMs);
    // An idle verifier does not keep the process alive.
    this.idleTimer.unref();
  }

  private async execute(req: VerifySegmentRequest): Promise<VerifySegmentResult> {
    let t = this.thread;
    if (!t?.alive) t = this.thread = this.start();
    const loaded = t.key !== undefined && t.job !== undefined && sameJob(t.job, req.job);
    const key = loaded ? t.key! : this.nextKey++;
    const msg: VerifierThreadRequest = {
      type: "run",
      id: this.nextId++,
      key,
      // Bit-exact re-execution is defined for cpu-exact only, whatever the caller's job says.
      job: loaded ? undefined : { ...req.job, profile: "cpu-exact", threads: 1 },
      start: req.start && t.startSlot.write(req.start),
      endStep: req.endStep,
      exportModel: req.exportModel,
    };
    if (!loaded) this.stats.jobsLoaded++;
    const replied = this.call(t, msg);
    let refused: { error: unknown } | undefined;
    try {
      req.alongside?.();
    } catch (error) {
      refused = { error };
    }
    const reply = await replied;
    t.key = reply.cached;
    t.job = reply.cached === undefined ? undefined : reply.cached === key ? req.job : t.job;
    if (refused) throw refused.error;
    if (reply.type === "error") throw auditErrorOf(errorFromWire(reply.error));
    return {
      endStateHash: reply.endStateHash,
      finalStep: reply.finalStep,
      model: reply.model,
    };
  }

  private call(t: Thread, msg: Extract<VerifierThreadRequest, { type: "run" }>): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      t.pending = { id: msg.id, resolve, reject };
      // Busy: keep the process alive until the reply; idle: let it exit.
      t.worker.ref();
      t.worker.postMessage(msg);
    }).finally(() => {
      t.pending = undefined;
      t.worker.unref();
    });
  }

  private start(): Thread {
    const script = verifierScriptPath();
    if (!existsSync(script))
      throw new AuditError(
        { code: "AUDIT_ERROR_VERIFIER_THREAD", reason: `missing ${script}` },
        `Verifier thread script not found at ${script}; run npm run build`,
      );
    const worker = this.spawn(script);
    this.stats.threadsStarted++;
    let exited!: () => void;
    const t: Thread = {
      worker,
      alive: true,
      exited: new Promise((r) => (exited = r)),
      startSlot: new SharedStartSlot(),
    };
    const fail = (reason: string) => {
      t.alive = false;
      t.pending?.reject(
        new AuditError({ code: "AUDIT_ERROR_VERIFIER_THREAD", reason }, `Verifier thread failed: ${reason}`),
      );
    };
    worker.on("message", (m: VerifierThreadMessage) => {
      if (m.type === "log") this.log[m.level](m.msg, m.ctx);
      else if (m.id === t.pending?.id) t.pending.resolve(m);
    });
    worker.on("error", (e) => fail(e.message));
    worker.on("exit", (code) => {
      fail(`exited with code ${code}`);
      if (this.thread === t) this.thread = undefined;
      exited();
    });
    worker.unref();
    this.log.debug("Verifier thread started", { threadId: worker.threadId });
    return t;
  }

  /** Asks the thread to exit once it has released its session; terminates it only past the grace time. */
  private async retire(): Promise<void> {
    const t = this.thread;
    if (!t) return;
    this.thread = undefined;
    if (t.alive) {
      await askToExit(t.worker, { type: "exit" } satisfies VerifierThreadRequest, t.exited);
    }
    this.log.debug("Verifier thread released");
  }
}
