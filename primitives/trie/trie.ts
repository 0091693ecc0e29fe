/**
 * An in-memory, immutable (persistent) state trie with the sp-trie LayoutV0 format.
 *
 * Every `update` returns a new `Trie` that shares all untouched subtrees with its parent version,
 * so the many versions alive at once (one per unfinalized block) cost only their changed paths.
 * Within one `update` call the nodes it creates are owned by that call (a "transient" edit token)
 * and are mutated in place, so a path touched by many changes is still copied once. Once the
 * call returns no code holds the token any more and the nodes are frozen.
 *
 * Node references (inline encoding or blake2-256 hash) are computed lazily, when the root or a
 * proof is asked for, and cached on the node: a version hashes only its new nodes, once.
 * `collectNewNodes` lists the hashed nodes not yet persisted so the node service can write them in
 * the same LevelDB batch as the block; `markPersisted` records that the write succeeded.
 */
import { blake2_256 } from "../hashing.js";
import {
  allocEncoding,
  compactLength,
  EMPTY_TRIE_ROOT,
  HASH_LENGTH,
  headerLength,
  scratch,
  writeNode,
} from "./codec.js";
import { TrieError } from "./errors.js";
import {
  bytesToNibbles,
  commonPrefixWithKey,
  compareKeys,
  joinNibbles,
  keyNibbles,
  nibbleAt,
  nibblesToBytes,
} from "./nibbles.js";
import { commonNibbles, sortEntries } from "./trieRoot.js";

/** A hashed trie node and its encoding, as stored in the database under its hash. */
export interface TrieNodeRecord {
  hash: Uint8Array;
  encoded: Uint8Array;
}

/**
 * One node. A leaf has `children === null` and a value; a branch has 16 child slots and an
 * optional value. Frozen once the `update` that created it returns (see module docs).
 */
export class TrieNode {
  /** Partial key, one nibble per element. Never mutated in place. */
  partial: Uint8Array;
  value: Uint8Array | undefined;
  children: (TrieNode | undefined)[] | null;
  /** Edit token of the `update` call that may still mutate this node. */
  owner: object | null;
  /** Cached encoding, kept only when shorter than 32 bytes (it is then the node's reference). */
  encoded: Uint8Array | undefined;
  /** Cached blake2-256 of the encoding (nodes of 32 bytes or more, and roots). */
  hash: Uint8Array | undefined;
  /** Encoding of a hashed node, kept from hashing until it is persisted. */
  pending: Uint8Array | undefined;
  /** Stored in the database under its hash; then so is every hashed node below it. */
  persisted: boolean;

  constructor(
    partial: Uint8Array,
    value: Uint8Array | undefined,
    children: (TrieNode | undefined)[] | null,
    owner: object | null,
  ) {
    this.partial = partial;
    this.value = value;
    this.children = children;
    this.owner = owner;
    this.encoded = undefined;
    this.hash = undefined;
    this.pending = undefined;
    this.persisted = false;
  }
}

function emptyChildren(): (TrieNode | undefined)[] {
  return new Array<TrieNode | undefined>(16).fill(undefined);
}

// ---------------------------------------------------------------------------------------------
// References and encoding
//
// Invariant: `encoded !== undefined` only for a node whose encoding is shorter than 32 bytes (it
// is then the node's reference); `hash !== undefined` for a node of 32 bytes or more (then its
// reference) and for a short node that has been a root. A hashed node's encoding is written into
// a shared chunk (`allocEncoding`), hashed, and kept as `pending` until `markPersisted`: fresh
// off-heap buffers per node cost more than the encoding itself.

/** Byte length of the node's encoding; its children's references must be cached. */
function encodedSize(node: TrieNode): number {
  const nibbles = node.partial.length;
  const value = node.value;
  let size = headerLength(nibbles) + ((nibbles + 1) >> 1);
  if (value !== undefined) size += compactLength(value.length) + value.length;
  const children = node.children;
  if (children === null) {
    if (value === undefined) throw new TrieError({ code: "TRIE_ERROR_INVALID_NODE", reason: "leaf without value" });
    return size;
  }
  size += 2;
  for (let i = 0; i < 16; i++) {
    const c = children[i];
    if (c !== undefined) size += 1 + (c.encoded !== undefined ? c.encoded.length : HASH_LENGTH);
  }
  return size;
}

/** Writes the node's encoding at `off`; its children's references must be cached. */
function writeEncoding(node: TrieNode, out: Uint8Array, off: number): number {
  return writeNode(out, off, node.partial, node.value, node.children, childRef);
}

const childRef = (c: TrieNode): Uint8Array => (c.encoded !== undefined ? c.encoded : c.hash!);

/** Computes (recursively) and caches the references of the node's children. */
function ensureChildReferences(node: TrieNode): void {
  const children = node.children;
  if (children === null) return;
  for (let i = 0; i < 16; i++) {
    const c = children[i];
    if (c !== undefined && c.encoded === undefined && c.hash === undefined) nodeReference(c);
  }
}

/** How a parent refers to `node`: its encoding if shorter than 32 bytes, else its hash. */
export function nodeReference(node: TrieNode): Uint8Array {
  if (node.encoded !== undefined) return node.encoded;
  if (node.hash !== undefined) return node.hash;
  ensureChildReferences(node);
  const size = encodedSize(node);
  if (size < HASH_LENGTH) {
    const buf = scratch(size);
    writeEncoding(node, buf, 0);
    node.encoded = buf.slice(0, size);
    return node.encoded;
  }
  const enc = allocEncoding(size);
  writeEncoding(node, enc, 0);
  if (!node.persisted) node.pending = enc;
  node.hash = blake2_256(enc);
  return node.hash;
}

/** The node's hash, whatever the length of its encoding (as for a root). */
export function nodeHash(node: TrieNode): Uint8Array {
  if (node.hash !== undefined) return node.hash;
  const ref = nodeReference(node);
  if (node.hash !== undefined) return node.hash;
  node.hash = blake2_256(ref);
  return node.hash;
}

/** A fresh copy of the node's encoding. */
export function nodeEncoding(node: TrieNode): Uint8Array {
  if (node.encoded !== undefined) return node.encoded.slice();
  if (node.pending !== undefined) return node.pending.slice();
  ensureChildReferences(node);
  const out = new Uint8Array(encodedSize(node));
  writeEncoding(node, out, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Updates (path copying with a per-call edit token)

function own(node: TrieNode, edit: object): TrieNode {
  if (node.owner === edit) return node;
  return new TrieNode(node.partial, node.value, node.children === null ? null : node.children.slice(), edit);
}

function newLeaf(key: Uint8Array, from: number, value: Uint8Array, edit: object): TrieNode {
  return new TrieNode(keyNibbles(key, from, key.length * 2), value, null, edit);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function insert(node: TrieNode | undefined, key: Uint8Array, pos: number, value: Uint8Array, edit: object): TrieNode {
  const keyLen = key.length * 2;
  if (node === undefined) return newLeaf(key, pos, value, edit);
  const partial = node.partial;
  const c = commonPrefixWithKey(partial, key, pos, keyLen);
  if (c < partial.length) {
    // Split: a new branch holding the common part, the old node below it.
    const branch = new TrieNode(partial.subarray(0, c), undefined, emptyChildren(), edit);
    const moved = own(node, edit);
    moved.partial = partial.subarray(c + 1);
    moved.encoded = undefined;
    moved.hash = undefined;
    branch.children![partial[c]] = moved;
    const at = pos + c;
    if (at === keyLen) branch.value = value;
    else branch.children![nibbleAt(key, at)] = newLeaf(key, at + 1, value, edit);
    return branch;
  }
  const at = pos + c;
  if (at === keyLen) {
    if (node.value !== undefined && sameBytes(node.value, value)) return node;
    const n = own(node, edit);
    n.value = value;
    n.encoded = undefined;
    n.hash = undefined;
    return n;
  }
  const idx = nibbleAt(key, at);
  if (node.children === null) {
    const n = own(node, edit);
    n.children = emptyChildren();
    n.children[idx] = newLeaf(key, at + 1, value, edit);
    n.encoded = undefined;
    n.hash = undefined;
    return n;
  }
  const child = node.children[idx];
  const updated = insert(child, key, at + 1, value, edit);
  if (updated === child) return node;
  const n = own(node, edit);
  n.children![idx] = updated;
  n.encoded = undefined;
  n.hash = undefined;
  return n;
}

function remove(node: TrieNode | undefined, key: Uint8Array, pos: number, edit: object): TrieNode | undefined {
  if (node === undefined) return undefined;
  const keyLen = key.length * 2;
  const partial = node.partial;
  const c = commonPrefixWithKey(partial, key, pos, keyLen);
  if (c < partial.length) return node;
  const at = pos + c;
  if (at === keyLen) {
    if (node.value === undefined) return node;
    if (node.children === null) return undefined;
    const n = own(node, edit);
    n.value = undefined;
    return normalize(n, edit);
  }
  if (node.children === null) return node;
  const idx = nibbleAt(key, at);
  const child = node.children[idx];
  if (child === undefined) return node;
  const updated = remove(child, key, at + 1, edit);
  if (updated === child) return node;
  const n = own(node, edit);
  n.children![idx] = updated;
  return normalize(n, edit);
}

/** Restores the canonical shape of an owned branch after a removal below or at it. */
function normalize(n: TrieNode, edit: object): TrieNode | undefined {
  n.encoded = undefined;
  n.hash = undefined;
  const children = n.children!;
  let count = 0;
  let last = -1;
  for (let i = 0; i < 16; i++) {
    if (children[i] !== undefined) {
      count++;
      last = i;
    }
  }
  if (count === 0) {
    if (n.value === undefined) return undefined;
    n.children = null; // a branch with a value and no child is a leaf
    return n;
  }
  if (count === 1 && n.value === undefined) {
    // A valueless branch with one child is merged into that child.
    const child = own(children[last]!, edit);
    child.partial = joinNibbles(n.partial, last, child.partial);
    child.encoded = undefined;
    child.hash = undefined;
    return child;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Bulk building

function buildRange(keys: Uint8Array[], values: Uint8Array[], lo: number, hi: number, depth: number): TrieNode {
  const first = keys[lo];
  if (hi - lo === 1) return new TrieNode(keyNibbles(first, depth, first.length * 2), values[lo], null, null);
  const prefixEnd = commonNibbles(first, keys[hi - 1], depth);
  const node = new TrieNode(keyNibbles(first, depth, prefixEnd), undefined, emptyChildren(), null);
  let i = lo;
  if (first.length * 2 === prefixEnd) {
    node.value = values[lo];
    i++;
  }
  while (i < hi) {
    const nib = nibbleAt(keys[i], prefixEnd);
    let j = i + 1;
    while (j < hi && nibbleAt(keys[j], prefixEnd) === nib) j++;
    node.children![nib] = buildRange(keys, values, i, j, prefixEnd + 1);
    i = j;
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Iteration

interface Frame {
  node: TrieNode;
  /** Nibble length of the path above `node.partial`. */
  pathLen: number;
  /** Length of the path including `node.partial`; -1 before the node is entered. */
  fullLen: number;
  /** The path so far equals the start bound's nibbles (so the bound still applies). */
  bounded: boolean;
  nextChild: number;
}

function* iterate(
  root: TrieNode | undefined,
  prefix: Uint8Array,
  startAfter: Uint8Array | undefined,
): Generator<[Uint8Array, Uint8Array], void, undefined> {
  if (root === undefined) return;
  const bound = startAfter ?? new Uint8Array(0);
  const bounded0 = startAfter !== undefined;
  let path = new Uint8Array(128);
  const stack: Frame[] = [{ node: root, pathLen: 0, fullLen: -1, bounded: bounded0, nextChild: 0 }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    const node = f.node;
    if (f.fullLen < 0) {
      // Enter the node: write its partial key and check the prefix and the bound.
      const partial = node.partial;
      const fullLen = f.pathLen + partial.length;
      if (fullLen + 1 > path.length) {
        const grown = new Uint8Array(Math.max(path.length * 2, fullLen + 1));
        grown.set(path);
        path = grown;
      }
      path.set(partial, f.pathLen);
      f.fullLen = fullLen;
      const pEnd = Math.min(fullLen, prefix.length);
      let skip = false;
      for (let i = f.pathLen; i < pEnd; i++) {
        if (path[i] !== prefix[i]) {
          skip = true;
          break;
        }
      }
      if (!skip && f.bounded) {
        const bEnd = Math.min(fullLen, bound.length);
        for (let i = f.pathLen; i < bEnd; i++) {
          if (path[i] !== bound[i]) {
            if (path[i] < bound[i])
              skip = true; // every key below is before the bound
            else f.bounded = false; // every key below is after the bound
            break;
          }
        }
      }
      if (skip) {
        stack.pop();
        continue;
      }
      // Here, when still bounded, the path is a prefix of (or equal to) the bound: its own key is
      // not after the bound, and if it equals the bound every child is after it.
      const yieldValue =
        node.value !== undefined && fullLen >= prefix.length && !(f.bounded && fullLen <= bound.length);
      if (f.bounded && fullLen >= bound.length) f.bounded = false;
      f.nextChild = 0;
      if (yieldValue) yield [nibblesToBytes(path, fullLen), node.value!];
    }
    const children = node.children;
    const fullLen = f.fullLen;
    let next = -1;
    if (children !== null) {
      let from = f.nextChild;
      let to = 16;
      if (fullLen < prefix.length) {
        from = Math.max(from, prefix[fullLen]);
        to = prefix[fullLen] + 1;
      }
      if (f.bounded) from = Math.max(from, bound[fullLen]);
      for (let i = from; i < to; i++) {
        if (children[i] !== undefined) {
          next = i;
          break;
        }
      }
    }
    if (next < 0) {
      stack.pop();
      continue;
    }
    f.nextChild = next + 1;
    path[fullLen] = next;
    stack.push({
      node: children![next]!,
      pathLen: fullLen + 1,
      fullLen: -1,
      bounded: f.bounded && next === bound[fullLen],
      nextChild: 0,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The trie

export class Trie {
  private static readonly EMPTY = new Trie(undefined);

  /** The root node, `undefined` for the empty trie. */
  readonly rootNode: TrieNode | undefined;

  private constructor(rootNode: TrieNode | undefined) {
    this.rootNode = rootNode;
  }

  static empty(): Trie {
    return Trie.EMPTY;
  }

  /** A trie whose root is `node` (for loaders that build nodes themselves). */
  static fromRootNode(node: TrieNode | undefined): Trie {
    return node === undefined ? Trie.EMPTY : new Trie(node);
  }

  /** Builds a trie from scratch (duplicates: the last one wins). Faster than `update` on empty. */
  static fromEntries(entries: Iterable<readonly [Uint8Array, Uint8Array]>): Trie {
    const { keys, values } = sortEntries(entries);
    if (keys.length === 0) return Trie.EMPTY;
    return new Trie(buildRange(keys, values, 0, keys.length, 0));
  }

  get isEmpty(): boolean {
    return this.rootNode === undefined;
  }

  /** The state root: blake2-256 of the root node's encoding (computed once per version). */
  get root(): Uint8Array {
    return this.rootNode === undefined ? EMPTY_TRIE_ROOT : nodeHash(this.rootNode);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    let node = this.rootNode;
    const keyLen = key.length * 2;
    let pos = 0;
    while (node !== undefined) {
      const partial = node.partial;
      const plen = partial.length;
      if (pos + plen > keyLen) return undefined;
      for (let i = 0; i < plen; i++) {
        const k = pos + i;
        const b = key[k >> 1];
        if (partial[i] !== ((k & 1) === 0 ? b >> 4 : b & 0x0f)) return undefined;
      }
      pos += plen;
      if (pos === keyLen) return node.value;
      const children = node.children;
      if (children === null) return undefined;
      const b = key[pos >> 1];
      node = children[(pos & 1) === 0 ? b >> 4 : b & 0x0f];
      pos++;
    }
    return undefined;
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Applies `changes` in order (`null` deletes; a later change to the same key wins) and returns
   * the new version. This version is left untouched; unchanged subtrees are shared.
   */
  update(changes: Iterable<readonly [Uint8Array, Uint8Array | null]>): Trie {
    const edit = {};
    let root = this.rootNode;
    for (const [key, value] of changes) {
      root = value === null ? remove(root, key, 0, edit) : insert(root, key, 0, value, edit);
    }
    if (root === this.rootNode) return this;
    return root === undefined ? Trie.EMPTY : new Trie(root);
  }

  /** Shorthand for a one-key `update`. */
  set(key: Uint8Array, value: Uint8Array | null): Trie {
    return this.update([[key, value]]);
  }

  /**
   * Entries in lexicographic key order: those whose key starts with `prefix`, and, when
   * `startAfter` is given, whose key is strictly greater than it.
   */
  entries(prefix?: Uint8Array, startAfter?: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]> {
    return iterate(
      this.rootNode,
      prefix === undefined ? new Uint8Array(0) : bytesToNibbles(prefix),
      startAfter === undefined ? undefined : bytesToNibbles(startAfter),
    );
  }

  *keys(prefix?: Uint8Array, startAfter?: Uint8Array): IterableIterator<Uint8Array> {
    for (const [k] of this.entries(prefix, startAfter)) yield k;
  }

  /** The first key strictly after `key` (Substrate's `storage_next_key`), limited to `prefix` if given. */
  nextKey(key: Uint8Array, prefix?: Uint8Array): Uint8Array | undefined {
    const r = this.entries(prefix, key).next();
    return r.done ? undefined : r.value[0];
  }

  /** Number of entries (walks the whole trie). */
  count(): number {
    let n = 0;
    const stack: TrieNode[] = this.rootNode === undefined ? [] : [this.rootNode];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.value !== undefined) n++;
      if (node.children !== null) for (const c of node.children) if (c !== undefined) stack.push(c);
    }
    return n;
  }

  /**
   * The hashed nodes of this version not yet persisted, with their encodings: what a database
   * needs, given that every earlier persisted version is already there. The root is included even
   * when its encoding is shorter than 32 bytes (it is stored under its hash); inline nodes are
   * part of their parent's encoding and are never listed. Does not mark anything: call
   * `markPersisted` once the write has succeeded.
   */
  collectNewNodes(): TrieNodeRecord[] {
    // `pending` is handed out as is (a view into a shared chunk): callers write it, never mutate it.
    return this.newNodes().map((node) => ({ hash: node.hash!, encoded: node.pending ?? nodeEncoding(node) }));
  }

  /**
   * Records that `collectNewNodes()`'s nodes are now in the database, and releases their kept
   * encodings. Harmless to skip (they are then written again) but must not be called before the
   * write succeeded.
   */
  markPersisted(): void {
    for (const node of this.newNodes()) {
      node.persisted = true;
      node.pending = undefined;
    }
  }

  /** The root and every hashed node below it not yet persisted, with references computed. */
  private newNodes(): TrieNode[] {
    const root = this.rootNode;
    if (root === undefined || root.persisted) return [];
    nodeHash(root);
    const out: TrieNode[] = [];
    const stack: TrieNode[] = [root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      out.push(node);
      const children = node.children;
      if (children === null) continue;
      for (let i = 0; i < 16; i++) {
        const c = children[i];
        // Inline children are part of this node's encoding, and so is everything below them.
        if (c !== undefined && !c.persisted && c.encoded === undefined) stack.push(c);
      }
    }
    return out;
  }

  /**
   * A read proof for `keys` (present or absent): the encodings of every hashed node visited while
   * looking the keys up, root included, deduplicated and sorted by bytes as Substrate's
   * `StorageProof` (a `BTreeSet`) and `state_getReadProof` return them.
   */
  proof(keys: Iterable<Uint8Array>): Uint8Array[] {
    const root = this.rootNode;
    if (root === undefined) return [];
    const visited = new Set<TrieNode>();
    nodeHash(root);
    for (const key of keys) {
      const keyLen = key.length * 2;
      let node: TrieNode | undefined = root;
      let pos = 0;
      while (node !== undefined) {
        if (node === root || nodeReference(node).length === HASH_LENGTH) visited.add(node);
        const c = commonPrefixWithKey(node.partial, key, pos, keyLen);
        if (c < node.partial.length) break;
        pos += c;
        if (pos === keyLen || node.children === null) break;
        node = node.children[nibbleAt(key, pos)];
        pos++;
      }
    }
    const encodings = Array.from(visited, (n) => nodeEncoding(n));
    encodings.sort(compareKeys);
    return encodings.filter((e, i) => i === 0 || compareKeys(e, encodings[i - 1]) !== 0);
  }
}

/** Checks a 32-byte hash argument. */
export function assertHash(hash: Uint8Array): void {
  if (hash.length !== HASH_LENGTH) throw new TrieError({ code: "TRIE_ERROR_INVALID_HASH", length: hash.length });
}
