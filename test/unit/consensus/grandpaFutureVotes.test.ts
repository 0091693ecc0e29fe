/**
 * Votes for rounds ahead of a voter's own: one authority that signs votes for many distant rounds
 * must not push out the next round's honest votes, nor the round a lagging voter has to jump to, and
 * what the voter holds for future rounds stays bounded.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  type BlockId,
  defaultVoterOptions,
  keyPairSigner,
  MemoryVoteStore,
  type SignedVote,
  signVote,
  Voter,
  type VoterOutput,
} from "../../../consensus/grandpa/index.js";
import type { KeyPair } from "../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { Net, OPTS, setOf } from "./grandpaNet.js";
import { edKeys, TestChain } from "./helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

/** `key`'s prevote and precommit for `target` in each of `count` rounds from `from` on. */
function flood(key: KeyPair, target: BlockId, from: bigint, count: number): SignedVote[] {
  const votes: SignedVote[] = [];
  for (let r = from; r < from + BigInt(count); r++)
    for (const kind of ["Prevote", "Precommit"] as const) votes.push(signVote(key, kind, target, r, 0n));
  return votes;
}

const finalizedIn = (outputs: VoterOutput[]) =>
  outputs.flatMap((o) => (o.type === "finalized" ? [{ block: toHex(o.block.hash), round: o.round }] : []));

describe("GRANDPA future-round votes", () => {
  it("a byzantine authority flooding votes for distant rounds cannot evict the next round's honest votes", async () => {
    const chain = new TestChain();
    const [, b2] = chain.extend(chain.genesisId, 2);
    const keys = edKeys(4);
    const voter = new Voter(
      OPTS,
      { chain, store: new MemoryVoteStore(), signer: keyPairSigner(keys[0]!) },
      { set: setOf(keys), finalized: chain.genesisId, round: 0n },
    );
    const outputs: VoterOutput[] = [...(await voter.start(0))];
    // Dave signs a prevote and a precommit for each of 64 rounds from round 1000 on.
    for (const v of flood(keys[3]!, b2!, 1000n, 64)) outputs.push(...(await voter.onVote(v, 10)));
    // Bob and Charlie are a round ahead: their round-1 votes arrive while Alice is still in round 0.
    for (const key of [keys[1]!, keys[2]!])
      for (const kind of ["Prevote", "Precommit"] as const)
        outputs.push(...(await voter.onVote(signVote(key, kind, b2!, 1n, 0n), 20)));
    // With Alice they weigh the threshold: she joins round 1, votes in it, and the round finalizes b2.
    for (let now = 20; now <= 20 + 4 * OPTS.gossipDurationMs; now += 50) outputs.push(...(await voter.onTimer(now)));
    expect(voter.round).toBeGreaterThanOrEqual(1n);
    expect(finalizedIn(outputs)).toEqual([{ block: toHex(b2!.hash), round: 1n }]);
    expect(voter.lastFinalized.number).toBe(2);
  });

  it("a voter several rounds behind jumps to the honest supermajority's round from gossip alone, despite a flood", async () => {
    const chain = new TestChain();
    let tip = chain.extend(chain.genesisId, 2).at(-1)!;
    const keys = edKeys(4);
    const net = new Net(chain, keys, setOf(keys));
    // Dave is cut off (both ways) and never asks peers for their votes: he can only rejoin from gossip.
    const dave = toHex(keys[3]!.publicKey);
    let cutOff = true;
    net.drop = (to, m) => cutOff && (to === 3 || (m.kind === "vote" && toHex(m.vote.id) === dave));
    net.noCatchUp.add(3);
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    await net.run(3000);
    const ahead = net.voters[0]!.round;
    // Farther ahead than the 4-round window of the reverted fix.
    expect(ahead - net.voters[3]!.round).toBeGreaterThan(4n);
    expect(net.lastFinalized(3)).toBeUndefined();
    // Alice, otherwise a live voter, also signs votes for 64 distant rounds; Dave receives them first.
    for (const v of flood(keys[0]!, tip, ahead + 1000n, 64)) {
      net.handle(3, await net.voters[3]!.onVote(v, net.now));
      net.inject(v);
    }
    cutOff = false;
    tip = chain.extend(tip, 2).at(-1)!;
    const catchUpsBefore = net.catchUps;
    await net.run(1500);
    expect(net.catchUps).toBe(catchUpsBefore);
    expect(net.voters[3]!.round).toBeGreaterThan(ahead);
    expect(net.voters[3]!.round).toBe(net.voters[0]!.round);
    for (let i = 0; i < 4; i++) expect(toHex(net.lastFinalized(i)!.block.hash)).toBe(toHex(tip.hash));
    expect(net.equivocations).toEqual([]);
  });

  it("keeps what it holds for future rounds bounded under a flood, and still holds the next round's honest votes", async () => {
    const chain = new TestChain();
    const [b1, b2] = chain.extend(chain.genesisId, 2);
    const fork = chain.add(b1!, { salt: "fork" });
    const keys = edKeys(4);
    const voter = new Voter(
      OPTS,
      { chain, store: new MemoryVoteStore(), signer: keyPairSigner(keys[0]!) },
      { set: setOf(keys), finalized: chain.genesisId, round: 0n },
    );
    await voter.start(0);
    // Bob's prevote for the next round (with Alice's weight not yet a supermajority: no jump).
    const honest = signVote(keys[1]!, "Prevote", b2!, 1n, 0n);
    await voter.onVote(honest, 0);
    // Dave equivocates in each of 150 rounds (two prevotes and two precommits each), near and far ahead.
    for (const target of [b2!, fork])
      for (const v of [...flood(keys[3]!, target, 2n, 50), ...flood(keys[3]!, target, 5000n, 100)])
        await voter.onVote(v, 0);
    const { nearest, highest } = defaultVoterOptions.futureRoundsPerVoter;
    // At most 4 votes (2 per phase) of each voter in each of its at most nearest + highest future rounds.
    const perVoter = 4 * (nearest + highest);
    expect(voter.round).toBe(0n);
    const held = voter.votesSince(0n, 1n);
    const byDave = held.filter((v) => toHex(v.id) === toHex(keys[3]!.publicKey));
    expect(byDave.length).toBeLessThanOrEqual(perVoter);
    expect(held.length).toBeLessThanOrEqual(perVoter * keys.length);
    expect(new Set(held.map((v) => v.round)).size).toBeLessThanOrEqual((nearest + highest) * keys.length);
    expect(held.map((v) => toHex(v.signature))).toContain(toHex(honest.signature));
    // Dave keeps his nearest rounds and his highest ones (2 of each by default), nothing in between.
    const daveRounds = [...new Set(byDave.map((v) => v.round))].sort((a, b) => (a < b ? -1 : 1));
    expect(daveRounds).toEqual([2n, 3n, 5098n, 5099n]);
  });
});
