/** Multiaddr helpers for the address flags (`--bootnodes`, `--reserved-nodes`, `--listen-addr`, `--public-addr`). */
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { P2pError } from "./errors.js";

export function parseMultiaddr(addr: string): Multiaddr {
  try {
    return multiaddr(addr);
  } catch (err) {
    throw new P2pError({ code: "P2P_ERROR_INVALID_MULTIADDR", addr, reason: (err as Error).message });
  }
}

/** The `/p2p/<id>` of a multiaddr, if it has one. */
export function peerIdStringOf(ma: Multiaddr): string | undefined {
  const p2p = ma.getComponents().findLast((c) => c.name === "p2p");
  return p2p?.value;
}

/** A multiaddr that must name its peer (`…/p2p/12D3…`), as bootnodes and reserved nodes must. */
export function parsePeerMultiaddr(addr: string): { multiaddr: Multiaddr; peerId: PeerId } {
  const ma = parseMultiaddr(addr);
  const id = peerIdStringOf(ma);
  if (id === undefined) {
    throw new P2pError({ code: "P2P_ERROR_INVALID_MULTIADDR", addr, reason: "missing /p2p/<peer id>" });
  }
  try {
    return { multiaddr: ma, peerId: peerIdFromString(id) };
  } catch (err) {
    throw new P2pError({ code: "P2P_ERROR_INVALID_MULTIADDR", addr, reason: (err as Error).message });
  }
}
