/**
 * The chaos suite's invariant checker against fake nodes (answers to chain_* and state_* RPC from a
 * table), and the `--dev-chaos` hooks it relies on: each violation kind is found, agreeing nodes give
 * none.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { peerIdFromString } from "@libp2p/peer-id";
import { DevChaos } from "../../node/devChaos.js";
import { buildConnectionGater } from "../../p2p/libp2pOptions.js";
import { PeerScoreStore } from "../../p2p/peerScore.js";
import { blake2_128, cryptoReady } from "../../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../../primitives/hex.js";
import { nullLogger } from "../../primitives/logger.js";
import { type CheckedNode, InvariantChecker, offenceReportsPrefix, parseOffenceKey } from "./checker.js";

beforeAll(async () => {
  await cryptoReady();
});

const h = (label: string): HexString => toHex(blake2_128(new TextEncoder().encode(label))).padEnd(66, "0") as HexString;

interface FakeBlock {
  hash: HexString;
  parentHash: HexString;
  stateRoot: HexString;
}

/** A chain of `n` blocks over genesis, with `fork` naming the blocks from height `from` on. */
function chain(n: number, fork = "a", from = Number.POSITIVE_INFINITY): FakeBlock[] {
  const out: FakeBlock[] = [{ hash: h("genesis"), parentHash: h("none"), stateRoot: h("root-0") }];
  for (let i = 1; i <= n; i++) {
    const name = i >= from ? `${fork}-${i}` : `a-${i}`;
    out.push({ hash: h(name), parentHash: out[i - 1]!.hash, stateRoot: h(`root-${name}`) });
  }
  return out;
}

class FakeNode implements CheckedNode {
  queryable = true;
  log = "";
  offenceKeys: HexString[] = [];
  silent = false;
  constructor(
    readonly name: string,
    public blocks: FakeBlock[],
    public finalized: number,
  ) {}
  async rpc<T>(method: string, params: unknown[] = []): Promise<T> {
    if (this.silent) throw new Error("timeout");
    const byHash = (hash: unknown) => this.blocks.findIndex((b) => b.hash === hash);
    switch (method) {
      case "chain_getFinalizedHead":
        return this.blocks[this.finalized]!.hash as T;
      case "chain_getBlockHash":
        return this.blocks[params[0] as number]!.hash as T;
      case "chain_getHeader": {
        const i = byHash(params[0]);
        const b = this.blocks[i]!;
        return { number: toHex(new Uint8Array([i])), parentHash: b.parentHash, stateRoot: b.stateRoot } as T;
      }
      case "state_getKeysPaged":
        return this.offenceKeys as T;
      default:
        throw new Error(`unexpected ${method}`);
    }
  }
  readLog(): string {
    const out = this.log;
    this.log = "";
    return out;
  }
}

const options = { pollIntervalMs: 10, batch: 100, unresponsiveMs: 50, offencesEvery: 1, stallMs: 2000 };

describe("the chaos invariant checker", () => {
  it("finds nothing wrong with nodes that agree, at different finalized heights", async () => {
    const a = new FakeNode("A", chain(6), 6);
    const b = new FakeNode("B", chain(6), 4);
    const checker = new InvariantChecker([a, b], options);
    await checker.pollOnce();
    b.finalized = 6;
    await checker.pollOnce();
    expect(checker.violations).toEqual([]);
    expect(checker.checkedHeights).toBe(7);
    expect(checker.maxFinalized).toBe(6);
  });

  it("conflicting finalized blocks at one height", async () => {
    const checker = new InvariantChecker(
      [new FakeNode("A", chain(5), 5), new FakeNode("B", chain(5, "b", 4), 5)],
      options,
    );
    await checker.pollOnce();
    expect(checker.violations.map((v) => v.kind)).toEqual(["conflict", "conflict"]);
    expect(checker.violations[0]!.message).toMatch(/at #4/);
  });

  it("one block with two state roots", async () => {
    const other = chain(3);
    other[2] = { ...other[2]!, stateRoot: h("another root") };
    const checker = new InvariantChecker([new FakeNode("A", chain(3), 3), new FakeNode("B", other, 3)], options);
    await checker.pollOnce();
    expect(checker.violations.map((v) => v.kind)).toEqual(["stateRoot"]);
  });

  it("finalized blocks that do not form a chain, and a finalized height that goes down", async () => {
    const broken = chain(3);
    broken[3] = { ...broken[3]!, parentHash: h("elsewhere") };
    const node = new FakeNode("A", broken, 3);
    const checker = new InvariantChecker([node], options);
    await checker.pollOnce();
    expect(checker.violations.map((v) => v.kind)).toEqual(["brokenChain"]);
    node.finalized = 1;
    await checker.pollOnce();
    expect(checker.violations.map((v) => v.kind)).toEqual(["brokenChain", "regression"]);
  });

  it("equivocations logged or slashed: only the planted offender's are allowed", async () => {
    const node = new FakeNode("A", chain(1), 1);
    const checker = new InvariantChecker([node], options);
    const planted = toHex(new Uint8Array(32).fill(7));
    const honest = toHex(new Uint8Array(32).fill(9));
    checker.allowedOffenders.add(planted);
    node.log = `x WARN grandpa: GRANDPA equivocation detected offender=${planted} round=3 kind=Prevote\n`;
    await checker.pollOnce();
    expect(checker.violations).toEqual([]);
    expect(checker.equivocationLines).toBe(1);
    node.log = `x WARN babe: Slot equivocation detected slot=9 offender=${honest}\nnot a full line`;
    await checker.pollOnce();
    expect(checker.violations.map((v) => v.kind)).toEqual(["equivocation"]);

    // Offences.Reports keys: prefix, blake2_128 of the key, then (kind, session, offender).
    const key = (kind: number, who: HexString) =>
      toHex(
        new Uint8Array([
          ...fromHex(offenceReportsPrefix()),
          ...new Uint8Array(16),
          kind,
          ...new Uint8Array([5, 0, 0, 0]),
          ...fromHex(who),
        ]),
      );
    expect(parseOffenceKey(key(1, planted))).toEqual({ kind: "VoteEquivocation", offender: planted });
    node.offenceKeys = [key(1, planted)];
    await checker.pollOnce();
    expect(checker.violations).toHaveLength(1);
    expect(checker.slashed.get(planted)).toEqual(new Set(["VoteEquivocation"]));
    node.offenceKeys.push(key(0, honest));
    await checker.pollOnce();
    expect(checker.violations.map((v) => v.kind)).toEqual(["equivocation", "equivocation"]);
  });

  it("a node that should answer and does not", async () => {
    const node = new FakeNode("A", chain(1), 1);
    const checker = new InvariantChecker([node], options);
    await checker.pollOnce();
    node.silent = true;
    await new Promise((r) => setTimeout(r, 60));
    await checker.pollOnce();
    await checker.pollOnce();
    expect(checker.violations.map((v) => v.kind)).toEqual(["unresponsive"]);
    // Paused (not queryable): silence is expected.
    node.queryable = false;
    await new Promise((r) => setTimeout(r, 60));
    await checker.pollOnce();
    expect(checker.violations).toHaveLength(1);
  });

  it("liveness: finality that does not resume after a heal, or stops in a connected supermajority", async () => {
    const node = new FakeNode("A", chain(4), 2);
    const checker = new InvariantChecker([node], options);
    const mark = await checker.markHeal("a test fault");
    expect(mark.target).toBe(2);
    setTimeout(() => {
      node.finalized = 3;
    }, 50);
    expect((await checker.awaitResume(mark, 2000)).ok).toBe(true);
    expect(await checker.awaitProgress([node], "a test fault", 300)).toBe(false);
    expect((await checker.awaitResume(await checker.markHeal("another"), 300)).ok).toBe(false);
    expect(checker.violations.map((v) => v.kind)).toEqual(["liveness", "liveness"]);
  });
});

describe("the --dev-chaos hooks", () => {
  const peerA = "12D3KooWRuu8YVv3cLCTcMRMhVaDUG6bNeJWBRopdxyDHDCUQyj4";
  const peerB = "12D3KooW9zuuvXs332PwnDRarJNZEpo9Uv4i5LvuRy3vCSUu1tSt";

  it("blocked peers: the gater refuses them, newly blocked ones are hung up on, unblocked ones dialled", async () => {
    const chaos = new DevChaos(nullLogger);
    const calls: string[] = [];
    chaos.network = {
      hangUp: async (id) => {
        calls.push(`hangUp ${id}`);
      },
      dial: async (id) => {
        calls.push(`dial ${id}`);
      },
    };
    const scores = new PeerScoreStore({ banThreshold: -100, banDurationMs: 1000, decayPerSecond: 0, now: Date.now });
    const gater = buildConnectionGater({ reservedOnly: false }, { scores, testDenyPeer: chaos.isBlocked });
    const deny = (id: string) => gater.denyDialPeer!(peerIdFromString(id));
    expect(await deny(peerA)).toBe(false);
    await chaos.blockPeers([peerA]);
    expect(await deny(peerA)).toBe(true);
    expect(await gater.denyInboundEncryptedConnection!(peerIdFromString(peerA), undefined as never)).toBe(true);
    expect(await deny(peerB)).toBe(false);
    await chaos.blockPeers([peerB]);
    expect(await deny(peerA)).toBe(false);
    expect(calls).toEqual([`hangUp ${peerA}`, `hangUp ${peerB}`, `dial ${peerA}`]);
  });

  it("the clock offset shifts `now`", () => {
    const chaos = new DevChaos(nullLogger);
    expect(Math.abs(chaos.now() - Date.now())).toBeLessThan(50);
    expect(chaos.setClockOffset(-500)).toBe(0);
    expect(chaos.now() - Date.now()).toBeLessThanOrEqual(-450);
    expect(chaos.clockOffsetMs).toBe(-500);
  });
});
