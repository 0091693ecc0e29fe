/**
 * Synchronous signature verification, safe to call from the runtime and from worker threads.
 *
 * - sr25519 through the wasm build of schnorrkel (`@polkadot/wasm-crypto`), about 7x the pure-JS
 *   `@scure/sr25519` path that `@polkadot/util-crypto` uses. Needs `await cryptoReady()` once per
 *   thread before the first call.
 * - ed25519 through `node:crypto` (OpenSSL), with the public keys' `KeyObject`s cached.
 *
 * Contract: a signature, message or key of the right length that does not verify returns `false` and
 * never throws; a signature or key of the wrong length throws a `SignatureError` (that is a decoding
 * bug upstream, not a bad signature).
 */
import { createPublicKey, type KeyObject, verify as nodeVerify } from "node:crypto";
import { secp256k1Verify } from "@polkadot/util-crypto";
import { isReady as wasmIsReady, sr25519Verify as wasmSr25519Verify } from "@polkadot/wasm-crypto";
import { SignatureError } from "./errors.js";
import {
  ECDSA_PUBLIC_KEY_LENGTH,
  ECDSA_SIGNATURE_LENGTH,
  type MultiSignature,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  type SignatureScheme,
} from "./types.js";

export function verifySr25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  checkLengths("sr25519", signature, publicKey);
  try {
    // wasm-crypto's argument order: (signature, message, publicKey).
    return wasmSr25519Verify(signature, message, publicKey);
  } catch {
    if (!wasmIsReady()) throw new SignatureError({ code: "SIGNATURE_ERROR_CRYPTO_NOT_READY" });
    return false;
  }
}

export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  checkLengths("ed25519", signature, publicKey);
  try {
    return nodeVerify(null, message, ed25519KeyObject(publicKey), signature);
  } catch {
    // A key that is not a curve point, or a malformed signature encoding.
    return false;
  }
}

/**
 * Substrate's `MultiSignature::Ecdsa`: a 65-byte recoverable secp256k1 signature over
 * blake2-256(message), checked against a 33-byte compressed public key.
 */
export function verifyEcdsa(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ECDSA_SIGNATURE_LENGTH) {
    throw new SignatureError({
      code: "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH",
      scheme: "ecdsa",
      length: signature.length,
      expected: ECDSA_SIGNATURE_LENGTH,
    });
  }
  if (publicKey.length !== ECDSA_PUBLIC_KEY_LENGTH) {
    throw new SignatureError({
      code: "SIGNATURE_ERROR_INVALID_PUBLIC_KEY_LENGTH",
      scheme: "ecdsa",
      length: publicKey.length,
      expected: ECDSA_PUBLIC_KEY_LENGTH,
    });
  }
  try {
    return secp256k1Verify(message, signature, publicKey, "blake2");
  } catch {
    return false;
  }
}

/** Verifies with the named scheme; throws `SIGNATURE_ERROR_UNKNOWN_SCHEME` for any other name. */
export function verifySignature(
  scheme: SignatureScheme,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  switch (scheme) {
    case "sr25519":
      return verifySr25519(signature, message, publicKey);
    case "ed25519":
      return verifyEd25519(signature, message, publicKey);
    default:
      throw new SignatureError({ code: "SIGNATURE_ERROR_UNKNOWN_SCHEME", scheme: String(scheme) });
  }
}

export function verifyMultiSignature(sig: MultiSignature, message: Uint8Array, publicKey: Uint8Array): boolean {
  return verifySignature(sig.type, sig.bytes, message, publicKey);
}

function checkLengths(scheme: SignatureScheme, signature: Uint8Array, publicKey: Uint8Array): void {
  if (signature.length !== SIGNATURE_LENGTH) {
    throw new SignatureError({
      code: "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH",
      scheme,
      length: signature.length,
      expected: SIGNATURE_LENGTH,
    });
  }
  if (publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new SignatureError({
      code: "SIGNATURE_ERROR_INVALID_PUBLIC_KEY_LENGTH",
      scheme,
      length: publicKey.length,
      expected: PUBLIC_KEY_LENGTH,
    });
  }
}

/** DER prefix of an SPKI-wrapped raw Ed25519 public key (RFC 8410): SEQUENCE { AlgorithmIdentifier, BIT STRING }. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
/** Bounded: an attacker sending many distinct keys costs a map reset, not unbounded memory. */
const ED25519_KEY_CACHE_MAX = 8192;
const ed25519Keys = new Map<string, KeyObject>();

function ed25519KeyObject(publicKey: Uint8Array): KeyObject {
  const raw = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength);
  const id = raw.toString("latin1");
  let key = ed25519Keys.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
    if (ed25519Keys.size >= ED25519_KEY_CACHE_MAX) ed25519Keys.delete(ed25519Keys.keys().next().value as string);
    ed25519Keys.set(id, key);
  }
  return key;
}
