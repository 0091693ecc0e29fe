/**
 * The evaluator role (`--evaluator`). For each job that drew this evaluator (`job.evaluators`), by the
 * job's status in the best state:
 *
 *   AwaitingTestSet -> fetches the submitted models early (they are on chain already).
 *   Committing      -> fetches the revealed test set and every submitted model, scores each with
 *                      `evaluateModel` under `cpu-exact` (integer accuracy in ppm, identical for every
 *                      honest evaluator), and commits
 *                      `blake2_256(SCALE((job_id, self, accuracies, salt)))` with a fresh random salt
 *                      (`attestationCommitment`, the pallet's own function).
 *   Revealing       -> reveals `(accuracies, salt)`.
 * Accuracies list every scored result (`job.results`: revealed, not failed by an audit), in assignment
 * order (what the pallet checks). A model
 * that cannot be fetched, whose bytes do not hash to the submitted `model_hash`, or that cannot be run
 * on the test set scores 0, with the reason logged. Salts are kept (in `dataDir` when given) until the
 * reveal is in the chain, so a restart between commit and reveal does not cost the evaluator's stake.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { blake2_256 } from "../../primitives/hashing.js";
import { bytesEqual, fromHex, toHex } from "../../primitives/hex.js";
import {
  type AccuraciesValue,
  attestationCommitment,
  isFinal,
  type JobValue,
} from "../../runtime/pallets/jobManager/index.js";
import type { Dataset } from "../../worker/data/dataset.js";
import type { RuntimeView } from "../chain/runtimeView.js";
import { datasetFromBytes, errorInfo, type RoleContext } from "./context.js";
import { writeFileAtomic } from "./files.js";
import type { FollowedBlock } from "./follower.js";
import type { EvaluateFn } from "./trainer.js";

export interface EvaluatorModules {
  evaluate: EvaluateFn;
}

interface Attestation {
  accuracies: AccuraciesValue;
  salt: Uint8Array;
}

interface EvaluatorJob {
  phase: "prefetching" | "evaluating" | "committing" | "revealing" | "done";
  sentAt?: number;
  /** Fetched models by hex CID. */
  models: Map<string, Promise<Uint8Array>>;
  attestation?: Attestation;
}

/**
 * The results evaluators score (`job.results`: revealed and not failed by an audit, in assignment
 * order), with their trainers.
 */
export function scoredResults(runtime: Pick<RuntimeView, "assignment">, id: bigint, job: JobValue) {
  return job.results.flatMap((w) => {
    const r = runtime.assignment(id, w)?.result;
    return r ? [{ worker: w, result: r }] : [];
  });
}

export class EvaluatorRole {
  private readonly jobs = new Map<bigint, EvaluatorJob>();
  private head = 0;

  constructor(
    private readonly ctx: RoleContext,
    private readonly modules: EvaluatorModules,
  ) {}

  phaseOf(jobId: bigint): EvaluatorJob["phase"] | undefined {
    return this.jobs.get(jobId)?.phase;
  }

  async onBlock(block: FollowedBlock, scanAll: boolean): Promise<void> {
    this.head = block.number;
    const ids = new Set<bigint>(this.jobs.keys());
    for (const e of block.events) {
      if (e.pallet !== "JobManager" || !("job_id" in e.fields)) continue;
      const id = e.fields.job_id as bigint;
      // Only jobs that drew this evaluator concern it.
      if (
        e.name !== "TrainingStarted" ||
        (e.fields.evaluators as Uint8Array[]).some((x) => bytesEqual(x, this.ctx.self))
      )
        ids.add(id);
    }
    if (scanAll) for (const [id, job] of block.runtime.jobs()) if (!isFinal(job.status)) ids.add(id);
    for (const id of ids) this.reconcile(id, block);
  }

  private reconcile(id: bigint, block: FollowedBlock): void {
    const { runtime } = block;
    const job = runtime.job(id);
    if (!job?.evaluators.some((e) => bytesEqual(e, this.ctx.self))) {
      this.jobs.delete(id);
      return;
    }
    let st = this.jobs.get(id);
    if (isFinal(job.status)) {
      if (st) this.ctx.logger.info("Job ended", { job: id.toString(), status: job.status.tag });
      this.jobs.delete(id);
      this.forgetSalt(id);
      return;
    }
    if (!st) {
      st = { phase: "prefetching", models: new Map(), attestation: this.loadSalt(id) };
      this.jobs.set(id, st);
    }
    const resend = st.sentAt !== undefined && block.number >= st.sentAt + this.ctx.opts.resubmitAfterBlocks;
    const onChain = runtime.attestation(id, this.ctx.self);
    switch (job.status.tag) {
      case "AwaitingTestSet":
        for (const { result } of scoredResults(runtime, id, job)) this.model(id, st, result.model_cid);
        return;
      case "Committing":
        if (onChain) return;
        if (st.phase === "prefetching") void this.evaluateAndCommit(id, job, runtime, st);
        else if (st.phase === "committing" && resend && st.attestation) this.commit(id, st);
        return;
      case "Revealing":
        if (!onChain || onChain.accuracies !== undefined) return;
        if (!st.attestation) {
          this.ctx.logger.warn("Cannot reveal: the attestation salt is lost", { job: id.toString() });
          st.phase = "done";
          return;
        }
        if (st.phase !== "revealing" || resend) this.reveal(id, st);
        return;
      default:
        return;
    }
  }

  private model(id: bigint, st: EvaluatorJob, cid: Uint8Array): Promise<Uint8Array> {
    const key = toHex(cid);
    let p = st.models.get(key);
    if (!p) {
      p = this.ctx.artifacts.fetch(id, cid);
      p.catch(() => {}); // reported where it is awaited
      st.models.set(key, p);
    }
    return p;
  }

  private async evaluateAndCommit(id: bigint, job: JobValue, runtime: RuntimeView, st: EvaluatorJob): Promise<void> {
    st.phase = "evaluating";
    const log = this.ctx.logger;
    const results = scoredResults(runtime, id, job);
    try {
      if (!st.attestation) {
        let testSet: Dataset | undefined;
        try {
          testSet = datasetFromBytes(await this.ctx.artifacts.fetch(id, job.test_set!.cid));
        } catch (err) {
          log.warn("Cannot fetch the test set; every result scores 0", { job: id.toString(), ...errorInfo(err) });
        }
        const accuracies: AccuraciesValue = [];
        for (const { worker, result } of results) {
          accuracies.push([worker, testSet ? await this.score(id, st, worker, result, testSet) : 0]);
        }
        st.attestation = { accuracies, salt: new Uint8Array(randomBytes(32)) };
        this.saveSalt(id, st.attestation);
        log.info("Evaluated results", {
          job: id.toString(),
          accuracies: accuracies.map(([w, a]) => `${toHex(w).slice(0, 10)}…=${a}`).join(","),
        });
      }
      this.commit(id, st);
    } catch (err) {
      st.phase = "prefetching"; // try again on a later block
      log.error("Evaluation failed", { job: id.toString() }, err);
    }
  }

  private async score(
    id: bigint,
    st: EvaluatorJob,
    worker: Uint8Array,
    result: { model_cid: Uint8Array; model_hash: Uint8Array },
    testSet: Dataset,
  ): Promise<number> {
    const ctx = { job: id.toString(), worker: toHex(worker) };
    let model: Uint8Array;
    try {
      model = await this.model(id, st, result.model_cid);
    } catch (err) {
      this.ctx.logger.warn("Cannot fetch a submitted model; it scores 0", { ...ctx, ...errorInfo(err) });
      return 0;
    }
    if (!bytesEqual(blake2_256(model), result.model_hash)) {
      this.ctx.logger.warn("A submitted model does not match its model hash; it scores 0", ctx);
      return 0;
    }
    try {
      const r = await this.modules.evaluate(model, testSet, { profile: "cpu-exact" });
      return r.accuracyPpm ?? 0;
    } catch (err) {
      this.ctx.logger.warn("A submitted model cannot be evaluated on the test set; it scores 0", {
        ...ctx,
        ...errorInfo(err),
      });
      return 0;
    }
  }

  private commit(id: bigint, st: EvaluatorJob): void {
    const a = st.attestation!;
    st.phase = "committing";
    st.sentAt = this.head;
    const commitment = attestationCommitment(id, this.ctx.self, a.accuracies, a.salt);
    void this.ctx.submitter.submit(
      { tag: "JobManager", value: { tag: "commit_attestation", value: { job_id: id, commitment } } },
      "attestation commitment",
      { job: id.toString(), commitment: toHex(commitment) },
    );
  }

  private reveal(id: bigint, st: EvaluatorJob): void {
    const a = st.attestation!;
    st.phase = "revealing";
    st.sentAt = this.head;
    void this.ctx.submitter.submit(
      {
        tag: "JobManager",
        value: { tag: "reveal_attestation", value: { job_id: id, accuracies: a.accuracies, salt: a.salt } },
      },
      "attestation reveal",
      { job: id.toString() },
    );
  }

  // ---- Salts on disk: `<dataDir>/attestations/<job id>.json`, written before the commitment is sent ----

  private saltPath(id: bigint): string | undefined {
    return this.ctx.opts.dataDir && join(this.ctx.opts.dataDir, "attestations", `${id}.json`);
  }

  private saveSalt(id: bigint, a: Attestation): void {
    const path = this.saltPath(id);
    if (!path) return;
    const json = JSON.stringify({
      salt: toHex(a.salt),
      accuracies: a.accuracies.map(([w, acc]) => [toHex(w), acc]),
    });
    writeFileAtomic(path, json);
  }

  private loadSalt(id: bigint): Attestation | undefined {
    const path = this.saltPath(id);
    if (!path || !existsSync(path)) return undefined;
    try {
      const j = JSON.parse(readFileSync(path, "utf8")) as { salt: string; accuracies: [string, number][] };
      return { salt: fromHex(j.salt), accuracies: j.accuracies.map(([w, acc]) => [fromHex(w), acc]) };
    } catch {
      return undefined;
    }
  }

  private forgetSalt(id: bigint): void {
    const path = this.saltPath(id);
    if (path) rmSync(path, { force: true });
  }
}
