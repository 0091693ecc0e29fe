/**
 * Justifications: the commit (a target and the signed precommits for it or its descendants) plus the
 * headers linking every precommit target to the commit target. Verification is pure and needs only the
 * authority set of the justification's set id.
 */
import { bytesEqual, toHex } from "../../primitives/hex.js";
import type { HeaderValue } from "../../primitives/types.js";
import { hashHeader } from "../header.js";
import { GrandpaError } from "./errors.js";
import {
  type AuthoritySet,
  type BlockId,
  type CommitMessage,
  checkVoteSignature,
  GrandpaJustification,
  type GrandpaJustificationValue,
  type SignedVote,
  supermajority,
  totalVoteWeight,
} from "./messages.js";

const bad = (reason: string) => new GrandpaError({ code: "GRANDPA_ERROR_BAD_JUSTIFICATION", reason });

/** Builds a justification from precommits that all target `target` or its descendants. */
export function buildJustification(
  round: bigint,
  target: BlockId,
  precommits: SignedVote[],
  ancestries: HeaderValue[],
): GrandpaJustificationValue {
  return {
    round,
    commit: {
      target_hash: target.hash,
      target_number: target.number,
      precommits: precommits.map((p) => ({
        precommit: { target_hash: p.target.hash, target_number: p.target.number },
        signature: p.signature,
        id: p.id,
      })),
    },
    votes_ancestries: ancestries,
  };
}

/**
 * Verifies a justification (bytes or decoded) for `set`: every precommit is signed by a member of the
 * set for this round and set id, and targets the commit target or a descendant proven by
 * `votes_ancestries`; every ancestry header is used; the distinct signers weigh more than 2/3 of the
 * set. With `expected`, the commit target must be that block. Returns the finalized block.
 */
export function verifyJustification(
  justification: Uint8Array | GrandpaJustificationValue,
  set: AuthoritySet,
  expected?: BlockId,
): BlockId {
  let j: GrandpaJustificationValue;
  try {
    j = justification instanceof Uint8Array ? GrandpaJustification.dec(justification) : justification;
  } catch (err) {
    throw bad(`undecodable: ${(err as Error).message}`);
  }
  const target: BlockId = { hash: j.commit.target_hash, number: j.commit.target_number };
  if (expected && (!bytesEqual(expected.hash, target.hash) || expected.number !== target.number)) {
    throw bad("commit target is not the expected block");
  }
  const ancestry = new Map<string, HeaderValue>();
  for (const h of j.votes_ancestries) ancestry.set(toHex(hashHeader(h)), h);
  const used = new Set<string>();
  const targetKey = toHex(target.hash);
  const precommits: SignedVote[] = j.commit.precommits.map((p) => ({
    round: j.round,
    setId: set.setId,
    kind: "Precommit",
    target: { hash: p.precommit.target_hash, number: p.precommit.target_number },
    signature: p.signature,
    id: p.id,
  }));
  checkPrecommits(precommits, set);
  for (const vote of precommits) {
    // Walk from the precommit target back to the commit target through the ancestry headers.
    let cur = toHex(vote.target.hash);
    let number = vote.target.number;
    while (cur !== targetKey) {
      const h = ancestry.get(cur);
      if (!h || h.number !== number || number <= target.number)
        throw bad(`precommit by ${toHex(vote.id)} does not descend from the commit target`);
      used.add(cur);
      cur = toHex(h.parentHash);
      number = h.number - 1;
    }
    if (number !== target.number) throw bad("precommit target number does not match its ancestry");
  }
  if (used.size !== ancestry.size) throw bad("unused headers in the votes ancestries");
  return target;
}

/**
 * Checks signed precommits (of one round) for `set`, without their targets' ancestry: each is signed by
 * a member of the set for its round and the set's id, and the distinct signers weigh more than 2/3 of
 * the set. Throws `GRANDPA_ERROR_BAD_JUSTIFICATION`.
 */
export function checkPrecommits(precommits: SignedVote[], set: AuthoritySet): void {
  const weights = new Map<string, bigint>();
  for (const a of set.authorities) weights.set(toHex(a.id), (weights.get(toHex(a.id)) ?? 0n) + a.weight);
  const signers = new Set<string>();
  let weight = 0n;
  for (const vote of precommits) {
    const idKey = toHex(vote.id);
    const w = weights.get(idKey);
    if (w === undefined) throw bad(`precommit by a non-authority ${idKey}`);
    if (vote.kind !== "Precommit" || vote.setId !== set.setId || !checkVoteSignature(vote))
      throw bad(`bad signature by ${idKey}`);
    if (!signers.has(idKey)) {
      signers.add(idKey);
      weight += w;
    }
  }
  if (weight < supermajority(totalVoteWeight(set))) throw bad(`precommit weight ${weight} is not more than 2/3`);
}

/** The commit a justification carries, as gossiped (`FullCommitMessage`): the same precommits, no headers. */
export function commitOf(setId: bigint, j: GrandpaJustificationValue): CommitMessage {
  return {
    round: j.round,
    setId,
    target: { hash: j.commit.target_hash, number: j.commit.target_number },
    precommits: j.commit.precommits.map((p) => ({
      round: j.round,
      setId,
      kind: "Precommit",
      target: { hash: p.precommit.target_hash, number: p.precommit.target_number },
      signature: p.signature,
      id: p.id,
    })),
  };
}
