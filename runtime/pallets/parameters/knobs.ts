/**
 * Every knob of the chain: its group, type, unit, default, range and documentation. This file is the
 * one place a knob is declared; the parameters pallet builds its SCALE types, its checks, its genesis
 * and its metadata from it, and `tensorchain params` lists it.
 *
 * ## Adding a knob
 * 1. Add an entry to its group below (a new group: a new `defineGroup` with the next group index, and
 *    an entry in `GROUPS`). Give it the next free `index` in its group: indices are part of the storage
 *    key and of the `set_parameter` call, so they never change and are never reused.
 * 2. Give it a `default` (what the chain uses until governance or genesis sets it), an inclusive
 *    `min..=max` range and a one-line doc; add a rule to `RELATIONS` if it depends on another knob.
 * 3. Read it where it is used with `param(ext, JOB_MANAGER.my_knob)` (`parameters/index.ts`).
 * The `inference` and `pouw` groups were added so.
 */
import type { Ty } from "../../../primitives/scale/types.js";
import { T } from "../../../primitives/scale/types.js";
import { Balance, BlockNumber } from "../../../primitives/types.js";
import { EXISTENTIAL_DEPOSIT, UNITS } from "../../constants.js";
import { PERBILL, Perbill } from "../staking/types.js";

/** Parts per million: 1_000_000 is 100%. */
const PPM = 1_000_000;
/** Longest period a block-count knob may be set to: about 4 months of 2-second blocks. */
export const MAX_PERIOD_BLOCKS = 5_256_000;
/** Largest amount a balance knob may be set to: 10^9 TRAIN. */
export const MAX_AMOUNT = 1_000_000_000n * UNITS;
/** Longest job phase governance may allow, in blocks. */
export const MAX_PHASE_LIMIT = 1_000_000;
/** Upper bound of `jobManager.audit_segments`. */
export const MAX_AUDIT_SEGMENTS = 16;
/** Upper bound of `jobManager.audit_verifiers` (an escalation draws 2·v + 1). */
export const MAX_AUDIT_VERIFIERS = 5;
/** Upper bound of `staking.validator_count`. */
export const MAX_VALIDATOR_COUNT = 1000;
/** Upper bound of `pouw.max_tickets_per_block`: each ticket costs one VRF verification at import. */
export const MAX_TICKETS_LIMIT = 64;

/** What a knob's integer counts, for display: parts per million, parts per billion, blocks, planck. */
export type KnobUnit = "ppm" | "perbill" | "blocks" | "planck" | "count";

export class Knob<V extends number | bigint> {
  /** Set by `defineGroup`: the group's name (`JobManager`), the knob's name (`worker_share_ppm`). */
  group = "";
  name = "";
  /** The knob's variant in the SCALE enums: `WorkerSharePpm`. */
  variant = "";
  /** The name the CLI and chain specs use: `jobManager.worker_share_ppm`. */
  qualified = "";

  constructor(
    readonly index: number,
    readonly type: Ty<V>,
    readonly unit: KnobUnit,
    readonly defaultValue: V,
    readonly min: V,
    readonly max: V,
    readonly docs: string,
  ) {}
}

/** A knob of either kind: most are `u32` (numbers), amounts are `u128` (bigints). */
export type AnyKnob = Knob<number> | Knob<bigint>;

const ppm = (index: number, def: number, docs: string) => new Knob(index, T.u32, "ppm", def, 0, PPM, docs);
const perbill = (index: number, def: number, docs: string) =>
  new Knob(index, Perbill, "perbill", def, 0, PERBILL, docs);
const blocks = (index: number, def: number, min: number, max: number, docs: string) =>
  new Knob(index, BlockNumber, "blocks", def, min, max, docs);
const amount = (index: number, def: bigint, min: bigint, docs: string) =>
  new Knob(index, Balance, "planck", def, min, MAX_AMOUNT, docs);

export interface KnobGroup {
  /** The variant of the aggregated enums (`RuntimeParameters::JobManager`). */
  name: string;
  index: number;
  /** The Rust-style module of its types: `tensorchain_runtime::dynamic_params::job_manager`. */
  module: string;
  /** The prefix of its knobs' qualified names: `jobManager`. */
  prefix: string;
  knobs: Record<string, AnyKnob>;
}

function defineGroup<K extends Record<string, AnyKnob>>(
  name: string,
  index: number,
  module: string,
  prefix: string,
  knobs: K,
): Omit<KnobGroup, "knobs"> & { knobs: K } {
  for (const [key, k] of Object.entries(knobs)) {
    k.group = name;
    k.name = key;
    k.variant = key.replace(/(^|_)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());
    k.qualified = `${prefix}.${key}`;
  }
  return { name, index, module, prefix, knobs };
}

const jobManager = defineGroup("JobManager", 0, "job_manager", "jobManager", {
  worker_share_ppm: ppm(0, 800_000, "Share of a job's reward paid to the passing trainers."),
  evaluator_share_ppm: ppm(1, 150_000, "Share of a job's reward paid to the agreeing evaluators."),
  network_fee_ppm: ppm(2, 20_000, "Network fee, reserved on top of the reward and paid to the block author."),
  worker_slash_ppm: ppm(3, 500_000, "Part of a trainer's job stake slashed for a missed submission or a failed model."),
  evaluator_slash_ppm: ppm(4, 100_000, "Part of an evaluator's registration stake slashed for a missed attestation."),
  min_worker_stake: amount(5, UNITS, 1n, "Least job stake (`worker_stake`) a job may ask of its trainers."),
  min_phase_blocks: blocks(6, 1, 1, MAX_PHASE_LIMIT, "Shortest job phase a job may ask for, in blocks."),
  max_phase_blocks: blocks(7, 100_800, 1, MAX_PHASE_LIMIT, "Longest job phase a job may ask for, in blocks."),
  audit_segments: new Knob(
    8,
    T.u32,
    "count",
    3,
    0,
    MAX_AUDIT_SEGMENTS,
    "Segments audited per result besides the last.",
  ),
  audit_verifiers: new Knob(9, T.u32, "count", 2, 1, MAX_AUDIT_VERIFIERS, "Verifiers drawn per audited segment."),
  challenge_bond: amount(10, 10n * UNITS, 1n, "Reserved from a challenger; lost to the trainer if the segment passes."),
  challenger_reward_ppm: ppm(11, 100_000, "Share of a trainer's slash paid to the challenger that proved it."),
  audit_slash_ppm: ppm(12, 1_000_000, "Part of a trainer's job stake slashed when its training fails a check."),
  result_reveal_blocks: blocks(13, 20, 1, MAX_PHASE_LIMIT, "Blocks trainers have to reveal committed results."),
  audit_stage_blocks: blocks(
    14,
    100,
    1,
    MAX_PHASE_LIMIT,
    "Blocks of each stage of a check: serve, commit, open, reveal.",
  ),
});

const workerRegistry = defineGroup("WorkerRegistry", 1, "worker_registry", "workerRegistry", {
  min_stake: amount(0, 10n * UNITS, EXISTENTIAL_DEPOSIT, "Least registration stake of an active worker."),
  heartbeat_timeout: blocks(
    1,
    600,
    1,
    MAX_PERIOD_BLOCKS,
    "Blocks without a heartbeat after which a worker is inactive.",
  ),
  unbonding_period: blocks(2, 1_800, 0, MAX_PERIOD_BLOCKS, "Blocks between `deregister` and `withdraw_unbonded`."),
});

const staking = defineGroup("Staking", 2, "staking", "staking", {
  validator_count: new Knob(0, T.u32, "count", 0, 0, MAX_VALIDATOR_COUNT, "How many validators each era elects."),
  slash_fraction: perbill(1, PERBILL / 10, "Fraction of an offender's exposure slashed per offence."),
  min_validator_bond: amount(2, 0n, 0n, "Least active bond of a validator candidate."),
});

const referenda = defineGroup("Referenda", 3, "referenda", "referenda", {
  submission_deposit: amount(0, 10n * UNITS, 0n, "Reserved from the proposer of a referendum."),
  decision_deposit: amount(1, 100n * UNITS, 0n, "Reserved from whoever lets a referendum be decided."),
  prepare_period: blocks(2, 1_800, 0, MAX_PERIOD_BLOCKS, "Blocks after submission before deciding may start."),
  decision_period: blocks(3, 302_400, 1, MAX_PERIOD_BLOCKS, "Blocks a referendum has to be approved once deciding."),
  confirm_period: blocks(4, 1_800, 1, MAX_PERIOD_BLOCKS, "Blocks the approval and support must hold to be confirmed."),
  min_enactment_period: blocks(5, 1_800, 1, MAX_PERIOD_BLOCKS, "Least blocks between approval and enactment."),
  undeciding_timeout: blocks(6, 302_400, 1, MAX_PERIOD_BLOCKS, "Blocks a referendum may wait for deciding."),
  min_approval_floor: perbill(7, 500_000_000, "Approval needed at the end of the decision period."),
  min_approval_ceil: perbill(8, PERBILL, "Approval needed when deciding starts; falls linearly to the floor."),
  min_support_floor: perbill(9, 10_000_000, "Support (aye capital / total issuance) needed at the end."),
  min_support_ceil: perbill(10, 250_000_000, "Support needed when deciding starts; falls linearly to the floor."),
});

const convictionVoting = defineGroup("ConvictionVoting", 4, "conviction_voting", "convictionVoting", {
  vote_locking_period: blocks(0, 302_400, 0, MAX_PERIOD_BLOCKS, "Blocks a `Locked1x` vote stays locked after the end."),
});

const inference = defineGroup("Inference", 5, "inference", "inference", {
  inference_slash_ppm: ppm(
    0,
    100_000,
    "Part of a provider's registration stake slashed for an output outside the quorum or none.",
  ),
  inference_fee_ppm: ppm(
    1,
    20_000,
    "Network fee of a request, reserved on top of its rewards, paid to the block author.",
  ),
  min_commit_blocks: blocks(2, 5, 1, MAX_PHASE_LIMIT, "Shortest commit window a request may give its providers."),
  reveal_blocks: blocks(3, 10, 1, MAX_PHASE_LIMIT, "Blocks providers have to reveal committed outputs."),
  max_request_blocks: blocks(4, 14_400, 2, MAX_PHASE_LIMIT, "Longest a request may ask to take (`max_blocks`)."),
});

const pouw = defineGroup("Pouw", 6, "pouw", "pouw", {
  max_tickets_per_block: new Knob(
    0,
    T.u32,
    "count",
    16,
    0,
    MAX_TICKETS_LIMIT,
    "Most PoUW tickets one block's `pouw` digest may carry.",
  ),
  target_tickets_per_block: new Knob(
    1,
    T.u32,
    "count",
    4,
    0,
    MAX_TICKETS_LIMIT,
    "Tickets per block the difficulty retargets toward, each epoch.",
  ),
  ticket_weight: new Knob(2, T.u32, "count", 1, 0, 1_000, "Fork-choice weight of one accepted ticket (a block is 1)."),
  ticket_reward: amount(3, UNITS / 10n, 0n, "Minted per accepted ticket for its worker, held until its audit passes."),
  ticket_inclusion_fee: amount(4, UNITS / 100n, 0n, "Minted per accepted ticket for the block's author."),
  max_tickets_per_worker: new Knob(
    5,
    T.u32,
    "count",
    4,
    0,
    4_096,
    "Most tickets one trainer may get accepted for one job (each ticketed leaf's segment is audited).",
  ),
});

/** The knobs of each group, for code that reads them: `param(ext, JOB_MANAGER.worker_share_ppm)`. */
export const JOB_MANAGER = jobManager.knobs;
export const WORKER_REGISTRY = workerRegistry.knobs;
export const STAKING = staking.knobs;
export const REFERENDA = referenda.knobs;
export const CONVICTION_VOTING = convictionVoting.knobs;
export const INFERENCE = inference.knobs;
export const POUW = pouw.knobs;

/** Every group, in index order. */
export const GROUPS: KnobGroup[] = [jobManager, workerRegistry, staking, referenda, convictionVoting, inference, pouw];

/** Every knob, in group then index order. */
export const ALL_KNOBS: AnyKnob[] = GROUPS.flatMap((g) => Object.values(g.knobs));

/** A rule between knobs, checked whenever one of them is set (at genesis and by `set_parameter`). */
export interface Relation {
  knobs: AnyKnob[];
  docs: string;
  holds(get: (k: AnyKnob) => number | bigint): boolean;
}

export const RELATIONS: Relation[] = [
  {
    knobs: [JOB_MANAGER.worker_share_ppm, JOB_MANAGER.evaluator_share_ppm],
    docs: "worker_share_ppm + evaluator_share_ppm <= 1_000_000 (the treasury gets the rest)",
    holds: (get) => Number(get(JOB_MANAGER.worker_share_ppm)) + Number(get(JOB_MANAGER.evaluator_share_ppm)) <= PPM,
  },
  {
    knobs: [JOB_MANAGER.min_phase_blocks, JOB_MANAGER.max_phase_blocks],
    docs: "min_phase_blocks <= max_phase_blocks",
    holds: (get) => get(JOB_MANAGER.min_phase_blocks) <= get(JOB_MANAGER.max_phase_blocks),
  },
  {
    knobs: [INFERENCE.min_commit_blocks, INFERENCE.reveal_blocks, INFERENCE.max_request_blocks],
    docs: "min_commit_blocks + reveal_blocks <= max_request_blocks (some request must be possible)",
    holds: (get) =>
      Number(get(INFERENCE.min_commit_blocks)) + Number(get(INFERENCE.reveal_blocks)) <=
      Number(get(INFERENCE.max_request_blocks)),
  },
  {
    knobs: [POUW.target_tickets_per_block, POUW.max_tickets_per_block],
    docs: "target_tickets_per_block <= max_tickets_per_block (the retarget must aim at reachable blocks)",
    holds: (get) => get(POUW.target_tickets_per_block) <= get(POUW.max_tickets_per_block),
  },
  {
    knobs: [REFERENDA.min_approval_floor, REFERENDA.min_approval_ceil],
    docs: "min_approval_floor <= min_approval_ceil",
    holds: (get) => get(REFERENDA.min_approval_floor) <= get(REFERENDA.min_approval_ceil),
  },
  {
    knobs: [REFERENDA.min_support_floor, REFERENDA.min_support_ceil],
    docs: "min_support_floor <= min_support_ceil",
    holds: (get) => get(REFERENDA.min_support_floor) <= get(REFERENDA.min_support_ceil),
  },
];

/** The knob a CLI or chain-spec name denotes: `jobManager.worker_share_ppm`, or `worker_share_ppm` if unique. */
export function knobByName(name: string): AnyKnob | undefined {
  const exact = ALL_KNOBS.find((k) => k.qualified === name);
  if (exact) return exact;
  const bare = ALL_KNOBS.filter((k) => k.name === name);
  return bare.length === 1 ? bare[0] : undefined;
}
