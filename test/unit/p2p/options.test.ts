import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { P2pError } from "../../../p2p/errors.js";
import { p2pOptionsFromFlags } from "../../../p2p/flags.js";
import { buildConnectionGater, buildLibp2pOptions, listenAddrsOf } from "../../../p2p/libp2pOptions.js";
import { devNodeKey, peerIdFromNodeKey, privateKeyFromNodeKey } from "../../../p2p/nodeKey.js";
import { defaultP2pOptions, withP2pDefaults } from "../../../p2p/options.js";
import { PeerScoreStore } from "../../../p2p/peerScore.js";
import { chainId, chainTopics, protocolIds, topicName } from "../../../p2p/protocols.js";
import { cryptoReady } from "../../../primitives/hashing.js";

const GENESIS = new Uint8Array(32).map((_, i) => 0xa0 + i);
const ALICE_ID = "12D3KooWJSPAW4XzxnyjwQNyFbFYMNJvdBx3K58uGzzz36VAbpJJ";

beforeAll(async () => {
  await cryptoReady();
});

function scores() {
  return new PeerScoreStore({ banThreshold: -100, banDurationMs: 1000, decayPerSecond: 0.02, now: Date.now });
}

describe("protocol names", () => {
  it("carry the first 8 bytes of the genesis hash", () => {
    expect(chainId(GENESIS)).toBe("a0a1a2a3a4a5a6a7");
    expect(protocolIds(GENESIS)).toEqual({
      status: "/tensorchain/a0a1a2a3a4a5a6a7/status/1",
      blocks: "/tensorchain/a0a1a2a3a4a5a6a7/sync/blocks/1",
      justifications: "/tensorchain/a0a1a2a3a4a5a6a7/sync/justifications/1",
      catchUp: "/tensorchain/a0a1a2a3a4a5a6a7/grandpa/catch-up/1",
      kad: "/tensorchain/a0a1a2a3a4a5a6a7/kad/1.0.0",
    });
    expect(chainTopics(GENESIS).blocks).toBe("/tensorchain/a0a1a2a3a4a5a6a7/blocks/1");
    expect(topicName(GENESIS, "job/42")).toBe("/tensorchain/a0a1a2a3a4a5a6a7/job/42/1");
  });
});

describe("flags", () => {
  it("maps Substrate's flags to options", () => {
    const bootnode = `/ip4/127.0.0.1/tcp/30333/p2p/${ALICE_ID}`;
    const opts = p2pOptionsFromFlags({
      port: "30444",
      bootnodes: [`${bootnode} ${bootnode.replace("30333", "30334")}`],
      reservedNodes: [bootnode],
      publicAddr: ["/ip4/1.2.3.4/tcp/30444"],
      nodeKey: Buffer.from(devNodeKey("//Alice")).toString("hex"),
    });
    expect(opts.port).toBe(30444);
    expect(listenAddrsOf(opts)).toEqual(["/ip4/0.0.0.0/tcp/30444"]);
    expect(opts.bootnodes).toHaveLength(2);
    expect(opts.reservedNodes).toEqual([bootnode]);
    expect(opts.publicAddrs).toEqual(["/ip4/1.2.3.4/tcp/30444"]);
    expect(opts.nodeKey).toEqual(devNodeKey("//Alice"));
    expect(p2pOptionsFromFlags({ listenAddr: ["/ip4/127.0.0.1/tcp/0"] }).listenAddrs).toEqual(["/ip4/127.0.0.1/tcp/0"]);
    expect(p2pOptionsFromFlags({}).port).toBe(30333);
  });

  it("refuses bootnodes without a peer id, bad multiaddrs and bad ports", () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
        return "none";
      } catch (err) {
        return err instanceof P2pError ? err.code : "other";
      }
    };
    expect(code(() => p2pOptionsFromFlags({ bootnodes: ["/ip4/127.0.0.1/tcp/30333"] }))).toBe(
      "P2P_ERROR_INVALID_MULTIADDR",
    );
    expect(code(() => p2pOptionsFromFlags({ listenAddr: ["not-a-multiaddr"] }))).toBe("P2P_ERROR_INVALID_MULTIADDR");
    expect(code(() => p2pOptionsFromFlags({ port: "70000" }))).toBe("other");
  });

  it("uses --node-key-file, creating it", () => {
    const dir = mkdtempSync(join(tmpdir(), "p2p-flags-"));
    try {
      const a = p2pOptionsFromFlags({ nodeKeyFile: join(dir, "key") });
      const b = p2pOptionsFromFlags({}, { defaultNodeKeyFile: join(dir, "key") });
      expect(b.nodeKey).toEqual(a.nodeKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("buildLibp2pOptions", () => {
  it("builds options without creating a node: chain-prefixed DHT, gossipsub, gater", async () => {
    const privateKey = await privateKeyFromNodeKey(devNodeKey("//Alice"));
    const built = buildLibp2pOptions(withP2pDefaults({ port: 30555, publicAddrs: ["/ip4/1.2.3.4/tcp/30555"] }), {
      privateKey,
      genesisHash: GENESIS,
      scores: scores(),
    });
    expect(built.start).toBe(false);
    expect(built.addresses?.listen).toEqual(["/ip4/0.0.0.0/tcp/30555"]);
    expect(built.addresses?.appendAnnounce).toEqual(["/ip4/1.2.3.4/tcp/30555"]);
    expect(Object.keys(built.services ?? {}).sort()).toEqual(["dht", "identify", "ping", "pubsub"]);
    const noDht = buildLibp2pOptions(withP2pDefaults({ enableDht: false }), {
      privateKey,
      genesisHash: GENESIS,
      scores: scores(),
    });
    expect(Object.keys(noDht.services ?? {}).sort()).toEqual(["identify", "ping", "pubsub"]);
  });

  it("has a gater that refuses banned peers, and non-reserved peers in reserved-only mode", async () => {
    const alice = await peerIdFromNodeKey(devNodeKey("//Alice"));
    const bob = await peerIdFromNodeKey(devNodeKey("//Bob"));
    const s = scores();
    const gater = buildConnectionGater(defaultP2pOptions, { scores: s });
    expect(gater.denyDialPeer?.(alice)).toBe(false);
    s.apply(alice.toString(), { kind: "badProtocol" });
    expect(gater.denyDialPeer?.(alice)).toBe(true);
    expect(gater.denyDialPeer?.(bob)).toBe(false);
    const reservedOnly = buildConnectionGater(
      { reservedOnly: true },
      { scores: scores(), reservedPeerIds: new Set([bob.toString()]) },
    );
    expect(reservedOnly.denyDialPeer?.(alice)).toBe(true);
    expect(reservedOnly.denyDialPeer?.(bob)).toBe(false);
  });
});
