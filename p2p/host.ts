/**
 * The p2p host: one libp2p node per tensorchain node. It moves bytes and never judges them.
 *
 * - Status handshake on every new connection (both sides ask; each request carries the asker's own
 *   status, so one successful exchange informs both). A peer on another genesis is banned as fatal.
 * - Request-response for block ranges, justifications and GRANDPA catch-up; the answers come from `handlers`, trimmed
 *   to the count and size limits (served by `inboundRequests.ts`). Oversized or malformed frames cost the
 *   sender reputation.
 * - Gossipsub: every subscribed topic gets a validator that refuses oversized messages before the
 *   handler sees them, then maps the handler's verdict to gossipsub's accept/ignore/reject and to a
 *   reputation change for the peer that forwarded the message.
 * - Reputation (`peerScore.ts`): a peer below the threshold is disconnected and banned; the
 *   connection gater refuses it until the ban ends.
 * - Bootnodes are dialled at start and whenever fewer than `minPeers` are connected; reserved nodes
 *   are kept connected and redialled after a drop, with backoff.
 */

import { type Message, TopicValidatorResult } from "@libp2p/gossipsub";
import type { Connection, Libp2p, PeerInfo as Libp2pPeerInfo, PeerId } from "@libp2p/interface";
import { KEEP_ALIVE } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { bytesEqual } from "../primitives/hex.js";
import { type Logger, nullLogger } from "../primitives/logger.js";
import {
  decodeBlocksResponse,
  decodeCatchUpResponse,
  decodeJustificationResponse,
  decodeStatusResponse,
  encodeBlocksRequest,
  encodeCatchUpRequest,
  encodeJustificationRequest,
  encodeStatus,
  RemoteErrorResponse,
} from "./codec.js";
import { describeError } from "./describeError.js";
import { P2pError } from "./errors.js";
import { InboundRequests } from "./inboundRequests.js";
import type {
  BlockData,
  BlockFields,
  BlocksRequest,
  ChainStatus,
  GossipHandler,
  GossipResult,
  P2pEvents,
  P2pHost,
  P2pModules,
  PeerInfo,
  PeerReport,
  SubscribeOptions,
} from "./interface.js";
import { buildLibp2pOptions, type P2pServices } from "./libp2pOptions.js";
import { parseMultiaddr, parsePeerMultiaddr } from "./multiaddrs.js";
import { generateNodeKey, privateKeyFromNodeKey } from "./nodeKey.js";
import type { P2pOptions } from "./options.js";
import { PeerScoreStore } from "./peerScore.js";
import { type ChainTopics, chainTopics, type ProtocolIds, protocolIds, topicLimit } from "./protocols.js";
import { sendRequest } from "./reqResp.js";

const MAX_RESERVED_BACKOFF_MS = 30_000;

/** Creates the host (libp2p created but not started, unless given in `modules.libp2p`). */
export async function createP2pHost(opts: P2pOptions, modules: P2pModules): Promise<P2pHost> {
  const now = modules.now ?? Date.now;
  const scores = modules.scores ?? PeerScoreStore.fromP2pOptions(opts, now);
  const reserved = opts.reservedNodes.map(parsePeerMultiaddr);
  const bootnodes = opts.bootnodes.map(parsePeerMultiaddr);
  for (const addr of [...opts.listenAddrs, ...opts.publicAddrs]) parseMultiaddr(addr);
  let libp2p = modules.libp2p;
  const ownsLibp2p = libp2p === undefined;
  if (libp2p === undefined) {
    const privateKey = await privateKeyFromNodeKey(opts.nodeKey ?? generateNodeKey());
    libp2p = await createLibp2p(
      buildLibp2pOptions(opts, {
        privateKey,
        genesisHash: modules.genesisHash,
        scores,
        reservedPeerIds: new Set(reserved.map((r) => r.peerId.toString())),
      }),
    );
  }
  return new Host(opts, modules, libp2p, ownsLibp2p, scores, reserved, bootnodes);
}

interface TopicEntry {
  handler: GossipHandler;
  maxBytes: number;
}

interface PeerStatusEntry {
  status: ChainStatus;
}

type Listener = (e: never) => void;

class Host implements P2pHost {
  readonly peerId: PeerId;
  readonly topics: ChainTopics;
  private readonly protocols: ProtocolIds;
  private readonly log: Logger;
  private readonly statuses = new Map<string, PeerStatusEntry>();
  private readonly handshaking = new Set<string>();
  private readonly inbound: InboundRequests;
  private readonly topicHandlers = new Map<string, TopicEntry>();
  private readonly reservedById = new Map<string, { multiaddr: Multiaddr; peerId: PeerId }>();
  private readonly reservedRetry = new Map<string, { delayMs: number; timer?: ReturnType<typeof setTimeout> }>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private maintenanceTimer?: ReturnType<typeof setInterval>;
  private started = false;

  constructor(
    private readonly opts: P2pOptions,
    private readonly modules: P2pModules,
    readonly libp2p: Libp2p<P2pServices>,
    private readonly ownsLibp2p: boolean,
    private readonly scores: PeerScoreStore,
    reserved: Array<{ multiaddr: Multiaddr; peerId: PeerId }>,
    private readonly bootnodes: Array<{ multiaddr: Multiaddr; peerId: PeerId }>,
  ) {
    this.peerId = libp2p.peerId;
    this.protocols = protocolIds(modules.genesisHash);
    this.topics = chainTopics(modules.genesisHash);
    this.log = (modules.logger ?? nullLogger).child({ module: "p2p" });
    for (const r of reserved) this.reservedById.set(r.peerId.toString(), r);
    this.inbound = new InboundRequests(opts, modules, this.protocols, this.log, {
      reportPeer: (peerId, report) => this.reportPeer(peerId, report),
      acceptStatus: (peerId, status) => this.acceptStatus(peerId, status),
    });
  }

  // --- lifecycle --------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.started) return;
    if (this.ownsLibp2p) await this.libp2p.start();
    const handleOpts = { maxInboundStreams: 2 * this.opts.maxInboundRequestsPerPeer + 2 };
    await this.libp2p.handle(this.protocols.status, this.inbound.onStatusStream, handleOpts);
    await this.libp2p.handle(this.protocols.blocks, this.inbound.onBlocksStream, handleOpts);
    await this.libp2p.handle(this.protocols.justifications, this.inbound.onJustificationStream, handleOpts);
    await this.libp2p.handle(this.protocols.catchUp, this.inbound.onCatchUpStream, handleOpts);
    this.libp2p.addEventListener("peer:connect", this.onPeerConnect);
    this.libp2p.addEventListener("peer:disconnect", this.onPeerDisconnect);
    this.libp2p.addEventListener("peer:discovery", this.onPeerDiscovery);
    this.started = true;
    // A libp2p node we were given may already be running with peers (shared with Helia): greet them too.
    for (const peer of this.libp2p.getPeers()) this.onPeerConnect(new CustomEvent("peer:connect", { detail: peer }));

    const onGossip = this.modules.handlers.onGossip;
    for (const topic of [this.topics.blocks, this.topics.transactions, this.topics.finality]) {
      if (!this.topicHandlers.has(topic)) this.subscribe(topic, onGossip);
    }
    for (const [topic] of this.topicHandlers) this.activateTopic(topic);

    for (const [id, r] of this.reservedById) {
      this.scores.protect(id);
      await this.libp2p.peerStore.merge(r.peerId, {
        multiaddrs: [r.multiaddr],
        tags: { [KEEP_ALIVE]: { value: 1 } },
      });
      this.dialReserved(id);
    }
    for (const b of this.bootnodes) this.dialQuietly(b.multiaddr, "bootnode");
    this.maintenanceTimer = setInterval(() => this.maintain(), this.opts.maintenanceIntervalMs);
    this.maintenanceTimer.unref();
    this.log.info("Local node identity", { peerId: this.peerId.toString() });
    this.log.debug("Listening", { addrs: this.listenAddresses() });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.maintenanceTimer);
    for (const r of this.reservedRetry.values()) clearTimeout(r.timer);
    this.reservedRetry.clear();
    this.libp2p.removeEventListener("peer:connect", this.onPeerConnect);
    this.libp2p.removeEventListener("peer:disconnect", this.onPeerDisconnect);
    this.libp2p.removeEventListener("peer:discovery", this.onPeerDiscovery);
    for (const topic of this.topicHandlers.keys()) {
      this.libp2p.services.pubsub.topicValidators.delete(topic);
    }
    if (this.ownsLibp2p) {
      await this.libp2p.stop();
    } else {
      for (const topic of this.topicHandlers.keys()) this.libp2p.services.pubsub.unsubscribe(topic);
      await this.libp2p.unhandle([
        this.protocols.status,
        this.protocols.blocks,
        this.protocols.justifications,
        this.protocols.catchUp,
      ]);
    }
    this.statuses.clear();
  }

  // --- peers ------------------------------------------------------------------------------------

  listenAddresses(): string[] {
    return this.libp2p.getMultiaddrs().map((ma) => ma.toString());
  }

  peers(): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const [id, entry] of this.statuses) {
      const conn = this.libp2p.getConnections(peerIdFromString(id))[0];
      if (conn === undefined) continue;
      out.push(this.peerInfo(id, entry.status, conn));
    }
    return out;
  }

  connectedPeers(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString());
  }

  async dial(target: string): Promise<void> {
    this.assertStarted();
    await this.libp2p.dial(target.startsWith("/") ? parseMultiaddr(target) : peerIdFromString(target));
  }

  async disconnect(peerId: string): Promise<void> {
    await this.libp2p.hangUp(peerIdFromString(peerId));
  }

  reportPeer(peerId: string, report: PeerReport): number {
    const { score, banned } = this.scores.apply(peerId, report);
    this.log.debug("Peer reputation changed", {
      peerId,
      kind: report.kind,
      change: this.scores.valueOf(report),
      score,
    });
    if (banned) {
      const untilMs = this.scores.bannedUntil(peerId) ?? 0;
      const reason = report.reason ?? report.kind;
      this.log.info("Banned peer", { peerId, reason, score });
      this.emit("peer:banned", { peerId, untilMs, reason });
      this.statuses.delete(peerId);
      this.libp2p
        .hangUp(peerIdFromString(peerId))
        .catch((err) => this.log.debug("Hang-up failed", { peerId, error: describeError(err) }));
    }
    return score;
  }

  reputation(peerId: string): number {
    return this.scores.score(peerId);
  }

  isBanned(peerId: string): boolean {
    return this.scores.isBanned(peerId);
  }

  on<K extends keyof P2pEvents>(event: K, listener: (e: P2pEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  private emit<K extends keyof P2pEvents>(event: K, payload: P2pEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as (e: P2pEvents[K]) => void)(payload);
      } catch (err) {
        this.log.warn("Event listener failed", { event }, err);
      }
    }
  }

  private peerInfo(id: string, status: ChainStatus, conn: Connection): PeerInfo {
    return {
      peerId: id,
      roles: status.roles,
      best: status.best,
      finalized: status.finalized,
      address: conn.remoteAddr.toString(),
      direction: conn.direction,
      reputation: this.scores.score(id),
    };
  }

  private readonly onPeerConnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString();
    this.log.debug("Peer connected", { peerId: id });
    const retry = this.reservedRetry.get(id);
    if (retry !== undefined) {
      clearTimeout(retry.timer);
      this.reservedRetry.delete(id);
    }
    this.emit("peer:connected", { peerId: id });
    void this.handshake(evt.detail);
  };

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString();
    this.log.debug("Peer disconnected", { peerId: id });
    this.statuses.delete(id);
    this.inbound.forgetPeer(id);
    this.emit("peer:disconnected", { peerId: id });
    if (this.started && this.reservedById.has(id)) this.scheduleReservedDial(id, this.opts.reservedReconnectDelayMs);
  };

  /** A peer found by the DHT: dial it while we have fewer than `minPeers`, as Substrate's discovery does. */
  private readonly onPeerDiscovery = (evt: CustomEvent<Libp2pPeerInfo>): void => {
    const peer = evt.detail.id;
    const id = peer.toString();
    if (!this.started || peer.equals(this.peerId) || this.scores.isBanned(id)) return;
    if (this.libp2p.getPeers().length >= this.opts.minPeers || this.libp2p.getConnections(peer).length > 0) return;
    const addrs = evt.detail.multiaddrs;
    (addrs.length > 0 ? this.libp2p.dial(addrs) : this.libp2p.dial(peer)).catch((err) =>
      this.log.debug("Dial discovered peer failed", { peerId: id, error: describeError(err) }),
    );
  };

  private async handshake(peerId: PeerId): Promise<void> {
    const id = peerId.toString();
    if (this.handshaking.has(id)) return;
    this.handshaking.add(id);
    try {
      await this.requestStatus(id);
    } catch (err) {
      // A peer without our status protocol is not on this chain (or not a chain node): keep it as a
      // plain libp2p peer (DHT, Helia) but not as a chain peer.
      this.log.debug("Status handshake failed", { peerId: id, error: describeError(err) });
    } finally {
      this.handshaking.delete(id);
    }
  }

  /** A peer's status, asked for or sent with its own request: checked for our genesis, then recorded. */
  private acceptStatus(id: string, status: ChainStatus): void {
    this.checkGenesis(id, status);
    this.recordStatus(id, status);
  }

  private recordStatus(id: string, status: ChainStatus): void {
    this.statuses.set(id, { status });
    const conn = this.libp2p.getConnections(peerIdFromString(id))[0];
    if (conn !== undefined) this.emit("peer:status", { peer: this.peerInfo(id, status, conn) });
  }

  /** Reports a genesis mismatch (fatal) and throws. */
  private checkGenesis(id: string, status: ChainStatus): void {
    if (!bytesEqual(status.genesisHash, this.modules.genesisHash)) {
      this.reportPeer(id, { kind: "genesisMismatch", reason: "genesis mismatch" });
      throw new P2pError({ code: "P2P_ERROR_GENESIS_MISMATCH", peerId: id });
    }
  }

  // --- maintenance ------------------------------------------------------------------------------

  private maintain(): void {
    if (!this.started) return;
    const connected = new Set(this.connectedPeers());
    for (const id of this.reservedById.keys()) {
      if (!connected.has(id) && !this.reservedRetry.has(id)) this.dialReserved(id);
    }
    if (connected.size < this.opts.minPeers) {
      for (const b of this.bootnodes) {
        const id = b.peerId.toString();
        if (!connected.has(id) && id !== this.peerId.toString() && !this.scores.isBanned(id)) {
          this.dialQuietly(b.multiaddr, "bootnode");
        }
      }
    }
    this.scores.prune();
  }

  private dialQuietly(ma: Multiaddr, what: string): void {
    this.libp2p
      .dial(ma)
      .catch((err) => this.log.debug(`Dial ${what} failed`, { addr: ma.toString(), error: describeError(err) }));
  }

  private dialReserved(id: string): void {
    const r = this.reservedById.get(id);
    if (r === undefined || !this.started) return;
    const delayMs = this.reservedRetry.get(id)?.delayMs ?? this.opts.reservedReconnectDelayMs;
    this.libp2p.dial(r.multiaddr).then(
      () => {
        const retry = this.reservedRetry.get(id);
        clearTimeout(retry?.timer);
        this.reservedRetry.delete(id);
      },
      (err) => {
        this.log.debug("Dial reserved node failed", { peerId: id, retryInMs: delayMs, error: describeError(err) });
        this.scheduleReservedDial(id, delayMs);
      },
    );
  }

  private scheduleReservedDial(id: string, delayMs: number): void {
    if (!this.started) return;
    const prev = this.reservedRetry.get(id);
    clearTimeout(prev?.timer);
    const timer = setTimeout(() => {
      const entry = this.reservedRetry.get(id);
      if (entry !== undefined) entry.timer = undefined;
      if (this.libp2p.getConnections(peerIdFromString(id)).length === 0) this.dialReserved(id);
      else this.reservedRetry.delete(id);
    }, delayMs);
    timer.unref();
    this.reservedRetry.set(id, { delayMs: Math.min(2 * delayMs, MAX_RESERVED_BACKOFF_MS), timer });
  }

  private assertStarted(): void {
    if (!this.started) throw new P2pError({ code: "P2P_ERROR_NOT_STARTED" });
  }

  // --- gossip -----------------------------------------------------------------------------------

  subscribe(topic: string, handler?: GossipHandler, opts?: SubscribeOptions): void {
    const maxBytes = opts?.maxBytes ?? topicLimit(this.topics, this.opts.limits, topic);
    this.topicHandlers.set(topic, { handler: handler ?? this.modules.handlers.onGossip, maxBytes });
    if (this.started) this.activateTopic(topic);
  }

  unsubscribe(topic: string): void {
    this.topicHandlers.delete(topic);
    if (!this.started) return;
    this.libp2p.services.pubsub.topicValidators.delete(topic);
    this.libp2p.services.pubsub.unsubscribe(topic);
  }

  private activateTopic(topic: string): void {
    const pubsub = this.libp2p.services.pubsub;
    pubsub.topicValidators.set(topic, (peer, msg) => this.validateGossip(topic, peer, msg));
    pubsub.subscribe(topic);
  }

  topicPeers(topic: string): string[] {
    return this.libp2p.services.pubsub.getSubscribers(topic).map((p) => p.toString());
  }

  meshPeers(topic: string): string[] {
    // The GossipSub interface does not list the mesh; the implementation has it.
    const pubsub = this.libp2p.services.pubsub as unknown as { getMeshPeers?(topic: string): string[] };
    return pubsub.getMeshPeers?.(topic) ?? [];
  }

  async publish(topic: string, data: Uint8Array, opts: { requirePeers?: boolean } = {}): Promise<number> {
    this.assertStarted();
    const limit = this.topicHandlers.get(topic)?.maxBytes ?? topicLimit(this.topics, this.opts.limits, topic);
    if (data.length > limit) {
      throw new P2pError({ code: "P2P_ERROR_OVERSIZED", protocol: topic, size: data.length, limit });
    }
    // gossipsub's publish takes per-call options that its exported interface does not declare.
    const pubsub = this.libp2p.services.pubsub as unknown as {
      publish(
        t: string,
        d: Uint8Array,
        o?: { allowPublishToZeroTopicPeers?: boolean },
      ): Promise<{ recipients: unknown[] }>;
    };
    const { recipients } = await pubsub.publish(
      topic,
      data,
      opts.requirePeers ? { allowPublishToZeroTopicPeers: false } : undefined,
    );
    return recipients.length;
  }

  private async validateGossip(topic: string, peer: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const entry = this.topicHandlers.get(topic);
    if (entry === undefined) return TopicValidatorResult.Ignore;
    const from = peer.toString();
    if (msg.data.length > entry.maxBytes) {
      this.reportPeer(from, { kind: "oversized", reason: `gossip of ${msg.data.length} bytes` });
      return TopicValidatorResult.Reject;
    }
    let result: GossipResult;
    try {
      result = await entry.handler(topic, msg.data, from);
    } catch (err) {
      this.log.debug("Gossip handler failed", { topic, peerId: from, error: describeError(err) });
      return TopicValidatorResult.Ignore;
    }
    const verdict = typeof result === "string" ? result : result.verdict;
    const report = typeof result === "string" ? undefined : result.report;
    if (report !== undefined) this.reportPeer(from, report);
    else if (verdict === "reject") this.reportPeer(from, { kind: "invalidMessage", reason: "rejected gossip" });
    else if (verdict === "accept") this.scores.apply(from, { kind: "goodMessage" });
    if (verdict === "accept") return TopicValidatorResult.Accept;
    return verdict === "reject" ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
  }

  // --- outbound requests ------------------------------------------------------------------------

  private async request(
    peer: string,
    protocol: string,
    payload: Uint8Array,
    maxResponseBytes: number,
  ): Promise<Uint8Array> {
    this.assertStarted();
    try {
      return await sendRequest(this.libp2p, peerIdFromString(peer), protocol, payload, {
        maxResponseBytes,
        timeoutMs: this.opts.requestTimeoutMs,
      });
    } catch (err) {
      this.penalizeFailure(peer, err);
      throw err;
    }
  }

  /** Decodes a response; malformed answers cost the peer, error envelopes become `P2P_ERROR_REMOTE`. */
  private decodeResponse<T>(peer: string, protocol: string, decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      if (err instanceof RemoteErrorResponse) {
        throw new P2pError({ code: "P2P_ERROR_REMOTE", protocol, peerId: peer, reason: err.message });
      }
      this.penalizeFailure(peer, err);
      throw err;
    }
  }

  private penalizeFailure(peer: string, err: unknown): void {
    if (!(err instanceof P2pError)) return;
    switch (err.type.code) {
      case "P2P_ERROR_OVERSIZED":
        this.reportPeer(peer, { kind: "oversized", reason: `${err.type.protocol}: ${err.type.size} bytes` });
        break;
      case "P2P_ERROR_INVALID_MESSAGE":
        this.reportPeer(peer, { kind: "invalidMessage", reason: err.type.reason });
        break;
      case "P2P_ERROR_TIMEOUT":
        this.reportPeer(peer, { kind: "timeout" });
        break;
      default:
        break;
    }
  }

  async requestStatus(peerId: string): Promise<ChainStatus> {
    const ours = await this.modules.handlers.onStatusRequest();
    const protocol = this.protocols.status;
    const frame = await this.request(peerId, protocol, encodeStatus(ours), this.opts.limits.statusBytes);
    const status = this.decodeResponse(peerId, protocol, () => decodeStatusResponse(protocol, frame));
    this.acceptStatus(peerId, status);
    return status;
  }

  async requestBlocks(
    peerId: string,
    req: Omit<BlocksRequest, "fields"> & { fields?: Partial<BlockFields> },
  ): Promise<BlockData[]> {
    const full: BlocksRequest = {
      from: req.from,
      direction: req.direction,
      max: req.max,
      fields: { header: true, body: true, justification: true, ...req.fields },
    };
    const protocol = this.protocols.blocks;
    const frame = await this.request(peerId, protocol, encodeBlocksRequest(full), this.opts.limits.blocksResponseBytes);
    const blocks = this.decodeResponse(peerId, protocol, () => decodeBlocksResponse(protocol, frame));
    if (blocks.length > full.max) {
      const reason = `${blocks.length} blocks for max ${full.max}`;
      this.reportPeer(peerId, { kind: "invalidMessage", reason });
      throw new P2pError({ code: "P2P_ERROR_INVALID_MESSAGE", protocol, reason });
    }
    return blocks;
  }

  async requestJustification(peerId: string, hash: Uint8Array): Promise<Uint8Array | undefined> {
    const protocol = this.protocols.justifications;
    const frame = await this.request(
      peerId,
      protocol,
      encodeJustificationRequest({ hash }),
      this.opts.limits.justificationResponseBytes,
    );
    return this.decodeResponse(peerId, protocol, () => decodeJustificationResponse(protocol, frame));
  }

  async requestCatchUp(peerId: string, request: Uint8Array): Promise<Uint8Array | undefined> {
    const protocol = this.protocols.catchUp;
    const frame = await this.request(
      peerId,
      protocol,
      encodeCatchUpRequest(request),
      this.opts.limits.catchUpResponseBytes,
    );
    return this.decodeResponse(peerId, protocol, () => decodeCatchUpResponse(protocol, frame));
  }
}
