/**
 * The portable type registry of runtime metadata (scale-info's `PortableRegistry`): every type reachable
 * from the runtime's declarations gets a numeric id. Named types are identified by path and generic
 * parameters, anonymous ones by structure, so the same type declared twice is registered once.
 */
import type { AnyTy, TypeInfo } from "./types.js";

export interface PortableField {
  name: string | undefined;
  type: number;
  typeName: string | undefined;
  docs: string[];
}

export type PortableDef =
  | { tag: "composite"; value: PortableField[] }
  | { tag: "variant"; value: { name: string; fields: PortableField[]; index: number; docs: string[] }[] }
  | { tag: "sequence"; value: number }
  | { tag: "array"; value: { len: number; type: number } }
  | { tag: "tuple"; value: number[] }
  | { tag: "primitive"; value: { tag: string; value: undefined } }
  | { tag: "compact"; value: number };

export interface PortableType {
  id: number;
  path: string[];
  params: { name: string; type: number | undefined }[];
  def: PortableDef;
  docs: string[];
}

export class TypeRegistry {
  readonly types: PortableType[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly keyCache = new WeakMap<AnyTy, string>();

  /** The id of `ty`, registering it and everything it refers to on first sight. */
  idOf(ty: AnyTy): number {
    const key = this.keyOf(ty);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = this.types.length;
    this.byKey.set(key, id);
    // Reserve the slot first: recursive types refer back to their own id while being described.
    this.types.push(undefined as unknown as PortableType);
    const info = ty.info();
    this.types[id] = {
      id,
      path: info.path,
      params: info.params.map((p) => ({ name: p.name, type: p.type ? this.idOf(p.type) : undefined })),
      def: this.portableDef(info),
      docs: info.docs,
    };
    return id;
  }

  private portableDef(info: TypeInfo): PortableDef {
    const d = info.def;
    switch (d.tag) {
      case "composite":
        return { tag: "composite", value: d.fields.map((f) => this.field(f)) };
      case "variant":
        return {
          tag: "variant",
          value: d.variants.map((v) => ({
            name: v.name,
            fields: v.fields.map((f) => this.field(f)),
            index: v.index,
            docs: v.docs,
          })),
        };
      case "sequence":
        return { tag: "sequence", value: this.idOf(d.of) };
      case "array":
        return { tag: "array", value: { len: d.len, type: this.idOf(d.of) } };
      case "tuple":
        return { tag: "tuple", value: d.items.map((t) => this.idOf(t)) };
      case "primitive":
        return { tag: "primitive", value: { tag: d.name, value: undefined } };
      case "compact":
        return { tag: "compact", value: this.idOf(d.of) };
    }
  }

  private field(f: { name?: string; type: AnyTy; typeName?: string; docs: string[] }): PortableField {
    return { name: f.name, type: this.idOf(f.type), typeName: f.typeName, docs: f.docs };
  }

  private keyOf(ty: AnyTy): string {
    const cached = this.keyCache.get(ty);
    if (cached !== undefined) return cached;
    const info = ty.info();
    let key: string;
    if (info.path.length > 0) {
      // Named types: never descend into the definition, which keeps recursive types finite.
      key = `${info.path.join("::")}<${info.params.map((p) => (p.type ? this.keyOf(p.type) : "_")).join(",")}>`;
    } else {
      const d = info.def;
      switch (d.tag) {
        case "primitive":
          key = d.name;
          break;
        case "sequence":
          key = `Vec<${this.keyOf(d.of)}>`;
          break;
        case "array":
          key = `[${this.keyOf(d.of)};${d.len}]`;
          break;
        case "tuple":
          key = `(${d.items.map((t) => this.keyOf(t)).join(",")})`;
          break;
        case "compact":
          key = `Compact<${this.keyOf(d.of)}>`;
          break;
        case "composite":
          key = `{${d.fields.map((f) => `${f.name ?? ""}:${this.keyOf(f.type)}`).join(",")}}`;
          break;
        case "variant":
          key = `enum{${d.variants.map((v) => `${v.index}${v.name}(${v.fields.map((f) => `${f.name ?? ""}:${this.keyOf(f.type)}`).join(",")})`).join("|")}}`;
          break;
      }
    }
    this.keyCache.set(ty, key);
    return key;
  }
}
