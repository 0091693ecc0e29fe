/**
 * The wire format between the pool and its workers: one chunk of signatures packed into one
 * `ArrayBuffer`, transferred (not copied) to the worker, which answers with one byte per item.
 *
 * Layout (u32 little-endian header first, so the Uint32Array view is aligned):
 *   u32 count | u32 messageOffsets[count + 1] | u8 schemes[count] | publicKeys[count * 32]
 *   | signatures[count * 64] | message bytes
 * `messageOffsets` are relative to the start of the message bytes.
 */
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, type SignatureScheme } from "../../primitives/crypto/types.js";
import { verifySignature } from "../../primitives/crypto/verify.js";

export interface VerifyItem {
  scheme: SignatureScheme;
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
}

const SCHEME_CODES: Record<SignatureScheme, number> = { sr25519: 0, ed25519: 1 };
const SCHEMES_BY_CODE: SignatureScheme[] = ["sr25519", "ed25519"];

interface Layout {
  schemes: number;
  publicKeys: number;
  signatures: number;
  messages: number;
}

function layout(count: number): Layout {
  const schemes = 4 * (count + 2);
  const publicKeys = schemes + count;
  const signatures = publicKeys + count * PUBLIC_KEY_LENGTH;
  const messages = signatures + count * SIGNATURE_LENGTH;
  return { schemes, publicKeys, signatures, messages };
}

/** Packs `items[start, end)`; the items must have been length-checked already. */
export function packChunk(items: readonly VerifyItem[], start: number, end: number): ArrayBuffer {
  const count = end - start;
  const l = layout(count);
  let messageBytes = 0;
  for (let i = start; i < end; i++) messageBytes += items[i].message.length;
  const buf = new ArrayBuffer(l.messages + messageBytes);
  const u32 = new Uint32Array(buf, 0, count + 2);
  const u8 = new Uint8Array(buf);
  u32[0] = count;
  let off = 0;
  for (let j = 0; j < count; j++) {
    const item = items[start + j];
    u32[1 + j] = off;
    u8[l.schemes + j] = SCHEME_CODES[item.scheme];
    u8.set(item.publicKey, l.publicKeys + j * PUBLIC_KEY_LENGTH);
    u8.set(item.signature, l.signatures + j * SIGNATURE_LENGTH);
    u8.set(item.message, l.messages + off);
    off += item.message.length;
  }
  u32[1 + count] = off;
  return buf;
}

/** Verifies a packed chunk: one byte per item, 1 for a valid signature. */
export function verifyPacked(buf: ArrayBuffer): Uint8Array {
  const count = new Uint32Array(buf, 0, 1)[0];
  const u32 = new Uint32Array(buf, 0, count + 2);
  const u8 = new Uint8Array(buf);
  const l = layout(count);
  const results = new Uint8Array(count);
  for (let j = 0; j < count; j++) {
    const pk = u8.subarray(l.publicKeys + j * PUBLIC_KEY_LENGTH, l.publicKeys + (j + 1) * PUBLIC_KEY_LENGTH);
    const sig = u8.subarray(l.signatures + j * SIGNATURE_LENGTH, l.signatures + (j + 1) * SIGNATURE_LENGTH);
    const msg = u8.subarray(l.messages + u32[1 + j], l.messages + u32[2 + j]);
    results[j] = verifySignature(SCHEMES_BY_CODE[u8[l.schemes + j]], sig, msg, pk) ? 1 : 0;
  }
  return results;
}
