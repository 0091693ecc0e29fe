/**
 * Header helpers shared by the consensus engines. Pure: no node imports, so the runtime can use them.
 */
import { blake2_256 } from "../primitives/hashing.js";
import { bytesEqual } from "../primitives/hex.js";
import { type DigestItemValue, Header, type HeaderValue } from "../primitives/types.js";

/** The block hash: blake2-256 of the SCALE-encoded header. */
export function hashHeader(header: HeaderValue): Uint8Array {
  return blake2_256(Header.enc(header));
}

/** A 4-byte consensus engine id from its ASCII name (`"BABE"`, `"FRNK"`). */
export function engineId(name: string): Uint8Array {
  const id = new TextEncoder().encode(name);
  if (id.length !== 4) throw new TypeError(`engine id must be 4 bytes: ${name}`);
  return id;
}

type TaggedDigest = Extract<DigestItemValue, { tag: "PreRuntime" | "Seal" | "Consensus" }>;

/** The payloads of the digest items of one kind and engine, in header order. */
export function digestPayloads(header: HeaderValue, tag: TaggedDigest["tag"], engine: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const item of header.digest.logs) {
    if (item.tag !== tag) continue;
    const [id, data] = (item as TaggedDigest).value;
    if (bytesEqual(id, engine)) out.push(data);
  }
  return out;
}

/**
 * Splits off the seal: the header must end with a `Seal(engine, …)` item. Returns the header without it
 * (whose hash is what the author signed) and the seal's payload, or undefined when the last item is
 * not such a seal.
 */
export function splitSeal(
  header: HeaderValue,
  engine: Uint8Array,
): { preHeader: HeaderValue; seal: Uint8Array } | undefined {
  const last = header.digest.logs.at(-1);
  if (last?.tag !== "Seal") return undefined;
  const [id, seal] = last.value;
  if (!bytesEqual(id, engine)) return undefined;
  return { preHeader: { ...header, digest: { logs: header.digest.logs.slice(0, -1) } }, seal };
}
