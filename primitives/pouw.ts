/**
 * Proof of useful work in headers (DESIGN §5, issue 12): the progress tickets trainers compute at their
 * checkpoint leaves, and the `pouw` pre-runtime digest that carries them. In primitives/ because the
 * worker signs tickets, the node's gossip validator and proposer check and pick them, and the runtime
 * verifies them, and the runtime may import nothing above primitives/.
 *
 * Ticket. For job `job_id`, checkpoint leaf `leaf` (1-based, as in workRoot.ts) and the leaf's state
 * hash `h`, the trainer's `work` key (sr25519) signs, with schnorrkel's VRF,
 *
 *   context "tensorchain-pouw",
 *   input   epoch_randomness (32) ++ u64_le(job_id) ++ u32_le(leaf) ++ leaf_hash (32)      (76 bytes)
 *
 * where `leaf_hash = blake2_256(0x00 ++ u32_le(leaf) ++ h)` is exactly the work-root leaf node
 * (`workLeaf`), so a ticket commits to the state without revealing it (audits stay blind) and binds
 * to the work root revealed later. The issue's `transcript("tensorchain-pouw", randomness, job_id,
 * leaf, leaf_hash)` is this signing context plus this input: schnorrkel's `signing_context(ctx).bytes(m)`
 * absorbs one message, so the fields are concatenated at fixed widths (unambiguous).
 *
 * Output. The digest's `vrf_output` is the VRF pre-output (the Ristretto point that the proof is
 * about, 32 bytes), as in `VrfSignature::pre_output`. The value compared with the difficulty target is
 *
 *   ticket score = blake2_256("tensorchain-pouw-output" ++ input ++ vrf_output)
 *
 * read as a big-endian 256-bit integer; a ticket is below target when score < target (strictly). The JS
 * VRF libraries do not expose schnorrkel's `make_bytes`, so BABE here derives its output bytes the same
 * way (consensus/babe/vrf.ts); the score is still unique per (key, input) since the pre-output is.
 *
 * Digest. `PreRuntime(*b"pouw", Vec<PouwTicket>)` with
 * `PouwTicket { job_id: u64, worker: AccountId32, leaf: u32, leaf_hash: H256, vrf_output: [u8; 32],
 * vrf_proof: [u8; 64] }` (172 bytes each), best (lowest score) first.
 */
import { sr25519VrfSignIn, sr25519VrfVerifyIn } from "./crypto/vrf.js";
import { TensorchainError } from "./errors.js";
import { blake2_256, concat } from "./hashing.js";
import { bytesEqual, compareBytes, toHex } from "./hex.js";
import { T, type TyValue } from "./scale/types.js";
import { AccountId, type DigestItemValue, H256, type HeaderValue } from "./types.js";
import { workLeaf } from "./workRoot.js";

export type PouwErrorType =
  /** A ticket field of the wrong size or range (a caller's bug, or bytes not from a decoder). */
  | { code: "POUW_ERROR_BAD_INPUT"; reason: string }
  /** The `pouw` pre-runtime digest does not decode as `Vec<PouwTicket>`. */
  | { code: "POUW_ERROR_BAD_DIGEST"; reason: string }
  /** More than one `pouw` pre-runtime digest in a header. */
  | { code: "POUW_ERROR_MULTIPLE_DIGESTS"; count: number }
  /** The digest holds more tickets than `MaxTicketsPerBlock`. */
  | { code: "POUW_ERROR_TOO_MANY_TICKETS"; count: number; max: number }
  /** The VRF proof does not verify for the worker's `work` key over the ticket's input. */
  | { code: "POUW_ERROR_BAD_VRF"; jobId: bigint; leaf: number }
  /** The ticket's score is not below the difficulty target. */
  | { code: "POUW_ERROR_ABOVE_TARGET"; jobId: bigint; leaf: number }
  /** No such job. */
  | { code: "POUW_ERROR_UNKNOWN_JOB"; jobId: bigint }
  /** The job is not training (or revealing): tickets are progress reports of a running job. */
  | { code: "POUW_ERROR_JOB_NOT_TRAINING"; jobId: bigint }
  /** The worker is not one of the job's trainers. */
  | { code: "POUW_ERROR_NOT_ASSIGNED"; jobId: bigint; worker: string }
  /** The worker has no registered `work` key. */
  | { code: "POUW_ERROR_NO_WORK_KEY"; worker: string }
  /** The leaf is beyond the job's leaf count. */
  | { code: "POUW_ERROR_LEAF_OUT_OF_RANGE"; jobId: bigint; leaf: number; leafCount: number }
  /** The worker already has a ticket for this leaf on chain. */
  | { code: "POUW_ERROR_REPLAYED"; jobId: bigint; worker: string; leaf: number }
  /** The worker already has `max` tickets accepted for the job (on chain and earlier in the block). */
  | { code: "POUW_ERROR_WORKER_CAP"; jobId: bigint; worker: string; max: number }
  /** The same (job, worker, leaf) twice in one list. */
  | { code: "POUW_ERROR_DUPLICATE"; jobId: bigint; worker: string; leaf: number };

export class PouwError extends TensorchainError<PouwErrorType> {}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** The digest's engine id, `*b"pouw"`. */
export const POUW_ENGINE_ID = utf8("pouw");
/** The schnorrkel signing context of tickets. */
export const POUW_VRF_CONTEXT = utf8("tensorchain-pouw");
/** Domain label of the ticket score (so it can never equal BABE's output for the same key). */
export const POUW_SCORE_LABEL = utf8("tensorchain-pouw-output");
/** Bytes of one encoded `PouwTicket`: 8 + 32 + 4 + 32 + 32 + 64. */
export const POUW_TICKET_BYTES = 172;
/** 2^256: a target at this value accepts every score. */
export const MAX_POUW_TARGET = 1n << 256n;

export const PouwTicket = T.struct(
  {
    job_id: T.u64,
    worker: AccountId,
    leaf: T.u32,
    leaf_hash: H256,
    vrf_output: T.fixedBytes(32),
    vrf_proof: T.fixedBytes(64),
  },
  { path: ["tensorchain_primitives", "pouw", "PouwTicket"] },
);
export type PouwTicketValue = TyValue<typeof PouwTicket>;

/** The `pouw` pre-runtime digest's payload. */
export const PouwPreDigest = T.vec(PouwTicket);

/** The work-root leaf node of leaf `leaf` with state hash `stateHash`: what a ticket's `leaf_hash` is. */
export function leafNodeHash(leaf: number, stateHash: Uint8Array): Uint8Array {
  checkLeaf(leaf);
  if (stateHash.length !== 32)
    throw new PouwError({ code: "POUW_ERROR_BAD_INPUT", reason: "state hash must be 32 bytes" });
  return workLeaf(leaf, stateHash);
}

function checkLeaf(leaf: number): void {
  // Leaves are 1-based (workRoot.ts); a u32 on chain.
  if (!Number.isInteger(leaf) || leaf < 1 || leaf > 0xffff_ffff)
    throw new PouwError({ code: "POUW_ERROR_BAD_INPUT", reason: `leaf ${leaf} is not in 1..2^32-1` });
}

export interface TicketClaim {
  /** The epoch randomness the ticket is drawn against (32 bytes). */
  randomness: Uint8Array;
  jobId: bigint;
  leaf: number;
  /** The work-root leaf node (`leafNodeHash`), 32 bytes. */
  leafHash: Uint8Array;
}

/** The VRF input of a ticket: randomness ++ u64_le(job_id) ++ u32_le(leaf) ++ leaf_hash. */
export function ticketInput(claim: TicketClaim): Uint8Array {
  const { randomness, jobId, leaf, leafHash } = claim;
  if (randomness.length !== 32)
    throw new PouwError({ code: "POUW_ERROR_BAD_INPUT", reason: "epoch randomness must be 32 bytes" });
  if (leafHash.length !== 32)
    throw new PouwError({ code: "POUW_ERROR_BAD_INPUT", reason: "leaf hash must be 32 bytes" });
  if (jobId < 0n || jobId >= 1n << 64n)
    throw new PouwError({ code: "POUW_ERROR_BAD_INPUT", reason: `job id ${jobId} is not a u64` });
  checkLeaf(leaf);
  return concat(randomness, T.u64.enc(jobId), T.u32.enc(leaf), leafHash);
}

/** The 32-byte ticket score of a VRF pre-output over `input` (module docs). */
export function ticketScore(input: Uint8Array, vrfOutput: Uint8Array): Uint8Array {
  return blake2_256(concat(POUW_SCORE_LABEL, input, vrfOutput));
}

/** A 32-byte output read as a big-endian unsigned integer. */
export function scoreValue(output: Uint8Array): bigint {
  if (output.length !== 32) throw new PouwError({ code: "POUW_ERROR_BAD_INPUT", reason: "output must be 32 bytes" });
  let v = 0n;
  for (const b of output) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * Whether `output` (32 bytes, big-endian) is strictly below `target` (0..2^256). Target 0 accepts
 * nothing; 2^256 accepts everything.
 */
export function isBelowTarget(output: Uint8Array, target: bigint): boolean {
  if (target < 0n || target > MAX_POUW_TARGET)
    throw new PouwError({ code: "POUW_ERROR_BAD_INPUT", reason: `target ${target} is not in 0..2^256` });
  return scoreValue(output) < target;
}

export interface SignedTicket {
  /** The VRF pre-output (the digest's `vrf_output`). */
  vrfOutput: Uint8Array;
  /** The VRF proof (the digest's `vrf_proof`). */
  vrfProof: Uint8Array;
  /** The ticket score, to compare with the target before gossiping. */
  score: Uint8Array;
}

/** Signs a ticket with the worker's sr25519 `work` secret key (util-crypto's 64-byte layout). */
export function signTicket(workSecretKey: Uint8Array, claim: TicketClaim): SignedTicket {
  const input = ticketInput(claim);
  const sig = sr25519VrfSignIn(workSecretKey, POUW_VRF_CONTEXT, input);
  return { vrfOutput: sig.pre_output, vrfProof: sig.proof, score: ticketScore(input, sig.pre_output) };
}

/** The full digest entry for a signed ticket. */
export function makeTicket(worker: Uint8Array, claim: TicketClaim, signed: SignedTicket): PouwTicketValue {
  return {
    job_id: claim.jobId,
    worker,
    leaf: claim.leaf,
    leaf_hash: claim.leafHash,
    vrf_output: signed.vrfOutput,
    vrf_proof: signed.vrfProof,
  };
}

/**
 * Whether the ticket's VRF verifies under `workPublicKey` against `randomness`. Does not check the key
 * is the worker's registered `work` key, the job, the leaf's novelty or the target: the caller does.
 * Malformed fields give false.
 */
export function verifyTicketVrf(workPublicKey: Uint8Array, randomness: Uint8Array, ticket: PouwTicketValue): boolean {
  let input: Uint8Array;
  try {
    input = ticketInput({ randomness, jobId: ticket.job_id, leaf: ticket.leaf, leafHash: ticket.leaf_hash });
  } catch {
    return false;
  }
  return sr25519VrfVerifyIn(workPublicKey, POUW_VRF_CONTEXT, input, {
    pre_output: ticket.vrf_output,
    proof: ticket.vrf_proof,
  });
}

/** The score of a decoded ticket against `randomness` (the VRF is not checked here). */
export function scoreOf(randomness: Uint8Array, ticket: PouwTicketValue): Uint8Array {
  const input = ticketInput({ randomness, jobId: ticket.job_id, leaf: ticket.leaf, leafHash: ticket.leaf_hash });
  return ticketScore(input, ticket.vrf_output);
}

/**
 * The VRF and target checks of one ticket, the part that needs no chain state. Throws
 * `POUW_ERROR_BAD_VRF` or `POUW_ERROR_ABOVE_TARGET`; returns the score.
 */
export function checkTicket(
  workPublicKey: Uint8Array,
  randomness: Uint8Array,
  ticket: PouwTicketValue,
  target: bigint,
): Uint8Array {
  if (!verifyTicketVrf(workPublicKey, randomness, ticket))
    throw new PouwError({ code: "POUW_ERROR_BAD_VRF", jobId: ticket.job_id, leaf: ticket.leaf });
  const score = scoreOf(randomness, ticket);
  if (!isBelowTarget(score, target))
    throw new PouwError({ code: "POUW_ERROR_ABOVE_TARGET", jobId: ticket.job_id, leaf: ticket.leaf });
  return score;
}

/**
 * Decodes a `pouw` digest payload. Rejects more than `maxTickets` (when given) from the length prefix,
 * before decoding any ticket. Throws `POUW_ERROR_BAD_DIGEST` or `POUW_ERROR_TOO_MANY_TICKETS`.
 */
export function decodePouwDigest(payload: Uint8Array, maxTickets?: number): PouwTicketValue[] {
  if (maxTickets !== undefined) {
    let count: number;
    try {
      count = T.compactU32.dec(prefixOf(payload));
    } catch (err) {
      throw new PouwError({ code: "POUW_ERROR_BAD_DIGEST", reason: (err as Error).message });
    }
    if (count > maxTickets) throw new PouwError({ code: "POUW_ERROR_TOO_MANY_TICKETS", count, max: maxTickets });
  }
  try {
    return PouwPreDigest.dec(payload);
  } catch (err) {
    throw new PouwError({ code: "POUW_ERROR_BAD_DIGEST", reason: (err as Error).message });
  }
}

/** The bytes of the compact length prefix alone (its mode is in the low two bits of the first byte). */
function prefixOf(payload: Uint8Array): Uint8Array {
  if (payload.length === 0) return payload;
  const mode = payload[0]! & 3;
  const len = mode === 0 ? 1 : mode === 1 ? 2 : mode === 2 ? 4 : 5 + (payload[0]! >> 2);
  return payload.slice(0, len);
}

/** The `PreRuntime(*b"pouw", …)` digest item for `tickets` (in the order given). */
export function pouwDigestItem(tickets: readonly PouwTicketValue[]): DigestItemValue {
  return { tag: "PreRuntime", value: [POUW_ENGINE_ID, PouwPreDigest.enc([...tickets])] };
}

/**
 * The tickets of a header's `pouw` pre-runtime digest; none without one. Throws
 * `POUW_ERROR_MULTIPLE_DIGESTS`, `POUW_ERROR_BAD_DIGEST` or `POUW_ERROR_TOO_MANY_TICKETS`.
 */
export function findPouwTickets(header: Pick<HeaderValue, "digest">, maxTickets?: number): PouwTicketValue[] {
  const found: Uint8Array[] = [];
  for (const item of header.digest.logs) {
    if (item.tag !== "PreRuntime") continue;
    const [id, data] = item.value;
    if (bytesEqual(id, POUW_ENGINE_ID)) found.push(data);
  }
  if (found.length === 0) return [];
  if (found.length > 1) throw new PouwError({ code: "POUW_ERROR_MULTIPLE_DIGESTS", count: found.length });
  return decodePouwDigest(found[0]!, maxTickets);
}

/** Identifies a ticket for deduplication: one ticket per (job, worker, leaf). */
export function ticketKey(t: PouwTicketValue): string {
  return `${t.job_id}:${toHex(t.worker)}:${t.leaf}`;
}

/**
 * The proposer's pick: at most `max` tickets, one per (job, worker, leaf), best (lowest score against
 * `randomness`) first; equal scores by encoded bytes, so every node orders the same set the same way.
 * Validity is the caller's business (only valid tickets should be offered).
 */
export function selectTickets(
  randomness: Uint8Array,
  candidates: readonly PouwTicketValue[],
  max: number,
): PouwTicketValue[] {
  const scored = candidates.map((t) => ({ t, score: scoreOf(randomness, t), bytes: PouwTicket.enc(t) }));
  scored.sort((a, b) => compareBytes(a.score, b.score) || compareBytes(a.bytes, b.bytes));
  const seen = new Set<string>();
  const out: PouwTicketValue[] = [];
  for (const s of scored) {
    if (out.length >= max) break;
    const k = ticketKey(s.t);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(s.t);
  }
  return out;
}

/**
 * What checking a ticket needs from chain state, as the runtime reads it at the block's parent (or the
 * gossip validator at its best block), so the `pouw` pallet and the gossip validator apply one rule.
 */
export interface TicketContext {
  /** The epoch randomness tickets are drawn against. */
  randomness: Uint8Array;
  /** `PoUW.Difficulty`. */
  target: bigint;
  /** The job's ticket-relevant state; undefined when there is no such job. */
  job(jobId: bigint): { training: boolean; leafCount: number } | undefined;
  isAssigned(jobId: bigint, worker: Uint8Array): boolean;
  /** The worker's registered sr25519 `work` public key. */
  workKey(worker: Uint8Array): Uint8Array | undefined;
  /** Whether `PoUW.Tickets` already holds this (job, worker, leaf). */
  hasTicket(jobId: bigint, worker: Uint8Array, leaf: number): boolean;
  /**
   * Tickets of the worker already accepted for the job, and the most it may have
   * (`pouw.max_tickets_per_worker`): every ticketed leaf's segment is audited, so this bounds what
   * tickets add to a result's audit. Optional for callers that do not enforce it (tests of other rules).
   */
  ticketCount?(jobId: bigint, worker: Uint8Array): number;
  maxTicketsPerWorker?: number;
}

/**
 * Checks one ticket against chain state (issue 12's rules): the job exists and is training, the
 * worker is assigned and has a `work` key, the leaf is within the job's leaf count and new for the
 * worker, the worker has fewer than `maxTicketsPerWorker` tickets for the job (counting
 * `earlierInBlock` of its tickets placed before this one in the same block), the score is below the
 * target and the VRF verifies. The target is checked before the VRF
 * because it is a hash where the VRF is ~1 ms; a ticket must pass both, so the order only chooses the
 * error. Throws the matching `POUW_ERROR_*`; returns the score.
 */
export function validateTicket(ticket: PouwTicketValue, ctx: TicketContext, earlierInBlock = 0): Uint8Array {
  const jobId = ticket.job_id;
  const worker = toHex(ticket.worker);
  const job = ctx.job(jobId);
  if (!job) throw new PouwError({ code: "POUW_ERROR_UNKNOWN_JOB", jobId });
  if (!job.training) throw new PouwError({ code: "POUW_ERROR_JOB_NOT_TRAINING", jobId });
  if (!ctx.isAssigned(jobId, ticket.worker)) throw new PouwError({ code: "POUW_ERROR_NOT_ASSIGNED", jobId, worker });
  const key = ctx.workKey(ticket.worker);
  if (!key) throw new PouwError({ code: "POUW_ERROR_NO_WORK_KEY", worker });
  if (ticket.leaf < 1 || ticket.leaf > job.leafCount)
    throw new PouwError({ code: "POUW_ERROR_LEAF_OUT_OF_RANGE", jobId, leaf: ticket.leaf, leafCount: job.leafCount });
  if (ctx.hasTicket(jobId, ticket.worker, ticket.leaf))
    throw new PouwError({ code: "POUW_ERROR_REPLAYED", jobId, worker, leaf: ticket.leaf });
  const max = ctx.maxTicketsPerWorker;
  if (max !== undefined && (ctx.ticketCount?.(jobId, ticket.worker) ?? 0) + earlierInBlock >= max)
    throw new PouwError({ code: "POUW_ERROR_WORKER_CAP", jobId, worker, max });
  const score = scoreOf(ctx.randomness, ticket);
  if (!isBelowTarget(score, ctx.target))
    throw new PouwError({ code: "POUW_ERROR_ABOVE_TARGET", jobId, leaf: ticket.leaf });
  if (!verifyTicketVrf(key, ctx.randomness, ticket))
    throw new PouwError({ code: "POUW_ERROR_BAD_VRF", jobId, leaf: ticket.leaf });
  return score;
}

/**
 * Checks a block's tickets: at most `maxTickets`, no (job, worker, leaf) twice, each valid
 * (`validateTicket`). The first failure throws: one bad ticket invalidates the whole block. Order is
 * not a validity rule (the proposer's best-first order is a convention).
 */
export function validateTickets(tickets: readonly PouwTicketValue[], ctx: TicketContext, maxTickets: number): void {
  if (tickets.length > maxTickets)
    throw new PouwError({ code: "POUW_ERROR_TOO_MANY_TICKETS", count: tickets.length, max: maxTickets });
  const seen = new Set<string>();
  for (const t of tickets) {
    const k = ticketKey(t);
    if (seen.has(k))
      throw new PouwError({ code: "POUW_ERROR_DUPLICATE", jobId: t.job_id, worker: toHex(t.worker), leaf: t.leaf });
    seen.add(k);
  }
  // Every state check after the cheap ones, so a malformed list costs no VRF. A worker's earlier
  // tickets in the list count toward its cap.
  const earlier = new Map<string, number>();
  for (const t of tickets) {
    const who = workerJobKey(t);
    validateTicket(t, ctx, earlier.get(who) ?? 0);
    earlier.set(who, (earlier.get(who) ?? 0) + 1);
  }
}

/** The key a worker's tickets of one job are counted under (`POUW_ERROR_WORKER_CAP`). */
export function workerJobKey(t: PouwTicketValue): string {
  return `${t.job_id}:${toHex(t.worker)}`;
}
