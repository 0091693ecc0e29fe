/**
 * Slot claims: primary by VRF lottery, else secondary by the deterministic rotation (when the epoch's
 * configuration allows it), and the seal.
 */
import { type KeyPair, sign } from "../../primitives/crypto/index.js";
import { bytesEqual } from "../../primitives/hex.js";
import type { DigestItemValue, HeaderValue } from "../../primitives/types.js";
import { hashHeader } from "../header.js";
import { type PreDigestValue, preDigestItem, sealItem } from "./digests.js";
import { type BabeEpoch, secondarySlotAuthor, slotInEpoch, totalWeight } from "./epoch.js";
import { primaryThreshold } from "./threshold.js";
import { vrfInput, vrfSign, vrfThresholdValue } from "./vrf.js";

export interface BabeClaim {
  preDigest: PreDigestValue;
  authorityIndex: number;
  primary: boolean;
  /** The sr25519 key that won the slot; it signs the seal. */
  key: KeyPair;
}

function authorityIndexOf(epoch: BabeEpoch, key: KeyPair): number {
  return epoch.authorities.findIndex((a) => bytesEqual(a.publicKey, key.publicKey));
}

/** A primary claim for one of `keys`, if its VRF output is below its threshold. */
export function claimPrimarySlot(slot: bigint, epoch: BabeEpoch, keys: KeyPair[]): BabeClaim | undefined {
  const total = totalWeight(epoch.authorities);
  if (total === 0n) return undefined;
  const input = vrfInput(epoch.randomness, slot, epoch.epochIndex);
  for (const key of keys) {
    if (key.scheme !== "sr25519") continue;
    const authorityIndex = authorityIndexOf(epoch, key);
    if (authorityIndex < 0) continue;
    const threshold = primaryThreshold(epoch.c, epoch.authorities[authorityIndex]!.weight, total);
    if (threshold === 0n) continue;
    const vrf_signature = vrfSign(key.secretKey, input);
    if (vrfThresholdValue(input, vrf_signature.pre_output) < threshold) {
      return {
        preDigest: { tag: "Primary", value: { authority_index: authorityIndex, slot, vrf_signature } },
        authorityIndex,
        primary: true,
        key,
      };
    }
  }
  return undefined;
}

/** A secondary claim, if one of `keys` is the slot's secondary author and the epoch allows secondary slots. */
export function claimSecondarySlot(slot: bigint, epoch: BabeEpoch, keys: KeyPair[]): BabeClaim | undefined {
  if (epoch.allowedSlots === "PrimarySlots" || epoch.authorities.length === 0) return undefined;
  const authorityIndex = secondarySlotAuthor(slot, epoch.authorities.length, epoch.randomness);
  const expected = epoch.authorities[authorityIndex]!.publicKey;
  const key = keys.find((k) => k.scheme === "sr25519" && bytesEqual(k.publicKey, expected));
  if (!key) return undefined;
  if (epoch.allowedSlots === "PrimaryAndSecondaryPlainSlots") {
    return {
      preDigest: { tag: "SecondaryPlain", value: { authority_index: authorityIndex, slot } },
      authorityIndex,
      primary: false,
      key,
    };
  }
  const vrf_signature = vrfSign(key.secretKey, vrfInput(epoch.randomness, slot, epoch.epochIndex));
  return {
    preDigest: { tag: "SecondaryVRF", value: { authority_index: authorityIndex, slot, vrf_signature } },
    authorityIndex,
    primary: false,
    key,
  };
}

/** Claims `slot` with any of `keys`: primary first, then secondary. Undefined when not entitled. */
export function claimSlot(slot: bigint, epoch: BabeEpoch, keys: KeyPair[]): BabeClaim | undefined {
  if (!slotInEpoch(epoch, slot)) return undefined;
  return claimPrimarySlot(slot, epoch, keys) ?? claimSecondarySlot(slot, epoch, keys);
}

/** The seal item: `Seal(b"BABE", sr25519 signature over the hash of the unsealed header)`. */
export function sealFor(preHash: Uint8Array, key: KeyPair): DigestItemValue {
  return sealItem(sign(key, preHash));
}

/** Appends the BABE seal to an unsealed header. */
export function sealHeader(header: HeaderValue, key: KeyPair): HeaderValue {
  return { ...header, digest: { logs: [...header.digest.logs, sealFor(hashHeader(header), key)] } };
}

/**
 * The shape the slot worker's `claimSlot(slot, parent)` hook returns, plus the BABE seal: the worker
 * must seal with `seal(preHash)` rather than its built-in Aura seal.
 */
export interface BabeSlotClaim {
  preDigest: DigestItemValue[];
  signer: { publicKey: Uint8Array; sign(message: Uint8Array): Uint8Array };
  seal(preHash: Uint8Array): DigestItemValue;
  primary: boolean;
  authorityIndex: number;
}

export interface BabeSlotClaimerModules<Parent> {
  /** The epoch `slot` belongs to on the chain ending at `parent` (from the node's epoch-changes tracking). */
  epochAt(slot: bigint, parent: Parent): BabeEpoch | undefined;
  /** The node's sr25519 block-production keys. */
  keys(): KeyPair[];
  /** The slot of `parent` (undefined for genesis). */
  parentSlot(parent: Parent): bigint | undefined;
  /**
   * Authority indices that may not author a child of `parent` (disabled by an offence): their keys
   * claim nothing, as honest nodes would reject the block.
   */
  disabledAt?(parent: Parent): readonly number[];
}

/** An adapter for `SlotWorkerModules.claimSlot`. */
export function babeSlotClaimer<Parent>(
  modules: BabeSlotClaimerModules<Parent>,
): (slot: bigint, parent: Parent) => BabeSlotClaim | undefined {
  return (slot, parent) => {
    // The best block may already be of this slot (another author's, seen late): a child in the same
    // slot would break "slots strictly increase", so the slot is skipped, as Substrate's worker does.
    const parentSlot = modules.parentSlot(parent);
    if (parentSlot !== undefined && parentSlot >= slot) return undefined;
    const epoch = modules.epochAt(slot, parent);
    if (!epoch) return undefined;
    const disabled = modules.disabledAt?.(parent) ?? [];
    const keys = modules.keys().filter((k) => !disabled.includes(authorityIndexOf(epoch, k)));
    const claim = claimSlot(slot, epoch, keys);
    if (!claim) return undefined;
    const key = claim.key;
    return {
      preDigest: [preDigestItem(claim.preDigest)],
      signer: { publicKey: key.publicKey, sign: (m) => sign(key, m) },
      seal: (preHash) => sealFor(preHash, key),
      primary: claim.primary,
      authorityIndex: claim.authorityIndex,
    };
  };
}
