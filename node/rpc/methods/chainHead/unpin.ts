/** `chainHead_v1_unpin`: releases blocks the subscription reported; all or none. */
import { type HexString, isHex } from "../../../../primitives/hex.js";
import { param, type RpcDef, RpcError } from "../../server/index.js";
import { method } from "../context.js";
import type { ChainHeadContext } from "./context.js";
import { ChainHeadError, followSubscriptionParam } from "./options.js";

const isHash = (v: unknown): v is HexString => isHex(v) && v.length === 66;

const hashOrHashesParam = param.custom<HexString[]>("hashOrHashes", (v) => {
  if (isHash(v)) return [v];
  if (Array.isArray(v) && v.every(isHash)) return v;
  throw new Error("expected a block hash (32 bytes of hex) or an array of them");
});

export function unpinMethod(c: ChainHeadContext): RpcDef {
  return method({
    name: "chainHead_v1_unpin",
    params: [followSubscriptionParam, hashOrHashesParam],
    handler: ([subscriptionId, hashes], ctx) => {
      const follow = c.follows.get(ctx, subscriptionId);
      // An unknown or stopped subscription: the call is ignored.
      if (follow === undefined) return null;
      const lower = hashes.map((h) => h.toLowerCase() as HexString);
      if (new Set(lower).size !== lower.length) {
        throw new RpcError(ChainHeadError.InvalidDuplicateHashes, "Invalid parameter: duplicate block hashes");
      }
      follow.unpin(lower);
      return null;
    },
  });
}
