/**
 * The inference pallet's declaration: config constants, storage, events, errors, weights and the
 * queries the node reads its state through.
 */
import { T } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, H256 } from "../../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../../constants.js";
import { weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { pallet } from "../../frame/pallet.js";
import { storageDoubleMap, storageMap, storageValue } from "../../frame/storage.js";
import { System } from "../system.js";
import { INITIAL_REPUTATION, SlashReason } from "../workerRegistry.js";
import { ProviderOutput, type ProviderOutputValue, Request, type RequestValue } from "./types.js";

// ---- Config constants ----

/** Most providers one request may ask for. */
export const MAX_REPLICAS = 16;
/** Longest fingerprint, in i32 entries. */
export const MAX_FINGERPRINT_LENGTH = 256;
/** Most request deadlines handled in one block's `on_initialize`. */
export const MAX_DEADLINES_PER_BLOCK = 16;
/** Most requests live at once (not yet settled). */
export const MAX_LIVE_REQUESTS = MAX_DEADLINES_PER_BLOCK * 256;
/** Most refusals of one request after which no replacement is drawn (bounds `Request.refused`). */
export const MAX_REPLACEMENTS = MAX_REPLICAS;
/** Inference reputation gained per agreeing output. */
export const INFERENCE_REPUTATION_REWARD = 10_000;
/** Inference reputation lost per slash. */
export const INFERENCE_REPUTATION_PENALTY = 100_000;

export const Inference = pallet({
  name: "Inference",
  index: 15,
  module: "pallet_inference",
  docs: ["Inference requests: providers drawn by stake and reputation, commit-reveal of outputs, quorum."],
  storage: {
    NextRequestId: storageValue(T.u64, { default: 0n, docs: [" The id the next request gets."] }),
    Requests: storageMap("Twox64Concat", T.u64, Request, { docs: [" Every request, by id (settled ones included)."] }),
    Outputs: storageDoubleMap("Twox64Concat", T.u64, "Blake2_128Concat", AccountId, ProviderOutput, {
      docs: [" A provider's committed (and later revealed) output for a request."],
    }),
    DeadlineQueue: storageMap("Twox64Concat", BlockNumber, T.vec(T.u64), {
      default: [],
      docs: [" The requests whose current phase ends at a block (at most `MaxDeadlinesPerBlock`)."],
    }),
    LiveRequests: storageValue(T.u32, { default: 0, docs: [" How many requests are not yet settled."] }),
    Reputation: storageMap("Blake2_128Concat", AccountId, T.u32, {
      default: INITIAL_REPUTATION,
      docs: [" A provider's inference reputation in parts per million (draw weight: stake × reputation)."],
    }),
  },
  constants: {
    MaxReplicas: { type: T.u32, value: MAX_REPLICAS, docs: [" Most providers one request may ask for."] },
    MaxFingerprintLength: {
      type: T.u32,
      value: MAX_FINGERPRINT_LENGTH,
      docs: [" Longest fingerprint, in i32 entries."],
    },
    MaxLiveRequests: { type: T.u32, value: MAX_LIVE_REQUESTS, docs: [" Most requests live at once."] },
    MaxDeadlinesPerBlock: {
      type: T.u32,
      value: MAX_DEADLINES_PER_BLOCK,
      docs: [" Most request deadlines handled in one block."],
    },
    MaxReplacements: {
      type: T.u32,
      value: MAX_REPLACEMENTS,
      docs: [" Refusals of one request after which no replacement is drawn."],
    },
  },
  events: {
    Requested: {
      index: 0,
      fields: {
        request_id: T.u64,
        client: AccountId,
        replicas: T.u32,
        quorum: T.u32,
        reward: Balance,
        network_fee: Balance,
      },
      docs: ["A request was made; `replicas * reward` plus the network fee were reserved from the client."],
    },
    ProvidersDrawn: {
      index: 1,
      fields: { request_id: T.u64, providers: T.vec(AccountId), commit_by: BlockNumber },
      docs: ["Providers were drawn (at the request, or to replace one that refused)."],
    },
    OutputCommitted: {
      index: 2,
      fields: { request_id: T.u64, provider: AccountId },
      docs: ["A provider committed to its output."],
    },
    RevealStarted: {
      index: 3,
      fields: { request_id: T.u64, reveal_by: BlockNumber },
      docs: ["Commitments are closed; providers must reveal by `reveal_by`."],
    },
    OutputRevealed: {
      index: 4,
      fields: { request_id: T.u64, provider: AccountId, output_cid: T.bytes, output_hash: H256 },
      docs: ["A provider revealed its committed output."],
    },
    Refused: {
      index: 5,
      fields: { request_id: T.u64, provider: AccountId },
      docs: ["A drawn provider refused the request (it cannot run it); it was not slashed."],
    },
    Settled: {
      index: 6,
      fields: {
        request_id: T.u64,
        output_cid: T.bytes,
        output_hash: H256,
        providers: T.vec(AccountId),
        reward: Balance,
      },
      docs: ["A quorum agreed on the output; each of `providers` was paid `reward`."],
    },
    NoQuorum: {
      index: 7,
      fields: { request_id: T.u64, paid: T.vec(AccountId), refund: Balance },
      docs: ["No quorum agreed: the providers that revealed were paid their reward, the client got `refund`."],
    },
    Slashed: {
      index: 8,
      fields: { request_id: T.u64, provider: AccountId, amount: Balance, reason: SlashReason },
      docs: ["A provider outside the quorum, or silent, lost part of its registration stake to the treasury."],
    },
    NetworkFeePaid: {
      index: 9,
      fields: { request_id: T.u64, to: AccountId, amount: Balance },
      docs: ["The network fee was paid to the block author (or the treasury if the block has none)."],
    },
    Refunded: {
      index: 10,
      fields: { request_id: T.u64, client: AccountId, amount: Balance },
      docs: ["What the request still held was returned to the client."],
    },
    DeadlineFailed: {
      index: 11,
      fields: { request_id: T.u64 },
      docs: ["Handling a request's deadline failed and was rolled back (a bug: it needs root's attention)."],
    },
  },
  errors: {
    ZeroReward: { index: 0, docs: "The reward per provider must be greater than zero." },
    InvalidCid: { index: 1, docs: "A CID is empty, not a binary CIDv1, or longer than `MaxCidLength` bytes." },
    InvalidReplicas: { index: 2, docs: "Replicas must be within 1..=MaxReplicas." },
    InvalidQuorum: { index: 3, docs: "The quorum must be within 1..=replicas." },
    InvalidMaxBlocks: {
      index: 4,
      docs: "`max_blocks` must be within `min_commit_blocks + reveal_blocks..=max_request_blocks`.",
    },
    InvalidProfile: {
      index: 5,
      docs: "A `Gpu` request needs a non-zero grid and GPUs; a `CpuExact` one a zero tolerance.",
    },
    NotEnoughProviders: { index: 6, docs: "Fewer eligible providers are active than the replicas asked for." },
    TooManyLiveRequests: { index: 7, docs: "`MaxLiveRequests` requests are live already." },
    RequestNotFound: { index: 8, docs: "No request has this id." },
    NotProvider: { index: 9, docs: "The origin is not a drawn provider of this request." },
    NotCommitting: { index: 10, docs: "The request is not accepting commitments or refusals." },
    NotRevealing: { index: 11, docs: "The request is not accepting reveals." },
    AlreadyCommitted: { index: 12, docs: "The provider has already committed." },
    NotCommitted: { index: 13, docs: "The provider did not commit in time." },
    AlreadyRevealed: { index: 14, docs: "The provider has already revealed." },
    CommitmentMismatch: { index: 15, docs: "The revealed output, fingerprint and salt do not match the commitment." },
    InvalidFingerprint: {
      index: 16,
      docs: "A `CpuExact` fingerprint must be empty; a `Gpu` one must have 1..=MaxFingerprintLength entries.",
    },
  },
});

const S = Inference.storage;

// ---- Weights ----

export const w = (reads: bigint, writes: bigint) => weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);
/** Worst-case deadline scheduling: probing `MaxLiveRequests / MaxDeadlinesPerBlock + 1` queue entries. */
export const SCHEDULE_READS = BigInt(MAX_LIVE_REQUESTS / MAX_DEADLINES_PER_BLOCK + 1);
/** A draw scans the registry (`MaxWorkers`, 1024 entries). */
export const DRAW_READS = 1024n + 2n;
/** Worst-case settlement: every provider paid or slashed, plus the clustering's reads. */
export const SETTLE_WEIGHT = w(8n + 8n * BigInt(MAX_REPLICAS), 8n + 8n * BigInt(MAX_REPLICAS));

export function now(ext: Ext): number {
  return System.storage.Number.getOrDefault(ext);
}

// ---- Queries ----

export function requestOf(ext: Ext, id: bigint): RequestValue | undefined {
  return S.Requests.get(ext, id);
}

/** Every request, settled ones included. */
export function requestEntries(ext: Ext): Iterable<[bigint, RequestValue]> {
  return S.Requests.entries(ext);
}

export function outputOf(ext: Ext, id: bigint, provider: Uint8Array): ProviderOutputValue | undefined {
  return S.Outputs.get(ext, [id, provider]);
}

export function inferenceReputationOf(ext: Ext, who: Uint8Array): number {
  return S.Reputation.getOrDefault(ext, who);
}

/** What request `id` still holds reserved from its client. */
export function heldByRequest(ext: Ext, id: bigint): bigint {
  return S.Requests.get(ext, id)?.held ?? 0n;
}
