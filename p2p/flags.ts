/**
 * Substrate-style network flags to `P2pOptions`:
 * `--port` (30333), `--listen-addr`, `--public-addr`, `--bootnodes`, `--reserved-nodes`,
 * `--reserved-only`, `--node-key`, `--node-key-file`, `--allow-private-ip`, `--in-peers`/`--out-peers`.
 * Multiaddrs are checked here, so a bad flag fails at start with `P2P_ERROR_INVALID_MULTIADDR`.
 */
import { parseMultiaddr, parsePeerMultiaddr } from "./multiaddrs.js";
import { resolveNodeKey } from "./nodeKey.js";
import { defaultP2pOptions, type P2pOptions, withP2pDefaults } from "./options.js";

export interface P2pFlags {
  port?: number | string;
  listenAddr?: string[];
  publicAddr?: string[];
  bootnodes?: string[];
  reservedNodes?: string[];
  reservedOnly?: boolean;
  nodeKey?: string;
  nodeKeyFile?: string;
  allowPrivateIp?: boolean;
  inPeers?: number | string;
  outPeers?: number | string;
}

export interface P2pFlagDefaults {
  /** Substrate's `<base>/chains/<id>/network/secret_ed25519`, used without `--node-key(-file)`. */
  defaultNodeKeyFile?: string;
  /** On for dev and local chains, as in Substrate. */
  allowPrivateIp?: boolean;
  roles?: P2pOptions["roles"];
}

/** Splits list flags given as repeated values or as one whitespace/comma separated string. */
function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v.length > 0);
}

function int(name: string, v: number | string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`--${name} must be a non-negative integer, got ${v}`);
  return n;
}

export function p2pOptionsFromFlags(flags: P2pFlags, defaults: P2pFlagDefaults = {}): P2pOptions {
  const port = int("port", flags.port, defaultP2pOptions.port);
  if (port > 65535) throw new TypeError(`--port must be at most 65535, got ${port}`);
  const listenAddrs = list(flags.listenAddr);
  const publicAddrs = list(flags.publicAddr);
  for (const a of [...listenAddrs, ...publicAddrs]) parseMultiaddr(a);
  const bootnodes = list(flags.bootnodes);
  const reservedNodes = list(flags.reservedNodes);
  for (const a of [...bootnodes, ...reservedNodes]) parsePeerMultiaddr(a);
  const { key } = resolveNodeKey({
    nodeKey: flags.nodeKey,
    nodeKeyFile: flags.nodeKeyFile,
    defaultNodeKeyFile: defaults.defaultNodeKeyFile,
  });
  const inPeers = int("in-peers", flags.inPeers, 32);
  const outPeers = int("out-peers", flags.outPeers, 8);
  return withP2pDefaults({
    nodeKey: key,
    port,
    listenAddrs,
    publicAddrs,
    bootnodes,
    reservedNodes,
    reservedOnly: flags.reservedOnly ?? false,
    allowPrivateAddresses: flags.allowPrivateIp ?? defaults.allowPrivateIp ?? false,
    maxPeers: inPeers + outPeers + reservedNodes.length,
    minPeers: outPeers,
    roles: defaults.roles ?? defaultP2pOptions.roles,
  });
}
