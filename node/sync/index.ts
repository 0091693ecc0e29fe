/**
 * Sync: keeps the node at the head of the best peer's chain.
 *
 * - Every peer's status (handshake, then refreshed every `statusIntervalMs`) is compared with ours; a
 *   peer whose best is ahead starts a range sync: blocks ascending from our best + 1 (or, when the
 *   first block's parent is unknown because we are on a fork, from our finalized block + 1), `batch`
 *   blocks per request, imported one by one through the `BlockImporter` with their justifications.
 * - A gossiped block with an unknown parent: its ancestors are requested (descending, by hash) from the
 *   peer that sent it and imported oldest first; a peer that cannot serve the parent is reported
 *   (`invalidBlock`, reason `BLOCK_ERROR_UNKNOWN_PARENT`).
 * - A peer whose finalized block we have but not yet as final: its justification is requested and
 *   imported (a restarted node catches up with finality this way).
 * - A block a finality message names (a vote or commit target) that we lack: it and its missing
 *   ancestors are requested from the peer that sent the message (Substrate's `set_sync_fork_request`),
 *   so that votes for a fork block authored during a partition count here once it heals. So is a
 *   peer's best block that we lack at or below our height (a fork as long as ours).
 * Invalid blocks and justifications are reported against the peer that served them.
 */
import type { BlockData, P2pHost, PeerInfo } from "../../p2p/index.js";
import { bytesEqual, toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import { Header } from "../../primitives/types.js";
import { splitExtrinsics } from "../../runtime/index.js";
import type { Chain } from "../chain/chain.js";
import type { Block } from "../chain/types.js";
import { BlockImportError, type BlockImporter } from "../network/blockImport.js";

export interface SyncOptions {
  /** Blocks per range request. */
  batch: number;
  statusIntervalMs: number;
  /** Behind the best peer by more than this many blocks counts as syncing (`system_health.isSyncing`). */
  syncingThreshold: number;
  progressIntervalMs: number;
}

export const defaultSyncOptions: SyncOptions = {
  batch: 128,
  statusIntervalMs: 3000,
  syncingThreshold: 5,
  progressIntervalMs: 5000,
};

export interface SyncModules {
  chain: Chain;
  host: P2pHost;
  importer: BlockImporter;
  logger: Logger;
  /** Finalizes a block we have from a verified justification (the finality gadget). */
  importJustification?: (block: { hash: Uint8Array; number: number }, justification: Uint8Array) => Promise<void>;
}

export interface SyncState {
  startingBlock: number;
  currentBlock: number;
  highestBlock: number;
}

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class SyncService {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private startingBlock = 0;
  private lastProgressAt = 0;
  private readonly fetchingParents = new Set<string>();
  private readonly unsubscribers: (() => void)[] = [];

  constructor(
    private readonly opts: SyncOptions,
    private readonly modules: SyncModules,
  ) {}

  start(): void {
    this.running = true;
    this.startingBlock = this.modules.chain.best.number;
    this.unsubscribers.push(this.modules.host.on("peer:status", ({ peer }) => this.onPeerStatus(peer)));
    this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    for (const u of this.unsubscribers.splice(0)) u();
    await this.syncing;
  }

  /** The highest best block any peer announced. */
  highestBlock(): number {
    let h = this.modules.chain.best.number;
    for (const p of this.modules.host.peers()) h = Math.max(h, p.best.number);
    return h;
  }

  isSyncing(): boolean {
    return this.highestBlock() - this.modules.chain.best.number > this.opts.syncingThreshold;
  }

  state(): SyncState {
    return {
      startingBlock: this.startingBlock,
      currentBlock: this.modules.chain.best.number,
      highestBlock: this.highestBlock(),
    };
  }

  /** A gossiped block whose parent we lack: fetch its ancestors from `peerId`. */
  onUnknownParent(peerId: string, block: Block): void {
    const key = toHex(block.header.parentHash);
    if (!this.running || this.fetchingParents.has(key)) return;
    if (block.header.number > this.modules.chain.best.number + this.opts.batch) {
      this.scheduleSync();
      return;
    }
    this.fetchingParents.add(key);
    void this.fetchAncestors(peerId, block)
      .catch((err: unknown) =>
        this.modules.logger.debug("Fetching ancestors failed", { peerId, error: errMessage(err) }),
      )
      .finally(() => this.fetchingParents.delete(key));
  }

  /**
   * A block that a finality message names and we lack (see the module comment): fetch it and its
   * missing ancestors from `peerId`. A peer that relayed the message need not have the block: a failed
   * request costs it nothing.
   */
  requestFork(peerId: string, target: { hash: Uint8Array; number: number }): void {
    const { chain } = this.modules;
    const key = toHex(target.hash);
    if (!this.running || this.fetchingParents.has(key) || target.number <= chain.finalized.number) return;
    if (target.number > chain.best.number + this.opts.batch) {
      this.scheduleSync();
      return;
    }
    this.fetchingParents.add(key);
    void this.fetchChain(peerId, target.hash)
      .catch((err: unknown) => this.modules.logger.debug("Fork request failed", { peerId, error: errMessage(err) }))
      .finally(() => this.fetchingParents.delete(key));
  }

  /**
   * Fetches the block `top` and the ancestors we lack (descending from it) from `peerId` and imports
   * them, oldest first: "none" when the peer did not serve `top`, "failed" when a block failed to decode
   * or import (already reported), "imported" otherwise.
   */
  private async fetchChain(peerId: string, top: Uint8Array): Promise<"none" | "failed" | "imported"> {
    const { host, importer } = this.modules;
    const data = await host.requestBlocks(peerId, {
      from: top,
      direction: "descending",
      max: this.opts.batch,
      fields: { header: true, body: true, justification: true },
    });
    if (data.length === 0 || !bytesEqual(data[0]!.hash, top)) return "none";
    const blocks: { block: Block; justification?: Uint8Array }[] = [];
    let expected = top;
    for (const d of data) {
      const decoded = this.decode(peerId, d);
      if (!decoded || !bytesEqual(d.hash, expected)) return "failed";
      blocks.push(decoded);
      if (await importer.has(decoded.block.header.parentHash)) break;
      expected = decoded.block.header.parentHash;
    }
    blocks.reverse();
    for (const b of blocks) if (!(await this.importOne(peerId, b.block, b.justification))) return "failed";
    return "imported";
  }

  private async fetchAncestors(peerId: string, block: Block): Promise<void> {
    const fetched = await this.fetchChain(peerId, block.header.parentHash);
    if (fetched === "none") {
      // A peer that gossips a block must be able to serve its parent (Substrate's sync costs this as
      // "No requested block data", as much as a bad block).
      const reason = "BLOCK_ERROR_UNKNOWN_PARENT";
      this.modules.host.reportPeer(peerId, { kind: "invalidBlock", reason });
      this.modules.logger.debug("Peer could not serve the parent of its block", {
        peerId,
        reason,
        number: block.header.number,
      });
      return;
    }
    if (fetched === "imported") await this.importOne(peerId, block, undefined);
  }

  private onPeerStatus(peer: PeerInfo): void {
    const { chain } = this.modules;
    if (peer.best.number > chain.best.number) this.scheduleSync();
    // A best block at or below ours that we lack: the other side of a healed partition, whose fork is
    // as long as ours. Without it neither side's fork choice (the same on every node) sees both forks,
    // and their voters keep splitting on the two heads (Substrate fetches such fork targets too).
    else if (!chain.blockTree.has(peer.best.hash)) this.requestFork(peer.peerId, peer.best);
    void this.catchUpFinality(peer);
  }

  private tick(): void {
    if (!this.running) return;
    const { host } = this.modules;
    for (const peer of host.peers())
      host
        .requestStatus(peer.peerId)
        .catch((err: unknown) =>
          this.modules.logger.debug("Status request failed", { peerId: peer.peerId, error: errMessage(err) }),
        );
    this.timer = setTimeout(() => this.tick(), this.opts.statusIntervalMs);
  }

  private scheduleSync(): void {
    if (!this.running || this.syncing) return;
    this.syncing = this.syncLoop()
      .catch((err: unknown) => this.modules.logger.warn("Sync failed", { error: errMessage(err) }))
      .finally(() => {
        this.syncing = undefined;
      });
  }

  private bestPeer(): PeerInfo | undefined {
    let best: PeerInfo | undefined;
    for (const p of this.modules.host.peers()) if (!best || p.best.number > best.best.number) best = p;
    return best;
  }

  private async syncLoop(): Promise<void> {
    const { chain } = this.modules;
    let fromFinalized = false;
    while (this.running) {
      const peer = this.bestPeer();
      if (!peer || peer.best.number <= chain.best.number) return;
      const start = fromFinalized ? chain.finalized.number + 1 : chain.best.number + 1;
      const data = await this.modules.host.requestBlocks(peer.peerId, {
        from: start,
        direction: "ascending",
        max: this.opts.batch,
        fields: { header: true, body: true, justification: true },
      });
      if (data.length === 0) return;
      const before = chain.best.number;
      let unknownParent = false;
      for (const d of data) {
        const decoded = this.decode(peer.peerId, d);
        if (!decoded) return;
        const r = await this.importOne(peer.peerId, decoded.block, decoded.justification);
        if (r === "unknownParent") {
          unknownParent = true;
          break;
        }
        if (!r) return;
      }
      if (unknownParent) {
        if (fromFinalized) return;
        fromFinalized = true;
        continue;
      }
      fromFinalized = false;
      this.progress(peer.best.number);
      if (chain.best.number === before && data.length < this.opts.batch) return;
    }
  }

  private progress(target: number): void {
    const now = Date.now();
    const behind = target - this.modules.chain.best.number;
    if (behind <= this.opts.syncingThreshold || now - this.lastProgressAt < this.opts.progressIntervalMs) return;
    this.lastProgressAt = now;
    this.modules.logger.info("Syncing", { best: this.modules.chain.best.number, target, behind });
  }

  private decode(peerId: string, d: BlockData): { block: Block; justification?: Uint8Array } | undefined {
    try {
      if (!d.header || !d.body) throw new Error("missing header or body");
      const header = Header.dec(d.header);
      return {
        block: { header, extrinsics: splitExtrinsics(d.body).map((x) => x.slice()) },
        justification: d.justification,
      };
    } catch (err) {
      this.modules.host.reportPeer(peerId, { kind: "invalidMessage", reason: `bad block data: ${errMessage(err)}` });
      return undefined;
    }
  }

  /** Imports one block from `peerId`: true when imported or known, "unknownParent", or false when invalid. */
  private async importOne(
    peerId: string,
    block: Block,
    justification: Uint8Array | undefined,
  ): Promise<boolean | "unknownParent"> {
    const { host, importer, logger } = this.modules;
    try {
      const outcome = await importer.import(block, "sync", justification);
      if (outcome.status === "unknownParent") return "unknownParent";
      if (outcome.status === "imported" && outcome.badJustification)
        host.reportPeer(peerId, { kind: "invalidJustification", reason: "bad justification" });
      return true;
    } catch (err) {
      if (err instanceof BlockImportError) {
        host.reportPeer(peerId, { kind: "invalidBlock", reason: err.type.reason });
        logger.debug("Peer served an invalid block", { peerId, reason: err.type.reason, number: err.type.number });
        return false;
      }
      throw err;
    }
  }

  /** A peer finalized a block we have but not as final: fetch and import its justification. */
  private async catchUpFinality(peer: PeerInfo): Promise<void> {
    const { chain, host, importJustification } = this.modules;
    if (!importJustification || peer.finalized.number <= chain.finalized.number) return;
    if (!chain.blockTree.has(peer.finalized.hash)) return;
    try {
      const j = await host.requestJustification(peer.peerId, peer.finalized.hash);
      if (!j) return;
      await importJustification(peer.finalized, j);
    } catch (err) {
      const code = (err as { type?: { code?: string } }).type?.code;
      if (code === "GRANDPA_ERROR_BAD_JUSTIFICATION")
        host.reportPeer(peer.peerId, { kind: "invalidJustification", reason: code });
      else this.modules.logger.debug("Justification catch-up failed", { peerId: peer.peerId, error: errMessage(err) });
    }
  }
}
