/**
 * Byte-level mutations of valid encodings, the way a fuzzer's havoc stage makes them: a few of bit
 * flips, byte overwrites (with random or boundary values), insertions, deletions, truncation and
 * appended garbage. Positions are taken modulo the input's length, so they shrink well.
 */
import * as fc from "fast-check";

type Op =
  | { kind: "flip"; pos: number; bit: number }
  | { kind: "set"; pos: number; value: number }
  | { kind: "insert"; pos: number; bytes: Uint8Array }
  | { kind: "delete"; pos: number; len: number }
  | { kind: "truncate"; len: number }
  | { kind: "append"; bytes: Uint8Array };

/** Bytes that hit SCALE's edge cases: compact modes, the big-integer prefix, enum and option tags. */
const BOUNDARY_BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff];

const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...BOUNDARY_BYTES));

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), pos: fc.nat(), value: byte }),
  fc.record({
    kind: fc.constant("insert" as const),
    pos: fc.nat(),
    bytes: fc.array(byte, { minLength: 1, maxLength: 8 }).map((b) => Uint8Array.from(b)),
  }),
  fc.record({ kind: fc.constant("delete" as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), len: fc.nat() }),
  fc.record({
    kind: fc.constant("append" as const),
    bytes: fc.array(byte, { minLength: 1, maxLength: 8 }).map((b) => Uint8Array.from(b)),
  }),
);

function apply(input: Uint8Array, o: Op): Uint8Array {
  const b = input.slice();
  const at = (pos: number, n: number) => (n === 0 ? 0 : pos % n);
  switch (o.kind) {
    case "flip":
      if (b.length > 0) b[at(o.pos, b.length)] ^= 1 << o.bit;
      return b;
    case "set":
      if (b.length > 0) b[at(o.pos, b.length)] = o.value;
      return b;
    case "insert": {
      const p = at(o.pos, b.length + 1);
      return Uint8Array.from([...b.subarray(0, p), ...o.bytes, ...b.subarray(p)]);
    }
    case "delete": {
      const p = at(o.pos, b.length);
      return Uint8Array.from([...b.subarray(0, p), ...b.subarray(p + o.len)]);
    }
    case "truncate":
      return b.subarray(0, at(o.len, b.length));
    case "append":
      return Uint8Array.from([...b, ...o.bytes]);
  }
}

/** `valid` values mutated by one to four operations. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(op, { minLength: 1, maxLength: 4 })).map(([bytes, ops]) => ops.reduce(apply, bytes));
}

/** Random bytes, mostly short, sometimes led by a boundary byte (a compact prefix or a tag). */
export function garbage(maxLength = 160): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength }),
    fc
      .tuple(fc.array(byte, { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength }))
      .map(([head, tail]) => Uint8Array.from([...head, ...tail])),
  );
}
