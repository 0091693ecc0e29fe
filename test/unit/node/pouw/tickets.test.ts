/**
 * The node's side of PoUW tickets: the pool a block author picks from, the gossip judge, and the
 * trainer's ticket maker. Chain state is a hand-made `TicketContext` (job 7 trains with Alice over 5
 * leaves); tickets are real sr25519 VRFs.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { decodeTicketMessage, encodeTicketMessage, judgeTicketMessage } from "../../../../node/pouw/gossip.js";
import { makeLeafTicket } from "../../../../node/pouw/ticketMaker.js";
import { TicketPool } from "../../../../node/pouw/ticketPool.js";
import { TrainerTickets } from "../../../../node/pouw/trainerTickets.js";
import { keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { nullLogger } from "../../../../primitives/logger.js";
import {
  leafNodeHash,
  MAX_POUW_TARGET,
  makeTicket,
  type PouwTicketValue,
  scoreOf,
  scoreValue,
  signTicket,
  type TicketContext,
  validateTicket,
} from "../../../../primitives/pouw.js";

beforeAll(async () => {
  await cryptoReady();
});

const bytes = (label: string) => blake2_256(new TextEncoder().encode(label));
const alice = keypairFromSuri("//Alice");
const randomness = bytes("epoch randomness");
const stateHashes = [1, 2, 3, 4, 5].map((i) => bytes(`state at leaf ${i}`));

function context(over: Partial<TicketContext> = {}, onChain: number[] = []): TicketContext {
  return {
    randomness,
    target: MAX_POUW_TARGET,
    job: (id) => (id === 7n ? { training: true, leafCount: 5 } : undefined),
    isAssigned: (id, w) => id === 7n && toHex(w) === toHex(alice.publicKey),
    workKey: (w) => (toHex(w) === toHex(alice.publicKey) ? alice.publicKey : undefined),
    hasTicket: (id, w, leaf) => id === 7n && toHex(w) === toHex(alice.publicKey) && onChain.includes(leaf),
    ...over,
  };
}

function ticketAt(leaf: number): PouwTicketValue {
  const claim = { randomness, jobId: 7n, leaf, leafHash: leafNodeHash(leaf, stateHashes[leaf - 1]!) };
  return makeTicket(alice.publicKey, claim, signTicket(alice.secretKey, claim));
}
const score = (t: PouwTicketValue) => scoreValue(scoreOf(randomness, t));
/** Alice's tickets below `target` among the five leaves of job 7. */
const leafTickets = (target: bigint) =>
  stateHashes.flatMap((h, i) => makeLeafTicket(alice, alice.publicKey, 7n, i + 1, h, { randomness, target }) ?? []);

describe("the trainer's tickets", () => {
  it("signs every leaf with the work key; under a target keeps exactly the leaves that score below it", () => {
    const all = leafTickets(MAX_POUW_TARGET);
    expect(all.map((t) => t.leaf)).toEqual([1, 2, 3, 4, 5]);
    for (const t of all) expect(() => validateTicket(t, context())).not.toThrow();
    // The leaf node binds the state hash: leaf 3's ticket commits to leaf 3's state.
    expect(all[2]!.leaf_hash).toEqual(leafNodeHash(3, stateHashes[2]!));
    // A target between the scores keeps the leaves below it, and nothing else.
    const scores = all.map(score).sort((a, b) => (a < b ? -1 : 1));
    const target = scores[2]!; // strictly below: the two best
    const kept = leafTickets(target);
    expect(kept.map(score).sort((a, b) => (a < b ? -1 : 1))).toEqual(scores.slice(0, 2));
    expect(leafTickets(0n)).toEqual([]);
  });
});

describe("the ticket pool", () => {
  it("keeps one ticket per (job, worker, leaf) up to its bound", () => {
    const pool = new TicketPool(2);
    expect(pool.add(ticketAt(1))).toBe(true);
    expect(pool.add(ticketAt(1))).toBe(false); // known (even re-signed: same key)
    expect(pool.add(ticketAt(2))).toBe(true);
    expect(pool.add(ticketAt(3))).toBe(false); // full
    expect(pool.size).toBe(2);
  });

  it("picks the valid tickets best first, at most max, and drops those the state no longer accepts", () => {
    const pool = new TicketPool();
    const tickets = [1, 2, 3, 4, 5].map(ticketAt);
    for (const t of tickets) pool.add(t);
    const byScore = [...tickets].sort((a, b) => (score(a) < score(b) ? -1 : 1));
    expect(pool.pick(context(), 3).map((t) => t.leaf)).toEqual(byScore.slice(0, 3).map((t) => t.leaf));
    expect(pool.size).toBe(5); // picking takes nothing out
    // Leaf `best` went on chain in the parent block: it is skipped and dropped, the next one comes in.
    const best = byScore[0]!.leaf;
    expect(pool.pick(context({}, [best]), 3).map((t) => t.leaf)).toEqual(byScore.slice(1, 4).map((t) => t.leaf));
    expect(pool.size).toBe(4);
    // The job stopped training: nothing is valid any more, and the pool empties.
    expect(pool.pick(context({ job: () => ({ training: false, leafCount: 5 }) }), 3)).toEqual([]);
    expect(pool.size).toBe(0);
  });

  it("picks no more of a trainer's tickets than its cap for the job allows (those on chain count)", () => {
    const pool = new TicketPool();
    for (const leaf of [1, 2, 3, 4, 5]) pool.add(ticketAt(leaf));
    const capped = (onChain: number) => context({ maxTicketsPerWorker: 3, ticketCount: () => onChain });
    expect(pool.pick(capped(0), 16)).toHaveLength(3);
    expect(pool.pick(capped(2), 16)).toHaveLength(1);
    // At the cap, none can enter any more block: they leave the pool.
    expect(pool.pick(capped(3), 16)).toEqual([]);
    expect(pool.size).toBe(0);
  });

  it("drops tickets of an earlier epoch (their VRF is over the old randomness)", () => {
    const pool = new TicketPool();
    pool.add(ticketAt(1));
    expect(pool.pick(context({ randomness: bytes("next epoch") }), 16)).toEqual([]);
    expect(pool.size).toBe(0);
  });

  it("removes the tickets a block carried", () => {
    const pool = new TicketPool();
    for (const l of [1, 2, 3]) pool.add(ticketAt(l));
    pool.removeAll([ticketAt(2)]);
    expect(
      pool
        .all()
        .map((t) => t.leaf)
        .sort(),
    ).toEqual([1, 3]);
  });
});

describe("ticket gossip", () => {
  it("round-trips a ticket; anything else is not a ticket", () => {
    const t = ticketAt(2);
    const data = encodeTicketMessage(t);
    expect(data.length).toBe(172);
    expect(decodeTicketMessage(data)).toEqual(t);
    expect(decodeTicketMessage(data.subarray(0, 171))).toBeUndefined();
    expect(decodeTicketMessage(new Uint8Array([...data, 0]))).toBeUndefined();
  });

  it("accepts a valid new ticket into the pool, ignores known or state-invalid ones, rejects garbage", () => {
    const pool = new TicketPool();
    const data = encodeTicketMessage(ticketAt(2));
    expect(judgeTicketMessage(data, context(), pool)).toBe("accept");
    expect(pool.size).toBe(1);
    expect(judgeTicketMessage(data, context(), pool)).toBe("ignore"); // known: not relayed again
    // A forged proof, an unassigned worker, a replay: not valid here, maybe valid on another fork.
    const forged = { ...ticketAt(3), vrf_proof: ticketAt(3).vrf_proof.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    expect(judgeTicketMessage(encodeTicketMessage(forged), context(), pool)).toBe("ignore");
    expect(judgeTicketMessage(encodeTicketMessage(ticketAt(4)), context({}, [4]), pool)).toBe("ignore");
    expect(judgeTicketMessage(encodeTicketMessage(ticketAt(5)), undefined, pool)).toBe("ignore");
    expect(pool.size).toBe(1);
    expect(judgeTicketMessage(new Uint8Array(10), context(), pool)).toBe("reject");
  });
});

describe("a trainer's tickets as it trains", () => {
  function trainer(ctx: { current: TicketContext }) {
    const offered: PouwTicketValue[] = [];
    const t = new TrainerTickets({
      pair: alice,
      worker: alice.publicKey,
      bestContext: () => ctx.current,
      offer: (tickets) => offered.push(...tickets),
      logger: nullLogger,
    });
    return { t, offered };
  }

  it("offers each leaf's ticket as the leaf is reached", () => {
    const ctx = { current: context() };
    const { t, offered } = trainer(ctx);
    t.onLeaf(7n, 1, stateHashes[0]!);
    t.onLeaf(7n, 2, stateHashes[1]!);
    expect(offered.map((x) => x.leaf)).toEqual([1, 2]);
    for (const x of offered) expect(() => validateTicket(x, ctx.current)).not.toThrow();
    // Below no target, nothing is offered, but the leaf is kept.
    ctx.current = context({ target: 0n });
    t.onLeaf(7n, 3, stateHashes[2]!);
    expect(offered).toHaveLength(2);
  });

  it("re-signs the leaves without a ticket on chain when the epoch changes, and forgets a job that stopped training", () => {
    const ctx = { current: context() };
    const { t, offered } = trainer(ctx);
    for (const leaf of [1, 2, 3]) t.onLeaf(7n, leaf, stateHashes[leaf - 1]!);
    t.onBestBlock(); // same epoch: nothing new
    expect(offered).toHaveLength(3);
    // A new epoch; leaf 2's ticket made it on chain before it.
    const next = bytes("next epoch randomness");
    ctx.current = context({ randomness: next }, [2]);
    t.onBestBlock();
    const resigned = offered.slice(3);
    expect(resigned.map((x) => x.leaf).sort()).toEqual([1, 3]);
    for (const x of resigned) expect(() => validateTicket(x, ctx.current)).not.toThrow();
    t.onBestBlock(); // signed for this epoch already
    expect(offered).toHaveLength(5);
    // The job left training: its leaves are forgotten.
    ctx.current = context({ randomness: next, job: () => ({ training: false, leafCount: 5 }) });
    t.onBestBlock();
    expect(t.jobCount).toBe(0);
  });
});
