export {
  defaultTrieNodeStoreOptions,
  loadTrie,
  type TrieNodeBatch,
  type TrieNodeDb,
  TrieNodeStore,
  type TrieNodeStoreOptions,
  TrieStoreError,
  type TrieStoreErrorType,
} from "./trieNodeStore.js";
