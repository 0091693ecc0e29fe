/**
 * Vote equivocation: one voter, one round and phase, two different votes. Verification is pure
 * (ed25519 only), for the offences pallet.
 */
import { bytesEqual } from "../../primitives/hex.js";
import { EquivocationError } from "../errors.js";
import {
  type AuthoritySet,
  checkVoteSignature,
  type GrandpaEquivocationProofValue,
  type SignedVote,
  sameTarget,
} from "./messages.js";

/** The proof for two conflicting votes by one voter in one round, set and phase. */
export function equivocationProof(first: SignedVote, second: SignedVote): GrandpaEquivocationProofValue {
  const vote = (v: SignedVote) =>
    [{ target_hash: v.target.hash, target_number: v.target.number }, v.signature] as [
      { target_hash: Uint8Array; target_number: number },
      Uint8Array,
    ];
  return {
    set_id: first.setId,
    equivocation: {
      tag: first.kind,
      value: { round_number: first.round, identity: first.id, first: vote(first), second: vote(second) },
    },
  };
}

/**
 * Verifies vote-equivocation evidence against the authority set of `proof.set_id`: the offender is in
 * the set, the two votes differ, and both signatures are valid for that round, set and phase.
 */
export function verifyGrandpaEquivocation(
  proof: GrandpaEquivocationProofValue,
  set: AuthoritySet,
): { offender: Uint8Array; setId: bigint; round: bigint; kind: "Prevote" | "Precommit" } {
  if (proof.set_id !== set.setId) {
    throw new EquivocationError({
      code: "EQUIVOCATION_ERROR_MALFORMED",
      reason: `set id ${proof.set_id} is not the set's ${set.setId}`,
    });
  }
  const { tag: kind, value: e } = proof.equivocation;
  if (!set.authorities.some((a) => bytesEqual(a.id, e.identity)))
    throw new EquivocationError({ code: "EQUIVOCATION_ERROR_NOT_AUTHORITY" });
  const toVote = ([v, signature]: typeof e.first): SignedVote => ({
    round: e.round_number,
    setId: proof.set_id,
    kind,
    target: { hash: v.target_hash, number: v.target_number },
    signature,
    id: e.identity,
  });
  const first = toVote(e.first);
  const second = toVote(e.second);
  if (sameTarget(first.target, second.target))
    throw new EquivocationError({ code: "EQUIVOCATION_ERROR_NOT_CONFLICTING" });
  if (!checkVoteSignature(first))
    throw new EquivocationError({ code: "EQUIVOCATION_ERROR_BAD_SIGNATURE", which: "first" });
  if (!checkVoteSignature(second))
    throw new EquivocationError({ code: "EQUIVOCATION_ERROR_BAD_SIGNATURE", which: "second" });
  return { offender: e.identity, setId: proof.set_id, round: e.round_number, kind };
}
