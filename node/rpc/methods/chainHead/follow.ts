/** `chainHead_v1_follow` / `chainHead_v1_unfollow`: events on `chainHead_v1_followEvent`. */
import { param, type RpcDef, RpcError } from "../../server/index.js";
import { subscription } from "../context.js";
import type { ChainHeadContext } from "./context.js";
import { FollowSubscription } from "./followSubscription.js";
import { ChainHeadError } from "./options.js";

export function followSubscriptionDef(c: ChainHeadContext): RpcDef {
  return subscription({
    kind: "subscription",
    subscribe: "chainHead_v1_follow",
    unsubscribe: ["chainHead_v1_unfollow"],
    notification: "chainHead_v1_followEvent",
    params: [param.boolean("withRuntime")],
    handler: ([withRuntime], sink, ctx) => {
      if (c.follows.count(ctx.connectionId) >= c.opts.maxFollowPerConnection) {
        throw new RpcError(ChainHeadError.ReachedLimits, "Maximum number of chainHead_follow has been reached");
      }
      const follow = new FollowSubscription(sink, withRuntime, c.chain, c.opts);
      c.follows.add(ctx.connectionId, follow);
      // Events pushed now are held by the server until the subscription id has been sent.
      follow.start();
      return () => {
        c.follows.remove(ctx.connectionId, follow);
        follow.dispose();
      };
    },
  });
}
