/**
 * The node's one libp2p node, built before the services that share it: the p2p host (chain protocols,
 * gossip) and the content store (Helia's bitswap). Built from the p2p module's `buildLibp2pOptions`
 * with the reputation store the host's connection gater and peer reports share, and kad-dht's validator
 * and selector for the workers' capability records (`/tensorchain-worker/…`, `node/jobs/capabilityRecord.ts`). Not started: the node
 * starts it once every service has registered its protocol handlers, and stops it after them.
 */
import type { Libp2p } from "@libp2p/interface";
import { createLibp2p } from "libp2p";
import {
  buildLibp2pOptions,
  generateNodeKey,
  type P2pOptions,
  type P2pServices,
  PeerScoreStore,
  parsePeerMultiaddr,
  privateKeyFromNodeKey,
} from "../../p2p/index.js";
import { capabilityRecordDhtOptions } from "../jobs/capabilityRecord.js";

export interface NetworkLibp2p {
  libp2p: Libp2p<P2pServices>;
  /** The reputation store of the connection gater; the p2p host must be given the same one. */
  scores: PeerScoreStore;
}

export async function createNetworkLibp2p(
  opts: P2pOptions,
  genesisHash: Uint8Array,
  /** TEST ONLY (`--dev-chaos`): peers the connection gater also refuses. */
  testDenyPeer?: (peerId: string) => boolean,
): Promise<NetworkLibp2p> {
  const scores = PeerScoreStore.fromP2pOptions(opts);
  const reservedPeerIds = new Set(opts.reservedNodes.map((addr) => parsePeerMultiaddr(addr).peerId.toString()));
  const privateKey = await privateKeyFromNodeKey(opts.nodeKey ?? generateNodeKey());
  const libp2p = await createLibp2p(
    buildLibp2pOptions(opts, {
      privateKey,
      genesisHash,
      scores,
      reservedPeerIds,
      dhtRecords: capabilityRecordDhtOptions,
      testDenyPeer,
    }),
  );
  return { libp2p, scores };
}
