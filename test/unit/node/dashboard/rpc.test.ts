import { beforeAll, describe, expect, it } from "@jest/globals";
import type { Chain } from "../../../../node/chain/chain.js";
import type { JobProgress } from "../../../../node/dashboard/index.js";
import { dashboardMethods } from "../../../../node/rpc/methods/dashboard.js";
import { type MethodDef, RpcError } from "../../../../node/rpc/server/index.js";
import { ss58Encode } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import type { HexString } from "../../../../primitives/hex.js";
import {
  assign,
  authorDigest,
  CPU_BOX,
  claim,
  commit,
  EVALUATOR,
  jobRuntime,
  pk,
  postJob,
  register,
  reveal,
  revealTestSet,
  spec,
  submitResults,
  TRAINER,
} from "../../../helpers/jobs.js";
import { UNIT } from "../../../helpers/runtime.js";
import { MemoryPool, produce } from "../jobs/helpers.js";
import { signed, ViewChain } from "./helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

const addr = (name: string) => ss58Encode(pk(name));

function methods(chain: ViewChain, progress?: { progress(id: bigint): JobProgress | undefined }) {
  const defs = dashboardMethods({ chain: chain as unknown as Chain, progress });
  return (name: string, params: unknown[] = []) => {
    const def = defs.find((d) => (d as MethodDef).name === name) as MethodDef<unknown[]>;
    const spec = def.params ?? [];
    // As the dispatcher does: each param through its parser, absent optional ones undefined.
    const parsed = spec.map((p, i) => (params[i] === undefined && p.optional ? undefined : p.parse(params[i])));
    return def.handler(parsed, {} as never) as Promise<unknown>;
  };
}

describe("dashboard RPC methods", () => {
  it("tensorchain_validators and tensorchain_recentAuthors: the session's authorities and who authored the recent blocks", async () => {
    const chain = new ViewChain(jobRuntime());
    const authors: number[] = [0, 1, 1, 0, 1];
    for (const i of authors) {
      chain.rt.block([], { digest: authorDigest(i) });
      chain.record();
    }
    const call = methods(chain);
    const v = (await call("tensorchain_validators")) as {
      session: number;
      setId: string;
      validators: { account: string; weight: string; disabled: boolean }[];
    };
    expect(v.session).toBe(0);
    expect(v.setId).toBe("0");
    expect(v.validators.map((x) => x.account).sort()).toEqual([addr("Alice"), addr("Bob")].sort());
    expect(v.validators.every((x) => !x.disabled && BigInt(x.weight) > 0n)).toBe(true);

    const recent = (await call("tensorchain_recentAuthors", [3])) as {
      number: number;
      author: string | null;
      authorityIndex: number | null;
      primary: boolean;
    }[];
    expect(recent.map((b) => b.number)).toEqual([5, 4, 3]);
    expect(recent.map((b) => b.author)).toEqual(
      [1, 0, 1].map((i) => v.validators[i]!.account), // authority index -> the session's i-th authority
    );
    expect(recent.every((b) => !b.primary)).toBe(true);
    // Down to genesis, which has no pre-digest.
    const all = (await call("tensorchain_recentAuthors")) as { number: number; author: string | null }[];
    expect(all.map((b) => b.number)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(all.at(-1)!.author).toBeNull();
    expect(() => methods(chain)("tensorchain_recentAuthors", [0])).toThrow("expected an integer in 1..256");
    await expect(call("tensorchain_validators", [`0x${"11".repeat(32)}`])).rejects.toThrow(RpcError);
  });

  it("tensorchain_jobs and tensorchain_job: jobs with their phase, results and attestations, at any block", async () => {
    const chain = new ViewChain(jobRuntime());
    const pool = new MemoryPool();
    const send = (name: string, call: Parameters<typeof signed>[2]) =>
      produce(chain, pool, [signed(chain, name, call)]);
    produce(chain, pool, [
      signed(chain, "W1", register(TRAINER, 100n * UNIT, CPU_BOX)),
      signed(chain, "E1", register(EVALUATOR, 100n * UNIT, CPU_BOX)),
    ]);
    send("Client", postJob(spec({ workers: 1, evaluators: 1 }), 1_000n * UNIT));
    const postedAt = chain.best.hashHex as HexString;
    // Job 1 stays open while job 0 runs its audits.
    const longAssign = { ...spec().deadlines, assign: 1_000 };
    send(
      "Client",
      postJob(
        spec({ workers: 1, evaluators: 1, length: { tag: "Steps", value: 50 }, deadlines: longAssign }),
        500n * UNIT,
      ),
    );
    send("W1", assign(0n));
    // W1's result, committed, revealed and audited (E1 verifies).
    submitResults(
      {
        rt: chain.rt,
        send,
        runTo: (n) => {
          while (chain.rt.header.number < n) produce(chain, pool);
        },
      },
      0n,
      [claim("W1", 3, 950_000)],
    );
    send("Client", revealTestSet(0n));
    send("E1", commit(0n, "E1", [["W1", 920_000]]));
    send("E1", reveal(0n, [["W1", 920_000]]));

    const call = methods(chain);
    const jobs = (await call("tensorchain_jobs")) as { id: string; status: string; reward: string }[];
    expect(jobs.map((j) => [j.id, j.status])).toEqual([
      ["1", "Open"],
      ["0", "Succeeded"],
    ]);
    expect(jobs[1]!.reward).toBe((1_000n * UNIT).toString());
    expect(
      ((await call("tensorchain_jobs", [postedAt])) as { id: string; status: string }[]).map((j) => j.status),
    ).toEqual(["Open"]);

    const job = (await call("tensorchain_job", ["0"])) as Record<string, unknown>;
    expect(job).toMatchObject({
      id: "0",
      status: "Succeeded",
      failure: null,
      client: addr("Client"),
      workers: [addr("W1")],
      evaluators: [addr("E1")],
      deadline: 0,
      spec: {
        workers: 1,
        evaluators: 1,
        loss: "CrossEntropy",
        optimizer: "Adam",
        learningRate: 0.001,
        batchSize: 64,
        length: { unit: "Epochs", value: 2 },
        minAccuracyPpm: 900_000,
      },
      assignments: [
        {
          worker: addr("W1"),
          stake: "0",
          result: { claimedAccuracyPpm: 950_000, claimedLoss: 0.123 },
          accuracyPpm: 920_000,
        },
      ],
      attestations: [
        { evaluator: addr("E1"), committed: true, accuracies: [{ worker: addr("W1"), accuracyPpm: 920_000 }] },
      ],
    });
    expect(typeof (job.spec as { modelCid: string }).modelCid).toBe("string");
    const open = (await call("tensorchain_job", [1])) as { assignments: unknown[]; attestations: unknown[] };
    expect(open).toMatchObject({
      status: "Open",
      assignments: [],
      attestations: [],
      spec: { length: { unit: "Steps" } },
    });
    expect(await call("tensorchain_job", [9])).toBeNull();
    expect(() => methods(chain)("tensorchain_job", ["x"])).toThrow("expected a job id");
  });

  it("tensorchain_jobProgress: what the node's recorder kept, null without a record", async () => {
    const chain = new ViewChain(jobRuntime());
    const recorded: JobProgress = {
      jobId: 4n,
      live: true,
      series: [
        {
          worker: pk("W1"),
          totalSteps: 20,
          points: [
            { step: 10, loss: 1.5 },
            { step: 20, loss: 0.75 },
          ],
          result: { block: 9, loss: 0.75, accuracyPpm: 880_000 },
        },
      ],
    };
    const call = methods(chain, { progress: (id) => (id === 4n ? recorded : undefined) });
    expect(await call("tensorchain_jobProgress", ["4"])).toEqual({
      jobId: "4",
      live: true,
      series: [
        {
          worker: addr("W1"),
          totalSteps: 20,
          points: [
            [10, 1.5],
            [20, 0.75],
          ],
          result: { block: 9, loss: 0.75, accuracyPpm: 880_000 },
        },
      ],
    });
    expect(await call("tensorchain_jobProgress", [5])).toBeNull();
    expect(await methods(chain)("tensorchain_jobProgress", [4])).toBeNull();
  });
});
