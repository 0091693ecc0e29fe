/**
 * Fuzz target "scale": for every type of the runtime's metadata (V14) registry, random values encode
 * with our codec, decode back to the same value, and @polkadot/types (given the same metadata)
 * decodes those bytes as the same type and re-encodes them byte for byte.
 *
 * Per value: the compiled encoder (`Ty.enc`) and scale-ts's (`Ty.codec.enc`) agree; every `Ty`
 * registered under the type's id encodes it the same way and decodes it back; @polkadot/types'
 * `Lookup<id>` consumes exactly the bytes and re-encodes them unchanged.
 *
 * And decoding is total and canonical: random bytes and mutated encodings either decode to a value
 * that encodes back to the same bytes, or throw a `CodecError`, promptly (a length prefix is never
 * trusted beyond the input).
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { Metadata, TypeRegistry as PolkadotRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import * as fc from "fast-check";
import { cryptoReady } from "../../primitives/hashing.js";
import { toHex } from "../../primitives/hex.js";
import { CodecError } from "../../primitives/scale/types.js";
import { FUZZ_RUNS, fuzzParams, fuzzTimeout } from "./budget.js";
import { garbage, mutated } from "./mutations.js";
import { type MetadataType, metadataTypes, ValueArbitraries } from "./scaleArbitraries.js";

const { bytes: metadataBytes, types } = metadataTypes();
const values = new ValueArbitraries(types.flatMap((t) => t.tys));
const polkadot = new PolkadotRegistry();

beforeAll(async () => {
  await cryptoReady();
  polkadot.setMetadata(new Metadata(polkadot, metadataBytes));
});

/** The runs given to each type: the target's budget spread over the types, at least 5 each. */
const runsPerType = Math.max(5, Math.ceil(FUZZ_RUNS / types.length));

/**
 * Values compared after a round trip, where two shapes encode alike: a variant without fields decodes
 * with `value: {}` when it is a call without arguments (an empty argument struct), and without
 * `value` otherwise.
 */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([k, x]) => [k, normalize(x)]));
}

/**
 * What @polkadot/types is given after our encoding: it guesses the meaning of some inputs by their
 * length (a `MultiAddress` from 32 bytes is an account id, from at most 8 an account index number),
 * which a decoder in a longer buffer never sees. It must consume exactly our bytes before these.
 */
const TRAILER = new Uint8Array(40).fill(0xee);

function withTrailer(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(encoded.length + TRAILER.length);
  out.set(encoded);
  out.set(TRAILER, encoded.length);
  return out;
}

function checkValue(type: MetadataType, value: unknown): void {
  const first = type.tys[0];
  const encoded = first.enc(value);
  const hex = toHex(encoded);
  // The compiled encoder and scale-ts's agree.
  expect(toHex(first.codec.enc(value))).toBe(hex);
  // Every declaration of the type encodes alike and decodes back.
  for (const ty of type.tys) {
    if (ty !== first) expect(toHex(ty.enc(value))).toBe(hex);
    expect(normalize(ty.dec(encoded))).toEqual(normalize(value));
  }
  // @polkadot/types reads exactly these bytes as this type and writes them back unchanged.
  const theirs: Codec = polkadot.createType(`Lookup${type.id}`, withTrailer(encoded));
  expect(theirs.encodedLength).toBe(encoded.length);
  expect(toHex(theirs.toU8a())).toBe(hex);
}

/**
 * Decodes `bytes` with every codec of the type: a `CodecError`, or a value that encodes back to
 * exactly `bytes` (decoding is canonical, as parity-scale-codec's: one encoding per value).
 */
function checkDecode(type: MetadataType, bytes: Uint8Array): void {
  for (const ty of type.tys) {
    let value: unknown;
    try {
      value = ty.dec(bytes);
    } catch (err) {
      if (err instanceof CodecError) continue;
      throw err;
    }
    expect(toHex(ty.enc(value))).toBe(toHex(bytes));
  }
}

/** `FUZZ_TYPE=<id>` narrows the target to one type, to replay a failure with its `FUZZ_SEED` and `FUZZ_PATH`. */
const onlyType = process.env.FUZZ_TYPE;

/** Runs `check` on each type with its own arbitrary; reports every failing type at once. */
function eachType<V>(arbOf: (type: MetadataType) => fc.Arbitrary<V>, check: (type: MetadataType, v: V) => void) {
  const failures: string[] = [];
  for (const type of types) {
    if (onlyType !== undefined && onlyType !== "" && String(type.id) !== onlyType) continue;
    try {
      fc.assert(
        fc.property(arbOf(type), (v) => check(type, v)),
        fuzzParams(runsPerType),
      );
    } catch (err) {
      const cause = (err as Error).cause;
      failures.push(
        `type ${type.id} ${type.name}: ${(err as Error).message}\n${cause instanceof Error ? cause.message : ""}`,
      );
    }
  }
  expect(failures).toEqual([]);
}

describe("fuzz: SCALE codecs of every metadata type", () => {
  it("covers the whole registry", () => {
    expect(types.length).toBeGreaterThan(100);
    expect(types.map((t) => t.id)).toEqual(types.map((_, i) => i));
  });

  it(
    `round-trip and agree with @polkadot/types (${runsPerType} values per type, ${types.length} types)`,
    () => eachType((type) => values.arb(type.tys[0]), checkValue),
    fuzzTimeout(1, runsPerType * types.length),
  );

  it(
    `decode random and mutated bytes canonically or throw a CodecError (${runsPerType} inputs per type)`,
    () =>
      eachType(
        (type) => fc.oneof(garbage(), mutated(values.arb(type.tys[0]).map((v) => type.tys[0].enc(v)))),
        checkDecode,
      ),
    fuzzTimeout(1, runsPerType * types.length),
  );
});

describe("regressions found by this target", () => {
  it("rejects a Vec whose length prefix claims more items than bytes left, before reading any", () => {
    // Five bytes claiming 2^30 - 1 accounts: scale-ts looped over every claimed item (minutes).
    const bomb = new Uint8Array([0xfe, 0xff, 0xff, 0xff, 0x00]);
    const vecOfAccounts = types.find((t) => t.name === "Vec<AccountId32>")!.tys[0];
    expect(() => vecOfAccounts.dec(bomb)).toThrow(CodecError);
    try {
      vecOfAccounts.dec(bomb);
    } catch (err) {
      expect((err as CodecError).type).toEqual({
        code: "CODEC_ERROR_MALFORMED",
        type: "Vec<AccountId32>",
        reason: "1073741823 items in 1 bytes",
      });
    }
  });

  it("rejects encodings parity-scale-codec rejects: bool bytes over 1, non-canonical compacts, invalid UTF-8", async () => {
    const { T } = await import("../../primitives/scale/types.js");
    const rejects = (ty: { dec(b: Uint8Array): unknown }, hex: string) =>
      expect(() => ty.dec(Buffer.from(hex, "hex"))).toThrow(CodecError);
    rejects(T.bool, "02");
    rejects(T.compactU32, "0100"); // 0 in the two-byte mode
    rejects(T.compactU32, "02000000"); // 0 in the four-byte mode
    rejects(T.compactU32, "03ffffff00"); // below 2^30 in the big-integer mode
    rejects(T.compactU64, "07ffffffff00"); // a zero top byte
    rejects(T.compactU32, "070000000001"); // 2^32: over u32
    rejects(T.bytes, "010000"); // a non-canonical length
    rejects(T.str, "08c328"); // invalid UTF-8
    expect(T.str.dec(Buffer.from("0cefbbbf", "hex"))).toBe("\ufeff"); // a BOM is a character
    expect(T.compactU32.dec(Buffer.from("03ffffffff", "hex"))).toBe(0xffff_ffff);
  });
});
