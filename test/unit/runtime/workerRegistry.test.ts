import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { EXISTENTIAL_DEPOSIT } from "../../../runtime/constants.js";
import { freeBalance, reservedBalance } from "../../../runtime/pallets/balances.js";
import { MAX_PERIOD_BLOCKS, setParameterCall, WORKER_REGISTRY } from "../../../runtime/pallets/parameters/index.js";
import {
  DEFAULT_REGISTRY_PARAMS,
  evaluatorPool,
  findWorkers,
  INITIAL_REPUTATION,
  MAX_WORKERS,
  meetsRequirements,
  registryParams,
  slashRegistrationStake,
  WorkerRegistry,
} from "../../../runtime/pallets/workerRegistry.js";
import {
  BOTH,
  CPU_BOX,
  EVALUATOR,
  GPU_BOX,
  hash,
  JobHarness,
  jobRuntime,
  nameOf,
  pk,
  ROOT,
  register,
  registry,
  signedBy,
  TRAINER,
} from "../../helpers/jobs.js";
import { UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const S = WorkerRegistry.storage;
const info = (h: JobHarness, n: string) => h.rt.read((e) => S.Workers.get(e, pk(n)));
const names = (list: { account: Uint8Array }[]) =>
  list.map((w) => ["W1", "W2", "E1", "E2", "E3", "Client"].find((n) => Buffer.compare(pk(n), w.account) === 0));

describe("register", () => {
  it("reserves the stake, stores roles, capabilities and record hash, and counts as a heartbeat", () => {
    const h = new JobHarness(jobRuntime());
    h.send("W1", register(TRAINER, 100n * UNIT, GPU_BOX, hash(3)));
    expect(h.rt.lastEvent()).toEqual({
      tag: "WorkerRegistry",
      value: {
        tag: "Registered",
        value: { worker: pk("W1"), roles: TRAINER, stake: 100n * UNIT, record_hash: hash(3) },
      },
    });
    expect(info(h, "W1")).toEqual({
      roles: TRAINER,
      capabilities: GPU_BOX,
      record_hash: hash(3),
      stake: 100n * UNIT,
      status: { tag: "Active" },
      registered_at: h.head,
      last_heartbeat: h.head,
      active_jobs: 0,
      jobs_succeeded: 0,
      jobs_failed: 0,
    });
    expect(h.rt.read((e) => reservedBalance(e, pk("W1")))).toBe(100n * UNIT);
    expect(h.rt.read((e) => S.CounterForWorkers.getOrDefault(e))).toBe(1);
    expect(h.rt.read((e) => S.Reputation.getOrDefault(e, pk("W1")))).toBe(INITIAL_REPUTATION);
  });

  it("rejects a second registration, no roles, bad capabilities, a low stake, a full registry and no funds", () => {
    const h = new JobHarness(jobRuntime());
    h.send("W1", register(TRAINER, 100n * UNIT));
    h.noop("W1", register(TRAINER, 100n * UNIT), "WorkerRegistry", "AlreadyRegistered");
    h.noop(
      "W2",
      register({ trainer: false, evaluator: false, inference: false }, 100n * UNIT),
      "WorkerRegistry",
      "NoRoles",
    );
    // An inference-only worker is a worker.
    h.send("E3", register({ trainer: false, evaluator: false, inference: true }, 100n * UNIT, CPU_BOX));
    const bad = [
      { ...GPU_BOX, profiles: [] },
      { ...GPU_BOX, profiles: [{ tag: "CpuExact" as const }, { tag: "CpuExact" as const }] },
      { ...GPU_BOX, onnxruntime_version: new Uint8Array() },
      { ...GPU_BOX, onnxruntime_version: new Uint8Array(33).fill(0x31) },
      { ...GPU_BOX, onnxruntime_version: new Uint8Array([0x31, 0x0a]) },
      { ...GPU_BOX, cpu_cores: 0 },
      { ...GPU_BOX, memory_mib: 0 },
      { ...CPU_BOX, gpu_memory_mib: 1024 },
      { ...CPU_BOX, profiles: [{ tag: "GpuTolerance" as const }] },
      // The kernel class: non-empty, at most 32 bytes, printable without spaces.
      { ...CPU_BOX, kernel_class: new Uint8Array() },
      { ...CPU_BOX, kernel_class: new Uint8Array(33).fill(0x61) },
      { ...CPU_BOX, kernel_class: new TextEncoder().encode("x86 64") },
    ];
    for (const caps of bad)
      h.rt.assertNoop(signedBy("W2"), register(TRAINER, 100n * UNIT, caps), "WorkerRegistry.InvalidCapabilities");
    h.noop("W2", register(TRAINER, 100n * UNIT, bad[0]), "WorkerRegistry", "InvalidCapabilities");
    h.noop("W2", register(TRAINER, DEFAULT_REGISTRY_PARAMS.min_stake - 1n), "WorkerRegistry", "StakeBelowMinimum");
    h.noop("Poor", register(TRAINER, 10n * UNIT), "Balances", "InsufficientBalance");
    // A full registry: pretend MaxWorkers are registered.
    const ext = h.rt.ext();
    S.CounterForWorkers.put(ext, MAX_WORKERS);
    h.rt.state = h.rt.state.update(ext.overlay.drain());
    h.rt.assertNoop(signedBy("W2"), register(TRAINER, 100n * UNIT), "WorkerRegistry.TooManyWorkers");
  });
});

describe("update_capabilities, heartbeat, increase_stake", () => {
  it("updates capabilities and the record hash; heartbeats keep a worker active", () => {
    const h = new JobHarness(jobRuntime({ registry: { heartbeat_timeout: 5 } }));
    h.noop(
      "W1",
      registry("update_capabilities", { capabilities: CPU_BOX, record_hash: hash(4) }),
      "WorkerRegistry",
      "NotRegistered",
    );
    h.noop("W1", registry("heartbeat"), "WorkerRegistry", "NotRegistered");
    h.send("W1", register(BOTH, 100n * UNIT));
    h.send("W1", registry("update_capabilities", { capabilities: CPU_BOX, record_hash: hash(4) }));
    expect(h.rt.lastEvent()).toEqual({
      tag: "WorkerRegistry",
      value: { tag: "CapabilitiesUpdated", value: { worker: pk("W1"), record_hash: hash(4) } },
    });
    expect(info(h, "W1")).toMatchObject({ capabilities: CPU_BOX, record_hash: hash(4), last_heartbeat: h.head });
    h.noop(
      "W1",
      registry("update_capabilities", { capabilities: { ...CPU_BOX, profiles: [] }, record_hash: hash(4) }),
      "WorkerRegistry",
      "InvalidCapabilities",
    );
    const last = info(h, "W1")!.last_heartbeat;
    h.runTo(last + 5);
    expect(h.rt.read((e) => findWorkers(e)).length).toBe(1);
    h.runTo(last + 6);
    expect(h.rt.read((e) => findWorkers(e))).toEqual([]);
    h.send("W1", registry("heartbeat"));
    expect(h.rt.lastEvent()).toEqual({
      tag: "WorkerRegistry",
      value: { tag: "HeartbeatReceived", value: { worker: pk("W1") } },
    });
    expect(info(h, "W1")?.last_heartbeat).toBe(h.head);
    expect(h.rt.read((e) => findWorkers(e)).length).toBe(1);
  });

  it("increase_stake reserves more; a stake under a raised minimum makes the worker inactive until topped up", () => {
    const h = new JobHarness(jobRuntime());
    h.noop("W1", registry("increase_stake", { amount: UNIT }), "WorkerRegistry", "NotRegistered");
    h.send("W1", register(TRAINER, 20n * UNIT));
    h.noop("W1", registry("increase_stake", { amount: 0n }), "WorkerRegistry", "ZeroAmount");
    h.sudo(setParameterCall(WORKER_REGISTRY.min_stake, 50n * UNIT));
    expect(h.rt.read((e) => findWorkers(e))).toEqual([]);
    h.send("W1", registry("increase_stake", { amount: 30n * UNIT }));
    expect(h.rt.lastEvent()).toEqual({
      tag: "WorkerRegistry",
      value: { tag: "StakeIncreased", value: { worker: pk("W1"), amount: 30n * UNIT, stake: 50n * UNIT } },
    });
    expect(h.rt.read((e) => reservedBalance(e, pk("W1")))).toBe(50n * UNIT);
    expect(h.rt.read((e) => findWorkers(e)).length).toBe(1);
  });
});

describe("deregister and withdraw_unbonded", () => {
  it("unbonds for unbonding_period blocks, then returns the stake and removes the worker", () => {
    const h = new JobHarness(jobRuntime({ registry: { unbonding_period: 5 } }));
    h.noop("W1", registry("deregister"), "WorkerRegistry", "NotRegistered");
    h.noop("W1", registry("withdraw_unbonded"), "WorkerRegistry", "NotRegistered");
    h.send("W1", register(TRAINER, 100n * UNIT));
    h.noop("W1", registry("withdraw_unbonded"), "WorkerRegistry", "NotUnbonding");
    h.send("W1", registry("deregister"));
    const unlockAt = h.head + 5;
    expect(h.rt.lastEvent()).toEqual({
      tag: "WorkerRegistry",
      value: { tag: "Deregistered", value: { worker: pk("W1"), unlock_at: unlockAt } },
    });
    expect(h.rt.read((e) => findWorkers(e))).toEqual([]);
    h.noop("W1", registry("deregister"), "WorkerRegistry", "AlreadyUnbonding");
    h.noop("W1", registry("increase_stake", { amount: UNIT }), "WorkerRegistry", "AlreadyUnbonding");
    h.runTo(unlockAt - 2);
    h.noop("W1", registry("withdraw_unbonded"), "WorkerRegistry", "StillUnbonding");
    expect(h.head).toBe(unlockAt - 1);
    const free = h.rt.read((e) => freeBalance(e, pk("W1")));
    h.send("W1", registry("withdraw_unbonded"));
    expect(h.rt.lastEvent()).toEqual({
      tag: "WorkerRegistry",
      value: { tag: "Withdrawn", value: { worker: pk("W1"), amount: 100n * UNIT } },
    });
    expect(h.rt.read((e) => reservedBalance(e, pk("W1")))).toBe(0n);
    expect(h.rt.read((e) => freeBalance(e, pk("W1"))) - free).toBe(100n * UNIT - lastFee(h));
    expect(info(h, "W1")).toBeUndefined();
    expect(h.rt.read((e) => S.CounterForWorkers.getOrDefault(e))).toBe(0);
  });

  it("refuses to deregister a worker with an active job (WorkerBusy)", () => {
    const h = new JobHarness(jobRuntime());
    h.send("W1", register(TRAINER, 100n * UNIT));
    const ext = h.rt.ext();
    const w = S.Workers.get(ext, pk("W1"))!;
    S.Workers.insert(ext, pk("W1"), { ...w, active_jobs: 1 });
    h.rt.state = h.rt.state.update(ext.overlay.drain());
    h.rt.assertNoop(signedBy("W1"), registry("deregister"), "WorkerRegistry.WorkerBusy");
  });
});

/** The fee of the last block's extrinsic. */
function lastFee(h: JobHarness): bigint {
  for (const { event } of h.rt.lastEvents) {
    const v = event.value as { tag: string; value: { actual_fee: bigint } };
    if (event.tag === "TransactionPayment" && v.tag === "TransactionFeePaid") return v.value.actual_fee;
  }
  return 0n;
}

describe("registry parameters", () => {
  it("are set by Root through Parameters.set_parameter, each within its range", () => {
    const h = new JobHarness(jobRuntime());
    const K = WORKER_REGISTRY;
    h.rt.assertNoop(signedBy("W1"), setParameterCall(K.min_stake, 5n * UNIT), "BadOrigin");
    for (const [knob, value] of [
      [K.min_stake, EXISTENTIAL_DEPOSIT - 1n],
      [K.heartbeat_timeout, 0],
      [K.unbonding_period, MAX_PERIOD_BLOCKS + 1],
    ] as const)
      h.rt.assertNoop(ROOT, setParameterCall(knob, value), "Parameters.OutOfRange");
    const params = { min_stake: 5n * UNIT, heartbeat_timeout: 10, unbonding_period: 20 };
    h.sudo(setParameterCall(K.min_stake, params.min_stake));
    expect(h.rt.eventsOf("Parameters", "Updated")).toEqual([
      {
        tag: "Updated",
        value: {
          key: { tag: "WorkerRegistry", value: { tag: "MinStake", value: {} } },
          old_value: undefined,
          new_value: { tag: "WorkerRegistry", value: { tag: "MinStake", value: 5n * UNIT } },
        },
      },
    ]);
    h.sudo(setParameterCall(K.heartbeat_timeout, params.heartbeat_timeout));
    h.sudo(setParameterCall(K.unbonding_period, params.unbonding_period));
    expect(h.rt.read((e) => registryParams(e))).toEqual(params);
  });

  it("genesis sets them, and rejects out-of-range ones", () => {
    const h = new JobHarness(jobRuntime({ registry: { min_stake: 7n * UNIT } }));
    expect(h.rt.read((e) => registryParams(e))).toEqual({
      ...DEFAULT_REGISTRY_PARAMS,
      heartbeat_timeout: 50,
      unbonding_period: 5,
      min_stake: 7n * UNIT,
    });
    expect(() => jobRuntime({ registry: { heartbeat_timeout: 0 } })).toThrow(/workerRegistry.heartbeat_timeout/);
  });
});

describe("findWorkers", () => {
  it("answers who can run a job, best reputation and stake first", () => {
    const h = new JobHarness(jobRuntime());
    h.send("W1", register(TRAINER, 100n * UNIT, GPU_BOX));
    h.send("W2", register(TRAINER, 200n * UNIT, CPU_BOX));
    h.send("E1", register(EVALUATOR, 300n * UNIT, CPU_BOX));
    h.send("E2", register(BOTH, 50n * UNIT, { ...GPU_BOX, gpus: 4, gpu_memory_mib: 8_192 }));
    const q = (query: Parameters<typeof findWorkers>[1]) => names(h.rt.read((e) => findWorkers(e, query)));
    expect(q({})).toEqual(["E1", "W2", "W1", "E2"]);
    expect(q({ role: "Trainer" })).toEqual(["W2", "W1", "E2"]);
    expect(q({ role: "Evaluator" })).toEqual(["E1", "E2"]);
    expect(q({ minGpus: 1 })).toEqual(["W1", "E2"]);
    expect(q({ minGpus: 2 })).toEqual(["E2"]);
    expect(q({ minGpuMemoryMiB: 10_000 })).toEqual(["W1"]);
    expect(q({ profile: "GpuTolerance", role: "Trainer" })).toEqual(["W1", "E2"]);
    // Reputation ranks first.
    const ext = h.rt.ext();
    S.Reputation.insert(ext, pk("E2"), 900_000);
    h.rt.state = h.rt.state.update(ext.overlay.drain());
    expect(q({ role: "Trainer" })).toEqual(["E2", "W2", "W1"]);
    const [first] = h.rt.read((e) => findWorkers(e, { role: "Trainer" }));
    expect(first).toMatchObject({ stake: 50n * UNIT, reputation: 900_000, recordHash: hash(7) });
  });

  it("evaluatorPool: active evaluators outside the excluded, of one kernel class when asked, in account order", () => {
    const h = new JobHarness(jobRuntime());
    const neon = new TextEncoder().encode("aarch64-neon");
    h.send("W1", register(TRAINER, 100n * UNIT, CPU_BOX));
    h.send("E1", register(EVALUATOR, 300n * UNIT, CPU_BOX));
    h.send("E2", register(BOTH, 50n * UNIT, { ...CPU_BOX, kernel_class: neon }));
    h.send("E3", register(EVALUATOR, 70n * UNIT, GPU_BOX));
    const pool = (exclude: string[] = [], kernelClass?: Uint8Array) =>
      h.rt.read((e) => evaluatorPool(e, exclude.map(pk), kernelClass)).map((c) => [nameOf(c.who), c.stake]);
    const sorted = (list: [string, bigint][]) =>
      [...list].sort(([a], [b]) => Buffer.compare(Buffer.from(pk(a)), Buffer.from(pk(b))));
    expect(pool()).toEqual(
      sorted([
        ["E1", 300n * UNIT],
        ["E2", 50n * UNIT],
        ["E3", 70n * UNIT],
      ]),
    );
    expect(pool(["E1"])).toEqual(
      sorted([
        ["E2", 50n * UNIT],
        ["E3", 70n * UNIT],
      ]),
    );
    expect(pool([], CPU_BOX.kernel_class)).toEqual(
      sorted([
        ["E1", 300n * UNIT],
        ["E3", 70n * UNIT],
      ]),
    );
    expect(pool([], neon)).toEqual([["E2", 50n * UNIT]]);
    expect(pool(["E2"], neon)).toEqual([]);
  });

  it("meetsRequirements checks GPUs, GPU memory, CPUs, memory and the profile", () => {
    const r = { min_gpus: 1, min_gpu_memory_mib: 16_384, min_cpu_cores: 8, min_memory_mib: 32_768 };
    expect(meetsRequirements(GPU_BOX, r, "GpuTolerance")).toBe(true);
    expect(meetsRequirements(GPU_BOX, { ...r, min_gpus: 2 }, "GpuTolerance")).toBe(false);
    expect(meetsRequirements(GPU_BOX, { ...r, min_gpu_memory_mib: 16_385 }, "CpuExact")).toBe(false);
    expect(meetsRequirements(GPU_BOX, { ...r, min_cpu_cores: 9 }, "CpuExact")).toBe(false);
    expect(meetsRequirements(GPU_BOX, { ...r, min_memory_mib: 32_769 }, "CpuExact")).toBe(false);
    expect(
      meetsRequirements(
        CPU_BOX,
        { ...r, min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 1, min_memory_mib: 1 },
        "GpuTolerance",
      ),
    ).toBe(false);
  });
});

describe("slashes and reputation", () => {
  it("slashRegistrationStake moves the fraction to the treasury, records it and lowers reputation", () => {
    const h = new JobHarness(jobRuntime());
    h.send("E1", register(EVALUATOR, 300n * UNIT));
    const ext = h.rt.ext();
    const slashed = slashRegistrationStake(ext, pk("E1"), 100_000, 7n, "MissedAttestation");
    expect(slashed).toBe(30n * UNIT);
    expect(S.Workers.get(ext, pk("E1"))?.stake).toBe(270n * UNIT);
    expect(reservedBalance(ext, pk("E1"))).toBe(270n * UNIT);
    expect(S.SlashHistory.getOrDefault(ext, pk("E1"))).toEqual([
      { job_id: 7n, amount: 30n * UNIT, reason: { tag: "MissedAttestation" }, at: h.head },
    ]);
    expect(S.Reputation.getOrDefault(ext, pk("E1"))).toBe(INITIAL_REPUTATION - 100_000);
    expect(ext.events.map((r) => (r.event as { value: { tag: string } }).value.tag)).toEqual([
      "ReserveRepatriated",
      "Slashed",
      "ReputationChanged",
    ]);
  });
});
