import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  CachedSignatureChecker,
  defaultSignatureChecker,
  keypairFromSuri,
  type SignatureChecker,
  sign,
} from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";

beforeAll(async () => {
  await cryptoReady();
});

function countingChecker(): SignatureChecker & { calls: number } {
  const c = {
    calls: 0,
    verify: (...args: Parameters<SignatureChecker["verify"]>) => {
      c.calls++;
      return defaultSignatureChecker.verify(...args);
    },
  };
  return c;
}

describe("CachedSignatureChecker", () => {
  const alice = keypairFromSuri("//Alice");
  const message = new TextEncoder().encode("payload");
  const sig = sign(alice, message);

  it("answers verified signatures from the cache without verifying again", () => {
    const inner = countingChecker();
    const checker = new CachedSignatureChecker({}, inner);
    expect(checker.verify("sr25519", sig, message, alice.publicKey)).toBe(true);
    expect(inner.calls).toBe(1);

    checker.add("sr25519", sig, message, alice.publicKey);
    expect(checker.verify("sr25519", sig, message, alice.publicKey)).toBe(true);
    expect(checker.verify("sr25519", sig.slice(), message.slice(), alice.publicKey.slice())).toBe(true);
    expect(inner.calls).toBe(1);
    expect(checker.stats).toEqual({ hits: 2, misses: 1, size: 1 });
  });

  it("misses, and verifies for real, when any part differs", () => {
    const inner = countingChecker();
    const checker = new CachedSignatureChecker({}, inner);
    checker.add("sr25519", sig, message, alice.publicKey);
    const other = message.slice();
    other[0] ^= 1;
    expect(checker.verify("sr25519", sig, other, alice.publicKey)).toBe(false);
    expect(checker.verify("ed25519", sig, message, alice.publicKey)).toBe(false);
    expect(checker.verify("sr25519", sig, message, keypairFromSuri("//Bob").publicKey)).toBe(false);
    expect(inner.calls).toBe(3);
    expect(checker.stats.hits).toBe(0);
  });

  it("keeps at most `capacity` entries, dropping the oldest", () => {
    const checker = new CachedSignatureChecker({ capacity: 2 });
    const msgs = [1, 2, 3].map((i) => new Uint8Array([i]));
    const sigs = msgs.map((m) => sign(alice, m));
    msgs.forEach((m, i) => {
      checker.add("sr25519", sigs[i], m, alice.publicKey);
    });
    expect(checker.size).toBe(2);
    expect(checker.has("sr25519", sigs[0], msgs[0], alice.publicKey)).toBe(false);
    expect(checker.has("sr25519", sigs[2], msgs[2], alice.publicKey)).toBe(true);
    checker.clear();
    expect(checker.size).toBe(0);
  });
});
