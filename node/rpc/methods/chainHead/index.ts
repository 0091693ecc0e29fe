/**
 * `chainHead_v1_*`: the new JSON-RPC interface's view of the head of the chain (polkadot-api, dedot and
 * smoldot-based clients use it). One file per function; the follow subscription's state in
 * `followSubscription.ts`.
 */
import type { RpcDef } from "../../server/index.js";
import type { RpcDeps } from "../context.js";
import { bodyMethod } from "./body.js";
import { callMethod } from "./call.js";
import type { ChainHeadContext } from "./context.js";
import { followSubscriptionDef } from "./follow.js";
import { headerMethod } from "./header.js";
import { continueMethod, stopOperationMethod } from "./operations.js";
import { type ChainHeadOptions, defaultChainHeadOptions } from "./options.js";
import { FollowRegistry } from "./registry.js";
import { storageMethod } from "./storage.js";
import { unpinMethod } from "./unpin.js";

export { ChainHeadError, type ChainHeadOptions, defaultChainHeadOptions } from "./options.js";

export function chainHeadMethods(deps: Pick<RpcDeps, "chain">, options: Partial<ChainHeadOptions> = {}): RpcDef[] {
  const c: ChainHeadContext = {
    chain: deps.chain,
    follows: new FollowRegistry(deps.chain),
    opts: { ...defaultChainHeadOptions, ...options },
  };
  return [
    followSubscriptionDef(c),
    headerMethod(c),
    bodyMethod(c),
    callMethod(c),
    storageMethod(c),
    continueMethod(c),
    stopOperationMethod(c),
    unpinMethod(c),
  ];
}
