/**
 * Helpers for the job-market pallets' tests: call builders, a fixture genesis with validators, trainers
 * and evaluators, and a harness that checks the balance invariants after every block:
 * - the sum of free + reserved over all accounts equals the total issuance (the treasury included);
 * - every account's reserved balance is exactly what the pallets hold for it: its staking bond, its
 *   worker-registry stake, the escrow of its jobs and its job stakes;
 * - a job in a final status holds nothing.
 */
import { expect } from "@jest/globals";
import { bytesEqual } from "../../primitives/hex.js";
import type { DigestItemValue } from "../../primitives/types.js";
import { TREASURY_ACCOUNT } from "../../runtime/constants.js";
import type { Ext } from "../../runtime/frame/ext.js";
import type { CallValue } from "../../runtime/index.js";
import { totalIssuance } from "../../runtime/pallets/balances.js";
import {
  attestationCommitment,
  heldByJob,
  isFinal,
  JobManager,
  type JobParamsValue,
  type JobSpecValue,
  testSetCommitment,
} from "../../runtime/pallets/jobManager/index.js";
import { Referenda } from "../../runtime/pallets/referenda/index.js";
import { currentAuthorities } from "../../runtime/pallets/session.js";
import { Staking } from "../../runtime/pallets/staking/index.js";
import { System } from "../../runtime/pallets/system.js";
import {
  type CapabilitiesValue,
  type RegistryParamsValue,
  WorkerRegistry,
} from "../../runtime/pallets/workerRegistry.js";
import { babePreDigest, dev, devSessionKeys, moduleError, TestRuntime, UNIT } from "./runtime.js";

export const pk = (name: string): Uint8Array => dev(name).publicKey;
export const signedBy = (name: string) => ({ kind: "signed" as const, who: pk(name) });
export const ROOT = { kind: "root" as const };

export const registry = (tag: string, value: Record<string, unknown> = {}): CallValue => ({
  tag: "WorkerRegistry",
  value: { tag, value },
});
export const jobs = (tag: string, value: Record<string, unknown> = {}): CallValue => ({
  tag: "JobManager",
  value: { tag, value },
});

/** A binary CIDv1 (raw codec, sha2-256 multihash) whose digest is 32 copies of `fill`. */
export function cid(fill: number): Uint8Array {
  return new Uint8Array([0x01, 0x55, 0x12, 0x20, ...new Array(32).fill(fill)]);
}

export const salt = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
export const hash = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);

export const GPU_BOX: CapabilitiesValue = {
  gpus: 1,
  gpu_memory_mib: 16_384,
  cpu_cores: 8,
  memory_mib: 32_768,
  profiles: [{ tag: "CpuExact" }, { tag: "GpuTolerance" }],
  onnxruntime_version: new TextEncoder().encode("1.22.0"),
  kernel_class: new TextEncoder().encode("x86_64-avx2"),
};
export const CPU_BOX: CapabilitiesValue = {
  gpus: 0,
  gpu_memory_mib: 0,
  cpu_cores: 4,
  memory_mib: 8_192,
  profiles: [{ tag: "CpuExact" }],
  onnxruntime_version: new TextEncoder().encode("1.22.0"),
  kernel_class: new TextEncoder().encode("x86_64-avx2"),
};

export function register(
  roles: { trainer: boolean; evaluator: boolean },
  stake: bigint,
  capabilities: CapabilitiesValue = GPU_BOX,
  recordHash: Uint8Array = hash(7),
): CallValue {
  return registry("register", { roles, capabilities, stake, record_hash: recordHash });
}
export const TRAINER = { trainer: true, evaluator: false };
export const EVALUATOR = { trainer: false, evaluator: true };
export const BOTH = { trainer: true, evaluator: true };

/** The hidden test set of the fixtures and its commitment. */
export const TEST_SET_CID = cid(0x7e);
export const TEST_SET_SALT = salt(0x5a);

export function spec(overrides: Partial<JobSpecValue> = {}): JobSpecValue {
  return {
    model_cid: cid(1),
    training_set_cid: cid(2),
    test_set_commitment: testSetCommitment(TEST_SET_CID, TEST_SET_SALT),
    loss: { tag: "CrossEntropy" },
    optimizer: { tag: "Adam" },
    learning_rate_e9: 1_000_000n,
    batch_size: 64,
    length: { tag: "Epochs", value: 2 },
    seed: 42n,
    profile: { tag: "CpuExact" },
    requirements: { min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 2, min_memory_mib: 4_096 },
    workers: 2,
    evaluators: 2,
    min_accuracy_ppm: 900_000,
    worker_stake: 50n * UNIT,
    deadlines: { assign: 10, submit: 20, reveal_test_set: 10, commit: 5, reveal: 5 },
    ...overrides,
  };
}

export const postJob = (s: JobSpecValue, reward: bigint) => jobs("post_job", { spec: s, reward });
export const assign = (id: bigint) => jobs("assign_worker", { job_id: id });
export const cancel = (id: bigint) => jobs("cancel_job", { job_id: id });
export function submitResult(id: bigint, fill: number, accuracy = 950_000): CallValue {
  return jobs("submit_result", {
    job_id: id,
    model_cid: cid(fill),
    model_hash: hash(fill),
    work_root: hash(fill + 1),
    metrics: { accuracy_ppm: accuracy, loss_e9: 123_000_000n },
  });
}
export const revealTestSet = (id: bigint, c = TEST_SET_CID, s = TEST_SET_SALT) =>
  jobs("reveal_test_set", { job_id: id, cid: c, salt: s });

/** Accuracies as an evaluator attests them: `[[trainer name, ppm], …]` in assignment order. */
export function accuracies(list: [string, number][]): [Uint8Array, number][] {
  return list.map(([n, a]) => [pk(n), a]);
}
export function commit(id: bigint, evaluator: string, list: [string, number][], s = salt(9)): CallValue {
  return jobs("commit_attestation", {
    job_id: id,
    commitment: attestationCommitment(id, pk(evaluator), accuracies(list), s),
  });
}
export function reveal(id: bigint, list: [string, number][], s = salt(9)): CallValue {
  return jobs("reveal_attestation", { job_id: id, accuracies: accuracies(list), salt: s });
}

export const VALIDATORS = ["Alice", "Bob"];
export const ACTORS = ["Client", "W1", "W2", "E1", "E2", "E3", "Poor", "Ferdie"];

export interface Fixture {
  registry?: Partial<RegistryParamsValue>;
  jobManager?: Partial<JobParamsValue>;
  /** Other genesis parameters, by qualified name. */
  parameters?: Record<string, number | bigint>;
  /** Whether Ferdie is the sudo key (the dev runtime); true unless false. */
  sudo?: boolean;
}

/** `{ heartbeat_timeout: 50 }` as genesis parameters: `{ "workerRegistry.heartbeat_timeout": 50 }`. */
function prefixed(group: string, values: object): Record<string, number | bigint> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${group}.${k}`, v as number | bigint]));
}

/** Two genesis validators (Alice, Bob), sudo Ferdie (unless `f.sudo` is false), and 10,000 TRAIN for every actor but `Poor` (1 TRAIN). */
export function jobRuntime(f: Fixture = {}): TestRuntime {
  return new TestRuntime({
    balances: [
      ...VALIDATORS.map((n): [Uint8Array, bigint] => [pk(n), 10_000n * UNIT]),
      ...ACTORS.map((n): [Uint8Array, bigint] => [pk(n), n === "Poor" ? UNIT : 10_000n * UNIT]),
    ],
    sudoKey: f.sudo === false ? undefined : pk("Ferdie"),
    staking: {
      validatorCount: VALIDATORS.length,
      minValidatorBond: 10n * UNIT,
      validators: VALIDATORS.map((n) => ({ stash: pk(n), stake: 1_000n * UNIT, keys: devSessionKeys(n) })),
    },
    parameters: {
      ...prefixed("workerRegistry", { heartbeat_timeout: 50, unbonding_period: 5, ...f.registry }),
      ...prefixed("jobManager", f.jobManager ?? {}),
      ...f.parameters,
    },
  });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Checks the invariants listed in the module docs on the state `ext` reads. */
export function checkInvariants(ext: Ext): void {
  const accounts = System.storage.Account.entries(ext);
  let sum = 0n;
  for (const [, info] of accounts) sum += info.data.free + info.data.reserved;
  expect(sum).toBe(totalIssuance(ext));
  const held = new Map<string, bigint>();
  const add = (who: Uint8Array, amount: bigint) => held.set(hex(who), (held.get(hex(who)) ?? 0n) + amount);
  for (const [who, ledger] of Staking.storage.Ledger.entries(ext)) add(who, ledger.total);
  for (const [who, info] of WorkerRegistry.storage.Workers.entries(ext)) add(who, info.stake);
  // Referendum deposits still held (FRAME keeps a rejected referendum's submission deposit reserved).
  for (const [, r] of Referenda.storage.ReferendumInfoFor.entries(ext)) {
    const deposits =
      r.tag === "Ongoing"
        ? [r.value.submission_deposit, r.value.decision_deposit]
        : r.tag === "Killed"
          ? []
          : [r.value[1], r.value[2]];
    for (const d of deposits) if (d) add(d.who, d.amount);
  }
  for (const [, info] of accounts) expect(info.data.frozen <= info.data.free).toBe(true);
  const next = JobManager.storage.NextJobId.getOrDefault(ext);
  for (let id = 0n; id < next; id++) {
    const job = JobManager.storage.Jobs.get(ext, id)!;
    add(job.client, job.held);
    for (const w of job.workers) add(w, JobManager.storage.Assignments.get(ext, [id, w])?.stake ?? 0n);
    if (isFinal(job.status)) expect(heldByJob(ext, id)).toBe(0n);
  }
  for (const [who, info] of accounts)
    expect([hex(who), info.data.reserved]).toEqual([hex(who), held.get(hex(who)) ?? 0n]);
}

/** The job has ended and holds nothing: no escrow, no job stakes, no queued deadline. */
export function assertNoJobReserves(rt: TestRuntime, id: bigint): void {
  rt.read((ext) => {
    const job = JobManager.storage.Jobs.get(ext, id)!;
    expect(isFinal(job.status)).toBe(true);
    expect(job.held).toBe(0n);
    for (const w of job.workers) expect(JobManager.storage.Assignments.get(ext, [id, w])?.stake).toBe(0n);
    expect(heldByJob(ext, id)).toBe(0n);
    expect(job.deadline).toBe(0);
  });
}

const OK = { ok: true, outcome: { ok: true } };

/**
 * Drives a `TestRuntime` one block at a time, checking the invariants after each block and keeping the
 * transaction fees each account paid (so tests can assert exact balance changes net of fees).
 */
export class JobHarness {
  readonly fees = new Map<string, bigint>();
  private readonly start = new Map<string, bigint>();

  constructor(readonly rt: TestRuntime) {
    checkInvariants(rt.ext());
    for (const n of [...VALIDATORS, ...ACTORS]) this.start.set(n, this.total(n));
    this.start.set("Treasury", this.totalOf(TREASURY_ACCOUNT));
  }

  get head(): number {
    return this.rt.header.number;
  }

  private afterBlock(): void {
    for (const { event } of this.rt.lastEvents) {
      const v = event.value as { tag: string; value: { who: Uint8Array; actual_fee: bigint } };
      if (event.tag === "TransactionPayment" && v.tag === "TransactionFeePaid")
        this.fees.set(hex(v.value.who), (this.fees.get(hex(v.value.who)) ?? 0n) + v.value.actual_fee);
    }
    checkInvariants(this.rt.ext());
  }

  /** Submits `call` signed by `name` in a block of its own; expects it to succeed. */
  send(name: string, call: CallValue, digest?: DigestItemValue[]): void {
    const r = this.rt.submit(dev(name), call, { digest });
    this.afterBlock();
    if (JSON.stringify(r) !== JSON.stringify(OK))
      throw new Error(`${name} ${call.tag}.${call.value.tag}: ${JSON.stringify(this.rt.lastDispatchError())}`);
  }

  /** Submits `call` and expects it to fail with `pallet.error` (the fee is still paid). */
  sendFailing(name: string, call: CallValue, pallet: string, error: string): void {
    this.rt.submit(dev(name), call);
    this.afterBlock();
    expect(this.rt.lastDispatchError()).toEqual(moduleError(pallet, error));
  }

  /** `assertNoop` on the head state, then the same call as an extrinsic failing with the same error. */
  noop(name: string, call: CallValue, pallet: string, error: string): void {
    this.rt.assertNoop(signedBy(name), call, `${pallet}.${error}`);
    this.sendFailing(name, call, pallet, error);
  }

  sudo(call: CallValue): void {
    this.send("Ferdie", { tag: "Sudo", value: { tag: "sudo", value: { call } } });
    expect(this.rt.lastDispatchError()).toBeUndefined();
  }

  /** Empty blocks until the head is `n`; `digest(n)` gives a block's author digest. */
  runTo(n: number, digest?: (block: number) => DigestItemValue[] | undefined): void {
    while (this.head < n) {
      this.rt.block([], { digest: digest?.(this.head + 1) });
      this.afterBlock();
    }
  }

  totalOf(who: Uint8Array): bigint {
    return this.rt.read((e) => {
      const d = System.storage.Account.getOrDefault(e, who).data;
      return d.free + d.reserved;
    });
  }

  total(name: string): bigint {
    return this.totalOf(pk(name));
  }

  feesOf(name: string): bigint {
    return this.fees.get(hex(pk(name))) ?? 0n;
  }

  allFees(): bigint {
    let s = 0n;
    for (const f of this.fees.values()) s += f;
    return s;
  }

  /** How much `name`'s free + reserved balance changed since the harness started, fees added back. */
  gain(name: string): bigint {
    return this.total(name) - this.start.get(name)! + this.feesOf(name);
  }

  /** How much the treasury's balance changed, less the fees it received. */
  treasuryGain(): bigint {
    return this.totalOf(TREASURY_ACCOUNT) - this.start.get("Treasury")! - this.allFees();
  }

  /** The name of the account that authors a block carrying `authorDigest(i)`, i.e. authority `i`. */
  authorityName(index: number): string {
    const account = this.rt.read((e) => currentAuthorities(e)[index].account);
    return [...VALIDATORS, ...ACTORS].find((n) => bytesEqual(pk(n), account))!;
  }
}

let slot = 1_000n;
/** A BABE secondary-plain digest for authority `index`, with a fresh, increasing slot. */
export function authorDigest(index = 0): DigestItemValue[] {
  slot += 1n;
  return [babePreDigest(index, slot)];
}
