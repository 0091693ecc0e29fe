/**
 * Transaction validity in Substrate's terms (sp_runtime::transaction_validity): what the pool is told
 * about a transaction, and why a transaction cannot be included.
 */
import { T } from "../primitives/scale/types.js";
import { DispatchErrorTy } from "../primitives/types.js";

/** Where a transaction came from, as `sp_runtime::transaction_validity::TransactionSource`. */
export type TransactionSource = "inBlock" | "local" | "external";

/** `sp_runtime::transaction_validity::ValidTransaction`. */
export interface ValidTransaction {
  /** Higher goes first among transactions whose `requires` are all met. A u64. */
  priority: bigint;
  /** Tags that other transactions (or the chain) must provide before this one can be included. */
  requires: Uint8Array[];
  /** Tags this transaction provides. Two transactions providing the same tag conflict. Must not be empty. */
  provides: Uint8Array[];
  /** Minimum number of blocks the validity holds; after `at + longevity` the pool drops it as stale. */
  longevity: bigint;
  /** Whether the transaction may be gossiped to peers. */
  propagate: boolean;
}

/** `sp_runtime::transaction_validity::InvalidTransaction`, camelCased. */
export type InvalidTransactionReason =
  | "call"
  | "payment"
  | "future"
  | "stale"
  | "badProof"
  | "ancientBirthBlock"
  | "exhaustsResources"
  | "custom"
  | "badMandatory"
  | "mandatoryValidation"
  | "badSigner";

/** `sp_runtime::transaction_validity::UnknownTransaction`, camelCased. */
export type UnknownTransactionReason = "cannotLookup" | "noUnsignedValidator" | "custom";

export type TransactionValidityError =
  | { kind: "invalid"; reason: InvalidTransactionReason; custom?: number }
  | { kind: "unknown"; reason: UnknownTransactionReason; custom?: number };

export type TransactionValidity =
  | { ok: true; value: ValidTransaction }
  | { ok: false; error: TransactionValidityError };

/** Thrown inside the executive; caught at the runtime API boundary and returned as a value. */
export class InvalidTransactionError extends Error {
  constructor(readonly error: TransactionValidityError) {
    super(`${error.kind} transaction: ${error.reason}`);
  }
}

export const invalid = (reason: InvalidTransactionReason): InvalidTransactionError =>
  new InvalidTransactionError({ kind: "invalid", reason });

const invalidIndex: Record<InvalidTransactionReason, number> = {
  call: 0,
  payment: 1,
  future: 2,
  stale: 3,
  badProof: 4,
  ancientBirthBlock: 5,
  exhaustsResources: 6,
  custom: 7,
  badMandatory: 8,
  mandatoryValidation: 9,
  badSigner: 10,
};
const unknownIndex = { cannotLookup: 0, noUnsignedValidator: 1, custom: 2 };

const InvalidTransactionTy = T.enumeration(
  {
    Call: { index: 0 },
    Payment: { index: 1 },
    Future: { index: 2 },
    Stale: { index: 3 },
    BadProof: { index: 4 },
    AncientBirthBlock: { index: 5 },
    ExhaustsResources: { index: 6 },
    Custom: { index: 7, fields: T.u8 },
    BadMandatory: { index: 8 },
    MandatoryValidation: { index: 9 },
    BadSigner: { index: 10 },
  },
  { path: ["sp_runtime", "transaction_validity", "InvalidTransaction"] },
);
const UnknownTransactionTy = T.enumeration(
  { CannotLookup: { index: 0 }, NoUnsignedValidator: { index: 1 }, Custom: { index: 2, fields: T.u8 } },
  { path: ["sp_runtime", "transaction_validity", "UnknownTransaction"] },
);
export const TransactionValidityErrorTy = T.enumeration(
  { Invalid: { index: 0, fields: InvalidTransactionTy }, Unknown: { index: 1, fields: UnknownTransactionTy } },
  { path: ["sp_runtime", "transaction_validity", "TransactionValidityError"] },
);
export const ValidTransactionTy = T.struct(
  { priority: T.u64, requires: T.vec(T.bytes), provides: T.vec(T.bytes), longevity: T.u64, propagate: T.bool },
  { path: ["sp_runtime", "transaction_validity", "ValidTransaction"] },
);
export const TransactionValidityTy = T.enumeration(
  { Ok: { index: 0, fields: ValidTransactionTy }, Err: { index: 1, fields: TransactionValidityErrorTy } },
  {
    path: ["Result"],
    params: [
      { name: "T", type: ValidTransactionTy },
      { name: "E", type: TransactionValidityErrorTy },
    ],
  },
);
const DispatchOutcomeTy = T.enumeration(
  { Ok: { index: 0, fields: T.unit }, Err: { index: 1, fields: DispatchErrorTy } },
  {
    path: ["Result"],
    params: [
      { name: "T", type: T.unit },
      { name: "E", type: DispatchErrorTy },
    ],
  },
);
export const ApplyExtrinsicResultTy = T.enumeration(
  { Ok: { index: 0, fields: DispatchOutcomeTy }, Err: { index: 1, fields: TransactionValidityErrorTy } },
  {
    path: ["Result"],
    params: [
      { name: "T", type: DispatchOutcomeTy },
      { name: "E", type: TransactionValidityErrorTy },
    ],
  },
);
export const TransactionSourceTy = T.enumeration(
  { InBlock: { index: 0 }, Local: { index: 1 }, External: { index: 2 } },
  { path: ["sp_runtime", "transaction_validity", "TransactionSource"] },
);

export function encodeValidityError(e: TransactionValidityError): ReturnType<typeof TransactionValidityErrorTy.dec> {
  if (e.kind === "invalid") {
    const tag = (e.reason.charAt(0).toUpperCase() + e.reason.slice(1)) as "Call";
    return {
      tag: "Invalid",
      value: (e.reason === "custom" ? { tag: "Custom", value: e.custom ?? 0 } : { tag }) as never,
    };
  }
  const tag = (e.reason.charAt(0).toUpperCase() + e.reason.slice(1)) as "CannotLookup";
  return {
    tag: "Unknown",
    value: (e.reason === "custom" ? { tag: "Custom", value: e.custom ?? 0 } : { tag }) as never,
  };
}

export { invalidIndex, unknownIndex };
