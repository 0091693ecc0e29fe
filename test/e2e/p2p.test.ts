/**
 * p2p hosts in one process, over real TCP sockets on 127.0.0.1 (ephemeral ports): handshake, gossip,
 * request-response, size limits, reputation and bans, reserved nodes.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "@jest/globals";
import { P2pError } from "../../p2p/errors.js";
import { devNodeKey } from "../../p2p/nodeKey.js";
import { defaultP2pLimits, MiB } from "../../p2p/options.js";
import { defaultReputationChanges } from "../../p2p/peerScore.js";
import { protocolIds, topicName } from "../../p2p/protocols.js";
import {
  GENESIS,
  type HostOverrides,
  startHost,
  stopAll,
  type TestChain,
  type TestHost,
  toyBlock,
  waitFor,
} from "../unit/p2p/hosts.js";

const running: TestHost[] = [];
async function host(overrides: HostOverrides = {}, chain: Partial<TestChain> = {}): Promise<TestHost> {
  const h = await startHost(overrides, chain);
  running.push(h);
  return h;
}

afterEach(async () => {
  await stopAll(running.splice(0));
});

function codeOf(err: unknown): string {
  return err instanceof P2pError ? err.code : `not a P2pError: ${String(err)}`;
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return codeOf(err);
  }
  return "resolved";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("p2p hosts on 127.0.0.1", () => {
  it("three hosts: bootnodes, status handshake both ways, gossip to all, per-job topics", async () => {
    const a = await host({}, { best: 10 });
    const b = await host({ bootnodes: [a.addr], roles: ["authority"] }, { best: 12, roles: ["authority"] });
    const c = await host({ bootnodes: [a.addr] }, { best: 7 });
    const connected: string[] = [];
    a.host.on("peer:status", (e) => connected.push(e.peer.peerId));

    await waitFor("handshakes", () => a.host.peers().length === 2 && b.host.peers().some((p) => p.peerId === a.id));
    const bAtA = a.host.peers().find((p) => p.peerId === b.id);
    expect(bAtA).toMatchObject({ roles: ["authority"], best: { number: 12 }, finalized: { number: 10 } });
    expect(bAtA?.best.hash).toEqual(toyBlock(12).hash);
    expect(a.host.peers().find((p) => p.peerId === c.id)?.best.number).toBe(7);
    expect(b.host.peers().find((p) => p.peerId === a.id)).toMatchObject({ roles: ["full"], best: { number: 10 } });
    expect(connected).toEqual(expect.arrayContaining([b.id, c.id]));

    // Chain topic: b publishes a block; a gets it directly, c through a (or directly if the DHT linked them).
    const topic = b.host.topics.blocks;
    expect(topic).toBe(topicName(GENESIS, "blocks"));
    // Gossipsub forwards to its mesh, which a new peer joins at a heartbeat: wait for a -> c.
    await waitFor("b sees a on the blocks topic", () => b.host.topicPeers(topic).includes(a.id));
    await waitFor("c in a's mesh", () => a.host.meshPeers(topic).includes(c.id));
    const block = new Uint8Array([1, 2, 3, 4]);
    const n = await b.host.publish(topic, block);
    expect(n).toBeGreaterThanOrEqual(1);
    await waitFor("gossip at a and c", () => a.chain.gossip.length === 1 && c.chain.gossip.length === 1);
    expect(a.chain.gossip[0]).toEqual({ topic, data: block, from: b.id });
    expect(c.chain.gossip[0].data).toEqual(block);
    expect(a.host.reputation(b.id)).toBeGreaterThan(0);

    // A per-job topic with its own handler, added after start.
    const job = topicName(GENESIS, "job/7");
    const seen: Uint8Array[] = [];
    c.host.subscribe(job, (_t, data) => {
      seen.push(data);
      return "accept";
    });
    a.host.subscribe(job, () => "accept");
    await waitFor("b sees a on the job topic", () => b.host.topicPeers(job).includes(a.id));
    await waitFor("c in a's job mesh", () => a.host.meshPeers(job).includes(c.id));
    await b.host.publish(job, new Uint8Array([7]));
    await waitFor("job gossip at c", () => seen.length === 1);
    expect(c.chain.gossip).toHaveLength(1);
  });

  it("serves block ranges and justifications, trimmed to the count limit", async () => {
    const a = await host({ maxBlocksPerResponse: 5 }, { best: 20 });
    const b = await host({ bootnodes: [a.addr] });
    await waitFor("handshake", () => b.host.peers().length === 1);

    const up = await b.host.requestBlocks(a.id, { from: 3, direction: "ascending", max: 4 });
    expect(up).toEqual([3, 4, 5, 6].map(toyBlock).map(stripUndefined));
    const down = await b.host.requestBlocks(a.id, {
      from: toyBlock(8).hash,
      direction: "descending",
      max: 3,
      fields: { body: false, justification: false },
    });
    expect(down).toEqual([8, 7, 6].map((n) => ({ hash: toyBlock(n).hash, header: toyBlock(n).header })));
    const capped = await b.host.requestBlocks(a.id, { from: 0, direction: "ascending", max: 50 });
    expect(capped.map((x) => x.hash[0])).toEqual([0, 1, 2, 3, 4]);
    expect(a.chain.blockRequests).toBe(3);

    expect(await b.host.requestJustification(a.id, toyBlock(4).hash)).toEqual(new TextEncoder().encode("just-4"));
    expect(await b.host.requestJustification(a.id, toyBlock(5).hash)).toBeUndefined();
    expect(b.host.reputation(a.id)).toBe(0);
  });

  it("carries GRANDPA catch-up requests and answers as opaque bytes, within the request limit", async () => {
    const a = await host({ limits: { catchUpRequestBytes: 64 } });
    const b = await host({ bootnodes: [a.addr] });
    await waitFor("handshake", () => b.host.peers().length === 1);

    expect(await b.host.requestCatchUp(a.id, new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([3, 2, 1]));
    expect(await b.host.requestCatchUp(a.id, new Uint8Array([0, 9]))).toBeUndefined();
    expect(b.host.reputation(a.id)).toBe(0);
    // A request above the answerer's limit is refused, and costs the asker reputation there.
    await expect(b.host.requestCatchUp(a.id, new Uint8Array(1024).fill(1))).rejects.toThrow();
    await waitFor("a reports b", () => a.host.reputation(b.id) < 0);
  });

  it("gossips a block of exactly the blocks topic limit (4 MiB): the frame limit leaves room for the RPC around it", async () => {
    const a = await host();
    const b = await host({ bootnodes: [a.addr] });
    const topic = b.host.topics.blocks;
    await waitFor("b's mesh has a", () => b.host.meshPeers(topic).includes(a.id));
    const limit = defaultP2pLimits.gossipBlocksBytes;
    expect(limit).toBe(4 * MiB);
    // A gossiped block (header, then the extrinsics) filling the topic to its last byte.
    const block = randomBytes(limit);
    expect(await b.host.publish(topic, block)).toBe(1);
    await waitFor("the block at a", () => a.chain.gossip.length === 1, 20_000);
    expect(a.chain.gossip[0].from).toBe(b.id);
    expect(Buffer.compare(a.chain.gossip[0].data, block)).toBe(0);
    expect(a.host.reputation(b.id)).toBeGreaterThan(0);
    // One byte more is the topic's limit, checked before gossipsub sees it.
    expect(await failure(b.host.publish(topic, randomBytes(limit + 1)))).toBe("P2P_ERROR_OVERSIZED");
  }, 60_000);

  it("refuses oversized gossip before the handler sees it, and the sender's reputation drops", async () => {
    const receiver = await host();
    const sender = await host({ bootnodes: [receiver.addr], limits: { gossipFinalityBytes: 4 * MiB } });
    const topic = sender.host.topics.finality;
    await waitFor("subscription", () => sender.host.topicPeers(topic).includes(receiver.id));

    // The receiver's own limit stops it from publishing such a message at all.
    expect(await failure(receiver.host.publish(topic, new Uint8Array(300 * 1024)))).toBe("P2P_ERROR_OVERSIZED");

    await sender.host.publish(topic, new Uint8Array(300 * 1024).fill(1));
    await waitFor("penalty", () => receiver.host.reputation(sender.id) < 0);
    expect(receiver.host.reputation(sender.id)).toBeLessThanOrEqual(defaultReputationChanges.oversized * 0.99);
    expect(receiver.chain.gossip).toHaveLength(0);

    // A message within the limit still goes through.
    await sender.host.publish(topic, new Uint8Array(1000).fill(2));
    await waitFor("small finality gossip", () => receiver.chain.gossip.length === 1);
  });

  it("refuses an oversized response by its length prefix, and the responder's reputation drops", async () => {
    const big = (n: number) => ({ hash: toyBlock(n).hash, body: new Uint8Array(600 * 1024).fill(n) });
    const server = await host({}, { blocks: () => [big(1), big(2), big(3)] });
    const client = await host({ bootnodes: [server.addr], limits: { blocksResponseBytes: 1 * MiB } });
    await waitFor("handshake", () => client.host.peers().length === 1);

    expect(await failure(client.host.requestBlocks(server.id, { from: 1, direction: "ascending", max: 3 }))).toBe(
      "P2P_ERROR_OVERSIZED",
    );
    expect(client.host.reputation(server.id)).toBeLessThanOrEqual(defaultReputationChanges.oversized * 0.99);
    // One block fits.
    const one = await client.host.requestBlocks(server.id, { from: 1, direction: "ascending", max: 1 });
    expect(one).toHaveLength(1);
  });

  it("maps gossip verdicts to reputation: reject costs, accept pays, an explicit report wins", async () => {
    const verdicts: Record<number, ReturnType<TestChain["verdict"]>> = {
      1: "accept",
      2: "reject",
      3: "ignore",
      4: { verdict: "reject", report: { kind: "invalidBlock", reason: "bad seal" } },
    };
    const a = await host({}, { verdict: (_t, d) => verdicts[d[0]] });
    const b = await host({ bootnodes: [a.addr] });
    const topic = b.host.topics.transactions;
    await waitFor("subscription", () => b.host.topicPeers(topic).includes(a.id));
    const send = async (kind: number, expected: number) => {
      await b.host.publish(topic, new Uint8Array([kind, Math.random() * 255]));
      await waitFor(`verdict ${kind}`, () => a.chain.gossip.length === kind);
      await waitFor(
        `score after ${kind}`,
        () => Math.abs(a.host.reputation(b.id) - expected) < Math.abs(expected) * 0.01 + 2,
      );
    };
    const good = defaultReputationChanges.goodMessage;
    const bad = defaultReputationChanges.invalidMessage;
    await send(1, good);
    await send(2, good + bad);
    await send(3, good + bad);
    await send(4, good + bad + defaultReputationChanges.invalidBlock);
  });

  it("disconnects a peer reported below the threshold and refuses it until the ban ends", async () => {
    const a = await host({ banDurationMs: 1500 });
    const b = await host({ bootnodes: [a.addr] });
    await waitFor("handshake", () => a.host.peers().length === 1);
    const bans: string[] = [];
    a.host.on("peer:banned", (e) => bans.push(e.peerId));

    a.host.reportPeer(b.id, { kind: "invalidBlock" });
    a.host.reportPeer(b.id, { kind: "invalidBlock" });
    expect(a.host.isBanned(b.id)).toBe(false);
    a.host.reportPeer(b.id, { kind: "invalidBlock", reason: "bad state root" });
    expect(a.host.isBanned(b.id)).toBe(true);
    expect(bans).toEqual([b.id]);
    await waitFor(
      "disconnect",
      () => !a.host.connectedPeers().includes(b.id) && !b.host.connectedPeers().includes(a.id),
    );

    // During the ban: a will not dial b, and b's redials (it keeps a as bootnode) are refused.
    expect(await failure(a.host.dial(b.addr))).not.toBe("resolved");
    const until = Date.now() + 700;
    while (Date.now() < until) {
      expect(a.host.connectedPeers()).not.toContain(b.id);
      await sleep(50);
    }
    await b.host.dial(a.addr).catch(() => undefined);
    await sleep(100);
    expect(a.host.peers().map((p) => p.peerId)).not.toContain(b.id);

    // After the ban b's maintenance redial gets through and the handshake runs again.
    await waitFor("reconnect after the ban", () => a.host.peers().some((p) => p.peerId === b.id), 5000);
    expect(a.host.isBanned(b.id)).toBe(false);
    expect(a.host.reputation(b.id)).toBeLessThan(0);
  });

  it("keeps a reserved node connected: redials after it drops and comes back; never bans it", async () => {
    const bKey = devNodeKey("//ReservedBob");
    let b = await host({ nodeKey: bKey });
    const port = Number(b.addr.split("/")[4]);
    const a = await host({ reservedNodes: [b.addr] });
    await waitFor("reserved connection", () => a.host.peers().some((p) => p.peerId === b.id));

    a.host.reportPeer(b.id, { kind: "badProtocol" });
    expect(a.host.isBanned(b.id)).toBe(false);

    // b hangs up: a redials.
    await b.host.disconnect(a.id);
    await waitFor("redial after hang-up", () => a.host.peers().some((p) => p.peerId === b.id));

    // b goes away and comes back on the same port with the same key: a redials with backoff.
    await b.host.stop();
    running.splice(running.indexOf(b), 1);
    await waitFor("drop", () => !a.host.connectedPeers().includes(b.id));
    await sleep(300);
    b = await host({ nodeKey: bKey, listenAddrs: [`/ip4/127.0.0.1/tcp/${port}`] });
    await waitFor("redial after restart", () => a.host.peers().some((p) => p.peerId === b.id), 8000);
  });

  it("limits inbound requests per peer and times out slow answers", async () => {
    const slow = await host(
      { maxInboundRequestsPerPeer: 1 },
      {
        blocks: async () => {
          await sleep(600);
          return [toyBlock(1)];
        },
      },
    );
    const client = await host({ bootnodes: [slow.addr], requestTimeoutMs: 2000 });
    await waitFor("handshake", () => client.host.peers().length === 1);
    const results = await Promise.all(
      [0, 1, 2].map((i) => failure(client.host.requestBlocks(slow.id, { from: i, direction: "ascending", max: 1 }))),
    );
    expect(results.filter((r) => r === "resolved")).toHaveLength(1);
    expect(results.filter((r) => r === "P2P_ERROR_STREAM")).toHaveLength(2);
    expect(slow.host.reputation(client.id)).toBeLessThan(1.9 * defaultReputationChanges.tooManyRequests);

    const impatient = await host({ bootnodes: [slow.addr], requestTimeoutMs: 200 });
    await waitFor("handshake", () => impatient.host.peers().length === 1);
    expect(await failure(impatient.host.requestBlocks(slow.id, { from: 1, direction: "ascending", max: 1 }))).toBe(
      "P2P_ERROR_TIMEOUT",
    );
    expect(impatient.host.reputation(slow.id)).toBeLessThan(0);
  });

  it("finds peers through the chain's DHT and connects to them", async () => {
    const a = await host();
    const b = await host({ bootnodes: [a.addr] });
    const c = await host({ bootnodes: [a.addr] });
    // b and c only know a; the DHT (under /tensorchain/<chain id>/kad/1.0.0) introduces them.
    expect(a.host.libp2p.getProtocols()).toContain(protocolIds(GENESIS).kad);
    expect(a.host.libp2p.getProtocols()).not.toContain("/ipfs/kad/1.0.0");
    await waitFor("b and c connected", () => b.host.peers().some((p) => p.peerId === c.id), 20_000);
  });

  it("does not treat a node of another chain as a chain peer", async () => {
    const a = await host();
    const other = await host({ bootnodes: [a.addr] }, { genesis: new Uint8Array(32).fill(0xee) });
    await waitFor("libp2p connection", () => a.host.connectedPeers().includes(other.id));
    expect(await failure(other.host.requestStatus(a.id))).toBe("P2P_ERROR_STREAM");
    expect(a.host.peers()).toEqual([]);
    expect(other.host.peers()).toEqual([]);
  });
});

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
