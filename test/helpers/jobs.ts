/**
 * Helpers for the job-market pallets' tests: call builders, a fixture genesis with validators, trainers
 * and evaluators, and a harness that checks the balance invariants after every block:
 * - the sum of free + reserved over all accounts equals the total issuance (the treasury included);
 * - every account's reserved balance is exactly what the pallets hold for it: its staking bond, its
 *   worker-registry stake, the escrow of its jobs and inference requests, its job stakes, the bonds
 *   of its open challenges and its held PoUW ticket rewards;
 * - a job in a final status holds nothing (no held ticket rewards either).
 */
import { expect } from "@jest/globals";
import { blake2_256, concat } from "../../primitives/hashing.js";
import { bytesEqual } from "../../primitives/hex.js";
import { T } from "../../primitives/scale/types.js";
import type { DigestItemValue } from "../../primitives/types.js";
import { leafCount, workProof, workRoot } from "../../primitives/workRoot.js";
import { TREASURY_ACCOUNT } from "../../runtime/constants.js";
import type { Ext } from "../../runtime/frame/ext.js";
import type { CallValue } from "../../runtime/index.js";
import { totalIssuance } from "../../runtime/pallets/balances.js";
import { Inference, isFinal as isFinalRequest } from "../../runtime/pallets/inference/index.js";
import {
  attestationCommitment,
  type CheckValue,
  heldByJob,
  isFinal,
  JobManager,
  type JobParamsValue,
  type JobSpecValue,
  resultCommitment,
  testSetCommitment,
  verdictCommitment,
} from "../../runtime/pallets/jobManager/index.js";
import { checksOf } from "../../runtime/pallets/jobManager/pallet.js";
import { heldTicketRewardsOfJob, type PouwGenesisConfig } from "../../runtime/pallets/pouw/index.js";
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
  roles: { trainer: boolean; evaluator: boolean; inference?: boolean },
  stake: bigint,
  capabilities: CapabilitiesValue = GPU_BOX,
  recordHash: Uint8Array = hash(7),
): CallValue {
  return registry("register", {
    roles: { inference: false, ...roles },
    capabilities,
    stake,
    record_hash: recordHash,
  });
}
export const TRAINER = { trainer: true, evaluator: false, inference: false };
export const EVALUATOR = { trainer: false, evaluator: true, inference: false };
export const BOTH = { trainer: true, evaluator: true, inference: false };
export const PROVIDER = { trainer: false, evaluator: false, inference: true };

/** The hidden test set of the fixtures and its commitment. */
export const TEST_SET_CID = cid(0x7e);
export const TEST_SET_SALT = salt(0x5a);

/** The fixture spec's checkpoint interval, and the steps its trainers report: 4 segments. */
export const CHECKPOINT_INTERVAL = 10;
export const STEPS = 40;

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
    checkpoint_interval: CHECKPOINT_INTERVAL,
    ...overrides,
  };
}

export const postJob = (s: JobSpecValue, reward: bigint) => jobs("post_job", { spec: s, reward });
export const assign = (id: bigint) => jobs("assign_worker", { job_id: id });
export const cancel = (id: bigint) => jobs("cancel_job", { job_id: id });
/** The state hash trainer `worker` reaches at leaf `leaf` training with `fill`: deterministic, distinct per worker. */
export function stateHash(worker: Uint8Array, fill: number, leaf: number): Uint8Array {
  return blake2_256(
    concat(new TextEncoder().encode("tensorchain/test/state"), worker, T.u32.enc(fill), T.u32.enc(leaf)),
  );
}

/** What a trainer commits to and reveals, and what re-executing its segments really gives. */
export interface Claim {
  worker: string;
  modelCid: Uint8Array;
  modelHash: Uint8Array;
  metrics: { accuracy_ppm: number; loss_e9: bigint };
  steps: number;
  salt: Uint8Array;
  /** The state hashes of leaves 1..L the work root commits to (what the trainer serves and opens). */
  leaves: Uint8Array[];
  /**
   * The end state hash re-executing segment i (from the trainer's leaf i-1) gives, at index i-1: the
   * claimed leaves for honest training; anything else where the trainer faked or copied.
   */
  computed: Uint8Array[];
  /** A work root to reveal instead of the leaves' (a made-up one). */
  root?: Uint8Array;
}

/** An honest claim: `worker` trained with `fill` for `steps` steps of `interval`; model `cid(fill)`. */
export function claim(
  worker: string,
  fill: number,
  accuracy = 950_000,
  o: Partial<Claim> & { interval?: number } = {},
): Claim {
  const { interval, ...given } = o;
  const steps = o.steps ?? STEPS;
  const count = leafCount(steps, interval ?? CHECKPOINT_INTERVAL);
  const leaves = o.leaves ?? Array.from({ length: count }, (_, i) => stateHash(pk(worker), fill, i + 1));
  return {
    worker,
    modelCid: cid(fill),
    modelHash: hash(fill),
    metrics: { accuracy_ppm: accuracy, loss_e9: 123_000_000n },
    steps,
    salt: salt(0x3c),
    leaves,
    computed: o.computed ?? leaves,
    ...given,
  };
}

const leafHashes = (c: Claim) => c.leaves.map((stateHash, i) => ({ index: i + 1, stateHash }));
export const workRootOf = (c: Claim): Uint8Array => c.root ?? workRoot(leafHashes(c));
export const proofOf = (c: Claim, leaf: number) => workProof(leafHashes(c), leaf);

export function commitResult(id: bigint, c: Claim): CallValue {
  return jobs("commit_result", {
    job_id: id,
    commitment: resultCommitment(id, pk(c.worker), c.modelHash, workRootOf(c), c.metrics, c.salt),
  });
}
export function revealResult(id: bigint, c: Claim): CallValue {
  return jobs("reveal_result", {
    job_id: id,
    model_cid: c.modelCid,
    model_hash: c.modelHash,
    work_root: workRootOf(c),
    metrics: c.metrics,
    steps: c.steps,
    salt: c.salt,
  });
}
/** The CID a trainer serves leaf `leaf`'s checkpoint under. */
export const checkpointCid = (leaf: number): Uint8Array => cid(0x80 + (leaf % 0x80));
export const serveCheckpoint = (id: bigint, checkId: number, c: Claim, segment: number) =>
  jobs("serve_checkpoint", {
    job_id: id,
    check_id: checkId,
    cid: checkpointCid(segment - 1),
    state_hash: c.leaves[segment - 2],
    proof: proofOf(c, segment - 1),
  });
export const openLeaf = (id: bigint, checkId: number, c: Claim, segment: number) =>
  jobs("open_leaf", { job_id: id, check_id: checkId, state_hash: c.leaves[segment - 1], proof: proofOf(c, segment) });
/** The salt of verifier commitments. */
export const VERDICT_SALT = salt(0x5e);
export const commitVerdict = (id: bigint, checkId: number, verifier: string, endHash: Uint8Array, s = VERDICT_SALT) =>
  jobs("commit_verdict", {
    job_id: id,
    check_id: checkId,
    commitment: verdictCommitment(id, checkId, pk(verifier), endHash, s),
  });
export const revealVerdict = (id: bigint, checkId: number, endHash: Uint8Array, s = VERDICT_SALT) =>
  jobs("reveal_verdict", { job_id: id, check_id: checkId, end_hash: endHash, salt: s });
export const challenge = (id: bigint, worker: string, leaf: number) =>
  jobs("challenge", { job_id: id, worker: pk(worker), leaf });

/** What drives a chain for `runChecks`: a `JobHarness`, or an adapter over another block producer. */
export interface ChainDriver {
  rt: TestRuntime;
  send(name: string, call: CallValue): void;
  runTo(n: number): void;
}

/** How the actors of `runChecks` behave; by default everyone is honest and prompt. */
export interface Behaviour {
  /**
   * What verifier `name` does on check `id`: commit to and reveal `computed` (the default), commit to
   * and reveal another hash, never commit (`"silent"`), or commit and never reveal (`"hide"`).
   */
  verifier?: (a: {
    id: number;
    check: CheckValue;
    name: string;
    computed: Uint8Array;
  }) => Uint8Array | "silent" | "hide";
  /** Whether the checked trainer serves the start checkpoint and opens the end leaf (default: yes). */
  trainer?: (a: { id: number; check: CheckValue }) => boolean;
}

/** The name of a known account (validators, actors and `MORE_ACTORS`). */
export function nameOf(who: Uint8Array): string {
  const n = ALL_NAMES.find((x) => bytesEqual(pk(x), who));
  if (!n) throw new Error(`unknown account ${Buffer.from(who).toString("hex")}`);
  return n;
}

/** The checks of job `id` not yet concluded. */
export function openChecks(rt: TestRuntime, id: bigint): { id: number; check: CheckValue }[] {
  return rt.read((e) => checksOf(e, id)).filter((c) => c.check.stage.tag !== "Done");
}

/**
 * Runs every open check of job `id` to its verdict: each checked trainer serves its start checkpoint
 * and opens its end leaf with valid proofs under its work root (`claims` say what it committed to), each
 * drawn verifier commits to, then reveals, the end hash re-execution gives (`Claim.computed`), unless
 * `how` says otherwise; when nobody acts any more, blocks run to the next stage deadline. Checks that
 * open meanwhile (escalations) are run too. One call per block.
 */
export function runChecks(d: ChainDriver, id: bigint, claims: Claim[], how: Behaviour = {}): void {
  const claimOf = (who: Uint8Array) => {
    const c = claims.find((x) => bytesEqual(pk(x.worker), who));
    if (!c) throw new Error(`no claim for ${nameOf(who)}`);
    return c;
  };
  for (let guard = 0; guard < 10_000; guard++) {
    const open = openChecks(d.rt, id);
    if (open.length === 0) return;
    // Everyone acts in parallel; one call per block, the check whose stage ends first goes first.
    const next = [...open]
      .sort((a, b) => a.check.deadline - b.check.deadline)
      .flatMap(({ id: checkId, check }) => actionsOn(id, checkId, check, claimOf(check.worker), how));
    if (next.length > 0) {
      const [name, call] = next[0];
      d.send(name, call);
    } else d.runTo(Math.min(...open.map((c) => c.check.deadline)));
  }
  throw new Error("runChecks: the checks never concluded");
}

function actionsOn(id: bigint, checkId: number, check: CheckValue, c: Claim, how: Behaviour): [string, CallValue][] {
  const trainerActs = how.trainer?.({ id: checkId, check }) ?? true;
  const seg = check.segment;
  const verdict = (name: string) =>
    how.verifier?.({ id: checkId, check, name, computed: c.computed[seg - 1] }) ?? c.computed[seg - 1];
  switch (check.stage.tag) {
    case "Serving":
      return trainerActs ? [[c.worker, serveCheckpoint(id, checkId, c, seg)]] : [];
    case "Opening":
      return trainerActs ? [[c.worker, openLeaf(id, checkId, c, seg)]] : [];
    case "Committing":
      return check.votes.flatMap((v): [string, CallValue][] => {
        const name = nameOf(v.verifier);
        const h = verdict(name);
        if (v.commitment !== undefined || h === "silent") return [];
        return [[name, commitVerdict(id, checkId, name, h === "hide" ? c.computed[seg - 1] : h)]];
      });
    case "Revealing":
      return check.votes.flatMap((v): [string, CallValue][] => {
        const name = nameOf(v.verifier);
        const h = verdict(name);
        if (v.commitment === undefined || v.end_hash !== undefined || h === "silent" || h === "hide") return [];
        return [[name, revealVerdict(id, checkId, h)]];
      });
    default:
      return [];
  }
}

/**
 * Every claim's trainer commits, then reveals (one block each), then the audits run as `runChecks` runs
 * them: the job ends up `AwaitingTestSet` (or failed, if every result failed its audit).
 */
export function submitResults(d: ChainDriver, id: bigint, claims: Claim[], how: Behaviour = {}): void {
  for (const c of claims) d.send(c.worker, commitResult(id, c));
  for (const c of claims) d.send(c.worker, revealResult(id, c));
  runChecks(d, id, claims, how);
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
/** More evaluators, funded only where a fixture asks for them (`Fixture.more`): escalations draw 2v+1 fresh ones. */
export const MORE_ACTORS = ["E4", "E5", "E6", "E7", "E8", "W3"];
const ALL_NAMES = [...VALIDATORS, ...ACTORS, ...MORE_ACTORS];

export interface Fixture {
  registry?: Partial<RegistryParamsValue>;
  jobManager?: Partial<JobParamsValue>;
  /** Other genesis parameters, by qualified name. */
  parameters?: Record<string, number | bigint>;
  /** Whether Ferdie is the sudo key (the dev runtime); true unless false. */
  sudo?: boolean;
  /** Fund `MORE_ACTORS` with 10,000 TRAIN each too. */
  more?: boolean;
  /** The PoUW genesis (the initial ticket target). */
  pouw?: PouwGenesisConfig;
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
      ...(f.more ? MORE_ACTORS : []).map((n): [Uint8Array, bigint] => [pk(n), 10_000n * UNIT]),
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
    pouw: f.pouw,
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
    // A challenger's bond is reserved while its challenge is open.
    for (const { check } of checksOf(ext, id))
      if (check.kind.tag === "Challenge" && check.stage.tag !== "Done")
        add(check.kind.value.challenger, check.kind.value.bond);
    const ticketRewards = heldTicketRewardsOfJob(ext, id);
    for (const [w, amount] of ticketRewards) add(w, amount);
    if (isFinal(job.status)) {
      expect(heldByJob(ext, id)).toBe(0n);
      expect(ticketRewards).toEqual([]);
    }
  }
  // The escrow of inference requests (providers lock nothing per request).
  const nextRequest = Inference.storage.NextRequestId.getOrDefault(ext);
  for (let id = 0n; id < nextRequest; id++) {
    const req = Inference.storage.Requests.get(ext, id)!;
    add(req.client, req.held);
    if (isFinalRequest(req.status)) expect(req.held).toBe(0n);
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
    for (const n of ALL_NAMES) this.start.set(n, this.total(n));
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
    return nameOf(account);
  }
}

let slot = 1_000n;
/** A BABE secondary-plain digest for authority `index`, with a fresh, increasing slot. */
export function authorDigest(index = 0): DigestItemValue[] {
  slot += 1n;
  return [babePreDigest(index, slot)];
}
