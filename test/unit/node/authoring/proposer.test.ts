/**
 * Authoring under load: the proposer takes ready transactions only until its deadline (the slot worker's
 * proposing share of the slot), and never verifies again a signature that pool admission verified.
 */
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { propose } from "../../../../node/authoring/proposer.js";
import { SlotWorker, singleAuthorityClaim } from "../../../../node/authoring/slotWorker.js";
import type { Chain } from "../../../../node/chain/chain.js";
import { signExtrinsic } from "../../../../node/extrinsicBuilder.js";
import { AdmissionSignatures, chainValidator, TxPool, txHash } from "../../../../node/txpool/index.js";
import { SignatureVerifierPool } from "../../../../node/verify/index.js";
import {
  CachedSignatureChecker,
  defaultSignatureChecker,
  keypairFromSuri,
  type SignatureChecker,
  sign,
} from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import { closeChains, openChain } from "../chain/helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

afterEach(() => closeChains());

const alice = keypairFromSuri("//Alice");
const bob = keypairFromSuri("//Bob");

function transfers(chain: Chain, count: number): { hash: ReturnType<typeof txHash>; bytes: Uint8Array }[] {
  return Array.from({ length: count }, (_, nonce) => {
    const bytes = signExtrinsic(
      {
        tag: "Balances",
        value: { tag: "transfer_keep_alive", value: { dest: { tag: "Id", value: bob.publicKey }, value: UNITS } },
      },
      alice,
      { nonce, genesisHash: chain.genesisHash },
    );
    return { hash: txHash(bytes), bytes };
  });
}

/** A checker that counts the verifications that reach it. */
function counting(): SignatureChecker & { calls: number } {
  const c = {
    calls: 0,
    verify: (...args: Parameters<SignatureChecker["verify"]>) => {
      c.calls++;
      return defaultSignatureChecker.verify(...args);
    },
  };
  return c;
}

describe("proposer", () => {
  it("stops taking transactions once the deadline is reached, checking it before each one", async () => {
    const chain = await openChain();
    const txs = transfers(chain, 20);
    let handedOut = 0;
    let checks = 0;
    const p = propose(
      {
        parent: await chain.runtimeAt(chain.best.hash),
        timestamp: 1_000_000n,
        preDigest: [],
        deadlineReached: () => ++checks > 7,
      },
      {
        pool: {
          ready: function* () {
            for (const t of txs) {
              handedOut++;
              yield t;
            }
          },
          reportInvalid: () => {},
        },
        signatures: defaultSignatureChecker,
        genesisHash: chain.genesisHash,
        logger: nullLogger,
      },
    );
    expect(p.included).toEqual(txs.slice(0, 7).map((t) => t.hash));
    // The eighth was taken from the pool, found past the deadline, and not applied.
    expect(handedOut).toBe(8);
  });

  it("applies transactions admitted by the pool without verifying their signatures again", async () => {
    const inner = counting();
    const cache = new CachedSignatureChecker({}, inner);
    // The chain's runtime checks through the cache (as the node wires it); admission verifies off the
    // runtime's checker, here on the calling thread (0 verifier threads).
    const chain = await openChain(undefined, cache);
    const verifier = new SignatureVerifierPool({ threads: 0 });
    const admission = new AdmissionSignatures({
      cache,
      verifier,
      genesisHash: chain.genesisHash,
      hashAt: (n) => chain.hashAt(n),
      logger: nullLogger,
    });
    const pool = new TxPool(
      {},
      {
        logger: nullLogger,
        validate: chainValidator(chain, admission),
        bestBlock: () => ({ hash: chain.best.hashHex, number: chain.best.number }),
      },
    );
    const txs = transfers(chain, 30);
    for (const t of txs) await pool.submit("external", t.bytes);
    expect(pool.status().ready).toBe(30);
    expect(admission.stats.verified).toBe(30);
    expect(inner.calls).toBe(0);

    const p = propose(
      {
        parent: await chain.runtimeAt(chain.best.hash),
        timestamp: 1_000_000n,
        preDigest: [],
        deadlineReached: () => false,
      },
      { pool, signatures: cache, genesisHash: chain.genesisHash, logger: nullLogger },
    );
    expect(p.included).toHaveLength(30);
    expect(inner.calls).toBe(0);
  });
});

describe("slot worker", () => {
  it("takes transactions only until the proposing share of the slot is spent", async () => {
    const chain = await openChain();
    const txs = transfers(chain, 400);
    const SLOT_MS = 400;
    // Each transaction takes 5 ms to hand out: the pool holds more than half a slot's worth.
    const handouts: number[][] = [];
    const proposed: { included: string[]; hash: Uint8Array }[] = [];
    const worker = new SlotWorker(
      { slotDurationMs: SLOT_MS, finalityDelayMs: undefined, proposingShare: 0.5 },
      {
        chain,
        signatures: defaultSignatureChecker,
        genesisHash: chain.genesisHash,
        logger: nullLogger,
        now: () => Date.now(),
        claimSlot: singleAuthorityClaim({ publicKey: alice.publicKey, sign: (m) => sign(alice, m) }),
        pool: {
          ready: function* () {
            const times: number[] = [];
            handouts.push(times);
            for (const t of txs) {
              const until = Date.now() + 5;
              while (Date.now() < until) {}
              times.push(Date.now());
              yield t;
            }
          },
          reportInvalid: () => {},
        },
        onProposed: (included, block) => void proposed.push({ included, hash: block.hash }),
      },
    );
    worker.start();
    // A slot whose proposing started late (a cold process) takes nothing; the next one takes its share.
    const firstWithTransactions = () => proposed.findIndex((p) => p.included.length > 0);
    for (let i = 0; firstWithTransactions() < 0; i++) {
      if (i > 100 || proposed.length > 3) throw new Error("no block with transactions proposed");
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.stop();
    // Blocks before it included nothing, so every transaction was still valid when it was proposed.
    for (const [k, { included, hash }] of proposed.slice(0, firstWithTransactions() + 1).entries()) {
      const slotStart = Number((await chain.runtimeAt(hash)).timestamp());
      const deadline = slotStart + SLOT_MS * 0.5;
      const times = handouts[k];
      expect(included.length).toBeLessThan(txs.length);
      // Every included transaction was taken before the deadline; the next one, if any, after it.
      if (included.length > 0) expect(times[included.length - 1]).toBeLessThan(deadline);
      if (times.length > included.length) expect(times[included.length]).toBeGreaterThanOrEqual(deadline);
    }
  });
});
