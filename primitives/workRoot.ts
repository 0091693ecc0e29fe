/**
 * The work root: a trainer's commitment (`reveal_result`'s `work_root`) to the state hash it reached at
 * every checkpoint of a training job, so that an audit or a challenge can later ask for any checkpoint
 * with a proof that it was committed before the audit's randomness was known (DESIGN §6).
 *
 * Leaves: with `checkpoint_interval` k and N training steps, leaf i (1-based, i = 1..⌈N/k⌉) is the state
 * after step min(i·k, N); segment i is the k steps (or fewer, for the last) from leaf i-1 (the initial
 * state for i = 1) to leaf i.
 *
 * Definition (a binary Merkle tree, domain-separated so a leaf can never pass for an inner node):
 * - leaf i with state hash h (32 bytes): `blake2_256(0x00 ++ u32_le(i) ++ h)`;
 * - inner node: `blake2_256(0x01 ++ left ++ right)`;
 * - levels are built left to right; a level with an odd count carries its last node up unchanged;
 * - the root of one leaf is that leaf; the root of none is 32 zero bytes (never revealed: a trainer
 *   trains at least one step).
 * Leaves must be given in order 1, 2, …, L; `workRoot` checks it. Lives in primitives/ because the
 * runtime checks proofs and the worker builds them.
 */
import { blake2_256 } from "./hashing.js";
import { bytesEqual } from "./hex.js";

export interface LeafHash {
  /** 1-based leaf index. */
  index: number;
  stateHash: Uint8Array;
}

/** One step of a proof, bottom up: the sibling's hash and whether it sits on the right. */
export interface WorkProofStep {
  sibling: Uint8Array;
  right: boolean;
}

/** Deepest proof any tree of up to 2^32 leaves needs. */
export const MAX_WORK_PROOF_DEPTH = 32;

export function workLeaf(index: number, stateHash: Uint8Array): Uint8Array {
  if (stateHash.length !== 32) throw new Error(`state hash of leaf ${index} must be 32 bytes`);
  const pre = new Uint8Array(1 + 4 + 32);
  pre[0] = 0x00;
  new DataView(pre.buffer).setUint32(1, index, true);
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

function leaves(hashes: readonly LeafHash[]): Uint8Array[] {
  return hashes.map((s, i) => {
    if (s.index !== i + 1) throw new Error(`leaves must be 1..L in order: found leaf ${s.index} at position ${i + 1}`);
    return workLeaf(s.index, s.stateHash);
  });
}

function nextLevel(level: Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? node(level[i], level[i + 1]) : level[i]);
  return up;
}

/** The work root of leaves 1..L (see the module docs). */
export function workRoot(hashes: readonly LeafHash[]): Uint8Array {
  let level = leaves(hashes);
  if (level.length === 0) return new Uint8Array(32);
  while (level.length > 1) level = nextLevel(level);
  return level[0];
}

/** The sibling path proving leaf `index` under the work root, bottom up. */
export function workProof(hashes: readonly LeafHash[], index: number): WorkProofStep[] {
  let level = leaves(hashes);
  let at = index - 1;
  if (at < 0 || at >= level.length) throw new Error(`no leaf ${index} among ${level.length}`);
  const path: WorkProofStep[] = [];
  while (level.length > 1) {
    const pair = at % 2 === 0 ? at + 1 : at - 1;
    if (pair < level.length) path.push({ sibling: level[pair], right: pair > at });
    level = nextLevel(level);
    at = Math.floor(at / 2);
  }
  return path;
}

/** Whether `stateHash` at leaf `index` is committed under `root` by `path` (from `workProof`). */
export function verifyWorkProof(
  root: Uint8Array,
  index: number,
  stateHash: Uint8Array,
  path: readonly WorkProofStep[],
): boolean {
  if (path.length > MAX_WORK_PROOF_DEPTH || stateHash.length !== 32) return false;
  let h = workLeaf(index, stateHash);
  for (const p of path) h = p.right ? node(h, p.sibling) : node(p.sibling, h);
  return bytesEqual(h, root);
}

/** How many leaves (segments) N training steps have with checkpoint interval k. */
export function leafCount(steps: number, interval: number): number {
  return Math.ceil(steps / interval);
}

/** The step after which leaf `index` is taken: min(index·k, N). */
export function leafStep(index: number, interval: number, steps: number): number {
  return Math.min(index * interval, steps);
}

/** Segments a job has when its client leaves `checkpoint_interval` at 0. */
export const DEFAULT_SEGMENTS = 64;

/** The interval the chain fixes for a job of N steps posted with `checkpoint_interval` 0: ⌈N/64⌉. */
export function defaultCheckpointInterval(steps: number): number {
  return Math.max(1, Math.ceil(steps / DEFAULT_SEGMENTS));
}
