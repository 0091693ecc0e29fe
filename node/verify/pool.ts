/**
 * `SignatureVerifierPool`: verifies batches of signatures on worker threads, for block import.
 *
 * A batch is checked on the calling thread (lengths and schemes: a `SignatureError` for malformed items),
 * split into chunks of at most `maxBatch` items (about one per thread), and each chunk is packed into
 * one `ArrayBuffer` that is transferred to an idle worker (see `packing.ts`). Results come back as one
 * byte per item and are reassembled in the batch's order.
 *
 * Failure: a worker that exits or throws fails its in-flight chunk, and with it the batch, with
 * `VERIFIER_POOL_ERROR_WORKER_CRASHED`, and is replaced; queued chunks go to the replacement. A worker
 * that dies before answering anything three times in a row is not replaced again (a broken build or
 * wasm), and once no worker is left every queued chunk fails instead of hanging.
 *
 * Idle workers are `unref`'d, so a pool that is not closed does not keep the process alive; call
 * `close()` all the same.
 */
import { Worker } from "node:worker_threads";
import { SignatureError } from "../../primitives/crypto/errors.js";
import { isSignatureScheme, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../../primitives/crypto/types.js";
import { verifySignature } from "../../primitives/crypto/verify.js";
import { cryptoReady } from "../../primitives/hashing.js";
import type { Logger } from "../../primitives/logger.js";
import { VerifierPoolError } from "./errors.js";
import { defaultThreadCount, defaultVerifierPoolOptions, MIN_CHUNK, type VerifierPoolOptions } from "./options.js";
import { packChunk, type VerifyItem } from "./packing.js";
import type { VerifyRequest, VerifyResponse } from "./verifyWorker.js";
import { resolveWorkerScript } from "./workerScript.js";

export type { VerifyItem } from "./packing.js";

export interface VerifierPoolModules {
  logger?: Logger;
}

interface Job {
  id: number;
  buf: ArrayBuffer;
  resolve(results: Uint8Array): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  threadId: number;
  job: Job | null;
  /** Chunks this worker has answered; 0 means it has never worked. */
  answered: number;
  lastError: string | null;
}

/** A worker that dies this many times in a row without answering once is not replaced again. */
const MAX_STARTUP_CRASHES = 3;

export class SignatureVerifierPool {
  readonly threads: number;
  private readonly maxBatch: number;
  private readonly workerScript: string | null;
  private readonly logger?: Logger;
  private readonly slots: (Slot | null)[] = [];
  private readonly startupCrashes: number[] = [];
  private readonly queue: Job[] = [];
  private nextJobId = 1;
  private closed = false;

  constructor(opts: VerifierPoolOptions = {}, modules: VerifierPoolModules = {}) {
    this.threads = Math.max(0, Math.floor(opts.threads ?? defaultThreadCount()));
    this.maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? defaultVerifierPoolOptions.maxBatch));
    this.logger = modules.logger;
    this.workerScript = this.threads > 0 ? resolveWorkerScript(opts.workerPath) : null;
    for (let i = 0; i < this.threads; i++) {
      this.startupCrashes.push(0);
      this.slots.push(this.spawn(i));
    }
  }

  /**
   * Verifies every item; `result[i]` is item i's validity. Invalid signatures are `false`, never errors;
   * a malformed item (wrong length, unknown scheme) rejects the whole batch with a `SignatureError`.
   */
  async verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (this.closed) throw new VerifierPoolError({ code: "VERIFIER_POOL_ERROR_CLOSED" });
    checkItems(items);
    const n = items.length;
    if (n === 0) return [];
    if (this.threads === 0) {
      await cryptoReady();
      return items.map((it) => verifySignature(it.scheme, it.signature, it.message, it.publicKey));
    }

    const chunkSize = Math.min(this.maxBatch, Math.max(MIN_CHUNK, Math.ceil(n / this.threads)));
    const out = new Array<boolean>(n);
    const pending: Promise<void>[] = [];
    for (let start = 0; start < n; start += chunkSize) {
      const end = Math.min(n, start + chunkSize);
      const buf = packChunk(items, start, end);
      pending.push(
        this.submit(buf).then((results) => {
          for (let j = 0; j < results.length; j++) out[start + j] = results[j] === 1;
        }),
      );
    }
    await Promise.all(pending);
    return out;
  }

  /** Number of live worker threads (for metrics and tests). */
  get liveWorkers(): number {
    return this.slots.filter((s) => s !== null).length;
  }

  /** Terminates the workers; in-flight and queued batches fail with `VERIFIER_POOL_ERROR_CLOSED`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = () => new VerifierPoolError({ code: "VERIFIER_POOL_ERROR_CLOSED" });
    for (const job of this.queue.splice(0)) job.reject(err());
    const exits: Promise<number>[] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i];
      if (slot === null) continue;
      this.slots[i] = null;
      slot.job?.reject(err());
      slot.job = null;
      exits.push(slot.worker.terminate());
    }
    await Promise.all(exits);
  }

  private submit(buf: ArrayBuffer): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ id: this.nextJobId++, buf, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot === null || slot.job !== null) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      try {
        const req: VerifyRequest = { id: job.id, buf: job.buf };
        slot.worker.postMessage(req, [job.buf]);
      } catch (e) {
        slot.job = null;
        slot.worker.unref();
        job.reject(
          new VerifierPoolError({
            code: "VERIFIER_POOL_ERROR_WORKER_FAILED",
            threadId: slot.threadId,
            reason: (e as Error).message,
          }),
        );
      }
    }
    if (this.queue.length > 0 && this.liveWorkers === 0) this.failQueue("no live verifier worker");
  }

  private spawn(index: number): Slot {
    const worker = new Worker(this.workerScript!, { name: `sig-verifier-${index}` });
    const slot: Slot = { worker, threadId: worker.threadId, job: null, answered: 0, lastError: null };
    worker.unref();
    worker.on("message", (res: VerifyResponse) => this.onMessage(slot, res));
    worker.on("error", (e) => {
      slot.lastError = e instanceof Error ? e.message : String(e);
    });
    worker.on("messageerror", (e) => {
      slot.lastError = `messageerror: ${e.message}`;
      void worker.terminate();
    });
    worker.on("exit", (code) => this.onExit(index, slot, code));
    return slot;
  }

  private onMessage(slot: Slot, res: VerifyResponse): void {
    const job = slot.job;
    if (job === null || job.id !== res.id) return;
    slot.job = null;
    slot.answered++;
    slot.worker.unref();
    if ("error" in res) {
      job.reject(
        new VerifierPoolError({
          code: "VERIFIER_POOL_ERROR_WORKER_FAILED",
          threadId: slot.threadId,
          reason: res.error,
        }),
      );
    } else {
      job.resolve(new Uint8Array(res.results));
    }
    this.pump();
  }

  private onExit(index: number, slot: Slot, exitCode: number): void {
    if (this.closed || this.slots[index] !== slot) return;
    const reason = slot.lastError ?? `exited with code ${exitCode}`;
    this.logger?.warn("Signature verifier worker died", { threadId: slot.threadId, exitCode, reason });
    const job = slot.job;
    slot.job = null;
    job?.reject(
      new VerifierPoolError({ code: "VERIFIER_POOL_ERROR_WORKER_CRASHED", threadId: slot.threadId, exitCode, reason }),
    );
    this.startupCrashes[index] = slot.answered === 0 ? this.startupCrashes[index] + 1 : 0;
    if (this.startupCrashes[index] >= MAX_STARTUP_CRASHES) {
      this.logger?.error("Signature verifier worker keeps dying; not replacing it", { index, reason });
      this.slots[index] = null;
    } else {
      this.slots[index] = this.spawn(index);
    }
    this.pump();
  }

  private failQueue(reason: string): void {
    for (const job of this.queue.splice(0)) {
      job.reject(
        new VerifierPoolError({ code: "VERIFIER_POOL_ERROR_WORKER_CRASHED", threadId: -1, exitCode: null, reason }),
      );
    }
  }
}

function checkItems(items: readonly VerifyItem[]): void {
  for (const it of items) {
    if (!isSignatureScheme(it.scheme)) {
      throw new SignatureError({ code: "SIGNATURE_ERROR_UNKNOWN_SCHEME", scheme: String(it.scheme) });
    }
    if (it.signature.length !== SIGNATURE_LENGTH) {
      throw new SignatureError({
        code: "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH",
        scheme: it.scheme,
        length: it.signature.length,
        expected: SIGNATURE_LENGTH,
      });
    }
    if (it.publicKey.length !== PUBLIC_KEY_LENGTH) {
      throw new SignatureError({
        code: "SIGNATURE_ERROR_INVALID_PUBLIC_KEY_LENGTH",
        scheme: it.scheme,
        length: it.publicKey.length,
        expected: PUBLIC_KEY_LENGTH,
      });
    }
  }
}
