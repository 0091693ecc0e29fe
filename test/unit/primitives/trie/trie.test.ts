import { beforeAll, describe, expect, it } from "@jest/globals";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import {
  compareKeys,
  decodeNode,
  EMPTY_TRIE_ROOT,
  Trie,
  TrieError,
  trieRoot,
  verifyProof,
} from "../../../../primitives/trie/index.js";
import { Rng } from "./random.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const utf8 = (s: string) => new TextEncoder().encode(s);

type Model = Map<string, [Uint8Array, Uint8Array]>;

function sortedEntries(model: Model): [Uint8Array, Uint8Array][] {
  return [...model.values()].sort((a, b) => compareKeys(a[0], b[0]));
}

beforeAll(async () => {
  await cryptoReady();
});

describe("Trie basics", () => {
  it("starts empty with the empty root", () => {
    const t = Trie.empty();
    expect(t.isEmpty).toBe(true);
    expect(t.root).toEqual(EMPTY_TRIE_ROOT);
    expect(t.get(utf8("x"))).toBeUndefined();
    expect([...t.entries()]).toEqual([]);
    expect(t.collectNewNodes()).toEqual([]);
    expect(t.proof([utf8("x")])).toEqual([]);
  });

  it("gets, overwrites and deletes", () => {
    let t = Trie.empty().update([
      [hex("0102"), hex("01")],
      [hex("0203"), hex("0405")],
      [hex("01"), hex("ff")],
    ]);
    expect(t.get(hex("0102"))).toEqual(hex("01"));
    expect(t.get(hex("01"))).toEqual(hex("ff"));
    expect(t.get(hex("0103"))).toBeUndefined();
    expect(t.get(hex("010203"))).toBeUndefined();
    expect(t.get(hex("0"))).toBeUndefined();
    t = t.update([
      [hex("0102"), hex("02")],
      [hex("0203"), null],
    ]);
    expect(t.get(hex("0102"))).toEqual(hex("02"));
    expect(t.get(hex("0203"))).toBeUndefined();
    expect(t.count()).toBe(2);
    t = t.update([
      [hex("0102"), null],
      [hex("01"), null],
    ]);
    expect(t.isEmpty).toBe(true);
    expect(t.root).toEqual(EMPTY_TRIE_ROOT);
  });

  it("distinguishes an empty value from an absent key", () => {
    const t = Trie.empty().set(utf8("k"), new Uint8Array(0));
    expect(t.get(utf8("k"))).toEqual(new Uint8Array(0));
    expect(t.has(utf8("k"))).toBe(true);
    expect(t.root).not.toEqual(EMPTY_TRIE_ROOT);
  });

  it("returns the same version when nothing changes", () => {
    const t = Trie.empty().set(utf8("a"), utf8("1"));
    expect(t.update([])).toBe(t);
    expect(t.update([[utf8("a"), utf8("1")]])).toBe(t);
    expect(t.update([[utf8("b"), null]])).toBe(t);
  });

  it("applies changes in order: the last change to a key wins", () => {
    const t = Trie.empty().update([
      [utf8("a"), utf8("1")],
      [utf8("a"), null],
      [utf8("b"), utf8("2")],
      [utf8("b"), utf8("3")],
    ]);
    expect(t.get(utf8("a"))).toBeUndefined();
    expect(t.get(utf8("b"))).toEqual(utf8("3"));
  });
});

describe("Trie versions are immutable", () => {
  it("leaves an old version's root and values unchanged after updates", () => {
    const rng = new Rng(7);
    const entries: [Uint8Array, Uint8Array][] = Array.from({ length: 500 }, () => [rng.bytes(32), rng.bytes(40)]);
    const v1 = Trie.fromEntries(entries);
    const root1 = v1.root.slice();
    const snapshot = [...v1.entries()];
    let v = v1;
    const versions: Trie[] = [];
    for (let round = 0; round < 20; round++) {
      const changes: [Uint8Array, Uint8Array | null][] = [];
      for (let i = 0; i < 30; i++) {
        const existing = entries[rng.int(entries.length)][0];
        changes.push([rng.int(3) === 0 ? rng.bytes(32) : existing, rng.int(4) === 0 ? null : rng.bytes(40)]);
      }
      v = v.update(changes);
      versions.push(v);
      expect(v.root).not.toEqual(root1);
    }
    expect(v1.root).toEqual(root1);
    expect(trieRoot(entries)).toEqual(root1);
    expect([...v1.entries()]).toEqual(snapshot);
    for (const [k, val] of entries) expect(v1.get(k)).toEqual(val);
    // Intermediate versions are equally intact: each equals a from-scratch rebuild.
    for (const version of versions) expect(version.root).toEqual(trieRoot(version.entries()));
  });

  it("shares untouched subtrees between versions", () => {
    const keys = Array.from({ length: 16 }, (_, i) => Uint8Array.of(i << 4, 1, 2, 3));
    const v1 = Trie.fromEntries(keys.map((k) => [k, utf8("v".repeat(40))]));
    const v2 = v1.set(keys[3], utf8("changed"));
    const c1 = v1.rootNode!.children!;
    const c2 = v2.rootNode!.children!;
    for (let i = 0; i < 16; i++) {
      if (i === 3) expect(c2[i]).not.toBe(c1[i]);
      else expect(c2[i]).toBe(c1[i]);
    }
  });
});

describe("Trie iteration", () => {
  const keys = ["", "00", "0001", "000102", "01", "0100", "10", "1011", "ff", "ffff"].map(hex);
  const t = Trie.fromEntries(keys.map((k, i) => [k, Uint8Array.of(i)]));
  const toHexes = (it: Iterable<Uint8Array>) => [...it].map((k) => toHex(k));

  it("walks all keys in lexicographic byte order", () => {
    expect(toHexes(t.keys())).toEqual(keys.map((k) => toHex(k)));
    expect([...t.entries()].map(([, v]) => v[0])).toEqual(keys.map((_, i) => i));
  });

  it("limits to a prefix", () => {
    expect(toHexes(t.keys(hex("00")))).toEqual(["0x00", "0x0001", "0x000102"]);
    expect(toHexes(t.keys(hex("0001")))).toEqual(["0x0001", "0x000102"]);
    expect(toHexes(t.keys(hex("02")))).toEqual([]);
    expect(toHexes(t.keys(hex("10")))).toEqual(["0x10", "0x1011"]);
  });

  it("starts strictly after a key, present or not", () => {
    expect(toHexes(t.keys(undefined, hex("0001")))).toEqual([
      "0x000102",
      "0x01",
      "0x0100",
      "0x10",
      "0x1011",
      "0xff",
      "0xffff",
    ]);
    expect(toHexes(t.keys(undefined, hex("0002")))).toEqual(["0x01", "0x0100", "0x10", "0x1011", "0xff", "0xffff"]);
    expect(toHexes(t.keys(undefined, hex("")))).toEqual(keys.slice(1).map((k) => toHex(k)));
    expect(toHexes(t.keys(hex("01"), hex("01")))).toEqual(["0x0100"]);
    expect(toHexes(t.keys(undefined, hex("ffff")))).toEqual([]);
  });

  it("answers nextKey like storage_next_key", () => {
    expect(toHex(t.nextKey(hex("00"))!)).toBe("0x0001");
    expect(toHex(t.nextKey(hex("0fff"))!)).toBe("0x10");
    expect(toHex(t.nextKey(hex("1011"))!)).toBe("0xff");
    expect(t.nextKey(hex("ffff"))).toBeUndefined();
    expect(t.nextKey(hex("1011"), hex("10"))).toBeUndefined();
  });
});

describe("Trie persistence bookkeeping", () => {
  it("collects only the nodes created since the last persisted version", () => {
    const rng = new Rng(11);
    const entries: [Uint8Array, Uint8Array][] = Array.from({ length: 2000 }, () => [rng.bytes(32), rng.bytes(80)]);
    const v1 = Trie.fromEntries(entries);
    const all = v1.collectNewNodes();
    expect(all.every(({ hash, encoded }) => toHex(blake2_256(encoded)) === toHex(hash))).toBe(true);
    expect(all.map((r) => toHex(r.hash))).toContain(toHex(v1.root));
    v1.markPersisted();
    expect(v1.collectNewNodes()).toEqual([]);
    const v2 = v1.set(entries[5][0], utf8("new value that is long enough to be hashed!!"));
    const fresh = v2.collectNewNodes();
    // One new leaf and its branch ancestors (the trie is ~4 levels deep), root included.
    expect(fresh.length).toBeGreaterThanOrEqual(2);
    expect(fresh.length).toBeLessThanOrEqual(6);
    expect(fresh.map((r) => toHex(r.hash))).toContain(toHex(v2.root));
    // The old version is still fully readable after its encodings were dropped.
    expect(v1.root).toEqual(trieRoot(entries));
    for (const p of v1.proof([entries[5][0]])) expect(() => decodeNode(p)).not.toThrow();
  });

  it("stores a short root under its hash, even one that was an inline child before", () => {
    const v1 = Trie.fromEntries([
      [Uint8Array.of(1), Uint8Array.of(1)],
      [Uint8Array.of(2), Uint8Array.of(2)],
    ]);
    expect(v1.collectNewNodes().length).toBe(1); // children are inline
    v1.markPersisted();
    const v2 = v1.set(Uint8Array.of(1), null); // the remaining leaf is re-keyed and becomes the root
    const nodes = v2.collectNewNodes();
    expect(nodes.length).toBe(1);
    expect(nodes[0].hash).toEqual(v2.root);
    expect(nodes[0].encoded.length).toBeLessThan(32);
  });
});

describe("Trie randomised against a from-scratch root", () => {
  const alphabet = [0x00, 0x01, 0x10, 0x11, 0xab, 0xff];

  function randomKey(rng: Rng): Uint8Array {
    switch (rng.int(4)) {
      case 0:
        return rng.bytes(rng.int(4), alphabet);
      case 1:
        return rng.bytes(rng.int(8) + 1, alphabet);
      case 2:
        return rng.bytes(32);
      default:
        return rng.bytes(rng.int(40));
    }
  }

  function randomValue(rng: Rng): Uint8Array {
    return rng.bytes(rng.int(3) === 0 ? rng.int(100) : rng.int(8));
  }

  it("keeps root, contents, order and proofs right over random insert/delete sequences", () => {
    const rng = new Rng(0xdecafbad);
    for (let run = 0; run < 40; run++) {
      const model: Model = new Map();
      let trie = Trie.empty();
      const rounds = 1 + rng.int(6);
      for (let round = 0; round < rounds; round++) {
        const changes: [Uint8Array, Uint8Array | null][] = [];
        const n = rng.int(60);
        for (let i = 0; i < n; i++) {
          const existing = [...model.values()];
          const key = existing.length > 0 && rng.int(2) === 0 ? existing[rng.int(existing.length)][0] : randomKey(rng);
          const value = rng.int(3) === 0 ? null : randomValue(rng);
          changes.push([key, value]);
          if (value === null) model.delete(toHex(key));
          else model.set(toHex(key), [key, value]);
        }
        const before = trie;
        const beforeRoot = before.root.slice();
        trie = trie.update(changes);
        expect(before.root).toEqual(beforeRoot);

        const expected = sortedEntries(model);
        expect(toHex(trie.root)).toBe(toHex(trieRoot(expected)));
        expect(toHex(Trie.fromEntries(expected).root)).toBe(toHex(trie.root));
        const actual = [...trie.entries()];
        expect(actual.map(([k]) => toHex(k))).toEqual(expected.map(([k]) => toHex(k)));
        expect(actual.map(([, v]) => toHex(v))).toEqual(expected.map(([, v]) => toHex(v)));
        for (const [k, v] of expected) expect(trie.get(k)).toEqual(v);

        // Proofs for a few present and absent keys verify; damaging them fails.
        if (expected.length === 0) continue;
        const asked = [expected[rng.int(expected.length)][0], randomKey(rng), expected[rng.int(expected.length)][0]];
        const proof = trie.proof(asked);
        const result = verifyProof(trie.root, proof, asked);
        for (const k of asked) expect(result.get(toHex(k))).toEqual(model.get(toHex(k))?.[1] ?? null);
        for (let i = 1; i < proof.length; i++) expect(compareKeys(proof[i - 1], proof[i])).toBeLessThan(0);

        const victim = rng.int(proof.length);
        const tampered = proof.map((p, i) => {
          if (i !== victim) return p;
          const copy = p.slice();
          copy[rng.int(copy.length)] ^= 1 << rng.int(8);
          return copy;
        });
        expect(() => verifyProof(trie.root, tampered, asked)).toThrow(TrieError);
        const missing = proof.filter((_, i) => i !== victim);
        expect(() => verifyProof(trie.root, missing, asked)).toThrow(TrieError);
      }
    }
  });
});
