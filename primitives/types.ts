/**
 * Substrate's standard on-chain types, with the exact metadata paths that clients such as
 * `@polkadot/api` recognise (they special-case several of them by path).
 */
import { T, type TyValue } from "./scale/types.js";

export const H256 = T.fixedBytes(32, { path: ["primitive_types", "H256"] });
export const AccountId = T.fixedBytes(32, { path: ["sp_core", "crypto", "AccountId32"] });
export const BlockNumber = T.u32;
export const Nonce = T.u32;
export const Balance = T.u128;
export const Moment = T.u64;

export type AccountIdBytes = Uint8Array;

export const MultiAddress = T.enumeration(
  {
    Id: { index: 0, fields: AccountId },
    Index: { index: 1, fields: T.lazy(() => CompactUnitIndex, "Compact<()>") },
    Raw: { index: 2, fields: T.bytes },
    Address32: { index: 3, fields: T.fixedBytes(32) },
    Address20: { index: 4, fields: T.fixedBytes(20) },
  },
  {
    path: ["sp_runtime", "multiaddress", "MultiAddress"],
    params: [
      { name: "AccountId", type: AccountId },
      { name: "AccountIndex", type: T.unit },
    ],
  },
);
// `MultiAddress<AccountId32, ()>`: the index variant carries `Compact<()>`; it never decodes successfully here.
const CompactUnitIndex = T.compactU32;
export type MultiAddressValue = TyValue<typeof MultiAddress>;

export const Sr25519Signature = T.fixedBytes(64, { path: ["sp_core", "sr25519", "Signature"] });
export const Ed25519Signature = T.fixedBytes(64, { path: ["sp_core", "ed25519", "Signature"] });
export const EcdsaSignature = T.fixedBytes(65, { path: ["sp_core", "ecdsa", "Signature"] });
export const MultiSignature = T.enumeration(
  {
    Ed25519: { index: 0, fields: Ed25519Signature },
    Sr25519: { index: 1, fields: Sr25519Signature },
    Ecdsa: { index: 2, fields: EcdsaSignature },
  },
  { path: ["sp_runtime", "MultiSignature"] },
);

/** `Era` is described in metadata as 256 variants: Immortal and Mortal1..Mortal255 (each with a u8). */
export const EraMeta = T.enumeration(
  Object.fromEntries([
    ["Immortal", { index: 0 }],
    ...Array.from({ length: 255 }, (_, i) => [`Mortal${i + 1}`, { index: i + 1, fields: T.u8 }]),
  ]),
  { path: ["sp_runtime", "generic", "era", "Era"] },
);

export const Weight = T.struct(
  { ref_time: T.compactU64, proof_size: T.compactU64 },
  { path: ["sp_weights", "weight_v2", "Weight"] },
);
export type WeightValue = TyValue<typeof Weight>;

export const DispatchClass = T.enumeration(
  { Normal: { index: 0 }, Operational: { index: 1 }, Mandatory: { index: 2 } },
  { path: ["frame_support", "dispatch", "DispatchClass"] },
);
export const Pays = T.enumeration(
  { Yes: { index: 0 }, No: { index: 1 } },
  { path: ["frame_support", "dispatch", "Pays"] },
);
export const DispatchInfo = T.struct(
  { weight: Weight, class: DispatchClass, pays_fee: Pays },
  { path: ["frame_support", "dispatch", "DispatchInfo"] },
);
export type DispatchInfoValue = TyValue<typeof DispatchInfo>;

export const ModuleError = T.struct({ index: T.u8, error: T.fixedBytes(4) }, { path: ["sp_runtime", "ModuleError"] });
export const TokenError = T.enumeration(
  {
    FundsUnavailable: { index: 0 },
    OnlyProvider: { index: 1 },
    BelowMinimum: { index: 2 },
    CannotCreate: { index: 3 },
    UnknownAsset: { index: 4 },
    Frozen: { index: 5 },
    Unsupported: { index: 6 },
    CannotCreateHold: { index: 7 },
    NotExpendable: { index: 8 },
    Blocked: { index: 9 },
  },
  { path: ["sp_runtime", "TokenError"] },
);
export const ArithmeticError = T.enumeration(
  { Underflow: { index: 0 }, Overflow: { index: 1 }, DivisionByZero: { index: 2 } },
  { path: ["sp_arithmetic", "ArithmeticError"] },
);
export const TransactionalError = T.enumeration(
  { LimitReached: { index: 0 }, NoLayer: { index: 1 } },
  { path: ["sp_runtime", "TransactionalError"] },
);
export const DispatchErrorTy = T.enumeration(
  {
    Other: { index: 0 },
    CannotLookup: { index: 1 },
    BadOrigin: { index: 2 },
    Module: { index: 3, fields: ModuleError },
    ConsumerRemaining: { index: 4 },
    NoProviders: { index: 5 },
    TooManyConsumers: { index: 6 },
    Token: { index: 7, fields: TokenError },
    Arithmetic: { index: 8, fields: ArithmeticError },
    Transactional: { index: 9, fields: TransactionalError },
    Exhausted: { index: 10 },
    Corruption: { index: 11 },
    Unavailable: { index: 12 },
    RootNotAllowed: { index: 13 },
  },
  { path: ["sp_runtime", "DispatchError"] },
);
export type DispatchErrorValue = TyValue<typeof DispatchErrorTy>;

/** Header digest items (sp_runtime::generic::DigestItem). */
export const ConsensusEngineId = T.fixedBytes(4);
export const DigestItem = T.enumeration(
  {
    Other: { index: 0, fields: T.bytes },
    Consensus: { index: 4, fields: T.tuple(ConsensusEngineId, T.bytes) },
    Seal: { index: 5, fields: T.tuple(ConsensusEngineId, T.bytes) },
    PreRuntime: { index: 6, fields: T.tuple(ConsensusEngineId, T.bytes) },
    RuntimeEnvironmentUpdated: { index: 8 },
  },
  { path: ["sp_runtime", "generic", "digest", "DigestItem"] },
);
export type DigestItemValue = TyValue<typeof DigestItem>;
export const Digest = T.struct({ logs: T.vec(DigestItem) }, { path: ["sp_runtime", "generic", "digest", "Digest"] });

export const Header = T.struct(
  { parentHash: H256, number: T.compactU32, stateRoot: H256, extrinsicsRoot: H256, digest: Digest },
  { path: ["sp_runtime", "generic", "header", "Header"], params: [{ name: "Number", type: T.u32 }, { name: "Hash" }] },
);
export type HeaderValue = TyValue<typeof Header>;

export const RuntimeVersionTy = T.struct({
  specName: T.str,
  implName: T.str,
  authoringVersion: T.u32,
  specVersion: T.u32,
  implVersion: T.u32,
  apis: T.vec(T.tuple(T.fixedBytes(8), T.u32)),
  transactionVersion: T.u32,
  stateVersion: T.u8,
});
export type RuntimeVersionValue = TyValue<typeof RuntimeVersionTy>;
