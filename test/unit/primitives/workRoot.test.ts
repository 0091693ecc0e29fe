import { beforeAll, describe, expect, it } from "@jest/globals";
import { blake2_256, cryptoReady } from "../../../primitives/hashing.js";
import {
  type LeafHash,
  leafCount,
  leafStep,
  verifyWorkProof,
  workLeaf,
  workProof,
  workRoot,
} from "../../../primitives/workRoot.js";

beforeAll(async () => {
  await cryptoReady();
});

const steps = (n: number): LeafHash[] =>
  Array.from({ length: n }, (_, i) => ({ index: i + 1, stateHash: blake2_256(new Uint8Array([i, 42])) }));
const node = (a: Uint8Array, b: Uint8Array) => blake2_256(new Uint8Array([0x01, ...a, ...b]));

describe("work root", () => {
  it("is the documented tree: leaves 0x00 ++ u32_le(step) ++ hash, nodes 0x01 ++ l ++ r, odd node carried up", () => {
    const s = steps(3);
    const leaf = (i: number) => blake2_256(new Uint8Array([0x00, i + 1, 0, 0, 0, ...s[i].stateHash]));
    expect(workLeaf(1, s[0].stateHash)).toEqual(leaf(0));
    expect(workRoot(s.slice(0, 1))).toEqual(leaf(0));
    expect(workRoot(s.slice(0, 2))).toEqual(node(leaf(0), leaf(1)));
    expect(workRoot(s)).toEqual(node(node(leaf(0), leaf(1)), leaf(2)));
    expect(workRoot([])).toEqual(new Uint8Array(32));
  });

  it("commits to every hash and its step: changing either changes the root", () => {
    const s = steps(5);
    const root = workRoot(s);
    const changed = s.map((x) => ({ ...x }));
    changed[3].stateHash = blake2_256(new Uint8Array([9]));
    expect(workRoot(changed)).not.toEqual(root);
    // Swapping two hashes moves them to other steps.
    const swapped = s.map((x) => ({ ...x }));
    [swapped[0].stateHash, swapped[1].stateHash] = [swapped[1].stateHash, swapped[0].stateHash];
    expect(workRoot(swapped)).not.toEqual(root);
  });

  it("rejects steps out of order", () => {
    const s = steps(3);
    expect(() => workRoot([s[1], s[0], s[2]])).toThrow("leaves must be 1..L in order");
  });

  it("proves every step of trees of 1 to 9 steps, and nothing else", () => {
    for (let n = 1; n <= 9; n++) {
      const s = steps(n);
      const root = workRoot(s);
      for (const { index: step, stateHash } of s) {
        const path = workProof(s, step);
        expect(verifyWorkProof(root, step, stateHash, path)).toBe(true);
        expect(verifyWorkProof(root, step, blake2_256(stateHash), path)).toBe(false);
        if (n > 1) expect(verifyWorkProof(root, (step % n) + 1, stateHash, path)).toBe(false);
      }
    }
  });
});

describe("leaves of a job", () => {
  it("a job of N steps with interval k has ⌈N/k⌉ leaves, the last one after step N", () => {
    expect([leafCount(64, 16), leafCount(65, 16), leafCount(1, 16), leafCount(100, 1)]).toEqual([4, 5, 1, 100]);
    expect([leafStep(1, 16, 65), leafStep(4, 16, 65), leafStep(5, 16, 65)]).toEqual([16, 64, 65]);
  });

  it("a proof deeper than any tree, or a hash of the wrong size, proves nothing", () => {
    const s = steps(4);
    const root = workRoot(s);
    const path = workProof(s, 2);
    const deep = [...path, ...Array.from({ length: 40 }, () => ({ sibling: new Uint8Array(32), right: true }))];
    expect(verifyWorkProof(root, 2, s[1].stateHash, deep)).toBe(false);
    expect(verifyWorkProof(root, 2, s[1].stateHash.slice(0, 31), path)).toBe(false);
  });
});
