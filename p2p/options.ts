/**
 * Options of the p2p host, with Substrate's defaults where Substrate has one.
 *
 * Addresses are multiaddr strings; the node key is the 32-byte ed25519 secret (see `nodeKey.ts` for
 * `--node-key` / `--node-key-file`). Size limits are checked against the length prefix of a frame (or
 * the length of a gossip message) before anything is decoded.
 */

/** Size limits in bytes, per protocol and per gossip topic kind. */
export interface P2pLimits {
  /** Status handshake request and response. */
  statusBytes: number;
  /** A block-range request (small: a hash or number, a direction, a count). */
  blocksRequestBytes: number;
  /** A block-range response; Substrate caps block responses at 16 MiB. */
  blocksResponseBytes: number;
  justificationRequestBytes: number;
  justificationResponseBytes: number;
  catchUpRequestBytes: number;
  catchUpResponseBytes: number;
  /** Gossip on the blocks topic (one encoded block or announcement). */
  gossipBlocksBytes: number;
  /** Gossip on the transactions topic. */
  gossipTransactionsBytes: number;
  /** Gossip on the finality topic (votes, commits). */
  gossipFinalityBytes: number;
  /** Any other topic unless `subscribe`/`publish` name their own limit. */
  gossipDefaultBytes: number;
}

export interface P2pOptions {
  /** 32-byte ed25519 secret; a fresh random key (a new peer id on every start) when absent. */
  nodeKey?: Uint8Array;
  /** Listen multiaddrs; when empty, `/ip4/0.0.0.0/tcp/<port>`. */
  listenAddrs: string[];
  /** Substrate's `--port`, used only when `listenAddrs` is empty. */
  port: number;
  /** Extra addresses announced to peers (`--public-addr`). */
  publicAddrs: string[];
  /** Multiaddrs ending in `/p2p/<peer id>` dialled at start and whenever the node has too few peers. */
  bootnodes: string[];
  /** Multiaddrs ending in `/p2p/<peer id>` kept connected and redialled after a drop; never banned. */
  reservedNodes: string[];
  /** Accept connections only from reserved nodes (Substrate's `--reserved-only`). */
  reservedOnly: boolean;
  /** Keep private and loopback addresses in the DHT (Substrate's `--allow-private-ip`, on for dev chains). */
  allowPrivateAddresses: boolean;
  /** Substrate's `--in-peers` + `--out-peers`: libp2p prunes connections above this. */
  maxPeers: number;
  /** Below this many connected peers the host dials bootnodes and the peers the DHT discovers (Substrate's `--out-peers`). */
  minPeers: number;
  /** Roles announced in the status handshake. */
  roles: Array<"full" | "light" | "authority">;
  /** Run the Kademlia DHT (on by default; tests of other things may turn it off). */
  enableDht: boolean;
  limits: P2pLimits;
  /** Outbound request deadline, also the deadline of an inbound request's whole exchange. */
  requestTimeoutMs: number;
  /** At most this many inbound requests (all request protocols) in flight per peer; more are reset. */
  maxInboundRequestsPerPeer: number;
  /** A block-range response carries at most this many blocks (Substrate: 128). */
  maxBlocksPerResponse: number;
  /** A peer whose reputation falls below this is disconnected and banned (Substrate: 71% of i32::MIN). */
  banThreshold: number;
  /** How long a banned peer's connections are refused. */
  banDurationMs: number;
  /** Reputation decays towards zero by this fraction each second (Substrate: 1/50). */
  reputationDecayPerSecond: number;
  /** Period of the tick that redials reserved nodes and bootnodes. */
  maintenanceIntervalMs: number;
  /** First delay before redialling a dropped reserved node; doubles on failure up to 30 s. */
  reservedReconnectDelayMs: number;
}

export const MiB = 1024 * 1024;

export const defaultP2pLimits: P2pLimits = {
  statusBytes: 1024,
  blocksRequestBytes: 1024,
  blocksResponseBytes: 16 * MiB,
  justificationRequestBytes: 1024,
  justificationResponseBytes: 1 * MiB,
  catchUpRequestBytes: 1024,
  catchUpResponseBytes: 1 * MiB,
  gossipBlocksBytes: 4 * MiB,
  gossipTransactionsBytes: 1 * MiB,
  gossipFinalityBytes: 256 * 1024,
  gossipDefaultBytes: 1 * MiB,
};

export const defaultP2pOptions: P2pOptions = {
  listenAddrs: [],
  port: 30333,
  publicAddrs: [],
  bootnodes: [],
  reservedNodes: [],
  reservedOnly: false,
  allowPrivateAddresses: false,
  maxPeers: 50,
  minPeers: 8,
  roles: ["full"],
  enableDht: true,
  limits: defaultP2pLimits,
  requestTimeoutMs: 20_000,
  maxInboundRequestsPerPeer: 8,
  maxBlocksPerResponse: 128,
  banThreshold: Math.trunc(0.71 * -(2 ** 31)),
  banDurationMs: 5 * 60_000,
  reputationDecayPerSecond: 1 / 50,
  maintenanceIntervalMs: 5_000,
  reservedReconnectDelayMs: 1_000,
};

/** Fills in defaults, `limits` merged field by field. */
export function withP2pDefaults(
  opts: Partial<Omit<P2pOptions, "limits">> & { limits?: Partial<P2pLimits> },
): P2pOptions {
  return { ...defaultP2pOptions, ...opts, limits: { ...defaultP2pLimits, ...opts.limits } };
}
