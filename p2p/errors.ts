import { TensorchainError } from "../primitives/errors.js";

/** Failures of the p2p host, each with a machine-readable code. */
export type P2pErrorType =
  /** A frame or gossip message above the limit for its protocol or topic; nothing was decoded. */
  | { code: "P2P_ERROR_OVERSIZED"; protocol: string; size: number; limit: number }
  /** A frame that did not decode to the expected message shape. */
  | { code: "P2P_ERROR_INVALID_MESSAGE"; protocol: string; reason: string }
  /** No answer within the request deadline. */
  | { code: "P2P_ERROR_TIMEOUT"; protocol: string; peerId: string }
  /** The remote answered with an error (its handler failed or it refused the request). */
  | { code: "P2P_ERROR_REMOTE"; protocol: string; peerId: string; reason: string }
  /** The stream could not be opened or broke before the answer. */
  | { code: "P2P_ERROR_STREAM"; protocol: string; peerId: string; reason: string }
  /** The peer is on another chain. */
  | { code: "P2P_ERROR_GENESIS_MISMATCH"; peerId: string }
  /** A node key that is not 32 bytes of hex or raw bytes. */
  | { code: "P2P_ERROR_INVALID_NODE_KEY"; reason: string }
  /** A multiaddr flag that does not parse, or lacks a `/p2p/<id>` where one is needed. */
  | { code: "P2P_ERROR_INVALID_MULTIADDR"; addr: string; reason: string }
  /** The host is not started. */
  | { code: "P2P_ERROR_NOT_STARTED" };

export class P2pError extends TensorchainError<P2pErrorType> {}
