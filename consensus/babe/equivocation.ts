/**
 * Slot equivocation: one author, one slot, two different headers. The proof follows
 * `sp_consensus_slots::EquivocationProof<Header, AuthorityId>`:
 *   { offender: [u8; 32], slot: u64, first_header: Header, second_header: Header }
 * Its verifier is pure and importable by the runtime (no node imports).
 */
import { verifySr25519 } from "../../primitives/crypto/index.js";
import { bytesEqual, toHex } from "../../primitives/hex.js";
import { T, type TyValue } from "../../primitives/scale/types.js";
import { Header, type HeaderValue } from "../../primitives/types.js";
import { EquivocationError } from "../errors.js";
import { hashHeader, splitSeal } from "../header.js";
import { BABE_ENGINE_ID, findPreDigest } from "./digests.js";

export const BabeEquivocationProof = T.struct(
  { offender: T.fixedBytes(32), slot: T.u64, first_header: Header, second_header: Header },
  { path: ["sp_consensus_slots", "EquivocationProof"] },
);
export type BabeEquivocationProofValue = TyValue<typeof BabeEquivocationProof>;

export interface SlotEquivocationDetectorOptions {
  /** How many slots behind the highest one seen are remembered. */
  maxSlots: bigint;
}

export const defaultSlotEquivocationDetectorOptions: SlotEquivocationDetectorOptions = { maxSlots: 1024n };

interface Seen {
  header: HeaderValue;
  hash: Uint8Array;
  reported: boolean;
}

/**
 * Remembers (slot, author) → the first header seen for recent slots, and returns the evidence when a
 * second, different header for the same slot and author appears (once per pair). Feed it headers that
 * passed `verifyHeader` (so both are signed by the author).
 */
export class SlotEquivocationDetector {
  private readonly seen = new Map<string, Seen>();
  private readonly bySlot = new Map<bigint, string[]>();
  private highest = -1n;

  constructor(private readonly opts: SlotEquivocationDetectorOptions = defaultSlotEquivocationDetectorOptions) {}

  check(header: HeaderValue, claim: { slot: bigint; author: Uint8Array }): BabeEquivocationProofValue | undefined {
    const { slot, author } = claim;
    if (slot + this.opts.maxSlots < this.highest) return undefined;
    if (slot > this.highest) this.advance(slot);
    const key = `${slot}:${toHex(author)}`;
    const hash = hashHeader(header);
    const first = this.seen.get(key);
    if (!first) {
      this.seen.set(key, { header, hash, reported: false });
      const keys = this.bySlot.get(slot) ?? [];
      keys.push(key);
      this.bySlot.set(slot, keys);
      return undefined;
    }
    if (bytesEqual(first.hash, hash) || first.reported) return undefined;
    first.reported = true;
    return { offender: author, slot, first_header: first.header, second_header: header };
  }

  /** How many (slot, author) pairs are remembered. */
  get size(): number {
    return this.seen.size;
  }

  private advance(slot: bigint): void {
    this.highest = slot;
    const oldest = slot - this.opts.maxSlots;
    for (const [s, keys] of this.bySlot) {
      if (s >= oldest) continue;
      for (const k of keys) this.seen.delete(k);
      this.bySlot.delete(s);
    }
  }
}

/**
 * Verifies slot-equivocation evidence against the authorities (sr25519 keys, in authority-index order)
 * of the epoch holding `proof.slot`: two different headers, both with a BABE pre-digest for that slot
 * naming the offender, both sealed by the offender. Throws an `EquivocationError`.
 */
export function verifyBabeEquivocation(
  proof: BabeEquivocationProofValue,
  authorities: Uint8Array[],
): { offender: Uint8Array; slot: bigint } {
  const { offender, slot } = proof;
  if (!authorities.some((a) => bytesEqual(a, offender)))
    throw new EquivocationError({ code: "EQUIVOCATION_ERROR_NOT_AUTHORITY" });
  if (bytesEqual(hashHeader(proof.first_header), hashHeader(proof.second_header))) {
    throw new EquivocationError({ code: "EQUIVOCATION_ERROR_NOT_CONFLICTING" });
  }
  const check = (header: HeaderValue, which: "first" | "second") => {
    let pre: ReturnType<typeof findPreDigest>;
    try {
      pre = findPreDigest(header);
    } catch (err) {
      throw new EquivocationError({
        code: "EQUIVOCATION_ERROR_MALFORMED",
        reason: `${which} header: ${(err as Error).message}`,
      });
    }
    if (pre.value.slot !== slot)
      throw new EquivocationError({ code: "EQUIVOCATION_ERROR_SLOT_MISMATCH", slot: pre.value.slot });
    const named = authorities[pre.value.authority_index];
    if (!named || !bytesEqual(named, offender))
      throw new EquivocationError({ code: "EQUIVOCATION_ERROR_AUTHOR_MISMATCH" });
    const sealed = splitSeal(header, BABE_ENGINE_ID);
    if (sealed?.seal.length !== 64 || !verifySr25519(sealed.seal, hashHeader(sealed.preHeader), offender)) {
      throw new EquivocationError({ code: "EQUIVOCATION_ERROR_BAD_SIGNATURE", which });
    }
  };
  check(proof.first_header, "first");
  check(proof.second_header, "second");
  return { offender, slot };
}
