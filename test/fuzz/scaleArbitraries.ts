/**
 * Random values of the runtime's SCALE types, generated from their descriptions (the `T` DSL's
 * `TypeInfo`), in the shapes our codecs take: structs are objects, enums `{tag, value}`, `Option` is
 * `T | undefined`, newtypes and single-type variants carry the inner value, byte sequences and byte
 * arrays are `Uint8Array`s, integers up to 32 bits are numbers and wider ones bigints.
 *
 * `metadataTypes()` lists every type of the metadata's portable registry with the `Ty`s (our codecs)
 * that were registered under its id, recorded while `metadataV14()` builds the registry.
 */
import * as fc from "fast-check";
import { TypeRegistry } from "../../primitives/scale/registry.js";
import type { AnyTy, FieldInfo, Primitive, TypeInfo, VariantInfo } from "../../primitives/scale/types.js";
import { mortalEra } from "../../runtime/extrinsic.js";
import { metadataV14 } from "../../runtime/metadata.js";

export interface MetadataType {
  id: number;
  /** `a::b::C` for a named type, else the first codec's name (`Vec<u8>`, `(u32, AccountId32)`). */
  name: string;
  /** Every `Ty` the runtime registered under this id (the same type declared in several places). */
  tys: AnyTy[];
}

/**
 * The metadata V14 bytes and, per type id of its registry, the codecs registered under it. Must be
 * the first call of `metadataV14()` in the process (it caches its bytes): `TypeRegistry.idOf` is
 * wrapped for the duration of that call to record which `Ty` got which id.
 */
export function metadataTypes(): { bytes: Uint8Array; types: MetadataType[] } {
  const byRegistry = new Map<TypeRegistry, Map<number, AnyTy[]>>();
  const idOf = TypeRegistry.prototype.idOf;
  TypeRegistry.prototype.idOf = function (this: TypeRegistry, ty: AnyTy): number {
    const id = idOf.call(this, ty);
    const ids = byRegistry.get(this) ?? new Map<number, AnyTy[]>();
    byRegistry.set(this, ids);
    const tys = ids.get(id) ?? [];
    if (!tys.includes(ty)) tys.push(ty);
    ids.set(id, tys);
    return id;
  };
  let bytes: Uint8Array;
  try {
    bytes = metadataV14();
  } finally {
    TypeRegistry.prototype.idOf = idOf;
  }
  if (byRegistry.size !== 1) throw new Error(`metadataV14() built ${byRegistry.size} registries (already cached?)`);
  const [[registry, ids]] = byRegistry;
  const types = registry.types.map((t) => {
    const tys = ids.get(t.id);
    if (tys === undefined) throw new Error(`type ${t.id} was registered without a codec`);
    return { id: t.id, name: t.path.length > 0 ? t.path.join("::") : tys[0].name, tys };
  });
  return { bytes, types };
}

/** Whether `info` is `Option<T>` (its values are `T | undefined`). */
const isOption = (info: TypeInfo) => info.path.length === 1 && info.path[0] === "Option";

function children(info: TypeInfo): AnyTy[] {
  const d = info.def;
  switch (d.tag) {
    case "primitive":
      return [];
    case "compact":
    case "sequence":
    case "array":
      return [d.of];
    case "tuple":
      return d.items;
    case "composite":
      return d.fields.map((f) => f.type);
    case "variant":
      return d.variants.flatMap((v) => v.fields.map((f) => f.type));
  }
}

/** The primitive under a compact (`Compact<Perbill>` is a `u32`). */
function compactInner(ty: AnyTy): Primitive {
  const d = ty.info().def;
  if (d.tag === "primitive") return d.name;
  if (d.tag === "composite" && d.fields.length === 1) return compactInner(d.fields[0].type);
  throw new Error(`compact of a non-integer type ${ty.name}`);
}

const INT_BITS: Partial<Record<Primitive, number>> = { u8: 8, u16: 16, u32: 32, u64: 64, u128: 128, u256: 256 };
const SINT_BITS: Partial<Record<Primitive, number>> = { i8: 8, i16: 16, i32: 32, i64: 64, i128: 128, i256: 256 };

function primitiveArb(name: Primitive): fc.Arbitrary<unknown> {
  if (name === "bool") return fc.boolean();
  // Rust strings are valid UTF-8: no lone surrogates ("binary" never generates them).
  if (name === "str") return fc.string({ unit: "binary", maxLength: 40 });
  if (name === "char") throw new Error("char is not used by the runtime");
  const ubits = INT_BITS[name];
  if (ubits !== undefined)
    return ubits <= 32
      ? fc.integer({ min: 0, max: 2 ** ubits - 1 })
      : fc.bigInt({ min: 0n, max: (1n << BigInt(ubits)) - 1n });
  const sbits = SINT_BITS[name]!;
  return sbits <= 32
    ? fc.integer({ min: -(2 ** (sbits - 1)), max: 2 ** (sbits - 1) - 1 })
    : fc.bigInt({ min: -(1n << BigInt(sbits - 1)), max: (1n << BigInt(sbits - 1)) - 1n });
}

const isU8 = (ty: AnyTy) => {
  const d = ty.info().def;
  return d.tag === "primitive" && d.name === "u8";
};

/** Encoded-key order (what a Rust `BTreeMap<[u8; N], _>` iterates and encodes in). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Values a type's Rust decoder accepts, where that is narrower than its shape: generating outside the
 * domain would test @polkadot/types' handling of invalid values, not our codecs.
 */
const DOMAIN: Record<string, (gen: ValueArbitraries, info: TypeInfo, depth: number) => fc.Arbitrary<unknown>> = {
  // `Era` is described as 256 variants of one byte each; only the encodings of a mortal era with a
  // period of 4..65536 and a phase below it decode (sp_runtime's `Era::decode`).
  "sp_runtime::generic::era::Era": () =>
    fc.oneof(
      fc.constant({ tag: "Immortal" }),
      fc.tuple(fc.integer({ min: 4, max: 1 << 16 }), fc.nat()).map(([period, current]) => {
        const [first, second] = mortalEra(period, current);
        return { tag: `Mortal${first}`, value: second };
      }),
    ),
  // `Vote` is one byte: the aye flag (0x80) and a conviction of 0..6 (`Locked6x`); FRAME's
  // `Vote::decode` refuses any other conviction.
  "pallet_conviction_voting::vote::Vote": () =>
    fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 6 })).map(([aye, conviction]) => (aye ? 0x80 : 0) | conviction),
  // `BTreeMap<K, V>` is a `Vec<(K, V)>` with unique keys in ascending order.
  BTreeMap: (gen, info, depth) => {
    const d = info.def;
    if (d.tag !== "composite" || d.fields.length !== 1) throw new Error("BTreeMap: expected a newtype");
    const seq = d.fields[0].type.info().def;
    if (seq.tag !== "sequence") throw new Error("BTreeMap: expected a sequence");
    const pair = seq.of.info().def;
    if (pair.tag !== "tuple" || pair.items.length !== 2) throw new Error("BTreeMap: expected (K, V) pairs");
    const [key, value] = pair.items;
    if (key.info().def.tag !== "array" && key.info().def.tag !== "composite")
      throw new Error("BTreeMap: keys other than byte arrays are not supported");
    return fc
      .uniqueArray(fc.tuple(gen.arb(key, depth - 1), gen.arb(value, depth - 1)), {
        maxLength: 4,
        selector: ([k]) => Buffer.from(k as Uint8Array).toString("hex"),
      })
      .map((pairs) => pairs.sort(([a], [b]) => compareBytes(a as Uint8Array, b as Uint8Array)));
  },
};

/**
 * Arbitraries of values per type. Recursive types (a call that holds calls) are cut off by a depth
 * budget: below it, sequences are empty, options `None`, and variants only those that lead to a
 * value in fewer steps (each type's `rank`: how many steps its smallest value needs).
 */
export class ValueArbitraries {
  private readonly memo = new Map<AnyTy, fc.Arbitrary<unknown>[]>();
  private readonly rank = new Map<AnyTy, number>();

  constructor(
    roots: AnyTy[],
    readonly maxDepth = 4,
  ) {
    this.rankAll(roots);
  }

  /** Values of `ty`, with nested sequences and variants `depth` deep at most. */
  arb(ty: AnyTy, depth = this.maxDepth): fc.Arbitrary<unknown> {
    const d = Math.max(depth, 0);
    const perDepth = this.memo.get(ty) ?? [];
    this.memo.set(ty, perDepth);
    perDepth[d] ??= this.build(ty, d);
    return perDepth[d];
  }

  private build(ty: AnyTy, depth: number): fc.Arbitrary<unknown> {
    const info = ty.info();
    const domain = DOMAIN[info.path.join("::")];
    if (domain !== undefined) return domain(this, info, depth);
    const d = info.def;
    switch (d.tag) {
      case "primitive":
        return primitiveArb(d.name);
      case "compact": {
        const inner = compactInner(d.of);
        const bits = INT_BITS[inner];
        if (bits === undefined) throw new Error(`Compact<${inner}>`);
        return bits <= 32
          ? fc.integer({ min: 0, max: 2 ** bits - 1 })
          : fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
      }
      case "sequence":
        if (isU8(d.of)) return fc.uint8Array({ maxLength: depth === 0 ? 0 : 100 });
        if (depth === 0) return fc.constant([]);
        return fc.array(this.arb(d.of, depth - 1), { maxLength: 4 });
      case "array":
        if (isU8(d.of)) return fc.uint8Array({ minLength: d.len, maxLength: d.len });
        return fc.array(this.arb(d.of, depth), { minLength: d.len, maxLength: d.len });
      case "tuple":
        // `()` is `undefined`; other tuples are arrays.
        return d.items.length === 0 ? fc.constant(undefined) : fc.tuple(...d.items.map((t) => this.arb(t, depth)));
      case "composite":
        return this.fields(d.fields, depth);
      case "variant": {
        if (isOption(info)) {
          if (depth === 0) return fc.constant(undefined);
          return fc.option(this.arb(d.variants[1].fields[0].type, depth - 1), { nil: undefined });
        }
        const rank = this.rank.get(ty)!;
        const variants =
          depth === 0
            ? d.variants.filter((v) => Math.max(-1, ...v.fields.map((f) => this.rankOf(f.type))) < rank)
            : d.variants;
        return fc.oneof(...variants.map((v) => this.variant(v, depth - 1)));
      }
    }
  }

  private variant(v: VariantInfo, depth: number): fc.Arbitrary<unknown> {
    if (v.fields.length === 0) return fc.constant({ tag: v.name });
    return this.fields(v.fields, depth).map((value) => ({ tag: v.name, value }));
  }

  /** No fields: `undefined`; one unnamed field: its value; named fields: an object; else an array. */
  private fields(fields: FieldInfo[], depth: number): fc.Arbitrary<unknown> {
    if (fields.length === 0) return fc.constant(undefined);
    if (fields.length === 1 && fields[0].name === undefined) return this.arb(fields[0].type, depth);
    if (fields.every((f) => f.name !== undefined))
      return fc.record(Object.fromEntries(fields.map((f) => [f.name!, this.arb(f.type, depth)])));
    return fc.tuple(...fields.map((f) => this.arb(f.type, depth)));
  }

  private rankOf(ty: AnyTy): number {
    const r = this.rank.get(ty);
    if (r === undefined) throw new Error(`type ${ty.name} was not ranked`);
    return r;
  }

  /** Least fixed point of each type's rank over every type reachable from `roots`. */
  private rankAll(roots: AnyTy[]): void {
    const all: AnyTy[] = [];
    const seen = new Set<AnyTy>();
    const stack = [...roots];
    while (stack.length > 0) {
      const ty = stack.pop()!;
      if (seen.has(ty)) continue;
      seen.add(ty);
      all.push(ty);
      stack.push(...children(ty.info()));
    }
    for (const ty of all) this.rank.set(ty, Number.POSITIVE_INFINITY);
    const maxRank = (tys: AnyTy[]) => Math.max(-1, ...tys.map((t) => this.rank.get(t)!)) + 1;
    for (let changed = true; changed; ) {
      changed = false;
      for (const ty of all) {
        const info = ty.info();
        const d = info.def;
        let r: number;
        if (d.tag === "primitive" || d.tag === "compact" || d.tag === "sequence" || isOption(info)) r = 0;
        else if (d.tag === "array") r = d.len === 0 ? 0 : maxRank([d.of]);
        else if (d.tag === "variant") r = Math.min(...d.variants.map((v) => maxRank(v.fields.map((f) => f.type))));
        else r = maxRank(children(info));
        if (r < this.rank.get(ty)!) {
          this.rank.set(ty, r);
          changed = true;
        }
      }
    }
    const unranked = all.filter((t) => this.rank.get(t) === Number.POSITIVE_INFINITY);
    if (unranked.length > 0) throw new Error(`types without a finite value: ${unranked.map((t) => t.name).join(", ")}`);
  }
}
