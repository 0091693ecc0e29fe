/**
 * The work root: the commitment a trainer puts on chain (`submit_result`'s `work_root`) over the state
 * hash it computed after every training step (`worker/train/stateHash.ts`), so that a challenger can later ask for any
 * step's hash with a proof that it was committed before the challenge randomness was known.
 *
 * Definition (a binary Merkle tree, domain-separated so a leaf can never pass for an inner node):
 * - leaf of step s (1-based) with state hash h (32 bytes): `blake2_256(0x00 ++ u32_le(s) ++ h)`;
 * - inner node: `blake2_256(0x01 ++ left ++ right)`;
 * - levels are built left to right; a level with an odd count carries its last node up unchanged;
 * - the root of one step is its leaf; the root of no steps is 32 zero bytes (never submitted: a worker
 *   trains at least one step).
 * Steps must be given in order 1, 2, …, N (the runner's order); `workRoot` checks it.
 */
import { blake2_256 } from "../../primitives/hashing.js";
import { bytesEqual } from "../../primitives/hex.js";

export interface StepHash {
  step: number;
  stateHash: Uint8Array;
}

export function workLeaf(step: number, stateHash: Uint8Array): Uint8Array {
  if (stateHash.length !== 32) throw new Error(`state hash of step ${step} must be 32 bytes`);
  const pre = new Uint8Array(1 + 4 + 32);
  pre[0] = 0x00;
  new DataView(pre.buffer).setUint32(1, step, true);
  pre.set(stateHash, 5);
  return blake2_256(pre);
}

function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  const pre = new Uint8Array(65);
  pre[0] = 0x01;
  pre.set(left, 1);
  pre.set(right, 33);
  return blake2_256(pre);
}

function leaves(steps: readonly StepHash[]): Uint8Array[] {
  return steps.map((s, i) => {
    if (s.step !== i + 1) throw new Error(`steps must be 1..N in order: found step ${s.step} at position ${i + 1}`);
    return workLeaf(s.step, s.stateHash);
  });
}

function nextLevel(level: Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? node(level[i], level[i + 1]) : level[i]);
  return up;
}

/** The work root of steps 1..N (see the module docs). */
export function workRoot(steps: readonly StepHash[]): Uint8Array {
  let level = leaves(steps);
  if (level.length === 0) return new Uint8Array(32);
  while (level.length > 1) level = nextLevel(level);
  return level[0];
}

/** The sibling path proving step `step`'s leaf under the work root, bottom up (`right`: sibling on the right). */
export function workProof(steps: readonly StepHash[], step: number): { sibling: Uint8Array; right: boolean }[] {
  let level = leaves(steps);
  let at = step - 1;
  if (at < 0 || at >= level.length) throw new Error(`no step ${step} among ${level.length}`);
  const path: { sibling: Uint8Array; right: boolean }[] = [];
  while (level.length > 1) {
    const pair = at % 2 === 0 ? at + 1 : at - 1;
    if (pair < level.length) path.push({ sibling: level[pair], right: pair > at });
    level = nextLevel(level);
    at = Math.floor(at / 2);
  }
  return path;
}

/** Whether `stateHash` at `step` is committed under `root` by `path` (from `workProof`). */
export function verifyWorkProof(
  root: Uint8Array,
  step: number,
  stateHash: Uint8Array,
  path: readonly { sibling: Uint8Array; right: boolean }[],
): boolean {
  let h = workLeaf(step, stateHash);
  for (const p of path) h = p.right ? node(h, p.sibling) : node(p.sibling, h);
  return bytesEqual(h, root);
}
