/**
 * If schnorrkel-wasm ever panics on an input the guards let through, `verifySr25519` answers with
 * `@polkadot/wasm-crypto` and the thread stops using the fast verifier. Simulated by a module mock
 * whose verify traps like a wasm panic.
 */
import { beforeAll, describe, expect, it, jest } from "@jest/globals";

let calls = 0;
jest.unstable_mockModule("@polkadot-labs/schnorrkel-wasm", () => ({
  sr25519_verify: () => {
    calls++;
    // A wasm panic surfaces as `RuntimeError: unreachable`.
    throw new Error("unreachable");
  },
}));

type Crypto = typeof import("../../../../primitives/crypto/index.js");
let crypto: Crypto;

beforeAll(async () => {
  // test/setup.ts loaded the real modules: load them again, now with the mock. The @polkadot
  // packages warn that they see themselves twice (the reset registry); that is expected here.
  jest.resetModules();
  const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
  try {
    crypto = await import("../../../../primitives/crypto/index.js");
    await (await import("../../../../primitives/hashing.js")).cryptoReady();
  } finally {
    warn.mockRestore();
  }
});

describe("sr25519 fast verifier fallback", () => {
  it("answers a call whose wasm panicked with the reference verifier, then uses only the reference", () => {
    const alice = crypto.keypairFromSuri("//Alice");
    const message = new TextEncoder().encode("fallback");
    const signature = crypto.sign(alice, message);
    expect(crypto.getSr25519Verifier()).toBe("schnorrkel-wasm");

    expect(crypto.verifySr25519(signature, message, alice.publicKey)).toBe(true);
    expect(calls).toBe(1);
    expect(crypto.sr25519FastVerifierFailures()).toBe(1);
    expect(crypto.getSr25519Verifier()).toBe("wasm-crypto");

    expect(crypto.verifySr25519(signature, message, alice.publicKey)).toBe(true);
    expect(crypto.verifySr25519(signature, message.subarray(1), alice.publicKey)).toBe(false);
    expect(calls).toBe(1);
  });
});
