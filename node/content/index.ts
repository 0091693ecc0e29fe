/**
 * The content store: job artifacts (models, datasets, results) by CIDv1, with Helia on the node's own
 * libp2p host over LevelDB (`store.ts`), chunked uploads for RPC clients (`uploads.ts`) and the
 * client side of the `content_*` RPC (`rpcClient.ts`).
 */
export { cidFromBytes, cidToBytes, MAX_CID_STRING_LENGTH, parseCid } from "./cid.js";
export { ContentError, type ContentErrorCode, type ContentErrorType } from "./errors.js";
export {
  type ContentStoreOptions,
  defaultContentStoreOptions,
  defaultUploadOptions,
  type UploadOptions,
} from "./options.js";
export {
  type ContentClientOptions,
  ContentRpcError,
  DEFAULT_CLIENT_CHUNK_BYTES,
  downloadContent,
  httpRpcUrl,
  rpcRequest,
  uploadContent,
} from "./rpcClient.js";
export { type ContentRange, type ContentStoreModules, HeliaContentStore } from "./store.js";
export type { ContentStore } from "./types.js";
export { ChunkedUploads, type UploadModules, type UploadStatus } from "./uploads.js";
