import { beforeAll, describe, expect, it } from "@jest/globals";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { fromHex, toHex } from "../../../../primitives/hex.js";
import {
  compactLength,
  headerLength,
  readCompact,
  writeCompact,
  writeHeader,
} from "../../../../primitives/trie/codec.js";
import {
  decodeNode,
  EMPTY_NODE,
  EMPTY_TRIE_ROOT,
  encodeNode,
  HASH_LENGTH,
  TrieError,
  trieRoot,
  trieRootUnhashed,
} from "../../../../primitives/trie/index.js";
import { bytesToNibbles } from "../../../../primitives/trie/nibbles.js";
import { POLKADOT_GENESIS_PROOF_NODES } from "./polkadotGenesisProof.js";

const b = (...xs: number[]) => Uint8Array.from(xs);

function header(prefix: number, n: number): string {
  const out = new Uint8Array(headerLength(n));
  expect(writeHeader(out, 0, prefix, n)).toBe(out.length);
  return toHex(out);
}

function expectInvalid(bytes: Uint8Array, reason: RegExp): void {
  try {
    decodeNode(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(TrieError);
    const err = e as TrieError;
    expect(err.type.code).toBe("TRIE_ERROR_INVALID_NODE");
    if (err.type.code === "TRIE_ERROR_INVALID_NODE") expect(err.type.reason).toMatch(reason);
    return;
  }
  throw new Error(`expected ${toHex(bytes)} to be rejected`);
}

beforeAll(async () => {
  await cryptoReady();
});

describe("trie codec (sp-trie NodeCodec, LayoutV0)", () => {
  it("has the empty node 0x00 and the empty root blake2_256([0x00])", () => {
    expect(toHex(EMPTY_NODE)).toBe("0x00");
    expect(toHex(blake2_256(EMPTY_NODE))).toBe("0x03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314");
    expect(EMPTY_TRIE_ROOT).toEqual(blake2_256(Uint8Array.of(0)));
    expect(trieRoot([])).toEqual(EMPTY_TRIE_ROOT);
    expect(decodeNode(EMPTY_NODE)).toEqual({ kind: "empty" });
  });

  it("encodes headers as size_and_prefix_iterator does, including counts >= 63", () => {
    // Derived from node_header.rs: counts up to 62 fit in the 6 low bits; from 63 on the low bits
    // are 0x3f and `count - 62` follows as 0xff bytes ending with `rem - 1`.
    expect(header(0x40, 0)).toBe("0x40");
    expect(header(0x40, 1)).toBe("0x41");
    expect(header(0x40, 62)).toBe("0x7e");
    expect(header(0x40, 63)).toBe("0x7f00");
    expect(header(0x40, 64)).toBe("0x7f01");
    expect(header(0x80, 64)).toBe("0xbf01");
    expect(header(0xc0, 64)).toBe("0xff01");
    expect(header(0x40, 316)).toBe("0x7ffd");
    expect(header(0x40, 317)).toBe("0x7ffe");
    expect(header(0x40, 318)).toBe("0x7fff00");
    expect(header(0x40, 572)).toBe("0x7ffffe");
    expect(header(0x40, 573)).toBe("0x7fffff00");
  });

  it("round-trips partial keys of every length through long headers", () => {
    for (const n of [0, 1, 2, 61, 62, 63, 64, 65, 127, 316, 317, 318, 319, 600, 1000]) {
      const partial = Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 15);
      for (const children of [null, [b(1, 2, 3), ...new Array(15).fill(undefined)]]) {
        const enc = encodeNode(partial, b(9), children);
        const dec = decodeNode(enc);
        expect(dec.kind).toBe(children === null ? "leaf" : "branch");
        if (dec.kind === "empty") throw new Error("unreachable");
        expect(dec.partial).toEqual(partial);
        expect(dec.value).toEqual(b(9));
      }
    }
  });

  it("encodes SCALE Compact<u32> in all four modes", () => {
    const cases: [number, string][] = [
      [0, "0x00"],
      [1, "0x04"],
      [63, "0xfc"],
      [64, "0x0101"],
      [16383, "0xfdff"],
      [16384, "0x02000100"],
      [(1 << 30) - 1, "0xfeffffff"],
      [1 << 30, "0x0300000040"],
      [0xffffffff, "0x03ffffffff"],
    ];
    for (const [n, hex] of cases) {
      const out = new Uint8Array(compactLength(n));
      writeCompact(out, 0, n);
      expect(toHex(out)).toBe(hex);
      expect(readCompact(out, 0)).toEqual([n, out.length]);
    }
  });

  it("matches sp-trie's codec_trie_single_tuple vector", () => {
    // sp-trie lib.rs: leaf 0x40 with 2 nibbles, key 0xaa, Compact(1), 0xbb.
    expect(toHex(trieRootUnhashed([[b(0xaa), b(0xbb)]]))).toBe("0x42aa04bb");
    expect(trieRoot([[b(0xaa), b(0xbb)]])).toEqual(blake2_256(fromHex("0x42aa04bb")));
  });

  it("matches sp-trie's codec_trie_two_tuples_disjoint_keys vector", () => {
    // 0x80: branch without value, no partial; bitmap 0x0012 (slots 1 and 4); two inline leaves of
    // 5 bytes (Compact 0x14): 0x43 = leaf with 3 nibbles, 0x03 0x14 / 0x08 0x19, value Compact(1).
    const expected = "0x80120014430314" + "04ff" + "14430819" + "04fe";
    const input: [Uint8Array, Uint8Array][] = [
      [b(0x48, 0x19), b(0xfe)],
      [b(0x13, 0x14), b(0xff)],
    ];
    expect(toHex(trieRootUnhashed(input))).toBe(expected);
    expect(trieRoot(input)).toEqual(blake2_256(fromHex(expected)));
  });

  it("encodes a branch with value and partial key (extension_and_branch_with_value input)", () => {
    // Keys aa, aaaa, aabb: one root branch with partial [a a] and the value a0, children at a and b.
    // 0xc2: branch with value, 2 nibbles; 0xaa; bitmap 0x0c00 (slots 10, 11) little-endian;
    // value 04 a0; each child an inline leaf of 4 bytes (Compact 0x10): 0x41 0x0a 04 aa.
    const input: [Uint8Array, Uint8Array][] = [
      [b(0xaa), b(0xa0)],
      [b(0xaa, 0xaa), b(0xaa)],
      [b(0xaa, 0xbb), b(0xab)],
    ];
    expect(toHex(trieRootUnhashed(input))).toBe("0xc2aa000c04a010410a04aa10410b04ab");
  });

  it("references a child of 32 bytes or more by hash, a shorter one inline", () => {
    const long = new TextEncoder().encode("ABC".repeat(24)); // 72 bytes: Compact(72) = 0x2101
    const input: [Uint8Array, Uint8Array][] = [
      [b(0xaa), long],
      [b(0xba), b(0x11)],
    ];
    const leafA = new Uint8Array([0x41, 0x0a, 0x21, 0x01, ...long]);
    const expected = `0x80000c80${toHex(blake2_256(leafA)).slice(2)}10410a0411`;
    expect(toHex(trieRootUnhashed(input))).toBe(expected);
    const dec = decodeNode(fromHex(expected));
    if (dec.kind !== "branch") throw new Error("expected a branch");
    expect(dec.children![10]!.length).toBe(HASH_LENGTH);
    expect(dec.children![11]).toEqual(fromHex("0x410a0411"));
  });

  it("writes a 32-byte key under the root as a leaf with a two-byte header (64 nibbles)", () => {
    const key = new Uint8Array(32).fill(0x5a);
    const enc = trieRootUnhashed([[key, b(1)]]);
    expect(toHex(enc.subarray(0, 2))).toBe("0x7f01");
    expect(toHex(enc.subarray(2, 34))).toBe(toHex(key));
    const dec = decodeNode(enc);
    if (dec.kind !== "leaf") throw new Error("expected a leaf");
    expect(dec.partial).toEqual(bytesToNibbles(key));
  });

  it("decodes and re-encodes real Substrate nodes (Polkadot genesis proof) byte for byte", () => {
    for (const hex of POLKADOT_GENESIS_PROOF_NODES) {
      const bytes = fromHex(hex);
      const dec = decodeNode(bytes);
      if (dec.kind === "empty") throw new Error("unexpected empty node");
      expect(dec.valueHash).toBeUndefined();
      expect(encodeNode(dec.partial, dec.value, dec.children)).toEqual(bytes);
    }
  });

  it("decodes LayoutV1 hashed-value headers without producing them", () => {
    const hash = new Uint8Array(32).fill(7);
    const leaf = decodeNode(new Uint8Array([0x20 | 2, 0xab, ...hash]));
    if (leaf.kind !== "leaf") throw new Error("expected a leaf");
    expect(leaf.valueHash).toEqual(hash);
    expect(leaf.value).toBeUndefined();
  });

  it("rejects malformed nodes with TRIE_ERROR_INVALID_NODE", () => {
    expectInvalid(new Uint8Array(0), /empty input/);
    expectInvalid(b(0x00, 0x00), /trailing/);
    expectInvalid(b(0x01), /unallowed header/);
    expectInvalid(b(0x41, 0x1a, 0x04, 0xaa), /padding/);
    expectInvalid(b(0x80, 0x00, 0x00), /without a child/);
    expectInvalid(b(0x42, 0xaa, 0x08, 0xbb), /truncated value/);
    expectInvalid(b(0x42, 0xaa, 0x04, 0xbb, 0x00), /trailing/);
    expectInvalid(b(0x7f), /truncated header/);
    expectInvalid(b(0x80, 0x01, 0x00, 0x80, 0x01), /truncated child/);
    expect(() => encodeNode(new Uint8Array(0), undefined, null)).toThrow(TrieError);
  });
});
