/**
 * The job artifacts a node's roles keep, and for how long (issue: "pinned while a job needs them").
 *
 * Inputs a role fetches (model, datasets, a trainer's result an evaluator scores) are pinned under the
 * holder `job:<id>` before they are read, so a garbage collection can never take them mid-job; they are
 * released when the role is done with the job (refused, not drawn, or the job ended). A trainer's own
 * result is pinned under `job-result:<id>` and kept `resultRetentionBlocks` after the job ends, so the
 * client can still `job fetch` it from this node. The content store counts holders per CID
 * (`HeliaContentStore`), so releasing a hold never unpins what a client uploaded or another job holds.
 *
 * Released holds are swept with one `gc()` per block at most. Holds survive restarts (they are in the
 * store's datastore): on the first block, holds of jobs that ended or no longer exist are released, and
 * a result's retention starts again from there.
 */
import type { Logger } from "../../primitives/logger.js";
import { isFinal } from "../../runtime/pallets/jobManager/index.js";
import type { RuntimeView } from "../chain/runtimeView.js";
import type { ContentStore } from "../content/types.js";
import { errorInfo } from "./context.js";

/** What the artifacts need of the runtime at a block: whether a job is still live. */
export type JobReader = Pick<RuntimeView, "job">;

export const INPUT_HOLDER = "job:";
export const RESULT_HOLDER = "job-result:";
export const inputHolder = (id: bigint) => `${INPUT_HOLDER}${id}`;
export const resultHolder = (id: bigint) => `${RESULT_HOLDER}${id}`;

export interface JobArtifactsOptions {
  fetchTimeoutMs: number;
  maxArtifactBytes: number;
  /** Blocks a trainer keeps its result after the job ended. */
  resultRetentionBlocks: number;
}

export class JobArtifacts {
  /** Jobs this node holds artifacts for, watched until they end. */
  private readonly tracked = new Set<bigint>();
  /** Results to release at a block number. */
  private readonly resultReleases = new Map<bigint, number>();
  private released = false;
  private sweeping: Promise<void> | undefined;
  private recovered = false;

  constructor(
    private readonly content: ContentStore,
    private readonly opts: JobArtifactsOptions,
    private readonly log: Logger,
  ) {}

  /** Pins the artifact (binary CID) for job `id`, then reads it: it stays until `releaseInputs(id)`. */
  async fetch(id: bigint, cid: Uint8Array): Promise<Uint8Array> {
    const name = this.content.fromBytes(cid);
    const { fetchTimeoutMs: timeoutMs, maxArtifactBytes: maxBytes } = this.opts;
    this.tracked.add(id);
    await this.content.pin(name, { holder: inputHolder(id), timeoutMs, maxBytes });
    return this.content.get(name, { timeoutMs, maxBytes });
  }

  /** Adds a trainer's result for job `id`; kept until `resultRetentionBlocks` after the job ends. */
  addResult(id: bigint, bytes: Uint8Array): Promise<string> {
    this.tracked.add(id);
    return this.content.add(bytes, { holder: resultHolder(id) });
  }

  /** Lets go of every input of job `id` (a role is done with it). */
  releaseInputs(id: bigint): Promise<void> {
    return this.releaseHolder(inputHolder(id));
  }

  /** Job `id` ended at block `at`: inputs go now, this node's result after the retention period. */
  async ended(id: bigint, at: number): Promise<void> {
    await this.releaseInputs(id);
    if (!this.resultReleases.has(id)) this.resultReleases.set(id, at + this.opts.resultRetentionBlocks);
  }

  /**
   * Per block: on the first, releases the holds of jobs that ended while the node was down; then the
   * inputs of jobs that ended; then the results whose retention is over; then one sweep if anything
   * was released.
   */
  async onBlock(number: number, runtime: JobReader): Promise<void> {
    if (!this.recovered) {
      this.recovered = true;
      await this.recover(number, runtime);
    }
    for (const id of [...this.tracked]) {
      if (isLive(runtime, id)) continue;
      this.tracked.delete(id);
      await this.ended(id, number);
    }
    for (const [id, at] of this.resultReleases) {
      if (number < at) continue;
      this.resultReleases.delete(id);
      await this.releaseHolder(resultHolder(id));
    }
    if (this.released && !this.sweeping) {
      this.released = false;
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
      });
    }
  }

  /** Waits for a sweep in progress (tests, shutdown). */
  async idle(): Promise<void> {
    await this.sweeping;
  }

  private async recover(number: number, runtime: JobReader): Promise<void> {
    const ids = new Set<bigint>();
    for (const { holder } of await this.content.holdings("job")) {
      const digits = holder.startsWith(RESULT_HOLDER)
        ? holder.slice(RESULT_HOLDER.length)
        : holder.startsWith(INPUT_HOLDER)
          ? holder.slice(INPUT_HOLDER.length)
          : "";
      if (/^\d+$/.test(digits)) ids.add(BigInt(digits));
    }
    for (const id of ids) {
      if (isLive(runtime, id)) this.tracked.add(id);
      else await this.ended(id, number);
    }
  }

  private async releaseHolder(holder: string): Promise<void> {
    let holds: { cid: string; holder: string }[];
    try {
      holds = (await this.content.holdings(holder)).filter((h) => h.holder === holder);
    } catch (err) {
      this.log.warn("Cannot list job artifacts", { holder, ...errorInfo(err) });
      return;
    }
    for (const { cid } of holds) {
      try {
        await this.content.unpin(cid, { holder });
        this.released = true;
      } catch (err) {
        this.log.warn("Cannot release a job artifact", { holder, cid, ...errorInfo(err) });
      }
    }
    if (holds.length > 0) this.log.debug("Released job artifacts", { holder, cids: holds.length });
  }

  private async sweep(): Promise<void> {
    try {
      const blocks = await this.content.gc();
      this.log.debug("Swept released job artifacts", { blocks });
    } catch (err) {
      this.log.warn("Content garbage collection failed", errorInfo(err));
    }
  }
}

function isLive(runtime: JobReader, id: bigint): boolean {
  const job = runtime.job(id);
  return job !== undefined && !isFinal(job.status);
}
