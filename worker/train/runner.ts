/**
 * Runs training steps of one job on onnxruntime-node. The runner owns the state (parameters and
 * optimizer state as typed arrays), feeds it with the step's batch to the training graph, and keeps the
 * graph's outputs as the new state: one session run per step, no copies back into the model in between.
 *
 * Step s (1-based) uses the batch `BatchOrder.indicesForStep(s)`. The caller says per step whether to
 * hash the new state: a worker hashes only at checkpoint leaves (every k steps and the last, `loop.ts`),
 * since hashing every step cost 11-32% of a step. A non-finite loss rejects the step: the state stays as
 * it was and a typed error is thrown.
 *
 * Hashing is overlapped by default: onnxruntime writes a hashed step's state into a shared-memory ring
 * slot and hasher threads (`hashPool.ts`) hash it while the next steps train. `startStep` returns as
 * soon as the step is applied, with its hash still coming; `runStep` waits for the hash; `runSteps`
 * (loop.ts) keeps the pipeline full. The hashed bytes are the same in both modes (`StateFrame` =
 * `StateHasher`).
 */
import { availableParallelism } from "node:os";
import ort from "onnxruntime-node";
import { type Logger, nullLogger } from "../../primitives/logger.js";
import type { LossKind } from "../autodiff/losses.js";
import { buildTrainingGraph, LOSS_OUTPUT, LR_INPUT, type TrainingGraph } from "../autodiff/trainingGraph.js";
import { type Dataset, datasetSize, validateDataset } from "../data/dataset.js";
import { decodeModel, replaceInitializers } from "../onnx/model.js";
import { numel, type TensorData } from "../onnx/tensor.js";
import type { OptimizerSpec } from "../optim/optimizers.js";
import { BatchOrder } from "./batchOrder.js";
import type { Checkpoint } from "./checkpoint.js";
import { TrainError } from "./errors.js";
import { HashPool } from "./hashPool.js";
import { type ExecutionProfile, type ResolvedProfile, resolveProfile } from "./profile.js";
import { StateFrame } from "./stateHash.js";

export interface TrainingJob {
  /** The client's forward model (ONNX bytes). */
  model: Uint8Array;
  dataset: Dataset;
  loss?: LossKind;
  optimizer: OptimizerSpec;
  lr: number;
  /** Learning-rate schedule; "linear-decay" goes from lr at step 1 to lr/totalSteps at the last step. */
  lrSchedule?: LrSchedule;
  batchSize: number;
  seed: bigint;
  workerKey: Uint8Array;
  profile?: ExecutionProfile | "auto";
  threads?: number;
}

export type LrSchedule = { kind: "constant" } | { kind: "linear-decay"; totalSteps: number };

/** The learning rate of step `step` (1-based), a pure function so verifiers derive the same value. */
export function learningRate(lr: number, schedule: LrSchedule | undefined, step: number): number {
  if (!schedule || schedule.kind === "constant") return lr;
  return (lr * Math.max(0, schedule.totalSteps - step + 1)) / schedule.totalSteps;
}

export interface StepResult {
  step: number;
  loss: number;
  /** The state hash after the step, for a step that was hashed (a leaf). */
  stateHash?: Uint8Array;
}

export interface HashedStep extends StepResult {
  stateHash: Uint8Array;
}

/** A step applied, whose state hash (if it was asked for) may still be computing on a hasher thread. */
export interface PendingStep {
  step: number;
  loss: number;
  /** Settles in step order; undefined for a step started without a hash. */
  stateHash: Promise<Uint8Array> | undefined;
  /** The hash if it is already there (never waits); undefined until then, and for a step without one. */
  hashed(): Uint8Array | undefined;
  /** Whether the step is ready to hand over: hashed, or started without a hash. */
  settled(): boolean;
}

/** "overlapped": hasher threads hash step s while step s+1 trains; "sync": hash on the training thread. */
export type HashingMode = "overlapped" | "sync";

export interface RunnerOptions {
  log?: Logger;
  /** Default "overlapped"; falls back to "sync" (with a warning) when the hasher thread cannot start. */
  hashing?: HashingMode;
  /** Hasher threads in overlapped mode (default: the cores left after onnxruntime's, 1 to 4). */
  hashThreads?: number;
}

export class TrainingRunner {
  readonly graph: TrainingGraph;
  readonly order: BatchOrder;
  readonly profile: ResolvedProfile;
  /** Steps applied so far. */
  step = 0;
  private readonly job: TrainingJob;
  private readonly session: ort.InferenceSession;
  private state = new Map<string, TensorData>();
  private readonly frame: StateFrame;
  private readonly xBuf: Float32Array;
  private readonly yBuf: BigInt64Array | Float32Array;
  private readonly lrBuf: Float32Array | Float64Array;
  /** Overlapped hashing: the hasher pool, and per ring slot the preallocated output tensors. */
  private readonly pool: HashPool | undefined;
  private readonly slotFetches: Record<string, ort.Tensor | null>[] = [];
  /**
   * Two state sets that steps without a hash write into, each step the one it does not read: a step
   * allocates no state buffers (onnxruntime's own outputs cost a state's worth of garbage per step).
   */
  private readonly spares: { tensors: TensorData[]; fetches: Record<string, ort.Tensor | null> }[];

  private constructor(
    job: TrainingJob,
    graph: TrainingGraph,
    session: ort.InferenceSession,
    profile: ResolvedProfile,
    pool: HashPool | undefined,
    frame: StateFrame,
  ) {
    this.job = job;
    this.frame = frame;
    this.graph = graph;
    this.session = session;
    this.profile = profile;
    this.pool = pool;
    const fetchesInto = (tensors: TensorData[]) => {
      const fetches: Record<string, ort.Tensor | null> = { [LOSS_OUTPUT]: null };
      graph.state.forEach((s, i) => {
        fetches[s.next] = new ort.Tensor(s.initial.dtype as "float32", tensors[i].data as Float32Array, s.dims);
      });
      return fetches;
    };
    for (const slot of pool?.slots ?? []) this.slotFetches.push(fetchesInto(slot));
    this.spares = [0, 1].map(() => {
      const tensors = graph.state.map((s) => cloneTensor(s.initial));
      return { tensors, fetches: fetchesInto(tensors) };
    });
    this.order = new BatchOrder(job.seed, job.workerKey, datasetSize(job.dataset), job.batchSize);
    for (const s of graph.state) this.state.set(s.name, cloneTensor(s.initial));
    this.xBuf = new Float32Array(numel(graph.input.dims));
    this.yBuf =
      graph.target.dtype === "int64"
        ? new BigInt64Array(numel(graph.target.dims))
        : new Float32Array(numel(graph.target.dims));
    this.lrBuf = graph.floatType === "float64" ? new Float64Array(1) : new Float32Array(1);
  }

  /** Builds the training graph, checks the dataset against it, and opens the session. */
  static async create(job: TrainingJob, opts: RunnerOptions = {}): Promise<TrainingRunner> {
    const log = opts.log ?? nullLogger;
    if (!(job.lr > 0) || !Number.isFinite(job.lr))
      throw new TrainError({ code: "TRAIN_ERROR_BAD_OPTIONS", reason: `lr must be positive, got ${job.lr}` });
    const model = decodeModel(job.model);
    const loss = job.loss ?? "cross_entropy";
    const graph = buildTrainingGraph(model, { loss, optimizer: job.optimizer, batchSize: job.batchSize });
    const sampleDims = graph.input.dims.slice(1);
    validateDataset(
      job.dataset,
      sampleDims,
      loss === "cross_entropy"
        ? { kind: "classes", classes: graph.outputDims[1] }
        : { kind: "values", dims: graph.outputDims.slice(1) },
    );
    const profile = resolveProfile(job.profile ?? "auto", job.threads ?? 1, log);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(graph.bytes, profile.sessionOptions);
    } catch (e) {
      throw new TrainError(
        { code: "TRAIN_ERROR_SESSION", reason: (e as Error).message },
        `onnxruntime rejected the training graph: ${(e as Error).message}`,
      );
    }
    log.debug("Training graph ready", {
      nodes: graph.graph.nodes.length,
      parameters: graph.parameters.length,
      batch: job.batchSize,
    });
    let pool: HashPool | undefined;
    if ((opts.hashing ?? "overlapped") === "overlapped") {
      const threads = opts.hashThreads ?? Math.max(1, Math.min(4, availableParallelism() - profile.threads));
      try {
        pool = await HashPool.start(
          graph.state.map((s) => s.initial),
          graph.state.map((s) => s.name),
          { threads },
        );
      } catch (e) {
        log.warn("State hasher threads unavailable; hashing on the training thread", { reason: (e as Error).message });
      }
    }
    const frame = await StateFrame.create(
      graph.state.map((s) => ({
        name: s.name,
        dtype: s.initial.dtype,
        dims: s.dims,
        byteLength: s.initial.data.byteLength,
      })),
    );
    return new TrainingRunner(job, graph, session, profile, pool, frame);
  }

  /** How a step's state hash is computed. */
  get hashing(): HashingMode {
    return this.pool ? "overlapped" : "sync";
  }

  get stepsPerEpoch(): number {
    return this.order.stepsPerEpoch;
  }

  /**
   * Parameters and optimizer state, in canonical order. These view a ring slot or a spare state set that
   * a later step overwrites: copy what must outlive the next step (as `checkpoint()` does).
   */
  stateTensors(): { name: string; tensor: TensorData }[] {
    return this.graph.state.map((s) => ({ name: s.name, tensor: this.state.get(s.name)! }));
  }

  currentStateHash(): Uint8Array {
    return this.frame.hashTensors(this.stateTensors());
  }

  /** Applies step `this.step + 1` and waits for its state hash. */
  async runStep(): Promise<HashedStep> {
    const p = await this.startStep();
    return { step: p.step, loss: p.loss, stateHash: (await p.stateHash)! };
  }

  /**
   * Applies step `this.step + 1`; with `hash`, its state hash is computed on a hasher thread
   * (overlapped mode) while the caller goes on with the next steps. At most `ring` hashed steps are in
   * flight: a step whose ring slot is still being hashed waits for that hash first. A step without a
   * hash writes into a spare state set, so it never touches a slot a hasher may be reading.
   */
  async startStep(hash = true): Promise<PendingStep> {
    const step = this.step + 1;
    this.fillBatch(this.order.indicesForStep(step));
    const g = this.graph;
    this.lrBuf[0] = learningRate(this.job.lr, this.job.lrSchedule, step);
    const feeds: Record<string, ort.Tensor> = {
      [g.input.name]: new ort.Tensor("float32", this.xBuf, g.input.dims),
      [g.target.name]: new ort.Tensor(g.target.dtype === "int64" ? "int64" : "float32", this.yBuf, g.target.dims),
      [LR_INPUT]: new ort.Tensor(this.lrBuf instanceof Float64Array ? "float64" : "float32", this.lrBuf, []),
    };
    for (const s of g.state) {
      const t = this.state.get(s.name)!;
      feeds[s.name] = new ort.Tensor(t.dtype as "float32", t.data as Float32Array, t.dims);
    }
    const slot = this.pool && hash ? await this.pool.nextSlot() : -1;
    const spare = this.freeSpare();
    const out = await this.session.run(feeds, slot >= 0 ? this.slotFetches[slot] : spare.fetches);
    const loss = Number(out[LOSS_OUTPUT].data[0]);
    if (!Number.isFinite(loss)) {
      throw new TrainError(
        { code: "TRAIN_ERROR_NON_FINITE_LOSS", step, loss },
        `Training diverged: loss is ${loss} at step ${step}`,
      );
    }
    if (slot >= 0) {
      // The state now lives in the slot onnxruntime wrote; the hashers read it from there.
      this.pool!.slots[slot].forEach((t, i) => {
        this.state.set(g.state[i].name, t);
      });
      this.step = step;
      const posted = this.pool!.post();
      return {
        step,
        loss,
        get stateHash() {
          return posted.hash();
        },
        hashed: posted.peek,
        settled: () => posted.peek() !== undefined,
      };
    }
    g.state.forEach((s, i) => {
      this.state.set(s.name, spare.tensors[i]);
    });
    this.step = step;
    const h = hash ? this.currentStateHash() : undefined;
    return { step, loss, stateHash: h && Promise.resolve(h), hashed: () => h, settled: () => true };
  }

  checkpoint(): Checkpoint {
    return { step: this.step, state: new Map([...this.state].map(([k, v]) => [k, cloneTensor(v)])) };
  }

  /** Resumes from a checkpoint of this job: exactly the state's tensor names, with the same dtypes and dims. */
  restore(cp: Checkpoint): void {
    // A tensor the state does not have would be in the checkpoint's hash but not in the resumed state.
    const extra = [...cp.state.keys()].find((name) => !this.graph.state.some((s) => s.name === name));
    if (extra !== undefined)
      throw new TrainError({ code: "TRAIN_ERROR_CHECKPOINT", reason: `tensor "${extra}" is not part of the state` });
    if (!Number.isInteger(cp.step) || cp.step < 0)
      throw new TrainError({ code: "TRAIN_ERROR_CHECKPOINT", reason: `step is ${cp.step}` });
    for (const s of this.graph.state) {
      const t = cp.state.get(s.name);
      if (
        !t ||
        t.dtype !== s.initial.dtype ||
        t.dims.length !== s.dims.length ||
        t.dims.some((d, i) => d !== s.dims[i]) ||
        t.data.length !== numel(s.dims)
      ) {
        throw new TrainError({
          code: "TRAIN_ERROR_CHECKPOINT",
          reason: `tensor "${s.name}" is missing or has another shape`,
        });
      }
    }
    // Copied into a spare set, not cloned: a verifier restores once per segment, and a state-sized
    // allocation each time costs it collections.
    const spare = this.freeSpare();
    this.graph.state.forEach((s, i) => {
      (spare.tensors[i].data as Float32Array).set(cp.state.get(s.name)!.data as Float32Array);
    });
    this.state = new Map(this.graph.state.map((s, i) => [s.name, spare.tensors[i]]));
    this.step = cp.step;
  }

  /** The spare state set that does not hold the current state. */
  private freeSpare(): (typeof this.spares)[number] {
    const current = this.state.get(this.graph.state[0]?.name)?.data;
    return this.spares[this.spares[0].tensors[0].data === current ? 1 : 0];
  }

  /** The client's model with the trained parameters: an ordinary ONNX inference model. */
  exportModel(): Uint8Array {
    return replaceInitializers(this.job.model, new Map(this.graph.parameters.map((p) => [p, this.state.get(p)!])));
  }

  /** Stops the hasher threads and releases the session. */
  async close(): Promise<void> {
    try {
      await this.pool?.close();
    } finally {
      await this.session.release();
    }
  }

  private fillBatch(indices: Uint32Array): void {
    const { x, y } = this.job.dataset;
    const xs = x.data as Float32Array;
    const per = this.xBuf.length / indices.length;
    const yPer = this.yBuf.length / indices.length;
    indices.forEach((src, i) => {
      this.xBuf.set(xs.subarray(src * per, (src + 1) * per), i * per);
      if (this.yBuf instanceof BigInt64Array)
        this.yBuf.set((y.data as BigInt64Array).subarray(src * yPer, (src + 1) * yPer), i * yPer);
      else this.yBuf.set((y.data as Float32Array).subarray(src * yPer, (src + 1) * yPer), i * yPer);
    });
  }
}

function cloneTensor(t: TensorData): TensorData {
  return { dtype: t.dtype, dims: [...t.dims], data: t.data.slice() };
}
