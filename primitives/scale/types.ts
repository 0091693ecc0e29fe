/**
 * One declaration of a SCALE type yields both its codec and its description in the metadata's portable
 * type registry (scale-info). Codecs come from `scale-ts`; this module adds the type information that
 * Substrate clients need (`path`, generic `params`, field names, docs) and strict, typed decoding.
 *
 *   const AccountData = T.struct({ free: T.u128, reserved: T.u128 }, { path: ["pallet_balances", "types", "AccountData"] });
 *   AccountData.enc({ free: 1n, reserved: 0n }); AccountData.dec(bytes);
 */
import * as S from "scale-ts";
import { TensorchainError } from "../errors.js";
import { fastEncode } from "./writer.js";

export type CodecErrorType =
  | { code: "CODEC_ERROR_MALFORMED"; type: string; reason: string }
  | { code: "CODEC_ERROR_TRAILING_BYTES"; type: string; trailing: number };

export class CodecError extends TensorchainError<CodecErrorType> {}

export type Primitive =
  | "bool"
  | "char"
  | "str"
  | "u8"
  | "u16"
  | "u32"
  | "u64"
  | "u128"
  | "u256"
  | "i8"
  | "i16"
  | "i32"
  | "i64"
  | "i128"
  | "i256";

export interface FieldInfo {
  name?: string;
  type: AnyTy;
  typeName?: string;
  docs: string[];
}

export interface VariantInfo {
  name: string;
  index: number;
  fields: FieldInfo[];
  docs: string[];
}

export type TypeDef =
  | { tag: "composite"; fields: FieldInfo[] }
  | { tag: "variant"; variants: VariantInfo[] }
  | { tag: "sequence"; of: AnyTy }
  | { tag: "array"; len: number; of: AnyTy }
  | { tag: "tuple"; items: AnyTy[] }
  | { tag: "primitive"; name: Primitive }
  | { tag: "compact"; of: AnyTy };

export interface TypeInfo {
  path: string[];
  params: { name: string; type?: AnyTy }[];
  def: TypeDef;
  docs: string[];
}

export interface Ty<T> {
  /** A short name for error messages and `typeName`s in metadata. */
  readonly name: string;
  readonly codec: S.Codec<T>;
  /** Resolved lazily so that recursive types (a call that contains calls) can be declared. */
  info(): TypeInfo;
  enc(value: T): Uint8Array;
  /** Decodes exactly `bytes`: trailing bytes and malformed input throw a `CodecError`. */
  dec(bytes: Uint8Array): T;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds types of every shape.
export type AnyTy = Ty<any>;
export type TyValue<X> = X extends Ty<infer T> ? T : never;

export interface NamedOpts {
  path?: string[];
  params?: { name: string; type?: AnyTy }[];
  docs?: string[];
}

/**
 * scale-ts reads from `buffer` at offset 0, so views into larger buffers must be copied first. The copy
 * goes through `Uint8Array.prototype.slice`: a Node `Buffer`'s own `slice` returns a view of its pool.
 */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : Uint8Array.prototype.slice.call(bytes);
}

function strictDecoder<T>(name: string, dec: S.Decoder<T>): (bytes: Uint8Array) => T {
  const consumeAll = S.createDecoder((internal) => {
    const value = dec(internal);
    const at = (internal as unknown as { i: number }).i;
    if (at > internal.length)
      throw new CodecError({ code: "CODEC_ERROR_MALFORMED", type: name, reason: "unexpected end of input" });
    if (at < internal.length)
      throw new CodecError({ code: "CODEC_ERROR_TRAILING_BYTES", type: name, trailing: internal.length - at });
    return value;
  });
  return (bytes) => {
    try {
      return consumeAll(ownBuffer(bytes));
    } catch (err) {
      if (err instanceof CodecError) throw err;
      throw new CodecError({ code: "CODEC_ERROR_MALFORMED", type: name, reason: (err as Error).message });
    }
  };
}

/**
 * A type from its scale-ts codec and its description. Encoding goes through the encoder compiled from
 * the description (`writer.ts`, several times faster than scale-ts's); decoding through scale-ts, with
 * bounds and trailing-byte checks.
 */
export function makeTy<T>(name: string, codec: S.Codec<T>, info: () => TypeInfo): Ty<T> {
  let cached: TypeInfo | undefined;
  const ty: Ty<T> = {
    name,
    codec,
    info: () => {
      cached ??= info();
      return cached;
    },
    enc: (value: T) => fastEncode(ty, value),
    dec: strictDecoder(name, codec.dec),
  };
  return ty;
}

const position = (bytes: Uint8Array) => (bytes as unknown as { i: number }).i;
const setPosition = (bytes: Uint8Array, i: number) => {
  (bytes as unknown as { i: number }).i = i;
};
const malformed = (type: string, reason: string) => new CodecError({ code: "CODEC_ERROR_MALFORMED", type, reason });

/**
 * Reads a SCALE `Compact` as parity-scale-codec does: a value written in a longer mode than it needs
 * (`0x0100` for 0, a big-integer encoding with a zero top byte) is rejected, so that every value has
 * exactly one encoding. A number from the one-, two- and four-byte modes, a bigint from the big one.
 */
function canonicalCompact(type: string, bytes: Uint8Array): number | bigint {
  const at = position(bytes);
  const prefix = bytes[at];
  const v = S.compact.dec(bytes);
  const mode = prefix & 3;
  const canonical =
    mode === 0 ||
    (mode === 1 && (v as number) >= 1 << 6) ||
    (mode === 2 && (v as number) >= 1 << 14) ||
    (mode === 3 && bytes[at + (prefix >> 2) + 4] !== 0 && (v as bigint) >= 1n << 30n);
  if (!canonical) throw malformed(type, "non-canonical compact encoding");
  return v;
}

/** `Compact<uN>` up to `max`, mapped to the value's JS type. */
function compactCodec<V>(name: string, max: bigint, out: (v: number | bigint) => V): S.Codec<V> {
  const dec = S.createDecoder((bytes) => {
    const v = canonicalCompact(name, bytes);
    if (typeof v === "bigint" && v > max) throw malformed(name, `${v} is out of range`);
    return out(v);
  });
  return S.createCodec(S.compact.enc as S.Encoder<V>, dec);
}

/** A bool is the byte 0 or 1; parity-scale-codec rejects any other. */
const strictBool = S.createCodec(
  S.bool.enc,
  S.createDecoder((bytes) => {
    const b = S.u8.dec(bytes);
    if (b > 1) throw malformed("bool", `invalid bool byte ${b}`);
    return b === 1;
  }),
);

/** The next `Compact` length's worth of bytes, checked against the input's end. */
function lengthPrefixed(type: string, bytes: Uint8Array): [number, number] {
  const len = Number(canonicalCompact(type, bytes));
  const at = position(bytes);
  if (len > bytes.length - at) throw malformed(type, "unexpected end of input");
  setPosition(bytes, at + len);
  return [at, len];
}

/** `Vec<u8>`: its length checked before anything is copied. */
const byteVector = S.createCodec(
  S.Bytes().enc,
  S.createDecoder((bytes) => {
    const [at, len] = lengthPrefixed("Vec<u8>", bytes);
    return new Uint8Array(bytes.buffer.slice(at, at + len));
  }),
);

/**
 * `str`: valid UTF-8 only, as Rust's `String` decodes (scale-ts replaced invalid sequences with U+FFFD,
 * so two encodings read as the same string), and a leading byte-order mark is kept as a character.
 */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Str = S.createCodec(
  S.str.enc,
  S.createDecoder((bytes) => {
    const [at, len] = lengthPrefixed("str", bytes);
    try {
      return utf8.decode(new Uint8Array(bytes.buffer, at, len));
    } catch {
      throw malformed("str", "invalid UTF-8");
    }
  }),
);

function primitive<T>(name: Primitive, codec: S.Codec<T>): Ty<T> {
  return makeTy(name, codec, () => ({ path: [], params: [], def: { tag: "primitive", name }, docs: [] }));
}

/** A u8 enum tag followed by the variant's fields, decoded with a bounds check on the tag. */
function checkedEnum<T>(name: string, codec: S.Codec<T>, indices: number[]): S.Codec<T> {
  const known = new Set(indices);
  const dec = S.createDecoder((bytes) => {
    const at = (bytes as unknown as { i: number }).i;
    const tag = bytes[at];
    if (tag === undefined || !known.has(tag))
      throw new CodecError({ code: "CODEC_ERROR_MALFORMED", type: name, reason: `unknown variant index ${tag}` });
    return codec.dec(bytes);
  });
  return S.createCodec(codec.enc, dec);
}

type StructTys = Record<string, AnyTy>;
type StructValue<F extends StructTys> = { [K in keyof F]: TyValue<F[K]> };

export type EnumValue<V extends Record<string, AnyTy | null>> = {
  [K in keyof V]: V[K] extends AnyTy ? { tag: K; value: TyValue<V[K]> } : { tag: K; value?: undefined };
}[keyof V];

export interface VariantDecl {
  index: number;
  /** Named fields (a struct-like variant), one unnamed type, or nothing. */
  fields?: StructTys | AnyTy;
  docs?: string[];
}

const isTy = (x: unknown): x is AnyTy => typeof x === "object" && x !== null && "codec" in x && "info" in x;

const u8Ty = primitive("u8", S.u8);
const u32Ty = primitive("u32", S.u32);
const u64Ty = primitive("u64", S.u64);
const u128Ty = primitive("u128", S.u128);

function fixedBytes(len: number, opts: NamedOpts = {}): Ty<Uint8Array> {
  const codec = S.createCodec((v: Uint8Array) => {
    if (v.length !== len)
      throw new CodecError({
        code: "CODEC_ERROR_MALFORMED",
        type: `[u8; ${len}]`,
        reason: `expected ${len} bytes, got ${v.length}`,
      });
    return v;
  }, S.Bytes(len).dec);
  return makeTy(opts.path?.at(-1) ?? `[u8; ${len}]`, codec, () =>
    opts.path
      ? {
          path: opts.path,
          params: [],
          def: { tag: "composite", fields: [{ type: fixedBytes(len), typeName: `[u8; ${len}]`, docs: [] }] },
          docs: opts.docs ?? [],
        }
      : { path: [], params: [], def: { tag: "array", len, of: u8Ty }, docs: [] },
  );
}

export const T = {
  bool: primitive("bool", strictBool),
  str: primitive("str", utf8Str),
  u8: u8Ty,
  u16: primitive("u16", S.u16),
  u32: u32Ty,
  u64: u64Ty,
  u128: u128Ty,
  i32: primitive("i32", S.i32),
  i64: primitive("i64", S.i64),

  /** `Compact<u32>` etc. Values up to u32 are numbers; wider ones bigints. */
  compactU32: makeTy<number>("Compact<u32>", compactCodec("Compact<u32>", 0xffff_ffffn, Number), () => ({
    path: [],
    params: [],
    def: { tag: "compact", of: u32Ty },
    docs: [],
  })),
  compactU64: makeTy<bigint>("Compact<u64>", compactCodec("Compact<u64>", (1n << 64n) - 1n, BigInt), () => ({
    path: [],
    params: [],
    def: { tag: "compact", of: u64Ty },
    docs: [],
  })),
  compactU128: makeTy<bigint>("Compact<u128>", compactCodec("Compact<u128>", (1n << 128n) - 1n, BigInt), () => ({
    path: [],
    params: [],
    def: { tag: "compact", of: u128Ty },
    docs: [],
  })),

  /** `[u8; n]`, or a named newtype around it when `path` is given. */
  fixedBytes,

  /** `Vec<u8>` */
  bytes: makeTy<Uint8Array>("Vec<u8>", byteVector, () => ({
    path: [],
    params: [],
    def: { tag: "sequence", of: u8Ty },
    docs: [],
  })),

  vec<X>(of: Ty<X>): Ty<X[]> {
    return makeTy(`Vec<${of.name}>`, boundedVector(`Vec<${of.name}>`, of), () => ({
      path: [],
      params: [],
      def: { tag: "sequence", of },
      docs: [],
    }));
  },

  array<X>(of: Ty<X>, len: number): Ty<X[]> {
    return makeTy(`[${of.name}; ${len}]`, S.Vector(of.codec, len), () => ({
      path: [],
      params: [],
      def: { tag: "array", len, of },
      docs: [],
    }));
  },

  /** `Option<X>`: `undefined` is None. Encoded as the `Option` variant scale-info describes. */
  option<X>(of: Ty<X>): Ty<X | undefined> {
    return makeTy(`Option<${of.name}>`, checkedEnumOption(of), () => ({
      path: ["Option"],
      params: [{ name: "T", type: of }],
      def: {
        tag: "variant",
        variants: [
          { name: "None", index: 0, fields: [], docs: [] },
          { name: "Some", index: 1, fields: [{ type: of, docs: [] }], docs: [] },
        ],
      },
      docs: [],
    }));
  },

  tuple<Xs extends AnyTy[]>(...items: Xs): Ty<{ [K in keyof Xs]: TyValue<Xs[K]> }> {
    const codec = S.Tuple(...items.map((t) => t.codec)) as unknown as S.Codec<{ [K in keyof Xs]: TyValue<Xs[K]> }>;
    return makeTy(`(${items.map((t) => t.name).join(", ")})`, codec, () => ({
      path: [],
      params: [],
      def: { tag: "tuple", items },
      docs: [],
    }));
  },

  /** A named struct: `{ field: Ty }`. Field docs and type names can be given through `fieldInfo`. */
  struct<F extends StructTys>(
    fields: F,
    opts: NamedOpts & { fieldInfo?: Partial<Record<keyof F, { typeName?: string; docs?: string[] }>> } = {},
  ): Ty<StructValue<F>> {
    const codec = S.Struct(mapValues(fields, (t) => t.codec) as S.StringRecord<S.Codec<unknown>>) as unknown as S.Codec<
      StructValue<F>
    >;
    const name = opts.path?.at(-1) ?? "struct";
    return makeTy(name, codec, () => ({
      path: opts.path ?? [],
      params: opts.params ?? [],
      def: {
        tag: "composite",
        fields: Object.entries(fields).map(([fname, type]) => ({
          name: fname,
          type,
          typeName: opts.fieldInfo?.[fname]?.typeName ?? type.name,
          docs: opts.fieldInfo?.[fname]?.docs ?? [],
        })),
      },
      docs: opts.docs ?? [],
    }));
  },

  /** A newtype around one value, e.g. `AccountId32([u8; 32])`: encodes as its inner type. */
  wrapper<X>(inner: Ty<X>, opts: NamedOpts & { path: string[] }): Ty<X> {
    return makeTy(opts.path.at(-1)!, inner.codec, () => ({
      path: opts.path,
      params: opts.params ?? [],
      def: { tag: "composite", fields: [{ type: inner, typeName: inner.name, docs: [] }] },
      docs: opts.docs ?? [],
    }));
  },

  /**
   * An enum with explicit indices: `{ Transfer: { index: 2, fields: { from: AccountId, … } }, Other: { index: 0 } }`.
   * Values are `{ tag, value }`; a variant with named fields takes an object, one with a single type its value.
   */
  enumeration<V extends Record<string, VariantDecl>>(variants: V, opts: NamedOpts = {}): Ty<EnumTyValue<V>> {
    const entries = Object.entries(variants);
    const inner: Record<string, S.Codec<unknown>> = {};
    for (const [vname, decl] of entries) inner[vname] = variantCodec(decl);
    const indices = entries.map(([, d]) => d.index);
    const name = opts.path?.at(-1) ?? "enum";
    const codec = checkedEnum(
      name,
      S.Enum(inner as S.StringRecord<S.Codec<unknown>>, indices as never) as unknown as S.Codec<EnumTyValue<V>>,
      indices,
    );
    return makeTy(name, codec, () => ({
      path: opts.path ?? [],
      params: opts.params ?? [],
      def: {
        tag: "variant",
        variants: entries.map(([vname, decl]) => ({
          name: vname,
          index: decl.index,
          fields: variantFields(decl),
          docs: decl.docs ?? [],
        })),
      },
      docs: opts.docs ?? [],
    }));
  },

  /** A type whose codec and info are resolved on first use, for recursive types. */
  lazy<X>(get: () => Ty<X>, name = "lazy"): Ty<X> {
    let codec: S.Codec<X> | undefined;
    const resolve = () => {
      codec ??= get().codec;
      return codec;
    };
    const lazyCodec = S.createCodec(
      (v: X) => resolve().enc(v),
      S.createDecoder((b) => resolve().dec(b)),
    );
    return {
      name,
      codec: lazyCodec,
      info: () => get().info(),
      enc: (v: X) => get().enc(v),
      dec: (b: Uint8Array) => get().dec(b),
    } as Ty<X>;
  },

  /** `()`: encodes to nothing. */
  unit: makeTy<undefined>("()", S._void as S.Codec<undefined>, () => ({
    path: [],
    params: [],
    def: { tag: "tuple", items: [] },
    docs: [],
  })),
};

export type EnumTyValue<V extends Record<string, VariantDecl>> = {
  [K in keyof V]: V[K]["fields"] extends AnyTy
    ? { tag: K; value: TyValue<V[K]["fields"]> }
    : V[K]["fields"] extends StructTys
      ? { tag: K; value: StructValue<V[K]["fields"]> }
      : { tag: K; value?: undefined };
}[keyof V];

function variantCodec(decl: VariantDecl): S.Codec<unknown> {
  if (decl.fields === undefined) return S._void as S.Codec<unknown>;
  if (isTy(decl.fields)) return decl.fields.codec;
  return S.Struct(
    mapValues(decl.fields, (t) => t.codec) as S.StringRecord<S.Codec<unknown>>,
  ) as unknown as S.Codec<unknown>;
}

function variantFields(decl: VariantDecl): FieldInfo[] {
  if (decl.fields === undefined) return [];
  if (isTy(decl.fields)) return [{ type: decl.fields, typeName: decl.fields.name, docs: [] }];
  return Object.entries(decl.fields).map(([name, type]) => ({ name, type, typeName: type.name, docs: [] }));
}

/** Whether every value of `ty` encodes to no bytes at all (`()`, empty tuples and arrays). */
function zeroSized(ty: AnyTy): boolean {
  const d = ty.info().def;
  switch (d.tag) {
    case "array":
      return d.len === 0 || zeroSized(d.of);
    case "tuple":
      return d.items.every(zeroSized);
    case "composite":
      return d.fields.every((f) => zeroSized(f.type));
    default:
      return false;
  }
}

/**
 * `Vec<X>` whose decoder checks the length prefix against the bytes left before reading any item, as
 * parity-scale-codec does: scale-ts would otherwise allocate and loop over every claimed item, and an
 * item type whose decoder reads past the end without failing (`[u8; 32]`) turns a 5-byte input that
 * claims 2^30 accounts into minutes of work.
 */
function boundedVector<X>(name: string, of: Ty<X>): S.Codec<X[]> {
  let itemsTakeBytes: boolean | undefined;
  const dec = S.createDecoder((bytes) => {
    const len = Number(canonicalCompact(name, bytes));
    const left = bytes.length - (bytes as unknown as { i: number }).i;
    itemsTakeBytes ??= !zeroSized(of);
    if (itemsTakeBytes && len > left)
      throw new CodecError({ code: "CODEC_ERROR_MALFORMED", type: name, reason: `${len} items in ${left} bytes` });
    const out = new Array<X>(len);
    for (let i = 0; i < len; i++) out[i] = of.codec.dec(bytes);
    return out;
  });
  return S.createCodec(S.Vector(of.codec).enc, dec);
}

function checkedEnumOption<X>(of: Ty<X>): S.Codec<X | undefined> {
  const dec = S.createDecoder((bytes) => {
    const at = (bytes as unknown as { i: number }).i;
    const flag = bytes[at];
    if (flag !== 0 && flag !== 1)
      throw new CodecError({
        code: "CODEC_ERROR_MALFORMED",
        type: `Option<${of.name}>`,
        reason: `invalid option flag ${flag}`,
      });
    return S.Option(of.codec).dec(bytes);
  });
  return S.createCodec(S.Option(of.codec).enc, dec);
}

function mapValues<A, B>(obj: Record<string, A>, f: (a: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = f(v);
  return out;
}
