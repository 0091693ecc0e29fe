/**
 * JSON-RPC 2.0 response text, built by string concatenation around `JSON.stringify` of the variable
 * parts only (the id, the result, the error object).
 */
import { RpcErrorCode } from "./errors.js";

export type ErrorObject = { code: number; message: string; data?: unknown };

/**
 * A response assembled from parts: strings, and the encoded JSON of a big result shared by every
 * response that carries it (the metadata), written to the socket as is instead of being copied into
 * each response. Adjacent strings are merged.
 */
export class ResponseParts {
  private constructor(
    readonly parts: readonly (string | Buffer)[],
    /** UTF-8 size of the whole response. */
    readonly bytes: number,
  ) {}

  static of(parts: readonly (string | Buffer | ResponseParts)[]): ResponseParts {
    const out: (string | Buffer)[] = [];
    let bytes = 0;
    let text = "";
    const add = (part: string | Buffer) => {
      if (typeof part === "string") {
        text += part;
        return;
      }
      if (text !== "") {
        out.push(text);
        bytes += Buffer.byteLength(text);
        text = "";
      }
      out.push(part);
      bytes += part.length;
    };
    for (const part of parts) {
      if (part instanceof ResponseParts) for (const p of part.parts) add(p);
      else add(part);
    }
    if (text !== "") {
      out.push(text);
      bytes += Buffer.byteLength(text);
    }
    return new ResponseParts(out, bytes);
  }
}

/** What a message is answered with: its text, or its parts. */
export type Response = string | ResponseParts;

/** UTF-8 size of a response. */
export function responseBytes(response: Response): number {
  return typeof response === "string" ? Buffer.byteLength(response, "utf8") : response.bytes;
}

/** Whether a response is larger than `max` bytes (measured only when it may be). */
export function responseExceeds(response: Response, max: number): boolean {
  return typeof response === "string" ? exceedsBytes(response, max) : response.bytes > max;
}

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
