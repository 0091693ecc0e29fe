/**
 * Nibble helpers. A trie path is a sequence of 4-bit nibbles, high nibble of each key byte first.
 * Partial keys are held as `Uint8Array`s with one nibble per element; full keys stay as bytes and
 * are read nibble by nibble with `nibbleAt`, so lookups allocate nothing.
 */

/** The `i`-th nibble of `key` (high nibble of byte 0 is nibble 0). */
export function nibbleAt(key: Uint8Array, i: number): number {
  const b = key[i >> 1];
  return (i & 1) === 0 ? b >> 4 : b & 0x0f;
}

/** Nibbles `[from, to)` of the byte string `key`, one per element. */
export function keyNibbles(key: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  for (let i = from, j = 0; i < to; i++, j++) {
    const b = key[i >> 1];
    out[j] = (i & 1) === 0 ? b >> 4 : b & 0x0f;
  }
  return out;
}

/** All nibbles of `bytes`. */
export function bytesToNibbles(bytes: Uint8Array): Uint8Array {
  return keyNibbles(bytes, 0, bytes.length * 2);
}

/** Packs the first `length` nibbles (an even count) back into bytes. */
export function nibblesToBytes(nibbles: Uint8Array, length = nibbles.length): Uint8Array {
  const out = new Uint8Array(length >> 1);
  for (let i = 0, j = 0; j < out.length; i += 2, j++) out[j] = (nibbles[i] << 4) | nibbles[i + 1];
  return out;
}

/** Length of the common prefix of `partial` and the nibbles of `key` starting at nibble `pos`. */
export function commonPrefixWithKey(partial: Uint8Array, key: Uint8Array, pos: number, keyLen: number): number {
  const max = Math.min(partial.length, keyLen - pos);
  let i = 0;
  while (i < max) {
    const k = pos + i;
    const b = key[k >> 1];
    if (partial[i] !== ((k & 1) === 0 ? b >> 4 : b & 0x0f)) break;
    i++;
  }
  return i;
}

/** Concatenates `a ++ [mid] ++ b`, the partial key of a child merged into its parent. */
export function joinNibbles(a: Uint8Array, mid: number, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + 1 + b.length);
  out.set(a, 0);
  out[a.length] = mid;
  out.set(b, a.length + 1);
  return out;
}

/** Lexicographic byte order (a pure-JS loop: faster than `Buffer.compare` for short keys). */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
