/**
 * Storage items: `twox128(pallet) ++ twox128(item) ++ hasher(encoded key)`, exactly as FRAME lays them
 * out, so that clients compute the same keys from the metadata.
 */
import { blake2_128, concat, twox64, twox128 } from "../../primitives/hashing.js";
import { T, type Ty } from "../../primitives/scale/types.js";
import type { Ext } from "./ext.js";

const KEY_CACHE_SIZE = 65_536;

export type Hasher = "Blake2_128Concat" | "Twox64Concat" | "Identity";

export function hashKey(hasher: Hasher, encoded: Uint8Array): Uint8Array {
  switch (hasher) {
    case "Blake2_128Concat":
      return concat(blake2_128(encoded), encoded);
    case "Twox64Concat":
      return concat(twox64(encoded), encoded);
    case "Identity":
      return encoded;
  }
}

/** Where a hasher's output ends and the encoded key begins, for decoding keys back. */
export function hasherPrefixLength(hasher: Hasher): number {
  return hasher === "Blake2_128Concat" ? 16 : hasher === "Twox64Concat" ? 8 : 0;
}

export interface StorageItemMeta {
  name: string;
  docs: string[];
  modifier: "Optional" | "Default";
  /** Plain values have no hashers. */
  hashers: Hasher[];
  keyTy?: Ty<unknown>;
  valueTy: Ty<unknown>;
  fallback: Uint8Array;
}

export interface StorageItemOpts<V> {
  docs?: string[];
  /** The value read when the key is absent (`ValueQuery`); without it reads return `undefined`. */
  default?: V;
}

abstract class StorageItem<V> {
  prefix!: Uint8Array;
  name!: string;

  constructor(
    readonly valueTy: Ty<V>,
    readonly opts: StorageItemOpts<V>,
  ) {}

  /** Called once by `pallet()` when the item is placed in its pallet. */
  bind(palletPrefix: string, name: string): void {
    this.name = name;
    this.prefix = concat(twox128(new TextEncoder().encode(palletPrefix)), twox128(new TextEncoder().encode(name)));
  }

  private defaultBytes: Uint8Array | undefined;

  protected read(ext: Ext, key: Uint8Array): V | undefined {
    const raw = ext.overlay.get(key);
    if (raw !== undefined) return this.valueTy.dec(raw);
    if (this.opts.default === undefined) return undefined;
    // Decoded afresh each time: callers may mutate what they read, and the default must stay intact.
    this.defaultBytes ??= this.valueTy.enc(this.opts.default);
    return this.valueTy.dec(this.defaultBytes);
  }

  protected write(ext: Ext, key: Uint8Array, value: V | undefined): void {
    if (value === undefined) ext.overlay.clear(key);
    else ext.overlay.set(key, this.valueTy.enc(value));
  }

  abstract meta(): StorageItemMeta;

  protected baseMeta(): Pick<StorageItemMeta, "name" | "docs" | "modifier" | "valueTy" | "fallback"> {
    const hasDefault = this.opts.default !== undefined;
    return {
      name: this.name,
      docs: this.opts.docs ?? [],
      modifier: hasDefault ? "Default" : "Optional",
      valueTy: this.valueTy as Ty<unknown>,
      fallback: hasDefault ? this.valueTy.enc(this.opts.default as V) : new Uint8Array([0]),
    };
  }
}

export class StorageValue<V> extends StorageItem<V> {
  get key(): Uint8Array {
    return this.prefix;
  }

  get(ext: Ext): V | undefined {
    return this.read(ext, this.prefix);
  }

  /** For items declared with a default: never undefined. */
  getOrDefault(ext: Ext): V {
    return this.read(ext, this.prefix) as V;
  }

  put(ext: Ext, value: V): void {
    this.write(ext, this.prefix, value);
  }

  kill(ext: Ext): void {
    ext.overlay.clear(this.prefix);
  }

  take(ext: Ext): V | undefined {
    const v = this.get(ext);
    this.kill(ext);
    return v;
  }

  meta(): StorageItemMeta {
    return { ...this.baseMeta(), hashers: [] };
  }
}

export class StorageMap<K, V> extends StorageItem<V> {
  constructor(
    readonly hasher: Hasher,
    readonly keyTy: Ty<K>,
    valueTy: Ty<V>,
    opts: StorageItemOpts<V>,
  ) {
    super(valueTy, opts);
  }

  /** Hashed keys of recently used map keys: accounts are looked up several times per transaction. */
  private readonly keyCache = new Map<string, Uint8Array>();

  keyFor(k: K): Uint8Array {
    const encoded = this.keyTy.enc(k);
    const id = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString("latin1");
    const cached = this.keyCache.get(id);
    if (cached) return cached;
    const key = concat(this.prefix, hashKey(this.hasher, encoded));
    if (this.keyCache.size >= KEY_CACHE_SIZE) this.keyCache.clear();
    this.keyCache.set(id, key);
    return key;
  }

  get(ext: Ext, k: K): V | undefined {
    return this.read(ext, this.keyFor(k));
  }

  getOrDefault(ext: Ext, k: K): V {
    return this.read(ext, this.keyFor(k)) as V;
  }

  contains(ext: Ext, k: K): boolean {
    return ext.overlay.get(this.keyFor(k)) !== undefined;
  }

  insert(ext: Ext, k: K, v: V): void {
    this.write(ext, this.keyFor(k), v);
  }

  remove(ext: Ext, k: K): void {
    ext.overlay.clear(this.keyFor(k));
  }

  /** Every entry, decoded. Only for hashers that keep the key (Concat and Identity). */
  entries(ext: Ext): [K, V][] {
    const skip = this.prefix.length + hasherPrefixLength(this.hasher);
    return ext.overlay
      .keys(this.prefix)
      .map((key) => [this.keyTy.dec(key.subarray(skip)), this.valueTy.dec(ext.overlay.get(key)!)]);
  }

  clear(ext: Ext): number {
    return ext.overlay.clearPrefix(this.prefix);
  }

  meta(): StorageItemMeta {
    return { ...this.baseMeta(), hashers: [this.hasher], keyTy: this.keyTy as Ty<unknown> };
  }
}

/**
 * FRAME's `StorageDoubleMap`: `prefix ++ hasher1(encoded k1) ++ hasher2(encoded k2)`, described in the
 * metadata with two hashers and the key as the tuple `(K1, K2)`. Values are addressed with `[k1, k2]`;
 * all entries under one first key can be iterated or removed together.
 */
export class StorageDoubleMap<K1, K2, V> extends StorageMap<[K1, K2], V> {
  constructor(
    readonly hasher1: Hasher,
    readonly key1Ty: Ty<K1>,
    readonly hasher2: Hasher,
    readonly key2Ty: Ty<K2>,
    valueTy: Ty<V>,
    opts: StorageItemOpts<V>,
  ) {
    super(hasher1, T.tuple(key1Ty, key2Ty) as unknown as Ty<[K1, K2]>, valueTy, opts);
  }

  /** The prefix of every entry whose first key is `k1`. */
  prefixOf(k1: K1): Uint8Array {
    return concat(this.prefix, hashKey(this.hasher1, this.key1Ty.enc(k1)));
  }

  override keyFor([k1, k2]: [K1, K2]): Uint8Array {
    return concat(this.prefixOf(k1), hashKey(this.hasher2, this.key2Ty.enc(k2)));
  }

  /** Every `(k2, value)` under `k1`, in key order. Only for a second hasher that keeps the key. */
  entriesOf(ext: Ext, k1: K1): [K2, V][] {
    const prefix = this.prefixOf(k1);
    const skip = prefix.length + hasherPrefixLength(this.hasher2);
    return ext.overlay
      .keys(prefix)
      .map((key) => [this.key2Ty.dec(key.subarray(skip)), this.valueTy.dec(ext.overlay.get(key)!)]);
  }

  /** Removes every entry under `k1`; returns how many there were. */
  clearPrefixOf(ext: Ext, k1: K1): number {
    return ext.overlay.clearPrefix(this.prefixOf(k1));
  }

  /** Not supported: the end of an encoded first key cannot be found without decoding it. */
  override entries(): [[K1, K2], V][] {
    throw new Error(`StorageDoubleMap ${this.name}: iterate with entriesOf(k1)`);
  }

  override meta(): StorageItemMeta {
    return { ...super.meta(), hashers: [this.hasher1, this.hasher2] };
  }
}

export function storageValue<V>(ty: Ty<V>, opts: StorageItemOpts<V> = {}): StorageValue<V> {
  return new StorageValue(ty, opts);
}

export function storageMap<K, V>(
  hasher: Hasher,
  keyTy: Ty<K>,
  valueTy: Ty<V>,
  opts: StorageItemOpts<V> = {},
): StorageMap<K, V> {
  return new StorageMap(hasher, keyTy, valueTy, opts);
}

export function storageDoubleMap<K1, K2, V>(
  hasher1: Hasher,
  key1Ty: Ty<K1>,
  hasher2: Hasher,
  key2Ty: Ty<K2>,
  valueTy: Ty<V>,
  opts: StorageItemOpts<V> = {},
): StorageDoubleMap<K1, K2, V> {
  return new StorageDoubleMap(hasher1, key1Ty, hasher2, key2Ty, valueTy, opts);
}
