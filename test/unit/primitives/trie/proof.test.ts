import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { fromHex, toHex } from "../../../../primitives/hex.js";
import {
  EMPTY_TRIE_ROOT,
  Trie,
  TrieError,
  type TrieErrorType,
  verifyProof,
} from "../../../../primitives/trie/index.js";
import {
  POLKADOT_GENESIS_PROOF_KEY,
  POLKADOT_GENESIS_PROOF_NODES,
  POLKADOT_GENESIS_PROOF_VALUE,
  POLKADOT_GENESIS_STATE_ROOT,
} from "./polkadotGenesisProof.js";

const root = fromHex(POLKADOT_GENESIS_STATE_ROOT);
const nodes = POLKADOT_GENESIS_PROOF_NODES.map(fromHex);
const key = fromHex(POLKADOT_GENESIS_PROOF_KEY);

function errorOf(fn: () => unknown): TrieErrorType {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TrieError);
    return (e as TrieError).type;
  }
  throw new Error("expected a TrieError");
}

beforeAll(async () => {
  await cryptoReady();
});

describe("verifyProof against a real Polkadot read proof (genesis state root)", () => {
  it("reads the proven value", () => {
    const result = verifyProof(root, nodes, [key]);
    expect(toHex(result.get(POLKADOT_GENESIS_PROOF_KEY)!)).toBe(POLKADOT_GENESIS_PROOF_VALUE);
  });

  it("proves absence of a key below the proven leaf", () => {
    const longer = fromHex(`${POLKADOT_GENESIS_PROOF_KEY}25`);
    expect(verifyProof(root, nodes, [longer]).get(toHex(longer))).toBeNull();
  });

  it("fails with TRIE_ERROR_INCOMPLETE_PROOF for a key whose path leaves the proof", () => {
    const other = fromHex("0x9c5d795d0297be56027a4b2464e3339763e6d3c1fb15805edfd024172ea4817d7000");
    const err = errorOf(() => verifyProof(root, nodes, [other]));
    expect(err.code).toBe("TRIE_ERROR_INCOMPLETE_PROOF");
    if (err.code === "TRIE_ERROR_INCOMPLETE_PROOF") expect(err.key).toBe(toHex(other));
  });

  it("fails for a wrong root, a missing node and an altered node", () => {
    expect(errorOf(() => verifyProof(new Uint8Array(32), nodes, [key])).code).toBe("TRIE_ERROR_INCOMPLETE_PROOF");
    for (let i = 0; i < nodes.length; i++) {
      const missing = nodes.filter((_, j) => j !== i);
      expect(errorOf(() => verifyProof(root, missing, [key])).code).toBe("TRIE_ERROR_INCOMPLETE_PROOF");
      const altered = nodes.map((n, j) =>
        j === i ? Uint8Array.from(n, (x, k) => (k === n.length - 1 ? x ^ 1 : x)) : n,
      );
      expect(errorOf(() => verifyProof(root, altered, [key])).code).toBe("TRIE_ERROR_INCOMPLETE_PROOF");
    }
  });

  it("rejects a root that is not 32 bytes", () => {
    expect(errorOf(() => verifyProof(root.subarray(1), nodes, [key])).code).toBe("TRIE_ERROR_INVALID_HASH");
  });
});

describe("Trie.proof", () => {
  const entries: [Uint8Array, Uint8Array][] = [
    [fromHex("0x0102"), fromHex("0x01")],
    [fromHex("0x0203"), fromHex("0x0405")],
    [fromHex(`0x${"11".repeat(32)}`), new Uint8Array(64).fill(3)],
    [fromHex(`0x${"11".repeat(31)}12`), new Uint8Array(64).fill(4)],
  ];
  const trie = Trie.fromEntries(entries);

  it("proves inclusion and non-inclusion (sp-trie proof_*_works)", () => {
    const absent = fromHex("0x0909");
    const proof = trie.proof([entries[0][0], absent]);
    const result = verifyProof(trie.root, proof, [entries[0][0], absent]);
    expect(result.get("0x0102")).toEqual(fromHex("0x01"));
    expect(result.get("0x0909")).toBeNull();
  });

  it("holds only the nodes on the asked paths", () => {
    const proof = trie.proof([entries[2][0]]);
    // The root, the branch under 0x1111…, and the hashed 64-byte leaf; not the sibling leaf.
    expect(proof.length).toBe(3);
    expect(() => verifyProof(trie.root, proof, [entries[3][0]])).toThrow(TrieError);
    expect(verifyProof(trie.root, proof, [entries[2][0]]).get(toHex(entries[2][0]))).toEqual(entries[2][1]);
  });

  it("deduplicates nodes shared by several keys and sorts them by bytes", () => {
    const proof = trie.proof([entries[2][0], entries[3][0], entries[2][0]]);
    expect(proof.length).toBe(4);
    const sorted = [...proof].sort(Buffer.compare);
    expect(proof).toEqual(sorted);
  });

  it("gives every key of the empty trie as absent", () => {
    const result = verifyProof(EMPTY_TRIE_ROOT, Trie.empty().proof([key]), [key]);
    expect(result.get(toHex(key))).toBeNull();
  });
});
