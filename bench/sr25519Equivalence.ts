/**
 * Equivalence of the fast sr25519 verifier (`verifySr25519Fast`: guarded schnorrkel-wasm) with the
 * reference (`verifySr25519Reference`: `@polkadot/wasm-crypto`) on seeded random cases: valid
 * signatures and every kind of invalid input we could think of (see `CASE_KINDS`). Both must agree on
 * every case and neither may throw.
 *
 *   npm run verify-equivalence -- --cases 100000 [--seed 1]
 *
 * The unit test `test/unit/primitives/crypto/sr25519Equivalence.test.ts` runs a CI-sized sample.
 * The case kinds, keys and messages are a function of the seed; sr25519 signing is randomized
 * (schnorrkel mixes fresh randomness into the nonce), so the signatures' bytes are not.
 */

import { pathToFileURL } from "node:url";
import { ristretto255 } from "@noble/curves/ed25519";
import { type KeyPair, keypairFromSeed, sign } from "../primitives/crypto/keys.js";
import {
  isRistrettoPublicKey,
  isSchnorrkelSignatureEncoding,
  verifySr25519Fast,
} from "../primitives/crypto/sr25519Fast.js";
import { verifySr25519Reference } from "../primitives/crypto/verify.js";
import { cryptoReady } from "../primitives/hashing.js";
import { toHex } from "../primitives/hex.js";

/** ed25519's field prime p and the group order l. */
const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

export const CASE_KINDS = [
  /** A valid signature of a random message by one of the signers. */
  "valid",
  /** A valid signature with one random bit flipped (R, s or the marker bit). */
  "signature-bit-flip",
  /** A valid signature with schnorrkel's marker bit (bit 7 of byte 63) cleared. */
  "marker-cleared",
  /** A valid signature with s replaced by s + l: the same scalar, not canonically encoded. */
  "scalar-plus-l",
  /** A random s in [l, 2^255) with the marker set. */
  "scalar-out-of-range",
  /** A valid signature, checked against a different message (one byte changed, truncated or extended). */
  "wrong-message",
  /** A valid signature, checked against a random 32-byte key (most do not decode as a point). */
  "random-key",
  /** A valid signature, checked against another signer's (valid) key. */
  "other-signer-key",
  /** The signer's key with bit 255 set: the same field element, non-canonically encoded. */
  "key-high-bit",
  /** The signer's key as p - s: the "negative" encoding of a field element, which Ristretto rejects. */
  "key-negated",
  /** A key encoding a field element >= p (one of the 19 values in [p, 2^255)). */
  "key-above-p",
  /** All-zero, all-0xff and the signer's keys and signatures, every combination but the valid one. */
  "all-zero-or-ff",
  /** Random 64-byte signatures (the marker bit set half the time) under a valid key. */
  "random-signature",
  /** R replaced by random bytes (R is not decoded by schnorrkel: any 32 bytes are safe). */
  "random-r",
  /**
   * The identity key (32 zero bytes, a valid encoding) with R = s·B: verifies for any message in
   * schnorrkel; both verifiers must say so.
   */
  "identity-key-forgery",
  /** Signature or key of the wrong length (0, 31/33, 63/65 bytes). */
  "wrong-length",
] as const;

export type CaseKind = (typeof CASE_KINDS)[number];

export interface KindStats {
  cases: number;
  /** Cases both verifiers accepted. */
  accepted: number;
  /** Cases the fast verifier's guards rejected before calling the wasm. */
  guarded: number;
  mismatches: number;
  throws: number;
}

export interface EquivalenceReport {
  cases: number;
  seed: number;
  ms: number;
  byKind: Record<CaseKind, KindStats>;
  mismatches: number;
  throws: number;
  /** Up to 10 failing cases, hex-encoded, for reproduction. */
  examples: {
    kind: CaseKind;
    signature: string;
    message: string;
    publicKey: string;
    fast: string;
    reference: string;
  }[];
}

/** sfc32: a small, fast, seeded PRNG (deterministic across platforms). */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
  bigBelow(bits: number): bigint {
    let x = 0n;
    for (let i = 0; i < Math.ceil(bits / 32); i++) x = (x << 32n) | BigInt(this.u32());
    return x & ((1n << BigInt(bits)) - 1n);
  }
}

function leBytes(x: bigint, n = 32): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function leInt(bytes: Uint8Array): bigint {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]);
  return x;
}

interface Case {
  kind: CaseKind;
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
}

const SIGNERS = 32;

class CaseGenerator {
  private readonly signers: KeyPair[] = [];
  constructor(private readonly rng: Rng) {
    for (let i = 0; i < SIGNERS; i++) this.signers.push(keypairFromSeed(rng.bytes(32), "sr25519"));
  }

  private signed(): { pair: KeyPair; message: Uint8Array; signature: Uint8Array } {
    const pair = this.signers[this.rng.int(SIGNERS)];
    const message = this.rng.bytes(this.rng.int(4) === 0 ? this.rng.int(8) : 32 + this.rng.int(256));
    return { pair, message, signature: sign(pair, message) };
  }

  make(kind: CaseKind): Case {
    const rng = this.rng;
    const { pair, message, signature } = this.signed();
    const c: Case = { kind, signature, message, publicKey: pair.publicKey };
    switch (kind) {
      case "valid":
        break;
      case "signature-bit-flip": {
        const bit = rng.int(512);
        c.signature = signature.slice();
        c.signature[bit >> 3] ^= 1 << (bit & 7);
        break;
      }
      case "marker-cleared":
        c.signature = signature.slice();
        c.signature[63] &= 0x7f;
        break;
      case "scalar-plus-l": {
        const s = leInt(signature.subarray(32)) & ((1n << 255n) - 1n);
        c.signature = signature.slice();
        c.signature.set(leBytes(s + L), 32);
        c.signature[63] |= 0x80;
        break;
      }
      case "scalar-out-of-range": {
        const s = L + (rng.bigBelow(255) % ((1n << 255n) - L));
        c.signature = signature.slice();
        c.signature.set(leBytes(s), 32);
        c.signature[63] |= 0x80;
        break;
      }
      case "wrong-message": {
        const how = rng.int(3);
        if (how === 0 || message.length === 0) {
          c.message = new Uint8Array(message.length + 1);
          c.message.set(message);
          c.message[message.length] = rng.int(256);
        } else if (how === 1) {
          c.message = message.slice(0, message.length - 1);
        } else {
          c.message = message.slice();
          c.message[rng.int(message.length)] ^= 1 + rng.int(255);
        }
        break;
      }
      case "random-key":
        c.publicKey = rng.bytes(32);
        break;
      case "other-signer-key": {
        let other = this.signers[rng.int(SIGNERS)];
        while (other === pair) other = this.signers[rng.int(SIGNERS)];
        c.publicKey = other.publicKey;
        break;
      }
      case "key-high-bit":
        c.publicKey = pair.publicKey.slice();
        c.publicKey[31] |= 0x80;
        break;
      case "key-negated":
        c.publicKey = leBytes((P - leInt(pair.publicKey)) % P);
        break;
      case "key-above-p":
        c.publicKey = leBytes(P + BigInt(rng.int(19)));
        break;
      case "all-zero-or-ff": {
        // Eight of the nine (key, signature) pairs of {zeros, 0xff, the signer's}: all but the valid one.
        const combo = rng.int(8);
        c.publicKey = [new Uint8Array(32), new Uint8Array(32).fill(0xff), pair.publicKey][combo % 3];
        c.signature = [new Uint8Array(64), new Uint8Array(64).fill(0xff), signature][Math.floor(combo / 3)];
        break;
      }
      case "random-signature":
        c.signature = rng.bytes(64);
        break;
      case "random-r":
        c.signature = signature.slice();
        c.signature.set(rng.bytes(32), 0);
        break;
      case "identity-key-forgery": {
        const s = rng.bigBelow(252);
        c.publicKey = new Uint8Array(32);
        c.signature = new Uint8Array(64);
        c.signature.set(s === 0n ? new Uint8Array(32) : ristretto255.Point.BASE.multiply(s).toBytes(), 0);
        c.signature.set(leBytes(s), 32);
        c.signature[63] |= 0x80;
        break;
      }
      case "wrong-length": {
        // A prefix or a one-byte extension of the valid signature or key.
        const resize = (bytes: Uint8Array, length: number) => {
          const out = new Uint8Array(length);
          out.set(bytes.subarray(0, Math.min(length, bytes.length)));
          return out;
        };
        if (rng.int(2) === 0) c.signature = resize(signature, [0, 32, 63, 65][rng.int(4)]);
        else c.publicKey = resize(pair.publicKey, [0, 31, 33][rng.int(3)]);
        break;
      }
    }
    return c;
  }
}

function attempt(f: () => boolean): boolean | Error {
  try {
    return f();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Runs `cases` cases, the kinds in turn. Awaits `cryptoReady()` (the reference verifier needs it). */
export async function runSr25519Equivalence(cases: number, seed = 1): Promise<EquivalenceReport> {
  await cryptoReady();
  const rng = new Rng(seed);
  const gen = new CaseGenerator(rng);
  const byKind = Object.fromEntries(
    CASE_KINDS.map((k) => [k, { cases: 0, accepted: 0, guarded: 0, mismatches: 0, throws: 0 }]),
  ) as Record<CaseKind, KindStats>;
  const report: EquivalenceReport = { cases, seed, ms: 0, byKind, mismatches: 0, throws: 0, examples: [] };
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const c = gen.make(CASE_KINDS[i % CASE_KINDS.length]);
    const stats = byKind[c.kind];
    stats.cases++;
    if (!isSchnorrkelSignatureEncoding(c.signature) || !isRistrettoPublicKey(c.publicKey)) stats.guarded++;
    const fast = attempt(() => verifySr25519Fast(c.signature, c.message, c.publicKey));
    const reference = attempt(() => verifySr25519Reference(c.signature, c.message, c.publicKey));
    const threw = fast instanceof Error || reference instanceof Error;
    const mismatch = !threw && fast !== reference;
    if (threw) stats.throws++;
    if (mismatch) stats.mismatches++;
    if (fast === true && reference === true) stats.accepted++;
    if ((threw || mismatch) && report.examples.length < 10) {
      report.examples.push({
        kind: c.kind,
        signature: toHex(c.signature),
        message: toHex(c.message),
        publicKey: toHex(c.publicKey),
        fast: String(fast),
        reference: String(reference),
      });
    }
  }
  report.ms = performance.now() - t0;
  for (const s of Object.values(byKind)) {
    report.mismatches += s.mismatches;
    report.throws += s.throws;
  }
  return report;
}

export function formatEquivalenceReport(r: EquivalenceReport): string {
  const lines = [
    `# sr25519 equivalence: schnorrkel-wasm (guarded) vs @polkadot/wasm-crypto — ${r.cases.toLocaleString("en-US")} cases, seed ${r.seed}, ${(r.ms / 1000).toFixed(1)} s`,
    `${"kind".padEnd(22)} ${"cases".padStart(8)} ${"accepted".padStart(9)} ${"guarded".padStart(8)} ${"mismatch".padStart(9)} ${"throws".padStart(7)}`,
  ];
  for (const [kind, s] of Object.entries(r.byKind))
    lines.push(
      `${kind.padEnd(22)} ${String(s.cases).padStart(8)} ${String(s.accepted).padStart(9)} ${String(s.guarded).padStart(8)} ${String(s.mismatches).padStart(9)} ${String(s.throws).padStart(7)}`,
    );
  lines.push(`total mismatches ${r.mismatches}, throws ${r.throws}`);
  for (const e of r.examples) lines.push(`  ${JSON.stringify(e)}`);
  return lines.join("\n");
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runSr25519Equivalence(arg("cases", 100_000), arg("seed", 1));
  console.log(formatEquivalenceReport(report));
  process.exitCode = report.mismatches === 0 && report.throws === 0 ? 0 : 1;
}
