/** `chainHead_v1_body`: the extrinsics of a pinned block, as an `operationBodyDone` event. */
import { fromHex, type HexString, toHex } from "../../../../primitives/hex.js";
import type { Chain } from "../../../chain/chain.js";
import type { RpcDef } from "../../server/index.js";
import { method } from "../context.js";
import { afterReply, type ChainHeadContext, errorMessage, LIMIT_REACHED, pinnedHash } from "./context.js";
import type { Operation } from "./followSubscription.js";
import { blockHashParam, followSubscriptionParam } from "./options.js";

export function bodyMethod(c: ChainHeadContext): RpcDef {
  return method({
    name: "chainHead_v1_body",
    params: [followSubscriptionParam, blockHashParam],
    handler: ([subscriptionId, hash], ctx) => {
      const follow = c.follows.get(ctx, subscriptionId);
      if (follow === undefined) return LIMIT_REACHED;
      const h = pinnedHash(follow, hash);
      const op = follow.startOperation(1);
      if (op === undefined) return LIMIT_REACHED;
      afterReply(() => runBody(c.chain, op, h));
      return { result: "started", operationId: op.id };
    },
  });
}

async function runBody(chain: Chain, op: Operation, hash: HexString): Promise<void> {
  try {
    const body = await chain.body(fromHex(hash));
    if (body === undefined) op.emit("operationInaccessible");
    else op.emit("operationBodyDone", { value: body.map(toHex) });
  } catch (err) {
    op.emit("operationError", { error: errorMessage(err) });
  }
  op.finish();
}
