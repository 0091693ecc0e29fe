/**
 * Read-proof verification: given a state root and the node set of a `state_getReadProof` answer,
 * the value (or proven absence) of each key. Nodes are found by their blake2-256 hash, so a
 * missing or altered node breaks the path to the root and fails with a typed error.
 */
import { blake2_256 } from "../hashing.js";
import { type HexString, toHex } from "../hex.js";
import { decodeNode, EMPTY_TRIE_ROOT, HASH_LENGTH } from "./codec.js";
import { TrieError } from "./errors.js";
import { commonPrefixWithKey, nibbleAt } from "./nibbles.js";
import { assertHash } from "./trie.js";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Verifies `proof` against `root` and reads `keys` from it. Returns, per key (as `0x…` hex), its
 * value or `null` when the proof shows the key is absent. LayoutV1 nodes with hashed values are
 * accepted when the value itself is in the proof.
 * @throws TrieError TRIE_ERROR_INCOMPLETE_PROOF when a node on a key's path is not in the proof
 *   (including a node that was tampered with, whose hash no longer matches its parent's reference),
 *   TRIE_ERROR_INVALID_NODE when a node does not decode, TRIE_ERROR_INVALID_HASH for a bad root.
 */
export function verifyProof(
  root: Uint8Array,
  proof: Iterable<Uint8Array>,
  keys: Iterable<Uint8Array>,
): Map<HexString, Uint8Array | null> {
  assertHash(root);
  const db = new Map<string, Uint8Array>();
  for (const node of proof) db.set(toHex(blake2_256(node)), node);
  const out = new Map<HexString, Uint8Array | null>();
  const emptyRoot = sameBytes(root, EMPTY_TRIE_ROOT);
  for (const key of keys) {
    const hexKey = toHex(key);
    out.set(hexKey, emptyRoot ? null : lookup(db, root, key, hexKey));
  }
  return out;
}

function fetch(db: Map<string, Uint8Array>, hash: Uint8Array, hexKey: HexString): Uint8Array {
  const hex = toHex(hash);
  const node = db.get(hex);
  if (node === undefined) throw new TrieError({ code: "TRIE_ERROR_INCOMPLETE_PROOF", key: hexKey, missing: hex });
  return node;
}

function lookup(db: Map<string, Uint8Array>, root: Uint8Array, key: Uint8Array, hexKey: HexString): Uint8Array | null {
  const keyLen = key.length * 2;
  let encoded = fetch(db, root, hexKey);
  let pos = 0;
  for (;;) {
    const node = decodeNode(encoded);
    if (node.kind === "empty") return null;
    const c = commonPrefixWithKey(node.partial, key, pos, keyLen);
    if (c < node.partial.length) return null;
    pos += c;
    if (pos === keyLen) {
      if (node.value !== undefined) return node.value.slice();
      if (node.valueHash !== undefined) return fetch(db, node.valueHash, hexKey).slice();
      return null;
    }
    if (node.children === null) return null;
    const child = node.children[nibbleAt(key, pos)];
    if (child === undefined) return null;
    pos++;
    encoded = child.length === HASH_LENGTH ? fetch(db, child, hexKey) : child;
  }
}
