/**
 * # System pallet
 *
 * The base of the runtime: accounts (nonce, reference counts and balance data), the current block's
 * number, parent hash and digest, recent block hashes (for mortal transactions), the events of the
 * block, and the limits every block obeys.
 *
 * `System.Account` holds `AccountInfo` with its `AccountData` inline (the balances pallet keeps its
 * data here, as FRAME's `AccountStore = System` does). It is read and written on every transaction, so
 * its codec is a hand-written fixed-size fast path (80 bytes), checked against the declared type in tests.
 */
import { blake2_256 } from "../../primitives/hashing.js";
import { type AnyTy, makeTy, T, type TyValue } from "../../primitives/scale/types.js";
import {
  AccountId,
  Balance,
  BlockNumber,
  Digest,
  DispatchErrorTy,
  DispatchInfo,
  H256,
  Nonce,
  RuntimeVersionTy,
  Weight,
} from "../../primitives/types.js";
import * as C from "../constants.js";
import { ensureRuntime } from "../frame/calls.js";
import { ensureRoot, weight } from "../frame/dispatch.js";
import { call, pallet } from "../frame/pallet.js";
import { storageMap, storageValue } from "../frame/storage.js";
import { RUNTIME_VERSION } from "../version.js";

export interface AccountInfo {
  nonce: number;
  consumers: number;
  providers: number;
  sufficients: number;
  data: { free: bigint; reserved: bigint; frozen: bigint; flags: bigint };
}

const AccountDataDeclared = T.struct(
  {
    free: Balance,
    reserved: Balance,
    frozen: Balance,
    flags: T.wrapper(T.u128, { path: ["pallet_balances", "types", "ExtraFlags"] }),
  },
  { path: ["pallet_balances", "types", "AccountData"], params: [{ name: "Balance", type: Balance }] },
);
const AccountInfoDeclared = T.struct(
  { nonce: Nonce, consumers: T.u32, providers: T.u32, sufficients: T.u32, data: AccountDataDeclared },
  {
    path: ["frame_system", "AccountInfo"],
    params: [
      { name: "Nonce", type: Nonce },
      { name: "AccountData", type: AccountDataDeclared },
    ],
  },
);

/** The declared codec, kept for the metadata and for cross-checking the fast path. */
export const AccountInfoReference = AccountInfoDeclared;

const ACCOUNT_INFO_LEN = 16 + 64;
const MASK64 = (1n << 64n) - 1n;

function writeU128(dv: DataView, off: number, v: bigint): void {
  dv.setBigUint64(off, v & MASK64, true);
  dv.setBigUint64(off + 8, v >> 64n, true);
}

function readU128(dv: DataView, off: number): bigint {
  return dv.getBigUint64(off, true) | (dv.getBigUint64(off + 8, true) << 64n);
}

/** Fast path for `AccountInfo`: fixed layout, no intermediate arrays. */
export const AccountInfoTy = makeTy<AccountInfo>("AccountInfo", AccountInfoDeclared.codec as never, () =>
  AccountInfoDeclared.info(),
);
AccountInfoTy.enc = (v: AccountInfo): Uint8Array => {
  const out = new Uint8Array(ACCOUNT_INFO_LEN);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, v.nonce, true);
  dv.setUint32(4, v.consumers, true);
  dv.setUint32(8, v.providers, true);
  dv.setUint32(12, v.sufficients, true);
  writeU128(dv, 16, v.data.free);
  writeU128(dv, 32, v.data.reserved);
  writeU128(dv, 48, v.data.frozen);
  writeU128(dv, 64, v.data.flags);
  return out;
};
AccountInfoTy.dec = (b: Uint8Array): AccountInfo => {
  if (b.length !== ACCOUNT_INFO_LEN) return AccountInfoDeclared.dec(b); // throws the typed error
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    nonce: dv.getUint32(0, true),
    consumers: dv.getUint32(4, true),
    providers: dv.getUint32(8, true),
    sufficients: dv.getUint32(12, true),
    data: { free: readU128(dv, 16), reserved: readU128(dv, 32), frozen: readU128(dv, 48), flags: readU128(dv, 64) },
  };
};

export const EMPTY_ACCOUNT: AccountInfo = {
  nonce: 0,
  consumers: 0,
  providers: 0,
  sufficients: 0,
  data: { free: 0n, reserved: 0n, frozen: 0n, flags: 1n << 127n },
};

const PerDispatchClassWeight = T.struct(
  { normal: Weight, operational: Weight, mandatory: Weight },
  { path: ["frame_support", "dispatch", "PerDispatchClass"], params: [{ name: "T", type: Weight }] },
);
const WeightsPerClass = T.struct(
  { base_extrinsic: Weight, max_extrinsic: T.option(Weight), max_total: T.option(Weight), reserved: T.option(Weight) },
  { path: ["frame_system", "limits", "WeightsPerClass"] },
);
const BlockWeightsTy = T.struct(
  {
    base_block: Weight,
    max_block: Weight,
    per_class: T.struct(
      { normal: WeightsPerClass, operational: WeightsPerClass, mandatory: WeightsPerClass },
      { path: ["frame_support", "dispatch", "PerDispatchClass"], params: [{ name: "T", type: WeightsPerClass }] },
    ),
  },
  { path: ["frame_system", "limits", "BlockWeights"] },
);
const BlockLengthTy = T.struct(
  {
    max: T.struct(
      { normal: T.u32, operational: T.u32, mandatory: T.u32 },
      { path: ["frame_support", "dispatch", "PerDispatchClass"], params: [{ name: "T", type: T.u32 }] },
    ),
  },
  { path: ["frame_system", "limits", "BlockLength"] },
);
const RuntimeDbWeightTy = T.struct({ read: T.u64, write: T.u64 }, { path: ["sp_weights", "RuntimeDbWeight"] });
const RuntimeVersionMeta = T.struct(
  {
    spec_name: T.str,
    impl_name: T.str,
    authoring_version: T.u32,
    spec_version: T.u32,
    impl_version: T.u32,
    apis: T.vec(T.tuple(T.fixedBytes(8), T.u32)),
    transaction_version: T.u32,
    system_version: T.u8,
  },
  { path: ["sp_version", "RuntimeVersion"] },
);

const normalMax = (C.MAXIMUM_BLOCK_WEIGHT * C.NORMAL_DISPATCH_RATIO_PERCENT) / 100n;
export const BLOCK_WEIGHTS = {
  base_block: weight(C.BLOCK_BASE_WEIGHT),
  max_block: weight(C.MAXIMUM_BLOCK_WEIGHT, C.MAXIMUM_BLOCK_PROOF_SIZE),
  per_class: {
    normal: {
      base_extrinsic: weight(C.EXTRINSIC_BASE_WEIGHT),
      max_extrinsic: weight(normalMax - C.EXTRINSIC_BASE_WEIGHT, C.MAXIMUM_BLOCK_PROOF_SIZE),
      max_total: weight(normalMax, C.MAXIMUM_BLOCK_PROOF_SIZE),
      reserved: weight(0n),
    },
    operational: {
      base_extrinsic: weight(C.EXTRINSIC_BASE_WEIGHT),
      max_extrinsic: weight(C.MAXIMUM_BLOCK_WEIGHT - C.EXTRINSIC_BASE_WEIGHT, C.MAXIMUM_BLOCK_PROOF_SIZE),
      max_total: weight(C.MAXIMUM_BLOCK_WEIGHT, C.MAXIMUM_BLOCK_PROOF_SIZE),
      reserved: weight(C.MAXIMUM_BLOCK_WEIGHT - normalMax),
    },
    mandatory: {
      base_extrinsic: weight(C.EXTRINSIC_BASE_WEIGHT),
      max_extrinsic: undefined,
      max_total: undefined,
      reserved: undefined,
    },
  },
};
const normalLength = Number((BigInt(C.MAXIMUM_BLOCK_LENGTH) * C.NORMAL_DISPATCH_RATIO_PERCENT) / 100n);
export const BLOCK_LENGTH = {
  max: { normal: normalLength, operational: C.MAXIMUM_BLOCK_LENGTH, mandatory: C.MAXIMUM_BLOCK_LENGTH },
};

export const Phase = T.enumeration(
  { ApplyExtrinsic: { index: 0, fields: T.u32 }, Finalization: { index: 1 }, Initialization: { index: 2 } },
  { path: ["frame_system", "Phase"] },
);

/** Set by the runtime assembly: `Vec<EventRecord<RuntimeEvent, H256>>` needs the runtime's event type. */
export const eventRecordTy = { current: undefined as unknown as ReturnType<typeof makeEventRecordTy> };
export function makeEventRecordTy<E>(runtimeEvent: import("../../primitives/scale/types.js").Ty<E>) {
  return T.struct(
    { phase: Phase, event: runtimeEvent, topics: T.vec(H256) },
    {
      path: ["frame_system", "EventRecord"],
      params: [
        { name: "E", type: runtimeEvent },
        { name: "T", type: H256 },
      ],
    },
  );
}
let eventsVec: { of: unknown; ty: AnyTy } | undefined;
const EventsTy = T.lazy((): AnyTy => {
  ensureRuntime();
  if (eventsVec?.of !== eventRecordTy.current)
    eventsVec = { of: eventRecordTy.current, ty: T.vec(eventRecordTy.current) };
  return eventsVec!.ty;
}, "Vec<EventRecord>");

const PerDispatchClassWeightValue = PerDispatchClassWeight;

export const System = pallet({
  name: "System",
  index: 0,
  module: "frame_system",
  docs: ["The base of the runtime: accounts, block facts, events and limits."],
  storage: {
    Account: storageMap("Blake2_128Concat", AccountId, AccountInfoTy, {
      default: EMPTY_ACCOUNT,
      docs: [" The full account information for a particular account ID."],
    }),
    ExtrinsicCount: storageValue(T.u32, { docs: [" Total extrinsics count for the current block."] }),
    BlockWeight: storageValue(PerDispatchClassWeightValue, {
      default: { normal: weight(0n), operational: weight(0n), mandatory: weight(0n) },
      docs: [" The current weight for the block."],
    }),
    AllExtrinsicsLen: storageValue(T.u32, {
      docs: [" Total length (in bytes) for all extrinsics put together, for the current block."],
    }),
    BlockHash: storageMap("Twox64Concat", BlockNumber, H256, {
      default: new Uint8Array(32),
      docs: [" Map of block numbers to block hashes."],
    }),
    Number: storageValue(BlockNumber, {
      default: 0,
      docs: [" The current block number being processed. Set by `execute_block`."],
    }),
    ParentHash: storageValue(H256, { default: new Uint8Array(32), docs: [" Hash of the previous block."] }),
    Digest: storageValue(Digest, {
      default: { logs: [] },
      docs: [" Digest of the current block, also part of the block header."],
    }),
    Events: storageValue(EventsTy, {
      default: [],
      docs: [" Events deposited for the current block.", "", " Written once, when the block is finalized."],
    }),
    EventCount: storageValue(T.u32, { default: 0, docs: [" The number of events in the `Events<T>` list."] }),
  },
  constants: {
    BlockWeights: {
      type: BlockWeightsTy,
      value: BLOCK_WEIGHTS,
      docs: [" Block & extrinsics weights: base values and limits."],
    },
    BlockLength: { type: BlockLengthTy, value: BLOCK_LENGTH, docs: [" The maximum length of a block (in bytes)."] },
    BlockHashCount: {
      type: BlockNumber,
      value: C.BLOCK_HASH_COUNT,
      docs: [" Maximum number of block number to block hash mappings to keep (oldest pruned first)."],
    },
    DbWeight: {
      type: RuntimeDbWeightTy,
      value: { read: C.DB_READ_WEIGHT, write: C.DB_WRITE_WEIGHT },
      docs: [" The weight of runtime database operations the runtime can invoke."],
    },
    Version: {
      type: RuntimeVersionMeta,
      value: {
        spec_name: RUNTIME_VERSION.specName,
        impl_name: RUNTIME_VERSION.implName,
        authoring_version: RUNTIME_VERSION.authoringVersion,
        spec_version: RUNTIME_VERSION.specVersion,
        impl_version: RUNTIME_VERSION.implVersion,
        apis: RUNTIME_VERSION.apis,
        transaction_version: RUNTIME_VERSION.transactionVersion,
        system_version: RUNTIME_VERSION.stateVersion,
      },
      docs: [" Get the chain's in-code version."],
    },
    SS58Prefix: { type: T.u16, value: C.SS58_PREFIX, docs: [" The designated SS58 prefix of this chain."] },
  },
  events: {
    ExtrinsicSuccess: {
      index: 0,
      fields: { dispatch_info: DispatchInfo },
      docs: ["An extrinsic completed successfully."],
    },
    ExtrinsicFailed: {
      index: 1,
      fields: { dispatch_error: DispatchErrorTy, dispatch_info: DispatchInfo },
      docs: ["An extrinsic failed."],
    },
    NewAccount: { index: 3, fields: { account: AccountId }, docs: ["A new account was created."] },
    KilledAccount: { index: 4, fields: { account: AccountId }, docs: ["An account was reaped."] },
    Remarked: { index: 5, fields: { sender: AccountId, hash: H256 }, docs: ["On on-chain remark happened."] },
  },
  errors: {
    InvalidSpecName: {
      index: 0,
      docs: "The name of specification does not match between the current runtime and the new runtime.",
    },
    SpecVersionNeedsToIncrease: {
      index: 1,
      docs: "The specification version is not allowed to decrease between the current runtime and the new runtime.",
    },
    FailedToExtractRuntimeVersion: { index: 2, docs: "Failed to extract the runtime version from the new runtime." },
    NonDefaultComposite: { index: 3, docs: "Suicide called when the account has non-default composite data." },
    NonZeroRefCount: {
      index: 4,
      docs: "There is a non-zero reference count preventing the account from being purged.",
    },
    CallFiltered: { index: 5, docs: "The origin filter prevent the call to be dispatched." },
  },
});

export type EventRecordValue = TyValue<ReturnType<typeof makeEventRecordTy>>;

System.defineCalls({
  remark: call({
    index: 0,
    args: { remark: T.bytes },
    docs: ["Make some on-chain remark.", "", "Can be executed by every `origin`."],
    weight: ({ remark }) => weight(1_000_000n + BigInt(remark.length) * 1_000n),
    dispatch: () => {},
  }),
  remark_with_event: call({
    index: 7,
    args: { remark: T.bytes },
    docs: ["Make some on-chain remark and emit an event."],
    weight: ({ remark }) => weight(10_000_000n + BigInt(remark.length) * 1_000n),
    dispatch: (ext, origin, { remark }) => {
      if (origin.kind !== "signed") return;
      System.deposit(ext, { tag: "Remarked", value: { sender: origin.who, hash: blake2_256(remark) } });
    },
  }),
  set_storage: call({
    index: 4,
    args: { items: T.vec(T.tuple(T.bytes, T.bytes)) },
    docs: ["Set some items of storage. Root only."],
    weight: ({ items }) => weight(BigInt(items.length) * C.DB_WRITE_WEIGHT),
    dispatch: (ext, origin, { items }) => {
      ensureRoot(origin);
      for (const [k, v] of items) ext.overlay.set(k, v);
    },
  }),
});

/** The events deposited in the block whose state `ext` wraps (empty before it is finalized). */
export function eventsOf(ext: import("../frame/ext.js").Ext): EventRecordValue[] {
  return System.storage.Events.getOrDefault(ext) as EventRecordValue[];
}

/** Reads an account, with the default (empty) account when absent. */
export function getAccount(ext: import("../frame/ext.js").Ext, who: Uint8Array): AccountInfo {
  return System.storage.Account.getOrDefault(ext, who);
}

/**
 * Writes an account, creating or reaping it as its balance crosses the existential deposit. An account
 * exists while it holds at least the existential deposit in free + reserved balance.
 */
export function putAccount(
  ext: import("../frame/ext.js").Ext,
  who: Uint8Array,
  info: AccountInfo,
  existed: boolean,
): void {
  const alive = info.data.free + info.data.reserved >= C.EXISTENTIAL_DEPOSIT;
  if (alive) {
    if (!existed) {
      info.providers = Math.max(info.providers, 1);
      System.deposit(ext, { tag: "NewAccount", value: { account: who } });
    }
    System.storage.Account.insert(ext, who, info);
  } else if (existed) {
    System.storage.Account.remove(ext, who);
    System.deposit(ext, { tag: "KilledAccount", value: { account: who } });
  }
}

export function accountExists(ext: import("../frame/ext.js").Ext, who: Uint8Array): boolean {
  return System.storage.Account.contains(ext, who);
}

export { RuntimeVersionTy };
