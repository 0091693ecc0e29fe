/**
 * Types that exist for the metadata's sake: the extrinsic's shape and its signed extensions, as FRAME
 * describes them. Clients encode extrinsics from these descriptions, so the paths are FRAME's own.
 */
import { type AnyTy, makeTy, T } from "../primitives/scale/types.js";
import { AccountId, EraMeta, H256, Header, MultiAddress, MultiSignature } from "../primitives/types.js";
import { RuntimeCall } from "./construct.js";

function extension(path: string[], fields: AnyTy[] = []): AnyTy {
  // The codec matches the description: nothing, the one field, or the fields in order.
  const codec: AnyTy["codec"] =
    fields.length === 0 ? T.unit.codec : fields.length === 1 ? fields[0].codec : T.tuple(...fields).codec;
  return makeTy(path.at(-1)!, codec, () => ({
    path,
    params: [],
    def: { tag: "composite", fields: fields.map((type) => ({ type, typeName: type.name, docs: [] })) },
    docs: [],
  }));
}

/** Signed extensions in order; `extra` is what the extrinsic carries, `additional` what is only signed. */
export const SIGNED_EXTENSIONS: { identifier: string; type: AnyTy; additional: AnyTy }[] = [
  {
    identifier: "CheckNonZeroSender",
    type: extension(["frame_system", "extensions", "check_non_zero_sender", "CheckNonZeroSender"]),
    additional: T.unit,
  },
  {
    identifier: "CheckSpecVersion",
    type: extension(["frame_system", "extensions", "check_spec_version", "CheckSpecVersion"]),
    additional: T.u32,
  },
  {
    identifier: "CheckTxVersion",
    type: extension(["frame_system", "extensions", "check_tx_version", "CheckTxVersion"]),
    additional: T.u32,
  },
  {
    identifier: "CheckGenesis",
    type: extension(["frame_system", "extensions", "check_genesis", "CheckGenesis"]),
    additional: H256,
  },
  {
    identifier: "CheckMortality",
    type: extension(["frame_system", "extensions", "check_mortality", "CheckMortality"], [EraMeta]),
    additional: H256,
  },
  {
    identifier: "CheckNonce",
    type: extension(["frame_system", "extensions", "check_nonce", "CheckNonce"], [T.compactU32]),
    additional: T.unit,
  },
  {
    identifier: "CheckWeight",
    type: extension(["frame_system", "extensions", "check_weight", "CheckWeight"]),
    additional: T.unit,
  },
  {
    identifier: "ChargeTransactionPayment",
    type: extension(["pallet_transaction_payment", "ChargeTransactionPayment"], [T.compactU128]),
    additional: T.unit,
  },
];

export const SignedExtra = T.tuple(...SIGNED_EXTENSIONS.map((e) => e.type));

/** Described as opaque bytes with the four type parameters clients read to build their own codec. */
export const UncheckedExtrinsic = makeTy("UncheckedExtrinsic", T.bytes.codec, () => ({
  path: ["sp_runtime", "generic", "unchecked_extrinsic", "UncheckedExtrinsic"],
  params: [
    { name: "Address", type: MultiAddress },
    { name: "Call", type: RuntimeCall },
    { name: "Signature", type: MultiSignature },
    { name: "Extra", type: SignedExtra },
  ],
  def: { tag: "composite", fields: [{ type: T.bytes, typeName: "Vec<u8>", docs: [] }] },
  docs: [],
}));

export const Block = T.struct(
  { header: Header, extrinsics: T.vec(UncheckedExtrinsic) },
  {
    path: ["sp_runtime", "generic", "block", "Block"],
    params: [
      { name: "Header", type: Header },
      { name: "Extrinsic", type: UncheckedExtrinsic },
    ],
  },
);

export const OpaqueMetadata = T.wrapper(T.bytes, { path: ["sp_core", "OpaqueMetadata"] });

export const RuntimeTy = makeTy("Runtime", T.unit.codec, () => ({
  path: ["tensorchain_runtime", "Runtime"],
  params: [],
  def: { tag: "composite", fields: [] },
  docs: [],
}));

export { AccountId };
