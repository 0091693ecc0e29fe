import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  rpcCodeOf,
  TxPoolError,
  type TxPoolReorg,
  toRpcErrorObject,
  txPoolOptionsFromCli,
} from "../../../../node/txpool/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { collect, readyOrder, setup, txHash, xt } from "./model.js";

beforeAll(async () => {
  await cryptoReady();
});

/** The JSON-RPC error the submission fails with. */
async function rpcError(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TxPoolError);
    return toRpcErrorObject(e as TxPoolError);
  }
  throw new Error("expected the submission to fail");
}

describe("TxPool: ready and future", () => {
  it("puts a transaction with a nonce gap in future, and promotes it when the gap is filled", async () => {
    const { pool } = setup();
    const a0 = await pool.submitAndWatch("external", xt("alice", 0));
    const a2 = await pool.submitAndWatch("external", xt("alice", 2));
    expect(pool.status()).toMatchObject({ ready: 1, future: 1 });
    expect(readyOrder(pool)).toEqual(["alice0"]);

    const a2seen = collect(a2.watcher);
    expect(a2seen).toEqual(["future"]);
    await pool.submit("external", xt("alice", 1));
    expect(pool.status()).toMatchObject({ ready: 3, future: 0 });
    expect(readyOrder(pool)).toEqual(["alice0", "alice1", "alice2"]);
    expect(a2seen).toEqual(["future", "ready"]);
    expect(collect(a0.watcher)).toEqual(["ready"]);
  });

  it("tells the network about every transaction that becomes ready, promoted ones included", async () => {
    const { pool } = setup();
    const ready: string[] = [];
    pool.onImported((h) => ready.push(h));
    await pool.submit("external", xt("alice", 2));
    await pool.submit("external", xt("alice", 1));
    expect(ready).toEqual([]);
    await pool.submit("external", xt("alice", 0));
    expect(ready).toEqual([txHash(xt("alice", 0)), txHash(xt("alice", 1)), txHash(xt("alice", 2))]);
  });

  it("orders by priority across senders while keeping each sender's nonce order", async () => {
    const { pool } = setup();
    await pool.submit("external", xt("alice", 0, 1));
    await pool.submit("external", xt("alice", 1, 100));
    await pool.submit("external", xt("bob", 0, 50));
    await pool.submit("external", xt("bob", 1, 10));
    await pool.submit("external", xt("charlie", 0, 20));
    await pool.submit("external", xt("dave", 0, 5));
    await pool.submit("external", xt("eve", 0, 5));
    expect(readyOrder(pool)).toEqual(["bob0", "charlie0", "bob1", "dave0", "eve0", "alice0", "alice1"]);
  });

  it("lists pending transactions: ready in block order, then future", async () => {
    const { pool } = setup();
    const txs = [xt("alice", 3), xt("bob", 0, 1), xt("alice", 0, 9), xt("carol", 5)];
    for (const t of txs) await pool.submit("external", t);
    expect(pool.pending()).toEqual([txs[2], txs[1], txs[0], txs[3]]);
  });
});

describe("TxPool: submission errors", () => {
  it("replaces a ready transaction only with a strictly higher tip, keeping its dependents", async () => {
    const { pool } = setup();
    const old = await pool.submitAndWatch("external", xt("alice", 0, 10));
    const oldSeen = collect(old.watcher);
    await pool.submit("external", xt("alice", 1, 10));

    expect(await rpcError(pool.submit("external", xt("alice", 0, 10, { memo: "same" })))).toEqual({
      code: 1014,
      message: "Priority is too low: (10 vs 10)",
      data: "The transaction has too low priority to replace another transaction already in the pool.",
    });
    expect((await rpcError(pool.submit("external", xt("alice", 0, 5)))).message).toBe("Priority is too low: (10 vs 5)");
    expect(pool.status().ready).toBe(2);

    const replacement = await pool.submit("external", xt("alice", 0, 11));
    expect(oldSeen).toEqual(["ready", { usurped: replacement }]);
    expect(old.watcher.done).toBe(true);
    expect(pool.has(old.hash)).toBe(false);
    expect([...pool.ready()].map((t) => t.hash)).toEqual([replacement, txHash(xt("alice", 1, 10))]);
  });

  it("refuses a duplicate with 1013", async () => {
    const { pool } = setup();
    const hash = await pool.submit("external", xt("alice", 0));
    const err = await rpcError(pool.submit("local", xt("alice", 0)));
    expect(err).toEqual({ code: 1013, message: "Transaction Already Imported", data: hash });
  });

  it("refuses an invalid transaction with 1010 and the reason, then bans it (1012) until the ban expires", async () => {
    const { pool, chain, clock } = setup({ banTimeMs: 60_000 });
    chain.badProof.add("mallory");
    const bad = xt("mallory", 0);
    expect(await rpcError(pool.submit("external", bad))).toEqual({
      code: 1010,
      message: "Invalid Transaction",
      data: "Transaction has a bad signature",
    });
    expect(pool.isBanned(txHash(bad))).toBe(true);

    chain.badProof.delete("mallory");
    const calls = chain.validate.mock.calls.length;
    expect(await rpcError(pool.submit("external", bad))).toEqual({
      code: 1012,
      message: "Transaction is temporarily banned",
    });
    expect(chain.validate.mock.calls.length).toBe(calls); // refused before validation

    clock.now += 59_999;
    expect((await rpcError(pool.submit("external", bad))).code).toBe(1012);
    clock.now += 1;
    await expect(pool.submit("external", bad)).resolves.toBe(txHash(bad));
  });

  it("uses sp-runtime's wording for each invalidity", async () => {
    const { pool, chain } = setup();
    chain.poor.add("bob");
    expect((await rpcError(pool.submit("external", xt("bob", 0)))).data).toBe(
      "Inability to pay some fees (e.g. account balance too low)",
    );
    chain.nonces.set("carol", 3);
    expect((await rpcError(pool.submit("external", xt("carol", 1)))).data).toBe("Transaction is outdated");

    const reasons = {
      call: "Transaction call is not expected",
      future: "Transaction will be valid in the future",
      ancientBirthBlock: "Transaction has an ancient birth block",
      exhaustsResources: "Transaction would exhaust the block limits",
      badSigner: "Invalid signing address",
    } as const;
    for (const [reason, data] of Object.entries(reasons)) {
      const err = new TxPoolError({ code: "TXPOOL_ERROR_INVALID_TRANSACTION", hash: "0x00", reason: reason as never });
      expect(toRpcErrorObject(err)).toEqual({ code: 1010, message: "Invalid Transaction", data });
    }
    const custom = new TxPoolError({
      code: "TXPOOL_ERROR_INVALID_TRANSACTION",
      hash: "0x00",
      reason: "custom",
      custom: 7,
    });
    expect(toRpcErrorObject(custom).data).toBe("Custom error: 7");
    expect(rpcCodeOf(new Error("x"))).toBeUndefined();
  });

  it("refuses unknown validity with 1011 without banning", async () => {
    const { pool, chain } = setup();
    chain.unknown.add("dave");
    const t = xt("dave", 0);
    expect(await rpcError(pool.submit("external", t))).toEqual({
      code: 1011,
      message: "Unknown Transaction Validity",
      data: "CannotLookup",
    });
    chain.unknown.delete("dave");
    await expect(pool.submit("external", t)).resolves.toBe(txHash(t));
  });

  it("refuses an oversized transaction without calling the runtime", async () => {
    const { pool, chain } = setup({ maxTxBytes: 100 });
    const err = await rpcError(pool.submit("external", xt("alice", 0, 0, { pad: 200 })));
    expect(err.code).toBe(1010);
    expect(err.data).toBe("Transaction would exhaust the block limits");
    expect(chain.validate).not.toHaveBeenCalled();
  });
});

describe("TxPool: limits", () => {
  it("drops the lowest priority when the ready count is exceeded, and refuses a newcomer that would be dropped", async () => {
    const { pool } = setup({ ready: { count: 3, totalBytes: 1 << 20 } });
    const low = await pool.submitAndWatch("external", xt("a", 0, 1));
    const lowSeen = collect(low.watcher);
    await pool.submit("external", xt("b", 0, 5));
    await pool.submit("external", xt("c", 0, 7));
    await pool.submit("external", xt("d", 0, 3));
    expect(pool.status().ready).toBe(3);
    expect(lowSeen).toEqual(["ready", "dropped"]);
    expect(pool.has(low.hash)).toBe(false);

    const worse = xt("e", 0, 0);
    expect(await rpcError(pool.submit("external", worse))).toEqual({
      code: 1016,
      message: "Immediately Dropped",
      data: "The transaction couldn't enter the pool because of the limit",
    });
    expect(readyOrder(pool)).toEqual(["c0", "b0", "d0"]);
    // Dropped by the limits means banned, as in Substrate.
    expect((await rpcError(pool.submit("external", worse))).code).toBe(1012);
  });

  it("drops by bytes too, taking the dropped transaction's dependents along", async () => {
    const one = xt("a", 0, 1, { pad: 1000 }).length;
    const { pool } = setup({ ready: { count: 100, totalBytes: Math.floor(one * 3.5) } });
    const a0 = await pool.submitAndWatch("external", xt("a", 0, 1, { pad: 1000 }));
    const a1 = await pool.submitAndWatch("external", xt("a", 1, 50, { pad: 1000 }));
    const a0seen = collect(a0.watcher);
    const a1seen = collect(a1.watcher);
    await pool.submit("external", xt("b", 0, 5, { pad: 1000 }));
    await pool.submit("external", xt("c", 0, 5, { pad: 1000 }));
    expect(a0seen).toEqual(["ready", "dropped"]);
    expect(a1seen).toEqual(["ready", "dropped"]);
    expect(pool.status()).toMatchObject({ ready: 2 });
    expect(pool.status().readyBytes).toBeLessThanOrEqual(Math.floor(one * 3.5));
  });

  it("takes its limits and ban time from the CLI flags", async () => {
    const { pool, chain, clock } = setup(txPoolOptionsFromCli({ poolLimit: 20, txBanSeconds: 5 }));
    // --pool-limit 20: 20 ready, and 2 (a tenth) in future.
    for (let i = 0; i < 20; i++) await pool.submit("external", xt(`s${i}`, 0, 10));
    expect((await rpcError(pool.submit("external", xt("late", 0, 1)))).code).toBe(1016);
    const f1 = await pool.submit("external", xt("f1", 3));
    for (const s of ["f2", "f3"]) {
      clock.now += 1;
      await pool.submit("external", xt(s, 3));
    }
    expect(pool.status()).toMatchObject({ ready: 20, future: 2 });
    expect(pool.has(f1)).toBe(false);

    // --tx-ban-seconds 5: an invalid transaction is refused for 5 s, then validated again.
    chain.badProof.add("mallory");
    const bad = xt("mallory", 0, 100);
    expect((await rpcError(pool.submit("external", bad))).code).toBe(1010);
    clock.now += 4999;
    expect((await rpcError(pool.submit("external", bad))).code).toBe(1012);
    clock.now += 1;
    expect((await rpcError(pool.submit("external", bad))).code).toBe(1010);
  });

  it("drops the longest waiting future transaction when the future queue is full", async () => {
    const { pool, clock } = setup({ future: { count: 2, totalBytes: 1 << 20 } });
    const first = await pool.submitAndWatch("external", xt("a", 5));
    const seen = collect(first.watcher);
    clock.now += 1;
    await pool.submit("external", xt("b", 5));
    clock.now += 1;
    await pool.submit("external", xt("c", 5));
    expect(pool.status().future).toBe(2);
    expect(seen).toEqual(["future", "dropped"]);
  });
});

describe("TxPool: blocks", () => {
  it("removes included transactions; watchers get inBlock then finalized", async () => {
    const { pool, importBlock } = setup();
    const a0 = await pool.submitAndWatch("external", xt("alice", 0));
    const a1 = await pool.submitAndWatch("external", xt("alice", 1));
    const b0 = await pool.submitAndWatch("external", xt("bob", 0));
    const seen0 = collect(a0.watcher);
    const seen1 = collect(a1.watcher);

    const block = await importBlock([xt("alice", 0), xt("bob", 0)]);
    expect(pool.status()).toMatchObject({ ready: 1, future: 0 });
    expect(readyOrder(pool)).toEqual(["alice1"]);
    expect(seen0).toEqual(["ready", { inBlock: block.hash }]);
    expect(seen1).toEqual(["ready"]);
    // Included transactions are banned so that gossip does not bring them back.
    expect((await rpcError(pool.submit("external", xt("alice", 0)))).code).toBe(1012);

    const block2 = await importBlock([xt("alice", 1)]);
    await pool.onBlockFinalized(block2.hash);
    expect(seen0).toEqual(["ready", { inBlock: block.hash }, { finalized: block.hash }]);
    expect(seen1).toEqual(["ready", { inBlock: block2.hash }, { finalized: block2.hash }]);
    expect(a0.watcher.done && a1.watcher.done && b0.watcher.done).toBe(true);
    expect(pool.status()).toMatchObject({ ready: 0, future: 0 });
  });

  it("promotes a future transaction whose gap a block fills", async () => {
    for (const parentHash of [true, false]) {
      const { pool, importBlock } = setup();
      const a1 = await pool.submitAndWatch("external", xt("alice", 1));
      const seen = collect(a1.watcher);
      // alice0 never was in the pool: with the parent hash the pool learns its tags at once, without it
      // the revalidation finds that alice1 requires nothing any more.
      await importBlock([xt("alice", 0)], { parentHash });
      expect(pool.status()).toMatchObject({ ready: 1, future: 0 });
      expect(seen).toEqual(["future", "ready"]);
    }
  });

  it("revalidates after import: a transaction made stale by another one's inclusion is removed as invalid", async () => {
    for (const parentHash of [true, false]) {
      const { pool, importBlock } = setup();
      const mine = await pool.submitAndWatch("external", xt("alice", 0, 1));
      await pool.submit("external", xt("alice", 1, 1));
      const seen = collect(mine.watcher);
      // The block carries a different alice0 (e.g. sent to another node).
      await importBlock([xt("alice", 0, 2, { memo: "elsewhere" })], { parentHash });
      expect(seen).toEqual(["ready", "invalid"]);
      expect(pool.isBanned(mine.hash)).toBe(true);
      expect(readyOrder(pool)).toEqual(["alice1"]);
    }
  });

  it("revalidation updates still-valid transactions and removes ones that became invalid", async () => {
    const { pool, chain, importBlock } = setup();
    const b0 = await pool.submitAndWatch("external", xt("bob", 0));
    const c0 = await pool.submitAndWatch("external", xt("carol", 0));
    const bSeen = collect(b0.watcher);
    const cSeen = collect(c0.watcher);
    chain.poor.add("bob");
    await importBlock([]);
    expect(bSeen).toEqual(["ready", "invalid"]);
    expect(cSeen).toEqual(["ready"]);
    expect(pool.status()).toMatchObject({ ready: 1, future: 0 });
  });

  it("removes transactions past their longevity unless a revalidation renewed it", async () => {
    const { pool, importBlock } = setup({ maxRevalidationPerBlock: 0 });
    const t = await pool.submitAndWatch("external", xt("alice", 0, 0, { longevity: 2 }));
    const seen = collect(t.watcher);
    await importBlock([]);
    expect(seen).toEqual(["ready"]);
    await importBlock([]);
    expect(seen).toEqual(["ready", "invalid"]);
    expect(pool.status().ready).toBe(0);
    expect(pool.isBanned(t.hash)).toBe(true);

    const renewed = setup();
    await renewed.pool.submit("external", xt("alice", 0, 0, { longevity: 2 }));
    for (let i = 0; i < 4; i++) await renewed.importBlock([]);
    expect(renewed.pool.status().ready).toBe(1);
    expect([...renewed.pool.ready()][0].validTill).toBe(6n);
  });

  it("rate-limits revalidation, least recently validated first", async () => {
    const { pool, chain, importBlock } = setup({ maxRevalidationPerBlock: 2, revalidationBatchSize: 1 });
    for (const s of ["a", "b", "c", "d", "e"]) await pool.submit("external", xt(s, 0));
    chain.validate.mockClear();
    await importBlock([]);
    expect(chain.validate).toHaveBeenCalledTimes(2);
    const first = chain.validate.mock.calls.map((c) => c[1]);
    chain.validate.mockClear();
    await importBlock([]);
    expect(chain.validate).toHaveBeenCalledTimes(2);
    const second = chain.validate.mock.calls.map((c) => c[1]);
    expect(second).not.toContainEqual(first[0]);
    expect(second).not.toContainEqual(first[1]);
  });

  it("a newer best block stops a running revalidation; notifications are handled in order", async () => {
    const { pool, chain } = setup({ revalidationBatchSize: 1 });
    for (const s of ["a", "b", "c", "d", "e"]) await pool.submit("external", xt(s, 0));
    chain.validate.mockClear();
    const first = pool.onBlockImported(chain.produce([]), true);
    const second = pool.onBlockImported(chain.produce([]), true);
    await Promise.all([first, second]);
    // The first pass saw the newer block before its first batch: only the second one validated.
    expect(chain.validate).toHaveBeenCalledTimes(5);
    expect(new Set(chain.validate.mock.calls.map((c) => c[2]))).toEqual(new Set([chain.best.hash]));
  });

  it("a closed watcher hears nothing more", async () => {
    const { pool, importBlock } = setup();
    const t = await pool.submitAndWatch("external", xt("alice", 0));
    const seen = collect(t.watcher);
    t.watcher.close();
    await importBlock([xt("alice", 0)]);
    expect(seen).toEqual(["ready"]);
    expect(t.watcher.done).toBe(true);
  });

  it("ignores non-best blocks", async () => {
    const { pool, chain } = setup();
    await pool.submit("external", xt("alice", 0));
    const side = { hash: "0x01" as const, number: 1, extrinsics: [xt("alice", 0)] };
    chain.validate.mockClear();
    await pool.onBlockImported(side, false);
    expect(pool.status().ready).toBe(1);
    expect(chain.validate).not.toHaveBeenCalled();
  });

  it("resubmits the transactions of a retracted block", async () => {
    const { pool, chain, importBlock } = setup();
    const t = await pool.submitAndWatch("external", xt("alice", 0));
    const seen = collect(t.watcher);
    const block = await importBlock([xt("alice", 0)]);
    expect(pool.status().ready).toBe(0);

    chain.retract();
    await pool.onReorg({ retracted: [block], enacted: [] });
    expect(seen).toEqual(["ready", { inBlock: block.hash }, { retracted: block.hash }, "ready"]);
    expect(pool.status().ready).toBe(1);

    const again = await importBlock([xt("alice", 0)]);
    await pool.onBlockFinalized(again.hash);
    expect(seen.slice(4)).toEqual([{ inBlock: again.hash }, { finalized: again.hash }]);
  });
});

describe("TxPool: reorgs", () => {
  /** Branch A (best) then branch B from the same parent; B's blocks are imported off the best chain. */
  function forks() {
    const t = setup();
    const { chain, pool } = t;
    return {
      ...t,
      /** Imports blocks on the best chain, each one best. */
      async extend(blocks: Uint8Array[][], branch = 0) {
        const out = [];
        for (const xts of blocks) {
          const b = chain.produce(xts, branch);
          await pool.onBlockImported(b, true);
          out.push(b);
        }
        return out;
      },
      /** Replaces the last `depth` best blocks by `blocks` of `branch`: the pool hears only of the reorg. */
      async reorg(depth: number, blocks: Uint8Array[][], branch: number) {
        const retracted = [];
        for (let i = 0; i < depth; i++) retracted.push(chain.retract());
        const enacted = blocks.map((xts) => chain.produce(xts, branch));
        await pool.onReorg({ retracted, enacted });
        return { retracted, enacted };
      },
    };
  }

  it("a transaction in both branches hears inBlock, retracted, then inBlock for the enacted block that holds it", async () => {
    const { pool, extend, reorg } = forks();
    const x = await pool.submitAndWatch("external", xt("alice", 0));
    const y = await pool.submitAndWatch("external", xt("bob", 0));
    const xSeen = collect(x.watcher);
    const ySeen = collect(y.watcher);
    const [a1, a2] = await extend([[xt("alice", 0)], []]);
    // B: b1 holds x again, b3 holds y; none of b1, b2 was ever the best block when imported.
    const { enacted } = await reorg(2, [[xt("alice", 0)], [], [xt("bob", 0)]], 1);
    const [b1, , b3] = enacted;
    expect(xSeen).toEqual(["ready", { inBlock: a1.hash }, { retracted: a1.hash }, { inBlock: b1.hash }]);
    expect(ySeen).toEqual(["ready", { inBlock: b3.hash }]);
    expect(pool.status()).toMatchObject({ ready: 0, future: 0 });
    expect(a2.hash).not.toBe(enacted[1].hash);

    await pool.onBlockFinalized(b3.hash);
    expect(xSeen.at(-1)).toEqual({ finalized: b1.hash });
    expect(ySeen.at(-1)).toEqual({ finalized: b3.hash });
    expect(x.watcher.done && y.watcher.done).toBe(true);
  });

  it("a transaction only in the retracted branch goes back to ready, then is included and finalized", async () => {
    const { pool, extend, reorg } = forks();
    const z = await pool.submitAndWatch("external", xt("carol", 0));
    const seen = collect(z.watcher);
    const [a1] = await extend([[xt("carol", 0)]]);
    const { enacted } = await reorg(1, [[], []], 1);
    expect(seen).toEqual(["ready", { inBlock: a1.hash }, { retracted: a1.hash }, "ready"]);
    expect(pool.status().ready).toBe(1);
    const [b3] = await extend([[xt("carol", 0)]], 1);
    await pool.onBlockFinalized(b3.hash);
    expect(seen.slice(4)).toEqual([{ inBlock: b3.hash }, { finalized: b3.hash }]);
    expect(enacted).toHaveLength(2);
  });

  it("a retracted transaction that the new branch made invalid ends with invalid", async () => {
    const { pool, extend, reorg } = forks();
    const mine = await pool.submitAndWatch("external", xt("dave", 0, 1));
    const seen = collect(mine.watcher);
    const [a1] = await extend([[xt("dave", 0, 1)]]);
    // B spends dave's nonce 0 with another transaction (sent elsewhere).
    await reorg(1, [[xt("dave", 0, 2, { memo: "elsewhere" })], []], 1);
    expect(seen).toEqual(["ready", { inBlock: a1.hash }, { retracted: a1.hash }, "invalid"]);
    expect(mine.watcher.done).toBe(true);
    expect(pool.isBanned(mine.hash)).toBe(true);
  });

  it("retracted comes before the new inBlock even when the route arrives as a promise, and notifications stay in order", async () => {
    const { pool, chain, extend } = forks();
    const x = await pool.submitAndWatch("external", xt("erin", 0));
    const seen = collect(x.watcher);
    const [a1] = await extend([[xt("erin", 0)]]);
    const retracted = chain.retract();
    const b1 = chain.produce([xt("erin", 0)], 1);
    let load!: (r: TxPoolReorg) => void;
    const reorged = pool.onReorg(new Promise((resolve) => (load = resolve)));
    const finalized = pool.onBlockFinalized(b1.hash);
    load({ retracted: [retracted], enacted: [b1] });
    await Promise.all([reorged, finalized]);
    expect(seen).toEqual([
      "ready",
      { inBlock: a1.hash },
      { retracted: a1.hash },
      { inBlock: b1.hash },
      { finalized: b1.hash },
    ]);
  });

  it("a route that fails to load is logged and the pool keeps working", async () => {
    const { pool, extend } = forks();
    await pool.onReorg(Promise.reject(new Error("no body")));
    await pool.submit("external", xt("fay", 0));
    await extend([[xt("fay", 0)]]);
    expect(pool.status().ready).toBe(0);
  });
});

describe("TxPool: block building", () => {
  it("reportInvalid removes and bans the transaction; its dependents leave ready for future", async () => {
    const { pool } = setup();
    const a0 = await pool.submitAndWatch("external", xt("alice", 0, 10));
    const a1 = await pool.submitAndWatch("external", xt("alice", 1, 10));
    await pool.submit("external", xt("alice", 2, 10));
    await pool.submit("external", xt("bob", 0, 1));
    const a0seen = collect(a0.watcher);
    const a1seen = collect(a1.watcher);

    const built: string[] = [];
    for (const tx of pool.ready()) {
      built.push(tx.hash);
      if (tx.hash === a0.hash) pool.reportInvalid(tx.hash);
    }
    // Nothing that depends on the reported transaction follows it.
    expect(built).toEqual([a0.hash, txHash(xt("bob", 0, 1))]);
    expect(a0seen).toEqual(["ready", "invalid"]);
    expect(a1seen).toEqual(["ready", "future"]);
    expect(pool.status()).toMatchObject({ ready: 1, future: 2 });
    expect((await rpcError(pool.submit("external", xt("alice", 0, 10)))).code).toBe(1012);

    // A new alice0 makes them ready again.
    await pool.submit("external", xt("alice", 0, 11));
    expect(readyOrder(pool)).toEqual(["alice0", "alice1", "alice2", "bob0"]);
    expect(a1seen).toEqual(["ready", "future", "ready"]);
  });

  it("remove() takes dependents along and bans the given hashes (author_removeExtrinsic)", async () => {
    const { pool } = setup();
    const a0 = await pool.submit("external", xt("alice", 0));
    const a1 = await pool.submit("external", xt("alice", 1));
    await pool.submit("external", xt("bob", 0));
    expect(pool.remove([a0])).toEqual([a0, a1]);
    expect(pool.isBanned(a0)).toBe(true);
    expect(pool.isBanned(a1)).toBe(false);
    expect(readyOrder(pool)).toEqual(["bob0"]);
  });
});
