import { beforeAll, describe, expect, it } from "@jest/globals";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { type StepHash, verifyWorkProof, workLeaf, workProof, workRoot } from "../../../../worker/proof/workRoot.js";

beforeAll(async () => {
  await cryptoReady();
});

const steps = (n: number): StepHash[] =>
  Array.from({ length: n }, (_, i) => ({ step: i + 1, stateHash: blake2_256(new Uint8Array([i, 42])) }));
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
    expect(() => workRoot([s[1], s[0], s[2]])).toThrow("steps must be 1..N in order");
  });

  it("proves every step of trees of 1 to 9 steps, and nothing else", () => {
    for (let n = 1; n <= 9; n++) {
      const s = steps(n);
      const root = workRoot(s);
      for (const { step, stateHash } of s) {
        const path = workProof(s, step);
        expect(verifyWorkProof(root, step, stateHash, path)).toBe(true);
        expect(verifyWorkProof(root, step, blake2_256(stateHash), path)).toBe(false);
        if (n > 1) expect(verifyWorkProof(root, (step % n) + 1, stateHash, path)).toBe(false);
      }
    }
  });
});
