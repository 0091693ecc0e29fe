/**
 * The fast sr25519 verifier: schnorrkel compiled to wasm by `@polkadot-labs/schnorrkel-wasm`, 1.8x
 * `@polkadot/wasm-crypto`'s rate per core here (`npm run bench -- verify`), behind guards that make
 * it panic-free.
 *
 * Why guards: that build's `sr25519_verify` decodes its inputs with `.expect(...)`, so every input
 * schnorrkel refuses to decode panics inside wasm (a `RuntimeError: unreachable` in JS, a stack trace
 * on stderr) instead of returning false. A trap skips the Rust epilogues, so each panic also leaks the
 * arguments' heap and the shadow-stack frame: enough of them would corrupt the instance. We therefore
 * call it only with inputs schnorrkel decodes, checking the same rules it does:
 *
 * - public key: exactly 32 bytes that decode as a Ristretto255 point (`PublicKey::from_bytes` ->
 *   `CompressedRistretto::decompress`). RFC 9496 decoding, by `@noble/curves`, which rejects the same
 *   encodings: a field element >= p, a "negative" (odd) one, a non-square, or a negative/zero t.
 *   About half of random 32-byte strings fail. The answer is cached per key (senders repeat) in a
 *   bounded map.
 * - signature: exactly 64 bytes (`Signature::from_bytes`), with schnorrkel's marker bit (bit 7 of
 *   byte 63) set (`NotMarkedSchnorrkel` otherwise), and the scalar s (bytes 32..64, marker cleared)
 *   canonical, s < l (`check_scalar` -> `ScalarFormatError` otherwise).
 *
 * An input that fails a guard is simply not a valid signature: `@polkadot/wasm-crypto`, which maps
 * the same decode errors to `false`, returns false for it too. R (bytes 0..32) is never decoded by
 * schnorrkel's verification (it compares the recomputed R's encoding with it), so any R is safe.
 * Messages of any length are safe.
 *
 * `test/unit/primitives/sr25519Equivalence.test.ts` (and `npm run verify-equivalence` for long runs)
 * checks this verifier against `@polkadot/wasm-crypto` on valid, corrupted and malformed inputs.
 */
import { ristretto255 } from "@noble/curves/ed25519";
import { sr25519_verify as schnorrkelWasmVerify } from "@polkadot-labs/schnorrkel-wasm";

const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** The order l of the Ristretto255 group (and of ed25519's prime-order subgroup). */
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/** Bounded: an attacker sending many distinct keys costs evictions, not unbounded memory. */
export const SR25519_KEY_CACHE_MAX = 16_384;
const keyValidity = new Map<string, boolean>();

/**
 * True iff `publicKey` is 32 bytes that decode as a Ristretto255 point, i.e. iff schnorrkel's
 * `PublicKey::from_bytes` accepts it. Cached per key; never throws.
 */
export function isRistrettoPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return false;
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("latin1");
  const cached = keyValidity.get(id);
  if (cached !== undefined) return cached;
  const valid = isRistrettoKeyUncached(publicKey);
  if (keyValidity.size >= SR25519_KEY_CACHE_MAX) keyValidity.delete(keyValidity.keys().next().value as string);
  keyValidity.set(id, valid);
  return valid;
}

/** `isRistrettoPublicKey` without the cache (benches). */
export function isRistrettoKeyUncached(publicKey: Uint8Array): boolean {
  try {
    ristretto255.Point.fromBytes(publicKey);
    return true;
  } catch {
    return false;
  }
}

/**
 * True iff schnorrkel's `Signature::from_bytes` accepts `signature`: 64 bytes, the marker bit set,
 * and a canonical scalar (s < l once the marker bit is cleared). Never throws.
 */
export function isSchnorrkelSignatureEncoding(signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  const top = signature[63];
  if ((top & 0x80) === 0) return false;
  // Fast path, as in schnorrkel: with the top four bits of s clear, s < 2^252 < l.
  if ((top & 0x70) === 0) return true;
  let s = BigInt(top & 0x7f);
  for (let i = 62; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]);
  return s < GROUP_ORDER;
}

/**
 * Verifies an sr25519 signature (Substrate's "substrate" signing context) with schnorrkel-wasm.
 * Inputs of any length are accepted: anything that schnorrkel cannot decode is `false`. It throws only
 * if the wasm panics on an input the guards let through, which the equivalence tests say does not
 * happen; `verifySr25519` (verify.ts) nevertheless falls back to `@polkadot/wasm-crypto` if it does.
 */
export function verifySr25519Fast(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!isSchnorrkelSignatureEncoding(signature) || !isRistrettoPublicKey(publicKey)) return false;
  return schnorrkelWasmVerify(publicKey, message, signature);
}

/** Entries in this thread's public-key cache (tests and metrics). */
export function sr25519KeyCacheSize(): number {
  return keyValidity.size;
}
