/**
 * The dependency graph alone, on the scenarios of Substrate's own `base_pool.rs` / `ready.rs` tests:
 * tags are single bytes, hashes small numbers, data the byte that names the transaction.
 */
import { describe, expect, it } from "@jest/globals";
import { BasePool } from "../../../../node/txpool/basePool.js";
import { TxPoolError } from "../../../../node/txpool/errors.js";
import type { PoolTransaction } from "../../../../node/txpool/transaction.js";
import type { HexString } from "../../../../primitives/hex.js";

const tag = (n: number): HexString => `0x${n.toString(16).padStart(2, "0")}`;
const hash = (n: number): HexString => `0x${n.toString(16).padStart(64, "0")}`;

function tx(
  id: number,
  o: { requires?: number[]; provides?: number[]; priority?: bigint; validTill?: bigint } = {},
): PoolTransaction {
  return {
    hash: hash(id),
    bytes: new Uint8Array([id]),
    priority: o.priority ?? 5n,
    requires: (o.requires ?? []).map(tag),
    provides: (o.provides ?? []).map(tag),
    validTill: o.validTill ?? 64n,
    propagate: true,
    source: "external",
    submittedAt: id,
    revalidatedAt: 0,
  };
}

const order = (pool: BasePool) => [...pool.ready()].map((t) => t.bytes[0]);

describe("BasePool (Substrate graph semantics)", () => {
  it("imports to future and promotes when the missing tag arrives", () => {
    const pool = new BasePool(() => 0);
    expect(pool.import(tx(1, { requires: [0], provides: [1] })).kind).toBe("future");
    expect(pool.status()).toMatchObject({ ready: 0, future: 1 });
    const res = pool.import(tx(2, { provides: [0] }));
    expect(res).toMatchObject({ kind: "ready", promoted: [hash(1)] });
    expect(order(pool)).toEqual([2, 1]);
  });

  it("promotes a whole subgraph in dependency then priority order", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(1, { requires: [0], provides: [1] }));
    pool.import(tx(3, { requires: [2] }));
    pool.import(tx(2, { requires: [1], provides: [3, 2] }));
    pool.import(tx(4, { requires: [3, 4], priority: 1000n }));
    expect(order(pool)).toEqual([]);
    const res = pool.import(tx(5, { provides: [0, 4] }));
    expect(order(pool)).toEqual([5, 1, 2, 4, 3]);
    expect(res).toEqual({ kind: "ready", hash: hash(5), promoted: [1, 2, 3, 4].map(hash), failed: [], removed: [] });
  });

  it("removes a conflicting future transaction when promoting", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(3, { requires: [1], provides: [3], priority: 50n }));
    const tx2 = tx(2, { requires: [1], provides: [3] });
    pool.import(tx2);
    expect(pool.status().future).toBe(2);
    const res = pool.import(tx(1, { provides: [1] }));
    expect(res).toEqual({ kind: "ready", hash: hash(1), promoted: [hash(3)], failed: [], removed: [tx2] });
    expect(order(pool)).toEqual([1, 3]);
    expect(pool.status().future).toBe(0);
  });

  it("resolves a cycle in favour of the higher priority", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(1, { requires: [0], provides: [1] }));
    pool.import(tx(3, { requires: [1], provides: [2] }));
    const tx2 = tx(2, { requires: [2], provides: [0] });
    pool.import(tx2);
    expect(pool.status().future).toBe(3);
    const res = pool.import(tx(4, { provides: [0], priority: 50n }));
    expect(order(pool)).toEqual([4, 1, 3]);
    expect(res).toEqual({ kind: "ready", hash: hash(4), promoted: [1, 3].map(hash), failed: [], removed: [tx2] });
    expect(pool.status().future).toBe(0);
  });

  it("reports a cycle when the newcomer is pushed out by what it promoted", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(1, { requires: [0], provides: [1] }));
    pool.import(tx(3, { requires: [1], provides: [2] }));
    pool.import(tx(2, { requires: [2], provides: [0] }));
    const res = pool.import(tx(4, { provides: [0], priority: 1n }));
    expect(res.kind).toBe("cycle");
    expect(order(pool)).toEqual([]);
    expect(pool.status()).toMatchObject({ ready: 0, future: 0 });
  });

  it("replaces a ready provider only with a strictly higher priority", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(2, { provides: [3] }));
    pool.import(tx(3, { provides: [4] }));
    expect(() => pool.import(tx(1, { provides: [3, 4], priority: 10n }))).toThrow(TxPoolError);
    expect(order(pool)).toEqual([2, 3]);
    const res = pool.import(tx(1, { provides: [3, 4], priority: 11n }));
    expect(res.kind === "ready" && res.removed.map((t) => t.bytes[0]).sort()).toEqual([2, 3]);
    expect(order(pool)).toEqual([1]);
  });

  it("replacing removes the subtree of a provider that loses a tag", () => {
    const pool = new BasePool(() => 0);
    for (const t of [
      tx(0, { provides: [0] }),
      tx(1, { provides: [1] }),
      tx(2, { requires: [0, 1], provides: [2, 3] }),
      tx(3, { requires: [2], provides: [4] }),
      tx(4, { requires: [3], provides: [5] }),
    ]) {
      pool.import(t);
    }
    expect(order(pool)).toHaveLength(5);
    const res = pool.import(tx(5, { requires: [0, 1], provides: [2], priority: 10n }));
    // tx2 also provided tag 3, which the newcomer does not: all its dependents go with it (as Substrate).
    expect(res.kind === "ready" && res.removed.map((t) => t.bytes[0])).toEqual([2, 3, 4]);
    expect(order(pool)).toEqual([0, 1, 5]);
  });

  it("iterates in dependency, priority, longevity and age order, and skips reported subgraphs", () => {
    // tx1 -> tx2 -> tx3 ; tx1 -> tx4 -> tx5 -> tx6 ; tx1 -> tx7 (long-lived)
    const populate = () => {
      const pool = new BasePool(() => 0);
      const t1 = tx(1, { provides: [3, 4] });
      for (const t of [
        t1,
        tx(2, { requires: [3, 4], provides: [106] }),
        tx(3, { requires: [3, 106] }),
        tx(7, { requires: [3], validTill: 2n ** 64n - 1n }),
        tx(4, { requires: [3], provides: [107] }),
        tx(5, { requires: [107], provides: [108] }),
        tx(6, { requires: [108] }),
      ]) {
        pool.import(t);
      }
      return pool;
    };
    expect(order(populate())).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const it = populate().ready();
    const seen: number[] = [];
    for (const t of it) {
      seen.push(t.bytes[0]);
      if (t.bytes[0] === 4) it.skip(t.hash);
    }
    expect(seen).toEqual([1, 2, 3, 4, 7]);
  });

  it("removes a subtree from both queues", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(5, { provides: [0, 4] }));
    pool.import(tx(1, { requires: [0], provides: [1] }));
    pool.import(tx(3, { requires: [2] }));
    pool.import(tx(2, { requires: [1], provides: [3, 2] }));
    pool.import(tx(4, { requires: [3, 4], priority: 1000n }));
    pool.import(tx(6, { requires: [11], priority: 1000n }));
    expect(order(pool)).toHaveLength(5);
    expect(pool.status().future).toBe(1);
    pool.removeSubtree([hash(6), hash(1)]);
    expect(order(pool)).toEqual([5]);
    expect(pool.status().future).toBe(0);
  });

  it("prunes by tags, keeping dependents and promoting futures", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(5, { requires: [0], provides: [100] }));
    pool.import(tx(1, { provides: [1] }));
    pool.import(tx(2, { requires: [2], provides: [3] }));
    pool.import(tx(3, { requires: [1], provides: [2] }));
    pool.import(tx(4, { requires: [3, 2], provides: [4], priority: 1000n }));
    expect(order(pool)).toHaveLength(4);

    const res = pool.pruneTags([tag(0), tag(2)]);
    expect(res.pruned.map((t) => t.bytes[0]).sort()).toEqual([1, 3]);
    expect(res.failed).toEqual([]);
    expect(res.promoted).toEqual([{ kind: "ready", hash: hash(5), promoted: [], failed: [], removed: [] }]);
    expect(pool.status()).toMatchObject({ ready: 3, future: 0 });
    expect(order(pool)).toHaveLength(3);
  });

  it("prunes a future transaction providing a pruned tag", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(0xaa, { requires: [1], provides: [2] }));
    const res = pool.pruneTags([tag(2)]);
    expect(res.failed.map((t) => t.hash)).toEqual([hash(0xaa)]);
    expect(pool.status()).toMatchObject({ ready: 0, future: 0 });
  });

  it("treats recently pruned tags as provided for late submissions", () => {
    const pool = new BasePool(() => 0);
    pool.pruneTags([tag(7)]);
    expect(pool.import(tx(1, { requires: [7], provides: [8] })).kind).toBe("ready");
  });

  it("enforces limits: lowest priority then oldest in ready, longest waiting in future", () => {
    const pool = new BasePool(() => 0);
    pool.import(tx(1, { provides: [1], priority: 5n }));
    pool.import(tx(2, { provides: [2], priority: 1n }));
    pool.import(tx(3, { provides: [3], priority: 1n }));
    pool.import(tx(4, { requires: [2], provides: [4], priority: 9n }));
    pool.import(tx(10, { requires: [50], provides: [10] }));
    pool.import(tx(11, { requires: [51], provides: [11] }));
    const removed = pool.enforceLimits({ count: 2, totalBytes: 100 }, { count: 1, totalBytes: 100 });
    // tx2 (priority 1, older than tx3) goes with its dependent tx4; in future tx10 (submitted first).
    expect(removed.map((t) => t.bytes[0])).toEqual([2, 4, 10]);
    expect(order(pool)).toEqual([1, 3]);
  });
});
