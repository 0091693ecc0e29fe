/**
 * The p2p module: one libp2p host per node (TCP, noise, yamux, identify, ping, Kademlia, gossipsub,
 * request-response for status, block ranges and justifications), reputation with bans, Substrate-style
 * node keys and flags. It imports no chain code: the chain side plugs in through `P2pHandlers`.
 */
export { decodeStatus, encodeStatus } from "./codec.js";
export { P2pError, type P2pErrorType } from "./errors.js";
export { type P2pFlagDefaults, type P2pFlags, p2pOptionsFromFlags } from "./flags.js";
export { createP2pHost } from "./host.js";
export type {
  BlockData,
  BlockFields,
  BlockRef,
  BlocksDirection,
  BlocksRequest,
  ChainStatus,
  GossipHandler,
  GossipResult,
  GossipVerdict,
  JustificationRequest,
  P2pEvents,
  P2pHandlers,
  P2pHost,
  P2pModules,
  PeerInfo,
  PeerReport,
  PeerReportKind,
  Role,
  SubscribeOptions,
} from "./interface.js";
export {
  buildConnectionGater,
  buildLibp2pOptions,
  GOSSIP_FRAME_OVERHEAD_BYTES,
  type Libp2pOptionsContext,
  listenAddrsOf,
  type P2pServices,
} from "./libp2pOptions.js";
export { parseMultiaddr, parsePeerMultiaddr, peerIdStringOf } from "./multiaddrs.js";
export {
  devNodeKey,
  generateNodeKey,
  loadOrCreateNodeKeyFile,
  NODE_KEY_BYTES,
  parseNodeKey,
  peerIdFromNodeKey,
  privateKeyFromNodeKey,
  resolveNodeKey,
} from "./nodeKey.js";
export {
  defaultP2pLimits,
  defaultP2pOptions,
  MiB,
  type P2pLimits,
  type P2pOptions,
  withP2pDefaults,
} from "./options.js";
export {
  defaultReputationChanges,
  type PeerScoreOptions,
  PeerScoreStore,
  REPUTATION_FATAL,
  REPUTATION_MAX,
  REPUTATION_MIN,
} from "./peerScore.js";
export {
  type ChainTopics,
  chainId,
  chainTopics,
  type ProtocolIds,
  protocolIds,
  topicLimit,
  topicName,
} from "./protocols.js";
