/**
 * Node keys in Substrate's manner: a 32-byte ed25519 secret gives the libp2p identity, so the same
 * secret always gives the same peer id (`12D3KooW…`).
 *
 * - `--node-key <hex>`: the secret as 64 hex characters (with or without `0x`).
 * - `--node-key-file <path>`: a file holding the secret as hex or as 32 raw bytes; created with mode
 *   0600 (raw bytes, like Substrate's `secret_ed25519`) when it does not exist.
 * - `devNodeKey("//Alice")`: blake2-256 of the seed string, so a devnet's bootnode ids are fixed.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import type { PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { blake2_256 } from "../primitives/hashing.js";
import { P2pError } from "./errors.js";

export const NODE_KEY_BYTES = 32;

/** Parses `--node-key`: 64 hex characters, optionally `0x`-prefixed. */
export function parseNodeKey(hex: string): Uint8Array {
  const body = hex.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(body)) {
    throw new P2pError({ code: "P2P_ERROR_INVALID_NODE_KEY", reason: "expected 32 bytes as 64 hex characters" });
  }
  return new Uint8Array(Buffer.from(body, "hex"));
}

/** The libp2p private key of a node key. */
export async function privateKeyFromNodeKey(secret: Uint8Array): Promise<PrivateKey> {
  if (secret.length !== NODE_KEY_BYTES) {
    throw new P2pError({ code: "P2P_ERROR_INVALID_NODE_KEY", reason: `expected 32 bytes, got ${secret.length}` });
  }
  return generateKeyPairFromSeed("Ed25519", secret);
}

/** The peer id of a node key; deterministic. */
export async function peerIdFromNodeKey(secret: Uint8Array): Promise<PeerId> {
  return peerIdFromPrivateKey(await privateKeyFromNodeKey(secret));
}

/** A development node key: blake2-256 of the seed string (e.g. `"//Alice"`). Never for a live network. */
export function devNodeKey(seed: string): Uint8Array {
  return blake2_256(new TextEncoder().encode(seed));
}

/** A fresh random node key. */
export function generateNodeKey(): Uint8Array {
  return new Uint8Array(randomBytes(NODE_KEY_BYTES));
}

/**
 * Reads the node key in `path` (hex or 32 raw bytes); when the file does not exist, creates it with a
 * fresh key, raw bytes, mode 0600, creating the folder too.
 */
export function loadOrCreateNodeKeyFile(path: string): Uint8Array {
  if (existsSync(path)) return readNodeKeyFile(path);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = generateNodeKey();
  writeFileSync(path, key, { mode: 0o600, flag: "wx" });
  // The process umask cannot widen 0600, but make the mode exact in any case.
  chmodSync(path, 0o600);
  return key;
}

function readNodeKeyFile(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (raw.length === NODE_KEY_BYTES) return new Uint8Array(raw);
  const text = raw.toString("utf8").trim();
  try {
    return parseNodeKey(text);
  } catch {
    throw new P2pError({
      code: "P2P_ERROR_INVALID_NODE_KEY",
      reason: `${path} holds neither 32 raw bytes nor 64 hex characters`,
    });
  }
}

/**
 * The node key from the flags, in Substrate's order: `--node-key`, then `--node-key-file`, then the
 * default file (Substrate's `<base>/chains/<id>/network/secret_ed25519`), else a fresh ephemeral key.
 */
export function resolveNodeKey(flags: { nodeKey?: string; nodeKeyFile?: string; defaultNodeKeyFile?: string }): {
  key: Uint8Array;
  source: "flag" | "file" | "default-file" | "ephemeral";
} {
  if (flags.nodeKey !== undefined) return { key: parseNodeKey(flags.nodeKey), source: "flag" };
  if (flags.nodeKeyFile !== undefined) return { key: loadOrCreateNodeKeyFile(flags.nodeKeyFile), source: "file" };
  if (flags.defaultNodeKeyFile !== undefined) {
    return { key: loadOrCreateNodeKeyFile(flags.defaultNodeKeyFile), source: "default-file" };
  }
  return { key: generateNodeKey(), source: "ephemeral" };
}
