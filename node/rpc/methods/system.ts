/** `system_*`: facts about the node and the chain. */
import { ss58Decode } from "../../../primitives/crypto/index.js";
import { fromHex, toHex } from "../../../primitives/hex.js";
import { nextAccountNonce } from "../../txpool/index.js";
import { param, type RpcDef, RpcError, RpcErrorCode } from "../server/index.js";
import { method, type RpcDeps } from "./context.js";

function accountBytes(address: string): Uint8Array {
  if (address.startsWith("0x")) {
    const b = fromHex(address);
    if (b.length === 32) return b;
  } else {
    try {
      return ss58Decode(address);
    } catch {}
  }
  throw new RpcError(RpcErrorCode.InvalidParams, `Invalid params: not an account: ${address}`);
}

export function systemMethods(deps: RpcDeps): RpcDef[] {
  const { node, spec, chain, pool } = deps;
  return [
    method({ name: "system_name", handler: () => node.name }),
    method({ name: "system_version", handler: () => node.version }),
    method({ name: "system_chain", handler: () => spec.name }),
    method({ name: "system_chainType", handler: () => spec.chainType }),
    method({ name: "system_properties", handler: () => spec.properties }),
    method({
      name: "system_health",
      handler: () => {
        const peers = node.peers().length;
        return { peers, isSyncing: node.isSyncing(), shouldHavePeers: spec.chainType !== "Development" };
      },
    }),
    method({ name: "system_localPeerId", handler: () => node.peerId }),
    method({ name: "system_localListenAddresses", handler: () => node.listenAddresses() }),
    method({ name: "system_nodeRoles", handler: () => node.roles }),
    method({ name: "system_peers", unsafe: true, handler: () => node.peers() }),
    method({
      name: "system_syncState",
      handler: () =>
        node.syncState?.() ?? { startingBlock: 0, currentBlock: chain.best.number, highestBlock: chain.best.number },
    }),
    method({
      name: "system_accountNextIndex",
      aliases: ["account_nextIndex"],
      params: [param.string("account")],
      handler: ([address]) => {
        const who = accountBytes(address);
        return nextAccountNonce(chain.bestRuntime.nonce(who), who, pool.pending());
      },
    }),
  ];
}

export { toHex };
