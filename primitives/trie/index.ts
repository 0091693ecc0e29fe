export {
  childReference,
  type DecodedNode,
  decodeNode,
  EMPTY_NODE,
  EMPTY_TRIE_ROOT,
  encodeCompactU32,
  encodeNode,
  HASH_LENGTH,
} from "./codec.js";
export { TrieError, type TrieErrorType } from "./errors.js";
export { bytesToNibbles, compareKeys, nibblesToBytes } from "./nibbles.js";
export { verifyProof } from "./proof.js";
export { nodeEncoding, nodeHash, nodeReference, Trie, TrieNode, type TrieNodeRecord } from "./trie.js";
export { orderedTrieRoot, trieRoot, trieRootUnhashed } from "./trieRoot.js";
