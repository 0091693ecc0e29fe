/**
 * The pool's workers run the compiled `dist/node/verify/verifyWorker.js` (jest's transform does not
 * apply inside worker threads): `npm test` builds first; when running jest directly, `npm run build`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { SignatureVerifierPool, VerifierPoolError, type VerifyItem } from "../../../../node/verify/index.js";
import {
  type KeyPair,
  keypairFromSuri,
  type SignatureScheme,
  sign,
  verifySignature,
  verifySr25519Reference,
} from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";

const pairs: Record<SignatureScheme, KeyPair[]> = { sr25519: [], ed25519: [] };

beforeAll(async () => {
  await cryptoReady();
  for (const scheme of ["sr25519", "ed25519"] as const) {
    for (const name of ["Alice", "Bob", "Charlie", "Dave"]) pairs[scheme].push(keypairFromSuri(`//${name}`, scheme));
  }
});

/** Item i: scheme alternates in runs; every `badEvery`-th item is broken in one of four ways. */
function makeItems(n: number, badEvery = 0): { items: VerifyItem[]; expected: boolean[] } {
  const items: VerifyItem[] = [];
  const expected: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const scheme: SignatureScheme = (i >> 2) % 2 === 0 ? "sr25519" : "ed25519";
    const pair = pairs[scheme][i % 4];
    const message = new Uint8Array(20 + (i % 200));
    new DataView(message.buffer).setUint32(0, i, true);
    let signature = sign(pair, message);
    let publicKey = pair.publicKey;
    let msg = message;
    const bad = badEvery > 0 && i % badEvery === badEvery - 1;
    if (bad) {
      switch (((i / badEvery) % 4) | 0) {
        case 0:
          signature = signature.slice();
          signature[7] ^= 0x40;
          break;
        case 1:
          msg = message.slice();
          msg[0] ^= 1;
          break;
        case 2:
          publicKey = pairs[scheme][(i + 1) % 4].publicKey;
          break;
        default:
          signature = new Uint8Array(64).fill(0xff);
      }
    }
    items.push({ scheme, signature, message: msg, publicKey });
    expected.push(!bad);
  }
  return { items, expected };
}

function workersOf(pool: SignatureVerifierPool): Worker[] {
  const slots = (pool as unknown as { slots: ({ worker: Worker } | null)[] }).slots;
  return slots.filter((s) => s !== null).map((s) => s!.worker);
}

const pools: SignatureVerifierPool[] = [];
function newPool(...args: ConstructorParameters<typeof SignatureVerifierPool>): SignatureVerifierPool {
  const pool = new SignatureVerifierPool(...args);
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe("SignatureVerifierPool", () => {
  it("gives the single-thread results, in order, on a mixed batch", async () => {
    const { items, expected } = makeItems(200, 3);
    const single = items.map((it) => verifySignature(it.scheme, it.signature, it.message, it.publicKey));
    expect(single).toEqual(expected);
    const pool = newPool({ threads: 2, maxBatch: 16 });
    expect(await pool.verifyBatch(items)).toEqual(expected);
  });

  it("answers inputs that would panic schnorrkel-wasm with false, as the reference does, and keeps serving", async () => {
    const alice = pairs.sr25519[0];
    const message = new TextEncoder().encode("guarded");
    const signature = sign(alice, message);
    const unmarked = signature.slice();
    unmarked[63] &= 0x7f;
    const highBitKey = alice.publicKey.slice();
    highBitKey[31] |= 0x80;
    // s + l: the same scalar, non-canonically encoded (s < 2^253 for sr25519 signatures, so it fits).
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(i === 63 ? signature[i] & 0x7f : signature[i]);
    s += 2n ** 252n + 27742317777372353535851937790883648493n;
    const malleated = signature.slice();
    for (let i = 32; i < 64; i++) malleated[i] = Number((s >> BigInt(8 * (i - 32))) & 0xffn);
    malleated[63] |= 0x80;
    const cases: [Uint8Array, Uint8Array][] = [
      [signature, alice.publicKey],
      [signature, new Uint8Array(32).fill(0xff)],
      [signature, highBitKey],
      [unmarked, alice.publicKey],
      [malleated, alice.publicKey],
      [new Uint8Array(64).fill(0xff), alice.publicKey],
      [signature, alice.publicKey],
    ];
    const items: VerifyItem[] = cases.map(([sig, key]) => ({
      scheme: "sr25519",
      signature: sig,
      message,
      publicKey: key,
    }));
    const expected = [true, false, false, false, false, false, true];
    expect(items.map((it) => verifySr25519Reference(it.signature, it.message, it.publicKey))).toEqual(expected);
    const pool = newPool({ threads: 1, maxBatch: 2 });
    expect(await pool.verifyBatch(items)).toEqual(expected);
    const { items: more, expected: moreExpected } = makeItems(40, 5);
    expect(await pool.verifyBatch(more)).toEqual(moreExpected);
    expect(pool.liveWorkers).toBe(1);
  });

  it("verifies on the calling thread with threads = 0", async () => {
    const { items, expected } = makeItems(40, 5);
    const pool = newPool({ threads: 0 });
    expect(pool.liveWorkers).toBe(0);
    expect(await pool.verifyBatch(items)).toEqual(expected);
    expect(await pool.verifyBatch([])).toEqual([]);
  });

  it("splits a big batch over several threads, and runs batches concurrently", async () => {
    const { items, expected } = makeItems(3000, 97);
    const pool = newPool({ threads: 3, maxBatch: 128 });
    expect(pool.liveWorkers).toBe(3);
    const [a, b] = await Promise.all([pool.verifyBatch(items), pool.verifyBatch(items.slice(1000, 1500))]);
    expect(a).toEqual(expected);
    expect(b).toEqual(expected.slice(1000, 1500));
  });

  it("rejects malformed items with a typed error before any work", async () => {
    const { items } = makeItems(4);
    const pool = newPool({ threads: 1 });
    const short = [...items, { ...items[0], signature: items[0].signature.subarray(0, 63) }];
    await expect(pool.verifyBatch(short)).rejects.toMatchObject({
      type: { code: "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH" },
    });
    const badKey = [{ ...items[0], publicKey: new Uint8Array(33) }];
    await expect(pool.verifyBatch(badKey)).rejects.toMatchObject({
      type: { code: "SIGNATURE_ERROR_INVALID_PUBLIC_KEY_LENGTH" },
    });
  });

  it("close() terminates the workers and fails later batches", async () => {
    const pool = newPool({ threads: 2 });
    const workers = workersOf(pool);
    expect(workers).toHaveLength(2);
    await pool.verifyBatch(makeItems(40).items);
    const exits = workers.map((w) => new Promise<number>((resolve) => w.once("exit", resolve)));
    await pool.close();
    await Promise.all(exits);
    expect(pool.liveWorkers).toBe(0);
    await expect(pool.verifyBatch(makeItems(1).items)).rejects.toBeInstanceOf(VerifierPoolError);
    await expect(pool.verifyBatch(makeItems(1).items)).rejects.toMatchObject({
      type: { code: "VERIFIER_POOL_ERROR_CLOSED" },
    });
  });

  it("fails the batch of a crashed worker with a typed error, and replaces the worker", async () => {
    const pool = newPool({ threads: 1, maxBatch: 64 });
    const [worker] = workersOf(pool);
    const { items, expected } = makeItems(400);
    const batch = pool.verifyBatch(items);
    await worker.terminate(); // the worker dies under a pending batch
    await expect(batch).rejects.toMatchObject({ type: { code: "VERIFIER_POOL_ERROR_WORKER_CRASHED" } });
    expect(pool.liveWorkers).toBe(1);
    expect(workersOf(pool)[0]).not.toBe(worker);
    expect(await pool.verifyBatch(items)).toEqual(expected);
  });

  it("does not hang when workers cannot start, and stops replacing them", async () => {
    const script = join(mkdtempSync(join(tmpdir(), "verifier-")), "broken.mjs");
    writeFileSync(script, 'throw new Error("broken build");\n');
    const pool = newPool({ threads: 1, workerPath: script });
    const { items } = makeItems(2);
    await expect(pool.verifyBatch(items)).rejects.toMatchObject({
      type: { code: "VERIFIER_POOL_ERROR_WORKER_CRASHED", reason: expect.stringContaining("broken build") },
    });
    await expect(pool.verifyBatch(items)).rejects.toBeInstanceOf(VerifierPoolError);
    await expect(pool.verifyBatch(items)).rejects.toBeInstanceOf(VerifierPoolError);
    expect(pool.liveWorkers).toBe(0);
    await expect(pool.verifyBatch(items)).rejects.toMatchObject({
      type: { code: "VERIFIER_POOL_ERROR_WORKER_CRASHED" },
    });
  });

  it("reports a missing worker script with a typed error", () => {
    expect(() => new SignatureVerifierPool({ threads: 1, workerPath: "/nonexistent/verifyWorker.js" })).toThrow(
      expect.objectContaining({ type: expect.objectContaining({ code: "VERIFIER_POOL_ERROR_WORKER_NOT_FOUND" }) }),
    );
  });
});
