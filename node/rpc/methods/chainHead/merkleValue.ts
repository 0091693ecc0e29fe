/**
 * The trie Merkle value for `closestDescendantMerkleValue` storage queries: of the node whose key is
 * the given key or, if there is none, of the closest node (branch nodes included) whose key starts
 * with it. A node's Merkle value is its encoding when shorter than 32 bytes, else the blake2-256 of it;
 * the root's is always the hash (the state root).
 */
import {
  bytesToNibbles,
  nodeHash,
  nodeReference,
  type Trie,
  type TrieNode,
} from "../../../../primitives/trie/index.js";

/** Undefined when no key of the trie starts with `key`. */
export function closestDescendantMerkleValue(trie: Trie, key: Uint8Array): Uint8Array | undefined {
  const root = trie.rootNode;
  if (root === undefined) return undefined;
  const want = bytesToNibbles(key);
  let node: TrieNode | undefined = root;
  let pos = 0;
  while (node !== undefined) {
    const partial = node.partial;
    let i = 0;
    while (i < partial.length && pos + i < want.length && partial[i] === want[pos + i]) i++;
    // The key ends inside (or at the end of) this node's path: it and all below start with the key.
    if (pos + i === want.length) return node === root ? nodeHash(node) : nodeReference(node);
    if (i < partial.length || node.children === null) return undefined;
    pos += partial.length;
    node = node.children[want[pos]];
    pos++;
  }
  return undefined;
}
