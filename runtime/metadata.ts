/**
 * Runtime metadata V14 and V15, generated from the pallet declarations (never written by hand) and
 * encoded with @polkadot-api/substrate-bindings' metadata codec.
 */
import { metadata as MetadataCodec } from "@polkadot-api/substrate-bindings";
import { toHex } from "../primitives/hex.js";
import { TypeRegistry } from "../primitives/scale/registry.js";
import { MultiAddress, MultiSignature } from "../primitives/types.js";
import { RUNTIME_APIS } from "./apiDecls.js";
import { RuntimeCall, RuntimeError, RuntimeEvent, runtimePallets } from "./construct.js";
import { RuntimeTy, SIGNED_EXTENSIONS, SignedExtra, UncheckedExtrinsic } from "./metadataTypes.js";

const MAGIC = 0x6174656d; // "meta"

function pallets(reg: TypeRegistry, withDocs: boolean) {
  return runtimePallets().map((p) => {
    const items = Object.values(p.storage).map((item) => {
      const m = item.meta();
      const valueId = reg.idOf(m.valueTy);
      return {
        name: m.name,
        modifier: m.modifier === "Optional" ? 0 : 1,
        type:
          m.hashers.length === 0
            ? { tag: "plain" as const, value: valueId }
            : {
                tag: "map" as const,
                value: {
                  hashers: m.hashers.map((h) => ({ tag: h.replace(/_/g, ""), value: undefined })),
                  key: reg.idOf(m.keyTy!),
                  value: valueId,
                },
              },
        fallback: toHex(m.fallback),
        docs: m.docs,
      };
    });
    return {
      name: p.name,
      storage: items.length > 0 ? { prefix: p.name, items } : undefined,
      calls: p.callTy ? reg.idOf(p.callTy) : undefined,
      events: p.eventTy ? reg.idOf(p.eventTy) : undefined,
      constants: Object.entries(p.constants).map(([name, c]) => ({
        name,
        type: reg.idOf(c.type),
        value: toHex(c.type.enc(c.value)),
        docs: c.docs,
      })),
      errors: p.errorTy ? reg.idOf(p.errorTy) : undefined,
      index: p.index,
      ...(withDocs ? { docs: p.docs } : { docs: [] }),
    };
  });
}

function signedExtensions(reg: TypeRegistry) {
  return SIGNED_EXTENSIONS.map((e) => ({
    identifier: e.identifier,
    type: reg.idOf(e.type),
    additionalSigned: reg.idOf(e.additional),
  }));
}

let v14Cache: Uint8Array | undefined;
let v15Cache: Uint8Array | undefined;

export function metadataV14(): Uint8Array {
  if (v14Cache) return v14Cache;
  const reg = new TypeRegistry();
  const palletsMeta = pallets(reg, false);
  const extrinsic = { type: reg.idOf(UncheckedExtrinsic), version: 4, signedExtensions: signedExtensions(reg) };
  const type = reg.idOf(RuntimeTy);
  v14Cache = MetadataCodec.enc({
    magicNumber: MAGIC,
    metadata: { tag: "v14", value: { lookup: reg.types, pallets: palletsMeta, extrinsic, type, apis: [] } },
  } as never);
  return v14Cache;
}

export function metadataV15(): Uint8Array {
  if (v15Cache) return v15Cache;
  const reg = new TypeRegistry();
  const palletsMeta = pallets(reg, true);
  const extrinsic = {
    version: 4,
    address: reg.idOf(MultiAddress),
    call: reg.idOf(RuntimeCall),
    signature: reg.idOf(MultiSignature),
    extra: reg.idOf(SignedExtra),
    signedExtensions: signedExtensions(reg),
  };
  reg.idOf(UncheckedExtrinsic);
  const type = reg.idOf(RuntimeTy);
  const apis = RUNTIME_APIS.map((api) => ({
    name: api.name,
    methods: api.methods.map((m) => ({
      name: m.name,
      inputs: m.inputs.map(([name, ty]) => ({ name, type: reg.idOf(ty) })),
      output: reg.idOf(m.output),
      docs: m.docs,
    })),
    docs: api.docs,
  }));
  const outerEnums = { call: reg.idOf(RuntimeCall), event: reg.idOf(RuntimeEvent), error: reg.idOf(RuntimeError) };
  v15Cache = MetadataCodec.enc({
    magicNumber: MAGIC,
    metadata: {
      tag: "v15",
      value: { lookup: reg.types, pallets: palletsMeta, extrinsic, type, apis, outerEnums, custom: [] },
    },
  } as never);
  return v15Cache;
}

export const SUPPORTED_METADATA_VERSIONS = [14, 15];
