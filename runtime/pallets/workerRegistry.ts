/**
 * # Worker registry pallet
 *
 * ## Overview
 * The accounts that train models (trainers) and score them (evaluators) for the job market
 * (`jobManager/`), and run models for clients (inference providers, `inference/`). A worker registers
 * with its roles, its hardware capabilities, the hash of the signed capability record it publishes in
 * the DHT, and a registration stake (at least the `min_stake` parameter, `workerRegistry.min_stake` in
 * the parameters pallet), which is reserved. It keeps itself active with heartbeats, may update its
 * capabilities, and leaves by deregistering, waiting `unbonding_period` blocks, and withdrawing its stake.
 *
 * The registry answers "who can run this" from chain state (`findWorkers`, the pure query behind the
 * node's `tensorchain_findWorkers` RPC) and gives the job manager what it needs: eligibility checks,
 * the evaluator pool (weighted by registration stake), job counters, reputation, and slashes.
 *
 * ## Terminology
 * - Roles: `trainer` (assigns itself to jobs, locks a job stake, trains, submits a result),
 *   `evaluator` (drawn by the job manager to score results; its registration stake backs its duty)
 *   and `inference` (drawn by the inference pallet to run a model on an input; its registration stake
 *   backs its duty), in any non-empty combination.
 * - Active: registered, not unbonding, a heartbeat (or the registration) within the last
 *   `heartbeat_timeout` blocks, and a stake of at least `min_stake`. Only active workers may assign
 *   themselves, are drawn as evaluators, or are listed by `findWorkers`. Inactivity is computed when
 *   read; no hook sweeps it.
 * - Reputation: parts per million, kept per account across registrations (deregistering does not reset
 *   it). It starts at `InitialReputation`, rises by `ReputationReward` with each successful job and
 *   falls by `ReputationPenalty` with each slash, saturating at 0 and 1_000_000.
 * - Slash record: the last `MaxSlashRecords` slashes of an account (job, amount, reason, block).
 * - Capability record hash: blake2-256 of the signed capability record the worker publishes in the DHT;
 *   the chain only stores it, so that peers can check the record they fetch.
 *
 * ## Assumptions
 * The chain cannot check hardware claims; a worker that claims more than it has fails its jobs and is
 * slashed. Slashed registration stake goes to the treasury (issuance unchanged). A worker with active
 * jobs (as trainer or drawn evaluator) cannot deregister. Integers only; every call checks its origin,
 * then every precondition, then writes.
 */
import { compareBytes } from "../../primitives/hex.js";
import { T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, H256 } from "../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT, TREASURY_ACCOUNT } from "../constants.js";
import { ensure, ensureSigned, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageMap, storageValue } from "../frame/storage.js";
import { repatriateReserved, reserve, unreserve } from "./balances.js";
import { param, WORKER_REGISTRY } from "./parameters/index.js";
import { System } from "./system.js";

// ---- Config constants ----

/** Parts per million: 1_000_000 is 100%. */
export const PPM = 1_000_000;
/** Most registered workers at once (bounds every scan of the registry). */
export const MAX_WORKERS = 1024;
/** Slash records kept per account; older ones are dropped. */
export const MAX_SLASH_RECORDS = 32;
/** Longest `onnxruntime_version` string, in bytes. */
export const MAX_VERSION_LENGTH = 32;
/** Reputation of an account that has never worked. */
export const INITIAL_REPUTATION = 500_000;
/** Reputation gained per successful job. */
export const REPUTATION_REWARD = 10_000;
/** Reputation lost per slash. */
export const REPUTATION_PENALTY = 100_000;

/** `ppm * x / 1_000_000`, rounded down. */
export function mulPpm(ppm: number, x: bigint): bigint {
  return (x * BigInt(ppm)) / BigInt(PPM);
}

// ---- Types ----

const P = "pallet_worker_registry";

export const ExecutionProfile = T.enumeration(
  {
    CpuExact: { index: 0, docs: ["Pinned onnxruntime on one CPU thread: bit-for-bit reproducible."] },
    GpuTolerance: { index: 1, docs: ["A GPU execution provider, verified within a tolerance and by evaluators."] },
  },
  { path: [P, "ExecutionProfile"] },
);
export type ExecutionProfileValue = TyValue<typeof ExecutionProfile>;
export type ExecutionProfileName = ExecutionProfileValue["tag"];
export const EXECUTION_PROFILES: ExecutionProfileName[] = ["CpuExact", "GpuTolerance"];

export const WorkerRoles = T.struct(
  { trainer: T.bool, evaluator: T.bool, inference: T.bool },
  { path: [P, "WorkerRoles"] },
);
export type WorkerRolesValue = TyValue<typeof WorkerRoles>;
export type WorkerRoleName = "Trainer" | "Evaluator" | "Inference";
export const WORKER_ROLES: WorkerRoleName[] = ["Trainer", "Evaluator", "Inference"];

export const Capabilities = T.struct(
  {
    gpus: T.u32,
    gpu_memory_mib: T.u32,
    cpu_cores: T.u32,
    memory_mib: T.u32,
    profiles: T.vec(ExecutionProfile),
    onnxruntime_version: T.bytes,
    kernel_class: T.bytes,
  },
  {
    path: [P, "Capabilities"],
    fieldInfo: {
      gpu_memory_mib: { docs: ["Memory of each GPU, in MiB."] },
      onnxruntime_version: { docs: ["The onnxruntime version string, e.g. `1.22.0`."] },
      kernel_class: {
        docs: [
          "The CPU kernel class onnxruntime dispatches to (e.g. `x86_64-avx2`): `cpu-exact` results are",
          "bit-identical only within one class, so audits draw verifiers of the trainer's class.",
        ],
      },
    },
  },
);
export type CapabilitiesValue = TyValue<typeof Capabilities>;

export const WorkerStatus = T.enumeration(
  { Active: { index: 0 }, Unbonding: { index: 1, fields: { unlock_at: BlockNumber } } },
  { path: [P, "WorkerStatus"] },
);

export const WorkerInfo = T.struct(
  {
    roles: WorkerRoles,
    capabilities: Capabilities,
    record_hash: H256,
    stake: Balance,
    status: WorkerStatus,
    registered_at: BlockNumber,
    last_heartbeat: BlockNumber,
    active_jobs: T.u32,
    jobs_succeeded: T.u32,
    jobs_failed: T.u32,
  },
  { path: [P, "WorkerInfo"] },
);
export type WorkerInfoValue = TyValue<typeof WorkerInfo>;

export const SlashReason = T.enumeration(
  {
    MissedSubmission: { index: 0, docs: ["A trainer submitted no result by the deadline."] },
    BelowMinimumAccuracy: { index: 1, docs: ["A trainer's model scored below the job's minimum accuracy."] },
    MissedAttestation: { index: 2, docs: ["A drawn evaluator did not commit and reveal its attestation."] },
    FailedAudit: { index: 3, docs: ["A trainer's segment did not re-execute to its leaf, or it did not serve it."] },
    MissedVerdict: { index: 4, docs: ["A drawn verifier did not commit and reveal its end hash."] },
    WrongVerdict: { index: 5, docs: ["A verifier revealed an end hash the escalation or the verdict proved wrong."] },
    InferenceDisagreed: { index: 6, docs: ["An inference provider revealed an output outside the agreed quorum."] },
    InferenceSilent: { index: 7, docs: ["A drawn inference provider did not commit and reveal its output."] },
  },
  { path: [P, "SlashReason"] },
);
export type SlashReasonName = TyValue<typeof SlashReason>["tag"];

export const SlashRecord = T.struct(
  { job_id: T.u64, amount: Balance, reason: SlashReason, at: BlockNumber },
  {
    path: [P, "SlashRecord"],
    fieldInfo: { job_id: { docs: ["The job id; the inference request id for the `Inference*` reasons."] } },
  },
);

/** The registry's knobs, as the node reads them (`registryParams`); each lives in the parameters pallet. */
export interface RegistryParamsValue {
  min_stake: bigint;
  heartbeat_timeout: number;
  unbonding_period: number;
}

/** The knobs' defaults. */
export const DEFAULT_REGISTRY_PARAMS: RegistryParamsValue = {
  min_stake: WORKER_REGISTRY.min_stake.defaultValue,
  heartbeat_timeout: WORKER_REGISTRY.heartbeat_timeout.defaultValue,
  unbonding_period: WORKER_REGISTRY.unbonding_period.defaultValue,
};

export const WorkerRegistry = pallet({
  name: "WorkerRegistry",
  index: 10,
  module: P,
  docs: ["Trainers, evaluators and inference providers: stakes, capabilities, heartbeats, reputation and slashes."],
  storage: {
    Workers: storageMap("Blake2_128Concat", AccountId, WorkerInfo, {
      docs: [" Registered workers (including those unbonding)."],
    }),
    CounterForWorkers: storageValue(T.u32, { default: 0, docs: [" Counter for the related counted storage map"] }),
    Reputation: storageMap("Blake2_128Concat", AccountId, T.u32, {
      default: INITIAL_REPUTATION,
      docs: [" Reputation in parts per million, kept across registrations."],
    }),
    SlashHistory: storageMap("Blake2_128Concat", AccountId, T.vec(SlashRecord), {
      default: [],
      docs: [" The latest `MaxSlashRecords` slashes of an account, oldest first."],
    }),
  },
  constants: {
    MaxWorkers: { type: T.u32, value: MAX_WORKERS, docs: [" Most registered workers at once."] },
    MaxSlashRecords: { type: T.u32, value: MAX_SLASH_RECORDS, docs: [" Slash records kept per account."] },
    MaxVersionLength: { type: T.u32, value: MAX_VERSION_LENGTH, docs: [" Longest `onnxruntime_version`, in bytes."] },
    InitialReputation: { type: T.u32, value: INITIAL_REPUTATION, docs: [" Reputation (ppm) of a new account."] },
    ReputationReward: { type: T.u32, value: REPUTATION_REWARD, docs: [" Reputation (ppm) gained per successful job."] },
    ReputationPenalty: { type: T.u32, value: REPUTATION_PENALTY, docs: [" Reputation (ppm) lost per slash."] },
  },
  events: {
    Registered: {
      index: 0,
      fields: { worker: AccountId, roles: WorkerRoles, stake: Balance, record_hash: H256 },
      docs: ["A worker registered and reserved its stake."],
    },
    CapabilitiesUpdated: {
      index: 1,
      fields: { worker: AccountId, record_hash: H256 },
      docs: ["A worker updated its capabilities and capability-record hash."],
    },
    HeartbeatReceived: { index: 2, fields: { worker: AccountId }, docs: ["A worker sent a heartbeat."] },
    Deregistered: {
      index: 3,
      fields: { worker: AccountId, unlock_at: BlockNumber },
      docs: ["A worker deregistered; its stake can be withdrawn from block `unlock_at`."],
    },
    Withdrawn: {
      index: 4,
      fields: { worker: AccountId, amount: Balance },
      docs: ["A worker withdrew its stake after unbonding and left the registry."],
    },
    StakeIncreased: {
      index: 5,
      fields: { worker: AccountId, amount: Balance, stake: Balance },
      docs: ["A worker added to its registration stake."],
    },
    Slashed: {
      index: 6,
      fields: { worker: AccountId, job_id: T.u64, amount: Balance, reason: SlashReason },
      docs: ["A worker was slashed (job stake or registration stake); the funds went to the treasury."],
    },
    ReputationChanged: {
      index: 7,
      fields: { worker: AccountId, reputation: T.u32 },
      docs: ["A worker's reputation (ppm) changed."],
    },
  },
  errors: {
    AlreadyRegistered: { index: 0, docs: "The account is already registered." },
    NotRegistered: { index: 1, docs: "The account is not a registered worker." },
    NoRoles: { index: 2, docs: "A worker must have at least one role: trainer, evaluator or inference." },
    StakeBelowMinimum: { index: 3, docs: "The stake is below the `min_stake` parameter." },
    InvalidCapabilities: {
      index: 4,
      docs: "The capabilities are malformed (no or duplicate profiles, bad version string, zero CPUs or memory).",
    },
    TooManyWorkers: { index: 5, docs: "The registry holds `MaxWorkers` workers already." },
    AlreadyUnbonding: { index: 6, docs: "The worker has already deregistered." },
    NotUnbonding: { index: 7, docs: "The worker has not deregistered." },
    StillUnbonding: { index: 8, docs: "The unbonding period is not over yet." },
    WorkerBusy: { index: 9, docs: "The worker still has active jobs." },
    ZeroAmount: { index: 10, docs: "The amount must be greater than zero." },
    MissingRole: { index: 12, docs: "The worker is not registered for this role." },
    WorkerInactive: { index: 13, docs: "The worker is unbonding or has sent no heartbeat within the timeout." },
  },
});

const S = WorkerRegistry.storage;

const w = (reads: bigint, writes: bigint) => weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);

/** Every registry knob, read from the parameters pallet. */
export function registryParams(ext: Ext): RegistryParamsValue {
  return {
    min_stake: param(ext, WORKER_REGISTRY.min_stake),
    heartbeat_timeout: param(ext, WORKER_REGISTRY.heartbeat_timeout),
    unbonding_period: param(ext, WORKER_REGISTRY.unbonding_period),
  };
}

function now(ext: Ext): number {
  return System.storage.Number.getOrDefault(ext);
}

export function validCapabilities(c: CapabilitiesValue): boolean {
  const tags = c.profiles.map((p) => p.tag);
  return (
    tags.length > 0 &&
    new Set(tags).size === tags.length &&
    c.onnxruntime_version.length > 0 &&
    c.onnxruntime_version.length <= MAX_VERSION_LENGTH &&
    c.onnxruntime_version.every((b) => b >= 0x20 && b < 0x7f) &&
    c.kernel_class.length > 0 &&
    c.kernel_class.length <= MAX_VERSION_LENGTH &&
    c.kernel_class.every((b) => b > 0x20 && b < 0x7f) &&
    c.cpu_cores > 0 &&
    c.memory_mib > 0 &&
    (c.gpus > 0 || c.gpu_memory_mib === 0) &&
    (c.gpus > 0 || !tags.includes("GpuTolerance"))
  );
}

/** Whether `info` is an active worker at block `at` under `params` (see Terminology). */
export function isActive(info: WorkerInfoValue, at: number, params: RegistryParamsValue): boolean {
  return (
    info.status.tag === "Active" &&
    at - info.last_heartbeat <= params.heartbeat_timeout &&
    info.stake >= params.min_stake
  );
}

function hasRole(info: WorkerInfoValue, role: WorkerRoleName): boolean {
  return role === "Trainer" ? info.roles.trainer : role === "Evaluator" ? info.roles.evaluator : info.roles.inference;
}

/**
 * The worker `who` if it is active in `role`; otherwise throws `NotRegistered`, `MissingRole`,
 * `WorkerInactive` or `StakeBelowMinimum`. Reads only.
 */
export function ensureActiveWorker(ext: Ext, who: Uint8Array, role: WorkerRoleName): WorkerInfoValue {
  const info = S.Workers.get(ext, who);
  ensure(info !== undefined, () => WorkerRegistry.error("NotRegistered"));
  ensure(hasRole(info, role), () => WorkerRegistry.error("MissingRole"));
  const params = registryParams(ext);
  ensure(info.stake >= params.min_stake, () => WorkerRegistry.error("StakeBelowMinimum"));
  ensure(isActive(info, now(ext), params), () => WorkerRegistry.error("WorkerInactive"));
  return info;
}

/** What a job requires of a trainer's hardware. */
export interface Requirements {
  min_gpus: number;
  min_gpu_memory_mib: number;
  min_cpu_cores: number;
  min_memory_mib: number;
}

/** Whether capabilities `c` can run a job with requirements `r` under execution profile `profile`. */
export function meetsRequirements(c: CapabilitiesValue, r: Requirements, profile: ExecutionProfileName): boolean {
  return (
    c.gpus >= r.min_gpus &&
    (r.min_gpu_memory_mib === 0 || (c.gpus > 0 && c.gpu_memory_mib >= r.min_gpu_memory_mib)) &&
    c.cpu_cores >= r.min_cpu_cores &&
    c.memory_mib >= r.min_memory_mib &&
    c.profiles.some((p) => p.tag === profile)
  );
}

// ---- Queries (pure reads; what the node's RPC calls) ----

export interface FindWorkersQuery {
  minGpus?: number;
  /** Memory of each GPU, in MiB. */
  minGpuMemoryMiB?: number;
  /** Host memory, in MiB. */
  minMemoryMiB?: number;
  profile?: ExecutionProfileName;
  role?: WorkerRoleName;
}

export interface WorkerSummary {
  account: Uint8Array;
  roles: WorkerRolesValue;
  capabilities: CapabilitiesValue;
  recordHash: Uint8Array;
  stake: bigint;
  reputation: number;
  lastHeartbeat: number;
}

/**
 * "Who can run this": the active workers that match every given criterion, best first (reputation,
 * then stake, descending; then account id). The pure query behind `tensorchain_findWorkers`.
 */
export function findWorkers(ext: Ext, q: FindWorkersQuery = {}): WorkerSummary[] {
  const params = registryParams(ext);
  const at = now(ext);
  const out: WorkerSummary[] = [];
  for (const [account, info] of S.Workers.entries(ext)) {
    if (!isActive(info, at, params)) continue;
    if (q.role && !hasRole(info, q.role)) continue;
    const c = info.capabilities;
    if (q.minGpus !== undefined && c.gpus < q.minGpus) continue;
    if (
      q.minGpuMemoryMiB !== undefined &&
      q.minGpuMemoryMiB > 0 &&
      (c.gpus === 0 || c.gpu_memory_mib < q.minGpuMemoryMiB)
    )
      continue;
    if (q.minMemoryMiB !== undefined && c.memory_mib < q.minMemoryMiB) continue;
    if (q.profile && !c.profiles.some((p) => p.tag === q.profile)) continue;
    out.push({
      account,
      roles: info.roles,
      capabilities: c,
      recordHash: info.record_hash,
      stake: info.stake,
      reputation: S.Reputation.getOrDefault(ext, account),
      lastHeartbeat: info.last_heartbeat,
    });
  }
  return out.sort((a, b) =>
    a.reputation !== b.reputation
      ? b.reputation - a.reputation
      : a.stake !== b.stake
        ? a.stake > b.stake
          ? -1
          : 1
        : compareBytes(a.account, b.account),
  );
}

/**
 * Active evaluators and their registration stakes, sorted by account id, minus `exclude`; only those of
 * `kernelClass` when it is given.
 */
export function evaluatorPool(
  ext: Ext,
  exclude: Uint8Array[] = [],
  kernelClass?: Uint8Array,
): { who: Uint8Array; stake: bigint }[] {
  const params = registryParams(ext);
  const at = now(ext);
  const excluded = new Set(exclude.map(hexOf));
  const ofClass = (info: WorkerInfoValue) =>
    kernelClass === undefined || hexOf(info.capabilities.kernel_class) === hexOf(kernelClass);
  return S.Workers.entries(ext)
    .filter(
      ([who, info]) => info.roles.evaluator && isActive(info, at, params) && !excluded.has(hexOf(who)) && ofClass(info),
    )
    .map(([who, info]) => ({ who, stake: info.stake }))
    .sort((a, b) => compareBytes(a.who, b.who));
}

/** The active workers in `role`, sorted by account id, minus `exclude`. */
export function activeWorkers(
  ext: Ext,
  role: WorkerRoleName,
  exclude: Uint8Array[] = [],
): { who: Uint8Array; info: WorkerInfoValue }[] {
  const params = registryParams(ext);
  const at = now(ext);
  const excluded = new Set(exclude.map(hexOf));
  return S.Workers.entries(ext)
    .filter(([who, info]) => hasRole(info, role) && isActive(info, at, params) && !excluded.has(hexOf(who)))
    .map(([who, info]) => ({ who, info }))
    .sort((a, b) => compareBytes(a.who, b.who));
}

export function reputationOf(ext: Ext, who: Uint8Array): number {
  return S.Reputation.getOrDefault(ext, who);
}

export function workerInfo(ext: Ext, who: Uint8Array): WorkerInfoValue | undefined {
  return S.Workers.get(ext, who);
}

// ---- What the job manager calls (infallible once its preconditions hold) ----

/** Counts a job (as trainer or drawn evaluator) against `who`: it cannot deregister until it ends. */
export function noteJobStarted(ext: Ext, who: Uint8Array): void {
  const info = S.Workers.get(ext, who);
  if (!info) return;
  info.active_jobs += 1;
  S.Workers.insert(ext, who, info);
}

/**
 * Ends a job for `who`: `succeeded` raises its reputation by `ReputationReward` and counts a success,
 * `failed` counts a failure (the reputation penalty comes with the slash), `neutral` only ends it.
 */
export function noteJobEnded(ext: Ext, who: Uint8Array, outcome: "succeeded" | "failed" | "neutral"): void {
  const info = S.Workers.get(ext, who);
  if (info) {
    info.active_jobs = Math.max(info.active_jobs - 1, 0);
    if (outcome === "succeeded") info.jobs_succeeded += 1;
    if (outcome === "failed") info.jobs_failed += 1;
    S.Workers.insert(ext, who, info);
  }
  if (outcome === "succeeded") changeReputation(ext, who, REPUTATION_REWARD);
}

function changeReputation(ext: Ext, who: Uint8Array, delta: number): void {
  const old = S.Reputation.getOrDefault(ext, who);
  const next = Math.min(Math.max(old + delta, 0), PPM);
  if (next === old) return;
  S.Reputation.insert(ext, who, next);
  WorkerRegistry.deposit(ext, { tag: "ReputationChanged", value: { worker: who, reputation: next } });
}

/**
 * Records a slash of `amount` that the caller already took (a job stake): a slash record, the
 * `Slashed` event, and the reputation penalty.
 */
export function recordSlash(ext: Ext, who: Uint8Array, jobId: bigint, amount: bigint, reason: SlashReasonName): void {
  const history = S.SlashHistory.getOrDefault(ext, who);
  history.push({ job_id: jobId, amount, reason: { tag: reason }, at: now(ext) });
  S.SlashHistory.insert(ext, who, history.slice(-MAX_SLASH_RECORDS));
  WorkerRegistry.deposit(ext, {
    tag: "Slashed",
    value: { worker: who, job_id: jobId, amount, reason: { tag: reason } },
  });
  changeReputation(ext, who, -REPUTATION_PENALTY);
}

/**
 * Slashes `ppm` of `who`'s registration stake to the treasury and records it. Returns the amount
 * slashed (0 if `who` is not registered). Never fails.
 */
export function slashRegistrationStake(
  ext: Ext,
  who: Uint8Array,
  ppm: number,
  jobId: bigint,
  reason: SlashReasonName,
): bigint {
  const info = S.Workers.get(ext, who);
  if (!info) return 0n;
  const wanted = mulPpm(ppm, info.stake);
  const amount = wanted - repatriateReserved(ext, who, TREASURY_ACCOUNT, wanted);
  info.stake -= amount;
  S.Workers.insert(ext, who, info);
  recordSlash(ext, who, jobId, amount, reason);
  return amount;
}

// ---- Calls ----

WorkerRegistry.defineCalls({
  register: call({
    index: 0,
    args: { roles: WorkerRoles, capabilities: Capabilities, stake: T.compactU128, record_hash: H256 },
    docs: [
      "Registers the origin as a worker with `roles` and `capabilities`, reserving `stake` (at least",
      "the governance-set minimum). `record_hash` is the blake2-256 hash of the signed capability",
      "record the worker publishes in the DHT. Registration counts as the first heartbeat.",
    ],
    weight: () => w(4n, 4n),
    dispatch: (ext, origin, { roles, capabilities, stake, record_hash }) => {
      const who = ensureSigned(origin);
      ensure(!S.Workers.contains(ext, who), () => WorkerRegistry.error("AlreadyRegistered"));
      ensure(roles.trainer || roles.evaluator || roles.inference, () => WorkerRegistry.error("NoRoles"));
      ensure(validCapabilities(capabilities), () => WorkerRegistry.error("InvalidCapabilities"));
      ensure(stake >= param(ext, WORKER_REGISTRY.min_stake), () => WorkerRegistry.error("StakeBelowMinimum"));
      const count = S.CounterForWorkers.getOrDefault(ext);
      ensure(count < MAX_WORKERS, () => WorkerRegistry.error("TooManyWorkers"));
      reserve(ext, who, stake);
      // No errors allowed after this point.
      const at = now(ext);
      S.Workers.insert(ext, who, {
        roles,
        capabilities,
        record_hash,
        stake,
        status: { tag: "Active" },
        registered_at: at,
        last_heartbeat: at,
        active_jobs: 0,
        jobs_succeeded: 0,
        jobs_failed: 0,
      });
      S.CounterForWorkers.put(ext, count + 1);
      WorkerRegistry.deposit(ext, { tag: "Registered", value: { worker: who, roles, stake, record_hash } });
    },
  }),
  update_capabilities: call({
    index: 1,
    args: { capabilities: Capabilities, record_hash: H256 },
    docs: ["Replaces the origin's capabilities and capability-record hash. Counts as a heartbeat."],
    weight: () => w(1n, 1n),
    dispatch: (ext, origin, { capabilities, record_hash }) => {
      const who = ensureSigned(origin);
      const info = S.Workers.get(ext, who);
      ensure(info !== undefined, () => WorkerRegistry.error("NotRegistered"));
      ensure(validCapabilities(capabilities), () => WorkerRegistry.error("InvalidCapabilities"));
      S.Workers.insert(ext, who, { ...info, capabilities, record_hash, last_heartbeat: now(ext) });
      WorkerRegistry.deposit(ext, { tag: "CapabilitiesUpdated", value: { worker: who, record_hash } });
    },
  }),
  heartbeat: call({
    index: 2,
    args: {},
    docs: ["Marks the origin as alive at this block. A worker without one for `heartbeat_timeout` blocks is inactive."],
    weight: () => w(1n, 1n),
    dispatch: (ext, origin) => {
      const who = ensureSigned(origin);
      const info = S.Workers.get(ext, who);
      ensure(info !== undefined, () => WorkerRegistry.error("NotRegistered"));
      S.Workers.insert(ext, who, { ...info, last_heartbeat: now(ext) });
      WorkerRegistry.deposit(ext, { tag: "HeartbeatReceived", value: { worker: who } });
    },
  }),
  deregister: call({
    index: 3,
    args: {},
    docs: [
      "Starts the origin's unbonding: it takes no new jobs and may withdraw its stake with",
      "`withdraw_unbonded` after `unbonding_period` blocks. Not while it has active jobs.",
    ],
    weight: () => w(2n, 1n),
    dispatch: (ext, origin) => {
      const who = ensureSigned(origin);
      const info = S.Workers.get(ext, who);
      ensure(info !== undefined, () => WorkerRegistry.error("NotRegistered"));
      ensure(info.status.tag === "Active", () => WorkerRegistry.error("AlreadyUnbonding"));
      ensure(info.active_jobs === 0, () => WorkerRegistry.error("WorkerBusy"));
      const unlock_at = now(ext) + param(ext, WORKER_REGISTRY.unbonding_period);
      S.Workers.insert(ext, who, { ...info, status: { tag: "Unbonding", value: { unlock_at } } });
      WorkerRegistry.deposit(ext, { tag: "Deregistered", value: { worker: who, unlock_at } });
    },
  }),
  withdraw_unbonded: call({
    index: 4,
    args: {},
    docs: ["After the unbonding period, returns the origin's stake and removes it from the registry."],
    weight: () => w(3n, 3n),
    dispatch: (ext, origin) => {
      const who = ensureSigned(origin);
      const info = S.Workers.get(ext, who);
      ensure(info !== undefined, () => WorkerRegistry.error("NotRegistered"));
      ensure(info.status.tag === "Unbonding", () => WorkerRegistry.error("NotUnbonding"));
      ensure(now(ext) >= info.status.value.unlock_at, () => WorkerRegistry.error("StillUnbonding"));
      // No errors allowed after this point.
      unreserve(ext, who, info.stake);
      S.Workers.remove(ext, who);
      S.CounterForWorkers.put(ext, Math.max(S.CounterForWorkers.getOrDefault(ext) - 1, 0));
      WorkerRegistry.deposit(ext, { tag: "Withdrawn", value: { worker: who, amount: info.stake } });
    },
  }),
  increase_stake: call({
    index: 5,
    args: { amount: T.compactU128 },
    docs: ["Reserves `amount` more as the origin's registration stake (e.g. to get back above the minimum)."],
    weight: () => w(2n, 2n),
    dispatch: (ext, origin, { amount }) => {
      const who = ensureSigned(origin);
      const info = S.Workers.get(ext, who);
      ensure(info !== undefined, () => WorkerRegistry.error("NotRegistered"));
      ensure(info.status.tag === "Active", () => WorkerRegistry.error("AlreadyUnbonding"));
      ensure(amount > 0n, () => WorkerRegistry.error("ZeroAmount"));
      reserve(ext, who, amount);
      const stake = info.stake + amount;
      S.Workers.insert(ext, who, { ...info, stake });
      WorkerRegistry.deposit(ext, { tag: "StakeIncreased", value: { worker: who, amount, stake } });
    },
  }),
});

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
