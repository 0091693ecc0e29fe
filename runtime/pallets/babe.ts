/**
 * # BABE pallet
 *
 * ## Overview
 * The on-chain side of BABE block production: the current slot and the epoch randomness that seeds
 * the slot lottery. Block authors prove their slot claims with an sr25519 VRF over
 * `(epoch randomness, slot, epoch index)`; the pre-outputs of this epoch's primary blocks are folded
 * into an accumulator, which becomes part of the randomness of the epoch after next.
 *
 * ## Terminology
 * - Epoch: in tensorchain an epoch *is* a session: `EpochDuration` = `SESSION_LENGTH` blocks, and block
 *   `n` belongs to epoch `floor(n / SESSION_LENGTH)` (`sessionIndexAt`). `EpochIndex` equals the session
 *   pallet's `CurrentIndex`.
 * - Pre-digest: the author's `PreRuntime(b"BABE", PreDigest)` header item (Substrate's byte layout:
 *   variant 1 Primary / 2 SecondaryPlain / 3 SecondaryVRF, authority index u32, slot u64, and for 1
 *   and 3 a VRF signature `pre_output [u8; 32] ++ proof [u8; 64]`).
 * - Accumulator: `blake2_256(accumulator ++ pre_output)` over this epoch's primary blocks, in block
 *   order, starting from 32 zero bytes.
 *
 * ## Randomness schedule (tensorchain's exact bytes)
 * - Genesis: `Randomness = NextRandomness = GENESIS_RANDOMNESS = blake2_256("tensorchain-genesis-randomness")`,
 *   the same on every chain. They are the storage defaults, so genesis writes nothing for this pallet.
 * - In `onInitialize` of the first block of epoch `e > 0` (block `e * SESSION_LENGTH`, after the session
 *   pallet has rotated, since hooks run in pallet-index order and Session is 6):
 *   `Randomness = NextRandomness`,
 *   `NextRandomness = blake2_256(NextRandomness ++ Accumulator ++ u64_le(e))`,
 *   `Accumulator = [0; 32]`, `EpochIndex = e`. That block's own pre-output then starts the new accumulator.
 * So the randomness of epoch `e + 1` is fixed at the first block of epoch `e`, one whole epoch before
 * it is used, like the authority set (`Session.NextAuthorities`).
 *
 * ## Slot duration: per chain spec, not per runtime
 * Substrate fixes the slot duration in the runtime (`ExpectedBlockTime`, `MinimumPeriod`), so every chain
 * running one runtime ticks at one pace. tensorchain keeps it in genesis storage instead
 * (`SlotDuration`, from the chain spec's `babe.slotDurationMs`, default `DEFAULT_SLOT_DURATION_MS`) so
 * that tests and fast devnets can run the very same runtime with short slots (a 500-block sync test
 * at 2 s slots would take 17 minutes). No call changes it after genesis: every node reads it from
 * state for its slot clock and drift checks, and the timestamp pallet's minimum period is half of it.
 * The `ExpectedBlockTime` constant in the metadata is the default, which the built-in specs use.
 *
 * ## Assumptions
 * The node's consensus checks the VRF proofs and that the author is entitled to the slot; this pallet
 * trusts the pre-output it is given. The runtime itself rejects (by throwing, which makes the block
 * invalid): more than one BABE pre-digest, an undecodable one, a slot that is not strictly greater
 * than the previous block's, and an author disabled by an offence (`Session.DisabledValidators`, as
 * FRAME's `pallet_babe` with `DisabledValidators`). A block without a BABE pre-digest (a dev chain sealed otherwise, or a
 * transaction-validation context) leaves the slot and the accumulator untouched.
 */

import { TensorchainError } from "../../primitives/errors.js";
import { blake2_256, concat } from "../../primitives/hashing.js";
import { bytesEqual } from "../../primitives/hex.js";
import { T } from "../../primitives/scale/types.js";
import type { WeightValue } from "../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../constants.js";
import { weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { pallet } from "../frame/pallet.js";
import { storageValue } from "../frame/storage.js";
import { BABE_ENGINE_ID, disabledValidators, SESSION_LENGTH, sessionIndex, sessionIndexAt } from "./session.js";
import { System } from "./system.js";

/** Blocks per epoch: the session length (an epoch is a session). */
export const EPOCH_DURATION = SESSION_LENGTH;
/** The slot duration, in milliseconds, of a chain whose genesis does not set `SlotDuration`. */
export const DEFAULT_SLOT_DURATION_MS = 2000n;
/** The shortest slot a genesis may set (half of it is the timestamp pallet's minimum period). */
export const MIN_SLOT_DURATION_MS = 10n;
/** BABE's `c`: the probability that a slot has a primary author, as `(numerator, denominator)`. */
export const PRIMARY_PROBABILITY: readonly [bigint, bigint] = [1n, 4n];
/** Both epoch randomness values at genesis (storage defaults): `blake2_256("tensorchain-genesis-randomness")`. */
export const GENESIS_RANDOMNESS: Uint8Array = blake2_256(new TextEncoder().encode("tensorchain-genesis-randomness"));
/** The accumulator at the start of each epoch. */
export const EMPTY_ACCUMULATOR: Uint8Array = new Uint8Array(32);

const Randomness32 = T.fixedBytes(32);
const Slot = T.u64;

export type BabeRuntimeErrorType =
  | { code: "BABE_RUNTIME_ERROR_MULTIPLE_PRE_DIGESTS"; count: number }
  | { code: "BABE_RUNTIME_ERROR_BAD_PRE_DIGEST"; reason: string }
  | { code: "BABE_RUNTIME_ERROR_SLOT_NOT_INCREASING"; slot: bigint; previous: bigint }
  | { code: "BABE_RUNTIME_ERROR_DISABLED_AUTHOR"; authorityIndex: number }
  | { code: "BABE_RUNTIME_ERROR_BAD_GENESIS"; reason: string };

/** Thrown from `onInitialize`: the block breaks a BABE rule of the runtime and can never be valid. */
export class BabeRuntimeError extends TensorchainError<BabeRuntimeErrorType> {}

export const Babe = pallet({
  name: "Babe",
  index: 9,
  module: "pallet_babe",
  docs: ["BABE's on-chain state: the current slot and the epoch randomness of the slot lottery."],
  storage: {
    SlotDuration: storageValue(T.u64, {
      default: DEFAULT_SLOT_DURATION_MS,
      docs: [
        " The slot duration in milliseconds, fixed at genesis by the chain spec (`babe.slotDurationMs`).",
        " Half of it is the least time between two block timestamps.",
      ],
    }),
    EpochIndex: storageValue(T.u64, {
      default: 0n,
      docs: [" Current epoch index (equal to the session index: an epoch is a session)."],
    }),
    GenesisSlot: storageValue(Slot, {
      docs: [
        " The slot of the first block with a BABE pre-digest. Until that block it is unset, and the",
        " first block may claim any slot.",
      ],
    }),
    CurrentSlot: storageValue(Slot, { default: 0n, docs: [" Current slot number."] }),
    Randomness: storageValue(Randomness32, {
      default: GENESIS_RANDOMNESS,
      docs: [
        " The epoch randomness for the *current* epoch: the VRF input of this epoch's slot claims.",
        "",
        ' At genesis it is `blake2_256("tensorchain-genesis-randomness")`.',
      ],
    }),
    NextRandomness: storageValue(Randomness32, {
      default: GENESIS_RANDOMNESS,
      docs: [" Next epoch randomness (fixed one whole epoch before it is used)."],
    }),
    Accumulator: storageValue(Randomness32, {
      default: EMPTY_ACCUMULATOR,
      docs: [
        " Running `blake2_256(accumulator ++ pre_output)` over this epoch's primary VRF pre-outputs;",
        " folded into `NextRandomness` at the next epoch change and then reset to zeros.",
      ],
    }),
  },
  constants: {
    EpochDuration: {
      type: T.u64,
      value: BigInt(EPOCH_DURATION),
      docs: [" The number of blocks in an epoch (an epoch is a session)."],
    },
    ExpectedBlockTime: {
      type: T.u64,
      value: DEFAULT_SLOT_DURATION_MS,
      docs: [
        " The expected average block time, in milliseconds: the default slot duration. A chain spec may",
        " set another at genesis; the chain's own is the `SlotDuration` storage item.",
      ],
    },
    PrimaryProbability: {
      type: T.tuple(T.u64, T.u64),
      value: [...PRIMARY_PROBABILITY],
      docs: [" BABE's `c`: the probability of a slot having a primary author, as (numerator, denominator)."],
    },
  },
});

/** A decoded BABE pre-digest (only what the runtime needs of it). */
export interface BabePreDigest {
  kind: "Primary" | "SecondaryPlain" | "SecondaryVRF";
  authorityIndex: number;
  slot: bigint;
  /** The VRF pre-output, for Primary and SecondaryVRF. */
  preOutput?: Uint8Array;
}

const PRE_DIGEST_KINDS = { 1: "Primary", 2: "SecondaryPlain", 3: "SecondaryVRF" } as const;
const PLAIN_LEN = 1 + 4 + 8;
const VRF_LEN = PLAIN_LEN + 32 + 64;

/**
 * Decodes a `PreRuntime(b"BABE", …)` payload exactly (no trailing bytes). A self-contained copy of the
 * codec in `consensus/babe/digests.ts`, since the runtime imports only primitives.
 */
export function decodeBabePreDigest(bytes: Uint8Array): BabePreDigest {
  const bad = (reason: string): never => {
    throw new BabeRuntimeError({ code: "BABE_RUNTIME_ERROR_BAD_PRE_DIGEST", reason });
  };
  if (bytes.length === 0) bad("empty");
  const kind = PRE_DIGEST_KINDS[bytes[0] as 1 | 2 | 3];
  if (!kind) return bad(`unknown variant ${bytes[0]}`);
  const expected = kind === "SecondaryPlain" ? PLAIN_LEN : VRF_LEN;
  if (bytes.length !== expected) bad(`${kind} pre-digest must be ${expected} bytes, got ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    kind,
    authorityIndex: dv.getUint32(1, true),
    slot: dv.getBigUint64(5, true),
    preOutput: kind === "SecondaryPlain" ? undefined : bytes.slice(PLAIN_LEN, PLAIN_LEN + 32),
  };
}

/** The block's BABE pre-digest from `System.Digest`, if any. Throws if there are several or it is malformed. */
export function blockPreDigest(ext: Ext): BabePreDigest | undefined {
  const found: Uint8Array[] = [];
  for (const item of System.storage.Digest.getOrDefault(ext).logs) {
    if (item.tag === "PreRuntime" && bytesEqual(item.value[0], BABE_ENGINE_ID)) found.push(item.value[1]);
  }
  if (found.length === 0) return undefined;
  if (found.length > 1)
    throw new BabeRuntimeError({ code: "BABE_RUNTIME_ERROR_MULTIPLE_PRE_DIGESTS", count: found.length });
  return decodeBabePreDigest(found[0]);
}

/** The accumulator after one more primary block: `blake2_256(accumulator ++ pre_output)`. */
export function accumulate(accumulator: Uint8Array, preOutput: Uint8Array): Uint8Array {
  return blake2_256(concat(accumulator, preOutput));
}

/** `NextRandomness` set at the start of epoch `newEpochIndex`: `blake2_256(next ++ accumulator ++ u64_le(index))`. */
export function computeNextRandomness(next: Uint8Array, accumulator: Uint8Array, newEpochIndex: bigint): Uint8Array {
  return blake2_256(concat(next, accumulator, T.u64.enc(newEpochIndex)));
}

/** The epoch change, at the first block of epoch `newEpochIndex`. */
function rotateEpoch(ext: Ext, newEpochIndex: bigint): void {
  const s = Babe.storage;
  const next = s.NextRandomness.getOrDefault(ext);
  const acc = s.Accumulator.getOrDefault(ext);
  s.Randomness.put(ext, next);
  s.NextRandomness.put(ext, computeNextRandomness(next, acc, newEpochIndex));
  s.Accumulator.kill(ext);
  s.EpochIndex.put(ext, newEpochIndex);
}

/** Checks and records the block's slot, and folds a primary pre-output into the accumulator. */
function noteBlock(ext: Ext, pre: BabePreDigest): void {
  const s = Babe.storage;
  const genesisSlot = s.GenesisSlot.get(ext);
  const previous = s.CurrentSlot.getOrDefault(ext);
  if (genesisSlot !== undefined && pre.slot <= previous)
    throw new BabeRuntimeError(
      { code: "BABE_RUNTIME_ERROR_SLOT_NOT_INCREASING", slot: pre.slot, previous },
      `Slot ${pre.slot} does not follow the parent's slot ${previous}`,
    );
  // No errors after this point.
  if (genesisSlot === undefined) s.GenesisSlot.put(ext, pre.slot);
  s.CurrentSlot.put(ext, pre.slot);
  if (pre.kind === "Primary" && pre.preOutput)
    s.Accumulator.put(ext, accumulate(s.Accumulator.getOrDefault(ext), pre.preOutput));
}

Babe.defineHooks({
  onInitialize(ext, n): WeightValue {
    let reads = 1n;
    let writes = 0n;
    if (n > 0 && n % EPOCH_DURATION === 0) {
      rotateEpoch(ext, BigInt(sessionIndexAt(n)));
      reads += 2n;
      writes += 4n;
    }
    const pre = blockPreDigest(ext);
    if (pre) {
      // After the session rotation (Session's hook runs first): the list of the block's own set.
      if (disabledValidators(ext).includes(pre.authorityIndex))
        throw new BabeRuntimeError(
          { code: "BABE_RUNTIME_ERROR_DISABLED_AUTHOR", authorityIndex: pre.authorityIndex },
          `Authority ${pre.authorityIndex} is disabled and may not author blocks`,
        );
      noteBlock(ext, pre);
      reads += 4n;
      writes += 2n;
    }
    return weight(DB_READ_WEIGHT * reads + DB_WRITE_WEIGHT * writes);
  },
});

/** The Babe part of the genesis config. */
export interface BabeGenesisConfig {
  /** The slot duration in milliseconds; at least `MIN_SLOT_DURATION_MS`. */
  slotDurationMs: bigint;
}

/** Writes the chain's slot duration. Throws if it is shorter than `MIN_SLOT_DURATION_MS`. */
export function buildBabeGenesis(ext: Ext, config: BabeGenesisConfig): void {
  if (config.slotDurationMs < MIN_SLOT_DURATION_MS)
    throw new BabeRuntimeError(
      { code: "BABE_RUNTIME_ERROR_BAD_GENESIS", reason: "slot duration too short" },
      `Genesis: the slot duration must be at least ${MIN_SLOT_DURATION_MS} ms, got ${config.slotDurationMs}`,
    );
  Babe.storage.SlotDuration.put(ext, config.slotDurationMs);
}

// ---- What the node reads (pure reads of the state `ext` wraps) ----

/** The chain's slot duration in milliseconds (set at genesis, never changed). */
export function slotDuration(ext: Ext): bigint {
  return Babe.storage.SlotDuration.getOrDefault(ext);
}

/** The slot of the state's block (0 before the first BABE block). */
export function currentSlot(ext: Ext): bigint {
  return Babe.storage.CurrentSlot.getOrDefault(ext);
}

/** The slot of the first BABE block, if there has been one. */
export function genesisSlot(ext: Ext): bigint | undefined {
  return Babe.storage.GenesisSlot.get(ext);
}

/** The state's epoch index (= its session index). */
export function epochIndex(ext: Ext): bigint {
  return Babe.storage.EpochIndex.getOrDefault(ext);
}

/** The randomness of the state's epoch. */
export function randomness(ext: Ext): Uint8Array {
  return Babe.storage.Randomness.getOrDefault(ext);
}

/** The randomness of the epoch after the state's. */
export function nextRandomness(ext: Ext): Uint8Array {
  return Babe.storage.NextRandomness.getOrDefault(ext);
}

/**
 * The epoch randomness that block `blockNumber`'s slot claim uses, read from its parent's state:
 * `Randomness` if the block is in the parent's epoch, `NextRandomness` if it is the first block of the
 * next one. Throws `RangeError` for any other block (the parent state does not know it yet).
 */
export function epochRandomnessFor(ext: Ext, blockNumber: number): Uint8Array {
  const epoch = sessionIndexAt(blockNumber);
  const current = sessionIndex(ext);
  if (epoch === current) return randomness(ext);
  if (epoch === current + 1) return nextRandomness(ext);
  throw new RangeError(`Block ${blockNumber} (epoch ${epoch}) is not in epoch ${current} or the next`);
}

/**
 * Chain randomness for `subject` (FRAME's `RandomnessFromOneEpochAgo`): `blake2_256(subject ++ Randomness)`.
 * Known one epoch in advance, so only for choices that cannot be influenced by waiting.
 */
export function randomnessForSubject(ext: Ext, subject: Uint8Array): Uint8Array {
  return blake2_256(concat(subject, randomness(ext)));
}
