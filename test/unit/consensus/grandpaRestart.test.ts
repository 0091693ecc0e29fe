/**
 * A voter that completed a round its peers could not complete (its votes never reached them), then
 * crashed and restarted in the next round, must still give them its votes of that round when they ask
 * (catch-up). Found by the 30-minute chaos run: with 3 authorities (every vote needed) the peers stayed
 * in the old round and the restarted voter in the new one, and finality stopped for good.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { Net, setOf } from "./grandpaNet.js";
import { edKeys, TestChain } from "./helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

describe("GRANDPA restart after completing a round alone", () => {
  it("the restarted voter's own votes of the round it completed reach its stalled peers by catch-up", async () => {
    const chain = new TestChain();
    let tip = chain.extend(chain.genesisId, 2).at(-1)!;
    const keys = edKeys(3);
    const charlie = toHex(keys[2]!.publicKey);
    const net = new Net(chain, keys, setOf(keys));
    for (let i = 0; i < 3; i++) await net.startVoter(i);
    for (let k = 0; k < 3; k++) {
      tip = chain.extend(tip, 1).at(-1)!;
      await net.run(1000);
    }
    // Charlie's votes of the next round reach nobody, while he hears everyone (a partition as he votes).
    const stuck = net.voters.reduce((r, v) => (v!.round > r ? v!.round : r), 0n) + 1n;
    net.drop = (_to, m) => m.kind === "vote" && m.vote.round === stuck && toHex(m.vote.id) === charlie;
    tip = chain.extend(tip, 1).at(-1)!;
    for (let t = 0; t < 100 && net.voters[2]!.round <= stuck; t++) await net.run(50);
    expect(net.voters[0]!.round).toBe(stuck);
    expect(net.voters[1]!.round).toBe(stuck);
    expect(net.voters[2]!.round).toBe(stuck + 1n);
    // He crashes in the next round before anyone asked him for his votes; the partition heals.
    const state = net.voters[2]!.state();
    net.stop(2);
    net.drop = () => false;
    const finalizedBefore = net.lastFinalized(0)?.block.number ?? 0;
    await net.run(2000);
    expect(net.voters[0]!.round).toBe(stuck);
    // He restarts in his round, with his vote store; the others ask him for their round's votes.
    await net.startVoter(2, state);
    tip = chain.extend(tip, 1).at(-1)!;
    await net.run(4000);
    for (let i = 0; i < 3; i++) {
      expect(net.voters[i]!.round).toBeGreaterThan(stuck);
      expect(toHex(net.lastFinalized(i)!.block.hash)).toBe(toHex(tip.hash));
    }
    expect(tip.number).toBeGreaterThan(finalizedBefore);
    expect(net.equivocations).toEqual([]);
  });
});
