import { beforeAll, describe, expect, it } from "@jest/globals";
import { CASE_KINDS, formatEquivalenceReport, runSr25519Equivalence } from "../../../../bench/sr25519Equivalence.js";
import {
  getSr25519Verifier,
  isRistrettoPublicKey,
  isSchnorrkelSignatureEncoding,
  keypairFromSuri,
  SignatureError,
  setSr25519Verifier,
  sign,
  sr25519FastVerifierFailures,
  sr25519KeyCacheSize,
  verifySignature,
  verifySr25519,
  verifySr25519Fast,
  verifySr25519Reference,
} from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { fromHex } from "../../../../primitives/hex.js";
import { thrownCode } from "../../../helpers/errors.js";

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

function le(x: bigint, n = 32): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** A 64-byte signature with the given R bytes and scalar, marker bit set. */
function withScalar(signature: Uint8Array, s: bigint): Uint8Array {
  const out = signature.slice();
  out.set(le(s), 32);
  out[63] |= 0x80;
  return out;
}

beforeAll(async () => {
  await cryptoReady();
});

describe("sr25519 fast verifier guards", () => {
  const alice = keypairFromSuri("//Alice");
  const bob = keypairFromSuri("//Bob");
  const message = new TextEncoder().encode("transfer 1 unit");
  const signature = sign(alice, message);

  it("verifies a valid signature and rejects a wrong message or key", () => {
    expect(verifySr25519Fast(signature, message, alice.publicKey)).toBe(true);
    expect(verifySr25519Fast(signature, message.subarray(1), alice.publicKey)).toBe(false);
    expect(verifySr25519Fast(signature, message, bob.publicKey)).toBe(false);
  });

  it("accepts exactly the Ristretto255 encodings (RFC 9496 test vectors), cached per key", () => {
    // Valid: the identity and the basepoint's first multiples (RFC 9496 A.1).
    for (const hex of [
      "0x0000000000000000000000000000000000000000000000000000000000000000",
      "0xe2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
      "0x6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    ])
      expect(isRistrettoPublicKey(fromHex(hex))).toBe(true);
    // Invalid (RFC 9496 A.2): non-canonical field elements, negative ones, non-squares.
    for (const hex of [
      "0x00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "0x0100000000000000000000000000000000000000000000000000000000000000",
      "0x01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "0x26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
      "0xf4a9ad4c8f65fa5e5ec8d2ae2d5ebbcecfc3498f4dce8b64dbac9706fd7d1a3a",
    ])
      expect(isRistrettoPublicKey(fromHex(hex))).toBe(false);
    // Wrong lengths are not keys.
    expect(isRistrettoPublicKey(new Uint8Array(31))).toBe(false);
    expect(isRistrettoPublicKey(new Uint8Array(33))).toBe(false);
    // Same key twice: one cache entry.
    const before = sr25519KeyCacheSize();
    const key = bob.publicKey.slice();
    isRistrettoPublicKey(key);
    isRistrettoPublicKey(key.slice());
    expect(sr25519KeyCacheSize() - before).toBeLessThanOrEqual(1);
  });

  it("rejects, without calling the wasm, every key schnorrkel cannot decode", () => {
    const highBit = alice.publicKey.slice();
    highBit[31] |= 0x80;
    let x = 0n;
    for (let i = 31; i >= 0; i--) x = (x << 8n) | BigInt(alice.publicKey[i]);
    const negated = le(P - x);
    for (const key of [highBit, negated, le(P), new Uint8Array(32).fill(0xff), new Uint8Array(31)]) {
      expect(isRistrettoPublicKey(key)).toBe(false);
      expect(verifySr25519Fast(signature, message, key)).toBe(false);
      expect(verifySr25519Reference(signature, message, key)).toBe(false);
    }
  });

  it("checks the marker bit and the scalar's range as schnorrkel's Signature::from_bytes does", () => {
    const unmarked = signature.slice();
    unmarked[63] &= 0x7f;
    expect(isSchnorrkelSignatureEncoding(signature)).toBe(true);
    expect(isSchnorrkelSignatureEncoding(unmarked)).toBe(false);
    expect(isSchnorrkelSignatureEncoding(signature.subarray(0, 63))).toBe(false);
    // Scalar boundaries: the fast path ends at 2^252; l - 1 is the largest canonical scalar.
    expect(isSchnorrkelSignatureEncoding(withScalar(signature, 2n ** 252n - 1n))).toBe(true);
    expect(isSchnorrkelSignatureEncoding(withScalar(signature, 2n ** 252n))).toBe(true);
    expect(isSchnorrkelSignatureEncoding(withScalar(signature, L - 1n))).toBe(true);
    expect(isSchnorrkelSignatureEncoding(withScalar(signature, L))).toBe(false);
    expect(isSchnorrkelSignatureEncoding(withScalar(signature, 2n ** 255n - 1n))).toBe(false);
    // The same signature with s + l in place of s: mathematically valid, refused by both.
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(i === 63 ? signature[i] & 0x7f : signature[i]);
    const malleated = withScalar(signature, s + L);
    for (const sig of [unmarked, malleated, new Uint8Array(64), new Uint8Array(64).fill(0xff), new Uint8Array(65)]) {
      expect(verifySr25519Fast(sig, message, alice.publicKey)).toBe(false);
      expect(verifySr25519Reference(sig, message, alice.publicKey)).toBe(false);
    }
  });

  it("verifySr25519 uses the fast verifier by default, the reference when selected, and keeps its length contract", () => {
    expect(getSr25519Verifier()).toBe("schnorrkel-wasm");
    expect(verifySr25519(signature, message, alice.publicKey)).toBe(true);
    expect(verifySignature("sr25519", signature, message, new Uint8Array(32).fill(0xff))).toBe(false);
    setSr25519Verifier("wasm-crypto");
    try {
      expect(verifySr25519(signature, message, alice.publicKey)).toBe(true);
      expect(verifySr25519(signature, message, bob.publicKey)).toBe(false);
    } finally {
      setSr25519Verifier("schnorrkel-wasm");
    }
    expect(thrownCode(() => verifySr25519(signature.subarray(1), message, alice.publicKey), SignatureError)).toBe(
      "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH",
    );
    expect(sr25519FastVerifierFailures()).toBe(0);
  });
});

describe("sr25519 verifier equivalence (schnorrkel-wasm vs @polkadot/wasm-crypto)", () => {
  it("agrees on 2,000 seeded cases of every kind, and nothing throws", async () => {
    const report = await runSr25519Equivalence(2_000, 17);
    if (report.mismatches + report.throws > 0) throw new Error(formatEquivalenceReport(report));
    expect(report.mismatches).toBe(0);
    expect(report.throws).toBe(0);
    for (const kind of CASE_KINDS) expect(report.byKind[kind].cases).toBeGreaterThanOrEqual(100);
    // Sanity of the case kinds: valid ones verify, corrupted ones mostly do not.
    expect(report.byKind.valid.accepted).toBe(report.byKind.valid.cases);
    expect(report.byKind["identity-key-forgery"].accepted).toBe(report.byKind["identity-key-forgery"].cases);
    for (const kind of ["marker-cleared", "scalar-plus-l", "scalar-out-of-range", "wrong-message"] as const)
      expect(report.byKind[kind].accepted).toBe(0);
    // Most random keys are not points: the guard, not the wasm, answers them.
    expect(report.byKind["random-key"].guarded).toBeGreaterThan(report.byKind["random-key"].cases / 2);
  });
});
