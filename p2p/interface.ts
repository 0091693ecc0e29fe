/**
 * The p2p host's public types. The host moves bytes and never judges them: chain data (headers,
 * bodies, justifications, gossip payloads) is opaque SCALE bytes handed to and taken from the chain
 * side through `P2pHandlers`; the chain side judges it and reports peers through `reportPeer`.
 */
import type { Libp2p, PeerId } from "@libp2p/interface";
import type { Logger } from "../primitives/logger.js";
import type { P2pServices } from "./libp2pOptions.js";
import type { PeerScoreStore } from "./peerScore.js";

export type Role = "full" | "light" | "authority";

/** A block reference: number and hash. */
export interface BlockRef {
  number: number;
  hash: Uint8Array;
}

/** What a node says about itself in the status handshake (Substrate's `BlockAnnouncesHandshake`). */
export interface ChainStatus {
  genesisHash: Uint8Array;
  best: BlockRef;
  finalized: BlockRef;
  roles: Role[];
}

export type BlocksDirection = "ascending" | "descending";

/** Which parts of each block a range request wants; every part by default. */
export interface BlockFields {
  header: boolean;
  body: boolean;
  justification: boolean;
}

/** A block-range request: start at `from` (a hash or a number), walk `direction`, at most `max` blocks. */
export interface BlocksRequest {
  from: Uint8Array | number;
  direction: BlocksDirection;
  max: number;
  fields: BlockFields;
}

/** One block of a range response; every part is opaque bytes the chain side encoded. */
export interface BlockData {
  hash: Uint8Array;
  header?: Uint8Array;
  body?: Uint8Array;
  justification?: Uint8Array;
}

export interface JustificationRequest {
  hash: Uint8Array;
}

/** What a gossip handler decides; it feeds gossipsub's validation result and the sender's reputation. */
export type GossipVerdict = "accept" | "ignore" | "reject";

/** A verdict with an explicit reputation change for the propagating peer (else the default for the verdict). */
export type GossipResult = GossipVerdict | { verdict: GossipVerdict; report?: PeerReport };

/** Handles one gossip message for one topic. `from` is the peer that forwarded it to us. */
export type GossipHandler = (topic: string, data: Uint8Array, from: string) => GossipResult | Promise<GossipResult>;

/** The chain side, given to the host; the host imports no chain code. */
export interface P2pHandlers {
  /** Our status, asked for at every handshake. */
  onStatusRequest(): ChainStatus | Promise<ChainStatus>;
  /** Blocks for a range request from `peer`; the host trims the answer to the count and size limits. */
  onBlocksRequest(req: BlocksRequest, peer: string): BlockData[] | Promise<BlockData[]>;
  /** The justification of a block, or undefined when there is none. */
  onJustificationRequest(
    req: JustificationRequest,
    peer: string,
  ): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /**
   * A GRANDPA catch-up request (the finality gadget's own bytes); the answer is its own bytes too, or
   * undefined when it has nothing to say. Absent on nodes that run no finality gadget.
   */
  onCatchUpRequest?(request: Uint8Array, peer: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Gossip on the chain topics (blocks, transactions, finality), and on topics subscribed without a handler. */
  onGossip: GossipHandler;
}

export type PeerReportKind =
  | "invalidBlock"
  | "invalidJustification"
  | "invalidTransaction"
  | "invalidMessage"
  | "oversized"
  | "timeout"
  | "refused"
  | "tooManyRequests"
  | "genesisMismatch"
  | "badProtocol"
  | "goodBlock"
  | "goodTransaction"
  | "goodMessage"
  | "custom";

/** A reputation change in the manner of Substrate's `ReputationChange`: a kind, and optionally its own value. */
export interface PeerReport {
  kind: PeerReportKind;
  /** Overrides the kind's default value (negative is a cost, positive a benefit). Required for "custom". */
  value?: number;
  /** A short human reason for logs. */
  reason?: string;
}

/** A connected peer that completed the status handshake. */
export interface PeerInfo {
  peerId: string;
  roles: Role[];
  best: BlockRef;
  finalized: BlockRef;
  /** The address of the (first) open connection. */
  address: string;
  direction: "inbound" | "outbound";
  reputation: number;
}

export interface P2pEvents {
  "peer:connected": { peerId: string };
  "peer:disconnected": { peerId: string };
  /** A handshake completed (or a later `requestStatus` refreshed it). */
  "peer:status": { peer: PeerInfo };
  "peer:banned": { peerId: string; untilMs: number; reason: string };
}

export interface SubscribeOptions {
  /** Size limit of a message on this topic; else the host's limit for the topic kind. */
  maxBytes?: number;
}

export interface P2pModules {
  /** The chain's genesis hash: it names the protocols, the DHT and the gossip topics. */
  genesisHash: Uint8Array;
  handlers: P2pHandlers;
  logger?: Logger;
  /** Milliseconds since the epoch; `Date.now` by default (tests pass their own). */
  now?: () => number;
  /** A reputation store shared with `buildLibp2pOptions`'s connection gater; created when absent. */
  scores?: PeerScoreStore;
  /**
   * An existing libp2p node built from `buildLibp2pOptions` with the same `scores` (e.g. `helia.libp2p`).
   * The host then neither starts nor stops it.
   */
  libp2p?: Libp2p<P2pServices>;
}

export interface P2pHost {
  readonly peerId: PeerId;
  readonly libp2p: Libp2p<P2pServices>;
  /** Topic names of the chain topics for this genesis. */
  readonly topics: { blocks: string; transactions: string; finality: string };
  /** Starts libp2p (unless it was given), subscribes the chain topics, dials bootnodes and reserved nodes. */
  start(): Promise<void>;
  stop(): Promise<void>;
  listenAddresses(): string[];
  /** Connected peers that completed the handshake. */
  peers(): PeerInfo[];
  /** Every connected peer id, handshake or not. */
  connectedPeers(): string[];
  /** Dials a multiaddr (with `/p2p/<id>`) or a known peer id. */
  dial(target: string): Promise<void>;
  disconnect(peerId: string): Promise<void>;
  /**
   * Publishes on a topic; resolves to the number of peers it was sent to. With `requirePeers`, a
   * message no peer would receive is not published at all (and not remembered as seen, so it can be
   * published again later): the call rejects with a `PublishError.NoPeersSubscribedToTopic` error.
   */
  publish(topic: string, data: Uint8Array, opts?: { requirePeers?: boolean }): Promise<number>;
  subscribe(topic: string, handler?: GossipHandler, opts?: SubscribeOptions): void;
  unsubscribe(topic: string): void;
  /** Peers known to be subscribed to a topic. */
  topicPeers(topic: string): string[];
  /**
   * Our gossipsub mesh for a topic: the peers we forward its messages to. A peer joins the mesh at a
   * heartbeat (1 s), so a message forwarded just before may not reach a peer that just subscribed.
   */
  meshPeers(topic: string): string[];
  requestStatus(peerId: string): Promise<ChainStatus>;
  requestBlocks(
    peerId: string,
    req: Omit<BlocksRequest, "fields"> & { fields?: Partial<BlockFields> },
  ): Promise<BlockData[]>;
  requestJustification(peerId: string, hash: Uint8Array): Promise<Uint8Array | undefined>;
  /** Asks a peer's finality gadget for the votes of its recent rounds (opaque bytes both ways). */
  requestCatchUp(peerId: string, request: Uint8Array): Promise<Uint8Array | undefined>;
  /** Applies a reputation change; a peer that falls below the threshold is disconnected and banned. */
  reportPeer(peerId: string, report: PeerReport): number;
  reputation(peerId: string): number;
  isBanned(peerId: string): boolean;
  /** Subscribes to a host event; returns the unsubscribe function. */
  on<K extends keyof P2pEvents>(event: K, listener: (e: P2pEvents[K]) => void): () => void;
}
