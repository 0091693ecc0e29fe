/**
 * Synchronous signature verification, safe to call from the runtime and from worker threads.
 *
 * - sr25519 through schnorrkel-wasm behind decoding guards (`sr25519Fast.ts`), about 1.8x per core the wasm
 *   build of schnorrkel in `@polkadot/wasm-crypto` (itself about 7x the pure-JS `@scure/sr25519` path
 *   that `@polkadot/util-crypto` uses). `@polkadot/wasm-crypto` stays as the reference verifier
 *   (`verifySr25519Reference`, selectable with `setSr25519Verifier`) and as the fallback if the fast
 *   one ever throws; it needs `await cryptoReady()` once per thread before its first call.
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
import { verifySr25519Fast } from "./sr25519Fast.js";
import {
  ECDSA_PUBLIC_KEY_LENGTH,
  ECDSA_SIGNATURE_LENGTH,
  type MultiSignature,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  type SignatureScheme,
} from "./types.js";

/** The sr25519 verifiers: the guarded schnorrkel-wasm one (default) and `@polkadot/wasm-crypto`'s. */
export type Sr25519Verifier = "schnorrkel-wasm" | "wasm-crypto";

let sr25519Verifier: Sr25519Verifier = "schnorrkel-wasm";
let sr25519FastFailures = 0;

/**
 * Selects this thread's sr25519 verifier (worker threads have their own; they use the default).
 * For benches and the equivalence tests; the two agree on every input.
 */
export function setSr25519Verifier(verifier: Sr25519Verifier): void {
  sr25519Verifier = verifier;
}

export function getSr25519Verifier(): Sr25519Verifier {
  return sr25519Verifier;
}

/** Times the fast verifier threw on this thread (and was replaced by the reference one); expected 0. */
export function sr25519FastVerifierFailures(): number {
  return sr25519FastFailures;
}

export function verifySr25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  checkLengths("sr25519", signature, publicKey);
  if (sr25519Verifier === "schnorrkel-wasm") {
    try {
      return verifySr25519Fast(signature, message, publicKey);
    } catch {
      // An input the guards missed panicked inside the wasm, whose instance may now be unsound:
      // this thread uses the reference verifier from now on, and answers this call with it.
      sr25519FastFailures++;
      sr25519Verifier = "wasm-crypto";
    }
  }
  return verifySr25519Reference(signature, message, publicKey);
}

/**
 * `@polkadot/wasm-crypto`'s sr25519 verification (the verifier before schnorrkel-wasm, kept as the
 * reference): any input, false for anything schnorrkel cannot decode. Throws
 * `SIGNATURE_ERROR_CRYPTO_NOT_READY` before `cryptoReady()`.
 */
export function verifySr25519Reference(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
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
