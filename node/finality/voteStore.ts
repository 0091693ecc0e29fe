/**
 * The GRANDPA voter's durable storage in the chain database, under its own key prefix (0x07):
 *   0x07 ++ "v" ++ u64_le(setId) ++ u64_le(round)  ->  {prevote?, precommit?} as SCALE `VoteMessage` hex (JSON)
 *   0x07 ++ "s"                                      ->  the voter's set id and round (JSON)
 * `save` is a synchronous (fsync'd) LevelDB write: a vote is on disk before it is sent.
 */
import {
  decodeVote,
  encodeVote,
  type SavedVotes,
  type SignedVote,
  type VoteStore,
} from "../../consensus/grandpa/index.js";
import { concat } from "../../primitives/hashing.js";
import { fromHex, toHex } from "../../primitives/hex.js";
import { T } from "../../primitives/scale/types.js";
import type { ChainDb } from "../db/chainDb.js";

export const FINALITY_KEY_PREFIX = 0x07;
const VOTES = new Uint8Array([FINALITY_KEY_PREFIX, 0x76]);
const STATE = new Uint8Array([FINALITY_KEY_PREFIX, 0x73]);

interface StoredVotes {
  prevote?: string;
  precommit?: string;
}

/** What survives a restart besides the votes: the set id and round the voter was in. */
export interface StoredVoterState {
  setId: bigint;
  round: bigint;
}

export class LevelVoteStore implements VoteStore {
  constructor(private readonly db: ChainDb) {}

  private key(setId: bigint, round: bigint): Uint8Array {
    return concat(VOTES, T.u64.enc(setId), T.u64.enc(round));
  }

  async load(setId: bigint, round: bigint): Promise<SavedVotes | undefined> {
    const raw = await this.db.level.get(this.key(setId, round));
    if (!raw) return undefined;
    const v = JSON.parse(new TextDecoder().decode(raw)) as StoredVotes;
    return {
      prevote: v.prevote ? decodeVote(fromHex(v.prevote)) : undefined,
      precommit: v.precommit ? decodeVote(fromHex(v.precommit)) : undefined,
    };
  }

  async save(setId: bigint, round: bigint, vote: SignedVote): Promise<void> {
    const key = this.key(setId, round);
    const raw = await this.db.level.get(key);
    const v: StoredVotes = raw ? (JSON.parse(new TextDecoder().decode(raw)) as StoredVotes) : {};
    if (vote.kind === "Prevote") v.prevote = toHex(encodeVote(vote));
    else v.precommit = toHex(encodeVote(vote));
    await this.db.level.put(key, new TextEncoder().encode(JSON.stringify(v)), { sync: true });
  }

  async loadState(): Promise<StoredVoterState | undefined> {
    const raw = await this.db.level.get(STATE);
    if (!raw) return undefined;
    const v = JSON.parse(new TextDecoder().decode(raw)) as { setId: string; round: string };
    return { setId: BigInt(v.setId), round: BigInt(v.round) };
  }

  async saveState(s: StoredVoterState): Promise<void> {
    const v = { setId: s.setId.toString(), round: s.round.toString() };
    await this.db.level.put(STATE, new TextEncoder().encode(JSON.stringify(v)));
  }
}
