import { describe, expect, it } from "@jest/globals";
import {
  type DecisionInput,
  decideOnInputs,
  decideOnJob,
  defaultTrainerPolicy,
  payoutPerWorker,
} from "../../../../node/jobs/decision.js";
import { DEFAULT_JOB_PARAMS, type JobValue } from "../../../../runtime/pallets/jobManager/index.js";
import { CPU_BOX, GPU_BOX, pk, spec } from "../../../helpers/jobs.js";
import { UNIT } from "../../../helpers/runtime.js";

function job(overrides: Partial<JobValue> = {}): JobValue {
  return {
    client: pk("Client"),
    spec: spec(),
    reward: 1_000n * UNIT,
    network_fee: 20n * UNIT,
    held: 1_020n * UNIT,
    status: { tag: "Open" },
    posted_at: 1,
    deadline: 11,
    workers: [],
    evaluators: [],
    test_set: undefined,
    results: [],
    checks: 0,
    open_checks: 0,
    pending_settlement: undefined,
    ...overrides,
  };
}

function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    job: job(),
    self: pk("W1"),
    capabilities: CPU_BOX,
    params: DEFAULT_JOB_PARAMS,
    activeJobs: 0,
    free: 1_000n * UNIT,
    policy: defaultTrainerPolicy,
    ...overrides,
  };
}

const refusal = (i: DecisionInput) => {
  const d = decideOnJob(i);
  if (d.accept) throw new Error("accepted");
  return d;
};

describe("decideOnJob", () => {
  it("accepts a job it can run and says what it pays: 80% of the reward split between the trainers", () => {
    expect(decideOnJob(input())).toEqual({ accept: true, payout: 400n * UNIT });
    expect(payoutPerWorker(job(), DEFAULT_JOB_PARAMS)).toBe(400n * UNIT);
  });

  it.each([
    ["JOB_REFUSED_NOT_OPEN", { job: job({ status: { tag: "Training" } }) }, "the job is Training, not Open"],
    ["JOB_REFUSED_OWN_JOB", { self: pk("Client") }, "a client cannot train its own job"],
    ["JOB_REFUSED_ALREADY_ASSIGNED", { job: job({ workers: [pk("W1")] }) }, "already assigned to this job"],
    [
      "JOB_REFUSED_INVALID_CID",
      { job: job({ spec: spec({ model_cid: new Uint8Array([0x12, 0x20, 1]) }) }) },
      "the model or training-set CID is not a binary CIDv1",
    ],
    [
      "JOB_REFUSED_GPUS",
      {
        job: job({
          spec: spec({ requirements: { min_gpus: 2, min_gpu_memory_mib: 0, min_cpu_cores: 1, min_memory_mib: 1 } }),
        }),
        capabilities: GPU_BOX,
      },
      "needs 2 GPU(s), this worker has 1",
    ],
    [
      "JOB_REFUSED_GPU_MEMORY",
      {
        job: job({
          spec: spec({
            requirements: { min_gpus: 1, min_gpu_memory_mib: 40_000, min_cpu_cores: 1, min_memory_mib: 1 },
          }),
        }),
        capabilities: GPU_BOX,
      },
      "needs 40000 MiB per GPU, this worker has 16384 MiB",
    ],
    [
      "JOB_REFUSED_CPU_CORES",
      {
        job: job({
          spec: spec({ requirements: { min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 64, min_memory_mib: 1 } }),
        }),
      },
      "needs 64 CPU cores, this worker has 4",
    ],
    [
      "JOB_REFUSED_MEMORY",
      {
        job: job({
          spec: spec({
            requirements: { min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 1, min_memory_mib: 65_536 },
          }),
        }),
      },
      "needs 65536 MiB of memory, this worker has 8192 MiB",
    ],
    [
      "JOB_REFUSED_PROFILE",
      {
        job: job({
          spec: spec({
            profile: { tag: "GpuTolerance" },
            requirements: { min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 1, min_memory_mib: 1 },
          }),
        }),
      },
      "needs execution profile GpuTolerance, this worker offers CpuExact",
    ],
    [
      "JOB_REFUSED_TOO_LONG",
      { job: job({ spec: spec({ length: { tag: "Steps", value: 2_000_000 } }) }) },
      "2000000 steps exceed this worker's limit of 1000000",
    ],
    [
      "JOB_REFUSED_REWARD_TOO_LOW",
      { policy: { ...defaultTrainerPolicy, minPayout: 500n * UNIT } },
      "pays 400000000000000 planck per worker, below this worker's minimum of 500000000000000",
    ],
    [
      "JOB_REFUSED_STAKE_TOO_HIGH",
      { policy: { ...defaultTrainerPolicy, maxJobStake: 10n * UNIT } },
      "asks a job stake of 50000000000000 planck, above this worker's limit of 10000000000000",
    ],
    [
      "JOB_REFUSED_INSUFFICIENT_BALANCE",
      { free: 50n * UNIT },
      "the job stake of 50000000000000 planck exceeds the free balance of 50000000000000",
    ],
    ["JOB_REFUSED_BUSY", { activeJobs: 1 }, "already working on 1 job(s) (limit 1)"],
  ] as const)("refuses with %s", (code, overrides, reason) => {
    expect(refusal(input(overrides as Partial<DecisionInput>))).toEqual({ accept: false, code, reason });
  });
});

describe("decideOnInputs", () => {
  // The fixture's job: Adam, checkpoint interval 10.
  const policy = { ...defaultTrainerPolicy, maxSteps: 1_000, maxCheckpointBytes: 3_000_000 };

  it("accepts a job whose steps and checkpoints fit the policy", () => {
    // 100 steps → 10 leaves of 3 × 100 kB (Adam keeps two moments per parameter).
    expect(decideOnInputs(job(), { modelBytes: 100_000, totalSteps: 100 }, policy)).toBeUndefined();
  });

  it("refuses a job in epochs whose steps, known once the data set is, exceed the policy", () => {
    expect(decideOnInputs(job(), { modelBytes: 100_000, totalSteps: 1_001 }, policy)).toEqual({
      accept: false,
      code: "JOB_REFUSED_TOO_LONG",
      reason: "1001 steps exceed this worker's limit of 1000",
    });
  });

  it("refuses a job whose checkpoints the audits need kept would not fit", () => {
    // 101 steps → 11 leaves × 300 kB = 3.3 MB > 3 MB; with SGD (1 tensor per parameter) it fits.
    expect(decideOnInputs(job(), { modelBytes: 100_000, totalSteps: 101 }, policy)).toEqual({
      accept: false,
      code: "JOB_REFUSED_TOO_LONG",
      reason: "11 checkpoints of about 300000 bytes exceed this worker's limit of 3000000 bytes",
    });
    const sgd = job({ spec: spec({ optimizer: { tag: "Sgd" } }) });
    expect(decideOnInputs(sgd, { modelBytes: 100_000, totalSteps: 101 }, policy)).toBeUndefined();
  });
});
