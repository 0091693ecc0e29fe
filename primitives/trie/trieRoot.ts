/**
 * Roots computed from scratch, without building a trie: `trie_root` and `ordered_trie_root` of
 * `sp-trie` (LayoutV0). The sorted entries are split recursively; each node is encoded once and
 * hashed when its encoding is 32 bytes or longer.
 */
import {
  EMPTY_TRIE_ROOT,
  encodeCompactU32,
  encodedNodeSize,
  encodeNode,
  referenceOf,
  scratch,
  writeNode,
} from "./codec.js";
import { compareKeys, keyNibbles, nibbleAt } from "./nibbles.js";

/** Entries sorted by key, duplicates removed (the last occurrence wins, as in a `BTreeMap`). */
export function sortEntries(entries: Iterable<readonly [Uint8Array, Uint8Array]>): {
  keys: Uint8Array[];
  values: Uint8Array[];
} {
  const all = Array.from(entries);
  all.sort((a, b) => compareKeys(a[0], b[0])); // stable: equal keys keep their input order
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let i = 0; i < all.length; i++) {
    if (i + 1 < all.length && compareKeys(all[i][0], all[i + 1][0]) === 0) continue;
    keys.push(all[i][0]);
    values.push(all[i][1]);
  }
  return { keys, values };
}

/** Root of the trie holding `entries` (`sp_trie::LayoutV0::trie_root`). */
export function trieRoot(entries: Iterable<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  const { keys, values } = sortEntries(entries);
  if (keys.length === 0) return EMPTY_TRIE_ROOT.slice();
  return referenceRange(keys, values, 0, keys.length, 0, true);
}

/**
 * Root of the trie mapping `Compact<u32>(i)` to `values[i]` (`sp_trie::LayoutV0::ordered_trie_root`):
 * the extrinsics root of a block whose SCALE-encoded extrinsics are `values`.
 */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  return trieRoot(values.map((v, i) => [encodeCompactU32(i), v] as const));
}

/** The unhashed encoding of the root node (`trie_root_unhashed`), for tests and debugging. */
export function trieRootUnhashed(entries: Iterable<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  const { keys, values } = sortEntries(entries);
  if (keys.length === 0) return Uint8Array.of(0);
  return encodeRange(keys, values, 0, keys.length, 0);
}

/** Length in nibbles of the common prefix of `a` and `b`, which share their first `from` nibbles. */
export function commonNibbles(a: Uint8Array, b: Uint8Array, from: number): number {
  const maxBytes = Math.min(a.length, b.length);
  let i = from >> 1;
  if ((from & 1) === 1) {
    if (i >= maxBytes) return from;
    if ((a[i] & 0x0f) !== (b[i] & 0x0f)) return from;
    i++;
  }
  while (i < maxBytes && a[i] === b[i]) i++;
  if (i === maxBytes) return i * 2;
  return (a[i] & 0xf0) === (b[i] & 0xf0) ? i * 2 + 1 : i * 2;
}

/**
 * The node for the sorted, distinct keys `[lo, hi)`, which all share their first `depth` nibbles
 * (the nibbles above this node): its partial key, value and child references.
 */
function nodeOfRange(
  keys: Uint8Array[],
  values: Uint8Array[],
  lo: number,
  hi: number,
  depth: number,
): [Uint8Array, Uint8Array | undefined, (Uint8Array | undefined)[] | null] {
  const first = keys[lo];
  if (hi - lo === 1) return [keyNibbles(first, depth, first.length * 2), values[lo], null];
  const prefixEnd = commonNibbles(first, keys[hi - 1], depth);
  const partial = keyNibbles(first, depth, prefixEnd);
  let value: Uint8Array | undefined;
  let i = lo;
  if (first.length * 2 === prefixEnd) {
    value = values[lo]; // only the first (shortest) key can end at the branch
    i++;
  }
  const children = new Array<Uint8Array | undefined>(16).fill(undefined);
  while (i < hi) {
    const nib = nibbleAt(keys[i], prefixEnd);
    let j = i + 1;
    while (j < hi && nibbleAt(keys[j], prefixEnd) === nib) j++;
    children[nib] = referenceRange(keys, values, i, j, prefixEnd + 1, false);
    i = j;
  }
  return [partial, value, children];
}

/** Reference (inline encoding or hash; the hash for the root) of the node for `[lo, hi)`. */
function referenceRange(
  keys: Uint8Array[],
  values: Uint8Array[],
  lo: number,
  hi: number,
  depth: number,
  asRoot: boolean,
): Uint8Array {
  const [partial, value, children] = nodeOfRange(keys, values, lo, hi, depth);
  const size = encodedNodeSize(partial.length, value, children);
  const buf = scratch(size);
  writeNode(buf, 0, partial, value, children);
  return referenceOf(buf, size, asRoot);
}

function encodeRange(keys: Uint8Array[], values: Uint8Array[], lo: number, hi: number, depth: number): Uint8Array {
  const [partial, value, children] = nodeOfRange(keys, values, lo, hi, depth);
  return encodeNode(partial, value, children);
}
