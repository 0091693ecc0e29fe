/**
 * BABE's digest items, byte-compatible with `sp-consensus-babe`:
 *
 *   PreRuntime(b"BABE", PreDigest)        PreDigest = enum {
 *                                            1: Primary        { authority_index: u32, slot: u64, vrf_signature },
 *                                            2: SecondaryPlain { authority_index: u32, slot: u64 },
 *                                            3: SecondaryVRF   { authority_index: u32, slot: u64, vrf_signature } }
 *                                          vrf_signature = VrfSignature { pre_output: [u8; 32], proof: [u8; 64] }
 *   Seal(b"BABE", sr25519 signature)       64 bytes over the hash of the header without the seal
 *   Consensus(b"BABE", ConsensusLog)       ConsensusLog = enum {
 *                                            1: NextEpochData(NextEpochDescriptor { authorities: Vec<([u8; 32], u64)>, randomness: [u8; 32] }),
 *                                            2: OnDisabled(u32),
 *                                            3: NextConfigData(NextConfigDescriptor::V1 { c: (u64, u64), allowed_slots }) }
 *                                          AllowedSlots = enum { 0: PrimarySlots, 1: PrimaryAndSecondaryPlainSlots, 2: PrimaryAndSecondaryVRFSlots }
 */
import { T, type TyValue } from "../../primitives/scale/types.js";
import type { DigestItemValue, HeaderValue } from "../../primitives/types.js";
import { digestPayloads, engineId } from "../header.js";
import { BabeError } from "./errors.js";

export const BABE_ENGINE_ID = engineId("BABE");

/** `sp_core::sr25519::vrf::VrfSignature`: the VRF pre-output (a Ristretto point) and the DLEQ proof (c ++ s). */
export const VrfSignature = T.struct(
  { pre_output: T.fixedBytes(32), proof: T.fixedBytes(64) },
  { path: ["sp_core", "sr25519", "vrf", "VrfSignature"] },
);
export type VrfSignatureValue = TyValue<typeof VrfSignature>;

export const PrimaryPreDigest = T.struct(
  { authority_index: T.u32, slot: T.u64, vrf_signature: VrfSignature },
  { path: ["sp_consensus_babe", "digests", "PrimaryPreDigest"] },
);
export const SecondaryPlainPreDigest = T.struct(
  { authority_index: T.u32, slot: T.u64 },
  { path: ["sp_consensus_babe", "digests", "SecondaryPlainPreDigest"] },
);
export const SecondaryVRFPreDigest = T.struct(
  { authority_index: T.u32, slot: T.u64, vrf_signature: VrfSignature },
  { path: ["sp_consensus_babe", "digests", "SecondaryVRFPreDigest"] },
);

export const PreDigest = T.enumeration(
  {
    Primary: { index: 1, fields: PrimaryPreDigest },
    SecondaryPlain: { index: 2, fields: SecondaryPlainPreDigest },
    SecondaryVRF: { index: 3, fields: SecondaryVRFPreDigest },
  },
  { path: ["sp_consensus_babe", "digests", "PreDigest"] },
);
export type PreDigestValue = TyValue<typeof PreDigest>;

export const AllowedSlots = T.enumeration(
  {
    PrimarySlots: { index: 0 },
    PrimaryAndSecondaryPlainSlots: { index: 1 },
    PrimaryAndSecondaryVRFSlots: { index: 2 },
  },
  { path: ["sp_consensus_babe", "AllowedSlots"] },
);
export type AllowedSlotsValue = TyValue<typeof AllowedSlots>["tag"];

export const NextEpochDescriptor = T.struct(
  { authorities: T.vec(T.tuple(T.fixedBytes(32), T.u64)), randomness: T.fixedBytes(32) },
  { path: ["sp_consensus_babe", "digests", "NextEpochDescriptor"] },
);
export type NextEpochDescriptorValue = TyValue<typeof NextEpochDescriptor>;

export const NextConfigDescriptor = T.enumeration(
  { V1: { index: 1, fields: { c: T.tuple(T.u64, T.u64), allowed_slots: AllowedSlots } } },
  { path: ["sp_consensus_babe", "digests", "NextConfigDescriptor"] },
);

export const BabeConsensusLog = T.enumeration(
  {
    NextEpochData: { index: 1, fields: NextEpochDescriptor },
    OnDisabled: { index: 2, fields: T.u32 },
    NextConfigData: { index: 3, fields: NextConfigDescriptor },
  },
  { path: ["sp_consensus_babe", "ConsensusLog"] },
);
export type BabeConsensusLogValue = TyValue<typeof BabeConsensusLog>;

export function preDigestSlot(d: PreDigestValue): bigint {
  return d.value.slot;
}

export function preDigestAuthorityIndex(d: PreDigestValue): number {
  return d.value.authority_index;
}

export function isPrimary(d: PreDigestValue): boolean {
  return d.tag === "Primary";
}

export function preDigestItem(d: PreDigestValue): DigestItemValue {
  return { tag: "PreRuntime", value: [BABE_ENGINE_ID, PreDigest.enc(d)] };
}

export function sealItem(signature: Uint8Array): DigestItemValue {
  return { tag: "Seal", value: [BABE_ENGINE_ID, signature] };
}

/**
 * The header's BABE pre-digest. Throws `BABE_ERROR_MISSING_PRE_DIGEST`, `BABE_ERROR_MULTIPLE_PRE_DIGESTS`
 * or `BABE_ERROR_BAD_PRE_DIGEST` (undecodable).
 */
export function findPreDigest(header: HeaderValue): PreDigestValue {
  const found = digestPayloads(header, "PreRuntime", BABE_ENGINE_ID);
  if (found.length === 0) throw new BabeError({ code: "BABE_ERROR_MISSING_PRE_DIGEST" });
  if (found.length > 1) throw new BabeError({ code: "BABE_ERROR_MULTIPLE_PRE_DIGESTS" });
  try {
    return PreDigest.dec(found[0]!);
  } catch (err) {
    throw new BabeError({ code: "BABE_ERROR_BAD_PRE_DIGEST", reason: (err as Error).message });
  }
}

/** Whether a header claims a primary slot (weight 1 in fork choice); false without a BABE pre-digest. */
export function isPrimaryHeader(header: HeaderValue): boolean {
  try {
    return findPreDigest(header).tag === "Primary";
  } catch {
    return false;
  }
}

/** The slot of a header's BABE pre-digest, undefined without one (genesis, Aura-sealed dev blocks). */
export function headerSlot(header: HeaderValue): bigint | undefined {
  try {
    return findPreDigest(header).value.slot;
  } catch {
    return undefined;
  }
}

/** The `NextEpochData` announcement in the header, if any (the first epoch block carries it). */
export function findNextEpochDescriptor(header: HeaderValue): NextEpochDescriptorValue | undefined {
  for (const payload of digestPayloads(header, "Consensus", BABE_ENGINE_ID)) {
    try {
      const log = BabeConsensusLog.dec(payload);
      if (log.tag === "NextEpochData") return log.value;
    } catch {
      // Not ours to judge here; the runtime wrote it.
    }
  }
  return undefined;
}
