/** `engine_createBlock`: manual sealing for dev chains (Substrate's manual-seal RPC). Unsafe. */
import type { BlockRef } from "../../chain/types.js";
import { param, type RpcDef, RpcError } from "../server/index.js";
import { method } from "./context.js";

export interface BlockFactory {
  createBlock(): Promise<BlockRef | undefined>;
  pendingCount(): number;
}

export function engineMethods(factory: BlockFactory | undefined): RpcDef[] {
  if (!factory) return [];
  return [
    method({
      name: "engine_createBlock",
      unsafe: true,
      params: [
        param.boolean("createEmpty"),
        param.boolean("finalize"),
        param.optional(param.hexOrNull("parentHash", 32)),
      ],
      handler: async ([createEmpty]) => {
        if (!createEmpty && factory.pendingCount() === 0)
          throw new RpcError(-32603, "No transactions to include in a block");
        const block = await factory.createBlock();
        if (!block) throw new RpcError(-32603, "Block authoring failed");
        return {
          hash: block.hashHex,
          aux: {
            header_only: false,
            clear_justification_requests: false,
            needs_justification: false,
            bad_justification: false,
            is_new_best: true,
          },
        };
      },
    }),
  ];
}
