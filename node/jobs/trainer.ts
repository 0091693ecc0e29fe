/**
 * The trainer role (`--worker`). Driven by the blocks the follower hands out, and by the chain state
 * rather than by events alone, so that a missed or replayed block changes nothing:
 *
 *   JobPosted  -> decide (capabilities, reward, stake, balance, load; `decision.ts`), fetch the model
 *                 and the training set by CID and check that they fit each other, then `assign_worker`.
 *                 Any refusal is one structured log line (`Refused job`, with `code` and `reason`).
 *   Training   -> (this worker assigned, no commitment yet) train off the main thread (`trainInWorker`)
 *                 with the job's hyper-parameters, seed and this worker's key, keeping a checkpoint at
 *                 every leaf (every `checkpoint_interval` steps; `trainerStore.ts`); progress goes to
 *                 the job's gossip topic; then `commit_result` with
 *                 `blake2_256(SCALE((job, self, model_hash, work_root, metrics, salt)))`: the work root
 *                 over the leaves' state hashes (`primitives/workRoot.ts`), claimed metrics (accuracy
 *                 and loss on the training set; the test set is hidden from trainers).
 *   RevealingResults -> uploads the model (never before: nothing of a result is public until every
 *                 trainer has committed) and sends `reveal_result`.
 *   checks     -> for every check of this trainer's result (audits, escalations, challenges):
 *                 `Serving`: uploads the segment's start checkpoint and sends `serve_checkpoint` with
 *                 its Merkle proof; `Opening` (after the verifiers committed): `open_leaf` with the end
 *                 leaf's proof. End checkpoints and leaves of a check are never published before.
 *   final      -> logs the outcome and forgets the job.
 * A training failure (bad data, non-finite loss, a crash of the thread) aborts the job with a logged
 * reason; the node keeps running (the chain slashes the missed submission at the deadline).
 */

import { randomBytes } from "node:crypto";
import { blake2_256 } from "../../primitives/hashing.js";
import { bytesEqual, toHex } from "../../primitives/hex.js";
import { type LeafHash, leafCount, workProof, workRoot } from "../../primitives/workRoot.js";
import { isFinal, type JobValue, resultCommitment } from "../../runtime/pallets/jobManager/index.js";
import type { Dataset } from "../../worker/data/dataset.js";
import type { EvalOptions, EvalResult } from "../../worker/eval/evaluate.js";
import { encodeCheckpoint } from "../../worker/train/checkpoint.js";
import { checkDatasetFits } from "../../worker/train/fit.js";
import type { TrainInWorkerOptions } from "../../worker/train/trainInWorker.js";
import type { WorkerRequest, WorkerResult } from "../../worker/train/wire.js";
import { datasetFromBytes, errorInfo, LOSS_KINDS, type RoleContext, totalStepsOf, trainingJobOf } from "./context.js";
import { decideOnInputs, decideOnJob, type RefusalCode } from "./decision.js";
import type { FollowedBlock } from "./follower.js";
import { encodeProgress } from "./progress.js";
import type { TrainerStore } from "./trainerStore.js";

export type TrainFn = (req: WorkerRequest, opts: TrainInWorkerOptions) => Promise<WorkerResult>;
export type EvaluateFn = (model: Uint8Array, ds: Dataset, opts?: EvalOptions) => Promise<EvalResult>;

export interface TrainerModules {
  train: TrainFn;
  evaluate: EvaluateFn;
  store: TrainerStore;
}

type Phase =
  | "checking"
  | "refused"
  | "assigning"
  | "assigned"
  | "training"
  | "committing"
  | "committed"
  | "revealing"
  | "revealed"
  | "aborted";

interface TrainerJob {
  phase: Phase;
  /** Block at which the last extrinsic for this job was sent. */
  sentAt?: number;
  model?: Uint8Array;
  dataset?: Dataset;
  /**
   * Block at which each check's last serve or open was sent, by check id, stage and segment: opening
   * follows serving at once, and a check id that names another segment after a reorg (the audit draw
   * differs between sibling blocks) is answered at once.
   */
  checksSent?: Map<string, number>;
}

const BUSY: Phase[] = ["checking", "assigning", "assigned", "training", "committing"];

export class TrainerRole {
  private readonly jobs = new Map<bigint, TrainerJob>();
  /** Jobs to look at again on the next block (posted while this worker was not yet registered). */
  private readonly pending = new Set<bigint>();
  /** The number of the last block handed to `onBlock`. */
  private head = 0;

  constructor(
    private readonly ctx: RoleContext,
    private readonly modules: TrainerModules,
  ) {}

  /** Jobs this trainer is busy with (checking, assigned, training or submitting). */
  activeJobs(): number {
    return [...this.jobs.values()].filter((j) => BUSY.includes(j.phase)).length;
  }

  phaseOf(jobId: bigint): Phase | undefined {
    return this.jobs.get(jobId)?.phase;
  }

  /** Handles one block: the jobs its events name, the jobs this trainer follows, and (first) all live jobs. */
  async onBlock(block: FollowedBlock, scanAll: boolean): Promise<void> {
    this.head = block.number;
    const ids = new Set<bigint>([...this.pending, ...this.jobs.keys()]);
    this.pending.clear();
    for (const e of block.events)
      if (e.pallet === "JobManager" && "job_id" in e.fields) ids.add(e.fields.job_id as bigint);
    if (scanAll) for (const [id, job] of block.runtime.jobs()) if (!isFinal(job.status)) ids.add(id);
    for (const id of [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) this.reconcile(id, block);
  }

  private refuse(id: bigint, code: RefusalCode, reason: string): void {
    this.jobs.set(id, { phase: "refused" });
    this.ctx.logger.info("Refused job", { job: id.toString(), code, reason });
    void this.ctx.artifacts.releaseInputs(id);
  }

  private reconcile(id: bigint, block: FollowedBlock): void {
    const { runtime } = block;
    const job = runtime.job(id);
    if (!job) return;
    const st = this.jobs.get(id);
    const assigned = job.workers.some((w) => bytesEqual(w, this.ctx.self));
    if (isFinal(job.status)) {
      if (st && assigned) this.finish(id, job, block);
      this.jobs.delete(id);
      return;
    }
    const resend = (s: TrainerJob) =>
      s.sentAt !== undefined && block.number >= s.sentAt + this.ctx.opts.resubmitAfterBlocks;
    if (job.status.tag === "Open") {
      if (assigned) {
        if (!st || st.phase === "assigning") this.jobs.set(id, { ...st, phase: "assigned" });
        return;
      }
      if (!st) this.consider(id, job, block);
      else if (st.phase === "assigning" && resend(st)) this.assign(id, block);
      return;
    }
    if (!assigned) {
      if (st && st.phase !== "refused") {
        this.jobs.set(id, { phase: "refused" });
        void this.ctx.artifacts.releaseInputs(id);
      }
      return;
    }
    const a = runtime.assignment(id, this.ctx.self);
    const cur = st ?? { phase: "assigned" };
    if (!st) this.jobs.set(id, cur);
    switch (job.status.tag) {
      case "Training":
        if (a?.commitment !== undefined) {
          if (cur.phase !== "committed") {
            cur.phase = "committed";
            this.ctx.logger.info("Result committed", { job: id.toString(), block: block.number });
          }
        } else if (cur.phase === "assigned" || cur.phase === "assigning") void this.train(id, job, cur);
        else if (cur.phase === "committing" && resend(cur)) this.commit(id, cur);
        return;
      case "RevealingResults":
        if (a?.result !== undefined) {
          if (cur.phase !== "revealed") {
            cur.phase = "revealed";
            this.ctx.logger.info("Result revealed", { job: id.toString(), block: block.number });
          }
        } else if (a?.commitment !== undefined && (cur.phase !== "revealing" || resend(cur))) void this.reveal(id, cur);
        return;
      default:
        if (a?.result !== undefined) this.answerChecks(id, block, cur);
    }
  }

  /** Sends `commit_result` for the kept result. */
  private commit(id: bigint, st: TrainerJob): void {
    const kept = this.modules.store.loadResult(id);
    if (!kept) return;
    st.phase = "committing";
    st.sentAt = this.head;
    const commitment = resultCommitment(id, this.ctx.self, kept.modelHash, kept.workRoot, kept.metrics, kept.salt);
    void this.ctx.submitter.submit(
      { tag: "JobManager", value: { tag: "commit_result", value: { job_id: id, commitment } } },
      "result commitment",
      { job: id.toString() },
    );
  }

  /** Uploads the model (only now) and reveals the committed result. */
  private async reveal(id: bigint, st: TrainerJob): Promise<void> {
    const kept = this.modules.store.loadResult(id);
    const model = this.modules.store.loadModel(id);
    if (!kept || !model) {
      this.ctx.logger.warn("Cannot reveal: the committed result is lost", { job: id.toString() });
      st.phase = "aborted";
      return;
    }
    st.phase = "revealing";
    st.sentAt = this.head;
    try {
      const cid = await this.ctx.artifacts.addResult(id, model);
      await this.ctx.submitter.submit(
        {
          tag: "JobManager",
          value: {
            tag: "reveal_result",
            value: {
              job_id: id,
              model_cid: this.ctx.content.toBytes(cid),
              model_hash: kept.modelHash,
              work_root: kept.workRoot,
              metrics: kept.metrics,
              steps: kept.steps,
              salt: kept.salt,
            },
          },
        },
        "result reveal",
        { job: id.toString(), model: cid },
      );
    } catch (err) {
      this.ctx.logger.warn("Revealing the result failed", { job: id.toString(), ...errorInfo(err) });
    }
  }

  /** Serves the start checkpoint, or opens the end leaf, of every check of this trainer's result that asks. */
  private answerChecks(id: bigint, block: FollowedBlock, st: TrainerJob): void {
    st.checksSent ??= new Map();
    for (const { id: checkId, check } of block.runtime.checks(id)) {
      const stage = check.stage.tag;
      if (!bytesEqual(check.worker, this.ctx.self) || (stage !== "Serving" && stage !== "Opening")) continue;
      const key = `${checkId}/${stage}/${check.segment}`;
      const sent = st.checksSent.get(key);
      if (sent !== undefined && block.number < sent + this.ctx.opts.resubmitAfterBlocks) continue;
      st.checksSent.set(key, block.number);
      void this.answerCheck(id, checkId, check.segment, stage).catch((err: unknown) =>
        this.ctx.logger.warn("Answering a check failed", { job: id.toString(), check: checkId, ...errorInfo(err) }),
      );
    }
  }

  private async answerCheck(id: bigint, checkId: number, segment: number, stage: "Serving" | "Opening") {
    const kept = this.modules.store.loadResult(id);
    if (!kept) throw new Error("the committed result is lost");
    const leaves: LeafHash[] = kept.leaves.map((stateHash, i) => ({ index: i + 1, stateHash }));
    const ctx = { job: id.toString(), check: checkId, segment };
    if (stage === "Opening") {
      const proof = workProof(leaves, segment);
      this.ctx.logger.info("Opening a checked leaf", ctx);
      await this.ctx.submitter.submit(
        {
          tag: "JobManager",
          value: {
            tag: "open_leaf",
            value: { job_id: id, check_id: checkId, state_hash: kept.leaves[segment - 1], proof },
          },
        },
        "open leaf",
        ctx,
      );
      return;
    }
    const bytes = this.modules.store.loadCheckpoint(id, segment - 1);
    if (!bytes) throw new Error(`no checkpoint kept at leaf ${segment - 1}`);
    const cid = await this.ctx.artifacts.addResult(id, bytes);
    this.ctx.logger.info("Serving a checkpoint", { ...ctx, cid });
    await this.ctx.submitter.submit(
      {
        tag: "JobManager",
        value: {
          tag: "serve_checkpoint",
          value: {
            job_id: id,
            check_id: checkId,
            cid: this.ctx.content.toBytes(cid),
            state_hash: kept.leaves[segment - 2],
            proof: workProof(leaves, segment - 1),
          },
        },
      },
      "serve checkpoint",
      ctx,
    );
  }

  /** Decides, then fetches and checks the artifacts, then assigns. */
  private consider(id: bigint, job: JobValue, block: FollowedBlock): void {
    const { runtime } = block;
    const info = runtime.worker(this.ctx.self);
    if (!info?.roles.trainer) {
      this.pending.add(id);
      return;
    }
    const decision = decideOnJob({
      job,
      self: this.ctx.self,
      capabilities: info.capabilities,
      params: runtime.jobParams(),
      activeJobs: this.activeJobs(),
      free: runtime.freeBalance(this.ctx.self),
      policy: this.ctx.opts.policy,
    });
    if (!decision.accept) {
      this.refuse(id, decision.code, decision.reason);
      return;
    }
    const st: TrainerJob = { phase: "checking" };
    this.jobs.set(id, st);
    this.ctx.logger.info("Considering job", {
      job: id.toString(),
      payout: decision.payout.toString(),
      stake: job.spec.worker_stake.toString(),
    });
    void this.check(id, job, st).then(
      (ok) => {
        if (ok && st.phase === "checking") this.assign(id, block);
      },
      (err: unknown) => this.ctx.logger.error("Checking job failed", { job: id.toString() }, err),
    );
  }

  /** Fetches model and training set and checks they fit; refuses the job (logged) otherwise. */
  private async check(id: bigint, job: JobValue, st: TrainerJob): Promise<boolean> {
    try {
      const [model, data] = await Promise.all([
        this.ctx.artifacts.fetch(id, job.spec.model_cid),
        this.ctx.artifacts.fetch(id, job.spec.training_set_cid),
      ]);
      st.model = model;
      st.dataset = datasetFromBytes(data);
    } catch (err) {
      const { code, reason } = errorInfo(err);
      this.refuse(id, "JOB_REFUSED_CONTENT", `cannot fetch the model or training set (${code}): ${reason}`);
      return false;
    }
    try {
      checkDatasetFits(st.model, st.dataset, LOSS_KINDS[job.spec.loss.tag], job.spec.batch_size);
    } catch (err) {
      const { code, reason } = errorInfo(err);
      this.refuse(id, "JOB_REFUSED_DATASET", `the training set does not fit the model (${code}): ${reason}`);
      return false;
    }
    const totalSteps = totalStepsOf(job, st.dataset);
    const refusal = decideOnInputs(job, { modelBytes: st.model.length, totalSteps }, this.ctx.opts.policy);
    if (refusal && !refusal.accept) {
      this.refuse(id, refusal.code, refusal.reason);
      return false;
    }
    return true;
  }

  private assign(id: bigint, block: FollowedBlock): void {
    const st = this.jobs.get(id);
    if (!st) return;
    st.phase = "assigning";
    st.sentAt = block.number;
    this.ctx.gossip?.join(id);
    void this.ctx.submitter.submit(
      { tag: "JobManager", value: { tag: "assign_worker", value: { job_id: id } } },
      "assign_worker",
      {
        job: id.toString(),
      },
    );
  }

  private async train(id: bigint, job: JobValue, st: TrainerJob): Promise<void> {
    st.phase = "training";
    this.jobs.set(id, st);
    const log = this.ctx.logger;
    const spec = job.spec;
    try {
      if (!st.model || !st.dataset) {
        // After a restart: fetch again.
        if (!(await this.check(id, job, st))) {
          st.phase = "aborted";
          return;
        }
      }
      const model = st.model!;
      const dataset = st.dataset!;
      const totalSteps = totalStepsOf(job, dataset);
      const every = Math.max(1, Math.ceil(totalSteps / Math.max(this.ctx.opts.progressMessages, 1)));
      const interval = spec.checkpoint_interval;
      this.ctx.gossip?.join(id);
      log.info("Training started", {
        job: id.toString(),
        steps: totalSteps,
        batch: spec.batch_size,
        optimizer: spec.optimizer.tag,
        profile: spec.profile.tag,
      });
      const started = performance.now();
      const result = await this.modules.train(
        {
          job: trainingJobOf(spec, { model, dataset }, this.ctx.self),
          untilStep: totalSteps,
          leafInterval: interval,
          checkpointEvery: interval,
        },
        {
          log: log.child({ module: "train" }),
          // Leaf i's checkpoint (after step i·k) is the start of segment i + 1.
          onCheckpoint: (cp) => this.modules.store.saveCheckpoint(id, cp.step / interval, encodeCheckpoint(cp)),
          onProgress: (p) => {
            this.ctx.onTrainingStep?.();
            if (p.stateHash) this.onLeaf(id, Math.ceil(p.step / interval), p.stateHash);
            if (p.step % every !== 0 && p.step !== totalSteps) return;
            log.debug("Training progress", { job: id.toString(), step: p.step, of: totalSteps, loss: p.loss });
            const msg = encodeProgress({
              jobId: id,
              worker: this.ctx.self,
              step: p.step,
              totalSteps,
              loss: p.loss,
            });
            this.ctx.gossip?.publish(id, msg).catch(() => {});
          },
        },
      );
      const last = result.steps.at(-1);
      if (!last) throw new Error("training returned no steps");
      const leaves = leafHashes(result, interval, totalSteps);
      const root = workRoot(leaves.map((stateHash, i) => ({ index: i + 1, stateHash })));
      const metrics = await this.modules.evaluate(result.model, dataset, { profile: "cpu-exact" });
      const loss = Number.isFinite(last.loss) && last.loss >= 0 ? BigInt(Math.round(last.loss * 1e9)) : 0n;
      // Kept (on disk with a data directory) before the commitment is sent: the salt opens it.
      this.modules.store.saveModel(id, result.model);
      this.modules.store.saveResult(id, {
        modelHash: blake2_256(result.model),
        workRoot: root,
        metrics: { accuracy_ppm: metrics.accuracyPpm ?? 0, loss_e9: loss },
        steps: totalSteps,
        salt: new Uint8Array(randomBytes(32)),
        leaves,
      });
      log.info("Training finished", {
        job: id.toString(),
        steps: last.step,
        leaves: leaves.length,
        loss: Number(last.loss.toFixed(6)),
        trainAccuracyPpm: metrics.accuracyPpm,
        seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
        workRoot: toHex(root),
      });
      this.commit(id, st);
    } catch (err) {
      const { code, reason } = errorInfo(err);
      st.phase = "aborted";
      log.warn("Training aborted", { job: id.toString(), code, reason });
    } finally {
      st.model = undefined;
      st.dataset = undefined;
    }
  }

  /** A leaf reached: the node's PoUW tickets (a failure there never stops the training). */
  private onLeaf(id: bigint, leaf: number, stateHash: Uint8Array): void {
    try {
      this.ctx.onLeaf?.(id, leaf, stateHash);
    } catch (err) {
      this.ctx.logger.warn("Making a PoUW ticket failed", { job: id.toString(), leaf, reason: (err as Error).message });
    }
  }

  private finish(id: bigint, job: JobValue, block: FollowedBlock): void {
    const a = block.runtime.assignment(id, this.ctx.self);
    this.modules.store.forget(id);
    this.ctx.gossip?.leave(id);
    this.ctx.logger.info("Job ended", {
      job: id.toString(),
      status: job.status.tag,
      reason: job.status.tag === "Failed" ? job.status.value.tag : undefined,
      accuracyPpm: a?.accuracy_ppm,
      audit: a?.audit.tag,
    });
  }
}

/** The state hashes of leaves 1..⌈N/k⌉, checked to be all of them, in order. */
function leafHashes(result: WorkerResult, interval: number, totalSteps: number): Uint8Array[] {
  const count = leafCount(totalSteps, interval);
  if (result.leaves.length !== count || result.leaves.some((l, i) => l.index !== i + 1))
    throw new Error(`training returned ${result.leaves.length} leaves; the job has ${count}`);
  return result.leaves.map((l) => l.stateHash);
}
