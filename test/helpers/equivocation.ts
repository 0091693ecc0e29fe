/** Test helpers that make equivocation evidence the way a misbehaving validator would: with its keys. */
import { BABE_ENGINE_ID, preDigestItem, sealItem } from "../../consensus/babe/digests.js";
import type { EquivocationEvidenceValue } from "../../consensus/equivocation.js";
import { equivocationProof } from "../../consensus/grandpa/equivocation.js";
import { type BlockId, signVote, type VoteKind } from "../../consensus/grandpa/messages.js";
import { hashHeader, splitSeal } from "../../consensus/header.js";
import { type KeyPair, sign } from "../../primitives/crypto/index.js";
import { blake2_256 } from "../../primitives/hashing.js";
import type { HeaderValue } from "../../primitives/types.js";

/** Seals a header (without a seal) with a BABE key: appends `Seal(BABE, sr25519(hash(header)))`. */
export function seal(header: HeaderValue, key: KeyPair): HeaderValue {
  const signature = sign(key, hashHeader(header));
  return { ...header, digest: { logs: [...header.digest.logs, sealItem(signature)] } };
}

/** A BABE header for block `number` claiming `slot` as a secondary-plain author, sealed by `key`. */
export function babeHeader(
  key: KeyPair,
  o: { number: number; slot: bigint; authorityIndex: number; salt?: string },
): HeaderValue {
  const label = (what: string) => blake2_256(new TextEncoder().encode(`${what} ${o.number} ${o.salt ?? ""}`));
  return seal(
    {
      parentHash: label("parent"),
      number: o.number,
      stateRoot: label("state"),
      extrinsicsRoot: label("extrinsics"),
      digest: {
        logs: [preDigestItem({ tag: "SecondaryPlain", value: { authority_index: o.authorityIndex, slot: o.slot } })],
      },
    },
    key,
  );
}

/** The same header with other contents (`change`), sealed again by `key`: a second header for its slot. */
export function reseal(header: HeaderValue, key: KeyPair, change: Partial<HeaderValue>): HeaderValue {
  const unsealed = splitSeal(header, BABE_ENGINE_ID)?.preHeader ?? header;
  return seal({ ...unsealed, ...change }, key);
}

/** BABE evidence: two headers for one slot by `key`'s authority. */
export function babeEvidence(
  key: KeyPair,
  o: { number: number; slot: bigint; authorityIndex: number; secondNumber?: number },
): EquivocationEvidenceValue {
  const first = babeHeader(key, { ...o, salt: "first" });
  const second = babeHeader(key, { ...o, number: o.secondNumber ?? o.number, salt: "second" });
  return { tag: "Babe", value: { offender: key.publicKey, slot: o.slot, first_header: first, second_header: second } };
}

/** GRANDPA evidence: two votes of `kind` by an ed25519 key in one round, for different targets. */
export function grandpaEvidence(
  key: KeyPair,
  o: { setId: bigint; round: bigint; kind?: VoteKind; targets?: [BlockId, BlockId] },
): EquivocationEvidenceValue {
  const kind = o.kind ?? "Prevote";
  const [a, b] = o.targets ?? [
    { hash: blake2_256(new Uint8Array([1])), number: 1 },
    { hash: blake2_256(new Uint8Array([2])), number: 1 },
  ];
  const first = signVote(key, kind, a, o.round, o.setId);
  const second = signVote(key, kind, b, o.round, o.setId);
  return { tag: "Grandpa", value: equivocationProof(first, second) };
}
