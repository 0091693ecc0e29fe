import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { Level } from "level";
import { loadTrie, TrieNodeStore, TrieStoreError } from "../../../../node/state/index.js";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { EMPTY_TRIE_ROOT, Trie, trieRoot } from "../../../../primitives/trie/index.js";
import { Rng } from "../../primitives/trie/random.js";

type Db = Level<Uint8Array, Uint8Array>;

function openDb(path: string): Db {
  return new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
}

async function storeError(p: Promise<unknown>): Promise<TrieStoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TrieStoreError);
    return e as TrieStoreError;
  }
  throw new Error("expected a TrieStoreError");
}

let dir: string;
let db: Db;

beforeAll(async () => {
  await cryptoReady();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tensorchain-trie-"));
  db = openDb(dir);
  await db.open();
});

afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe("TrieNodeStore", () => {
  it("persists versions in the caller's batch and reloads them after reopening", async () => {
    const rng = new Rng(42);
    const entries: [Uint8Array, Uint8Array][] = Array.from({ length: 3000 }, () => [rng.bytes(32), rng.bytes(80)]);
    const store = new TrieNodeStore(db);

    const v1 = Trie.fromEntries(entries);
    const batch1 = db.batch();
    batch1.put(Uint8Array.of(0x02, 1), Uint8Array.of(0xaa)); // another column in the same batch
    const w1 = store.putTrie(batch1, v1);
    await batch1.write();
    v1.markPersisted();
    expect(w1.nodes).toBeGreaterThan(3000);

    const changes: [Uint8Array, Uint8Array | null][] = [];
    for (let i = 0; i < 50; i++)
      changes.push([entries[rng.int(entries.length)][0], rng.int(5) === 0 ? null : rng.bytes(80)]);
    for (let i = 0; i < 20; i++) changes.push([rng.bytes(32), rng.bytes(80)]);
    const v2 = v1.update(changes);
    const batch2 = db.batch();
    const w2 = store.putTrie(batch2, v2);
    await batch2.write();
    v2.markPersisted();
    expect(w2.nodes).toBeLessThan(400); // only the changed paths

    const root1 = v1.root.slice();
    const root2 = v2.root.slice();
    const entries2 = [...v2.entries()].map(([k, v]) => toHex(k) + toHex(v));
    await db.close();
    db = openDb(dir);
    await db.open();

    const l1 = await loadTrie(db, root1);
    const l2 = await new TrieNodeStore(db).loadTrie(root2);
    expect(l1.root).toEqual(root1);
    expect(l2.root).toEqual(root2);
    expect(trieRoot(l1.entries())).toEqual(root1);
    expect([...l2.entries()].map(([k, v]) => toHex(k) + toHex(v))).toEqual(entries2);
    expect(entries.every(([k, v]) => l1.get(k) !== undefined && toHex(l1.get(k)!) === toHex(v))).toBe(true);
    expect(await db.get(Uint8Array.of(0x02, 1))).toEqual(Uint8Array.of(0xaa));

    // A loaded trie is marked persisted: a new version writes only its own nodes.
    const l3 = l2.set(entries[0][0], Uint8Array.of(1, 2, 3));
    expect(l3.collectNewNodes().length).toBeLessThan(10);
    expect(l3.root).toEqual(v2.set(entries[0][0], Uint8Array.of(1, 2, 3)).root);
  });

  it("stores and loads tries whose nodes are short (inline children, short root)", async () => {
    const store = new TrieNodeStore(db);
    const v1 = Trie.fromEntries([
      [Uint8Array.of(1), Uint8Array.of(1)],
      [Uint8Array.of(2), Uint8Array.of(2)],
      [Uint8Array.of(1, 5), Uint8Array.of(3)],
    ]);
    const v2 = v1.set(Uint8Array.of(1), null).set(Uint8Array.of(1, 5), null);
    for (const t of [v1, v2]) {
      const batch = db.batch();
      store.putTrie(batch, t);
      await batch.write();
      t.markPersisted();
    }
    for (const t of [v1, v2]) {
      const loaded = await store.loadTrie(t.root);
      expect(loaded.root).toEqual(t.root);
      expect([...loaded.entries()]).toEqual([...t.entries()]);
    }
  });

  it("returns the empty trie for the empty root without reading", async () => {
    const empty = await loadTrie(db, EMPTY_TRIE_ROOT);
    expect(empty.isEmpty).toBe(true);
    expect(new TrieNodeStore(db).putTrie(db.batch(), empty)).toEqual({ nodes: 0, bytes: 0 });
  });

  it("uses a configurable key prefix and exposes the put operations", async () => {
    const store = new TrieNodeStore(db, { prefix: Uint8Array.of(0x07, 0x07) });
    const t = Trie.fromEntries([[Uint8Array.of(9), new Uint8Array(40).fill(9)]]);
    const ops = store.nodeOps(t);
    expect(ops.length).toBe(1);
    expect(toHex(ops[0][0])).toBe(`0x0707${toHex(t.root).slice(2)}`);
    await db.batch(ops.map(([key, value]) => ({ type: "put" as const, key, value })));
    expect((await store.loadTrie(t.root)).get(Uint8Array.of(9))).toEqual(new Uint8Array(40).fill(9));
    await expect(new TrieNodeStore(db).loadTrie(t.root)).rejects.toBeInstanceOf(TrieStoreError);
  });

  it("fails with TRIE_STORE_ERROR_MISSING_NODE when a node is absent", async () => {
    const rng = new Rng(5);
    const t = Trie.fromEntries(
      Array.from({ length: 100 }, () => [rng.bytes(32), rng.bytes(40)] as [Uint8Array, Uint8Array]),
    );
    const store = new TrieNodeStore(db);
    const records = t.collectNewNodes();
    const dropped = records.find((r) => toHex(r.hash) !== toHex(t.root))!;
    await db.batch(
      records
        .filter((r) => r !== dropped)
        .map((r) => ({ type: "put" as const, key: store.nodeKey(r.hash), value: r.encoded })),
    );
    const err = await storeError(store.loadTrie(t.root));
    expect(err.type).toEqual({ code: "TRIE_STORE_ERROR_MISSING_NODE", hash: toHex(dropped.hash), root: toHex(t.root) });
    expect((await storeError(store.loadTrie(blake2_256(Uint8Array.of(1))))).type.code).toBe(
      "TRIE_STORE_ERROR_MISSING_NODE",
    );
  });

  it("fails with TRIE_STORE_ERROR_CORRUPT_NODE when a node's bytes are damaged", async () => {
    const rng = new Rng(6);
    const t = Trie.fromEntries(
      Array.from({ length: 100 }, () => [rng.bytes(32), rng.bytes(40)] as [Uint8Array, Uint8Array]),
    );
    const store = new TrieNodeStore(db);
    const batch = db.batch();
    store.putTrie(batch, t);
    await batch.write();
    const victim = t.collectNewNodes()[3];
    const damaged = victim.encoded.slice();
    damaged[damaged.length - 1] ^= 0xff;
    await db.put(store.nodeKey(victim.hash), damaged);
    const err = await storeError(store.loadTrie(t.root));
    expect(err.type.code).toBe("TRIE_STORE_ERROR_CORRUPT_NODE");
    expect(err.type.hash).toBe(toHex(victim.hash));

    // Bytes that hash right but do not decode are corrupt too.
    const garbage = Uint8Array.of(0x01, 0x02, 0x03);
    await db.put(store.nodeKey(blake2_256(garbage)), garbage);
    const err2 = await storeError(store.loadTrie(blake2_256(garbage)));
    expect(err2.type.code).toBe("TRIE_STORE_ERROR_CORRUPT_NODE");
  });
});
