/**
 * Equivocation evidence for the offences pallet: one SCALE type for both kinds, and one pure verifier.
 * Importable by the runtime: depends on primitives only.
 *
 *   EquivocationEvidence = enum { 0: Babe(sp_consensus_slots::EquivocationProof<Header, [u8; 32]>),
 *                                 1: Grandpa(sp_consensus_grandpa::EquivocationProof<H256, u32>) }
 */
import { T, type TyValue } from "../primitives/scale/types.js";
import { BabeEquivocationProof, verifyBabeEquivocation } from "./babe/equivocation.js";
import { EquivocationError } from "./errors.js";
import { verifyGrandpaEquivocation } from "./grandpa/equivocation.js";
import { type AuthoritySet, GrandpaEquivocationProof } from "./grandpa/messages.js";

export const EquivocationEvidence = T.enumeration(
  { Babe: { index: 0, fields: BabeEquivocationProof }, Grandpa: { index: 1, fields: GrandpaEquivocationProof } },
  { path: ["tensorchain", "consensus", "EquivocationEvidence"] },
);
export type EquivocationEvidenceValue = TyValue<typeof EquivocationEvidence>;

export interface EquivocationAuthorities {
  /** sr25519 keys of the epoch holding the slot, in authority-index order (BABE evidence). */
  babe?: Uint8Array[];
  /** The GRANDPA authority set of the evidence's set id (GRANDPA evidence). */
  grandpa?: AuthoritySet;
}

export type VerifiedOffence =
  | { kind: "babe"; offender: Uint8Array; slot: bigint }
  | { kind: "grandpa"; offender: Uint8Array; setId: bigint; round: bigint; phase: "Prevote" | "Precommit" };

/**
 * Verifies evidence (bytes or decoded) and names the offender and the time slot of the offence (the
 * pallet de-duplicates reports on it). Throws an `EquivocationError` for invalid evidence.
 */
export function verifyEquivocation(
  evidence: Uint8Array | EquivocationEvidenceValue,
  authorities: EquivocationAuthorities,
): VerifiedOffence {
  let e: EquivocationEvidenceValue;
  try {
    e = evidence instanceof Uint8Array ? EquivocationEvidence.dec(evidence) : evidence;
  } catch (err) {
    throw new EquivocationError({ code: "EQUIVOCATION_ERROR_MALFORMED", reason: (err as Error).message });
  }
  if (e.tag === "Babe") {
    if (!authorities.babe)
      throw new EquivocationError({ code: "EQUIVOCATION_ERROR_MALFORMED", reason: "no BABE authorities given" });
    const { offender, slot } = verifyBabeEquivocation(e.value, authorities.babe);
    return { kind: "babe", offender, slot };
  }
  if (!authorities.grandpa)
    throw new EquivocationError({ code: "EQUIVOCATION_ERROR_MALFORMED", reason: "no GRANDPA authority set given" });
  const r = verifyGrandpaEquivocation(e.value, authorities.grandpa);
  return { kind: "grandpa", offender: r.offender, setId: r.setId, round: r.round, phase: r.kind };
}
