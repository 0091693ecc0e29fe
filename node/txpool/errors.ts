/**
 * Errors of `submit` / `submitAndWatch`, and their mapping to the JSON-RPC errors of Substrate's author
 * API (`sc_rpc_api::author::error`): base 1000, pool errors from 1010.
 */
import { TensorchainError } from "../../primitives/errors.js";
import type { HexString } from "../../primitives/hex.js";
import type { InvalidTransactionReason, UnknownTransactionReason } from "./interface.js";

export type TxPoolErrorType =
  /** The runtime said the transaction is invalid (1010). It is banned. */
  | { code: "TXPOOL_ERROR_INVALID_TRANSACTION"; hash: HexString; reason: InvalidTransactionReason; custom?: number }
  /** The runtime could not tell (1011). */
  | { code: "TXPOOL_ERROR_UNKNOWN_TRANSACTION"; hash: HexString; reason: UnknownTransactionReason; custom?: number }
  /** The hash is banned for a while (1012). */
  | { code: "TXPOOL_ERROR_TEMPORARILY_BANNED"; hash: HexString }
  /** The same transaction is already in the pool (1013). */
  | { code: "TXPOOL_ERROR_ALREADY_IMPORTED"; hash: HexString }
  /** A ready transaction provides the same tag with equal or higher priority (1014). */
  | { code: "TXPOOL_ERROR_TOO_LOW_PRIORITY"; hash: HexString; old: bigint; new: bigint }
  /** Importing would close a dependency cycle (1015). */
  | { code: "TXPOOL_ERROR_CYCLE_DETECTED"; hash: HexString }
  /** The transaction was itself the one dropped to keep the pool within its limits (1016). */
  | { code: "TXPOOL_ERROR_IMMEDIATELY_DROPPED"; hash: HexString }
  /** The runtime gave no `provides` tag, so the pool cannot place it (1019). It is banned. */
  | { code: "TXPOOL_ERROR_NO_TAGS_PROVIDED"; hash: HexString }
  /**
   * `validate` itself failed (1002): the runtime could not run it (undecodable bytes, a trap) or the
   * state is missing. `message` is the runtime API error (Substrate's `Error::RuntimeApi`). Banned, as
   * Substrate's pool bans what `verify_one` answers `ValidatedTransaction::Invalid` for.
   */
  | { code: "TXPOOL_ERROR_VALIDATION_FAILED"; hash: HexString; message: string };

export class TxPoolError extends TensorchainError<TxPoolErrorType> {
  constructor(type: TxPoolErrorType) {
    super(type, describe(type));
  }
}

/** The Display text of `sp_runtime`'s `InvalidTransaction`, which Substrate sends as the 1010 error's data. */
export function invalidTransactionMessage(reason: InvalidTransactionReason, custom?: number): string {
  switch (reason) {
    case "call":
      return "Transaction call is not expected";
    case "payment":
      return "Inability to pay some fees (e.g. account balance too low)";
    case "future":
      return "Transaction will be valid in the future";
    case "stale":
      return "Transaction is outdated";
    case "badProof":
      return "Transaction has a bad signature";
    case "ancientBirthBlock":
      return "Transaction has an ancient birth block";
    case "exhaustsResources":
      return "Transaction would exhaust the block limits";
    case "badMandatory":
      return "A call was labelled as mandatory, but resulted in an Error.";
    case "mandatoryValidation":
      return "Transaction dispatch is mandatory; transactions must not be validated.";
    case "badSigner":
      return "Invalid signing address";
    case "custom":
      // The author RPC sends `Custom error: {n}` rather than the generic Display text.
      return `Custom error: ${custom ?? 0}`;
  }
}

/** `{:?}` of `UnknownTransaction`, which Substrate sends as the 1011 error's data. */
export function unknownTransactionDebug(reason: UnknownTransactionReason, custom?: number): string {
  switch (reason) {
    case "cannotLookup":
      return "CannotLookup";
    case "noUnsignedValidator":
      return "NoUnsignedValidator";
    case "custom":
      return `Custom(${custom ?? 0})`;
  }
}

/** Substrate's author RPC error codes for pool errors. */
export const TxPoolRpcCode = {
  VerificationError: 1002,
  InvalidTransaction: 1010,
  UnknownValidity: 1011,
  TemporarilyBanned: 1012,
  AlreadyImported: 1013,
  TooLowPriority: 1014,
  CycleDetected: 1015,
  ImmediatelyDropped: 1016,
  NoTagsProvided: 1019,
} as const;

/** The JSON-RPC error code Substrate answers for this error; undefined for anything but a `TxPoolError`. */
export function rpcCodeOf(err: unknown): number | undefined {
  return err instanceof TxPoolError ? toRpcErrorObject(err).code : undefined;
}

/** The JSON-RPC error object `{code, message, data?}` that Substrate's author API answers for `err`. */
export function toRpcErrorObject(err: TxPoolError): { code: number; message: string; data?: unknown } {
  const t = err.type;
  switch (t.code) {
    case "TXPOOL_ERROR_INVALID_TRANSACTION":
      return {
        code: TxPoolRpcCode.InvalidTransaction,
        message: "Invalid Transaction",
        data: invalidTransactionMessage(t.reason, t.custom),
      };
    case "TXPOOL_ERROR_UNKNOWN_TRANSACTION":
      return {
        code: TxPoolRpcCode.UnknownValidity,
        message: "Unknown Transaction Validity",
        data: unknownTransactionDebug(t.reason, t.custom),
      };
    case "TXPOOL_ERROR_TEMPORARILY_BANNED":
      return { code: TxPoolRpcCode.TemporarilyBanned, message: "Transaction is temporarily banned" };
    case "TXPOOL_ERROR_ALREADY_IMPORTED":
      return { code: TxPoolRpcCode.AlreadyImported, message: "Transaction Already Imported", data: t.hash };
    case "TXPOOL_ERROR_TOO_LOW_PRIORITY":
      return {
        code: TxPoolRpcCode.TooLowPriority,
        message: `Priority is too low: (${t.old} vs ${t.new})`,
        data: "The transaction has too low priority to replace another transaction already in the pool.",
      };
    case "TXPOOL_ERROR_CYCLE_DETECTED":
      return { code: TxPoolRpcCode.CycleDetected, message: "Cycle Detected" };
    case "TXPOOL_ERROR_IMMEDIATELY_DROPPED":
      return {
        code: TxPoolRpcCode.ImmediatelyDropped,
        message: "Immediately Dropped",
        data: "The transaction couldn't enter the pool because of the limit",
      };
    case "TXPOOL_ERROR_NO_TAGS_PROVIDED":
      return {
        code: TxPoolRpcCode.NoTagsProvided,
        message: "No tags provided",
        data: "Transaction does not provide any tags, so the pool can't identify it",
      };
    case "TXPOOL_ERROR_VALIDATION_FAILED":
      // Substrate: `Error::Verification(pool::Error::RuntimeApi(msg))`, Display as the message, Debug as data.
      return {
        code: TxPoolRpcCode.VerificationError,
        message: `Verification Error: Runtime error: ${t.message}`,
        data: `RuntimeApi(${rustDebugString(t.message)})`,
      };
  }
}

function describe(t: TxPoolErrorType): string {
  switch (t.code) {
    case "TXPOOL_ERROR_INVALID_TRANSACTION":
      return `Invalid transaction: ${invalidTransactionMessage(t.reason, t.custom)}`;
    case "TXPOOL_ERROR_UNKNOWN_TRANSACTION":
      return `Unknown transaction validity: ${unknownTransactionDebug(t.reason, t.custom)}`;
    case "TXPOOL_ERROR_TEMPORARILY_BANNED":
      return "Transaction is temporarily banned";
    case "TXPOOL_ERROR_ALREADY_IMPORTED":
      return `Transaction ${t.hash} is already imported`;
    case "TXPOOL_ERROR_TOO_LOW_PRIORITY":
      return `Priority is too low: (${t.old} vs ${t.new})`;
    case "TXPOOL_ERROR_CYCLE_DETECTED":
      return "Transaction would create a dependency cycle";
    case "TXPOOL_ERROR_IMMEDIATELY_DROPPED":
      return "Transaction couldn't enter the pool because of the limit";
    case "TXPOOL_ERROR_NO_TAGS_PROVIDED":
      return "Transaction does not provide any tags";
    case "TXPOOL_ERROR_VALIDATION_FAILED":
      return `Transaction validation failed: Runtime error: ${t.message}`;
  }
}

/** A string as Rust's `{:?}` prints it: quoted, with `\\`, `"`, and control characters escaped. */
export function rustDebugString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\0") out += "\\0";
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}
