/**
 * Protocol ids and gossip topic names. Every name carries the chain id — the first 8 bytes of the
 * genesis hash in hex — so nodes of different chains never speak to each other's handlers, DHT or topics.
 */
import type { P2pLimits } from "./options.js";

/** The first 8 bytes of the genesis hash as 16 lowercase hex characters (no `0x`). */
export function chainId(genesisHash: Uint8Array): string {
  if (genesisHash.length < 8) throw new TypeError("genesis hash shorter than 8 bytes");
  return Buffer.from(genesisHash.subarray(0, 8)).toString("hex");
}

export interface ProtocolIds {
  status: string;
  blocks: string;
  justifications: string;
  /** GRANDPA catch-up: the votes of a peer's recent rounds, asked for by a voter that fell behind. */
  catchUp: string;
  kad: string;
}

export function protocolIds(genesisHash: Uint8Array): ProtocolIds {
  const prefix = `/tensorchain/${chainId(genesisHash)}`;
  return {
    status: `${prefix}/status/1`,
    blocks: `${prefix}/sync/blocks/1`,
    justifications: `${prefix}/sync/justifications/1`,
    catchUp: `${prefix}/grandpa/catch-up/1`,
    kad: `${prefix}/kad/1.0.0`,
  };
}

/** A topic name for this chain: `/tensorchain/<chain id>/<name>/1`; per-job topics use names like `job/<id>`. */
export function topicName(genesisHash: Uint8Array, name: string): string {
  return `/tensorchain/${chainId(genesisHash)}/${name}/1`;
}

export interface ChainTopics {
  blocks: string;
  transactions: string;
  finality: string;
}

export function chainTopics(genesisHash: Uint8Array): ChainTopics {
  return {
    blocks: topicName(genesisHash, "blocks"),
    transactions: topicName(genesisHash, "transactions"),
    finality: topicName(genesisHash, "finality"),
  };
}

/** The size limit of a chain topic, or the default for any other. */
export function topicLimit(topics: ChainTopics, limits: P2pLimits, topic: string): number {
  if (topic === topics.blocks) return limits.gossipBlocksBytes;
  if (topic === topics.transactions) return limits.gossipTransactionsBytes;
  if (topic === topics.finality) return limits.gossipFinalityBytes;
  return limits.gossipDefaultBytes;
}
