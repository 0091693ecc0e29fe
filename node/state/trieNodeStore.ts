/**
 * Trie nodes in LevelDB: key `prefix ++ blake2_256(encoded)`, value the node's encoding.
 *
 * Writes go into a batch the caller owns, because a block's header, body and state must land in
 * one atomic batch. Order of use when importing a block:
 *   1. `store.putTrie(batch, trie)`: adds the version's new nodes to `batch`.
 *   2. `await batch.write()` (with the header, body and indexes).
 *   3. `trie.markPersisted()`: only after the write succeeded (skipping it merely rewrites nodes).
 *
 * Nodes are never deleted here (no pruning yet): every persisted version stays loadable.
 */

import { TensorchainError } from "../../primitives/errors.js";
import { blake2_256 } from "../../primitives/hashing.js";
import { type HexString, toHex } from "../../primitives/hex.js";
import {
  decodeNode,
  EMPTY_TRIE_ROOT,
  HASH_LENGTH,
  Trie,
  TrieError,
  TrieNode,
  type TrieNodeRecord,
} from "../../primitives/trie/index.js";

export type TrieStoreErrorType =
  /** A node reachable from the requested root is not in the database. */
  | { code: "TRIE_STORE_ERROR_MISSING_NODE"; hash: HexString; root: HexString }
  /** A stored node does not hash to its key, or does not decode. */
  | { code: "TRIE_STORE_ERROR_CORRUPT_NODE"; hash: HexString; root: HexString; reason: string };

export class TrieStoreError extends TensorchainError<TrieStoreErrorType> {}

/** What the store reads: a `Level<Uint8Array, Uint8Array>` (or sublevel) with `"view"` encodings. */
export interface TrieNodeDb {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
}

/** What the store writes into: a level chained batch, or anything with `put`. */
export interface TrieNodeBatch {
  put(key: Uint8Array, value: Uint8Array): unknown;
}

export interface TrieNodeStoreOptions {
  /** Key prefix of the trie-node column. */
  prefix: Uint8Array;
  /** Keys per `getMany` call while loading. */
  readChunk: number;
}

export const defaultTrieNodeStoreOptions: TrieNodeStoreOptions = {
  prefix: Uint8Array.of(0x01),
  readChunk: 2048,
};

export class TrieNodeStore {
  private readonly db: TrieNodeDb;
  private readonly opts: TrieNodeStoreOptions;

  constructor(db: TrieNodeDb, opts: Partial<TrieNodeStoreOptions> = {}) {
    this.db = db;
    this.opts = { ...defaultTrieNodeStoreOptions, ...opts };
  }

  /** Database key of the node with `hash`. */
  nodeKey(hash: Uint8Array): Uint8Array {
    const prefix = this.opts.prefix;
    const key = new Uint8Array(prefix.length + hash.length);
    key.set(prefix, 0);
    key.set(hash, prefix.length);
    return key;
  }

  /** `[key, value]` put operations for the nodes of `trie` not yet persisted. */
  nodeOps(trie: Trie): [Uint8Array, Uint8Array][] {
    return trie.collectNewNodes().map((r: TrieNodeRecord) => [this.nodeKey(r.hash), r.encoded]);
  }

  /**
   * Adds the nodes of `trie` not yet persisted to `batch`. Call `trie.markPersisted()` after the
   * batch has been written. Returns what was added.
   */
  putTrie(batch: TrieNodeBatch, trie: Trie): { nodes: number; bytes: number } {
    let bytes = 0;
    const records = trie.collectNewNodes();
    for (const r of records) {
      batch.put(this.nodeKey(r.hash), r.encoded);
      bytes += r.encoded.length;
    }
    return { nodes: records.length, bytes };
  }

  /** The encoding of the node with `hash`, if stored. */
  async getNode(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(this.nodeKey(hash));
  }

  /**
   * Loads the whole trie of `root` into memory, level by level (one `getMany` per chunk), checking
   * that every node hashes to its reference.
   * @throws TrieStoreError TRIE_STORE_ERROR_MISSING_NODE, TRIE_STORE_ERROR_CORRUPT_NODE
   */
  async loadTrie(root: Uint8Array): Promise<Trie> {
    if (root.length !== HASH_LENGTH) throw new TrieError({ code: "TRIE_ERROR_INVALID_HASH", length: root.length });
    if (bytesEqual(root, EMPTY_TRIE_ROOT)) return Trie.empty();
    const rootHex = toHex(root);
    let rootNode: TrieNode | undefined;
    // Pending hashed nodes: their hash and the slot that receives them.
    let level: { hash: Uint8Array; parent: TrieNode | undefined; index: number }[] = [
      { hash: root, parent: undefined, index: 0 },
    ];
    while (level.length > 0) {
      const next: typeof level = [];
      for (let start = 0; start < level.length; start += this.opts.readChunk) {
        const chunk = level.slice(start, start + this.opts.readChunk);
        const values = await this.db.getMany(chunk.map((p) => this.nodeKey(p.hash)));
        for (let i = 0; i < chunk.length; i++) {
          const { hash, parent, index } = chunk[i];
          const encoded = values[i];
          if (encoded === undefined) {
            throw new TrieStoreError({ code: "TRIE_STORE_ERROR_MISSING_NODE", hash: toHex(hash), root: rootHex });
          }
          if (!bytesEqual(blake2_256(encoded), hash)) {
            throw new TrieStoreError({
              code: "TRIE_STORE_ERROR_CORRUPT_NODE",
              hash: toHex(hash),
              root: rootHex,
              reason: "hash mismatch",
            });
          }
          const node = this.buildNode(encoded, hash, rootHex, next);
          node.hash = hash.slice();
          node.persisted = true;
          if (encoded.length < HASH_LENGTH) node.encoded = encoded;
          if (parent === undefined) rootNode = node;
          else parent.children![index] = node;
        }
      }
      level = next;
    }
    return Trie.fromRootNode(rootNode);
  }

  /** Decodes one node; inline children are built at once, hashed ones are queued in `pending`. */
  private buildNode(
    encoded: Uint8Array,
    hash: Uint8Array,
    rootHex: HexString,
    pending: { hash: Uint8Array; parent: TrieNode | undefined; index: number }[],
  ): TrieNode {
    let decoded: ReturnType<typeof decodeNode>;
    try {
      decoded = decodeNode(encoded);
    } catch (e) {
      const reason = e instanceof TrieError && e.type.code === "TRIE_ERROR_INVALID_NODE" ? e.type.reason : String(e);
      throw new TrieStoreError({ code: "TRIE_STORE_ERROR_CORRUPT_NODE", hash: toHex(hash), root: rootHex, reason });
    }
    const corrupt = (reason: string): never => {
      throw new TrieStoreError({ code: "TRIE_STORE_ERROR_CORRUPT_NODE", hash: toHex(hash), root: rootHex, reason });
    };
    if (decoded.kind === "empty") return corrupt("empty node below the root");
    if (decoded.valueHash !== undefined) return corrupt("hashed value (state_version 1) is not supported");
    // Values are views into the database buffer; copy so the node owns its bytes.
    const node = new TrieNode(
      decoded.partial,
      decoded.value?.slice(),
      decoded.children === null ? null : new Array<TrieNode | undefined>(16).fill(undefined),
      null,
    );
    if (decoded.children !== null) {
      for (let i = 0; i < 16; i++) {
        const ref = decoded.children[i];
        if (ref === undefined) continue;
        if (ref.length === HASH_LENGTH) {
          pending.push({ hash: ref.slice(), parent: node, index: i });
        } else {
          const inline = ref.slice();
          const child = this.buildNode(inline, hash, rootHex, pending);
          child.encoded = inline;
          node.children![i] = child;
        }
      }
    }
    return node;
  }
}

/** Loads the trie of `root` from `db` with the default options. */
export function loadTrie(db: TrieNodeDb, root: Uint8Array, opts?: Partial<TrieNodeStoreOptions>): Promise<Trie> {
  return new TrieNodeStore(db, opts).loadTrie(root);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
