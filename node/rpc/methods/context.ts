/**
 * What the RPC methods are given: the chain, the pool, the keystore and the node's facts, plus the
 * helpers every namespace shares (resolving `at`, calling the runtime, JSON shapes of headers).
 */

import type { RoundState } from "../../../consensus/grandpa/index.js";
import type { ChainSpec } from "../../../genesis/chainSpec.js";
import type { HexString } from "../../../primitives/hex.js";
import { fromHex, toHex } from "../../../primitives/hex.js";
import type { PouwTicketValue } from "../../../primitives/pouw.js";
import { DigestItem, type HeaderValue } from "../../../primitives/types.js";
import { RuntimeApiError } from "../../../runtime/index.js";
import type { Chain } from "../../chain/chain.js";
import type { RuntimeView } from "../../chain/runtimeView.js";
import type { BlockRef } from "../../chain/types.js";
import type { Keystore } from "../../keystore.js";
import type { TxPool } from "../../txpool/index.js";
import { type MethodDef, type RpcDef, RpcError, type SubscriptionDef } from "../server/index.js";

export interface NodeInfo {
  name: string;
  version: string;
  roles: ("Full" | "Authority" | "LightClient")[];
  peerId: string;
  listenAddresses: () => string[];
  /**
   * `system_peers`: Substrate's `PeerInfo` (peerId, roles, bestHash, bestNumber) plus the peer's current
   * reputation (the peer store's score, i32 range; below the ban threshold the peer is dropped).
   */
  peers: () => { peerId: string; roles: string; bestHash: HexString; bestNumber: number; reputation: number }[];
  isSyncing: () => boolean;
  /** The GRANDPA voter's current round, when the node runs the finality gadget. */
  grandpaRoundState?: () => RoundState;
  /** Sync progress, when the node runs the network. */
  syncState?: () => { startingBlock: number; currentBlock: number; highestBlock: number };
}

export interface RpcDeps {
  chain: Chain;
  pool: TxPool;
  keystore: Keystore;
  spec: ChainSpec;
  node: NodeInfo;
  /** The PoUW tickets this node holds for the next blocks (its ticket pool), when it runs one. */
  pendingTickets?: () => PouwTicketValue[];
}

/** Substrate's "unknown block" client error. */
export const UNKNOWN_BLOCK = 4003;

export async function resolveAt(deps: RpcDeps, at: HexString | undefined): Promise<BlockRef> {
  if (at === undefined) return deps.chain.best;
  const hash = fromHex(at);
  const header = await deps.chain.header(hash);
  if (!header) throw new RpcError(UNKNOWN_BLOCK, `Unknown block: ${at}`);
  return { hash, hashHex: at.toLowerCase() as HexString, number: header.number, header };
}

/** The runtime at `at` (the best block when undefined); Substrate's "unknown block" error otherwise. */
export async function runtimeAt(deps: RpcDeps, at: HexString | undefined): Promise<RuntimeView> {
  const ref = await resolveAt(deps, at);
  try {
    return await deps.chain.runtimeAt(ref.hash);
  } catch (err) {
    throw new RpcError(UNKNOWN_BLOCK, `State unavailable for ${ref.hashHex}: ${(err as Error).message}`);
  }
}

/** Runs a runtime API at a block, as `state_call` does. */
export async function callAt(
  deps: RpcDeps,
  at: HexString | undefined,
  method: string,
  args: Uint8Array,
): Promise<Uint8Array> {
  const runtime = await runtimeAt(deps, at);
  try {
    return runtime.call(method, args);
  } catch (err) {
    if (err instanceof RuntimeApiError) throw new RpcError(4002, err.message, err.type.code);
    throw err;
  }
}

export function headerJson(h: HeaderValue) {
  return {
    parentHash: toHex(h.parentHash),
    number: `0x${h.number.toString(16)}`,
    stateRoot: toHex(h.stateRoot),
    extrinsicsRoot: toHex(h.extrinsicsRoot),
    digest: { logs: h.digest.logs.map((l) => toHex(DigestItem.enc(l))) },
  };
}

/** Declares a method with its handler's parameter types inferred from `params`. */
export function method<P extends readonly unknown[]>(def: MethodDef<P>): RpcDef {
  return def as unknown as RpcDef;
}

/** Declares a subscription with its handler's parameter types inferred from `params`. */
export function subscription<P extends readonly unknown[]>(def: SubscriptionDef<P>): RpcDef {
  return def as unknown as RpcDef;
}
