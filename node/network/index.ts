/**
 * The network service: the libp2p host (p2p/) with the chain behind its handlers. The host moves bytes;
 * this module judges them through one validator per object type:
 *   - status: our genesis, best and finalized blocks and roles;
 *   - block ranges by number or hash, ascending or descending, with header/body/justification;
 *   - justifications by block hash;
 *   - gossip: blocks (`BlockImporter`, the one verify-then-import path; an unknown parent asks the
 *     sender for the ancestors through sync), transactions (`pool.submit("external", …)`), and the
 *     finality topic (handed to the finality gadget).
 * Own blocks are published after import; transactions when a submission (RPC or local, not gossip:
 * gossipsub forwards those itself) puts them in the pool's ready queue. A transaction that no peer
 * would receive (a node that has just started, before its gossip mesh formed) is not published then,
 * since gossipsub would remember it as seen and refuse to publish it again: it is kept and published
 * again every `TX_REPUBLISH_INTERVAL_MS` while it is in the pool, until a peer receives it (as
 * Substrate propagates its pool's transactions periodically).
 */
import type { Libp2p } from "@libp2p/interface";
import {
  createP2pHost,
  type GossipResult,
  type P2pHost,
  type P2pServices,
  type PeerInfo,
  type PeerScoreStore,
  type Role,
} from "../../p2p/index.js";
import type { BlockData, BlocksRequest, ChainStatus } from "../../p2p/interface.js";
import type { HexString } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import { Header } from "../../primitives/types.js";
import { joinExtrinsics } from "../../runtime/index.js";
import type { Chain } from "../chain/chain.js";
import type { Block, ImportedBlock } from "../chain/types.js";
import { type TxPool, txHash } from "../txpool/index.js";
import { BlockImportError, type BlockImporter } from "./blockImport.js";
import { decodeBlock, encodeBlock } from "./codec.js";
import type { NetworkOptions } from "./options.js";

export { BlockImportError, BlockImporter, type ImportOutcome } from "./blockImport.js";
export { decodeBlock, encodeBlock } from "./codec.js";
export { createNetworkLibp2p, type NetworkLibp2p } from "./libp2p.js";
export type { NetworkOptions } from "./options.js";

export interface NetworkModules {
  chain: Chain;
  pool: TxPool;
  importer: BlockImporter;
  logger: Logger;
  roles: Role[];
  /** The node's shared libp2p node (`createNetworkLibp2p`) and its reputation store; the host then neither starts nor stops it. */
  libp2p?: Libp2p<P2pServices>;
  scores?: PeerScoreStore;
}

/** Handles messages of the finality topic (set by the finality gadget). */
export type FinalityGossipHandler = (data: Uint8Array, from: string) => Promise<GossipResult>;
/** Answers a GRANDPA catch-up request (set by the finality gadget). */
export type CatchUpRequestHandler = (request: Uint8Array, from: string) => Uint8Array | undefined;
/** Fetches the missing ancestors of a block whose parent is unknown (set by sync). */
export type UnknownParentHandler = (peer: string, block: Block) => void;

/** How often transactions that reached no peer are published again. */
export const TX_REPUBLISH_INTERVAL_MS = 1_000;

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class NetworkService {
  onFinalityGossip: FinalityGossipHandler | undefined;
  onCatchUpRequest: CatchUpRequestHandler | undefined;
  onUnknownParent: UnknownParentHandler | undefined;
  private readonly unsubscribers: (() => void)[] = [];
  /** Transactions being submitted from gossip, which are not published again. */
  private readonly fromGossip = new Set<string>();
  /** Own (RPC or local) transactions in the pool that no peer has received yet. */
  private readonly unsent = new Set<HexString>();
  private republishTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly host: P2pHost,
    private readonly modules: NetworkModules,
  ) {}

  static async create(opts: NetworkOptions, modules: NetworkModules): Promise<NetworkService> {
    let self: NetworkService | undefined;
    const ready = () => {
      if (!self) throw new Error("network not ready");
      return self;
    };
    const host = await createP2pHost(opts.p2p, {
      genesisHash: modules.chain.genesisHash,
      logger: modules.logger.child({ module: "p2p" }),
      libp2p: modules.libp2p,
      scores: modules.scores,
      handlers: {
        onStatusRequest: () => ready().status(),
        onBlocksRequest: (req) => ready().blocks(req),
        onJustificationRequest: (req) => modules.chain.justification(req.hash),
        onCatchUpRequest: (req, peer) => ready().onCatchUpRequest?.(req, peer),
        onGossip: (topic, data, from) => ready().gossip(topic, data, from),
      },
    });
    self = new NetworkService(host, modules);
    return self;
  }

  get peerId(): string {
    return this.host.peerId.toString();
  }

  async start(): Promise<void> {
    const { chain, pool, logger } = this.modules;
    await this.host.start();
    this.unsubscribers.push(
      pool.onImported((hash) => {
        if (this.fromGossip.has(hash)) return;
        this.publishTransaction(hash);
      }),
    );
    this.republishTimer = setInterval(() => {
      for (const hash of this.unsent) this.publishTransaction(hash);
    }, TX_REPUBLISH_INTERVAL_MS);
    this.republishTimer.unref();
    const onBlock = (block: ImportedBlock, origin: string) => {
      if (origin !== "own") return;
      this.host
        .publish(this.host.topics.blocks, encodeBlock(block))
        .catch((err: unknown) => logger.debug("Block gossip failed", { number: block.number, error: errMessage(err) }));
    };
    chain.on("block", onBlock);
    this.unsubscribers.push(() => chain.off("block", onBlock));
    logger.info("Local node identity", { peerId: this.peerId });
    for (const addr of this.host.listenAddresses()) logger.info("Listening", { addr });
  }

  async stop(): Promise<void> {
    clearInterval(this.republishTimer);
    this.unsent.clear();
    for (const u of this.unsubscribers.splice(0)) u();
    await this.host.stop();
  }

  /** Transactions waiting for a peer to publish them to (for tests). */
  unsentTransactions(): number {
    return this.unsent.size;
  }

  /** Publishes a pool transaction; keeps it for a later try while no peer would receive it. */
  private publishTransaction(hash: HexString): void {
    const { pool, logger } = this.modules;
    const tx = pool.get(hash);
    if (!tx?.propagate) {
      this.unsent.delete(hash);
      return;
    }
    this.unsent.delete(hash);
    this.host
      .publish(this.host.topics.transactions, tx.bytes, { requirePeers: true })
      .then((n) => {
        if (n === 0) return; // a duplicate: published before
        pool.onBroadcasted(hash, this.host.meshPeers(this.host.topics.transactions));
      })
      .catch((err: unknown) => {
        if (errMessage(err).includes("NoPeersSubscribedToTopic")) {
          if (!this.unsent.has(hash)) logger.debug("No peer for a transaction yet; will publish it again", { hash });
          this.unsent.add(hash);
        } else logger.debug("Transaction gossip failed", { hash, error: errMessage(err) });
      });
  }

  peers(): PeerInfo[] {
    return this.host.peers();
  }

  /** Gossips a vote (or other finality message). */
  async publishFinality(data: Uint8Array): Promise<void> {
    await this.host.publish(this.host.topics.finality, data);
  }

  status(): ChainStatus {
    const { chain, roles } = this.modules;
    return {
      genesisHash: chain.genesisHash,
      best: { number: chain.best.number, hash: chain.best.hash },
      finalized: { number: chain.finalized.number, hash: chain.finalized.hash },
      roles,
    };
  }

  /** A block range: the start by number (canonical chain) or hash, then by number or parent hash. */
  async blocks(req: BlocksRequest): Promise<BlockData[]> {
    const { chain } = this.modules;
    const out: BlockData[] = [];
    let hash = typeof req.from === "number" ? await chain.hashAt(req.from) : req.from;
    let header = hash && (await chain.header(hash));
    while (hash && header && out.length < req.max) {
      const data: BlockData = { hash };
      if (req.fields.header) data.header = Header.enc(header);
      if (req.fields.body) {
        const body = await chain.body(hash);
        if (!body) break;
        data.body = joinExtrinsics(body);
      }
      if (req.fields.justification) data.justification = await chain.justification(hash);
      out.push(data);
      if (req.direction === "descending") {
        if (header.number === 0) break;
        hash = header.parentHash;
      } else {
        hash = await chain.hashAt(header.number + 1);
      }
      header = hash && (await chain.header(hash));
    }
    return out;
  }

  private async gossip(topic: string, data: Uint8Array, from: string): Promise<GossipResult> {
    const { topics } = this.host;
    if (topic === topics.blocks) return this.gossipBlock(data, from);
    if (topic === topics.transactions) return this.gossipTransaction(data);
    if (topic === topics.finality) return this.onFinalityGossip ? this.onFinalityGossip(data, from) : "ignore";
    return "ignore";
  }

  private async gossipBlock(data: Uint8Array, from: string): Promise<GossipResult> {
    let block: Block;
    try {
      block = decodeBlock(data);
    } catch (err) {
      return { verdict: "reject", report: { kind: "invalidMessage", reason: `undecodable block: ${errMessage(err)}` } };
    }
    try {
      const outcome = await this.modules.importer.import(block, "network");
      switch (outcome.status) {
        case "imported":
          return { verdict: "accept", report: { kind: "goodBlock" } };
        case "unknownParent":
          this.onUnknownParent?.(from, block);
          return "ignore";
        default:
          return "ignore";
      }
    } catch (err) {
      if (err instanceof BlockImportError) {
        this.modules.logger.debug("Rejected gossiped block", { peerId: from, reason: err.type.reason });
        return { verdict: "reject", report: { kind: "invalidBlock", reason: err.type.reason } };
      }
      // Not the block's fault as far as the importer can tell (e.g. the database): worth a warning, but
      // what the peer sent (its header's fields) goes to debug only.
      this.modules.logger.debug("Gossiped block not imported", { peerId: from, number: block.header.number });
      this.modules.logger.warn("Block import failed", { error: errMessage(err) });
      return "ignore";
    }
  }

  private async gossipTransaction(data: Uint8Array): Promise<GossipResult> {
    const hash = txHash(data);
    this.fromGossip.add(hash);
    try {
      await this.modules.pool.submit("external", data);
      return { verdict: "accept", report: { kind: "goodTransaction" } };
    } catch (err) {
      const code = (err as { type?: { code?: string } }).type?.code;
      if (code === "TXPOOL_ERROR_INVALID_TRANSACTION")
        return { verdict: "reject", report: { kind: "invalidTransaction", reason: code } };
      return "ignore";
    } finally {
      this.fromGossip.delete(hash);
    }
  }
}
