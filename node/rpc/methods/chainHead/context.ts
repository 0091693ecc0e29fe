/**
 * What the chainHead functions share: the chain, the live follow subscriptions, the limits, and the
 * lookups every function starts with.
 *
 * Reply before events: a function that starts an operation returns its `operationId` synchronously
 * and runs the operation from `afterReply`, a macrotask. The server writes a synchronous handler's
 * reply in the same tick it reads the request, so the reply always goes out before the operation's
 * first event.
 */
import type { HexString } from "../../../../primitives/hex.js";
import type { Chain } from "../../../chain/chain.js";
import { RpcError } from "../../server/index.js";
import type { FollowSubscription } from "./followSubscription.js";
import { ChainHeadError, type ChainHeadOptions } from "./options.js";
import type { FollowRegistry } from "./registry.js";

export interface ChainHeadContext {
  chain: Chain;
  follows: FollowRegistry;
  opts: ChainHeadOptions;
}

/** What `chainHead_v1_body`, `_call` and `_storage` answer for an unknown subscription or no free slot. */
export const LIMIT_REACHED = { result: "limitReached" } as const;

/** Runs `fn` once the current request has been answered. */
export function afterReply(fn: () => unknown): void {
  setImmediate(fn);
}

/** The hash, lowercase, if the subscription holds it pinned; -32801 otherwise. */
export function pinnedHash(follow: FollowSubscription, hash: HexString): HexString {
  const h = hash.toLowerCase() as HexString;
  if (!follow.isPinned(h)) {
    throw new RpcError(
      ChainHeadError.InvalidBlock,
      `Invalid block hash: ${h} was not reported by this subscription or is unpinned`,
    );
  }
  return h;
}

/** An error's message for an `operationError` event. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
