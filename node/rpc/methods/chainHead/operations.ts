/** `chainHead_v1_continue` and `chainHead_v1_stopOperation`: steering an operation in progress. */
import { param, type RpcDef, RpcError } from "../../server/index.js";
import { method } from "../context.js";
import type { ChainHeadContext } from "./context.js";
import { ChainHeadError, followSubscriptionParam } from "./options.js";

const operationIdParam = param.string("operationId");

export function continueMethod(c: ChainHeadContext): RpcDef {
  return method({
    name: "chainHead_v1_continue",
    params: [followSubscriptionParam, operationIdParam],
    handler: ([subscriptionId, operationId], ctx) => {
      const op = c.follows.get(ctx, subscriptionId)?.operation(operationId);
      // An unknown subscription or operation (finished, stopped, never started): no effect.
      if (op === undefined) return null;
      const resume = op.waiting;
      if (resume === null) {
        throw new RpcError(
          ChainHeadError.InvalidContinue,
          "Invalid continue: the operation is not waiting for chainHead_v1_continue",
        );
      }
      op.waiting = null;
      resume();
      return null;
    },
  });
}

export function stopOperationMethod(c: ChainHeadContext): RpcDef {
  return method({
    name: "chainHead_v1_stopOperation",
    params: [followSubscriptionParam, operationIdParam],
    handler: ([subscriptionId, operationId], ctx) => {
      c.follows.get(ctx, subscriptionId)?.operation(operationId)?.finish();
      return null;
    },
  });
}
