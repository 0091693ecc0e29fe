import { TensorchainError } from "../../../primitives/errors.js";

/**
 * JSON-RPC error codes. The first five are the JSON-RPC 2.0 standard; the -320xx ones are the server
 * codes of jsonrpsee, the library under Substrate's RPC server, so that clients see the same numbers.
 * Application codes (Substrate's 1010 invalid transaction, 1011 unknown transaction, 1012 pool full,
 * 1013 already imported / too low priority, 1014 ...) are chosen by the method that throws them.
 */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** jsonrpsee: the connection already holds `maxSubscriptionsPerConnection` subscriptions. */
  TooManySubscriptions: -32006,
  /** jsonrpsee: the request is larger than `maxRequestBytes`. */
  OversizedRequest: -32007,
  /** jsonrpsee: the response is larger than `maxResponseBytes`. */
  OversizedResponse: -32008,
  /** jsonrpsee: the batch holds more than `maxBatchLength` calls. */
  BatchTooLarge: -32010,
  /** Substrate's `--rpc-rate-limit` middleware: the connection made more calls than its rate allows. */
  RateLimited: -32999,
} as const;

/**
 * An error a method handler throws to answer with a JSON-RPC error object `{code, message, data?}`.
 * Any other thrown value is answered with -32603 "Internal error" (and logged; its message is not sent).
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcError";
  }

  /** The JSON-RPC error object. */
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** Misuse of the server by the node's own code (not by RPC clients). */
export type RpcServerErrorType =
  | { code: "RPC_SERVER_ERROR_DUPLICATE_METHOD"; method: string }
  | { code: "RPC_SERVER_ERROR_INVALID_DEFINITION"; method: string; reason: string }
  | { code: "RPC_SERVER_ERROR_ALREADY_LISTENING" }
  | { code: "RPC_SERVER_ERROR_CLOSED" };

export class RpcServerError extends TensorchainError<RpcServerErrorType> {}
