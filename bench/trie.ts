/**
 * State-trie figures: updates/s (5,000 changes over a 100,000-key trie, root included), gets/s,
 * and `trieRoot` from scratch for 100,000 entries. Keys are 32 bytes shaped like
 * `blake2_128(id) ++ id`, values ~80 bytes.
 */
import { blake2_128, cryptoReady } from "../primitives/hashing.js";
import { Trie, trieRoot } from "../primitives/trie/index.js";

const N = 100_000;
const CHANGES = 5_000;
const UPDATE_ROUNDS = 10;

function makeKey(i: number): Uint8Array {
  const id = new Uint8Array(16);
  new DataView(id.buffer).setUint32(0, i, true);
  const key = new Uint8Array(32);
  key.set(blake2_128(id), 0);
  key.set(id, 16);
  return key;
}

/** Deterministic pseudo-random bytes (xorshift32); the bench must not depend on a clock or seed. */
function filler(seed: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export async function runTrieBench(): Promise<void> {
  await cryptoReady();
  const keys = Array.from({ length: N }, (_, i) => makeKey(i));
  const entries: [Uint8Array, Uint8Array][] = keys.map((k, i) => [k, filler(i, 80)]);

  // trieRoot from scratch.
  trieRoot(entries.slice(0, 5_000)); // warm-up
  let t0 = process.hrtime.bigint();
  const scratchRoot = trieRoot(entries);
  const rootMs = ms(t0);
  console.log(`trie: trieRoot from scratch, ${fmt(N)} entries: ${rootMs.toFixed(0)} ms`);

  // Build the in-memory trie and hash it, as at genesis or after loadTrie.
  t0 = process.hrtime.bigint();
  let trie = Trie.fromEntries(entries);
  const builtRoot = trie.root;
  const buildMs = ms(t0);
  if (Buffer.compare(builtRoot, scratchRoot) !== 0) throw new Error("bench: roots differ");
  t0 = process.hrtime.bigint();
  const initial = trie.collectNewNodes();
  trie.markPersisted();
  const collectAllMs = ms(t0);
  console.log(
    `trie: Trie.fromEntries + root, ${fmt(N)} entries: ${buildMs.toFixed(0)} ms; ` +
      `collectNewNodes (${fmt(initial.length)} nodes): ${collectAllMs.toFixed(0)} ms`,
  );

  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    `trie: JS heap with the ${fmt(N)}-key trie and the bench's own key/value arrays: ${heapMiB.toFixed(0)} MiB` +
      (gc === undefined ? " (no forced GC: run node with --expose-gc for a settled figure)" : ""),
  );

  // Updates: 4/5 overwrites, 1/5 inserts, then root, then collect + mark as the node does.
  let next = N;
  const updateRun = (changesPerRound: number, rounds: number, salt: number) => {
    const updateTimes: number[] = [];
    const collectTimes: number[] = [];
    let newNodes = 0;
    for (let round = 0; round < rounds + 2; round++) {
      const changes: [Uint8Array, Uint8Array][] = [];
      for (let i = 0; i < changesPerRound; i++) {
        const seed = salt + round * changesPerRound + i;
        const key = i % 5 === 4 ? makeKey(next++) : keys[(seed * 7919) % N];
        changes.push([key, filler(seed + 1_000_003, 80)]);
      }
      const start = process.hrtime.bigint();
      trie = trie.update(changes);
      void trie.root;
      const elapsed = ms(start);
      const c0 = process.hrtime.bigint();
      const nodes = trie.collectNewNodes();
      trie.markPersisted();
      const collectMs = ms(c0);
      if (round >= 2) {
        // the first two rounds warm the JIT
        updateTimes.push(elapsed);
        collectTimes.push(collectMs);
        newNodes = nodes.length;
      }
    }
    const upd = median(updateTimes);
    console.log(
      `trie: update ${fmt(changesPerRound)} changes over ${fmt(N)} keys + root: median ${upd.toFixed(1)} ms, ` +
        `best ${Math.min(...updateTimes).toFixed(1)} ms (${fmt((changesPerRound / upd) * 1000)} changes/s at the median); ` +
        `collectNewNodes + markPersisted: ${median(collectTimes).toFixed(1)} ms (${fmt(newNodes)} nodes)`,
    );
  };
  updateRun(CHANGES, UPDATE_ROUNDS, 0);
  // One block of 8,000 transfers touching 3 keys each.
  updateRun(24_000, 5, 10_000_000);

  // Gets of existing keys.
  const GETS = 500_000;
  let found = 0;
  for (let i = 0; i < 50_000; i++) if (trie.get(keys[i % N]) !== undefined) found++;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < GETS; i++) if (trie.get(keys[(i * 7919) % N]) !== undefined) found++;
  const getMs = ms(t0);
  if (found < GETS) throw new Error("bench: missing keys");
  console.log(`trie: get ${fmt(GETS)} existing keys: ${getMs.toFixed(0)} ms (${fmt((GETS / getMs) * 1000)} gets/s)`);
}
