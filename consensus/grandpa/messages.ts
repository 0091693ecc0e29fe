/**
 * GRANDPA's wire types, byte-compatible with `finality-grandpa` / `sp-consensus-grandpa` for a chain
 * with H256 hashes and u32 block numbers:
 *
 *   Message          = enum { 0: Prevote { target_hash, target_number }, 1: Precommit { … }, 2: PrimaryPropose { … } }
 *   signed payload   = (Message, round: u64, set_id: u64).encode()        (`localized_payload`)
 *   SignedMessage    = { message: Message, signature: [u8; 64], id: [u8; 32] }        ed25519
 *   VoteMessage      = { round: u64, set_id: u64, message: SignedMessage }            (gossip)
 *   Commit           = { target_hash, target_number, precommits: Vec<{ precommit, signature, id }> }
 *   GrandpaJustification = { round: u64, commit: Commit, votes_ancestries: Vec<Header> }
 *   CompactCommit    = { target_hash, target_number, precommits: Vec<Precommit>, auth_data: Vec<([u8; 64], [u8; 32])> }
 *   FullCommitMessage = { round: u64, set_id: u64, message: CompactCommit }
 *   GossipMessage    = enum { 0: Vote(VoteMessage), 1: Commit(FullCommitMessage) }   (the finality topic; sc-consensus-grandpa
 *                      also has 2: Neighbor, 3: CatchUpRequest, 4: CatchUp, which tensorchain does not gossip)
 *   ConsensusLog (Consensus(b"FRNK", …)) = enum { 1: ScheduledChange { next_authorities: Vec<([u8; 32], u64)>, delay: u32 },
 *                                        2: ForcedChange(u32, ScheduledChange), 3: OnDisabled(u64), 4: Pause(u32), 5: Resume(u32) }
 *   EquivocationProof = { set_id: u64, equivocation: enum { 0: Prevote(E), 1: Precommit(E) } },
 *                       E = { round_number: u64, identity: [u8; 32], first: (Vote, Sig), second: (Vote, Sig) }
 */
import { type KeyPair, sign as signWith, verifyEd25519 } from "../../primitives/crypto/index.js";
import { concat } from "../../primitives/hashing.js";
import { T, type TyValue } from "../../primitives/scale/types.js";
import { H256, Header, type HeaderValue } from "../../primitives/types.js";
import { digestPayloads, engineId } from "../header.js";

export const GRANDPA_ENGINE_ID = engineId("FRNK");

const VoteTarget = (name: string) =>
  T.struct({ target_hash: H256, target_number: T.u32 }, { path: ["finality_grandpa", name] });
export const Prevote = VoteTarget("Prevote");
export const Precommit = VoteTarget("Precommit");
export const PrimaryPropose = VoteTarget("PrimaryPropose");

export const GrandpaMessage = T.enumeration(
  {
    Prevote: { index: 0, fields: Prevote },
    Precommit: { index: 1, fields: Precommit },
    PrimaryPropose: { index: 2, fields: PrimaryPropose },
  },
  { path: ["finality_grandpa", "Message"] },
);
export type GrandpaMessageValue = TyValue<typeof GrandpaMessage>;

const Signature = T.fixedBytes(64);
const AuthorityIdTy = T.fixedBytes(32);

export const SignedMessage = T.struct({ message: GrandpaMessage, signature: Signature, id: AuthorityIdTy });
export const VoteMessage = T.struct({ round: T.u64, set_id: T.u64, message: SignedMessage });

export const SignedPrecommit = T.struct({ precommit: Precommit, signature: Signature, id: AuthorityIdTy });
export const Commit = T.struct({ target_hash: H256, target_number: T.u32, precommits: T.vec(SignedPrecommit) });
export const GrandpaJustification = T.struct({ round: T.u64, commit: Commit, votes_ancestries: T.vec(Header) });
export type GrandpaJustificationValue = TyValue<typeof GrandpaJustification>;

export const ScheduledChange = T.struct({ next_authorities: T.vec(T.tuple(AuthorityIdTy, T.u64)), delay: T.u32 });
export type ScheduledChangeValue = TyValue<typeof ScheduledChange>;
export const GrandpaConsensusLog = T.enumeration(
  {
    ScheduledChange: { index: 1, fields: ScheduledChange },
    ForcedChange: { index: 2, fields: T.tuple(T.u32, ScheduledChange) },
    OnDisabled: { index: 3, fields: T.u64 },
    Pause: { index: 4, fields: T.u32 },
    Resume: { index: 5, fields: T.u32 },
  },
  { path: ["sp_consensus_grandpa", "ConsensusLog"] },
);
export type GrandpaConsensusLogValue = TyValue<typeof GrandpaConsensusLog>;

const EquivocationOf = (vote: typeof Prevote) =>
  T.struct({
    round_number: T.u64,
    identity: AuthorityIdTy,
    first: T.tuple(vote, Signature),
    second: T.tuple(vote, Signature),
  });
export const GrandpaEquivocation = T.enumeration(
  {
    Prevote: { index: 0, fields: EquivocationOf(Prevote) },
    Precommit: { index: 1, fields: EquivocationOf(Precommit) },
  },
  { path: ["sp_consensus_grandpa", "Equivocation"] },
);
export const GrandpaEquivocationProof = T.struct(
  { set_id: T.u64, equivocation: GrandpaEquivocation },
  { path: ["sp_consensus_grandpa", "EquivocationProof"] },
);
export type GrandpaEquivocationProofValue = TyValue<typeof GrandpaEquivocationProof>;

export type VoteKind = "Prevote" | "Precommit";

export interface BlockId {
  hash: Uint8Array;
  number: number;
}

/** A signed vote, flattened for the voter; `encodeVote`/`decodeVote` give its `VoteMessage` bytes. */
export interface SignedVote {
  round: bigint;
  setId: bigint;
  kind: VoteKind;
  target: BlockId;
  /** ed25519 signature over `localizedPayload`. */
  signature: Uint8Array;
  /** The voter's ed25519 public key. */
  id: Uint8Array;
}

export interface GrandpaAuthority {
  /** ed25519 public key. */
  id: Uint8Array;
  weight: bigint;
}

export interface AuthoritySet {
  setId: bigint;
  authorities: GrandpaAuthority[];
}

/** The least weight that is more than 2/3 of `total`: floor(2·total/3) + 1. */
export function supermajority(total: bigint): bigint {
  return (2n * total) / 3n + 1n;
}

export function totalVoteWeight(set: AuthoritySet): bigint {
  let sum = 0n;
  for (const a of set.authorities) sum += a.weight;
  return sum;
}

export function messageOf(kind: VoteKind, target: BlockId): GrandpaMessageValue {
  return { tag: kind, value: { target_hash: target.hash, target_number: target.number } };
}

/** The bytes a voter signs: `(message, round, set_id)` SCALE-encoded, as `sp_consensus_grandpa::localized_payload`. */
export function localizedPayload(kind: VoteKind, target: BlockId, round: bigint, setId: bigint): Uint8Array {
  return concat(GrandpaMessage.enc(messageOf(kind, target)), T.u64.enc(round), T.u64.enc(setId));
}

export function signVote(key: KeyPair, kind: VoteKind, target: BlockId, round: bigint, setId: bigint): SignedVote {
  if (key.scheme !== "ed25519") throw new TypeError("GRANDPA votes are signed with ed25519 keys");
  const signature = signWith(key, localizedPayload(kind, target, round, setId));
  return { round, setId, kind, target, signature, id: key.publicKey };
}

export function checkVoteSignature(vote: SignedVote): boolean {
  if (vote.signature.length !== 64 || vote.id.length !== 32) return false;
  return verifyEd25519(vote.signature, localizedPayload(vote.kind, vote.target, vote.round, vote.setId), vote.id);
}

export function encodeVote(vote: SignedVote): Uint8Array {
  return VoteMessage.enc(toVoteMessage(vote));
}

function toVoteMessage(vote: SignedVote): TyValue<typeof VoteMessage> {
  return {
    round: vote.round,
    set_id: vote.setId,
    message: { message: messageOf(vote.kind, vote.target), signature: vote.signature, id: vote.id },
  };
}

/** Decodes a `VoteMessage`; throws a `CodecError` on malformed bytes. `PrimaryPropose` is not a vote. */
export function decodeVote(bytes: Uint8Array): SignedVote {
  return fromVoteMessage(VoteMessage.dec(bytes));
}

function fromVoteMessage(m: TyValue<typeof VoteMessage>): SignedVote {
  const msg = m.message.message;
  if (msg.tag === "PrimaryPropose") throw new TypeError("a primary propose is not a vote");
  return {
    round: m.round,
    setId: m.set_id,
    kind: msg.tag,
    target: { hash: msg.value.target_hash, number: msg.value.target_number },
    signature: m.message.signature,
    id: m.message.id,
  };
}

/**
 * Commit messages (sc-consensus-grandpa's `FullCommitMessage`): a voter that finalizes a block in a
 * round gossips the target and the precommits that prove it, so that a node that missed those
 * precommits finalizes as well, checking the commit like a justification (with the ancestry headers
 * from its own chain) instead of waiting for catch-up or sync.
 */
export const CompactCommit = T.struct({
  target_hash: H256,
  target_number: T.u32,
  precommits: T.vec(Precommit),
  auth_data: T.vec(T.tuple(Signature, AuthorityIdTy)),
});
export const FullCommitMessage = T.struct({ round: T.u64, set_id: T.u64, message: CompactCommit });

/** What the finality topic carries: sc-consensus-grandpa's `GossipMessage`, votes and commits. */
export const GossipMessage = T.enumeration(
  { Vote: { index: 0, fields: VoteMessage }, Commit: { index: 1, fields: FullCommitMessage } },
  { path: ["sc_consensus_grandpa", "communication", "gossip", "GossipMessage"] },
);

/** A commit: round `round` of set `setId` finalized `target`, as the signed `precommits` show. */
export interface CommitMessage {
  round: bigint;
  setId: bigint;
  target: BlockId;
  /** Precommits (of this round and set) for `target` or its descendants. */
  precommits: SignedVote[];
}

/** A decoded message of the finality topic. */
export type FinalityGossip = { kind: "vote"; vote: SignedVote } | { kind: "commit"; commit: CommitMessage };

/** A vote as the finality topic carries it (`GossipMessage::Vote`). */
export function encodeGossipVote(vote: SignedVote): Uint8Array {
  return GossipMessage.enc({ tag: "Vote", value: toVoteMessage(vote) });
}

/** A commit as the finality topic carries it (`GossipMessage::Commit`). */
export function encodeGossipCommit(commit: CommitMessage): Uint8Array {
  return GossipMessage.enc({
    tag: "Commit",
    value: {
      round: commit.round,
      set_id: commit.setId,
      message: {
        target_hash: commit.target.hash,
        target_number: commit.target.number,
        precommits: commit.precommits.map((p) => ({ target_hash: p.target.hash, target_number: p.target.number })),
        auth_data: commit.precommits.map((p) => [p.signature, p.id] as [Uint8Array, Uint8Array]),
      },
    },
  });
}

/**
 * Decodes a message of the finality topic. Throws a `CodecError` on malformed bytes, a `TypeError` for a
 * `PrimaryPropose` or a commit whose precommits and signatures differ in number.
 */
export function decodeFinalityGossip(bytes: Uint8Array): FinalityGossip {
  const m = GossipMessage.dec(bytes);
  if (m.tag === "Vote") return { kind: "vote", vote: fromVoteMessage(m.value) };
  const { round, set_id: setId, message: c } = m.value;
  if (c.precommits.length !== c.auth_data.length)
    throw new TypeError(`a commit with ${c.precommits.length} precommits and ${c.auth_data.length} signatures`);
  return {
    kind: "commit",
    commit: {
      round,
      setId,
      target: { hash: c.target_hash, number: c.target_number },
      precommits: c.precommits.map((p, i) => ({
        round,
        setId,
        kind: "Precommit",
        target: { hash: p.target_hash, number: p.target_number },
        signature: c.auth_data[i]![0],
        id: c.auth_data[i]![1],
      })),
    },
  };
}

/**
 * Catch-up (after sc-consensus-grandpa's `CatchUpRequest` / `CatchUp`): a voter that fell behind — a
 * restart, a partition — asks a peer for the votes of its recent rounds, because gossip never repeats
 * a message a peer has already seen. The answer carries every vote the peer holds for rounds ≥ the
 * asked round; the asker checks each like a gossiped vote and joins a round that can complete.
 */
export const CatchUpRequest = T.struct({ round: T.u64, set_id: T.u64 });
export type CatchUpRequestValue = TyValue<typeof CatchUpRequest>;
export const CatchUp = T.struct({ set_id: T.u64, votes: T.vec(VoteMessage) });

export function encodeCatchUp(setId: bigint, votes: SignedVote[]): Uint8Array {
  return CatchUp.enc({ set_id: setId, votes: votes.map(toVoteMessage) });
}

/** Decodes a catch-up answer; throws on malformed bytes or a `PrimaryPropose` inside. */
export function decodeCatchUp(bytes: Uint8Array): { setId: bigint; votes: SignedVote[] } {
  const m = CatchUp.dec(bytes);
  return { setId: m.set_id, votes: m.votes.map(fromVoteMessage) };
}

export function sameTarget(a: BlockId, b: BlockId): boolean {
  if (a.number !== b.number || a.hash.length !== b.hash.length) return false;
  for (let i = 0; i < a.hash.length; i++) if (a.hash[i] !== b.hash[i]) return false;
  return true;
}

/** The first `ScheduledChange` in the header's `Consensus(b"FRNK", …)` items, if any. */
export function findScheduledChange(header: HeaderValue): ScheduledChangeValue | undefined {
  for (const payload of digestPayloads(header, "Consensus", GRANDPA_ENGINE_ID)) {
    try {
      const log = GrandpaConsensusLog.dec(payload);
      if (log.tag === "ScheduledChange") return log.value;
    } catch {
      // Malformed items are the runtime's bug, not a reason to halt finality.
    }
  }
  return undefined;
}

export function scheduledChangeItem(change: ScheduledChangeValue) {
  return {
    tag: "Consensus" as const,
    value: [GRANDPA_ENGINE_ID, GrandpaConsensusLog.enc({ tag: "ScheduledChange", value: change })] as [
      Uint8Array,
      Uint8Array,
    ],
  };
}

export function authoritiesFromChange(change: ScheduledChangeValue): GrandpaAuthority[] {
  return change.next_authorities.map(([id, weight]) => ({ id, weight }));
}
