import { beforeAll, describe, expect, it } from "@jest/globals";
import { EquivocationEvidence, verifyEquivocation } from "../../../consensus/equivocation.js";
import { EquivocationError } from "../../../consensus/errors.js";
import {
  type CommitMessage,
  commitOf,
  decodeFinalityGossip,
  decodeVote,
  encodeGossipCommit,
  encodeGossipVote,
  encodeVote,
  GossipMessage,
  GrandpaError,
  GrandpaJustification,
  type GrandpaJustificationValue,
  keyPairSigner,
  localizedPayload,
  MemoryVoteStore,
  type SavedVotes,
  type SignedVote,
  scheduledChangeItem,
  signVote,
  supermajority,
  Voter,
  type VoterChain,
  type VoterOutput,
  type VoteStore,
  verifyGrandpaEquivocation,
  verifyJustification,
} from "../../../consensus/grandpa/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { thrownCode } from "../../helpers/errors.js";
import { Net, OPTS, setOf } from "./grandpaNet.js";
import { edKeys, TestChain } from "./helpers.js";

const grandpaCode = (f: () => unknown) => thrownCode(f, GrandpaError);
const equivocationCode = (f: () => unknown) => thrownCode(f, EquivocationError);

beforeAll(async () => {
  await cryptoReady();
});

describe("GRANDPA messages", () => {
  it("signs the localized payload (message, round, set_id) and round-trips VoteMessage bytes", () => {
    const [alice] = edKeys(1);
    const target = { hash: new Uint8Array(32).fill(0xab), number: 5 };
    const payload = localizedPayload("Precommit", target, 3n, 7n);
    // variant 1 | hash | u32 5 | u64 3 | u64 7
    expect(toHex(payload)).toBe(`0x01${"ab".repeat(32)}05000000${"0300000000000000"}${"0700000000000000"}`);
    const vote = signVote(alice!, "Precommit", target, 3n, 7n);
    const bytes = encodeVote(vote);
    // round u64 | set_id u64 | message | signature | id
    expect(bytes.length).toBe(8 + 8 + 1 + 32 + 4 + 64 + 32);
    expect(decodeVote(bytes)).toEqual(vote);
    expect(supermajority(4n)).toBe(3n);
    expect(supermajority(3n)).toBe(3n);
    expect(supermajority(7n)).toBe(5n);
    expect(supermajority(100n)).toBe(67n);
  });
});

describe("GRANDPA gossip messages", () => {
  it("wraps votes and commits in sc-consensus-grandpa's GossipMessage (Vote = 0, Commit = 1)", () => {
    const keys = edKeys(2);
    const target = { hash: new Uint8Array(32).fill(0xab), number: 5 };
    const child = { hash: new Uint8Array(32).fill(0xcd), number: 6 };
    const vote = signVote(keys[0]!, "Prevote", target, 3n, 7n);
    expect(toHex(encodeGossipVote(vote))).toBe(`0x00${toHex(encodeVote(vote)).slice(2)}`);
    expect(decodeFinalityGossip(encodeGossipVote(vote))).toEqual({ kind: "vote", vote });

    const precommits = [
      signVote(keys[0]!, "Precommit", target, 3n, 7n),
      signVote(keys[1]!, "Precommit", child, 3n, 7n),
    ];
    const commit: CommitMessage = { round: 3n, setId: 7n, target, precommits };
    const bytes = encodeGossipCommit(commit);
    // 1 | round u64 | set_id u64 | target hash | u32 | compact(2) | 2 × (hash, u32) | compact(2) | 2 × (sig, id)
    const hex = toHex(bytes).slice(2);
    expect(hex.slice(0, 2 + 32 + 64 + 8 + 2)).toBe(
      `01${"0300000000000000"}${"0700000000000000"}${"ab".repeat(32)}05000000${"08"}`,
    );
    expect(bytes.length).toBe(1 + 8 + 8 + 36 + 1 + 2 * 36 + 1 + 2 * 96);
    expect(decodeFinalityGossip(bytes)).toEqual({ kind: "commit", commit });
    // A commit whose precommits and signatures differ in number is malformed.
    const lopsided = GossipMessage.enc({
      tag: "Commit",
      value: {
        round: 3n,
        set_id: 7n,
        message: {
          target_hash: target.hash,
          target_number: target.number,
          precommits: [{ target_hash: target.hash, target_number: target.number }],
          auth_data: [],
        },
      },
    });
    expect(() => decodeFinalityGossip(lopsided)).toThrow(TypeError);
  });
});

describe("GRANDPA commits", () => {
  it("a voter that misses every precommit finalizes from the others' commits, without catch-up", async () => {
    const chain = new TestChain();
    const blocks = chain.extend(chain.genesisId, 10);
    const keys = edKeys(4);
    const set = setOf(keys);
    const net = new Net(chain, keys, set);
    net.commitGossip = true;
    net.drop = (to, m) => to === 3 && m.kind === "vote" && m.vote.kind === "Precommit";
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    await net.run(2000);
    const tip = toHex(blocks.at(-1)!.hash);
    const f = net.lastFinalized(3)!;
    expect(toHex(f.block.hash)).toBe(tip);
    // Its justification is made of the commit's precommits and its own chain's headers.
    expect(toHex(verifyJustification(f.encoded, set, f.block).hash)).toBe(tip);
    // The others gossiped commits; voter 3 finalized only from theirs, so it sent none.
    expect(net.commits[0]!.length).toBeGreaterThan(0);
    expect(net.commits[3]).toEqual([]);
    // The chain grows; voter 3 keeps up through commits alone.
    const more = chain.extend(blocks.at(-1)!, 5);
    await net.run(2000);
    expect(toHex(net.lastFinalized(3)!.block.hash)).toBe(toHex(more.at(-1)!.hash));
    expect(net.catchUps).toBe(0);
    expect(net.equivocations).toEqual([]);

    // Without commit gossip the same voter only finalizes by asking its peers (catch-up).
    const without = new Net(chain, keys, set);
    without.drop = net.drop;
    for (let i = 0; i < 4; i++) await without.startVoter(i);
    await without.run(500);
    expect(without.lastFinalized(0)).toBeDefined();
    expect(without.lastFinalized(3)).toBeUndefined();
  });

  it("checks a commit like a justification; waits for blocks it does not have; ignores stale ones", async () => {
    const chain = new TestChain();
    const blocks = chain.extend(chain.genesisId, 8);
    const keys = edKeys(4);
    const set = setOf(keys);
    const net = new Net(chain, keys, set);
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    await net.run(2000);
    const commit = net.commits[0]!.at(-1)!;
    expect(toHex(commit.target.hash)).toBe(toHex(blocks.at(-1)!.hash));
    expect(commit).toEqual(commitOf(0n, net.lastFinalized(0)!.justification));

    // An observer whose chain has only the first 5 blocks: the commit waits for the rest.
    const partial = new TestChain();
    const first = partial.extend(partial.genesisId, 5);
    const observer = new Voter(
      OPTS,
      { chain: partial, store: new MemoryVoteStore() },
      { set, finalized: partial.genesisId, round: 0n },
    );
    expect(await observer.onCommit(commit, 0)).toEqual([]);
    // Forged or insufficient commits are refused with a typed error, before and after.
    const forged = {
      ...commit,
      precommits: commit.precommits.map((p, i) => (i === 0 ? { ...p, signature: new Uint8Array(64) } : p)),
    };
    const few = { ...commit, precommits: commit.precommits.slice(0, 2) };
    const stranger = {
      ...commit,
      precommits: [
        ...commit.precommits.slice(0, 2),
        signVote(edKeys(5)[4]!, "Precommit", commit.target, commit.round, 0n),
      ],
    };
    for (const bad of [forged, few, stranger])
      await expect(observer.onCommit(bad, 0)).rejects.toMatchObject({
        type: { code: "GRANDPA_ERROR_BAD_JUSTIFICATION" },
      });
    // Another set's commit is not ours to check.
    expect(await observer.onCommit({ ...commit, setId: 1n }, 0)).toEqual([]);

    partial.extend(first.at(-1)!, 3);
    const out = await observer.onBlockImported(blocks.at(-1)!, 10);
    const finalized = out.filter((o) => o.type === "finalized");
    expect(finalized).toHaveLength(1);
    const f = finalized[0]!;
    if (f.type !== "finalized") throw new Error("unreachable");
    expect(toHex(f.block.hash)).toBe(toHex(commit.target.hash));
    expect(toHex(verifyJustification(f.encoded, set, f.block).hash)).toBe(toHex(commit.target.hash));
    // An observer never gossips commits of its own.
    expect(out.filter((o) => o.type === "commit")).toEqual([]);
    expect(observer.lastFinalized.number).toBe(8);
    // Stale now: nothing more.
    expect(await observer.onCommit(commit, 20)).toEqual([]);
  });
});

describe("GRANDPA voter", () => {
  it("4 voters exchanging votes all finalize the same block", async () => {
    const chain = new TestChain();
    const blocks = chain.extend(chain.genesisId, 10);
    const keys = edKeys(4);
    const net = new Net(chain, keys, setOf(keys));
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    await net.run(2000);
    const tip = toHex(blocks.at(-1)!.hash);
    for (let i = 0; i < 4; i++) {
      const f = net.lastFinalized(i)!;
      expect(f).toBeDefined();
      expect(toHex(f.block.hash)).toBe(tip);
      expect(toHex(verifyJustification(f.encoded, setOf(keys), f.block).hash)).toBe(tip);
    }
    // The chain grows; finality follows it.
    const more = chain.extend(blocks.at(-1)!, 5);
    await net.run(2000);
    for (let i = 0; i < 4; i++) expect(toHex(net.lastFinalized(i)!.block.hash)).toBe(toHex(more.at(-1)!.hash));
    // No two voters ever finalized different blocks at one height.
    const byHeight = new Map<number, string>();
    for (const list of net.finalized)
      for (const f of list) {
        const seen = byHeight.get(f.block.number);
        if (seen) expect(toHex(f.block.hash)).toBe(seen);
        byHeight.set(f.block.number, toHex(f.block.hash));
      }
    expect(net.equivocations).toEqual([]);
  });

  it("finalizes with 3 of 4 voters online but not with 2 of 4", async () => {
    const chain = new TestChain();
    const blocks = chain.extend(chain.genesisId, 6);
    const keys = edKeys(4);

    const three = new Net(chain, keys, setOf(keys));
    for (let i = 0; i < 3; i++) await three.startVoter(i);
    await three.run(3000);
    for (let i = 0; i < 3; i++) expect(toHex(three.lastFinalized(i)!.block.hash)).toBe(toHex(blocks.at(-1)!.hash));
    expect(three.lastFinalized(0)!.justification.commit.precommits.length).toBe(3);

    const two = new Net(chain, keys, setOf(keys));
    for (let i = 0; i < 2; i++) await two.startVoter(i);
    await two.run(5000);
    expect(two.finalized[0]).toEqual([]);
    expect(two.finalized[1]).toEqual([]);

    // The two missing voters come back: finality resumes.
    await two.startVoter(2);
    await two.startVoter(3);
    await two.run(3000);
    for (let i = 0; i < 4; i++) expect(toHex(two.lastFinalized(i)!.block.hash)).toBe(toHex(blocks.at(-1)!.hash));
  });

  it("agrees on one branch when the chain forks", async () => {
    const chain = new TestChain();
    const [a1] = chain.extend(chain.genesisId, 1);
    const left = chain.extend(a1!, 3, "left");
    const right = chain.extend(a1!, 3, "right");
    const keys = edKeys(4);
    const net = new Net(chain, keys, setOf(keys));
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    await net.run(2000);
    const finals = net.finalized.map((l) => toHex(l.at(-1)!.block.hash));
    expect(new Set(finals).size).toBe(1);
    const best = toHex(chain.tree.best().hash);
    expect([toHex(left.at(-1)!.hash), toHex(right.at(-1)!.hash)]).toContain(best);
    expect(finals[0]).toBe(best);
  });

  it("detects an equivocating voter, and the evidence verifies", async () => {
    const chain = new TestChain();
    const [b1, b2] = chain.extend(chain.genesisId, 2);
    const fork = chain.add(b1!, { salt: "fork" });
    const keys = edKeys(4);
    const set = setOf(keys);
    const net = new Net(chain, keys, set);
    for (let i = 0; i < 3; i++) await net.startVoter(i);
    // Dave prevotes twice in round 0.
    const v1 = signVote(keys[3]!, "Prevote", b2!, 0n, 0n);
    const v2 = signVote(keys[3]!, "Prevote", fork, 0n, 0n);
    net.inject(v1);
    net.inject(v2);
    await net.run(1000);
    expect(net.equivocations.length).toBe(3); // each honest voter reports it
    const ev = net.equivocations[0]!;
    expect(toHex(ev.first.id)).toBe(toHex(keys[3]!.publicKey));
    const offence = verifyGrandpaEquivocation(ev.proof, set);
    expect(offence.round).toBe(0n);
    expect(offence.kind).toBe("Prevote");
    const bytes = EquivocationEvidence.enc({ tag: "Grandpa", value: ev.proof });
    expect(verifyEquivocation(bytes, { grandpa: set }).kind).toBe("grandpa");
    // Two identical votes are no equivocation; a wrong set is rejected.
    const same = {
      ...ev.proof,
      equivocation: {
        ...ev.proof.equivocation,
        value: { ...ev.proof.equivocation.value, second: ev.proof.equivocation.value.first },
      },
    };
    expect(equivocationCode(() => verifyGrandpaEquivocation(same, set))).toBe("EQUIVOCATION_ERROR_NOT_CONFLICTING");
    expect(equivocationCode(() => verifyGrandpaEquivocation(ev.proof, { ...set, setId: 1n }))).toBe(
      "EQUIVOCATION_ERROR_MALFORMED",
    );
    // Honest voters still finalize.
    for (let i = 0; i < 3; i++) expect(net.lastFinalized(i)).toBeDefined();
  });

  it("rejects votes from non-voters and bad signatures with typed errors", async () => {
    const chain = new TestChain();
    const [b1] = chain.extend(chain.genesisId, 1);
    const keys = edKeys(5);
    const set = setOf(keys.slice(0, 4));
    const voter = new Voter(
      OPTS,
      { chain, store: new MemoryVoteStore(), signer: keyPairSigner(keys[0]!) },
      { set, finalized: chain.genesisId, round: 0n },
    );
    await voter.start(0);
    const outsider = signVote(keys[4]!, "Prevote", b1!, 0n, 0n);
    await expect(voter.onVote(outsider, 0)).rejects.toMatchObject({ type: { code: "GRANDPA_ERROR_UNKNOWN_VOTER" } });
    const forged = { ...signVote(keys[1]!, "Prevote", b1!, 0n, 0n), round: 1n };
    await expect(voter.onVote(forged, 0)).rejects.toMatchObject({ type: { code: "GRANDPA_ERROR_BAD_SIGNATURE" } });
    // The voter keeps working after a rejected vote.
    expect(await voter.onVote(signVote(keys[1]!, "Prevote", b1!, 0n, 0n), 0)).toBeDefined();
  });

  it("persists each vote before emitting it", async () => {
    const chain = new TestChain();
    chain.extend(chain.genesisId, 3);
    const [alice] = edKeys(1);
    let release: () => void = () => {};
    const saved: SignedVote[] = [];
    const store: VoteStore = {
      load: async () => undefined,
      save: (_s, _r, vote) =>
        new Promise<void>((resolve) => {
          release = () => {
            saved.push(vote);
            resolve();
          };
        }),
    };
    const voter = new Voter(
      OPTS,
      { chain, store, signer: keyPairSigner(alice!) },
      { set: setOf([alice!]), finalized: chain.genesisId, round: 0n },
    );
    expect(await voter.start(0)).toEqual([]);
    let done: VoterOutput[] | undefined;
    const p = voter.onTimer(1000).then((o) => {
      done = o;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBeUndefined();
    release();
    // Each later vote waits for its own save too.
    for (let i = 0; i < 10 && done === undefined; i++) {
      await new Promise((r) => setTimeout(r, 5));
      release();
    }
    await p;
    const votes = done!.filter((o) => o.type === "vote");
    expect(votes.length).toBeGreaterThan(0);
    for (const v of votes) expect(saved).toContain((v as { vote: SignedVote }).vote);
  });

  it("a restarted voter re-sends its stored votes instead of contradicting them", async () => {
    const chain = new TestChain();
    const early = chain.extend(chain.genesisId, 3);
    const keys = edKeys(4);
    const store = new MemoryVoteStore();
    const set = setOf(keys);
    const first = new Voter(
      OPTS,
      { chain, store, signer: keyPairSigner(keys[0]!) },
      { set, finalized: chain.genesisId, round: 0n },
    );
    const out1 = await first.start(0);
    const out2 = await first.onTimer(250);
    const prevote = [...out1, ...out2].find((o) => o.type === "vote")!;
    expect(prevote.type === "vote" && toHex(prevote.vote.target.hash)).toBe(toHex(early.at(-1)!.hash));

    // Crash; the chain grows meanwhile; restart from the same state and store.
    chain.extend(early.at(-1)!, 4);
    const saved: SavedVotes | undefined = await store.load(0n, 0n);
    expect(saved?.prevote).toBeDefined();
    const second = new Voter(
      OPTS,
      { chain, store, signer: keyPairSigner(keys[0]!) },
      { set, finalized: chain.genesisId, round: 0n },
    );
    const outs = [...(await second.start(10_000)), ...(await second.onTimer(10_250))];
    const votes = outs.filter((o): o is Extract<VoterOutput, { type: "vote" }> => o.type === "vote").map((o) => o.vote);
    const prevotes = votes.filter((v) => v.kind === "Prevote" && v.round === 0n);
    expect(prevotes.length).toBeGreaterThan(0);
    for (const v of prevotes) expect(toHex(v.signature)).toBe(toHex(saved!.prevote!.signature));

    // In a network, the restarted voter together with the others still finalizes, and nobody
    // sees an equivocation from it.
    const net = new Net(chain, keys, set);
    (net.stores as VoteStore[])[0] = store;
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    await net.run(3000);
    expect(net.equivocations).toEqual([]);
    expect(net.lastFinalized(1)).toBeDefined();
  });

  it("catches up with the others' round after a restart", async () => {
    const chain = new TestChain();
    let tip = chain.extend(chain.genesisId, 2).at(-1)!;
    const keys = edKeys(4);
    const net = new Net(chain, keys, setOf(keys));
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    for (let k = 0; k < 5; k++) {
      tip = chain.extend(tip, 1).at(-1)!;
      await net.run(1000);
    }
    const round = net.voters[1]!.round;
    expect(round).toBeGreaterThan(2n);
    // Voters 2 and 3 restart from round 0 with their stores; finality continues past their absence.
    net.stop(2);
    net.stop(3);
    tip = chain.extend(tip, 2).at(-1)!;
    await net.run(2000);
    expect(toHex(net.lastFinalized(0)!.block.hash)).not.toBe(toHex(tip.hash));
    const stuck = net.voters[0]!.round;
    // Gossip never repeats the live voters' votes: the restarted ones only rejoin by catching up.
    const catchUpsBefore = net.catchUps;
    await net.startVoter(2);
    await net.startVoter(3);
    await net.run(3000);
    expect(net.catchUps).toBeGreaterThan(catchUpsBefore);
    for (let i = 0; i < 4; i++) expect(toHex(net.lastFinalized(i)!.block.hash)).toBe(toHex(tip.hash));
    // Finality resumes within 2 rounds of the round the live voters were stuck in.
    expect(net.lastFinalized(0)!.round).toBeLessThanOrEqual(stuck + 1n);
    expect(net.equivocations).toEqual([]);
  });

  it("a restarted voter far behind its peers holds its prevote until it has synced, then the stuck round finalizes the tip", async () => {
    const chain = new TestChain();
    let tip = chain.extend(chain.genesisId, 2).at(-1)!;
    const keys = edKeys(4);
    const net = new Net(chain, keys, setOf(keys));
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    await net.run(1000);
    expect(toHex(net.lastFinalized(0)!.block.hash)).toBe(toHex(tip.hash));
    // Voters 2 and 3 go down at `stopped`; the other two build on without finality.
    const stopped = tip;
    net.stop(2);
    net.stop(3);
    tip = chain.extend(tip, 8).at(-1)!;
    await net.run(2000);
    const stuck = net.voters[0]!.round;
    // They restart with a chain that ends where they stopped, and sync reports them behind.
    let synced = false;
    const lagging: VoterChain = {
      header: (hash) => {
        const h = chain.header(hash);
        return h && (synced || h.number <= stopped.number) ? h : undefined;
      },
      ancestry: (base, block) => (lagging.header(block) ? chain.ancestry(base, block) : undefined),
      isDescendant: (a, d) => lagging.header(d) !== undefined && chain.isDescendant(a, d),
      bestChainContaining: (base) => {
        const best = chain.bestChainContaining(base);
        return best && !synced && best.number > stopped.number && chain.isDescendant(stopped.hash, best.hash)
          ? stopped
          : best;
      },
    };
    const sentBefore = net.sent.length;
    for (const i of [2, 3]) await net.startVoter(i, undefined, { chain: lagging, behind: () => !synced });
    await net.run(1500);
    // Caught up with the stuck round, yet no prevote for their stale best, and nothing finalized.
    const restartedKeys = [2, 3].map((i) => toHex(keys[i]!.publicKey));
    const restartedPrevotes = net.sent
      .slice(sentBefore)
      .filter((v) => v.kind === "Prevote" && restartedKeys.includes(toHex(v.id)));
    expect(restartedPrevotes).toEqual([]);
    expect(toHex(net.lastFinalized(0)!.block.hash)).toBe(toHex(stopped.hash));
    // Sync brings the blocks; the import wakes the voters, which prevote the tip in the stuck round.
    synced = true;
    for (const i of [2, 3]) net.handle(i, await net.voters[i]!.onBlockImported(tip, net.now));
    await net.run(1000);
    for (let i = 0; i < 4; i++) expect(toHex(net.lastFinalized(i)!.block.hash)).toBe(toHex(tip.hash));
    expect(net.lastFinalized(0)!.round).toBe(stuck);
    expect(net.equivocations).toEqual([]);
  });

  it("an observer given a key of the set later votes with it", async () => {
    const chain = new TestChain();
    chain.extend(chain.genesisId, 2);
    const keys = edKeys(4);
    const voter = new Voter(
      OPTS,
      { chain, store: new MemoryVoteStore() },
      { set: setOf(keys), finalized: chain.genesisId, round: 0n },
    );
    const before = [...(await voter.start(0)), ...(await voter.onTimer(500))];
    expect(before.filter((o) => o.type === "vote")).toEqual([]);
    voter.setSigner(keyPairSigner(keys[3]!));
    const after = await voter.onTimer(600);
    const votes = after.filter((o) => o.type === "vote");
    expect(votes.length).toBeGreaterThan(0);
    for (const v of votes) if (v.type === "vote") expect(toHex(v.vote.id)).toBe(toHex(keys[3]!.publicKey));
  });

  it("hands off to a new authority set without a gap", async () => {
    const chain = new TestChain();
    const keys = edKeys(5);
    const oldSet = setOf(keys.slice(0, 4));
    const [b1, b2] = chain.extend(chain.genesisId, 2);
    // Block 3 schedules set 1 = Bob, Charlie, Dave, Eve (delay 0).
    const b3 = chain.add(b2!, {
      logs: [
        scheduledChangeItem({
          next_authorities: keys.slice(1).map((k) => [k.publicKey, 1n] as [Uint8Array, bigint]),
          delay: 0,
        }),
      ],
    });
    const after = chain.extend(b3, 5);
    expect(b1).toBeDefined();
    const net = new Net(chain, keys, oldSet);
    for (let i = 0; i < 5; i++) await net.startVoter(i);
    await net.run(4000);

    const newSet = setOf(keys.slice(1), 1n);
    for (let i = 0; i < 5; i++) {
      const fins = net.finalized[i]!;
      // The old set finalizes exactly the change block, the new set everything after it.
      const handoff = fins.find((f) => f.setId === 0n && f.block.number === 3);
      expect(handoff).toBeDefined();
      expect(fins.filter((f) => f.setId === 0n).every((f) => f.block.number <= 3)).toBe(true);
      expect(toHex(verifyJustification(handoff!.encoded, oldSet).hash)).toBe(toHex(b3.hash));
      const last = fins.at(-1)!;
      expect(last.setId).toBe(1n);
      expect(toHex(last.block.hash)).toBe(toHex(after.at(-1)!.hash));
      expect(toHex(verifyJustification(last.encoded, newSet).hash)).toBe(toHex(after.at(-1)!.hash));
      expect(grandpaCode(() => verifyJustification(last.encoded, { ...oldSet, setId: 1n }))).toBe(
        "GRANDPA_ERROR_BAD_JUSTIFICATION",
      );
      expect(net.setChanges[i]!.map((c) => c.set.setId)).toEqual([1n]);
      expect(net.voters[i]!.authoritySet.setId).toBe(1n);
    }
    // Alice is no longer a voter: no votes of hers in set 1.
    expect(net.sent.some((v) => v.setId === 1n && toHex(v.id) === toHex(keys[0]!.publicKey))).toBe(false);
    expect(net.sent.some((v) => v.setId === 1n && toHex(v.id) === toHex(keys[4]!.publicKey))).toBe(true);
  });
});

describe("justifications", () => {
  async function finalizedJustification() {
    const chain = new TestChain();
    chain.extend(chain.genesisId, 4);
    const keys = edKeys(4);
    const set = setOf(keys);
    const net = new Net(chain, keys, set);
    for (let i = 0; i < 4; i++) await net.startVoter(i);
    await net.run(2000);
    return { f: net.lastFinalized(0)!, set, keys, chain };
  }

  it("accepts a good one and rejects tampered or insufficient ones", async () => {
    const { f, set, keys } = await finalizedJustification();
    const j = GrandpaJustification.dec(f.encoded);
    expect(verifyJustification(j, set).number).toBe(4);
    expect(j.commit.precommits.length).toBeGreaterThanOrEqual(3);

    const bad = (x: GrandpaJustificationValue) => grandpaCode(() => verifyJustification(x, set));
    // A flipped signature bit.
    const sig = j.commit.precommits[0]!.signature.slice();
    sig[0]! ^= 1;
    expect(
      bad({
        ...j,
        commit: {
          ...j.commit,
          precommits: [{ ...j.commit.precommits[0]!, signature: sig }, ...j.commit.precommits.slice(1)],
        },
      }),
    ).toBe("GRANDPA_ERROR_BAD_JUSTIFICATION");
    // Another round than the one signed.
    expect(bad({ ...j, round: j.round + 1n })).toBe("GRANDPA_ERROR_BAD_JUSTIFICATION");
    // Only 2 of 4 precommits.
    const two = { ...j, commit: { ...j.commit, precommits: j.commit.precommits.slice(0, 2) } };
    expect(bad(two)).toBe("GRANDPA_ERROR_BAD_JUSTIFICATION");
    // The same precommit three times counts once.
    const dup = {
      ...j,
      commit: { ...j.commit, precommits: [j.commit.precommits[0]!, j.commit.precommits[0]!, j.commit.precommits[0]!] },
    };
    expect(bad(dup)).toBe("GRANDPA_ERROR_BAD_JUSTIFICATION");
    // A different target than the one signed.
    const other = { ...j, commit: { ...j.commit, target_number: j.commit.target_number + 1 } };
    expect(bad(other)).toBe("GRANDPA_ERROR_BAD_JUSTIFICATION");
    // Not the expected block.
    expect(grandpaCode(() => verifyJustification(j, set, { hash: new Uint8Array(32), number: 4 }))).toBe(
      "GRANDPA_ERROR_BAD_JUSTIFICATION",
    );
    // A set without these voters.
    expect(grandpaCode(() => verifyJustification(j, setOf(edKeys(6).slice(4))))).toBe(
      "GRANDPA_ERROR_BAD_JUSTIFICATION",
    );
    // Garbage bytes.
    expect(grandpaCode(() => verifyJustification(new Uint8Array([1, 2, 3]), set))).toBe(
      "GRANDPA_ERROR_BAD_JUSTIFICATION",
    );
    expect(keys.length).toBe(4);
  });

  it("proves precommits for descendants through the ancestry headers, and rejects unused headers", async () => {
    const chain = new TestChain();
    const blocks = chain.extend(chain.genesisId, 5);
    const keys = edKeys(4);
    const set = setOf(keys);
    const target = blocks[2]!; // #3
    const precommits = [
      signVote(keys[0]!, "Precommit", target, 2n, 0n),
      signVote(keys[1]!, "Precommit", blocks[3]!, 2n, 0n),
      signVote(keys[2]!, "Precommit", blocks[4]!, 2n, 0n),
    ];
    const { buildJustification } = await import("../../../consensus/grandpa/justification.js");
    const ancestries = [chain.header(blocks[3]!.hash)!, chain.header(blocks[4]!.hash)!];
    const j = buildJustification(2n, target, precommits, ancestries);
    expect(verifyJustification(GrandpaJustification.enc(j), set).number).toBe(3);
    // Without the header of #5 the precommit for #5 is unproven.
    expect(grandpaCode(() => verifyJustification({ ...j, votes_ancestries: ancestries.slice(0, 1) }, set))).toBe(
      "GRANDPA_ERROR_BAD_JUSTIFICATION",
    );
    // An extra header no precommit needs.
    const extra = [...ancestries, chain.header(blocks[1]!.hash)!];
    expect(grandpaCode(() => verifyJustification({ ...j, votes_ancestries: extra }, set))).toBe(
      "GRANDPA_ERROR_BAD_JUSTIFICATION",
    );
  });
});
