/** `chainHead_v1_call`: a runtime API call at a pinned block, as an `operationCallDone` event. */
import { fromHex, type HexString, toHex } from "../../../../primitives/hex.js";
import type { Chain } from "../../../chain/chain.js";
import type { RuntimeView } from "../../../chain/runtimeView.js";
import { param, type RpcDef, RpcError } from "../../server/index.js";
import { callDataParam } from "../callData.js";
import { method } from "../context.js";
import { afterReply, type ChainHeadContext, errorMessage, LIMIT_REACHED, pinnedHash } from "./context.js";
import type { Operation } from "./followSubscription.js";
import { blockHashParam, ChainHeadError, followSubscriptionParam } from "./options.js";

export function callMethod(c: ChainHeadContext): RpcDef {
  return method({
    name: "chainHead_v1_call",
    params: [followSubscriptionParam, blockHashParam, param.string("function"), callDataParam("callParameters")],
    handler: ([subscriptionId, hash, fn, args], ctx) => {
      const follow = c.follows.get(ctx, subscriptionId);
      if (follow === undefined) return LIMIT_REACHED;
      if (!follow.withRuntime) {
        throw new RpcError(
          ChainHeadError.InvalidRuntimeCall,
          "Invalid runtime call: the subscription was started with withRuntime: false",
        );
      }
      const h = pinnedHash(follow, hash);
      const op = follow.startOperation(1);
      if (op === undefined) return LIMIT_REACHED;
      afterReply(() => runCall(c.chain, op, h, fn, fromHex(args)));
      return { result: "started", operationId: op.id };
    },
  });
}

async function runCall(chain: Chain, op: Operation, hash: HexString, fn: string, args: Uint8Array): Promise<void> {
  let runtime: RuntimeView;
  try {
    runtime = await chain.runtimeAt(fromHex(hash));
  } catch {
    op.emit("operationInaccessible");
    op.finish();
    return;
  }
  if (!op.active) return;
  try {
    op.emit("operationCallDone", { output: toHex(runtime.call(fn, args)) });
  } catch (err) {
    // An unknown function, undecodable arguments or a failing call: retrying will not help.
    op.emit("operationError", { error: errorMessage(err) });
  }
  op.finish();
}
