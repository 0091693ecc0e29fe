import { beforeAll, describe, expect, it } from "@jest/globals";
import type { RpcDeps } from "../../../../node/rpc/methods/index.js";
import { parseFindWorkersQuery, tensorchainMethods } from "../../../../node/rpc/methods/tensorchain.js";
import type { MethodDef } from "../../../../node/rpc/server/index.js";
import { defaultSignatureChecker, ss58Encode } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import {
  CPU_BOX,
  EVALUATOR,
  GPU_BOX,
  JobHarness,
  jobRuntime,
  PROVIDER,
  pk,
  register,
  TRAINER,
} from "../../../helpers/jobs.js";
import { UNIT } from "../../../helpers/runtime.js";
import { RuntimeChain } from "../jobs/helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

function findWorkers(provider = false) {
  const h = new JobHarness(jobRuntime());
  h.send("W1", register(TRAINER, 100n * UNIT, GPU_BOX));
  h.send("W2", register(TRAINER, 200n * UNIT, CPU_BOX));
  h.send("E1", register(EVALUATOR, 100n * UNIT, CPU_BOX));
  if (provider) h.send("E2", register(PROVIDER, 50n * UNIT, CPU_BOX));
  const chain = new RuntimeChain(h.rt);
  const deps = { chain, signatures: defaultSignatureChecker } as unknown as RpcDeps;
  const def = tensorchainMethods(deps).find((m) => (m as MethodDef).name === "tensorchain_findWorkers") as MethodDef<
    [unknown, unknown]
  >;
  return async (query?: unknown) =>
    (await def.handler([parseFindWorkersQuery(query), undefined], {} as never)) as { account: string }[];
}

const who = (...names: string[]) => names.map((n) => ss58Encode(pk(n)));

describe("tensorchain_findWorkers", () => {
  it("lists the active workers matching every criterion, best first (reputation, then stake)", async () => {
    const find = findWorkers();
    // W2 has the largest stake; W1 and E1 tie on stake and go by account id.
    const tied = Buffer.compare(Buffer.from(pk("W1")), Buffer.from(pk("E1"))) < 0 ? ["W1", "E1"] : ["E1", "W1"];
    expect((await find()).map((w) => w.account)).toEqual(who("W2", ...tied));
    expect((await find({ role: "Trainer" })).map((w) => w.account)).toEqual(who("W2", "W1"));
    expect((await find({ role: "Evaluator" })).map((w) => w.account)).toEqual(who("E1"));
    expect((await find({ minGpus: 1 })).map((w) => w.account)).toEqual(who("W1"));
    expect((await find({ minGpuMemoryMiB: 20_000 })).map((w) => w.account)).toEqual([]);
    expect((await find({ profile: "GpuTolerance", role: "Trainer" })).map((w) => w.account)).toEqual(who("W1"));
    expect((await find({ minGpus: 1 }))[0]).toEqual({
      account: ss58Encode(pk("W1")),
      accountId: `0x${Buffer.from(pk("W1")).toString("hex")}`,
      roles: { trainer: true, evaluator: false, inference: false },
      capabilities: {
        gpus: 1,
        gpuMemoryMiB: 16_384,
        cpuCores: 8,
        memoryMiB: 32_768,
        profiles: ["CpuExact", "GpuTolerance"],
        onnxruntimeVersion: "1.22.0",
      },
      recordHash: `0x${"07".repeat(32)}`,
      stake: (100n * UNIT).toString(),
      reputationPpm: 500_000,
      lastHeartbeat: 1,
    });
  });

  it("filters by the inference role and by host memory", async () => {
    const find = findWorkers(true);
    expect((await find({ role: "Inference" })).map((w) => w.account)).toEqual(who("E2"));
    expect((await find({ role: "Inference", minMemoryMiB: 8_193 })).map((w) => w.account)).toEqual([]);
    expect((await find({ minMemoryMiB: 10_000 })).map((w) => w.account)).toEqual(who("W1"));
  });

  it.each([
    [[1], "expected an object"],
    [{ gpus: 1 }, 'unknown field "gpus" (expected minGpus, minGpuMemoryMiB, minMemoryMiB, profile, role)'],
    [{ minGpus: -1 }, "minGpus: expected an integer in 0..4294967295"],
    [{ profile: "Tpu" }, "profile: expected one of CpuExact, GpuTolerance"],
    [{ role: "Miner" }, "role: expected one of Trainer, Evaluator, Inference"],
    [{ minMemoryMiB: 1.5 }, "minMemoryMiB: expected an integer in 0..4294967295"],
  ])("rejects the query %j", (query, message) => {
    expect(() => parseFindWorkersQuery(query)).toThrow(message);
  });
});
