import type { RpcDef } from "../server/index.js";
import { authorMethods } from "./author.js";
import { chainMethods } from "./chain.js";
import { chainHeadMethods } from "./chainHead/index.js";
import { chainSpecMethods } from "./chainSpec.js";
import type { RpcDeps } from "./context.js";
import { type BlockFactory, engineMethods } from "./engine.js";
import { grandpaMethods } from "./grandpa.js";
import { paymentMethods } from "./payment.js";
import { stateMethods } from "./state.js";
import { systemMethods } from "./system.js";
import { tensorchainMethods } from "./tensorchain.js";
import { transactionMethods } from "./transaction.js";
import { transactionWatchMethods } from "./transactionWatch.js";

export type { NodeInfo, RpcDeps } from "./context.js";
export type { BlockFactory } from "./engine.js";

/** Every chain RPC method, in Substrate's namespaces. */
export function chainRpcMethods(deps: RpcDeps, blockFactory?: BlockFactory): RpcDef[] {
  return [
    ...systemMethods(deps),
    ...chainMethods(deps),
    ...stateMethods(deps),
    ...authorMethods(deps),
    ...paymentMethods(deps),
    ...grandpaMethods(deps),
    ...tensorchainMethods(deps),
    ...engineMethods(blockFactory),
    // The new JSON-RPC interface (json-rpc-interface-spec): chainHead_v1, chainSpec_v1, transaction(Watch)_v1.
    ...chainHeadMethods(deps),
    ...chainSpecMethods(deps),
    ...transactionMethods(deps),
    ...transactionWatchMethods(deps),
  ];
}
