/**
 * The libp2p options of a tensorchain node, apart from the code that creates the node, so that Helia
 * (which takes libp2p *options*, not a built node) can build the one host of the node from them:
 *
 *   const libp2p = buildLibp2pOptions(opts, { privateKey, genesisHash, scores });
 *   const helia = await createHelia({ libp2p: { ...libp2p, services: { ...libp2p.services, ...heliaServices } }, … });
 *   const host = await createP2pHost(opts, { genesisHash, handlers, scores, libp2p: helia.libp2p });
 *
 * TCP, noise, yamux; identify, ping, a Kademlia DHT under the chain's protocol prefix, gossipsub with
 * unsigned messages (ids are the hash of the data) and a frame limit, inbound and outbound, of the
 * largest topic limit plus the RPC framing around it (`GOSSIP_FRAME_OVERHEAD_BYTES`).
 * The connection gater refuses every connection of a banned peer and, with `reservedOnly`, of any peer
 * that is not reserved (and, in fault-injection tests only, of the peers `testDenyPeer` names).
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, type GossipSubComponents, gossipsub } from "@libp2p/gossipsub";
import { type Identify, identify } from "@libp2p/identify";
import type { ConnectionGater, PeerId, PrivateKey } from "@libp2p/interface";
import {
  type KadDHT,
  kadDHT,
  passthroughMapper,
  removePrivateAddressesMapper,
  type Selectors,
  type Validators,
} from "@libp2p/kad-dht";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { encode } from "it-length-prefixed";
import type { Libp2pOptions } from "libp2p";
import type { Uint8ArrayList } from "uint8arraylist";
import type { P2pOptions } from "./options.js";
import type { PeerScoreStore } from "./peerScore.js";
import { protocolIds } from "./protocols.js";

/** The services of the host; `dht` is absent when `enableDht` is off. */
export interface P2pServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  pubsub: GossipSub;
  dht?: KadDHT;
}

export interface Libp2pOptionsContext {
  privateKey: PrivateKey;
  genesisHash: Uint8Array;
  scores: PeerScoreStore;
  /** Peer ids (strings) of the reserved nodes, for `reservedOnly`. */
  reservedPeerIds?: ReadonlySet<string>;
  /**
   * kad-dht record validators and selectors by key namespace (`/<namespace>/…`), for records that the
   * node's services put in the DHT (the worker capability records, `node/jobs/capabilityRecord.ts`).
   * The p2p module judges no record itself; kad-dht refuses PUTs of a namespace without a validator.
   */
  dhtRecords?: { validators?: Validators; selectors?: Selectors };
  /** TEST ONLY (`--dev-chaos`): peers (ids as strings) the gater also refuses, to make network partitions. */
  testDenyPeer?: (peerId: string) => boolean;
}

/**
 * Gossipsub frame overhead allowed above the largest topic limit. One message's protobuf framing (the
 * RPC and message fields, the topic name, length prefixes) is under 200 bytes, but a frame may also
 * carry piggybacked control messages: an IHAVE lists up to 5000 message ids (34 bytes each in the
 * protobuf) per topic, about 170 KB, for each of the chain's topics.
 */
export const GOSSIP_FRAME_OVERHEAD_BYTES = 1024 * 1024;

/** The largest gossipsub RPC frame a host sends or accepts: the largest topic limit plus the overhead. */
export function gossipFrameLimit(limits: P2pOptions["limits"]): number {
  const maxTopicBytes = Math.max(
    limits.gossipBlocksBytes,
    limits.gossipTransactionsBytes,
    limits.gossipFinalityBytes,
    limits.gossipDefaultBytes,
  );
  return maxTopicBytes + GOSSIP_FRAME_OVERHEAD_BYTES;
}

/** The part of gossipsub's (unexported) `OutboundStream` that the wrapper below replaces. */
interface OutboundStreamLike {
  push(data: Uint8Array): void;
  pushPrefixed(data: Uint8ArrayList): void;
}

/**
 * Gossipsub (17.x) length-prefixes its outbound frames with it-length-prefixed's default limit of
 * 4 MiB and has no option to raise it (only `maxInboundDataLength` for the inbound side;
 * libp2p/js-libp2p#3427): a block near the 4 MiB topic limit fails to encode and reaches no peer.
 * This wraps the service so that every outbound stream it opens encodes frames up to `maxFrameBytes`,
 * the same limit its peers decode with. A larger frame still fails in the sender (logged by gossipsub,
 * not sent to that peer), never in the receiver. Throws at start-up if gossipsub no longer keeps its
 * outbound streams where this expects them.
 */
export function withOutboundFrameLimit(
  factory: (components: GossipSubComponents) => GossipSub,
  maxFrameBytes: number,
): (components: GossipSubComponents) => GossipSub {
  return (components) => {
    const service = factory(components);
    const streams = (service as unknown as { streamsOutbound?: unknown }).streamsOutbound;
    if (!(streams instanceof Map)) throw new Error("gossipsub: no streamsOutbound map for the outbound frame limit");
    const set = streams.set.bind(streams);
    streams.set = (id: string, stream: OutboundStreamLike) => {
      stream.push = (data) => stream.pushPrefixed(encode.single(data, { maxDataLength: maxFrameBytes }));
      return set(id, stream);
    };
    return service;
  };
}

/** Listen addresses: `listenAddrs`, else `/ip4/0.0.0.0/tcp/<port>` as Substrate does with `--port`. */
export function listenAddrsOf(opts: P2pOptions): string[] {
  return opts.listenAddrs.length > 0 ? opts.listenAddrs : [`/ip4/0.0.0.0/tcp/${opts.port}`];
}

export function buildConnectionGater(
  opts: Pick<P2pOptions, "reservedOnly">,
  ctx: Pick<Libp2pOptionsContext, "scores" | "reservedPeerIds" | "testDenyPeer">,
): ConnectionGater {
  const deny = (peerId: PeerId): boolean => {
    const id = peerId.toString();
    if (opts.reservedOnly && !(ctx.reservedPeerIds?.has(id) ?? false)) return true;
    if (ctx.testDenyPeer?.(id)) return true;
    return ctx.scores.isBanned(id);
  };
  return {
    denyDialPeer: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
    denyInboundUpgradedConnection: deny,
    denyOutboundUpgradedConnection: deny,
  };
}

export function buildLibp2pOptions(opts: P2pOptions, ctx: Libp2pOptionsContext): Libp2pOptions<P2pServices> {
  const frameLimit = gossipFrameLimit(opts.limits);
  const services: Libp2pOptions<P2pServices>["services"] = {
    identify: identify(),
    ping: ping(),
    pubsub: withOutboundFrameLimit(
      gossipsub({
        globalSignaturePolicy: "StrictNoSign",
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        maxInboundDataLength: frameLimit,
        maxOutboundBufferSize: 4 * frameLimit,
      }),
      frameLimit,
    ),
  };
  if (opts.enableDht) {
    services.dht = kadDHT({
      protocol: protocolIds(ctx.genesisHash).kad,
      clientMode: false,
      peerInfoMapper: opts.allowPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
      validators: ctx.dhtRecords?.validators,
      selectors: ctx.dhtRecords?.selectors,
    });
  }
  return {
    privateKey: ctx.privateKey,
    start: false,
    addresses: {
      listen: listenAddrsOf(opts),
      appendAnnounce: opts.publicAddrs,
    },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: buildConnectionGater(opts, ctx),
    connectionManager: { maxConnections: opts.maxPeers },
    services,
  };
}
