/**
 * Admission's signature checks on the verifier threads: what is verified (the payload a block on the
 * validation block checks), what is cached (good signatures only), batching under load, and that
 * anything it cannot check is left to the runtime.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { signExtrinsic } from "../../../../node/extrinsicBuilder.js";
import { AdmissionSignatures } from "../../../../node/txpool/index.js";
import type { VerifyItem } from "../../../../node/verify/index.js";
import { CachedSignatureChecker, keypairFromSuri, verifySignature } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import {
  type CallValue,
  Ext,
  encodeCompact,
  initializeBlock,
  parseExtrinsic,
  signatureCheckFor,
} from "../../../../runtime/index.js";

beforeAll(async () => {
  await cryptoReady();
});

const genesisHash = new Uint8Array(32).fill(7);
const alice = keypairFromSuri("//Alice");
const call: CallValue = {
  tag: "Balances",
  value: {
    tag: "transfer_keep_alive",
    value: { dest: { tag: "Id", value: keypairFromSuri("//Bob").publicKey }, value: UNITS },
  },
};

/** A verifier that records its batches, and can be held or made to fail. */
function fakeVerifier(threads = 1) {
  const batches: VerifyItem[][] = [];
  let hold: Promise<void> = Promise.resolve();
  let fail = false;
  return {
    threads,
    batches,
    holdUntil(p: Promise<void>) {
      hold = p;
    },
    failNext() {
      fail = true;
    },
    async verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
      batches.push([...items]);
      await hold;
      if (fail) {
        fail = false;
        throw new Error("worker crashed");
      }
      return items.map((i) => verifySignature(i.scheme, i.signature, i.message, i.publicKey));
    },
  };
}

function setup(
  verifier = fakeVerifier(),
  hashAt: (n: number) => Promise<Uint8Array | undefined> = async () => undefined,
) {
  const cache = new CachedSignatureChecker();
  const admission = new AdmissionSignatures({ cache, verifier, genesisHash, hashAt, logger: nullLogger });
  return { cache, admission, verifier };
}

const cached = (cache: CachedSignatureChecker, item: VerifyItem) =>
  cache.has(item.scheme, item.signature, item.message, item.publicKey);

describe("AdmissionSignatures", () => {
  it("verifies what the runtime will check and caches good signatures, once", async () => {
    const { cache, admission, verifier } = setup();
    const tx = signExtrinsic(call, alice, { nonce: 0, genesisHash });
    await admission.preVerify(tx, { number: 5 });
    expect(verifier.batches).toHaveLength(1);
    const [item] = verifier.batches[0];
    expect(cached(cache, item)).toBe(true);
    // The runtime's own view of the payload is the same (a block at height 6).
    const ext = new Ext({ get: () => undefined, keys: function* () {} } as never, cache);
    initializeBlock(ext, { parentHash: new Uint8Array(32), number: 6, digest: [] });
    const runtimeItem = signatureCheckFor(ext, parseExtrinsic(tx), genesisHash)!;
    expect(runtimeItem.message).toEqual(item.message);
    // Known now: no second trip to the verifier.
    await admission.preVerify(tx, { number: 5 });
    expect(verifier.batches).toHaveLength(1);
  });

  it("does not cache a bad signature, and passes through what it cannot check", async () => {
    const { cache, admission, verifier } = setup();
    const tx = signExtrinsic(call, alice, { nonce: 1, genesisHash });
    const bad = tx.slice();
    bad[bad.length - 40] ^= 1; // inside the call: the signature no longer matches
    await admission.preVerify(bad, { number: 1 });
    expect(verifier.batches).toHaveLength(1);
    expect(cached(cache, verifier.batches[0][0])).toBe(false);
    // Garbage and unsigned extrinsics: nothing to verify here.
    await admission.preVerify(Uint8Array.of(1, 2, 3), { number: 1 });
    await admission.preVerify(Uint8Array.of(...encodeCompact(3), 0x04, 0x00, 0x00), { number: 1 });
    expect(verifier.batches).toHaveLength(1);
  });

  it("mortal transactions: verified against their birth block's hash, skipped when it is unknown", async () => {
    const birthHash = new Uint8Array(32).fill(9);
    const lookups: number[] = [];
    const { cache, admission, verifier } = setup(fakeVerifier(), async (n) => {
      lookups.push(n);
      return n === 8 ? birthHash : undefined;
    });
    const mortal = signExtrinsic(call, alice, {
      nonce: 2,
      genesisHash,
      mortality: { period: 64, current: 8, blockHash: birthHash },
    });
    await admission.preVerify(mortal, { number: 10 });
    expect(lookups).toEqual([8]);
    expect(cached(cache, verifier.batches[0][0])).toBe(true);
    const orphan = signExtrinsic(call, alice, {
      nonce: 3,
      genesisHash,
      mortality: { period: 64, current: 9, blockHash: birthHash },
    });
    await admission.preVerify(orphan, { number: 10 });
    expect(verifier.batches).toHaveLength(1);
  });

  it("batches what arrives while a batch is being verified, and survives a failed batch", async () => {
    const verifier = fakeVerifier(1);
    const { cache, admission } = setup(verifier);
    let release!: () => void;
    verifier.holdUntil(new Promise<void>((r) => (release = r)));
    const txs = Array.from({ length: 6 }, (_, nonce) => signExtrinsic(call, alice, { nonce, genesisHash }));
    const first = admission.preVerify(txs[0], { number: 1 });
    await new Promise((r) => setImmediate(r));
    const rest = txs.slice(1).map((tx) => admission.preVerify(tx, { number: 1 }));
    await new Promise((r) => setImmediate(r));
    expect(verifier.batches.map((b) => b.length)).toEqual([1]);
    expect(admission.stats.queued).toBe(5);
    verifier.failNext();
    release();
    await Promise.all([first, ...rest]);
    // The first batch failed (its transaction is left to the runtime); the other five went together.
    expect(verifier.batches.map((b) => b.length)).toEqual([1, 5]);
    expect(admission.stats).toMatchObject({ verified: 5, failedBatches: 1, queued: 0 });
    expect(cached(cache, verifier.batches[0][0])).toBe(false);
    expect(verifier.batches[1].every((i) => cached(cache, i))).toBe(true);
  });
});
