/** `chainHead_v1_header`: the SCALE-encoded header of a pinned block. */
import { fromHex, toHex } from "../../../../primitives/hex.js";
import { Header } from "../../../../primitives/types.js";
import { type RpcDef, RpcError, RpcErrorCode } from "../../server/index.js";
import { method } from "../context.js";
import { type ChainHeadContext, pinnedHash } from "./context.js";
import { blockHashParam, followSubscriptionParam } from "./options.js";

export function headerMethod(c: ChainHeadContext): RpcDef {
  return method({
    name: "chainHead_v1_header",
    params: [followSubscriptionParam, blockHashParam],
    handler: async ([subscriptionId, hash], ctx) => {
      const follow = c.follows.get(ctx, subscriptionId);
      if (follow === undefined) return null;
      const h = pinnedHash(follow, hash);
      const header = await c.chain.header(fromHex(h));
      if (header === undefined) throw new RpcError(RpcErrorCode.InternalError, `Header of pinned block ${h} missing`);
      return toHex(Header.enc(header));
    },
  });
}
