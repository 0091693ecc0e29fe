/** Hex helpers. Hex strings are always lowercase and `0x`-prefixed, as Substrate's RPC writes them. */
export type HexString = `0x${string}`;

export function toHex(bytes: Uint8Array): HexString {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

// A plain character-class run: a repeated group `(?:[0-9a-f]{2})*` overflows V8's regexp stack on
// multi-megabyte strings (content chunks); evenness is checked on the length instead.
const HEX_RE = /^0x[0-9a-fA-F]*$/;

export function isHex(value: unknown): value is HexString {
  return typeof value === "string" && value.length % 2 === 0 && HEX_RE.test(value);
}

/** Parses `0x…` hex; throws on odd length or non-hex characters rather than silently truncating. */
export function fromHex(hex: string): Uint8Array {
  if (!isHex(hex)) throw new TypeError(`Invalid hex string: ${hex.slice(0, 20)}${hex.length > 20 ? "…" : ""}`);
  return new Uint8Array(Buffer.from(hex.slice(2), "hex"));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order, the order of storage keys in the trie. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
