/**
 * Signature verification throughput: sr25519 by util-crypto's default (pure-JS) path, by
 * `@polkadot/wasm-crypto` (the reference) and by the guarded schnorrkel-wasm verifier (the node's) on
 * one thread each, with their ratio per core, and by `SignatureVerifierPool` on N threads; ed25519 by
 * node:crypto.
 *
 *   npm run build && node dist/bench/verify.js      (or through `npm run bench`)
 *
 * Env: BENCH_VERIFY_N (signatures per pool batch, default 8000), BENCH_VERIFY_THREADS (comma list of
 * pool sizes, default "1,2,<availableParallelism>").
 */
import { availableParallelism, cpus } from "node:os";
import { pathToFileURL } from "node:url";
import {
  signatureVerify,
  ed25519Verify as utilEd25519Verify,
  sr25519Verify as utilSr25519Verify,
} from "@polkadot/util-crypto";
import { sr25519_verify as schnorrkelWasmVerify } from "@polkadot-labs/schnorrkel-wasm";
import { SignatureVerifierPool, type VerifyItem } from "../node/verify/index.js";
import { type KeyPair, keypairFromSeed, sign } from "../primitives/crypto/keys.js";
import { isRistrettoKeyUncached } from "../primitives/crypto/sr25519Fast.js";
import { ss58Encode } from "../primitives/crypto/ss58.js";
import type { SignatureScheme } from "../primitives/crypto/types.js";
import { verifyEd25519, verifySr25519, verifySr25519Reference } from "../primitives/crypto/verify.js";
import { cryptoReady } from "../primitives/hashing.js";

/** A transfer's signing payload is ~110-150 bytes (call, extra, versions, genesis and era hashes). */
const MESSAGE_LENGTH = 140;
const KEYS = 64;

function makeItems(scheme: SignatureScheme, n: number): VerifyItem[] {
  const pairs: KeyPair[] = [];
  for (let k = 0; k < KEYS; k++) pairs.push(keypairFromSeed(new Uint8Array(32).fill(k + 1), scheme));
  const items: VerifyItem[] = [];
  for (let i = 0; i < n; i++) {
    const pair = pairs[i % KEYS];
    const message = new Uint8Array(MESSAGE_LENGTH);
    new DataView(message.buffer).setUint32(0, i, true);
    message.fill(7, 4);
    items.push({ scheme, message, publicKey: pair.publicKey, signature: sign(pair, message) });
  }
  return items;
}

/** Runs `fn(i)` over the items repeatedly for at least `minMs`; returns operations per second. */
function rate(count: number, fn: (i: number) => boolean, minMs = 1500): number {
  let ops = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < count; i++) if (!fn(i)) throw new Error(`bench: signature ${i} did not verify`);
    ops += count;
    elapsed = performance.now() - t0;
  } while (elapsed < minMs);
  return (ops * 1000) / elapsed;
}

async function poolRate(threads: number, items: VerifyItem[], rounds = 3): Promise<number> {
  const pool = new SignatureVerifierPool({ threads });
  try {
    await pool.verifyBatch(items.slice(0, 64 * Math.max(1, threads))); // start the workers and their wasm
    let best = 0;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const res = await pool.verifyBatch(items);
      const ms = performance.now() - t0;
      if (res.some((ok) => !ok)) throw new Error("bench: pool rejected a valid signature");
      best = Math.max(best, (items.length * 1000) / ms);
    }
    return best;
  } finally {
    await pool.close();
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(9);

export async function runVerifyBench(): Promise<void> {
  await cryptoReady();
  const n = Number(process.env.BENCH_VERIFY_N ?? 8000);
  const threadCounts = (process.env.BENCH_VERIFY_THREADS ?? `1,2,${availableParallelism()}`)
    .split(",")
    .map(Number)
    .filter((t, i, all) => Number.isInteger(t) && t >= 0 && all.indexOf(t) === i);
  console.log(
    `# signature verification — ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, Node ${process.version}, message ${MESSAGE_LENGTH} B`,
  );

  const sr = makeItems("sr25519", n);
  const addresses = sr.slice(0, 256).map((it) => ss58Encode(it.publicKey));
  const baseline = rate(256, (i) => utilSr25519Verify(sr[i].message, sr[i].signature, sr[i].publicKey));
  const rows: [string, number][] = [
    ["sr25519 util-crypto sr25519Verify (pure JS, baseline)", baseline],
    [
      "sr25519 util-crypto signatureVerify (by address)",
      rate(256, (i) => signatureVerify(sr[i].message, sr[i].signature, addresses[i]).isValid),
    ],
  ];
  const reference = rate(2000, (i) => verifySr25519Reference(sr[i].signature, sr[i].message, sr[i].publicKey));
  const fast = rate(2000, (i) => verifySr25519(sr[i].signature, sr[i].message, sr[i].publicKey));
  rows.push(
    ["sr25519 @polkadot/wasm-crypto (reference, 1 thread)", reference],
    ["sr25519 verifySr25519: schnorrkel-wasm, guarded (1 thread)", fast],
    [
      "sr25519 schnorrkel-wasm without the guards (1 thread)",
      rate(2000, (i) => schnorrkelWasmVerify(sr[i].publicKey, sr[i].message, sr[i].signature)),
    ],
    // The guard's cost for a key not seen before (then cached): once per sender, not per signature.
    ["Ristretto255 decode of a new key (@noble/curves)", rate(KEYS, (i) => isRistrettoKeyUncached(sr[i].publicKey))],
  );
  for (const t of threadCounts)
    rows.push([`sr25519 SignatureVerifierPool threads=${t}, batch ${n}`, await poolRate(t, sr)]);

  const ed = makeItems("ed25519", Math.min(n, 4000));
  rows.push([
    "ed25519 verifyEd25519 (node:crypto, 1 thread)",
    rate(ed.length, (i) => verifyEd25519(ed[i].signature, ed[i].message, ed[i].publicKey)),
  ]);
  rows.push([
    "ed25519 util-crypto ed25519Verify (wasm, 1 thread)",
    rate(ed.length, (i) => utilEd25519Verify(ed[i].message, ed[i].signature, ed[i].publicKey)),
  ]);
  const edThreads = threadCounts.filter((t) => t > 0).at(-1);
  if (edThreads !== undefined)
    rows.push([`ed25519 SignatureVerifierPool threads=${edThreads}`, await poolRate(edThreads, ed)]);

  for (const [name, r] of rows)
    console.log(`${name.padEnd(58)} ${fmt(r)} /s  ${(r / baseline).toFixed(1).padStart(6)}x`);
  console.log(
    `sr25519 per core: schnorrkel-wasm (guarded) / @polkadot/wasm-crypto = ${(fast / reference).toFixed(2)}x`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runVerifyBench();
}
