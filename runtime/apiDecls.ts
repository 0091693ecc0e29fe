/**
 * The runtime APIs answered through `state_call`: one declaration per method gives its name, its SCALE
 * argument and result types (for the V15 metadata and for decoding) and its implementation.
 */
import { TensorchainError } from "../primitives/errors.js";
import { type AnyTy, T } from "../primitives/scale/types.js";
import { AccountId, Header, RuntimeVersionTy, Weight } from "../primitives/types.js";
import { TRANSACTION_BYTE_FEE } from "./constants.js";
import { RuntimeCall } from "./construct.js";
import {
  accountNonce,
  applyExtrinsic,
  executeBlock,
  finalizeBlock,
  initializeBlock,
  queryInfo,
  validateTransaction,
} from "./executive.js";
import { encodeUnsignedExtrinsic, withLengthPrefix } from "./extrinsic.js";
import type { CallValue } from "./frame/calls.js";
import type { Ext } from "./frame/ext.js";
import { metadataV14, metadataV15, SUPPORTED_METADATA_VERSIONS } from "./metadata.js";
import { Block, OpaqueMetadata, UncheckedExtrinsic } from "./metadataTypes.js";
import { Timestamp } from "./pallets/timestamp.js";
import { FeeDetails, RuntimeDispatchInfo, weightToFee } from "./pallets/transactionPayment.js";
import {
  ApplyExtrinsicResultTy,
  encodeValidityError,
  type TransactionSource,
  TransactionSourceTy,
  TransactionValidityTy,
} from "./validity.js";
import { RUNTIME_API_VERSIONS, RUNTIME_VERSION, runtimeApiId } from "./version.js";

export interface ApiContext {
  /** Wraps the state of block `at`; discarded after the call. */
  ext: Ext;
  at: { hash: Uint8Array; number: number };
  genesisHash: Uint8Array;
}

export type RuntimeApiErrorType =
  | { code: "RUNTIME_API_ERROR_UNKNOWN_METHOD"; method: string }
  | { code: "RUNTIME_API_ERROR_BAD_ARGS"; method: string; reason: string }
  | { code: "RUNTIME_API_ERROR_EXECUTION"; method: string; reason: string };
export class RuntimeApiError extends TensorchainError<RuntimeApiErrorType> {}

interface MethodDecl {
  name: string;
  inputs: [string, AnyTy][];
  output: AnyTy;
  docs: string[];
  // biome-ignore lint/suspicious/noExplicitAny: arguments are decoded from the declared input types.
  impl(ctx: ApiContext, ...args: any[]): unknown;
}

interface ApiDecl {
  name: string;
  docs: string[];
  methods: MethodDecl[];
}

const InherentData = T.struct(
  { data: T.vec(T.tuple(T.fixedBytes(8), T.bytes)) },
  { path: ["sp_inherents", "InherentData"] },
);
const CheckInherentsResult = T.struct(
  { okay: T.bool, fatal_error: T.bool, errors: InherentData },
  { path: ["sp_inherents", "CheckInherentsResult"] },
);
const TIMESTAMP_INHERENT_ID = new TextEncoder().encode("timstap0");
const ExtrinsicInclusionMode = T.enumeration(
  { AllExtrinsics: { index: 0 }, OnlyInherents: { index: 1 } },
  { path: ["sp_runtime", "ExtrinsicInclusionMode"] },
);

const sourceOf = (s: { tag: string }): TransactionSource =>
  s.tag === "InBlock" ? "inBlock" : s.tag === "Local" ? "local" : "external";

export const RUNTIME_APIS: ApiDecl[] = [
  {
    name: "Core",
    docs: [" The `Core` runtime api that every Substrate runtime needs to implement."],
    methods: [
      {
        name: "version",
        inputs: [],
        output: RuntimeVersionTy,
        docs: [" Returns the version of the runtime."],
        impl: () => RUNTIME_VERSION,
      },
      {
        name: "execute_block",
        inputs: [["block", Block]],
        output: T.unit,
        docs: [" Execute the given block."],
        impl: (ctx, block: { header: ReturnType<typeof Header.dec>; extrinsics: Uint8Array[] }) => {
          executeBlock(ctx.ext, block.header, block.extrinsics, ctx.genesisHash);
        },
      },
      {
        name: "initialize_block",
        inputs: [["header", Header]],
        output: ExtrinsicInclusionMode,
        docs: [" Initialize a block with the given header and return the runtime executive mode."],
        impl: (ctx, header: ReturnType<typeof Header.dec>) => {
          initializeBlock(ctx.ext, {
            parentHash: header.parentHash,
            number: header.number,
            digest: header.digest.logs,
          });
          return { tag: "AllExtrinsics" };
        },
      },
    ],
  },
  {
    name: "Metadata",
    docs: [" The `Metadata` api trait that returns metadata for the runtime."],
    methods: [
      {
        name: "metadata",
        inputs: [],
        output: OpaqueMetadata,
        docs: [" Returns the metadata of a runtime."],
        impl: () => metadataV14(),
      },
      {
        name: "metadata_at_version",
        inputs: [["version", T.u32]],
        output: T.option(OpaqueMetadata),
        docs: [" Returns the metadata at a given version."],
        impl: (_ctx, version: number) => (version === 14 ? metadataV14() : version === 15 ? metadataV15() : undefined),
      },
      {
        name: "metadata_versions",
        inputs: [],
        output: T.vec(T.u32),
        docs: [" Returns the supported metadata versions."],
        impl: () => SUPPORTED_METADATA_VERSIONS,
      },
    ],
  },
  {
    name: "BlockBuilder",
    docs: [" The `BlockBuilder` api trait that provides the required functionality for building a block."],
    methods: [
      {
        name: "apply_extrinsic",
        inputs: [["extrinsic", UncheckedExtrinsic]],
        output: ApplyExtrinsicResultTy,
        docs: [" Apply the given extrinsic."],
        impl: (ctx, extrinsic: Uint8Array) => {
          initializeBlock(ctx.ext, { parentHash: ctx.at.hash, number: ctx.at.number + 1, digest: [] });
          const r = applyExtrinsic(ctx.ext, withLengthPrefixRestored(extrinsic), ctx.genesisHash);
          if (!r.ok) return { tag: "Err", value: encodeValidityError(r.error) };
          return {
            tag: "Ok",
            value: r.outcome.ok ? { tag: "Ok", value: undefined } : { tag: "Err", value: r.outcome.error },
          };
        },
      },
      {
        name: "finalize_block",
        inputs: [],
        output: Header,
        docs: [" Finish the current block."],
        impl: (ctx) => {
          initializeBlock(ctx.ext, { parentHash: ctx.at.hash, number: ctx.at.number + 1, digest: [] });
          Timestamp.storage.DidUpdate.put(ctx.ext, true);
          const { extrinsicsRoot } = finalizeBlock(ctx.ext, []);
          return {
            parentHash: ctx.at.hash,
            number: ctx.at.number + 1,
            stateRoot: new Uint8Array(32),
            extrinsicsRoot,
            digest: { logs: [] },
          };
        },
      },
      {
        name: "inherent_extrinsics",
        inputs: [["inherent", InherentData]],
        output: T.vec(UncheckedExtrinsic),
        docs: [" Generate inherent extrinsics. The inherent data will vary from chain to chain."],
        impl: (_ctx, data: { data: [Uint8Array, Uint8Array][] }) => {
          const ts = data.data.find(([id]) => id.every((b, i) => b === TIMESTAMP_INHERENT_ID[i]));
          if (!ts) return [];
          const now = T.u64.dec(ts[1]);
          return [timestampInherent(now)];
        },
      },
      {
        name: "check_inherents",
        inputs: [
          ["block", Block],
          ["data", InherentData],
        ],
        output: CheckInherentsResult,
        docs: [" Check that the inherents are valid. The inherent data will vary from chain to chain."],
        impl: () => ({ okay: true, fatal_error: false, errors: { data: [] } }),
      },
    ],
  },
  {
    name: "TaggedTransactionQueue",
    docs: [" The `TaggedTransactionQueue` api trait for interfering with the transaction queue."],
    methods: [
      {
        name: "validate_transaction",
        inputs: [
          ["source", TransactionSourceTy],
          ["tx", UncheckedExtrinsic],
          ["block_hash", T.fixedBytes(32)],
        ],
        output: TransactionValidityTy,
        docs: [" Validate the transaction."],
        impl: (ctx, source: { tag: string }, tx: Uint8Array, _blockHash: Uint8Array) => {
          const v = validateTransaction(
            ctx.ext,
            sourceOf(source),
            withLengthPrefixRestored(tx),
            ctx.at,
            ctx.genesisHash,
          );
          return v.ok ? { tag: "Ok", value: v.value } : { tag: "Err", value: encodeValidityError(v.error) };
        },
      },
    ],
  },
  {
    name: "AccountNonceApi",
    docs: [" The API to query account nonce."],
    methods: [
      {
        name: "account_nonce",
        inputs: [["account", AccountId]],
        output: T.u32,
        docs: [" Get current account nonce of given `AccountId`."],
        impl: (ctx, who: Uint8Array) => accountNonce(ctx.ext, who),
      },
    ],
  },
  {
    name: "TransactionPaymentApi",
    docs: [],
    methods: [
      {
        name: "query_info",
        inputs: [
          ["uxt", UncheckedExtrinsic],
          ["len", T.u32],
        ],
        output: RuntimeDispatchInfo,
        docs: [],
        impl: (_ctx, uxt: Uint8Array, len: number) => {
          const info = queryInfo(withLengthPrefixRestored(uxt), len);
          return { weight: info.weight, class: { tag: info.class }, partial_fee: info.partialFee };
        },
      },
      {
        name: "query_fee_details",
        inputs: [
          ["uxt", UncheckedExtrinsic],
          ["len", T.u32],
        ],
        output: FeeDetails,
        docs: [],
        impl: (_ctx, uxt: Uint8Array, len: number) => {
          const info = queryInfo(withLengthPrefixRestored(uxt), len);
          const f = info.feeDetails;
          return {
            inclusion_fee: f
              ? { base_fee: f.baseFee, len_fee: f.lenFee, adjusted_weight_fee: f.adjustedWeightFee }
              : undefined,
            tip: info.tip,
          };
        },
      },
      {
        name: "query_weight_to_fee",
        inputs: [["weight", Weight]],
        output: T.u128,
        docs: [],
        impl: (_ctx, w: { ref_time: bigint; proof_size: bigint }) => weightToFee(w),
      },
      {
        name: "query_length_to_fee",
        inputs: [["length", T.u32]],
        output: T.u128,
        docs: [],
        impl: (_ctx, len: number) => BigInt(len) * TRANSACTION_BYTE_FEE,
      },
    ],
  },
];

/**
 * `UncheckedExtrinsic` arguments arrive as the extrinsic's own encoding (length prefix included); the
 * declared `Vec<u8>` codec strips that prefix, so put it back.
 */
function withLengthPrefixRestored(inner: Uint8Array): Uint8Array {
  return withLengthPrefix(inner);
}

export function timestampInherent(now: bigint): Uint8Array {
  const call: CallValue = { tag: "Timestamp", value: { tag: "set", value: { now } } };
  return encodeUnsignedExtrinsic(RuntimeCall.enc(call));
}

const methods = new Map<string, MethodDecl>();
for (const api of RUNTIME_APIS) for (const m of api.methods) methods.set(`${api.name}_${m.name}`, m);

/** Advertised APIs must all answer: checked once at start-up. */
for (const [name] of RUNTIME_API_VERSIONS) {
  if (!RUNTIME_APIS.some((a) => a.name === name))
    throw new Error(`Runtime API ${name} is advertised but not implemented`);
}
void runtimeApiId;

/** Runs `Api_method` with SCALE-encoded arguments and returns the SCALE-encoded result. */
export function callRuntimeApi(ctx: ApiContext, method: string, args: Uint8Array): Uint8Array {
  const decl = methods.get(method);
  if (!decl)
    throw new RuntimeApiError({ code: "RUNTIME_API_ERROR_UNKNOWN_METHOD", method }, `Method "${method}" not found`);
  let decoded: unknown[];
  try {
    decoded =
      decl.inputs.length === 0
        ? args.length === 0
          ? []
          : fail("unexpected arguments")
        : (T.tuple(...decl.inputs.map(([, t]) => t)).dec(args) as unknown[]);
  } catch (err) {
    throw new RuntimeApiError(
      { code: "RUNTIME_API_ERROR_BAD_ARGS", method, reason: (err as Error).message },
      `Bad arguments for ${method}: ${(err as Error).message}`,
    );
  }
  let result: unknown;
  try {
    result = decl.impl(ctx, ...decoded);
  } catch (err) {
    throw new RuntimeApiError(
      { code: "RUNTIME_API_ERROR_EXECUTION", method, reason: (err as Error).message },
      `Execution of ${method} failed: ${(err as Error).message}`,
    );
  }
  return decl.output.enc(result);
}

function fail(reason: string): never {
  throw new Error(reason);
}
