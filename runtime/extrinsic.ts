/**
 * Substrate's v4 extrinsic format, parsed by hand on the hot path (measured ~20x faster than a generic
 * codec). The layout, after the Compact length prefix:
 *
 *   signed:   0x84 | MultiAddress::Id(0x00 ++ [u8;32]) | MultiSignature(tag ++ sig) | Era | Compact<nonce> | Compact<tip> | call
 *   unsigned: 0x04 | call                                    (inherents only)
 *
 * The signed payload is `call ++ extra ++ additional`, where extra = (era, nonce, tip) and additional =
 * (spec_version, transaction_version, genesis_hash, era's birth block hash); it is blake2-256 hashed
 * when longer than 256 bytes.
 */
import { TensorchainError } from "../primitives/errors.js";
import { blake2_256 } from "../primitives/hashing.js";

export type ExtrinsicErrorType =
  | { code: "EXTRINSIC_ERROR_MALFORMED"; reason: string }
  | { code: "EXTRINSIC_ERROR_UNSUPPORTED_VERSION"; version: number }
  | { code: "EXTRINSIC_ERROR_UNSUPPORTED_ADDRESS"; tag: number }
  | { code: "EXTRINSIC_ERROR_UNSUPPORTED_SIGNATURE"; tag: number };
export class ExtrinsicError extends TensorchainError<ExtrinsicErrorType> {}

export type Era = { kind: "immortal" } | { kind: "mortal"; period: number; phase: number };
export type SignatureScheme = "ed25519" | "sr25519";

export interface SignedPart {
  signer: Uint8Array;
  scheme: SignatureScheme;
  signature: Uint8Array;
  era: Era;
  /** The era's encoded bytes, as they appear in `extra`. */
  eraBytes: Uint8Array;
  nonce: number;
  tip: bigint;
  /** The extra bytes exactly as signed (era ++ nonce ++ tip). */
  extraBytes: Uint8Array;
}

export interface ParsedExtrinsic {
  /** The full encoded extrinsic including its length prefix: what blocks store and clients hash. */
  bytes: Uint8Array;
  signed: SignedPart | undefined;
  callBytes: Uint8Array;
}

const malformed = (reason: string) => new ExtrinsicError({ code: "EXTRINSIC_ERROR_MALFORMED", reason });

/**
 * Reads a SCALE Compact integer at `off`; returns the value and the offset after it. As in
 * parity-scale-codec, only the shortest encoding of a value is accepted: otherwise the unsigned length
 * prefix could be re-encoded by anyone into another byte string (another transaction hash) of the
 * same signed transaction.
 */
export function readCompact(b: Uint8Array, off: number): [bigint, number] {
  if (off >= b.length) throw malformed("truncated compact");
  const mode = b[off] & 3;
  if (mode === 0) return [BigInt(b[off] >> 2), off + 1];
  if (mode === 1) {
    if (off + 2 > b.length) throw malformed("truncated compact");
    const v = (b[off] | (b[off + 1] << 8)) >>> 2;
    if (v < 1 << 6) throw malformed("non-canonical compact");
    return [BigInt(v), off + 2];
  }
  if (mode === 2) {
    if (off + 4 > b.length) throw malformed("truncated compact");
    const v = ((b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0) >>> 2;
    if (v < 1 << 14) throw malformed("non-canonical compact");
    return [BigInt(v), off + 4];
  }
  const len = (b[off] >> 2) + 4;
  if (off + 1 + len > b.length) throw malformed("truncated compact");
  let v = 0n;
  for (let i = len; i >= 1; i--) v = (v << 8n) | BigInt(b[off + i]);
  if (b[off + len] === 0 || v < 1n << 30n) throw malformed("non-canonical compact");
  return [v, off + 1 + len];
}

export function encodeCompact(v: bigint | number): Uint8Array {
  const n = BigInt(v);
  if (n < 0n) throw new RangeError("compact of a negative number");
  if (n < 1n << 6n) return new Uint8Array([Number(n) << 2]);
  if (n < 1n << 14n) {
    const x = (Number(n) << 2) | 1;
    return new Uint8Array([x & 0xff, x >> 8]);
  }
  if (n < 1n << 30n) {
    const x = ((Number(n) << 2) | 2) >>> 0;
    return new Uint8Array([x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff, x >>> 24]);
  }
  const bytes: number[] = [];
  let m = n;
  while (m > 0n) {
    bytes.push(Number(m & 0xffn));
    m >>= 8n;
  }
  return new Uint8Array([((bytes.length - 4) << 2) | 3, ...bytes]);
}

export function decodeEra(b: Uint8Array, off: number): [Era, number] {
  if (off >= b.length) throw malformed("truncated era");
  if (b[off] === 0) return [{ kind: "immortal" }, off + 1];
  if (off + 2 > b.length) throw malformed("truncated era");
  const encoded = b[off] | (b[off + 1] << 8);
  const period = 2 << (encoded % (1 << 4));
  const quantizeFactor = Math.max(period >> 12, 1);
  const phase = (encoded >> 4) * quantizeFactor;
  if (period < 4 || phase >= period) throw malformed("invalid era");
  return [{ kind: "mortal", period, phase }, off + 2];
}

/** A mortal era starting at `current`, as Substrate's `Era::mortal(period, current)`. */
export function mortalEra(period: number, current: number): Uint8Array {
  let p = 4;
  while (p < period && p < 1 << 16) p <<= 1;
  const phase = current % p;
  const quantizeFactor = Math.max(p >> 12, 1);
  const quantizedPhase = Math.floor(phase / quantizeFactor) * quantizeFactor;
  const trailingZeros = Math.log2(p);
  const encoded = Math.min(15, Math.max(1, trailingZeros - 1)) | ((quantizedPhase / quantizeFactor) << 4);
  return new Uint8Array([encoded & 0xff, encoded >> 8]);
}

/** The block number the transaction was created at, given the current block number. */
export function eraBirth(era: Era, current: number): number {
  if (era.kind === "immortal") return 0;
  return Math.floor((Math.max(current, era.phase) - era.phase) / era.period) * era.period + era.phase;
}

export function eraDeath(era: Era, current: number): number {
  if (era.kind === "immortal") return Number.MAX_SAFE_INTEGER;
  return eraBirth(era, current) + era.period;
}

export function parseExtrinsic(bytes: Uint8Array): ParsedExtrinsic {
  const [len, start] = readCompact(bytes, 0);
  if (BigInt(bytes.length - start) !== len)
    throw malformed(`length prefix ${len} does not match ${bytes.length - start} bytes`);
  if (start >= bytes.length) throw malformed("empty extrinsic");
  const version = bytes[start];
  if (version === 0x04) return { bytes, signed: undefined, callBytes: bytes.subarray(start + 1) };
  if (version !== 0x84) throw new ExtrinsicError({ code: "EXTRINSIC_ERROR_UNSUPPORTED_VERSION", version });
  let off = start + 1;
  if (bytes[off] !== 0x00) throw new ExtrinsicError({ code: "EXTRINSIC_ERROR_UNSUPPORTED_ADDRESS", tag: bytes[off] });
  if (off + 33 > bytes.length) throw malformed("truncated address");
  const signer = bytes.subarray(off + 1, off + 33);
  off += 33;
  const sigTag = bytes[off];
  if (sigTag !== 0 && sigTag !== 1)
    throw new ExtrinsicError({ code: "EXTRINSIC_ERROR_UNSUPPORTED_SIGNATURE", tag: sigTag });
  if (off + 65 > bytes.length) throw malformed("truncated signature");
  const signature = bytes.subarray(off + 1, off + 65);
  off += 65;
  const extraStart = off;
  const [era, afterEra] = decodeEra(bytes, off);
  const eraBytes = bytes.subarray(off, afterEra);
  const [nonce, afterNonce] = readCompact(bytes, afterEra);
  if (nonce > 0xffffffffn) throw malformed("nonce exceeds u32");
  const [tip, afterTip] = readCompact(bytes, afterNonce);
  if (tip >= 1n << 128n) throw malformed("tip exceeds u128");
  if (afterTip >= bytes.length) throw malformed("missing call");
  return {
    bytes,
    signed: {
      signer,
      scheme: sigTag === 1 ? "sr25519" : "ed25519",
      signature,
      era,
      eraBytes,
      nonce: Number(nonce),
      tip,
      extraBytes: bytes.subarray(extraStart, afterTip),
    },
    callBytes: bytes.subarray(afterTip),
  };
}

export interface AdditionalSigned {
  specVersion: number;
  transactionVersion: number;
  genesisHash: Uint8Array;
  /** Genesis hash for immortal transactions, the birth block's hash for mortal ones. */
  eraBlockHash: Uint8Array;
}

/** The bytes a signer signs: `call ++ extra ++ additional`, hashed when longer than 256 bytes. */
export function signingPayload(callBytes: Uint8Array, extraBytes: Uint8Array, add: AdditionalSigned): Uint8Array {
  const len = callBytes.length + extraBytes.length + 8 + 64;
  const out = new Uint8Array(len);
  out.set(callBytes, 0);
  out.set(extraBytes, callBytes.length);
  const dv = new DataView(out.buffer);
  let off = callBytes.length + extraBytes.length;
  dv.setUint32(off, add.specVersion, true);
  dv.setUint32(off + 4, add.transactionVersion, true);
  off += 8;
  out.set(add.genesisHash, off);
  out.set(add.eraBlockHash, off + 32);
  return len > 256 ? blake2_256(out) : out;
}

export interface SignedExtrinsicParts {
  signer: Uint8Array;
  scheme: SignatureScheme;
  signature: Uint8Array;
  extraBytes: Uint8Array;
  callBytes: Uint8Array;
}

/** Assembles a signed extrinsic (with its length prefix). */
export function encodeSignedExtrinsic(p: SignedExtrinsicParts): Uint8Array {
  const body = new Uint8Array(1 + 33 + 65 + p.extraBytes.length + p.callBytes.length);
  body[0] = 0x84;
  body[1] = 0x00;
  body.set(p.signer, 2);
  body[34] = p.scheme === "sr25519" ? 1 : 0;
  body.set(p.signature, 35);
  body.set(p.extraBytes, 99);
  body.set(p.callBytes, 99 + p.extraBytes.length);
  return withLengthPrefix(body);
}

export function encodeUnsignedExtrinsic(callBytes: Uint8Array): Uint8Array {
  const body = new Uint8Array(1 + callBytes.length);
  body[0] = 0x04;
  body.set(callBytes, 1);
  return withLengthPrefix(body);
}

export function encodeExtra(eraBytes: Uint8Array, nonce: number, tip: bigint): Uint8Array {
  const n = encodeCompact(nonce);
  const t = encodeCompact(tip);
  const out = new Uint8Array(eraBytes.length + n.length + t.length);
  out.set(eraBytes, 0);
  out.set(n, eraBytes.length);
  out.set(t, eraBytes.length + n.length);
  return out;
}

export function withLengthPrefix(body: Uint8Array): Uint8Array {
  const prefix = encodeCompact(body.length);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

/** Splits a SCALE `Vec<Extrinsic>` (a block body) into the encoded extrinsics it holds. */
export function splitExtrinsics(body: Uint8Array): Uint8Array[] {
  const [count, start] = readCompact(body, 0);
  const out: Uint8Array[] = [];
  let off = start;
  for (let i = 0n; i < count; i++) {
    const [len, after] = readCompact(body, off);
    const end = after + Number(len);
    if (end > body.length) throw malformed("truncated block body");
    out.push(body.subarray(off, end));
    off = end;
  }
  if (off !== body.length) throw malformed("trailing bytes in block body");
  return out;
}

export function joinExtrinsics(extrinsics: Uint8Array[]): Uint8Array {
  const prefix = encodeCompact(extrinsics.length);
  let len = prefix.length;
  for (const x of extrinsics) len += x.length;
  const out = new Uint8Array(len);
  out.set(prefix, 0);
  let off = prefix.length;
  for (const x of extrinsics) {
    out.set(x, off);
    off += x.length;
  }
  return out;
}
