/**
 * The pool on a real chain through the node's wiring (`followChain`): forks built in-process, and the
 * watcher statuses of transactions across reorgs on import and on finality. Every included transaction
 * hears `inBlock` for each best-chain block that holds it, `retracted` when that block leaves, then
 * `finalized` or `invalid`.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { propose } from "../../../node/authoring/proposer.js";
import { blockRef, Chain } from "../../../node/chain/chain.js";
import type { BlockRef } from "../../../node/chain/types.js";
import { ChainDb } from "../../../node/db/chainDb.js";
import { signExtrinsic } from "../../../node/extrinsicBuilder.js";
import {
  chainValidator,
  followChain,
  type TransactionStatus,
  TxPool,
  type TxWatcher,
  txHash,
} from "../../../node/txpool/index.js";
import { defaultSignatureChecker, keypairFromSuri } from "../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { compareBytes, toHex } from "../../../primitives/hex.js";
import { nullLogger } from "../../../primitives/logger.js";
import { UNITS } from "../../../runtime/constants.js";
import { buildGenesisStorage } from "../../../runtime/index.js";

const dbs: ChainDb[] = [];

beforeAll(async () => {
  await cryptoReady();
});

afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
});

const pair = (name: string) => keypairFromSuri(`//${name}`);

async function setup() {
  const db = await ChainDb.open(join(mkdtempSync(join(tmpdir(), "tc-reorg-pool-")), "db"));
  dbs.push(db);
  const chain = await Chain.open(
    { db, logger: nullLogger, signatures: defaultSignatureChecker },
    buildGenesisStorage({ balances: ["Alice", "Bob", "Charlie"].map((n) => [pair(n).publicKey, 1000n * UNITS]) }),
  );
  const pool = new TxPool(
    {},
    {
      logger: nullLogger,
      validate: chainValidator(chain),
      bestBlock: () => ({ hash: chain.best.hashHex, number: chain.best.number }),
    },
  );
  const stop = followChain(chain, pool);
  // sr25519 signatures are randomized: each transfer is signed once so that its hash stays the same.
  const signed = new Map<string, Uint8Array>();
  const transfer = (from: string, nonce: number, amount = 1n) => {
    const key = `${from}/${nonce}/${amount}`;
    if (!signed.has(key)) signed.set(key, sign(from, nonce, amount));
    return signed.get(key)!;
  };
  const sign = (from: string, nonce: number, amount: bigint) =>
    signExtrinsic(
      {
        tag: "Balances",
        value: {
          tag: "transfer_keep_alive",
          value: { dest: { tag: "Id", value: pair("Ferdie").publicKey }, value: amount * UNITS },
        },
      },
      pair(from),
      { nonce, genesisHash: chain.genesisHash },
    );

  /** Builds (without importing) a block on `parent` holding `txs`, `extraMs` after the earliest timestamp. */
  const build = async (parent: BlockRef, txs: Uint8Array[], extraMs = 0) => {
    const runtime = await chain.runtimeAt(parent.hash);
    const p = propose(
      {
        parent: runtime,
        timestamp: runtime.timestamp() + runtime.minimumBlockGap() + BigInt(extraMs),
        preDigest: [],
        deadlineReached: () => false,
      },
      {
        pool: { ready: () => txs.map((bytes) => ({ hash: txHash(bytes), bytes })), reportInvalid: () => {} },
        signatures: defaultSignatureChecker,
        genesisHash: chain.genesisHash,
        logger: nullLogger,
      },
    );
    expect(p.included).toHaveLength(txs.length);
    return p;
  };
  /** Builds and imports a block on `parent`; returns its ref. */
  const add = async (parent: BlockRef, txs: Uint8Array[], extraMs = 0): Promise<BlockRef> => {
    const p = await build(parent, txs, extraMs);
    return chain.importBlock({ header: p.header, extrinsics: p.extrinsics }, "network", { executed: p.state });
  };
  /** Waits for the pool to have handled every notification so far. */
  const settle = () => pool.close();
  return { chain, pool, stop, transfer, build, add, settle };
}

function collect(w: TxWatcher): TransactionStatus[] {
  const seen: TransactionStatus[] = [];
  w.on((s) => seen.push(s));
  return seen;
}

describe("transaction pool across reorgs on a real chain", () => {
  it("a reorg on import: inBlock for every enacted block, retracted for every retracted one, then finalized or invalid", async () => {
    const { chain, pool, transfer, build, add, settle } = await setup();
    const x = await pool.submitAndWatch("external", transfer("Alice", 0));
    const y = await pool.submitAndWatch("external", transfer("Bob", 0));
    const z = await pool.submitAndWatch("external", transfer("Charlie", 0));
    const [xs, ys, zs] = [x, y, z].map((t) => collect(t.watcher));
    const genesis = chain.best;

    // Branch A, best all along: a1 holds x, a2 holds z.
    const a1 = await add(genesis, [transfer("Alice", 0)]);
    const a2 = await add(a1, [transfer("Charlie", 0)]);
    await settle();
    expect(xs).toEqual(["ready", { inBlock: a1.hashHex }]);
    expect(zs).toEqual(["ready", { inBlock: a2.hashHex }]);

    // Branch B from genesis: b1 holds x, b2 holds y, b3 spends Charlie's nonce 0 with another transfer.
    const b1 = await add(genesis, [transfer("Alice", 0)], 1);
    // b2 ties a2 in length; the lower hash would win, so pick a timestamp that makes b2 lose.
    let extra = 0;
    let b2built = await build(b1, [transfer("Bob", 0)]);
    while (compareBytes(blockRef(b2built.header).hash, a2.hash) < 0)
      b2built = await build(b1, [transfer("Bob", 0)], ++extra);
    const b2 = await chain.importBlock({ header: b2built.header, extrinsics: b2built.extrinsics }, "network", {
      executed: b2built.state,
    });
    await settle();
    expect(chain.best.hashHex).toBe(a2.hashHex);
    expect(ys).toEqual(["ready"]);

    const b3 = await add(b2, [transfer("Charlie", 0, 2n)]);
    expect(chain.best.hashHex).toBe(b3.hashHex);
    await settle();
    expect(xs).toEqual(["ready", { inBlock: a1.hashHex }, { retracted: a1.hashHex }, { inBlock: b1.hashHex }]);
    // b2 was never the best block when imported: its transaction still hears inBlock.
    expect(ys).toEqual(["ready", { inBlock: b2.hashHex }]);
    expect(zs).toEqual(["ready", { inBlock: a2.hashHex }, { retracted: a2.hashHex }, "invalid"]);
    expect(pool.status()).toMatchObject({ ready: 0, future: 0 });

    await chain.finalize(b3.hash);
    await settle();
    expect(xs.at(-1)).toEqual({ finalized: b1.hashHex });
    expect(ys.at(-1)).toEqual({ finalized: b2.hashHex });
    expect([x, y, z].every((t) => t.watcher.done)).toBe(true);
  });

  it("a reorg by finality (another branch finalized): retracted, inBlock in the finalized branch, finalized", async () => {
    const { chain, pool, transfer, add, settle } = await setup();
    const x = await pool.submitAndWatch("external", transfer("Alice", 0));
    const w = await pool.submitAndWatch("external", transfer("Bob", 0));
    const [xs, ws] = [x, w].map((t) => collect(t.watcher));
    const genesis = chain.best;
    const a1 = await add(genesis, [transfer("Alice", 0)]);
    const a2 = await add(a1, [transfer("Bob", 0)]);
    const b1 = await add(genesis, [transfer("Alice", 0)], 1);
    await settle();
    expect(chain.best.hashHex).toBe(a2.hashHex);

    await chain.finalize(b1.hash);
    expect(chain.best.hashHex).toBe(b1.hashHex);
    await settle();
    expect(xs).toEqual([
      "ready",
      { inBlock: a1.hashHex },
      { retracted: a1.hashHex },
      { inBlock: b1.hashHex },
      { finalized: b1.hashHex },
    ]);
    // Bob's transfer left with a2 and is back in the pool, ready for the next block.
    expect(ws).toEqual(["ready", { inBlock: a2.hashHex }, { retracted: a2.hashHex }, "ready"]);
    expect(pool.has(w.hash)).toBe(true);
    const b2 = await add(b1, [transfer("Bob", 0)]);
    await chain.finalize(b2.hash);
    await settle();
    expect(ws.slice(4)).toEqual([{ inBlock: b2.hashHex }, { finalized: b2.hashHex }]);
    expect(toHex(b2.hash)).toBe(b2.hashHex);
  });

  it("a block extending the best reaches the pool once, and stopping the feed stops notifications", async () => {
    const { chain, pool, stop, transfer, add, settle } = await setup();
    const x = await pool.submitAndWatch("external", transfer("Alice", 0));
    const xs = collect(x.watcher);
    const a1 = await add(chain.best, [transfer("Alice", 0)]);
    await settle();
    expect(xs).toEqual(["ready", { inBlock: a1.hashHex }]);
    stop();
    await chain.finalize(a1.hash);
    await settle();
    expect(xs).toEqual(["ready", { inBlock: a1.hashHex }]);
  });
});
