/**
 * Epochs: a fixed number of slots with one authority set, one randomness and one configuration.
 *
 * Randomness (BABE's scheme, tensorchain's exact bytes):
 *   randomness[0] = randomness[1] = the genesis randomness (chain spec)
 *   randomness[n + 2] = blake2-256(randomness[n] ++ u64_le(n + 2) ++ ρ_1 ++ … ++ ρ_k)
 * where ρ_i = `vrfRandomness` of the i-th primary block of epoch n on the chain, in block order.
 * Epoch n + 1's parameters are announced in the first block of epoch n (`NextEpochData`), as in BABE.
 */
import { blake2_256, concat } from "../../primitives/hashing.js";
import { T } from "../../primitives/scale/types.js";
import {
  type AllowedSlotsValue,
  type NextEpochDescriptorValue,
  type PreDigestValue,
  preDigestSlot,
} from "./digests.js";
import { BabeError } from "./errors.js";
import type { Ratio } from "./threshold.js";
import { vrfInput, vrfRandomness } from "./vrf.js";

export interface BabeAuthority {
  /** sr25519 public key. */
  publicKey: Uint8Array;
  /** Stake weight (`BabeAuthorityWeight`). */
  weight: bigint;
}

export interface BabeEpoch {
  epochIndex: bigint;
  startSlot: bigint;
  /** Slots per epoch. */
  duration: bigint;
  authorities: BabeAuthority[];
  randomness: Uint8Array;
  /** Probability of a slot having a primary block, as `(num, den)`; BABE's default is 1/4. */
  c: Ratio;
  allowedSlots: AllowedSlotsValue;
}

export const DEFAULT_C: Ratio = [1n, 4n];

export function epochEndSlot(epoch: BabeEpoch): bigint {
  return epoch.startSlot + epoch.duration;
}

export function slotInEpoch(epoch: BabeEpoch, slot: bigint): boolean {
  return slot >= epoch.startSlot && slot < epochEndSlot(epoch);
}

export function totalWeight(authorities: BabeAuthority[]): bigint {
  let sum = 0n;
  for (const a of authorities) sum += a.weight;
  return sum;
}

/**
 * The secondary author of `slot`, as in `sp-consensus-babe`: blake2-256(randomness ++ u64_le(slot))
 * read as a big-endian U256, modulo the number of authorities.
 */
export function secondarySlotAuthor(slot: bigint, authorities: number, randomness: Uint8Array): number {
  if (authorities <= 0) throw new BabeError({ code: "BABE_ERROR_BAD_EPOCH", reason: "no authorities" });
  const h = blake2_256(concat(randomness, T.u64.enc(slot)));
  let v = 0n;
  for (const b of h) v = (v << 8n) | BigInt(b);
  return Number(v % BigInt(authorities));
}

/** ρ of a block: its contribution to the randomness of epoch n + 2, for primary blocks only. */
export function randomnessContribution(preDigest: PreDigestValue, epoch: BabeEpoch): Uint8Array | undefined {
  if (preDigest.tag !== "Primary") return undefined;
  const input = vrfInput(epoch.randomness, preDigestSlot(preDigest), epoch.epochIndex);
  return vrfRandomness(input, preDigest.value.vrf_signature.pre_output);
}

/** randomness[n + 2] from randomness[n] and the ρ of epoch n's primary blocks, in block order. */
export function computeEpochRandomness(
  previous: Uint8Array,
  targetEpochIndex: bigint,
  contributions: Uint8Array[],
): Uint8Array {
  if (previous.length !== 32) throw new TypeError("randomness must be 32 bytes");
  return blake2_256(concat(previous, T.u64.enc(targetEpochIndex), ...contributions));
}

/** Epoch n + 1 from epoch n and the `NextEpochData` announced at the start of epoch n. */
export function nextEpoch(epoch: BabeEpoch, next: NextEpochDescriptorValue): BabeEpoch {
  return {
    ...epoch,
    epochIndex: epoch.epochIndex + 1n,
    startSlot: epochEndSlot(epoch),
    authorities: next.authorities.map(([publicKey, weight]) => ({ publicKey, weight })),
    randomness: next.randomness,
  };
}

/** The `NextEpochData` describing `epoch` (what the runtime deposits one epoch ahead). */
export function epochDescriptor(epoch: Pick<BabeEpoch, "authorities" | "randomness">): NextEpochDescriptorValue {
  return {
    authorities: epoch.authorities.map((a) => [a.publicKey, a.weight] as [Uint8Array, bigint]),
    randomness: epoch.randomness,
  };
}
