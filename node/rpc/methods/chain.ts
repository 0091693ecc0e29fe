/** `chain_*`: blocks, headers and head subscriptions. */
import { fromHex, type HexString, toHex } from "../../../primitives/hex.js";
import type { BlockRef } from "../../chain/types.js";
import { param, type RpcDef, RpcError, RpcErrorCode } from "../server/index.js";
import { headerJson, method, type RpcDeps, resolveAt } from "./context.js";

const blockNumberParam = param.custom<number | HexString | undefined>("blockNumber", (v) => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  // Hex of any length (`0x1` too), but a block number: `0x` and values over u32 are refused, as Substrate does.
  if (typeof v === "string" && /^0x[0-9a-fA-F]+$/.test(v) && Number.parseInt(v.slice(2), 16) <= 0xffffffff)
    return v as HexString;
  throw new Error("expected a block number (integer or hex) or null");
});

function headSubscription(
  deps: RpcDeps,
  event: "best" | "finalized" | "block",
  names: { subscribe: string; aliases?: string[]; unsubscribe: string[]; notification: string },
): RpcDef {
  return {
    kind: "subscription",
    ...names,
    handler: (_params, sink) => {
      const current = event === "finalized" ? deps.chain.finalized : deps.chain.best;
      sink.next(headerJson(current.header));
      const listener = (ref: BlockRef) => sink.next(headerJson(ref.header));
      deps.chain.on(event, listener);
      return () => deps.chain.off(event, listener);
    },
  };
}

export function chainMethods(deps: RpcDeps): RpcDef[] {
  const { chain } = deps;
  return [
    method({
      name: "chain_getBlockHash",
      aliases: ["chain_getHead"],
      params: [param.optional(blockNumberParam)],
      handler: async ([n]) => {
        if (n === undefined) return chain.best.hashHex;
        const num = typeof n === "number" ? n : Number.parseInt(n.slice(2), 16);
        const hash = await chain.hashAt(num);
        return hash ? toHex(hash) : null;
      },
    }),
    method({
      name: "chain_getHeader",
      params: [param.optional(param.hex("hash", 32))],
      handler: async ([at]) => {
        if (at === undefined) return headerJson(chain.best.header);
        const header = await chain.header(fromHex(at));
        return header ? headerJson(header) : null;
      },
    }),
    method({
      name: "chain_getBlock",
      params: [param.optional(param.hex("hash", 32))],
      handler: async ([at]) => {
        const hash = at === undefined ? chain.best.hash : fromHex(at);
        const header = await chain.header(hash);
        if (!header) return null;
        const body = await chain.body(hash);
        if (!body) throw new RpcError(RpcErrorCode.InternalError, "Block body missing");
        const justification = await chain.justification(hash);
        return {
          block: { header: headerJson(header), extrinsics: body.map(toHex) },
          justifications: justification ? [[toHex(new TextEncoder().encode("FRNK")), toHex(justification)]] : null,
        };
      },
    }),
    method({
      name: "chain_getFinalizedHead",
      aliases: ["chain_getFinalisedHead"],
      handler: () => chain.finalized.hashHex,
    }),
    headSubscription(deps, "best", {
      subscribe: "chain_subscribeNewHeads",
      aliases: ["chain_subscribeNewHead", "subscribe_newHead"],
      unsubscribe: ["chain_unsubscribeNewHeads", "chain_unsubscribeNewHead", "unsubscribe_newHead"],
      notification: "chain_newHead",
    }),
    headSubscription(deps, "block", {
      subscribe: "chain_subscribeAllHeads",
      unsubscribe: ["chain_unsubscribeAllHeads"],
      notification: "chain_allHead",
    }),
    headSubscription(deps, "finalized", {
      subscribe: "chain_subscribeFinalizedHeads",
      aliases: ["chain_subscribeFinalisedHeads"],
      unsubscribe: ["chain_unsubscribeFinalizedHeads", "chain_unsubscribeFinalisedHeads"],
      notification: "chain_finalizedHead",
    }),
  ];
}

export { resolveAt };
