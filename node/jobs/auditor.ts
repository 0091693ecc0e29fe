/**
 * The auditing half of the evaluator role (`--evaluator`): re-executes the training segments the chain
 * draws it for (audits, escalations, challenges; `runtime/pallets/jobManager/audit.ts`), and commits,
 * then reveals, the end state hash it computed. For a check that names this node among its verifiers:
 *
 *   Committing -> fetches the client's model and training set, and the segment's start checkpoint (the
 *                 CID the trainer served; none for segment 1, which starts from the model), checks the
 *                 checkpoint against the state hash the chain verified under the trainer's work root,
 *                 re-executes the segment's steps under `cpu-exact` with the job's hyper-parameters and
 *                 the trainer's key (its batch order) in a worker thread, and commits
 *                 `blake2_256(SCALE((job_id, check_id, self, end_hash, salt)))`. For the last segment the
 *                 model it exports must also hash to the revealed `model_hash`.
 *   Revealing  -> reveals `(end_hash, salt)`.
 * When the segment cannot be re-executed as the trainer claims (the checkpoint is missing, corrupt or
 * not the proved one, the step count is not the job's, the model is not the one training produced),
 * the verifier commits to the zero hash: no leaf equals it, so verifiers that agree fail the trainer.
 * Salts are kept (in `dataDir` when given) until the reveal is in, as the attestation salts are.
 * Re-executions run one at a time, in the order the checks were seen.
 *
 * Branches: a check id does not name one segment. The audit draw mixes in the VRF output of the block
 * that starts the audits, so sibling blocks at that height open the same check ids on other segments
 * (and other trainers' starts). A verdict is therefore kept with its subject (`checkSubject`: trainer,
 * segment, start checkpoint); when the best chain's check has another subject than the one computed,
 * the verdict is dropped and the segment re-executed, and a verdict is revealed only for the commitment
 * it made. Committing one branch's end hash on another fails an honest trainer.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { blake2_256 } from "../../primitives/hashing.js";
import { bytesEqual, fromHex, type HexString, toHex } from "../../primitives/hex.js";
import { leafCount, leafStep } from "../../primitives/workRoot.js";
import {
  type CheckValue,
  isFinal,
  type JobResultValue,
  type JobValue,
  verdictCommitment,
} from "../../runtime/pallets/jobManager/index.js";
import type { Dataset } from "../../worker/data/dataset.js";
import type { Checkpoint } from "../../worker/train/checkpoint.js";
import type { TrainingJob } from "../../worker/train/runner.js";
import { openStartCheckpoint } from "../../worker/verify/segment.js";
import { datasetFromBytes, errorInfo, type RoleContext, totalStepsOf, trainingJobOf } from "./context.js";
import { writeFileAtomic } from "./files.js";
import type { FollowedBlock } from "./follower.js";

/**
 * Re-executes steps (start.step, endStep] of `job` from `start` (the model's state when absent).
 * `confirmStart` checks `start` against its leaf; it runs while the steps do, and its error wins.
 */
export type ReexecuteFn = (req: {
  job: TrainingJob;
  start?: Checkpoint;
  confirmStart?: () => void;
  endStep: number;
  last: boolean;
}) => Promise<{ endStateHash: Uint8Array; model?: Uint8Array }>;

export interface AuditorModules {
  reexecute: ReexecuteFn;
}

/** What a verifier commits to when the segment cannot be what the trainer claims. */
export const MISMATCH_HASH = new Uint8Array(32);

interface Verdict {
  /** The `checkSubject` the end hash was computed for. */
  subject: string;
  endHash: Uint8Array;
  salt: Uint8Array;
}

interface CheckDuty {
  phase: "computing" | "committing" | "revealing";
  /** The `checkSubject` of the check this duty answers. */
  subject: string;
  sentAt?: number;
  verdict?: Verdict;
}

/**
 * What a check's end hash depends on besides the job: the trainer, the segment and the start checkpoint
 * served. The same check id can name another subject on a sibling branch.
 */
export function checkSubject(check: CheckValue): string {
  const start = check.start ? `${toHex(check.start.cid)}/${toHex(check.start.state_hash)}` : "model";
  return `${toHex(check.worker)}/${check.segment}/${start}`;
}

export class AuditorRole {
  /** Jobs with a check that names this node, watched until none is open. */
  private readonly watched = new Set<bigint>();
  private readonly duties = new Map<string, CheckDuty>();
  private head = 0;
  /**
   * Re-executions run one at a time: on a small machine, parallel training threads only slow each
   * other down, and the first commitment should land as early as possible.
   */
  private executing: Promise<unknown> = Promise.resolve();
  /**
   * Each job's fetched and decoded model and training set, and the training job per trainer built on
   * them: the same objects for every segment let the warm verifier keep its runner.
   */
  private readonly inputs = new Map<bigint, Promise<{ model: Uint8Array; dataset: Dataset }>>();
  private readonly trainingJobs = new Map<string, TrainingJob>();

  constructor(
    private readonly ctx: RoleContext,
    private readonly modules: AuditorModules,
  ) {}

  async onBlock(block: FollowedBlock, scanAll: boolean): Promise<void> {
    this.head = block.number;
    for (const e of block.events) {
      if (e.pallet !== "JobManager" || e.name !== "CheckOpened") continue;
      const verifiers = e.fields.verifiers as Uint8Array[];
      if (verifiers.some((v) => bytesEqual(v, this.ctx.self))) this.watched.add(e.fields.job_id as bigint);
    }
    if (scanAll)
      for (const [id, job] of block.runtime.jobs())
        if (!isFinal(job.status) && job.open_checks > 0) this.watched.add(id);
    for (const id of [...this.watched]) this.reconcile(id, block);
  }

  private reconcile(id: bigint, block: FollowedBlock): void {
    const job = block.runtime.job(id);
    let open = 0;
    for (const { id: checkId, check } of job ? block.runtime.checks(id) : []) {
      const vote = check.votes.find((v) => bytesEqual(v.verifier, this.ctx.self));
      if (!vote || check.stage.tag === "Done") continue;
      open++;
      const key = `${id}/${checkId}`;
      const subject = checkSubject(check);
      let duty = this.duties.get(key);
      if (check.stage.tag === "Committing" && vote.commitment === undefined) {
        if (duty && duty.subject !== subject) {
          // A sibling branch drew this check on another segment: what was computed there is not this check's.
          this.ctx.logger.info("The check names another segment on this branch; re-executing", {
            job: id.toString(),
            check: checkId,
            segment: check.segment,
          });
          this.duties.delete(key);
          this.forgetVerdict(key);
          duty = undefined;
        }
        if (!duty) {
          duty = { phase: "computing", subject, verdict: this.loadVerdict(key, subject) };
          this.duties.set(key, duty);
          void this.computeAndCommit(id, checkId, job!, check, block, duty);
        } else if (duty.phase === "committing" && this.resend(duty, block)) this.commit(id, checkId, duty);
      } else if (check.stage.tag === "Revealing" && vote.commitment !== undefined && vote.end_hash === undefined) {
        if (!duty) {
          duty = { phase: "revealing", subject, verdict: this.loadVerdict(key, subject) };
          this.duties.set(key, duty);
        }
        const v = duty.verdict;
        if (!v) {
          this.ctx.logger.warn("Cannot reveal a verdict: its salt is lost", { job: id.toString(), check: checkId });
          continue;
        }
        // The commitment on chain may be one made on a sibling branch for another segment: revealing it
        // would judge this segment by another one's end hash.
        if (
          v.subject !== subject ||
          !bytesEqual(verdictCommitment(id, checkId, this.ctx.self, v.endHash, v.salt), vote.commitment)
        ) {
          if (duty.phase !== "revealing") {
            duty.phase = "revealing";
            this.ctx.logger.warn("Cannot reveal a verdict: the commitment on chain is not this check's", {
              job: id.toString(),
              check: checkId,
              segment: check.segment,
            });
          }
          continue;
        }
        if (duty.phase !== "revealing" || this.resend(duty, block) || duty.sentAt === undefined)
          this.reveal(id, checkId, duty);
      }
    }
    if (open === 0) {
      this.watched.delete(id);
      this.inputs.delete(id);
      for (const key of [...this.trainingJobs.keys()]) if (key.startsWith(`${id}/`)) this.trainingJobs.delete(key);
      for (const key of [...this.duties.keys()])
        if (key.startsWith(`${id}/`)) {
          this.duties.delete(key);
          this.forgetVerdict(key);
        }
    }
  }

  private resend(duty: CheckDuty, block: FollowedBlock): boolean {
    return duty.sentAt !== undefined && block.number >= duty.sentAt + this.ctx.opts.resubmitAfterBlocks;
  }

  private async computeAndCommit(
    id: bigint,
    checkId: number,
    job: JobValue,
    check: CheckValue,
    block: FollowedBlock,
    duty: CheckDuty,
  ): Promise<void> {
    const log = this.ctx.logger;
    const ctx = { job: id.toString(), check: checkId, segment: check.segment };
    const key = `${id}/${checkId}`;
    // Replaced when the best chain's check turned out to be another segment (see `reconcile`).
    const current = () => this.duties.get(key) === duty;
    try {
      if (!duty.verdict) {
        const result = block.runtime.assignment(id, check.worker)?.result;
        if (!result) throw new Error("the checked result is not on chain");
        const started = performance.now();
        const run = this.executing.then(() => this.endHash(id, job, check, result));
        this.executing = run.catch(() => {});
        const endHash = await run.catch((err: unknown) => {
          log.warn("The segment cannot be re-executed as claimed; committing to a mismatch", {
            ...ctx,
            ...errorInfo(err),
          });
          return MISMATCH_HASH;
        });
        log.info("Re-executed a segment", {
          ...ctx,
          endHash: toHex(endHash),
          seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
        });
        if (!current()) return;
        duty.verdict = { subject: duty.subject, endHash, salt: new Uint8Array(randomBytes(32)) };
        this.saveVerdict(key, duty.verdict);
      }
      if (current()) this.commit(id, checkId, duty);
    } catch (err) {
      if (current()) this.duties.delete(key); // tried again on a later block
      log.error("Auditing a segment failed", ctx, err);
    }
  }

  /** Re-executes the check's segment; throws when it cannot be what the trainer claims. */
  private async endHash(id: bigint, job: JobValue, check: CheckValue, result: JobResultValue): Promise<Uint8Array> {
    const spec = job.spec;
    const { model, dataset } = await this.inputsOf(id, job);
    const totalSteps = totalStepsOf(job, dataset);
    if (result.steps !== totalSteps)
      throw new Error(`the result claims ${result.steps} steps; the job has ${totalSteps}`);
    const k = spec.checkpoint_interval;
    let start: ReturnType<typeof openStartCheckpoint> | undefined;
    if (check.segment > 1) {
      if (!check.start) throw new Error("no start checkpoint was served");
      // Typed AuditErrors: corrupt, too large, at another step, or (confirmed while the steps run)
      // not the one proved under the root.
      start = openStartCheckpoint(
        await this.ctx.artifacts.fetch(id, check.start.cid),
        leafStep(check.segment - 1, k, totalSteps),
        this.ctx.opts.maxArtifactBytes,
        check.start.state_hash,
      );
    }
    const last = check.segment === leafCount(totalSteps, k);
    const key = `${id}/${toHex(check.worker)}`;
    let trainingJob = this.trainingJobs.get(key);
    if (!trainingJob) {
      trainingJob = trainingJobOf(spec, { model, dataset }, check.worker, "cpu-exact");
      this.trainingJobs.set(key, trainingJob);
    }
    const out = await this.modules.reexecute({
      job: trainingJob,
      start: start?.checkpoint,
      confirmStart: start?.confirm,
      endStep: leafStep(check.segment, k, totalSteps),
      last,
    });
    // The submitted model must be the one the last segment produces.
    if (last && (!out.model || !bytesEqual(blake2_256(out.model), result.model_hash)))
      throw new Error("the revealed model is not the one training produced");
    return out.endStateHash;
  }

  /** The job's model and training set, fetched and decoded once. */
  private inputsOf(id: bigint, job: JobValue): Promise<{ model: Uint8Array; dataset: Dataset }> {
    let p = this.inputs.get(id);
    if (!p) {
      p = Promise.all([
        this.ctx.artifacts.fetch(id, job.spec.model_cid),
        this.ctx.artifacts.fetch(id, job.spec.training_set_cid),
      ]).then(([model, data]) => ({ model, dataset: datasetFromBytes(data) }));
      p.catch(() => this.inputs.delete(id)); // fetched again for the next check
      this.inputs.set(id, p);
    }
    return p;
  }

  private commit(id: bigint, checkId: number, duty: CheckDuty): void {
    const v = duty.verdict!;
    duty.phase = "committing";
    duty.sentAt = this.head;
    const commitment = verdictCommitment(id, checkId, this.ctx.self, v.endHash, v.salt);
    void this.ctx.submitter.submit(
      { tag: "JobManager", value: { tag: "commit_verdict", value: { job_id: id, check_id: checkId, commitment } } },
      "verdict commitment",
      { job: id.toString(), check: checkId },
    );
  }

  private reveal(id: bigint, checkId: number, duty: CheckDuty): void {
    const v = duty.verdict!;
    duty.phase = "revealing";
    duty.sentAt = this.head;
    void this.ctx.submitter.submit(
      {
        tag: "JobManager",
        value: { tag: "reveal_verdict", value: { job_id: id, check_id: checkId, end_hash: v.endHash, salt: v.salt } },
      },
      "verdict reveal",
      { job: id.toString(), check: checkId },
    );
  }

  // ---- Salts on disk: `<dataDir>/verdicts/<job id>-<check id>.json`, written before the commitment ----

  private path(key: string): string | undefined {
    return this.ctx.opts.dataDir && join(this.ctx.opts.dataDir, "verdicts", `${key.replace("/", "-")}.json`);
  }

  private saveVerdict(key: string, v: Verdict): void {
    const path = this.path(key);
    if (!path) return;
    writeFileAtomic(path, JSON.stringify({ subject: v.subject, endHash: toHex(v.endHash), salt: toHex(v.salt) }));
  }

  /** The kept verdict of `key`, when it was computed for `subject`. */
  private loadVerdict(key: string, subject: string): Verdict | undefined {
    const path = this.path(key);
    if (!path || !existsSync(path)) return undefined;
    try {
      const j = JSON.parse(readFileSync(path, "utf8")) as { subject?: string; endHash: HexString; salt: HexString };
      if (j.subject !== subject) return undefined;
      return { subject, endHash: fromHex(j.endHash), salt: fromHex(j.salt) };
    } catch {
      return undefined;
    }
  }

  private forgetVerdict(key: string): void {
    const path = this.path(key);
    if (path) rmSync(path, { force: true });
  }
}
