import { beforeAll, describe, expect, it } from "@jest/globals";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import {
  EMPTY_TRIE_ROOT,
  encodeCompactU32,
  orderedTrieRoot,
  Trie,
  trieRoot,
} from "../../../../primitives/trie/index.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  await cryptoReady();
});

describe("trieRoot", () => {
  it("matches smoldot's trie_root_one_node vector (blake2, V0)", () => {
    // smol-dot/smoldot lib/src/trie/calculate_root.rs: {"abcd": "hello world"}.
    const expected = Uint8Array.from([
      122, 177, 134, 89, 211, 178, 120, 158, 242, 64, 13, 16, 113, 4, 199, 212, 251, 147, 208, 109, 154, 182, 168, 182,
      65, 165, 222, 124, 63, 236, 200, 81,
    ]);
    expect(trieRoot([[utf8("abcd"), utf8("hello world")]])).toEqual(expected);
    expect(Trie.empty().set(utf8("abcd"), utf8("hello world")).root).toEqual(expected);
  });

  it("is independent of input order and keeps the last of duplicate keys", () => {
    const a: [Uint8Array, Uint8Array][] = [
      [utf8("alpha"), utf8("1")],
      [utf8("beta"), utf8("2")],
      [utf8("al"), utf8("3")],
    ];
    const root = trieRoot(a);
    expect(trieRoot([...a].reverse())).toEqual(root);
    expect(trieRoot([[utf8("beta"), utf8("x")], ...a])).toEqual(root);
    expect(trieRoot([...a, [utf8("beta"), utf8("x")]])).not.toEqual(root);
  });

  it("handles the empty key and keys that are prefixes of others", () => {
    const entries: [Uint8Array, Uint8Array][] = [
      [new Uint8Array(0), utf8("root value")],
      [Uint8Array.of(1), utf8("a")],
      [Uint8Array.of(1, 2), utf8("b")],
      [Uint8Array.of(1, 2, 3), utf8("c")],
      [Uint8Array.of(0x10), utf8("d")],
    ];
    const viaUpdates = entries.reduce((t, [k, v]) => t.set(k, v), Trie.empty());
    expect(trieRoot(entries)).toEqual(viaUpdates.root);
    expect(Trie.fromEntries(entries).root).toEqual(viaUpdates.root);
  });
});

describe("orderedTrieRoot (extrinsics root)", () => {
  it("is the empty root for no extrinsics", () => {
    expect(orderedTrieRoot([])).toEqual(EMPTY_TRIE_ROOT);
    expect(toHex(orderedTrieRoot([]))).toBe("0x03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314");
  });

  it("keys item i by SCALE Compact<u32>(i)", () => {
    expect(toHex(encodeCompactU32(0))).toBe("0x00");
    expect(toHex(encodeCompactU32(1))).toBe("0x04");
    expect(toHex(encodeCompactU32(64))).toBe("0x0101");
    const xt = Uint8Array.of(0x04, 0x00, 0x01);
    // One item: a leaf with key 0x00 (2 nibbles): 0x42 0x00, Compact(3), the bytes.
    expect(orderedTrieRoot([xt])).toEqual(blake2_256(Uint8Array.of(0x42, 0x00, 0x0c, 0x04, 0x00, 0x01)));
  });

  it("equals trieRoot of the compact-keyed map across the 1- to 2-byte key boundary", () => {
    const values = Array.from({ length: 300 }, (_, i) => utf8(`extrinsic #${i}`));
    const expected = Trie.empty().update(values.map((v, i) => [encodeCompactU32(i), v])).root;
    expect(orderedTrieRoot(values)).toEqual(expected);
  });
});
