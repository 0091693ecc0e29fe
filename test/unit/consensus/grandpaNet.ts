/**
 * The GRANDPA tests' in-process network: voters over one shared `TestChain`, a fake clock, gossip
 * that delivers each distinct vote once, and catch-up on request (as the node does it).
 */
import {
  type AuthoritySet,
  type BlockId,
  type CommitMessage,
  decodeCatchUp,
  decodeFinalityGossip,
  defaultVoterOptions,
  encodeCatchUp,
  encodeGossipCommit,
  encodeGossipVote,
  encodeVote,
  type FinalityGossip,
  type GrandpaJustificationValue,
  keyPairSigner,
  MemoryVoteStore,
  type SignedVote,
  Voter,
  type VoterModules,
  type VoterOutput,
  type VoteStore,
} from "../../../consensus/grandpa/index.js";
import type { KeyPair } from "../../../primitives/crypto/index.js";
import { toHex } from "../../../primitives/hex.js";
import type { TestChain } from "./helpers.js";

export const OPTS = { ...defaultVoterOptions, gossipDurationMs: 100, catchUpAfterMs: 1000 };

export function setOf(keys: KeyPair[], setId = 0n): AuthoritySet {
  return { setId, authorities: keys.map((k) => ({ id: k.publicKey, weight: 1n })) };
}

export interface Finalized {
  block: BlockId;
  setId: bigint;
  round: bigint;
  justification: GrandpaJustificationValue;
  encoded: Uint8Array;
}

/**
 * An in-process network of voters over one shared chain, with a fake clock. Like gossipsub, it
 * delivers each distinct vote message once; a voter that reports `stalled`, or starts, asks every
 * other running voter for its recent votes (catch-up), as the node does over request-response.
 */
export class Net {
  now = 0;
  readonly voters: (Voter | undefined)[] = [];
  readonly stores: VoteStore[] = [];
  readonly finalized: Finalized[][] = [];
  readonly equivocations: Extract<VoterOutput, { type: "equivocation" }>[] = [];
  readonly setChanges: Extract<VoterOutput, { type: "setChanged" }>[][] = [];
  readonly sent: SignedVote[] = [];
  /** The commits each voter gossiped. */
  readonly commits: CommitMessage[][] = [];
  /** Deliver commits to the other voters (off by default: most tests are about votes). */
  commitGossip = false;
  /** Drops a message on its way to voter `to` (a voter that misses some gossip). */
  drop: (to: number, message: FinalityGossip) => boolean = () => false;
  /** Voters that never ask peers for votes (to show that they rejoin from gossip alone). */
  readonly noCatchUp = new Set<number>();
  catchUps = 0;
  private queue: { to: number; message: FinalityGossip }[] = [];
  private readonly seen = new Set<string>();
  private pulls: number[] = [];

  constructor(
    readonly chain: TestChain,
    readonly keys: KeyPair[],
    readonly set: AuthoritySet,
  ) {
    keys.forEach(() => {
      this.stores.push(new MemoryVoteStore());
      this.commits.push([]);
      this.finalized.push([]);
      this.setChanges.push([]);
      this.voters.push(undefined);
    });
  }

  async startVoter(i: number, state?: ReturnType<Voter["state"]>, modules: Partial<VoterModules> = {}): Promise<Voter> {
    const voter = new Voter(
      OPTS,
      { chain: this.chain, store: this.stores[i]!, signer: keyPairSigner(this.keys[i]!), ...modules },
      state ?? { set: this.set, finalized: this.chain.genesisId, round: 0n },
    );
    this.voters[i] = voter;
    this.handle(i, await voter.start(this.now));
    this.pulls.push(i);
    return voter;
  }

  stop(i: number): void {
    this.voters[i] = undefined;
  }

  handle(from: number, outputs: VoterOutput[]): void {
    for (const o of outputs) {
      if (o.type === "vote") {
        this.sent.push(o.vote);
        const id = toHex(encodeVote(o.vote));
        if (this.seen.has(id)) continue;
        this.seen.add(id);
        this.voters.forEach((_, to) => {
          if (to !== from) this.queue.push({ to, message: { kind: "vote", vote: o.vote } });
        });
      } else if (o.type === "commit") {
        this.commits[from]!.push(o.commit);
        if (!this.commitGossip) continue;
        this.voters.forEach((_, to) => {
          if (to !== from) this.queue.push({ to, message: { kind: "commit", commit: o.commit } });
        });
      } else if (o.type === "stalled") {
        this.pulls.push(from);
      } else if (o.type === "finalized") {
        this.finalized[from]!.push(o);
      } else if (o.type === "equivocation") {
        this.equivocations.push(o);
      } else {
        this.setChanges[from]!.push(o);
      }
    }
  }

  /** Inject a vote as if gossiped by an outside voter. */
  inject(vote: SignedVote): void {
    for (let to = 0; to < this.voters.length; to++) this.queue.push({ to, message: { kind: "vote", vote } });
  }

  async run(ms: number, step = 50): Promise<void> {
    const end = this.now + ms;
    while (this.now < end) {
      for (const i of this.pulls.splice(0)) await this.catchUp(i);
      while (this.queue.length > 0) {
        const { to, message } = this.queue.shift()!;
        const voter = this.voters[to];
        if (!voter || this.drop(to, message)) continue;
        // Messages travel as bytes of the finality topic.
        const bytes = message.kind === "vote" ? encodeGossipVote(message.vote) : encodeGossipCommit(message.commit);
        const received = decodeFinalityGossip(bytes);
        this.handle(
          to,
          received.kind === "vote"
            ? await voter.onVote(received.vote, this.now)
            : await voter.onCommit(received.commit, this.now),
        );
      }
      this.now += step;
      for (let i = 0; i < this.voters.length; i++) {
        const v = this.voters[i];
        if (v) this.handle(i, await v.onTimer(this.now));
      }
    }
  }

  /** Voter `i` asks every other running voter for its votes since its own round; they travel as bytes. */
  async catchUp(i: number): Promise<void> {
    const voter = this.voters[i];
    if (!voter || this.noCatchUp.has(i)) return;
    for (let j = 0; j < this.voters.length; j++) {
      const peer = this.voters[j];
      if (j === i || !peer) continue;
      const answer = decodeCatchUp(
        encodeCatchUp(voter.authoritySet.setId, peer.votesSince(voter.authoritySet.setId, voter.round)),
      );
      if (answer.votes.length === 0) continue;
      this.catchUps++;
      this.handle(i, await voter.onCatchUp(answer.votes, this.now));
    }
  }

  lastFinalized(i: number): Finalized | undefined {
    return this.finalized[i]!.at(-1);
  }
}
