/** `chainSpec_v1_*`: the chain specification's name, genesis hash and properties (never change). */
import type { RpcDef } from "../server/index.js";
import { method, type RpcDeps } from "./context.js";

export function chainSpecMethods(deps: Pick<RpcDeps, "chain" | "spec">): RpcDef[] {
  const { chain, spec } = deps;
  return [
    method({ name: "chainSpec_v1_chainName", params: [], handler: () => spec.name }),
    method({ name: "chainSpec_v1_genesisHash", params: [], handler: () => chain.genesis.hashHex }),
    method({ name: "chainSpec_v1_properties", params: [], handler: () => spec.properties }),
  ];
}
