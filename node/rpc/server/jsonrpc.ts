/**
 * JSON-RPC 2.0 response text, built by string concatenation around `JSON.stringify` of the variable
 * parts only (the id, the result, the error object).
 */
import { RpcErrorCode } from "./errors.js";

export type ErrorObject = { code: number; message: string; data?: unknown };

export function resultResponse(idJson: string, resultJson: string): string {
  return `{"jsonrpc":"2.0","id":${idJson},"result":${resultJson}}`;
}

export function errorResponse(idJson: string, error: ErrorObject): string {
  return `{"jsonrpc":"2.0","id":${idJson},"error":${errorJson(error)}}`;
}

/** The error object as JSON; `data` that does not serialize (a bigint in it) is dropped rather than thrown. */
export function errorJson(error: ErrorObject): string {
  try {
    return JSON.stringify(error);
  } catch {
    return JSON.stringify({ code: error.code, message: error.message });
  }
}

export const errors = {
  parse: { code: RpcErrorCode.ParseError, message: "Parse error" },
  invalidRequest: { code: RpcErrorCode.InvalidRequest, message: "Invalid request" },
  methodNotFound: { code: RpcErrorCode.MethodNotFound, message: "Method not found" },
  internal: { code: RpcErrorCode.InternalError, message: "Internal error" },
  wsOnly: { code: RpcErrorCode.MethodNotFound, message: "Subscriptions are only available over WebSocket" },
  tooManySubscriptions: (max: number) => ({
    code: RpcErrorCode.TooManySubscriptions,
    message: "Too many subscriptions on the connection",
    data: `Exceeded max limit of ${max}`,
  }),
  oversizedRequest: (max: number) => ({
    code: RpcErrorCode.OversizedRequest,
    message: "Request is too big",
    data: `Exceeded max limit of ${max}`,
  }),
  oversizedResponse: (max: number) => ({
    code: RpcErrorCode.OversizedResponse,
    message: "Response is too big",
    data: `Exceeded max limit of ${max}`,
  }),
  rateLimited: { code: RpcErrorCode.RateLimited, message: "RPC rate limit exceeded" },
  batchTooLarge: (max: number) => ({
    code: RpcErrorCode.BatchTooLarge,
    message: "The batch request was too large",
    data: `Exceeded max limit of ${max}`,
  }),
} satisfies Record<string, ErrorObject | ((max: number) => ErrorObject)>;

/** Pre-built responses that carry no id. */
export const PARSE_ERROR_RESPONSE = errorResponse("null", errors.parse);
export const INVALID_REQUEST_RESPONSE = errorResponse("null", errors.invalidRequest);

/** UTF-8 size of `s` is at most 3 bytes a UTF-16 unit: measure only when that bound exceeds `max`. */
export function exceedsBytes(s: string, max: number): boolean {
  return s.length * 3 > max && Buffer.byteLength(s, "utf8") > max;
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}
