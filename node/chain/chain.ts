/**
 * The chain: blocks and their states, the best and finalized heads, and block import.
 *
 * Import = verify (without side effects) then write. `importBlock` documents its writes:
 *   1. one LevelDB batch: header, body, new trie nodes, justification (if any), canonical index
 *      entries (if the block becomes best), `best` and `finalized` pointers;
 *   2. after the batch is durable: the in-memory state cache, then the `block`, `best` and
 *      `finalized` events, in that order.
 * A crash before (1) completes leaves the database as it was. Writes (an import's write phase,
 * `finalize`) run one at a time; verification and execution of several imports may overlap.
 */
import { EventEmitter } from "node:events";
import { type BlockId, BlockTree, heavier, type NewBlock } from "../../consensus/forkChoice.js";
import type { SignatureChecker } from "../../primitives/crypto/index.js";
import { blake2_256 } from "../../primitives/hashing.js";
import { bytesEqual, toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import { orderedTrieRoot, Trie } from "../../primitives/trie/index.js";
import { Header, type HeaderValue } from "../../primitives/types.js";
import {
  buildGenesisStorage,
  Ext,
  executeBlock,
  type GenesisConfig,
  joinExtrinsics,
  splitExtrinsics,
} from "../../runtime/index.js";
import { type ChainDb, WriteBatch } from "../db/chainDb.js";
import { loadTrie } from "../state/index.js";
import { BlockError, ChainError } from "./errors.js";
import { RuntimeView, trieBackend } from "./runtimeView.js";
import type { Block, BlockOrigin, BlockRef, ImportedBlock } from "./types.js";

/** How many runtime views `runtimeAt` keeps (least recently used out): enough for every unfinalized block
 * a service looks at, few enough that views of old blocks loaded from disk do not pile up. */
export const RUNTIME_VIEW_CACHE_SIZE = 64;

export interface ChainModules {
  db: ChainDb;
  logger: Logger;
  signatures: SignatureChecker;
  /** Checks a block's signatures ahead of execution (in parallel) so that execution finds them cached. */
  preVerify?: (block: Block, parentState: Trie) => Promise<unknown>;
  /** Whether a header claims a primary (VRF) slot: such blocks weigh 1 in fork choice, others 0. */
  isPrimary?: (header: HeaderValue) => boolean;
  /**
   * How many PoUW tickets an imported header carries: each adds the tree's ticket weight in fork choice
   * (only imported blocks are asked: the runtime rejected any block with an invalid ticket).
   */
  ticketCount?: (header: HeaderValue) => number;
  /** The runtime's weight per ticket (`pouw.ticket_weight`) in a block's post-state; 1 when absent. */
  ticketWeight?: (state: Trie) => bigint;
}

export interface ChainEvents {
  block: [block: ImportedBlock, origin: BlockOrigin];
  best: [block: BlockRef];
  /** The best chain switched branches: `retracted` blocks left it (newest first), `enacted` joined it. */
  reorg: [route: { retracted: BlockId[]; enacted: BlockId[] }];
  finalized: [block: BlockRef];
}

export function hashHeader(header: HeaderValue): Uint8Array {
  return blake2_256(Header.enc(header));
}

export function blockRef(header: HeaderValue, hash = hashHeader(header)): BlockRef {
  return { hash, hashHex: toHex(hash), number: header.number, header };
}

export function genesisHeader(stateRoot: Uint8Array): HeaderValue {
  return {
    parentHash: new Uint8Array(32),
    number: 0,
    stateRoot,
    extrinsicsRoot: orderedTrieRoot([]),
    digest: { logs: [] },
  };
}

/** Builds the genesis block and state from genesis storage (see `buildGenesisStorage`). */
export function buildGenesis(storage: [Uint8Array, Uint8Array][]): { header: HeaderValue; state: Trie } {
  const state = Trie.fromEntries(storage);
  return { header: genesisHeader(state.root), state };
}

export { buildGenesisStorage, type GenesisConfig, trieBackend };

export class Chain extends EventEmitter<ChainEvents> {
  private readonly states = new Map<string, Trie>();
  private readonly headers = new Map<string, HeaderValue>();
  /** The chain write in progress (`exclusive`). */
  private writing: Promise<unknown> = Promise.resolve();
  /** Recently used runtime views by block hash, oldest use first. */
  private readonly views = new Map<string, RuntimeView>();
  private bestRef: BlockRef;
  private finalizedRef: BlockRef;
  /** Unfinalized blocks descending from the last finalized one, with their fork-choice weights. */
  private tree: BlockTree;

  private constructor(
    private readonly modules: ChainModules,
    readonly genesis: BlockRef,
    best: BlockRef,
    finalized: BlockRef,
  ) {
    super();
    this.bestRef = best;
    this.finalizedRef = finalized;
    this.tree = new BlockTree({ hash: finalized.hash, number: finalized.number });
  }

  /** Opens the chain in `db`, writing the genesis block first if the database is new. */
  static async open(modules: ChainModules, genesisStorage: [Uint8Array, Uint8Array][]): Promise<Chain> {
    const { db, logger } = modules;
    const genesis = buildGenesis(genesisStorage);
    const genesisRef = blockRef(genesis.header);
    const stored = await db.meta("genesis");
    if (!stored) {
      const batch = new WriteBatch()
        .putHeader(genesisRef.hash, Header.enc(genesis.header))
        .putBody(genesisRef.hash, joinExtrinsics([]));
      db.trieNodes.putTrie(batch, genesis.state);
      batch
        .putCanonical(0, genesisRef.hash)
        .putMeta("genesis", genesisRef.hash)
        .putMeta("best", genesisRef.hash)
        .putMeta("finalized", genesisRef.hash);
      await db.write(batch);
      genesis.state.markPersisted();
      logger.info("Initialized new chain", { genesis: genesisRef.hashHex });
    } else if (!bytesEqual(stored, genesisRef.hash)) {
      throw new ChainError(
        { code: "CHAIN_ERROR_GENESIS_MISMATCH", stored: toHex(stored), expected: genesisRef.hashHex },
        `The database at ${db.path} belongs to another chain (genesis ${toHex(stored)}, expected ${genesisRef.hashHex})`,
      );
    }
    const bestHash = await db.meta("best");
    const finalizedHash = await db.meta("finalized");
    if (!bestHash || !finalizedHash)
      throw new ChainError({ code: "CHAIN_ERROR_CORRUPT_DB", reason: "missing head pointers" });
    const chain = new Chain(modules, genesisRef, genesisRef, genesisRef);
    chain.bestRef = await chain.requireRef(bestHash);
    chain.finalizedRef = await chain.requireRef(finalizedHash);
    const bestState = await loadTrie(db.level, chain.bestRef.header.stateRoot);
    if (!bytesEqual(bestState.root, chain.bestRef.header.stateRoot))
      throw new ChainError({
        code: "CHAIN_ERROR_CORRUPT_DB",
        reason: "best block's state root does not match its state",
      });
    chain.states.set(chain.bestRef.hashHex, bestState);
    await chain.rebuildTree();
    return chain;
  }

  /** Re-adds the unfinalized part of the best chain to the fork-choice tree after a restart. */
  private async rebuildTree(): Promise<void> {
    this.tree = new BlockTree({ hash: this.finalizedRef.hash, number: this.finalizedRef.number });
    // The finalized block stays in memory once a later one is finalized, like the blocks imported since
    // the start: the GRANDPA voter's base is this block until it hears of that finalization, and it
    // walks from it to the new one (else a restarted voter that sync moved past never follows).
    this.headers.set(this.finalizedRef.hashHex, this.finalizedRef.header);
    const path: HeaderValue[] = [];
    for (let n = this.bestRef.number; n > this.finalizedRef.number; n--) {
      const hash = await this.modules.db.canonicalHash(n);
      const header = hash && (await this.header(hash));
      if (!header) throw new ChainError({ code: "CHAIN_ERROR_CORRUPT_DB", reason: `missing canonical block ${n}` });
      path.push(header);
    }
    for (const header of path.reverse()) {
      const hash = hashHeader(header);
      this.headers.set(toHex(hash), header);
      const entry = this.treeEntry(header, hash);
      // Only a block with tickets needs its state (for the ticket weight in force there).
      if (entry.tickets) entry.ticketWeight = this.modules.ticketWeight?.(await this.stateAt(hash));
      this.tree.addBlock(entry);
    }
  }

  private treeEntry(header: HeaderValue, hash: Uint8Array, state?: Trie): NewBlock {
    const tickets = this.modules.ticketCount?.(header) ?? 0;
    return {
      hash,
      parentHash: header.parentHash,
      number: header.number,
      primary: this.modules.isPrimary?.(header) ?? false,
      tickets,
      ticketWeight: tickets > 0 && state ? this.modules.ticketWeight?.(state) : undefined,
    };
  }

  /** The fork-choice tree: unfinalized blocks and their weights (read-only for callers). */
  get blockTree(): BlockTree {
    return this.tree;
  }

  get best(): BlockRef {
    return this.bestRef;
  }

  get finalized(): BlockRef {
    return this.finalizedRef;
  }

  get genesisHash(): Uint8Array {
    return this.genesis.hash;
  }

  private async requireRef(hash: Uint8Array): Promise<BlockRef> {
    const header = await this.header(hash);
    if (!header) throw new ChainError({ code: "CHAIN_ERROR_CORRUPT_DB", reason: `missing header ${toHex(hash)}` });
    return blockRef(header, hash);
  }

  async header(hash: Uint8Array): Promise<HeaderValue | undefined> {
    const cached = this.headers.get(toHex(hash));
    if (cached) return cached;
    const raw = await this.modules.db.header(hash);
    return raw ? Header.dec(raw) : undefined;
  }

  /**
   * A header held in memory, synchronously: unfinalized blocks, the finalized and best blocks, and
   * recent finalized ones (down to 256 blocks below the previously finalized head, the one the node
   * started with included).
   */
  headerInMemory(hash: Uint8Array): HeaderValue | undefined {
    const hex = toHex(hash);
    if (hex === this.finalizedRef.hashHex) return this.finalizedRef.header;
    if (hex === this.bestRef.hashHex) return this.bestRef.header;
    return this.headers.get(hex);
  }

  async body(hash: Uint8Array): Promise<Uint8Array[] | undefined> {
    const raw = await this.modules.db.body(hash);
    return raw ? splitExtrinsics(raw) : undefined;
  }

  justification(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.modules.db.justification(hash);
  }

  /** The canonical (best chain) block hash at `n`. */
  async hashAt(n: number): Promise<Uint8Array | undefined> {
    if (n > this.bestRef.number) return undefined;
    return this.modules.db.canonicalHash(n);
  }

  /** The state after block `hash`: from memory for recent blocks, else loaded from the database. */
  async stateAt(hash: Uint8Array): Promise<Trie> {
    const hex = toHex(hash);
    const cached = this.states.get(hex);
    if (cached) return cached;
    const header = await this.header(hash);
    if (!header) throw new BlockError({ code: "BLOCK_ERROR_UNKNOWN_BLOCK", hash: hex });
    return loadTrie(this.modules.db.level, header.stateRoot);
  }

  /**
   * The runtime at block `hash`: a read-only view of its post-state through which node services and RPC
   * read the chain. Throws `BLOCK_ERROR_UNKNOWN_BLOCK` for a block the chain does not have.
   */
  async runtimeAt(hash: Uint8Array): Promise<RuntimeView> {
    const view = this.runtimeInMemory(hash);
    if (view) return view;
    const hex = toHex(hash);
    const header = await this.header(hash);
    if (!header) throw new BlockError({ code: "BLOCK_ERROR_UNKNOWN_BLOCK", hash: hex });
    return this.cacheView(new RuntimeView(blockRef(header, hash), await this.stateAt(hash), this.viewModules()));
  }

  /** The runtime at `hash` without waiting, when its state is in memory (recent blocks; the best always). */
  runtimeInMemory(hash: Uint8Array): RuntimeView | undefined {
    const hex = toHex(hash);
    const cached = this.views.get(hex);
    if (cached) {
      this.views.delete(hex);
      this.views.set(hex, cached);
      return cached;
    }
    const state = this.states.get(hex);
    const header = state && this.headerInMemory(hash);
    if (!state || !header) return undefined;
    return this.cacheView(new RuntimeView(blockRef(header, hash), state, this.viewModules()));
  }

  /** The runtime at the best block (always in memory). */
  get bestRuntime(): RuntimeView {
    return this.runtimeInMemory(this.bestRef.hash)!;
  }

  /** How many views `runtimeAt` holds now (at most `RUNTIME_VIEW_CACHE_SIZE`). */
  get cachedViews(): number {
    return this.views.size;
  }

  private viewModules() {
    return { signatures: this.modules.signatures, genesisHash: this.genesis.hash };
  }

  private cacheView(view: RuntimeView): RuntimeView {
    this.views.set(view.block.hashHex, view);
    if (this.views.size > RUNTIME_VIEW_CACHE_SIZE) this.views.delete(this.views.keys().next().value!);
    return view;
  }

  /**
   * Imports a block. `executed` carries the post-state when the caller already executed the block (the
   * block author); otherwise the block is executed here on its parent's state and checked.
   */
  async importBlock(
    block: Block,
    origin: BlockOrigin,
    opts: { executed?: Trie; justification?: Uint8Array; finalize?: boolean } = {},
  ): Promise<ImportedBlock> {
    const ref = blockRef(block.header);
    // --- verify: no side effects ---
    // A block this node just authored is new by construction: skip the disk lookup (one event-loop
    // round trip on the authoring path, which an RPC flood stretches); `writeBlock` still checks the tree.
    if (this.states.has(ref.hashHex) || (origin !== "own" && (await this.modules.db.header(ref.hash))))
      throw new BlockError({ code: "BLOCK_ERROR_ALREADY_KNOWN", hash: ref.hashHex });
    const parentHeader = await this.header(block.header.parentHash);
    if (!parentHeader)
      throw new BlockError({ code: "BLOCK_ERROR_UNKNOWN_PARENT", parent: toHex(block.header.parentHash) });
    if (block.header.number !== parentHeader.number + 1)
      throw new BlockError({
        code: "BLOCK_ERROR_BAD_NUMBER",
        number: block.header.number,
        expected: parentHeader.number + 1,
      });
    const parentNode = this.tree.get(block.header.parentHash);
    if (block.header.number <= this.finalizedRef.number || !parentNode)
      throw new BlockError({
        code: "BLOCK_ERROR_BELOW_FINALIZED",
        number: block.header.number,
        finalized: this.finalizedRef.number,
      });
    const state = opts.executed ?? (await this.execute(block));
    if (!bytesEqual(state.root, block.header.stateRoot))
      throw new BlockError({
        code: "BLOCK_ERROR_STATE_ROOT_MISMATCH",
        expected: toHex(block.header.stateRoot),
        actual: toHex(state.root),
      });

    // --- write: one atomic batch, one writer at a time (see `exclusive`) ---
    return this.exclusive(() => this.writeBlock(block, ref, state, origin, opts));
  }

  /** The write phase of `importBlock`, with the checks that another write may have changed repeated. */
  private async writeBlock(
    block: Block,
    ref: BlockRef,
    state: Trie,
    origin: BlockOrigin,
    opts: { justification?: Uint8Array; finalize?: boolean },
  ): Promise<ImportedBlock> {
    if (this.tree.has(ref.hash)) throw new BlockError({ code: "BLOCK_ERROR_ALREADY_KNOWN", hash: ref.hashHex });
    const parentNode = this.tree.get(block.header.parentHash);
    if (block.header.number <= this.finalizedRef.number || !parentNode)
      throw new BlockError({
        code: "BLOCK_ERROR_BELOW_FINALIZED",
        number: block.header.number,
        finalized: this.finalizedRef.number,
      });
    const entry = this.treeEntry(block.header, ref.hash, state);
    // The tree's own weighing (primary slot, tickets, extra weight), before the block is in it.
    const becomesBest = heavier({ ...entry, weight: this.tree.weightOf(entry) }, this.tree.best());
    const oldBest = this.bestRef;
    const batch = new WriteBatch()
      .putHeader(ref.hash, Header.enc(block.header))
      .putBody(ref.hash, joinExtrinsics(block.extrinsics));
    this.modules.db.trieNodes.putTrie(batch, state);
    if (opts.justification) batch.putJustification(ref.hash, opts.justification);
    if (becomesBest) {
      await this.addCanonicalIndex(batch, ref);
      batch.putMeta("best", ref.hash);
    }
    if (opts.finalize) batch.putMeta("finalized", ref.hash);
    await this.modules.db.write(batch);
    state.markPersisted();

    // --- memory and notifications, after the batch is durable ---
    this.states.set(ref.hashHex, state);
    this.headers.set(ref.hashHex, block.header);
    this.tree.addBlock(entry);
    const imported: ImportedBlock = { ...ref, state, extrinsics: block.extrinsics };
    if (becomesBest) this.bestRef = ref;
    this.emit("block", imported, origin);
    if (becomesBest) {
      if (!bytesEqual(block.header.parentHash, oldBest.hash)) {
        const route = this.tree.route(oldBest.hash, ref.hash);
        this.emit("reorg", { retracted: route.retracted, enacted: route.enacted });
      }
      this.emit("best", ref);
    }
    if (opts.finalize) {
      this.tree.setFinalized(ref.hash);
      this.markFinalized(ref);
    }
    this.modules.logger.debug("Imported block", {
      number: ref.number,
      hash: ref.hashHex,
      origin,
      extrinsics: block.extrinsics.length,
    });
    return imported;
  }

  /** Executes `block` on its parent's state; returns the post-state. */
  async execute(block: Block): Promise<Trie> {
    const parentState = await this.stateAt(block.header.parentHash);
    await this.modules.preVerify?.(block, parentState);
    const ext = new Ext(trieBackend(parentState), this.modules.signatures);
    try {
      executeBlock(ext, block.header, block.extrinsics, this.genesis.hash);
    } catch (err) {
      throw new BlockError({ code: "BLOCK_ERROR_EXECUTION_FAILED", reason: (err as Error).message });
    }
    return parentState.update(ext.overlay.drain());
  }

  /** Rewrites the canonical index from `ref` back to where it meets the current canonical chain. */
  private async addCanonicalIndex(batch: WriteBatch, ref: BlockRef): Promise<void> {
    batch.putCanonical(ref.number, ref.hash);
    let header = ref.header;
    let n = ref.number;
    while (n > 0) {
      // Writes run one at a time (`exclusive`) and each moves the index with `bestRef`, so the index
      // already ends at the best block: a block on top of it needs no lookup (the usual case).
      if (bytesEqual(header.parentHash, this.bestRef.hash)) break;
      const canonicalParent = await this.modules.db.canonicalHash(n - 1);
      if (canonicalParent && bytesEqual(canonicalParent, header.parentHash)) break;
      batch.putCanonical(n - 1, header.parentHash);
      const parent = await this.header(header.parentHash);
      if (!parent) break;
      header = parent;
      n -= 1;
    }
    for (let stale = ref.number + 1; stale <= this.bestRef.number; stale++) batch.delCanonical(stale);
  }

  /**
   * Finalizes an imported block (and with it all its ancestors). Calls run one at a time with the
   * other writes (`exclusive`; the GRANDPA driver and sync call it concurrently): each sees the
   * finalized head the previous one left, in memory and on disk, so a lower block never moves it back.
   */
  finalize(hash: Uint8Array, justification?: Uint8Array): Promise<void> {
    return this.exclusive(() => this.finalizeNow(hash, justification));
  }

  /**
   * Runs the chain's writes (the write phase of `importBlock`, `finalize`) one at a time, in call
   * order. Each computes its batch (best block, canonical index, head pointers) from the database and
   * the tree as the previous write left them: overlapping writes from network imports, the node's own
   * blocks and finalizations would otherwise land in any order and leave the canonical index on an
   * abandoned fork or the finalized head moved back.
   */
  private exclusive<T>(write: () => Promise<T>): Promise<T> {
    const run = this.writing.then(write);
    this.writing = run.catch(() => {});
    return run;
  }

  private async finalizeNow(hash: Uint8Array, justification?: Uint8Array): Promise<void> {
    const ref = await this.requireRef(hash);
    if (ref.number <= this.finalizedRef.number) return;
    if (!this.tree.has(hash)) throw new BlockError({ code: "BLOCK_ERROR_UNKNOWN_BLOCK", hash: ref.hashHex });
    const batch = new WriteBatch().putMeta("finalized", hash);
    if (justification) batch.putJustification(hash, justification);
    // Finalizing a block off the best chain makes the best chain through it the best chain.
    let newBest: BlockRef | undefined;
    if (!this.tree.isDescendant(hash, this.bestRef.hash)) {
      newBest = await this.requireRef(this.tree.bestContaining(hash)!.hash);
      await this.addCanonicalIndex(batch, newBest);
      batch.putMeta("best", newBest.hash);
    }
    await this.modules.db.write(batch);
    const route = newBest ? this.tree.route(this.bestRef.hash, newBest.hash) : undefined;
    const { pruned } = this.tree.setFinalized(hash);
    for (const p of pruned) this.states.delete(toHex(p.hash));
    if (newBest && route) {
      this.bestRef = newBest;
      this.emit("reorg", { retracted: route.retracted, enacted: route.enacted });
      this.emit("best", newBest);
    }
    this.markFinalized(ref);
  }

  private markFinalized(ref: BlockRef): void {
    const previous = this.finalizedRef;
    this.finalizedRef = ref;
    // States of blocks at or below the finalized height are no longer needed in memory, except the best.
    for (const hex of this.states.keys()) {
      const h = this.headers.get(hex);
      if (hex !== this.bestRef.hashHex && hex !== ref.hashHex && (!h || h.number <= ref.number)) {
        this.states.delete(hex);
      }
    }
    // Headers go 256 blocks below the previously finalized block, not the new one: after a long jump
    // (a justification from sync), listeners of "finalized" (the GRANDPA voter) still walk from there.
    for (const [hex, h] of this.headers) if (h.number < previous.number - 256) this.headers.delete(hex);
    this.emit("finalized", ref);
  }
}
