/** `grandpa_*`: the finality gadget's view, in the shape of sc-consensus-grandpa-rpc. */
import type { RoundState } from "../../../consensus/grandpa/index.js";
import { ss58Encode } from "../../../primitives/crypto/index.js";
import { type RpcDef, RpcError } from "../server/index.js";
import { method, type RpcDeps } from "./context.js";

/** Substrate's answer when the node runs no GRANDPA voter (a dev chain). */
const GRANDPA_NOT_READY = 1;

function tally(t: RoundState["prevotes"]) {
  return { currentWeight: Number(t.currentWeight), missing: t.missing.map((id) => ss58Encode(id)) };
}

export function grandpaMethods(deps: RpcDeps): RpcDef[] {
  return [
    method({
      name: "grandpa_roundState",
      handler: () => {
        const state = deps.node.grandpaRoundState?.();
        if (!state) throw new RpcError(GRANDPA_NOT_READY, "GRANDPA RPC endpoint not ready");
        return {
          setId: Number(state.setId),
          best: {
            round: Number(state.round),
            totalWeight: Number(state.totalWeight),
            thresholdWeight: Number(state.thresholdWeight),
            prevotes: tally(state.prevotes),
            precommits: tally(state.precommits),
          },
          background: [],
        };
      },
    }),
  ];
}
