/**
 * Overlapped state hashing: the state of step s is hashed on other cores while the trainer runs step
 * s+1, so the per-step hash costs the training loop next to nothing as long as the hashers keep up.
 *
 * Memory: a ring of `ring` slots in shared memory, each holding one copy of the state (every state
 * tensor at an 8-byte aligned offset). onnxruntime writes step outputs straight into a slot
 * (preallocated output tensors), the next step reads them from there as inputs, and the hasher threads
 * read the same bytes: no copy on the training thread. Job j (the j-th hashed step of this runner) uses
 * slot j mod ring; a slot is handed out again only once its previous job's hash has been collected, so
 * a step never writes state a hasher is still reading.
 *
 * Control block (Int32Array over a SharedArrayBuffer): `posted` = number of jobs posted, `stop`, then
 * one `done` word per slot (job j done → j + 1). Results: 32 bytes per slot. Hashes are collected in
 * job order, so results are delivered in step order whatever the hasher count.
 *
 * Hashes are the same bytes `StateHasher` hashes (`StateFrame`), so overlapping changes no hash value.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { bytesPerElement, viewOf } from "../onnx/dtype.js";
import { numel, type TensorData } from "../onnx/tensor.js";
import { TrainError } from "./errors.js";
import { canonicalOrder, type TensorLayout } from "./stateHash.js";

export const CONTROL = { posted: 0, stop: 1, done: 2 } as const;

export interface HasherInit {
  control: SharedArrayBuffer;
  results: SharedArrayBuffer;
  /** One buffer per ring slot; tensors at `slotOffsets(canonical layout)`. */
  slots: SharedArrayBuffer[];
  layout: TensorLayout[];
  index: number;
  count: number;
}

export interface HashPoolOptions {
  /** Hasher threads (default 1). Each hashes every `threads`-th job; more threads, more hash throughput. */
  threads?: number;
  /** Ring slots (default threads + 2: one being written, `threads` being hashed, one of slack). */
  ring?: number;
  /** Overrides where the compiled hasher thread script is. */
  scriptPath?: string;
}

/** Byte offsets of each tensor (in the given order) inside a slot, 8-byte aligned. */
export function slotOffsets(layout: readonly Pick<TensorLayout, "byteLength">[]): number[] {
  let off = 0;
  return layout.map((t) => {
    const at = off;
    off += Math.ceil(t.byteLength / 8) * 8;
    return at;
  });
}

/** The compiled hasher thread: next to this file in dist/, or the build of this tree from sources. */
export function hashThreadScriptPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith(".js")) return join(dirname(here), "hashThread.js");
  const root = here.replace(/[\\/]worker[\\/]train[\\/]hashPool\.ts$/, "");
  return join(root, "dist", "worker", "train", "hashThread.js");
}

/** `Atomics.waitAsync` (Node ≥ 16; not in the ES2023 lib typings). */
type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** How long one asynchronous wait lasts before a failed hasher is looked for again. */
const WAIT_SLICE_MS = 500;
/** How long a stopped hasher may take to return before it is terminated. */
const STOP_GRACE_MS = 2000;

interface Pending {
  resolve: (h: Uint8Array) => void;
  reject: (e: Error) => void;
  hash?: Uint8Array;
}

export class HashPool {
  readonly ring: number;
  readonly threads: number;
  /** Per slot, the state tensors (graph order, as given to `start`) viewing that slot's shared memory. */
  readonly slots: TensorData[][];
  private readonly control: Int32Array;
  private readonly results: Uint8Array;
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  /** Jobs posted so far, and the first job whose hash has not been collected yet. */
  private posted = 0;
  private collected = 0;
  private failure: Error | undefined;
  private closed = false;
  private pumping = false;
  private waiting = 0;
  private exited = 0;

  private constructor(init: Omit<HasherInit, "index" | "count">, slots: TensorData[][], workers: Worker[]) {
    this.control = new Int32Array(init.control);
    this.results = new Uint8Array(init.results);
    this.slots = slots;
    this.ring = slots.length;
    this.workers = workers;
    this.threads = workers.length;
    for (const w of workers) {
      w.on("error", (e) => this.fail(e.message));
      w.on("message", (m: unknown) => {
        if (typeof m === "object" && m && "error" in m) this.fail(String((m as { error: unknown }).error));
      });
      w.on("exit", (code) => {
        this.exited++;
        if (!this.closed) this.fail(`hasher thread exited with ${code}`);
      });
    }
  }

  /** Allocates the ring for a state of these tensors and starts the hasher threads. */
  static async start(state: readonly TensorData[], names: readonly string[], opts: HashPoolOptions = {}) {
    const threads = opts.threads ?? 1;
    const ring = opts.ring ?? threads + 2;
    if (!Number.isInteger(threads) || threads < 1 || !Number.isInteger(ring) || ring < threads + 1) {
      throw new TrainError({
        code: "TRAIN_ERROR_BAD_OPTIONS",
        reason: `bad hasher pool: ${threads} threads, ring ${ring}`,
      });
    }
    const script = opts.scriptPath ?? hashThreadScriptPath();
    if (!existsSync(script)) {
      throw new TrainError(
        { code: "TRAIN_ERROR_WORKER", reason: `missing ${script}` },
        `State hasher thread script not found at ${script}; run npm run build`,
      );
    }
    const given: TensorLayout[] = state.map((t, i) => ({
      name: names[i],
      dtype: t.dtype,
      dims: [...t.dims],
      byteLength: numel(t.dims) * bytesPerElement(t.dtype),
    }));
    const layout = canonicalOrder(given);
    const offsets = slotOffsets(layout);
    const at = new Map(layout.map((t, i) => [t.name, offsets[i]]));
    const size = offsets.length ? offsets.at(-1)! + Math.ceil(layout.at(-1)!.byteLength / 8) * 8 : 0;
    const sabs = Array.from({ length: ring }, () => new SharedArrayBuffer(Math.max(8, size)));
    const slots = sabs.map((sab) =>
      given.map((t) => ({
        dtype: t.dtype,
        dims: [...t.dims],
        data: viewOf(t.dtype, sab, at.get(t.name)!, t.byteLength),
      })),
    );
    const init = {
      control: new SharedArrayBuffer(4 * (CONTROL.done + ring)),
      results: new SharedArrayBuffer(32 * ring),
      slots: sabs,
      layout,
    };
    const workers = Array.from(
      { length: threads },
      (_, index) => new Worker(script, { workerData: { ...init, index, count: threads } satisfies HasherInit }),
    );
    try {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              w.once("message", () => resolve());
              w.once("error", reject);
              w.once("exit", (code) => reject(new Error(`hasher thread exited with ${code}`)));
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw new TrainError({ code: "TRAIN_ERROR_WORKER", reason: (e as Error).message }, (e as Error).message);
    }
    // An idle hasher never keeps the process alive (close() still stops it).
    for (const w of workers) {
      w.removeAllListeners();
      w.unref();
    }
    return new HashPool(init, slots, workers);
  }

  /** Hasher threads still running. */
  get running(): number {
    return this.threads - this.exited;
  }

  /** The slot the next posted job uses, once every earlier hash that used it has been collected. */
  async nextSlot(): Promise<number> {
    const job = this.posted;
    if (job >= this.ring) await this.collectThrough(job - this.ring);
    return job % this.ring;
  }

  /**
   * Posts the state in `nextSlot()` for hashing. `hash()` gives a promise that settles in job order
   * (asking for it starts collecting in the background); `peek` gives the hash without waiting once it
   * is there.
   */
  post(): { hash: () => Promise<Uint8Array>; peek: () => Uint8Array | undefined } {
    this.check();
    const job = this.posted++;
    let p!: Pending;
    const hash = new Promise<Uint8Array>((resolve, reject) => {
      p = { resolve, reject };
    });
    hash.catch(() => {}); // a caller that drops the promise must not see an unhandled rejection
    this.pending.set(job, p);
    Atomics.store(this.control, CONTROL.posted, this.posted);
    Atomics.notify(this.control, CONTROL.posted);
    return {
      hash: () => {
        if (!p.hash) void this.pump();
        return hash;
      },
      peek: () => {
        if (!p.hash) this.poll();
        return p.hash;
      },
    };
  }

  /** Collects, without waiting, every hash finished so far (in job order). */
  poll(): void {
    while (this.collected < this.posted && this.isDone(this.collected)) this.collectOne();
  }

  /** Waits for and collects every hash up to job `job`. */
  async collectThrough(job: number): Promise<void> {
    while (this.collected <= job) {
      this.check();
      const slot = this.collected % this.ring;
      const seen = Atomics.load(this.control, CONTROL.done + slot);
      if (seen === this.collected + 1) {
        this.collectOne();
        continue;
      }
      const w = waitAsync(this.control, CONTROL.done + slot, seen, WAIT_SLICE_MS);
      if (w.async) {
        // A pending Atomics.waitAsync does not keep the process alive; the hashers do while waited on.
        this.waiting++;
        if (this.waiting === 1) for (const t of this.workers) t.ref();
        try {
          await w.value;
        } finally {
          this.waiting--;
          if (this.waiting === 0) for (const t of this.workers) t.unref();
        }
      }
    }
  }

  /** Collects every posted hash in the background (someone is waiting for one). */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.collected < this.posted && !this.failure && !this.closed) await this.collectThrough(this.collected);
    } catch {
      // The failure has rejected every pending hash already.
    } finally {
      this.pumping = false;
    }
  }

  /** Waits for every posted hash. */
  async drain(): Promise<void> {
    await this.collectThrough(this.posted - 1);
  }

  /** Stops the hasher threads (pending hashes are rejected) and waits until they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, CONTROL.stop, 1);
    Atomics.notify(this.control, CONTROL.posted);
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const guard = setTimeout(() => void w.terminate(), STOP_GRACE_MS);
            w.once("exit", () => {
              clearTimeout(guard);
              resolve();
            });
            if (w.threadId === -1) {
              clearTimeout(guard);
              resolve();
            }
          }),
      ),
    );
    this.rejectAll(new TrainError({ code: "TRAIN_ERROR_WORKER", reason: "hasher pool closed" }, "Hasher pool closed"));
  }

  private isDone(job: number): boolean {
    return Atomics.load(this.control, CONTROL.done + (job % this.ring)) === job + 1;
  }

  private collectOne(): void {
    const job = this.collected++;
    const slot = job % this.ring;
    const h = this.results.slice(slot * 32, slot * 32 + 32);
    const p = this.pending.get(job)!;
    this.pending.delete(job);
    p.hash = h;
    p.resolve(h);
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed)
      throw new TrainError({ code: "TRAIN_ERROR_WORKER", reason: "hasher pool closed" }, "Hasher pool closed");
  }

  private fail(reason: string): void {
    if (this.failure || this.closed) return;
    this.failure = new TrainError({ code: "TRAIN_ERROR_WORKER", reason }, `State hasher failed: ${reason}`);
    this.rejectAll(this.failure);
  }

  private rejectAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
