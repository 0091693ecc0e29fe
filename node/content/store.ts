/**
 * The node's content store: Helia on the node's own libp2p host, over a LevelDB blockstore and datastore.
 *
 * Sharing the host: the node builds ONE libp2p node from `buildLibp2pOptions` (p2p/), gives it to the
 * p2p host (`P2pModules.libp2p`) and to this store (`ContentStoreModules.libp2p`), and starts and stops
 * it itself. The store adds to Helia a `libp2p` mixin that exposes that node as `helia.libp2p` and a
 * content router over libp2p's own (the kad-dht under the chain's protocol prefix), and bitswap as the
 * only block broker: no HTTP gateways, no delegated routing, no public IPFS bootstrap, nothing outside
 * the chain's network. Without a libp2p node the store is offline (a dev node): it adds, pins and
 * serves local content and answers NOT_FOUND at once for anything else.
 *
 * Side effects, in order:
 *   - `start()`: opens `<dir>/blocks` and `<dir>/data` (LevelDB), starts Helia (bitswap registers its
 *     protocol handlers on the shared libp2p node and greets the peers already connected).
 *   - `add()`: writes the blocks (bitswap tells peers that want them), pins the root (pin records in
 *     the datastore), then, with `provide`, announces the root in the DHT in the background.
 *   - `get()` / `pin()` of remote content: fetched blocks are written to the blockstore (hash-checked).
 *   - `stop()`: stops Helia (bitswap unregisters), aborts background announcements, closes LevelDB. The
 *     libp2p node is left running: whoever built it stops it.
 *
 * CIDs: see `options.ts` (CIDv1, UnixFS file, raw leaves, 1 MiB chunks).
 *
 * Pins have holders: each `pin`/`add` names who holds the CID (`"user"` for RPC clients and the CLI,
 * `job:<id>` for a job role), recorded in the datastore under `/tensorchain/holds/<cid>/<holder>`, and
 * the Helia pin stays while any holder does; `unpin` releases one holder. So a job role that lets go of
 * a dataset never unpins what a client uploaded or another job still uses. Per CID, pin and unpin run
 * one at a time. Unpinned blocks stay until `gc()`, which waits for adds, pins and reads in progress
 * (their blocks are not pinned yet) and holds new ones back while it sweeps.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { withBitswap } from "@helia/bitswap";
import type { Router } from "@helia/interface";
import { unixfs as createUnixfs, type UnixFS } from "@helia/unixfs";
import type { AbortOptions, Libp2p } from "@libp2p/interface";
import { LevelBlockstore } from "blockstore-level";
import { LevelDatastore } from "datastore-level";
import { createHeliaLight, type Helia } from "helia";
import { Key } from "interface-datastore";
import type { CID } from "multiformats/cid";
import type { Logger } from "../../primitives/logger.js";
import { nullLogger } from "../../primitives/logger.js";
import { cidFromBytes, cidToBytes, parseCid } from "./cid.js";
import { ContentError } from "./errors.js";
import { type ContentStoreOptions, defaultContentStoreOptions } from "./options.js";
import type { ContentStore } from "./types.js";

/** Multicodec codes of the two block formats a UnixFS file is made of. */
const RAW_CODEC = 0x55;
const DAG_PB_CODEC = 0x70;

/** Who holds a pin when the caller names nobody: RPC clients and the CLI. */
export const USER_HOLDER = "user";
const HOLDS_PREFIX = "/tensorchain/holds";
const holdsOf = (cid: string) => `${HOLDS_PREFIX}/${cid}/`;
const holdKey = (cid: string, holder: string) => new Key(`${holdsOf(cid)}${encodeURIComponent(holder)}`, false);

/** A holder's pin on a CID. */
export interface Holding {
  cid: string;
  holder: string;
}

export interface ContentStoreModules {
  /**
   * The node's libp2p node (built from `buildLibp2pOptions`, shared with the p2p host). The store
   * neither starts nor stops it. Absent: an offline store.
   */
  libp2p?: Libp2p;
  logger?: Logger;
}

/** What `read` returns: a range of the content and the size of the whole. */
export interface ContentRange {
  bytes: Uint8Array;
  /** Size of the whole file in bytes. */
  size: number;
}

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Helia's error names that mean "the blocks did not come" (from the store, the network, or in time). */
const NOT_FOUND_ERRORS = new Set([
  "AbortError",
  "TimeoutError",
  "NotFoundError",
  "BlockNotFoundWhileOfflineError",
  "LoadBlockFailedError",
]);

export class HeliaContentStore implements ContentStore {
  readonly opts: ContentStoreOptions;
  private readonly log: Logger;
  private helia: Helia | undefined;
  private fs: UnixFS | undefined;
  private blockstore: LevelBlockstore | undefined;
  private datastore: LevelDatastore | undefined;
  private readonly background = new AbortController();
  /** Per CID, the tail of its queue of pin/unpin operations. */
  private readonly cidQueues = new Map<string, Promise<unknown>>();
  /** Adds, pins and reads in progress, and the sweep `gc()` is running (new operations wait for it). */
  private active = 0;
  private whenIdle: (() => void) | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    opts: Partial<ContentStoreOptions>,
    private readonly modules: ContentStoreModules = {},
  ) {
    this.opts = { ...defaultContentStoreOptions, ...opts };
    this.log = (modules.logger ?? nullLogger).child({ module: "content" });
  }

  /** Creates and starts a store. */
  static async create(
    opts: Partial<ContentStoreOptions>,
    modules: ContentStoreModules = {},
  ): Promise<HeliaContentStore> {
    const store = new HeliaContentStore(opts, modules);
    await store.start();
    return store;
  }

  /** True when the store fetches from peers (it runs on a libp2p node). */
  get online(): boolean {
    return this.modules.libp2p !== undefined;
  }

  /**
   * Bytes the store takes on disk: the files of its LevelDB block and data stores (a directory listing
   * and a `stat` per file, no reads). 0 for an in-memory store.
   */
  async diskBytes(): Promise<number> {
    const { directory } = this.opts;
    if (directory === undefined) return 0;
    let total = 0;
    for (const sub of ["blocks", "data"]) {
      const dir = join(directory, sub);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue; // not created yet
      }
      for (const name of names) {
        // A file may go away between the listing and the stat (LevelDB compaction).
        const st = await stat(join(dir, name)).catch(() => undefined);
        if (st?.isFile()) total += st.size;
      }
    }
    return total;
  }

  async start(): Promise<void> {
    if (this.helia) return;
    const { directory } = this.opts;
    let blockstore: LevelBlockstore | undefined;
    let datastore: LevelDatastore | undefined;
    if (directory !== undefined) {
      blockstore = new LevelBlockstore(join(directory, "blocks"));
      datastore = new LevelDatastore(join(directory, "data"));
      await blockstore.open();
      try {
        await datastore.open();
      } catch (err) {
        await blockstore.close();
        throw err;
      }
    }
    const helia = createHeliaLight({ blockstore, datastore });
    const { libp2p } = this.modules;
    if (libp2p !== undefined) {
      Object.defineProperty(helia, "libp2p", { value: libp2p, enumerable: true });
      helia.addMixin({
        name: "libp2p",
        start: async () => {
          if (!helia.hasRouter(LIBP2P_ROUTER)) helia.addRouter(libp2pRouter(libp2p));
        },
      });
      withBitswap(helia as Helia & { libp2p: Libp2p });
    }
    try {
      await helia.start();
    } catch (err) {
      await datastore?.close();
      await blockstore?.close();
      throw err;
    }
    this.helia = helia;
    this.fs = createUnixfs(helia);
    this.blockstore = blockstore;
    this.datastore = datastore;
    this.log.info("Content store started", {
      directory: directory ?? "memory",
      mode: libp2p ? "bitswap" : "offline",
      peerId: libp2p?.peerId.toString(),
    });
  }

  async stop(): Promise<void> {
    const helia = this.helia;
    if (!helia) return;
    this.helia = undefined;
    this.fs = undefined;
    this.background.abort();
    await helia.stop();
    await this.datastore?.close();
    await this.blockstore?.close();
    this.log.debug("Content store stopped");
  }

  async add(bytes: Uint8Array, opts: { announce?: boolean; holder?: string } = {}): Promise<string> {
    const { fs, helia } = this.running();
    const started = Date.now();
    const holder = opts.holder ?? USER_HOLDER;
    const cid = await this.guarded(async () => {
      const cid = await fs.addBytes(bytes, { profile: "unixfs-v1-2025", cidVersion: 1, rawLeaves: true });
      await this.perCid(cid.toString(), async () => {
        await this.pinCid(helia, cid, {});
        await helia.datastore.put(holdKey(cid.toString(), holder), new Uint8Array(0));
      });
      return cid;
    });
    const cidStr = cid.toString();
    this.log.debug("Added content", { cid: cidStr, bytes: bytes.length, holder, ms: Date.now() - started });
    if (this.opts.provide && this.online && opts.announce !== false) this.provideInBackground(helia, cid);
    return cidStr;
  }

  async get(cid: string, opts: { timeoutMs?: number; maxBytes?: number } = {}): Promise<Uint8Array> {
    const parsed = this.parseFileCid(cid);
    const timeoutMs = opts.timeoutMs ?? this.opts.defaultTimeoutMs;
    const maxBytes = opts.maxBytes ?? this.opts.defaultMaxBytes;
    const { fs } = this.running();
    const signal = AbortSignal.timeout(timeoutMs);
    const started = Date.now();
    return this.guardedFetch(cid, timeoutMs, signal, async () => {
      const size = await this.sizeOf(fs, parsed, cid, signal);
      if (size > maxBytes) throw tooLarge(cid, size, maxBytes);
      const out = new Uint8Array(size);
      let pos = 0;
      for await (const chunk of fs.cat(parsed, { signal, offline: !this.online })) {
        // The root's declared size bounds the read: a DAG whose leaves hold more is refused, not buffered.
        if (pos + chunk.length > size) throw tooLarge(cid, pos + chunk.length, Math.min(size, maxBytes));
        out.set(chunk, pos);
        pos += chunk.length;
      }
      this.log.debug("Read content", { cid, bytes: pos, ms: Date.now() - started });
      return pos === size ? out : out.subarray(0, pos);
    });
  }

  /**
   * A range of a file (`offset`, at most `length` bytes) and the size of the whole; fetches only the
   * blocks of the range. For chunked downloads over RPC.
   */
  async read(cid: string, opts: { offset?: number; length?: number; timeoutMs?: number } = {}): Promise<ContentRange> {
    const parsed = this.parseFileCid(cid);
    const timeoutMs = opts.timeoutMs ?? this.opts.defaultTimeoutMs;
    const { fs } = this.running();
    const signal = AbortSignal.timeout(timeoutMs);
    return this.guardedFetch(cid, timeoutMs, signal, async () => {
      const size = await this.sizeOf(fs, parsed, cid, signal);
      const offset = Math.min(opts.offset ?? 0, size);
      const length = Math.min(opts.length ?? size - offset, size - offset);
      const out = new Uint8Array(length);
      let pos = 0;
      if (length > 0) {
        for await (const chunk of fs.cat(parsed, { signal, offset, length, offline: !this.online })) {
          const n = Math.min(chunk.length, length - pos);
          out.set(chunk.subarray(0, n), pos);
          pos += n;
          if (pos >= length) break;
        }
      }
      return { bytes: pos === length ? out : out.subarray(0, pos), size };
    });
  }

  /** The size in bytes of a file (fetching only its root block when it is not local). */
  async size(cid: string, opts: { timeoutMs?: number } = {}): Promise<number> {
    const parsed = this.parseFileCid(cid);
    const timeoutMs = opts.timeoutMs ?? this.opts.defaultTimeoutMs;
    const { fs } = this.running();
    const signal = AbortSignal.timeout(timeoutMs);
    return this.fetching(cid, timeoutMs, signal, () => this.sizeOf(fs, parsed, cid, signal));
  }

  async has(cid: string): Promise<boolean> {
    const parsed = this.parseFileCid(cid);
    const { fs } = this.running();
    try {
      const stat = await fs.stat(parsed, { extended: true, offline: true });
      if (stat.type === "raw") return true;
      if (stat.type !== "file") return false;
      return stat.localSize === stat.size;
    } catch (err) {
      if (NOT_FOUND_ERRORS.has((err as Error).name)) return false;
      throw err;
    }
  }

  /**
   * Pins `cid` for `holder` (default `"user"`), fetching its blocks from peers when they are not local.
   * With `maxBytes`, a file larger than that is refused from its root block, before anything else is
   * fetched.
   */
  async pin(cid: string, opts: { timeoutMs?: number; holder?: string; maxBytes?: number } = {}): Promise<void> {
    const parsed = parseCid(cid);
    const { helia, fs } = this.running();
    const holder = opts.holder ?? USER_HOLDER;
    const timeoutMs = opts.timeoutMs ?? this.opts.defaultTimeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    await this.guardedFetch(cid, timeoutMs, signal, () =>
      this.perCid(parsed.toString(), async () => {
        if (opts.maxBytes !== undefined) {
          const size = await this.sizeOf(fs, this.parseFileCid(cid), cid, signal);
          if (size > opts.maxBytes) throw tooLarge(cid, size, opts.maxBytes);
        }
        await this.pinCid(helia, parsed, { signal });
        await helia.datastore.put(holdKey(parsed.toString(), holder), new Uint8Array(0));
      }),
    );
    this.log.debug("Pinned content", { cid, holder });
  }

  /** Releases `holder`'s pin on `cid`; the Helia pin goes when no holder is left. */
  async unpin(cid: string, opts: { holder?: string } = {}): Promise<void> {
    const parsed = parseCid(cid);
    const { helia } = this.running();
    const key = parsed.toString();
    const holder = opts.holder ?? USER_HOLDER;
    const released = await this.perCid(key, async () => {
      await helia.datastore.delete(holdKey(key, holder));
      if ((await this.holders(key)).length > 0) return false;
      try {
        for await (const _ of helia.pins.rm(parsed, { offline: true } as AbortOptions)) {
          // the walk releases every block of the DAG
        }
      } catch (err) {
        if ((err as Error).name === "NotFoundError") return false; // not pinned: nothing to release
        throw err;
      }
      return true;
    });
    this.log.debug(released ? "Unpinned content" : "Released a hold on content", { cid, holder });
  }

  /** Who holds `cid` (sorted). */
  async holders(cid: string): Promise<string[]> {
    const { helia } = this.running();
    const out: string[] = [];
    for await (const key of helia.datastore.queryKeys({ prefix: holdsOf(parseCid(cid).toString()) }))
      out.push(decodeURIComponent(key.toString().slice(key.toString().lastIndexOf("/") + 1)));
    return out.sort();
  }

  /** Every hold whose holder starts with `holderPrefix`. */
  async holdings(holderPrefix = ""): Promise<Holding[]> {
    const { helia } = this.running();
    const out: Holding[] = [];
    for await (const key of helia.datastore.queryKeys({ prefix: `${HOLDS_PREFIX}/` })) {
      const parts = key
        .toString()
        .slice(HOLDS_PREFIX.length + 1)
        .split("/");
      if (parts.length !== 2) continue;
      const holder = decodeURIComponent(parts[1]);
      if (holder.startsWith(holderPrefix)) out.push({ cid: parts[0], holder });
    }
    return out;
  }

  /**
   * Announces `cid` in the DHT now (a test set made public by its reveal) and waits at most `timeoutMs`
   * for it. Resolves to true once announced, false on an offline store or when the deadline came first
   * (the announcement goes on in the background); the content must be local.
   */
  async provide(cid: string, opts: { timeoutMs?: number } = {}): Promise<boolean> {
    const parsed = this.parseFileCid(cid);
    const { helia } = this.running();
    if (!(await this.has(cid)))
      throw new ContentError(
        { code: "CONTENT_ERROR_NOT_FOUND", cid, timeoutMs: 0 },
        `${cid} is not in the local store: only local content can be announced`,
      );
    if (!this.online) return false;
    const timeoutMs = opts.timeoutMs ?? this.opts.provideTimeoutMs;
    const signal = AbortSignal.any([this.background.signal, AbortSignal.timeout(timeoutMs)]);
    // The DHT walk does not always stop at the signal; the caller gets its answer at the deadline.
    const announced = helia.routing.provide(parsed, { signal }).then(() => true);
    announced.catch(() => {});
    const deadline = new Promise<boolean>((resolve) => {
      if (signal.aborted) resolve(false);
      signal.addEventListener("abort", () => resolve(false), { once: true });
    });
    const done = await Promise.race([announced, deadline]);
    this.log.debug(done ? "Announced content" : "Content announcement still running at its deadline", {
      cid,
      timeoutMs,
    });
    return done;
  }

  /** True when `cid` is pinned (as a root). */
  async isPinned(cid: string): Promise<boolean> {
    const parsed = parseCid(cid);
    const { helia } = this.running();
    for await (const _ of helia.pins.ls({ cid: parsed })) return true;
    return false;
  }

  /**
   * Deletes every block that no pin holds; resolves to how many were deleted. Waits for the adds, pins
   * and reads in progress, and holds new ones back until it is done.
   */
  async gc(): Promise<number> {
    const { helia } = this.running();
    while (this.sweeping) await this.sweeping;
    let done!: () => void;
    this.sweeping = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      while (this.active > 0)
        await new Promise<void>((resolve) => {
          this.whenIdle = resolve;
        });
      let deleted = 0;
      await helia.gc({
        onProgress: (evt: { type: string }) => {
          if (evt.type === "helia:gc:deleted") deleted++;
        },
      });
      this.log.debug("Garbage-collected content", { blocks: deleted });
      return deleted;
    } finally {
      this.sweeping = undefined;
      done();
    }
  }

  toBytes(cid: string): Uint8Array {
    return cidToBytes(cid);
  }

  fromBytes(bytes: Uint8Array): string {
    return cidFromBytes(bytes);
  }

  // --- internals --------------------------------------------------------------------------------

  private running(): { helia: Helia; fs: UnixFS } {
    if (!this.helia || !this.fs) throw new ContentError({ code: "CONTENT_ERROR_NOT_STARTED" });
    return { helia: this.helia, fs: this.fs };
  }

  /** A CIDv1 whose codec a UnixFS file can have (raw or dag-pb). */
  private parseFileCid(cid: string): CID {
    const parsed = parseCid(cid);
    if (parsed.code !== RAW_CODEC && parsed.code !== DAG_PB_CODEC)
      throw new ContentError(
        { code: "CONTENT_ERROR_NOT_A_FILE", cid, type: `codec 0x${parsed.code.toString(16)}` },
        `${cid} is not a UnixFS file (codec 0x${parsed.code.toString(16)})`,
      );
    return parsed;
  }

  private async sizeOf(fs: UnixFS, cid: CID, cidStr: string, signal: AbortSignal): Promise<number> {
    const stat = await fs.stat(cid, { signal, offline: !this.online });
    if (stat.type === "directory")
      throw new ContentError(
        { code: "CONTENT_ERROR_NOT_A_FILE", cid: cidStr, type: "directory" },
        `${cidStr} is a directory`,
      );
    const size = Number(stat.size);
    if (!Number.isSafeInteger(size)) throw tooLarge(cidStr, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    return size;
  }

  private async pinCid(helia: Helia, cid: CID, opts: AbortOptions): Promise<void> {
    try {
      for await (const _ of helia.pins.add(cid, { ...opts, offline: !this.online } as AbortOptions)) {
        // the walk fetches (if needed) and records every block of the DAG
      }
    } catch (err) {
      if ((err as Error).name === "AlreadyPinnedError") return;
      throw err;
    }
  }

  /** Runs `fn` as an operation that `gc()` waits for (and that waits for a sweep in progress). */
  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    while (this.sweeping) await this.sweeping;
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      if (this.active === 0) {
        this.whenIdle?.();
        this.whenIdle = undefined;
      }
    }
  }

  private guardedFetch<T>(cid: string, timeoutMs: number, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    return this.guarded(() => this.fetching(cid, timeoutMs, signal, fn));
  }

  /** Runs `fn` after every earlier pin/unpin of `cid` has finished. */
  private perCid<T>(cid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.cidQueues.get(cid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.cidQueues.set(cid, tail);
    void tail.then(() => {
      if (this.cidQueues.get(cid) === tail) this.cidQueues.delete(cid);
    });
    return next;
  }

  /** Runs a fetch; a missing block, a timeout or an offline miss becomes `CONTENT_ERROR_NOT_FOUND`. */
  private async fetching<T>(cid: string, timeoutMs: number, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ContentError) throw err;
      if (signal.aborted || NOT_FOUND_ERRORS.has((err as Error).name)) {
        this.log.debug("Content not found", { cid, timeoutMs, error: errMessage(err) });
        throw new ContentError(
          { code: "CONTENT_ERROR_NOT_FOUND", cid, timeoutMs },
          this.online
            ? `${cid} was not found locally nor from peers within ${timeoutMs} ms`
            : `${cid} is not in the local store (offline node)`,
        );
      }
      if ((err as Error).name === "NotUnixFSError")
        throw new ContentError(
          { code: "CONTENT_ERROR_NOT_A_FILE", cid, type: "not unixfs" },
          `${cid} is not a UnixFS file`,
        );
      throw err;
    }
  }

  private provideInBackground(helia: Helia, cid: CID): void {
    const signal = AbortSignal.any([this.background.signal, AbortSignal.timeout(this.opts.provideTimeoutMs)]);
    helia.routing.provide(cid, { signal }).then(
      () => this.log.debug("Announced content", { cid: cid.toString() }),
      (err: unknown) => this.log.debug("Content announcement failed", { cid: cid.toString(), error: errMessage(err) }),
    );
  }
}

function tooLarge(cid: string, size: number, limit: number): ContentError {
  return new ContentError(
    { code: "CONTENT_ERROR_TOO_LARGE", cid, size, limit },
    `${cid} is ${size} bytes, above the limit of ${limit}`,
  );
}

const LIBP2P_ROUTER = "libp2p-router";

/**
 * Helia's routing over the libp2p node's content routing (the chain's kad-dht), as `@helia/libp2p`'s
 * router does: bitswap asks it for providers of a block nobody connected has, and `add` announces.
 */
function libp2pRouter(libp2p: Libp2p): Router {
  return {
    name: LIBP2P_ROUTER,
    async provide(cid, options) {
      await libp2p.contentRouting.provide(cid, options);
    },
    async *findProviders(cid, options) {
      for await (const p of libp2p.contentRouting.findProviders(cid, options)) {
        yield { id: p.id.toCID(), multiaddrs: p.multiaddrs, router: LIBP2P_ROUTER, fallback: false };
      }
    },
  };
}
