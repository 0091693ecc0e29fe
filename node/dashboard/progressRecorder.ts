/**
 * Records the training progress of live jobs for clients (`tensorchain_jobProgress`, the dashboard's
 * loss curve), whether or not this node trains.
 *
 * Progress travels on each job's gossip topic (`job/<id>`, `node/jobs/progress.ts`), which only the
 * job's workers used to join. The recorder follows the job market on the node's best chain (the jobs'
 * own `JobEventFollower`): it joins the topic of every job that is not final, and leaves it when the
 * job ends; each well-formed message from one of the job's assigned trainers becomes a point (step,
 * loss) of that trainer's series. A trainer's own progress never comes back to it over gossip, so the
 * roles publish through `jobGossip()`, which records before it publishes (a dev node without network
 * records its own training too). The chain's side: when a trainer's result is included
 * (`ResultRevealed`), its claimed metrics (final loss, training accuracy) are added to its series.
 *
 * One subscription per topic: the roles' joins and leaves and the recorder's own are counted together,
 * so neither unsubscribes a topic the other still needs.
 *
 * Bounded: at most `maxJobs` jobs are kept (ended jobs go first, oldest first), one series per assigned
 * trainer, and at most `maxPointsPerSeries` points per series (beyond it every other point is dropped,
 * keeping the first and the last, so the curve keeps its shape at a coarser step).
 */
import { bytesEqual, type HexString, toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import { isFinal } from "../../runtime/pallets/jobManager/index.js";
import type { RuntimeView } from "../chain/runtimeView.js";
import type { JobGossip } from "../jobs/context.js";
import { type FollowedBlock, type JobChain, JobEventFollower } from "../jobs/follower.js";
import { decodeProgress, type ProgressMessage } from "../jobs/progress.js";

export type ProgressVerdict = "accept" | "ignore" | "reject";

/** The node's gossip for job topics (`job/<id>`), when it runs the network. */
export interface ProgressTopics {
  /** Subscribes to the job's topic; `judge` decides on each message received. */
  join(jobId: bigint, judge: (data: Uint8Array) => ProgressVerdict): void;
  leave(jobId: bigint): void;
  publish(jobId: bigint, data: Uint8Array): Promise<number>;
}

export interface JobProgressRecorderOptions {
  /** Jobs kept. */
  maxJobs: number;
  /** Points kept per trainer's series. */
  maxPointsPerSeries: number;
}

export const defaultJobProgressRecorderOptions: JobProgressRecorderOptions = { maxJobs: 64, maxPointsPerSeries: 256 };

export interface ProgressPoint {
  step: number;
  loss: number;
}

/** A trainer's claimed metrics, from its result on chain. */
export interface ClaimedResult {
  /** Block in which the result was included. */
  block: number;
  loss: number;
  accuracyPpm: number;
}

export interface ProgressSeries {
  worker: Uint8Array;
  totalSteps: number;
  points: ProgressPoint[];
  result?: ClaimedResult;
}

export interface JobProgress {
  jobId: bigint;
  /** Whether the job was still live at the last block seen (its topic joined). */
  live: boolean;
  series: ProgressSeries[];
}

export interface JobProgressRecorderModules {
  chain: JobChain & { readonly bestRuntime: RuntimeView };
  /** Absent without the network: only this node's own training is recorded. */
  topics?: ProgressTopics;
  logger: Logger;
}

type Holder = "recorder" | "roles";

interface JobRecord {
  live: boolean;
  series: Map<HexString, ProgressSeries>;
}

export class JobProgressRecorder {
  private readonly follower: JobEventFollower;
  private readonly records = new Map<bigint, JobRecord>();
  /** Who holds each joined topic. */
  private readonly holders = new Map<bigint, Set<Holder>>();
  private firstBlock = true;

  constructor(
    private readonly opts: JobProgressRecorderOptions,
    private readonly modules: JobProgressRecorderModules,
  ) {
    this.follower = new JobEventFollower({ chain: modules.chain, logger: modules.logger });
    this.follower.onBlock((block) => this.onBlock(block));
  }

  start(): void {
    this.follower.start();
  }

  /** Stops following the chain and leaves every job topic it joined. */
  async stop(): Promise<void> {
    await this.follower.stop();
    for (const id of [...this.holders.keys()]) this.release(id, "recorder");
  }

  /** Resolves when every best block seen so far has been handled (for tests). */
  idle(): Promise<void> {
    return this.follower.idle();
  }

  /** The job topics joined now. */
  joinedTopics(): bigint[] {
    return [...this.holders.keys()];
  }

  /** What was recorded of job `id`, or undefined when nothing is kept. */
  progress(id: bigint): JobProgress | undefined {
    const record = this.records.get(id);
    if (!record) return undefined;
    return {
      jobId: id,
      live: record.live,
      series: [...record.series.values()].map((s) => ({ ...s, points: [...s.points] })),
    };
  }

  /**
   * The gossip the job roles use: `publish` records the message first (this node's own training), then
   * publishes it when the network runs; `join`/`leave` share the topic subscriptions with the recorder.
   */
  jobGossip(): JobGossip {
    return {
      publish: async (id, data) => {
        this.judge(id, data);
        return this.modules.topics ? this.modules.topics.publish(id, data) : 0;
      },
      join: (id) => this.hold(id, "roles"),
      leave: (id) => this.release(id, "roles"),
    };
  }

  /**
   * Judges a message on job `jobId`'s topic and records it when it is good: malformed (or naming
   * another job, or steps out of range) is rejected; from a trainer not assigned to the job at the best
   * block, or with a non-finite loss, ignored.
   */
  judge(jobId: bigint, data: Uint8Array): ProgressVerdict {
    const m = decodeProgress(data);
    if (!m || m.jobId !== jobId || m.totalSteps <= 0 || m.step < 0 || m.step > m.totalSteps) return "reject";
    if (!Number.isFinite(m.loss)) return "ignore";
    const job = this.modules.chain.bestRuntime.job(jobId);
    if (!job?.workers.some((w) => bytesEqual(w, m.worker))) return "ignore";
    this.addPoint(m);
    return "accept";
  }

  private addPoint(m: ProgressMessage): void {
    const series = this.seriesOf(m.jobId, m.worker);
    series.totalSteps = m.totalSteps;
    const points = series.points;
    const point = { step: m.step, loss: m.loss };
    const last = points.at(-1);
    if (!last || last.step < m.step) points.push(point);
    else {
      const i = points.findIndex((p) => p.step >= m.step);
      if (points[i]!.step === m.step) points[i] = point;
      else points.splice(i, 0, point);
    }
    if (points.length > this.opts.maxPointsPerSeries) thin(points);
  }

  private seriesOf(jobId: bigint, worker: Uint8Array): ProgressSeries {
    const record = this.recordOf(jobId);
    const key = toHex(worker);
    let series = record.series.get(key);
    if (!series) {
      series = { worker: new Uint8Array(worker), totalSteps: 0, points: [] };
      record.series.set(key, series);
    }
    return series;
  }

  private recordOf(jobId: bigint): JobRecord {
    let record = this.records.get(jobId);
    if (!record) {
      record = { live: true, series: new Map() };
      this.records.set(jobId, record);
      this.evict();
    }
    return record;
  }

  /** Drops the oldest ended jobs, then the oldest live ones, down to `maxJobs`. */
  private evict(): void {
    while (this.records.size > this.opts.maxJobs) {
      const ids = [...this.records.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const victim = ids.find((id) => !this.records.get(id)!.live) ?? ids[0]!;
      this.records.delete(victim);
    }
  }

  private hold(id: bigint, who: Holder): void {
    let set = this.holders.get(id);
    if (!set) {
      set = new Set();
      this.holders.set(id, set);
      this.modules.topics?.join(id, (data) => this.judge(id, data));
    }
    set.add(who);
  }

  private release(id: bigint, who: Holder): void {
    const set = this.holders.get(id);
    if (!set?.delete(who) || set.size > 0) return;
    this.holders.delete(id);
    this.modules.topics?.leave(id);
  }

  private onBlock(block: FollowedBlock): void {
    const { runtime } = block;
    const ids = new Set<bigint>();
    for (const [id, set] of this.holders) if (set.has("recorder")) ids.add(id);
    for (const e of block.events)
      if (e.pallet === "JobManager" && typeof e.fields.job_id === "bigint") ids.add(e.fields.job_id);
    if (this.firstBlock) for (const [id, job] of runtime.jobs()) if (!isFinal(job.status)) ids.add(id);
    this.firstBlock = false;
    for (const id of ids) {
      const job = runtime.job(id);
      if (!job || isFinal(job.status)) {
        this.release(id, "recorder");
        const record = this.records.get(id);
        if (record) record.live = false;
        continue;
      }
      this.recordOf(id).live = true;
      this.hold(id, "recorder");
    }
    for (const e of block.events) {
      if (e.pallet !== "JobManager" || e.name !== "ResultRevealed") continue;
      const id = e.fields.job_id as bigint;
      const worker = e.fields.worker as Uint8Array;
      const result = runtime.assignment(id, worker)?.result;
      if (!result) continue;
      this.seriesOf(id, worker).result = {
        block: block.number,
        loss: Number(result.metrics.loss_e9) / 1e9,
        accuracyPpm: result.metrics.accuracy_ppm,
      };
    }
  }
}

/** Halves a series in place: keeps the first point, every other one after it, and the last. */
export function thin(points: ProgressPoint[]): void {
  const last = points.at(-1);
  let w = 0;
  for (let r = 0; r < points.length; r += 2) points[w++] = points[r]!;
  points.length = w;
  if (last && points.at(-1) !== last) points.push(last);
}
