/**
 * BABE header verification, pure in the manner of smoldot's `verify_header(header, now)`: the clock,
 * the parent's slot and the epoch come in as arguments. Checks, in order:
 *   1. exactly one decodable BABE pre-digest          MISSING_PRE_DIGEST / MULTIPLE_PRE_DIGESTS / BAD_PRE_DIGEST
 *   2. a BABE seal as the last digest item             MISSING_SEAL
 *   3. slot ≤ current slot + max drift                 FUTURE_SLOT
 *   4. slot > parent's slot                            SLOT_NOT_INCREASING
 *   5. slot inside the epoch, author index known       SLOT_NOT_IN_EPOCH / UNKNOWN_AUTHORITY
 *   6. author not disabled (by an offence)             DISABLED_AUTHORITY
 *   7. seal signed by the claimed authority            BAD_SEAL
 *   8. entitlement: VRF proof and threshold (primary), rotation author and VRF proof (secondary)
 *                                                      BAD_VRF_PROOF / NOT_ENTITLED / SECONDARY_NOT_ALLOWED
 */
import { verifySr25519 } from "../../primitives/crypto/index.js";
import type { HeaderValue } from "../../primitives/types.js";
import { hashHeader, splitSeal } from "../header.js";
import { BABE_ENGINE_ID, findPreDigest, type PreDigestValue } from "./digests.js";
import { type BabeEpoch, epochEndSlot, secondarySlotAuthor, slotInEpoch, totalWeight } from "./epoch.js";
import { BabeError } from "./errors.js";
import { primaryThreshold } from "./threshold.js";
import { vrfInput, vrfThresholdValue, vrfVerify } from "./vrf.js";

export interface VerifyHeaderContext {
  /** The local wall clock in ms since the Unix epoch. */
  now: number;
  slotDurationMs: number;
  /** How many slots ahead of the local clock a header may be (clock drift between nodes). */
  maxDriftSlots: number;
  /** The epoch the header's slot belongs to, on the parent's chain. */
  epoch: BabeEpoch;
  /** The parent's slot; undefined when the parent is genesis (which has none). */
  parentSlot: bigint | undefined;
  /**
   * Authority indices that may not author this block: validators disabled by an offence, as the
   * parent's runtime gives them for this block (none if absent).
   */
  disabledAuthorities?: readonly number[];
}

export interface VerifiedHeader {
  preDigest: PreDigestValue;
  slot: bigint;
  authorityIndex: number;
  author: Uint8Array;
  /** Primary blocks count in fork choice. */
  primary: boolean;
  /** The hash the author signed: the header without its seal. */
  preHash: Uint8Array;
  /** The block hash (with the seal). */
  hash: Uint8Array;
}

/** The slot the clock is in. */
export function currentSlot(now: number, slotDurationMs: number): bigint {
  return BigInt(Math.floor(now)) / BigInt(slotDurationMs);
}

export function verifyHeader(header: HeaderValue, ctx: VerifyHeaderContext): VerifiedHeader {
  const preDigest = findPreDigest(header);
  const sealed = splitSeal(header, BABE_ENGINE_ID);
  if (!sealed) throw new BabeError({ code: "BABE_ERROR_MISSING_SEAL" });

  const slot = preDigest.value.slot;
  const nowSlot = currentSlot(ctx.now, ctx.slotDurationMs);
  if (slot > nowSlot + BigInt(ctx.maxDriftSlots)) {
    throw new BabeError({
      code: "BABE_ERROR_FUTURE_SLOT",
      slot,
      currentSlot: nowSlot,
      maxDriftSlots: ctx.maxDriftSlots,
    });
  }
  if (ctx.parentSlot !== undefined && slot <= ctx.parentSlot) {
    throw new BabeError({ code: "BABE_ERROR_SLOT_NOT_INCREASING", slot, parentSlot: ctx.parentSlot });
  }

  const { epoch } = ctx;
  if (!slotInEpoch(epoch, slot)) {
    throw new BabeError({
      code: "BABE_ERROR_SLOT_NOT_IN_EPOCH",
      slot,
      epochIndex: epoch.epochIndex,
      startSlot: epoch.startSlot,
      endSlot: epochEndSlot(epoch),
    });
  }
  const authorityIndex = preDigest.value.authority_index;
  const authority = epoch.authorities[authorityIndex];
  if (!authority) {
    throw new BabeError({
      code: "BABE_ERROR_UNKNOWN_AUTHORITY",
      authorityIndex,
      authorities: epoch.authorities.length,
    });
  }
  if (ctx.disabledAuthorities?.includes(authorityIndex)) {
    throw new BabeError({ code: "BABE_ERROR_DISABLED_AUTHORITY", authorityIndex, slot });
  }

  const preHash = hashHeader(sealed.preHeader);
  if (sealed.seal.length !== 64 || !verifySr25519(sealed.seal, preHash, authority.publicKey)) {
    throw new BabeError({ code: "BABE_ERROR_BAD_SEAL", authorityIndex });
  }

  checkEntitlement(preDigest, epoch);
  return {
    preDigest,
    slot,
    authorityIndex,
    author: authority.publicKey,
    primary: preDigest.tag === "Primary",
    preHash,
    hash: hashHeader(header),
  };
}

/** Whether the pre-digest's author may author its slot in `epoch` (the seal is checked separately). */
export function checkEntitlement(preDigest: PreDigestValue, epoch: BabeEpoch): void {
  const { authority_index: authorityIndex, slot } = preDigest.value;
  const authority = epoch.authorities[authorityIndex];
  if (!authority) {
    throw new BabeError({
      code: "BABE_ERROR_UNKNOWN_AUTHORITY",
      authorityIndex,
      authorities: epoch.authorities.length,
    });
  }
  const input = vrfInput(epoch.randomness, slot, epoch.epochIndex);
  switch (preDigest.tag) {
    case "Primary": {
      const sig = preDigest.value.vrf_signature;
      if (!vrfVerify(authority.publicKey, input, sig))
        throw new BabeError({ code: "BABE_ERROR_BAD_VRF_PROOF", authorityIndex });
      const threshold = primaryThreshold(epoch.c, authority.weight, totalWeight(epoch.authorities));
      if (vrfThresholdValue(input, sig.pre_output) >= threshold) {
        throw new BabeError({ code: "BABE_ERROR_NOT_ENTITLED", authorityIndex, slot, reason: "threshold" });
      }
      return;
    }
    case "SecondaryPlain":
    case "SecondaryVRF": {
      const allowed =
        epoch.allowedSlots ===
        (preDigest.tag === "SecondaryPlain" ? "PrimaryAndSecondaryPlainSlots" : "PrimaryAndSecondaryVRFSlots");
      if (!allowed) throw new BabeError({ code: "BABE_ERROR_SECONDARY_NOT_ALLOWED", kind: preDigest.tag });
      if (secondarySlotAuthor(slot, epoch.authorities.length, epoch.randomness) !== authorityIndex) {
        throw new BabeError({ code: "BABE_ERROR_NOT_ENTITLED", authorityIndex, slot, reason: "secondary_author" });
      }
      if (preDigest.tag === "SecondaryVRF" && !vrfVerify(authority.publicKey, input, preDigest.value.vrf_signature)) {
        throw new BabeError({ code: "BABE_ERROR_BAD_VRF_PROOF", authorityIndex });
      }
      return;
    }
  }
}
