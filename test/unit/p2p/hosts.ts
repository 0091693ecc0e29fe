/** Test helpers: real p2p hosts on 127.0.0.1 with ephemeral ports and a toy chain behind them. */

import { createP2pHost } from "../../../p2p/host.js";
import type {
  BlockData,
  BlocksRequest,
  ChainStatus,
  GossipResult,
  P2pHandlers,
  P2pHost,
} from "../../../p2p/interface.js";
import { type P2pLimits, type P2pOptions, withP2pDefaults } from "../../../p2p/options.js";
import { cryptoReady } from "../../../primitives/hashing.js";

export const GENESIS = new Uint8Array(32).map((_, i) => i + 1);

/** A toy chain of `length` blocks: hash i = [i, i, …], header = "header-i", body = i+1 bytes of i. */
export function toyBlock(n: number): BlockData {
  return {
    hash: new Uint8Array(32).fill(n),
    header: new TextEncoder().encode(`header-${n}`),
    body: new Uint8Array(n + 1).fill(n),
    justification: n % 2 === 0 ? new TextEncoder().encode(`just-${n}`) : undefined,
  };
}

export interface TestChain {
  best: number;
  genesis: Uint8Array;
  roles: ChainStatus["roles"];
  /** Every gossip message the chain side saw: [topic, data, from]. */
  gossip: Array<{ topic: string; data: Uint8Array; from: string }>;
  /** What the gossip handler answers. */
  verdict: (topic: string, data: Uint8Array) => GossipResult;
  /** Overrides the block handler (e.g. to answer with huge blocks). */
  blocks?: (req: BlocksRequest) => BlockData[] | Promise<BlockData[]>;
  blockRequests: number;
}

export function handlersFor(chain: TestChain): P2pHandlers {
  return {
    onStatusRequest: () => ({
      genesisHash: chain.genesis,
      best: { number: chain.best, hash: toyBlock(chain.best).hash },
      finalized: { number: Math.max(0, chain.best - 2), hash: toyBlock(Math.max(0, chain.best - 2)).hash },
      roles: chain.roles,
    }),
    onBlocksRequest: (req) => {
      chain.blockRequests++;
      if (chain.blocks) return chain.blocks(req);
      const start = typeof req.from === "number" ? req.from : req.from[0];
      const out: BlockData[] = [];
      for (let i = 0; i < req.max; i++) {
        const n = req.direction === "ascending" ? start + i : start - i;
        if (n < 0 || n > chain.best) break;
        out.push(toyBlock(n));
      }
      return out;
    },
    onJustificationRequest: (req) => toyBlock(req.hash[0]).justification,
    // A finality gadget stand-in: nothing for round 0, else the request bytes reversed.
    onCatchUpRequest: (req) => (req[0] === 0 ? undefined : Uint8Array.from(req).reverse()),
    onGossip: (topic, data, from) => {
      chain.gossip.push({ topic, data, from });
      return chain.verdict(topic, data);
    },
  };
}

export interface TestHost {
  host: P2pHost;
  chain: TestChain;
  id: string;
  /** A dialable address with `/p2p/<id>`. */
  addr: string;
}

export type HostOverrides = Partial<Omit<P2pOptions, "limits">> & { limits?: Partial<P2pLimits> };

export async function startHost(
  overrides: HostOverrides = {},
  chainOverrides: Partial<TestChain> = {},
): Promise<TestHost> {
  await cryptoReady();
  const chain: TestChain = {
    best: 10,
    genesis: GENESIS,
    roles: ["full"],
    gossip: [],
    verdict: () => "accept",
    blockRequests: 0,
    ...chainOverrides,
  };
  const opts = withP2pDefaults({
    listenAddrs: ["/ip4/127.0.0.1/tcp/0"],
    allowPrivateAddresses: true,
    maintenanceIntervalMs: 200,
    reservedReconnectDelayMs: 100,
    requestTimeoutMs: 5_000,
    ...overrides,
  });
  const host = await createP2pHost(opts, { genesisHash: chain.genesis, handlers: handlersFor(chain) });
  await host.start();
  const addr = host.listenAddresses().find((a) => a.startsWith("/ip4/127.0.0.1/tcp/"));
  if (addr === undefined) throw new Error(`no loopback address in ${host.listenAddresses().join(", ")}`);
  return { host, chain, id: host.peerId.toString(), addr };
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function stopAll(hosts: Array<TestHost | undefined>): Promise<void> {
  await Promise.all(hosts.map((h) => h?.host.stop()));
}
