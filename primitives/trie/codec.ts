/**
 * The node codec of Substrate's state trie, byte-compatible with `sp-trie`'s `NodeCodec` under
 * `LayoutV0` (state_version 0): a base-16 Patricia-Merkle trie without extension nodes, hashed with
 * blake2-256.
 *
 * Node layout (`sp-trie` `node_codec.rs` / `node_header.rs`):
 * - empty node: `0x00`.
 * - header: the 2 high bits give the kind (`01` leaf, `10` branch without value, `11` branch with
 *   value) and the 6 low bits the partial-key nibble count. A count >= 63 sets the low bits to
 *   `0x3f`; then `count - 62` is written as a run of `0xff` bytes (255 each) ending with a byte
 *   `rem - 1` (so 63 -> `..3f 00`, 317 -> `..3f fe`, 318 -> `..3f ff 00`).
 *   LayoutV1 adds hashed-value kinds (`001` leaf, `0001` branch, with 5 and 4 count bits); they
 *   are decoded (so V1 proofs can be checked) but never produced here.
 * - partial key: nibbles packed two per byte, high nibble first; an odd count puts the first
 *   nibble alone in the low half of the first byte (the high half must be 0).
 * - branch: a u16 little-endian bitmap of present children (bit i = child nibble i), then the
 *   value if any, then each present child in order.
 * - value: SCALE `Compact<u32>` length, then the bytes (always inline in V0).
 * - child reference: SCALE `Compact` length, then either the child's 32-byte blake2-256 hash or,
 *   when the child's own encoding is shorter than 32 bytes, that encoding inlined.
 * The root is always referenced by hash, even when its encoding is short; the empty trie's root
 * is `blake2_256([0x00])`.
 */
import { blake2_256 } from "../hashing.js";
import { TrieError } from "./errors.js";

export const HASH_LENGTH = 32;

/** Encoding of the empty node (and of the empty trie). */
export const EMPTY_NODE: Uint8Array = Uint8Array.of(0x00);

/** blake2_256([0x00]): the root of the empty trie, hence the extrinsics root of an empty block. */
export const EMPTY_TRIE_ROOT: Uint8Array = Uint8Array.from(
  Buffer.from("03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314", "hex"),
);

export const LEAF_PREFIX = 0b01 << 6;
export const BRANCH_WITHOUT_VALUE = 0b10 << 6;
export const BRANCH_WITH_VALUE = 0b11 << 6;
const HASHED_VALUE_LEAF = 0b001 << 5;
const HASHED_VALUE_BRANCH = 0b0001 << 4;

// ---------------------------------------------------------------------------------------------
// SCALE Compact<u32>

/** Byte length of the SCALE `Compact<u32>` encoding of `n`. */
export function compactLength(n: number): number {
  if (n < 1 << 6) return 1;
  if (n < 1 << 14) return 2;
  if (n < 1 << 30) return 4;
  return 5;
}

/** Writes `Compact<u32>(n)` at `off`; returns the new offset. */
export function writeCompact(out: Uint8Array, off: number, n: number): number {
  if (n < 1 << 6) {
    out[off] = n << 2;
    return off + 1;
  }
  if (n < 1 << 14) {
    const v = (n << 2) | 1;
    out[off] = v & 0xff;
    out[off + 1] = v >> 8;
    return off + 2;
  }
  if (n < 1 << 30) {
    const v = ((n << 2) | 2) >>> 0;
    out[off] = v & 0xff;
    out[off + 1] = (v >>> 8) & 0xff;
    out[off + 2] = (v >>> 16) & 0xff;
    out[off + 3] = v >>> 24;
    return off + 4;
  }
  out[off] = 0b11; // big-integer mode, (4 - 4) << 2 | 0b11: four bytes follow
  out[off + 1] = n & 0xff;
  out[off + 2] = (n >>> 8) & 0xff;
  out[off + 3] = (n >>> 16) & 0xff;
  out[off + 4] = n >>> 24;
  return off + 5;
}

/** SCALE `Compact<u32>` encoding of `n` (the key of item `n` in an ordered trie). */
export function encodeCompactU32(n: number): Uint8Array {
  const out = new Uint8Array(compactLength(n));
  writeCompact(out, 0, n);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Header

/** Byte length of a node header for `nibbleCount` with `maskBits` kind bits. */
export function headerLength(nibbleCount: number, maskBits = 2): number {
  const max = 255 >> maskBits;
  if (nibbleCount < max) return 1;
  const rem = nibbleCount - (max - 1);
  return 1 + Math.floor((rem - 1) / 255) + 1;
}

/** Writes a node header (`size_and_prefix_iterator` of sp-trie); returns the new offset. */
export function writeHeader(out: Uint8Array, off: number, prefix: number, nibbleCount: number, maskBits = 2): number {
  const max = 255 >> maskBits;
  if (nibbleCount < max) {
    out[off] = prefix | nibbleCount;
    return off + 1;
  }
  out[off++] = prefix | max;
  let rem = nibbleCount - (max - 1);
  while (rem >= 256) {
    out[off++] = 255;
    rem -= 255;
  }
  out[off++] = rem - 1;
  return off;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * Encodes one node. `partial` holds one nibble per element; `children` is `null` for a leaf, or 16
 * child references (a 32-byte hash or an inline encoding shorter than 32 bytes) for a branch.
 */
export function encodeNode(
  partial: Uint8Array,
  value: Uint8Array | undefined,
  children: ReadonlyArray<Uint8Array | undefined> | null,
): Uint8Array {
  const out = new Uint8Array(encodedNodeSize(partial.length, value, children));
  writeNode(out, 0, partial, value, children);
  return out;
}

/** Byte length of the encoding `encodeNode` would produce. */
export function encodedNodeSize(
  nibbles: number,
  value: Uint8Array | undefined,
  children: ReadonlyArray<Uint8Array | undefined> | null,
): number {
  let size = headerLength(nibbles) + ((nibbles + 1) >> 1);
  if (value !== undefined) size += compactLength(value.length) + value.length;
  if (children === null) {
    if (value === undefined) throw new TrieError({ code: "TRIE_ERROR_INVALID_NODE", reason: "leaf without value" });
    return size;
  }
  size += 2;
  for (let i = 0; i < 16; i++) {
    const c = children[i];
    if (c !== undefined) {
      if (c.length > HASH_LENGTH) {
        throw new TrieError({ code: "TRIE_ERROR_INVALID_NODE", reason: "child reference over 32 bytes" });
      }
      size += 1 + c.length;
    }
  }
  return size;
}

/** Writes the encoding of a node at `off` (sized by `encodedNodeSize`); returns the new offset. */
export function writeNode<C = Uint8Array>(
  out: Uint8Array,
  off: number,
  partial: Uint8Array,
  value: Uint8Array | undefined,
  children: ReadonlyArray<C | undefined> | null,
  /** The child's reference (inline encoding or hash); children are references themselves by default. */
  refOf: (child: C) => Uint8Array = (c) => c as unknown as Uint8Array,
): number {
  const nibbles = partial.length;
  if (children === null) {
    off = writeHeader(out, off, LEAF_PREFIX, nibbles);
    off = writePartial(out, off, partial);
    off = writeCompact(out, off, value!.length);
    return copyBytes(out, off, value!);
  }
  off = writeHeader(out, off, value === undefined ? BRANCH_WITHOUT_VALUE : BRANCH_WITH_VALUE, nibbles);
  off = writePartial(out, off, partial);
  const bitmapAt = off;
  off += 2;
  if (value !== undefined) {
    off = writeCompact(out, off, value.length);
    off = copyBytes(out, off, value);
  }
  let bitmap = 0;
  for (let i = 0; i < 16; i++) {
    const c = children[i];
    if (c !== undefined) {
      bitmap |= 1 << i;
      const ref = refOf(c);
      out[off++] = ref.length << 2; // a reference is at most 32 bytes: a one-byte Compact
      off = copyBytes(out, off, ref);
    }
  }
  out[bitmapAt] = bitmap & 0xff;
  out[bitmapAt + 1] = bitmap >> 8;
  return off;
}

let scratchBuffer = new Uint8Array(64 * 1024);

/**
 * A shared buffer of at least `size` bytes for encoding a node just to hash it. Encodings are the
 * hot allocation of root computation (12k nodes of 100-600 bytes per 5,000 changes), and fresh
 * off-heap `Uint8Array`s cost far more than writing the bytes. Valid until the next call.
 */
export function scratch(size: number): Uint8Array {
  if (scratchBuffer.length < size) {
    let n = scratchBuffer.length * 2;
    while (n < size) n *= 2;
    scratchBuffer = new Uint8Array(n);
  }
  return scratchBuffer;
}

const ARENA_CHUNK = 256 * 1024;
let arena = new Uint8Array(ARENA_CHUNK);
let arenaOffset = 0;

/**
 * A `size`-byte view carved from a shared chunk, for encodings kept until they are persisted:
 * one 256 KiB allocation serves ~1,000 nodes. A chunk is freed once no view into it is alive.
 */
export function allocEncoding(size: number): Uint8Array {
  if (size > ARENA_CHUNK >> 4) return new Uint8Array(size);
  if (arenaOffset + size > ARENA_CHUNK) {
    arena = new Uint8Array(ARENA_CHUNK);
    arenaOffset = 0;
  }
  const view = arena.subarray(arenaOffset, arenaOffset + size);
  arenaOffset += size;
  return view;
}

/**
 * The reference to a node whose encoding is `buf[0, len)` (a scratch buffer): a copy of the
 * encoding when shorter than 32 bytes, else its blake2-256 hash. `asRoot` always hashes.
 */
export function referenceOf(buf: Uint8Array, len: number, asRoot = false): Uint8Array {
  if (len < HASH_LENGTH && !asRoot) return buf.slice(0, len);
  return blake2_256(buf.subarray(0, len));
}

/**
 * Copies `src` into `out` at `off`; returns the new offset. A plain loop for short inputs (hashes,
 * small values), which V8 runs faster than `TypedArray.prototype.set`.
 */
export function copyBytes(out: Uint8Array, off: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 96) out.set(src, off);
  else for (let i = 0; i < n; i++) out[off + i] = src[i];
  return off + n;
}

/** Writes a partial key (one nibble per element) packed two per byte; returns the new offset. */
export function writePartial(out: Uint8Array, off: number, partial: Uint8Array): number {
  const n = partial.length;
  let i = 0;
  if ((n & 1) === 1) {
    out[off++] = partial[0];
    i = 1;
  }
  for (; i < n; i += 2) out[off++] = (partial[i] << 4) | partial[i + 1];
  return off;
}

/** How a parent refers to a child: its encoding when shorter than 32 bytes, else its hash. */
export function childReference(encoded: Uint8Array): Uint8Array {
  return encoded.length < HASH_LENGTH ? encoded : blake2_256(encoded);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export type DecodedNode =
  | { kind: "empty" }
  | {
      kind: "leaf" | "branch";
      /** Partial key, one nibble per element. */
      partial: Uint8Array;
      /** Inline value (always the case in V0). */
      value: Uint8Array | undefined;
      /** LayoutV1 only: the blake2-256 hash of a value stored outside the node. */
      valueHash: Uint8Array | undefined;
      /** Branch only: 16 slots, each a 32-byte child hash or an inline child encoding. */
      children: (Uint8Array | undefined)[] | null;
    };

function invalid(reason: string): never {
  throw new TrieError({ code: "TRIE_ERROR_INVALID_NODE", reason });
}

/**
 * Decodes a node as `sp-trie`'s `NodeCodec::decode_plan` does, and additionally rejects trailing
 * bytes. Slices of the input (values, child references) are views, not copies.
 * @throws TrieError TRIE_ERROR_INVALID_NODE
 */
export function decodeNode(data: Uint8Array): DecodedNode {
  if (data.length === 0) invalid("empty input");
  const first = data[0];
  if (first === 0) {
    if (data.length !== 1) invalid("trailing bytes after empty node");
    return { kind: "empty" };
  }
  let isLeaf: boolean;
  let hasValue: boolean;
  let hashedValue = false;
  let maskBits = 2;
  switch (first & 0xc0) {
    case LEAF_PREFIX:
      isLeaf = true;
      hasValue = true;
      break;
    case BRANCH_WITH_VALUE:
      isLeaf = false;
      hasValue = true;
      break;
    case BRANCH_WITHOUT_VALUE:
      isLeaf = false;
      hasValue = false;
      break;
    default:
      if ((first & 0xe0) === HASHED_VALUE_LEAF) {
        isLeaf = true;
        maskBits = 3;
      } else if ((first & 0xf0) === HASHED_VALUE_BRANCH) {
        isLeaf = false;
        maskBits = 4;
      } else {
        invalid(`unallowed header byte 0x${first.toString(16)}`);
      }
      hasValue = true;
      hashedValue = true;
  }
  // Nibble count (decode_size).
  const max = 255 >> maskBits;
  let nibbles = first & max;
  let off = 1;
  if (nibbles === max) {
    nibbles -= 1;
    for (;;) {
      if (off >= data.length) invalid("truncated header");
      const n = data[off++];
      if (n < 255) {
        nibbles += n + 1;
        break;
      }
      nibbles += 255;
    }
  }
  // Partial key.
  const partialBytes = (nibbles + 1) >> 1;
  if (off + partialBytes > data.length) invalid("truncated partial key");
  const partial = new Uint8Array(nibbles);
  let j = 0;
  let p = off;
  if ((nibbles & 1) === 1) {
    const b = data[p++];
    if ((b & 0xf0) !== 0) invalid("bad padding in partial key");
    partial[j++] = b;
  }
  for (; j < nibbles; j += 2) {
    const b = data[p++];
    partial[j] = b >> 4;
    partial[j + 1] = b & 0x0f;
  }
  off = p;
  let bitmap = 0;
  if (!isLeaf) {
    if (off + 2 > data.length) invalid("truncated bitmap");
    bitmap = data[off] | (data[off + 1] << 8);
    off += 2;
    if (bitmap === 0) invalid("branch without a child");
  }
  let value: Uint8Array | undefined;
  let valueHash: Uint8Array | undefined;
  if (hasValue) {
    if (hashedValue) {
      if (off + HASH_LENGTH > data.length) invalid("truncated value hash");
      valueHash = data.subarray(off, off + HASH_LENGTH);
      off += HASH_LENGTH;
    } else {
      const [len, o] = readCompact(data, off);
      if (o + len > data.length) invalid("truncated value");
      value = data.subarray(o, o + len);
      off = o + len;
    }
  }
  let children: (Uint8Array | undefined)[] | null = null;
  if (!isLeaf) {
    children = new Array<Uint8Array | undefined>(16).fill(undefined);
    for (let i = 0; i < 16; i++) {
      if ((bitmap & (1 << i)) === 0) continue;
      const [len, o] = readCompact(data, off);
      if (o + len > data.length) invalid("truncated child reference");
      if (len === 0) invalid("empty child reference");
      children[i] = data.subarray(o, o + len);
      off = o + len;
    }
  }
  if (off !== data.length) invalid("trailing bytes after node");
  return { kind: isLeaf ? "leaf" : "branch", partial, value, valueHash, children };
}

/** Reads a SCALE `Compact<u32>` at `off`: `[value, newOffset]`. */
export function readCompact(data: Uint8Array, off: number): [number, number] {
  if (off >= data.length) invalid("truncated compact");
  const b = data[off];
  switch (b & 3) {
    case 0:
      return [b >> 2, off + 1];
    case 1:
      if (off + 2 > data.length) invalid("truncated compact");
      return [(b | (data[off + 1] << 8)) >> 2, off + 2];
    case 2:
      if (off + 4 > data.length) invalid("truncated compact");
      return [(b | (data[off + 1] << 8) | (data[off + 2] << 16) | (data[off + 3] << 24)) >>> 2, off + 4];
    default: {
      const len = (b >> 2) + 4;
      if (len !== 4 || off + 5 > data.length) invalid("compact length out of range");
      return [(data[off + 1] | (data[off + 2] << 8) | (data[off + 3] << 16) | (data[off + 4] << 24)) >>> 0, off + 5];
    }
  }
}
