/**
 * Fuzz target "trie": read proofs verify exactly when they should. On random key/value sets (keys
 * from a small alphabet, so that they share prefixes and the trie has branches, extensions and inline
 * nodes):
 *
 * - complete: `Trie.proof(keys)` verifies against the root and gives every key's value, or `null` for
 *   an absent key (random keys, and prefixes and extensions of present ones);
 * - tamper-evident: a proof with a node removed or altered fails with a `TrieError`, as does a wrong
 *   root;
 * - sound: whatever the proof (another version's, nodes added, forged nodes under a forged root),
 *   verification throws a `TrieError` or answers the true values, never another value.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import * as fc from "fast-check";
import { blake2_256, cryptoReady } from "../../primitives/hashing.js";
import { toHex } from "../../primitives/hex.js";
import { decodeNode, EMPTY_TRIE_ROOT, Trie, TrieError, verifyProof } from "../../primitives/trie/index.js";
import { FUZZ_RUNS, fuzzParams, fuzzTimeout } from "./budget.js";
import { garbage } from "./mutations.js";

beforeAll(async () => {
  await cryptoReady();
});

// ---------------------------------------------------------------------------------------------
// Inputs

/** Keys that collide often: a few nibble-rich bytes, or random ones (storage-like 32-byte keys too). */
const keyArb = fc.oneof(
  fc.array(fc.constantFrom(0x00, 0x01, 0x10, 0x11, 0x1f, 0xf1, 0xff), { maxLength: 5 }).map((b) => Uint8Array.from(b)),
  fc.uint8Array({ maxLength: 8 }),
  fc.uint8Array({ minLength: 32, maxLength: 34 }),
);

/** Values from empty (a stored empty value is not absence) to larger than a hash. */
const valueArb = fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 80 }));

const entriesArb = fc.array(fc.tuple(keyArb, valueArb), { maxLength: 40 });

interface Case {
  trie: Trie;
  /** The entries, last write wins, by hex key. */
  model: Map<string, Uint8Array>;
  /** Keys to prove: present ones, absent ones, prefixes and extensions of present ones. */
  query: Uint8Array[];
}

const caseArb: fc.Arbitrary<Case> = entriesArb.chain((entries) => {
  const model = new Map(entries.map(([k, v]) => [toHex(k), v] as const));
  const present = entries.map(([k]) => k);
  const related = present.flatMap((k) => [k.subarray(0, k.length - 1), Uint8Array.from([...k, 0x10])]);
  const pick = (keys: Uint8Array[]) => (keys.length === 0 ? keyArb : fc.constantFrom(...keys));
  return fc
    .array(fc.oneof(pick(present), pick(related), keyArb), { minLength: 1, maxLength: 6 })
    .map((query) => ({ trie: Trie.fromEntries(entries), model, query }));
});

/** The value of each key of `query` in the model, as `verifyProof` answers it. */
function expected(c: Case): Map<string, Uint8Array | null> {
  return new Map(c.query.map((k) => [toHex(k), c.model.get(toHex(k)) ?? null]));
}

/** Runs `verify`: a `TrieError` is `"error"`; any other exception fails the property. */
function attempt(verify: () => Map<string, Uint8Array | null>): Map<string, Uint8Array | null> | "error" {
  try {
    return verify();
  } catch (err) {
    if (err instanceof TrieError) return "error";
    throw err;
  }
}

/** Verification either fails with a `TrieError` or gives exactly the true values. */
function expectSoundOrError(result: Map<string, Uint8Array | null> | "error", c: Case): void {
  if (result !== "error") expect(result).toEqual(expected(c));
}

type Tamper = { kind: "remove"; node: number } | { kind: "alter"; node: number; seed: Uint8Array };

const tamperArb = (proofLength: number): fc.Arbitrary<Tamper> => {
  const node = fc.integer({ min: 0, max: proofLength - 1 });
  return fc.oneof(
    fc.record({ kind: fc.constant("remove" as const), node }),
    fc.record({ kind: fc.constant("alter" as const), node, seed: fc.uint8Array({ maxLength: 9 }) }),
  );
};

describe("fuzz: trie read proofs", () => {
  it(
    `prove present and absent keys against the root (${FUZZ_RUNS} tries)`,
    () =>
      fc.assert(
        fc.property(caseArb, (c) => {
          for (const [k, v] of c.model) expect(c.trie.get(Buffer.from(k.slice(2), "hex"))).toEqual(v);
          expect(c.trie.count()).toBe(c.model.size);
          const proof = c.trie.proof(c.query);
          expect(verifyProof(c.trie.root, proof, c.query)).toEqual(expected(c));
          // Extra nodes (another key's path) change nothing.
          const more = c.trie.proof([...c.model.keys()].map((k) => Buffer.from(k.slice(2), "hex")));
          expect(verifyProof(c.trie.root, [...proof, ...more], c.query)).toEqual(expected(c));
        }),
        fuzzParams(),
      ),
    fuzzTimeout(2),
  );

  it(
    `fail with a TrieError once a node is removed or altered, or the root is wrong (${FUZZ_RUNS} tries)`,
    () =>
      fc.assert(
        fc.property(
          caseArb
            .filter((c) => c.model.size > 0)
            .chain((c) => {
              const proof = c.trie.proof(c.query);
              return fc.tuple(
                fc.constant(c),
                fc.constant(proof),
                tamperArb(proof.length),
                fc.uint8Array({ minLength: 32, maxLength: 32 }),
              );
            }),
          ([c, proof, tamper, wrongRoot]) => {
            let tampered: Uint8Array[];
            if (tamper.kind === "remove") tampered = proof.filter((_, i) => i !== tamper.node);
            else {
              const original = proof[tamper.node];
              const altered = mutatedBytes(original, tamper.seed);
              fc.pre(toHex(altered) !== toHex(original));
              tampered = proof.map((n, i) => (i === tamper.node ? altered : n));
            }
            expect(attempt(() => verifyProof(c.trie.root, tampered, c.query))).toBe("error");
            fc.pre(toHex(wrongRoot) !== toHex(c.trie.root) && toHex(wrongRoot) !== toHex(EMPTY_TRIE_ROOT));
            expect(attempt(() => verifyProof(wrongRoot, proof, c.query))).toBe("error");
          },
        ),
        fuzzParams(),
      ),
    fuzzTimeout(2),
  );

  it(
    `never answer a wrong value: another version's proof, forged nodes under a forged root (${FUZZ_RUNS} tries)`,
    () =>
      fc.assert(
        fc.property(
          caseArb,
          valueArb,
          fc.array(garbage(120), { maxLength: 3 }),
          fc.array(fc.uint8Array({ maxLength: 9 }), { minLength: 1, maxLength: 3 }),
          (c, newValue, forged, seeds) => {
            const proof = c.trie.proof(c.query);
            // Another version: the first queried key set to another value (or removed).
            const key = c.query[0];
            const current = c.model.get(toHex(key));
            const other = c.trie.set(
              key,
              current !== undefined && toHex(current) === toHex(newValue) ? null : newValue,
            );
            const otherProof = other.proof(c.query);
            expectSoundOrError(
              attempt(() => verifyProof(c.trie.root, otherProof, c.query)),
              c,
            );
            // The other version's root with this version's proof: sound for the other version.
            const otherCase = { ...c, trie: other, model: modelOf(other) };
            expectSoundOrError(
              attempt(() => verifyProof(other.root, proof, c.query)),
              otherCase,
            );
            // Forged nodes mixed in change nothing; forged or mutated nodes standing as the root read
            // as whatever trie they make up, or fail with a TrieError (checked: no other exception).
            expectSoundOrError(
              attempt(() => verifyProof(c.trie.root, [...proof, ...forged], c.query)),
              c,
            );
            const mutatedNodes = proof.flatMap((n) => seeds.map((seed) => mutatedBytes(n, seed)));
            for (const node of [...forged, ...mutatedNodes]) {
              attempt(() => verifyProof(blake2_256(node), [node, ...proof, ...forged], c.query));
              try {
                decodeNode(node);
              } catch (err) {
                if (!(err instanceof TrieError)) throw err;
              }
            }
          },
        ),
        fuzzParams(),
      ),
    fuzzTimeout(3),
  );
});

/** `node` with some of its bytes changed, positions and values drawn from `seed`. */
function mutatedBytes(node: Uint8Array, seed: Uint8Array): Uint8Array {
  const out = node.slice();
  if (seed.length === 0) {
    out[out.length - 1] ^= 1;
    return out;
  }
  for (let i = 0; i + 1 < seed.length; i += 2) out[seed[i] % out.length] = seed[i + 1];
  if (seed.length % 2 === 1) return out.subarray(0, seed[seed.length - 1] % (out.length + 1));
  return out;
}

function modelOf(trie: Trie): Map<string, Uint8Array> {
  return new Map(Array.from(trie.entries(), ([k, v]) => [toHex(k), v] as const));
}
