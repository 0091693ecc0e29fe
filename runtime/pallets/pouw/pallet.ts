/**
 * The PoUW pallet's declaration: config constants, storage, events, errors, weights, genesis and the
 * queries the node reads its state through.
 */
import { T } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, H256 } from "../../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../../constants.js";
import { weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { pallet } from "../../frame/pallet.js";
import { storageDoubleMap, storageMap, storageValue } from "../../frame/storage.js";
import { MAX_TICKETS_LIMIT } from "../parameters/index.js";
import { MAX_TARGET, MIN_TARGET } from "./difficulty.js";

// ---- Config constants ----

/**
 * The largest target `Difficulty` can hold: 2^256 - 1 (a `[u8; 32]`). The retarget's bound, 2^256
 * (every score passes), is stored as this: only the one all-ones score is then refused.
 */
export const MAX_STORED_TARGET = MAX_TARGET - 1n;
/**
 * The target of a chain whose genesis sets none: the easiest, so every leaf earns a ticket until the
 * first epoch with work retargets it. An idle chain (no tickets) stays there, and never writes it.
 */
export const DEFAULT_DIFFICULTY = MAX_STORED_TARGET;
/** Ref time of one ticket's VRF verification (about 1 ms, `npm run bench -- pouw`), in picoseconds. */
export const VRF_VERIFY_WEIGHT = 1_000_000_000n;

/** `Difficulty`'s encoding: the target as a 32-byte big-endian unsigned integer. */
export const Target = T.fixedBytes(32);

/** The 32 big-endian bytes of `target` (0..2^256-1). */
export function targetToBytes(target: bigint): Uint8Array {
  if (target < 0n || target > MAX_STORED_TARGET) throw new RangeError(`target ${target} is not in 0..2^256-1`);
  const out = new Uint8Array(32);
  let v = target;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function targetFromBytes(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** An accepted ticket: its block, and the leaf hash it committed to (which the trainer's audit holds it to). */
export const TicketRecord = T.struct(
  { block: BlockNumber, leaf_hash: H256 },
  { path: ["pallet_pouw", "TicketRecord"], docs: ["An accepted PoUW ticket."] },
);

export const PoUW = pallet({
  name: "PoUW",
  index: 16,
  module: "pallet_pouw",
  docs: ["Proof of useful work in headers: trainers' work keys, tickets, difficulty and ticket rewards."],
  storage: {
    WorkKeys: storageMap("Blake2_128Concat", AccountId, T.fixedBytes(32), {
      docs: [" A trainer's sr25519 `work` public key: the key its tickets' VRF is checked with."],
    }),
    Difficulty: storageValue(Target, {
      default: targetToBytes(DEFAULT_DIFFICULTY),
      docs: [
        " The ticket target: a ticket is valid when its 256-bit score (big-endian) is below it. Stored as",
        " 32 big-endian bytes, in 1..2^256-1; set at genesis by the chain spec, retargeted each epoch.",
      ],
    }),
    Tickets: storageDoubleMap("Twox64Concat", T.u64, "Blake2_128Concat", T.tuple(AccountId, T.u32), TicketRecord, {
      docs: [
        " Each accepted (job, (worker, leaf)) ticket: its block and leaf hash. A leaf earns one ticket; the",
        " trainer's audit checks the leaf hash against its work root.",
      ],
    }),
    HeldRewards: storageDoubleMap("Twox64Concat", T.u64, "Blake2_128Concat", AccountId, Balance, {
      docs: [" Ticket rewards minted for a trainer of a job and reserved until its audit passes."],
    }),
    EpochTickets: storageValue(T.u32, { default: 0, docs: [" Tickets accepted so far in this epoch."] }),
  },
  constants: {
    MaxTicketsLimit: {
      type: T.u32,
      value: MAX_TICKETS_LIMIT,
      docs: [" The most `pouw.max_tickets_per_block` may be set to."],
    },
  },
  events: {
    WorkKeySet: {
      index: 0,
      fields: { worker: AccountId, key: T.fixedBytes(32) },
      docs: ["A trainer registered (or replaced) its `work` key."],
    },
    TicketAccepted: {
      index: 1,
      fields: { job_id: T.u64, worker: AccountId, leaf: T.u32, weight: T.u32 },
      docs: ["A ticket of the block's `pouw` digest was accepted; it adds `weight` to the chain's weight."],
    },
    TicketRewardHeld: {
      index: 2,
      fields: { job_id: T.u64, worker: AccountId, amount: Balance },
      docs: ["`amount` was minted to the trainer and reserved until its audit passes."],
    },
    TicketRewardPaid: {
      index: 3,
      fields: { job_id: T.u64, worker: AccountId, amount: Balance },
      docs: ["The trainer's audit passed: its held ticket rewards were released to it."],
    },
    TicketRewardSlashed: {
      index: 4,
      fields: { job_id: T.u64, worker: AccountId, amount: Balance },
      docs: ["The trainer's audit failed, or the job ended without a passing audit: its held rewards were burned."],
    },
    InclusionFeePaid: {
      index: 5,
      fields: { author: AccountId, tickets: T.u32, amount: Balance },
      docs: ["`amount` was minted to the block's author for the tickets it included."],
    },
    DifficultyAdjusted: {
      index: 6,
      fields: { tickets: T.u32, blocks: T.u32, old: Target, new: Target },
      docs: [
        "At the end of an epoch with `tickets` tickets in `blocks` blocks the target moved from `old` to",
        "`new` (not emitted when it stays).",
      ],
    },
  },
  errors: {
    NotRegistered: { index: 0, docs: "The origin is not a registered worker." },
    NotTrainer: { index: 1, docs: "The origin's worker registration has no trainer role." },
    InvalidWorkKey: { index: 2, docs: "The work key is all zeros." },
  },
});

const S = PoUW.storage;

export const w = (reads: bigint, writes: bigint) => weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);

// ---- Genesis ----

/** The PoUW part of the genesis config. */
export interface PouwGenesisConfig {
  /** The initial ticket target, in 1..2^256-1. */
  difficulty: bigint;
}

export function buildPouwGenesis(ext: Ext, config: PouwGenesisConfig): void {
  if (config.difficulty < MIN_TARGET || config.difficulty > MAX_STORED_TARGET)
    throw new Error(`Genesis: the PoUW difficulty must be in 1..2^256-1, got ${config.difficulty}`);
  S.Difficulty.put(ext, targetToBytes(config.difficulty));
}

// ---- Queries ----

/** The current ticket target. */
export function difficulty(ext: Ext): bigint {
  return targetFromBytes(S.Difficulty.getOrDefault(ext));
}

export function workKeyOf(ext: Ext, worker: Uint8Array): Uint8Array | undefined {
  return S.WorkKeys.get(ext, worker);
}

/** The block that accepted `worker`'s ticket for `leaf` of job `jobId`, if any. */
export function ticketBlock(ext: Ext, jobId: bigint, worker: Uint8Array, leaf: number): number | undefined {
  return S.Tickets.get(ext, [jobId, [worker, leaf]])?.block;
}

/** Every ticket accepted for job `jobId`: worker, leaf, block, leaf hash. */
export function ticketsOfJob(
  ext: Ext,
  jobId: bigint,
): { worker: Uint8Array; leaf: number; block: number; leafHash: Uint8Array }[] {
  return S.Tickets.entriesOf(ext, jobId).map(([[worker, leaf], r]) => ({
    worker,
    leaf,
    block: r.block,
    leafHash: r.leaf_hash,
  }));
}

/** The ticket rewards held for `worker` in job `jobId`. */
export function heldTicketRewards(ext: Ext, jobId: bigint, worker: Uint8Array): bigint {
  return S.HeldRewards.get(ext, [jobId, worker]) ?? 0n;
}

/** The ticket rewards still held for job `jobId`, by worker. */
export function heldTicketRewardsOfJob(ext: Ext, jobId: bigint): [Uint8Array, bigint][] {
  return S.HeldRewards.entriesOf(ext, jobId);
}
