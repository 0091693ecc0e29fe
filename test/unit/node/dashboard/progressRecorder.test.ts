import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  JobProgressRecorder,
  type ProgressPoint,
  type ProgressTopics,
  type ProgressVerdict,
  thin,
} from "../../../../node/dashboard/progressRecorder.js";
import { encodeProgress } from "../../../../node/jobs/progress.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { nullLogger } from "../../../../primitives/logger.js";
import {
  assign,
  CPU_BOX,
  cancel,
  claim,
  commitResult,
  EVALUATOR,
  jobRuntime,
  pk,
  postJob,
  register,
  revealResult,
  spec,
  TRAINER,
} from "../../../helpers/jobs.js";
import { UNIT } from "../../../helpers/runtime.js";
import { MemoryPool, produce } from "../jobs/helpers.js";
import { signed, ViewChain } from "./helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

/** Gossip topics in memory: who joined, the judge of each, what was published. */
class FakeTopics implements ProgressTopics {
  readonly judges = new Map<bigint, (data: Uint8Array) => ProgressVerdict>();
  readonly events: string[] = [];
  readonly published: [bigint, Uint8Array][] = [];
  join(id: bigint, judge: (data: Uint8Array) => ProgressVerdict): void {
    this.judges.set(id, judge);
    this.events.push(`join ${id}`);
  }
  leave(id: bigint): void {
    this.judges.delete(id);
    this.events.push(`leave ${id}`);
  }
  async publish(id: bigint, data: Uint8Array): Promise<number> {
    this.published.push([id, data]);
    return 1;
  }
}

const progress = (jobId: bigint, worker: string, step: number, loss: number, totalSteps = 100) =>
  encodeProgress({ jobId, worker: pk(worker), step, totalSteps, loss });

/** W1 (trainer) and E1 (evaluator) registered; the client posts job 0 for one trainer and one evaluator. */
async function setup(opts = { maxJobs: 8, maxPointsPerSeries: 16 }) {
  const chain = new ViewChain(jobRuntime());
  const pool = new MemoryPool();
  produce(chain, pool, [
    signed(chain, "W1", register(TRAINER, 100n * UNIT, CPU_BOX)),
    signed(chain, "E1", register(EVALUATOR, 100n * UNIT, CPU_BOX)),
  ]);
  produce(chain, pool, [signed(chain, "Client", postJob(spec({ workers: 1, evaluators: 1 }), 1_000n * UNIT))]);
  const topics = new FakeTopics();
  const recorder = new JobProgressRecorder(opts, { chain, topics, logger: nullLogger });
  recorder.start();
  await recorder.idle();
  return { chain, pool, topics, recorder };
}

describe("JobProgressRecorder", () => {
  it("joins a live job's topic, records its trainer's progress and claimed result, and leaves when it ends", async () => {
    const { chain, pool, topics, recorder } = await setup();
    expect(topics.events).toEqual(["join 0"]);
    const judge = topics.judges.get(0n)!;
    // Nobody is assigned yet: progress is ignored.
    expect(judge(progress(0n, "W1", 1, 2.5))).toBe("ignore");

    produce(chain, pool, [signed(chain, "W1", assign(0n))]);
    await recorder.idle();
    expect(chain.bestRuntime.job(0n)?.status.tag).toBe("Training");
    expect(judge(progress(0n, "W1", 10, 2.0))).toBe("accept");
    expect(judge(progress(0n, "W1", 30, 1.0))).toBe("accept");
    expect(judge(progress(0n, "W1", 20, 1.5))).toBe("accept"); // out of order: put in place
    expect(judge(progress(0n, "W1", 30, 0.9))).toBe("accept"); // the same step again: replaced
    expect(judge(progress(0n, "W2", 40, 0.5))).toBe("ignore"); // not a trainer of the job
    expect(judge(progress(0n, "W1", 40, Number.NaN))).toBe("ignore");
    expect(judge(progress(1n, "W1", 40, 0.5))).toBe("reject"); // another job's message
    expect(judge(progress(0n, "W1", 101, 0.5))).toBe("reject"); // past the last step
    expect(judge(new Uint8Array([1, 2, 3]))).toBe("reject");

    const result = claim("W1", 3, 910_000);
    produce(chain, pool, [signed(chain, "W1", commitResult(0n, result))]);
    produce(chain, pool, [signed(chain, "W1", revealResult(0n, result))]);
    await recorder.idle();
    const p = recorder.progress(0n)!;
    expect(p.live).toBe(true);
    expect(p.series).toHaveLength(1);
    expect(p.series[0]!.worker).toEqual(pk("W1"));
    expect(p.series[0]!.totalSteps).toBe(100);
    expect(p.series[0]!.points).toEqual([
      { step: 10, loss: 2.0 },
      { step: 20, loss: 1.5 },
      { step: 30, loss: 0.9 },
    ]);
    expect(p.series[0]!.result).toEqual({ block: chain.best.number, loss: 0.123, accuracyPpm: 910_000 });

    // Job 1 is posted, then cancelled: its topic is joined, then left; its record says it ended.
    produce(chain, pool, [signed(chain, "Client", postJob(spec({ workers: 1, evaluators: 1 }), 1_000n * UNIT))]);
    await recorder.idle();
    expect(recorder.joinedTopics().sort()).toEqual([0n, 1n]);
    produce(chain, pool, [signed(chain, "Client", cancel(1n))]);
    await recorder.idle();
    expect(topics.events).toEqual(["join 0", "join 1", "leave 1"]);
    expect(recorder.progress(1n)).toEqual({ jobId: 1n, live: false, series: [] });
    expect(recorder.progress(7n)).toBeUndefined();

    await recorder.stop();
    expect(topics.events.at(-1)).toBe("leave 0");
  });

  it("shares topics with the job roles, and records what the roles publish", async () => {
    const { chain, pool, topics, recorder } = await setup();
    produce(chain, pool, [signed(chain, "W1", assign(0n))]);
    await recorder.idle();
    const gossip = recorder.jobGossip();
    gossip.join(0n); // the trainer joins a topic the recorder holds already: no second subscription
    expect(topics.events).toEqual(["join 0"]);
    expect(await gossip.publish(0n, progress(0n, "W1", 5, 1.25))).toBe(1);
    expect(topics.published).toHaveLength(1);
    expect(recorder.progress(0n)?.series[0]?.points).toEqual([{ step: 5, loss: 1.25 }]);
    await recorder.stop(); // the recorder lets go; the roles still hold the topic
    expect(topics.events).toEqual(["join 0"]);
    gossip.leave(0n);
    expect(topics.events).toEqual(["join 0", "leave 0"]);
  });

  it("records the node's own training without a network", async () => {
    const chain = new ViewChain(jobRuntime());
    const pool = new MemoryPool();
    produce(chain, pool, [
      signed(chain, "W1", register(TRAINER, 100n * UNIT, CPU_BOX)),
      signed(chain, "E1", register(EVALUATOR, 100n * UNIT, CPU_BOX)),
    ]);
    produce(chain, pool, [signed(chain, "Client", postJob(spec({ workers: 1, evaluators: 1 }), 1_000n * UNIT))]);
    produce(chain, pool, [signed(chain, "W1", assign(0n))]);
    const recorder = new JobProgressRecorder({ maxJobs: 8, maxPointsPerSeries: 16 }, { chain, logger: nullLogger });
    recorder.start();
    await recorder.idle();
    const gossip = recorder.jobGossip();
    gossip.join(0n);
    expect(await gossip.publish(0n, progress(0n, "W1", 1, 3))).toBe(0);
    expect(recorder.progress(0n)?.series[0]?.points).toEqual([{ step: 1, loss: 3 }]);
    await recorder.stop();
  });

  it("keeps at most maxPointsPerSeries points per series, and at most maxJobs jobs", async () => {
    const { chain, pool, topics, recorder } = await setup({ maxJobs: 2, maxPointsPerSeries: 8 });
    produce(chain, pool, [signed(chain, "W1", assign(0n))]);
    await recorder.idle();
    for (let step = 1; step <= 100; step++) topics.judges.get(0n)!(progress(0n, "W1", step, 100 / step));
    const points = recorder.progress(0n)!.series[0]!.points;
    expect(points.length).toBeLessThanOrEqual(8);
    expect(points[0]!.step).toBe(1);
    expect(points.at(-1)!.step).toBe(100);
    expect(points.map((p) => p.step)).toEqual([...points.map((p) => p.step)].sort((a, b) => a - b));

    // Two more jobs: the oldest job's record goes first.
    for (let i = 0; i < 2; i++)
      produce(chain, pool, [signed(chain, "Client", postJob(spec({ workers: 1, evaluators: 1 }), 1_000n * UNIT))]);
    await recorder.idle();
    expect(recorder.progress(0n)).toBeUndefined();
    expect(recorder.progress(1n)?.live).toBe(true);
    expect(recorder.progress(2n)?.live).toBe(true);
    await recorder.stop();
  });
});

describe("thin", () => {
  it("halves a series, keeping its first and last points", () => {
    const pts = (steps: number[]): ProgressPoint[] => steps.map((step) => ({ step, loss: 1 }));
    const a = pts([1, 2, 3, 4, 5, 6]);
    thin(a);
    expect(a.map((p) => p.step)).toEqual([1, 3, 5, 6]);
    const b = pts([1, 2, 3, 4, 5]);
    thin(b);
    expect(b.map((p) => p.step)).toEqual([1, 3, 5]);
  });
});
