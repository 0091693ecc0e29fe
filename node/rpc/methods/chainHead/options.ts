/**
 * Limits of the `chainHead_v1_*` functions and the error codes the JSON-RPC interface specification
 * gives them. The defaults are Substrate's (`sc-rpc-spec-v2`'s `ChainHeadConfig`).
 */
import { param } from "../../server/index.js";

export interface ChainHeadOptions {
  /** `chainHead_v1_follow` subscriptions one connection may hold (the spec requires at least 2). */
  maxFollowPerConnection: number;
  /** Blocks one subscription may hold pinned; one more (a new block) ends it with `stop`. */
  maxPinnedBlocks: number;
  /**
   * Operations in progress per subscription (the spec requires at least 16): each `chainHead_v1_body` and
   * `chainHead_v1_call` counts one, each item of a `chainHead_v1_storage` one.
   */
  maxOperations: number;
  /** Unfinalized blocks a new subscription may have to report; more and it gets `stop` at once. */
  maxLaggingDistance: number;
  /** Storage items in one `operationStorageItems` event, before `operationWaitingForContinue`. */
  storageItemsPerBatch: number;
  /** Bytes of keys and values (as hex) in one `operationStorageItems` event; at least one item goes anyway. */
  storageBytesPerBatch: number;
}

export const defaultChainHeadOptions: ChainHeadOptions = {
  maxFollowPerConnection: 4,
  maxPinnedBlocks: 512,
  maxOperations: 16,
  maxLaggingDistance: 128,
  storageItemsPerBatch: 64,
  storageBytesPerBatch: 1024 * 1024,
};

/** The error codes of the chainHead functions (JSON-RPC interface specification). */
export const ChainHeadError = {
  /** `chainHead_v1_follow`: the connection already holds its maximum of follow subscriptions. */
  ReachedLimits: -32800,
  /** The block hash was never reported by this subscription, or is no longer pinned. */
  InvalidBlock: -32801,
  /** `chainHead_v1_call` on a subscription that was started with `withRuntime: false`. */
  InvalidRuntimeCall: -32802,
  /** `chainHead_v1_continue` on an operation that is not waiting for it. */
  InvalidContinue: -32803,
  /** `chainHead_v1_unpin` given the same hash twice. */
  InvalidDuplicateHashes: -32804,
} as const;

/** The `followSubscription` parameter every chainHead function but `follow` takes. */
export const followSubscriptionParam = param.string("followSubscription");
/** A block hash parameter: 32 bytes of hex, in either case. */
export const blockHashParam = param.hex("hash", 32);
