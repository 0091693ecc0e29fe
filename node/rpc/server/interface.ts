import type { ParamSpec } from "./params.js";

export type RpcTransport = "ws" | "http";

/** Who is calling: one object per WebSocket connection, one per HTTP request. */
export interface RpcContext {
  readonly transport: RpcTransport;
  /** Unique within the server's lifetime (WebSocket connections and HTTP requests share the sequence). */
  readonly connectionId: number;
  readonly remoteAddress: string | undefined;
}

/**
 * Told about every call to a method (the node's metrics, `node/metrics/`): its name, or `unknown` for a
 * name that is not served (so that junk cannot grow the label set), its transport, whether the answer
 * was an error, and how long the server took to answer it. Calls that are not even a valid request
 * object are not calls to a method and are not reported. A notification (no id) has no answer and
 * counts as answered without error.
 */
export interface RpcCallObserver {
  callStarted(transport: RpcTransport, method: string): void;
  callFinished(transport: RpcTransport, method: string, isError: boolean, seconds: number): void;
}

/**
 * A plain method. Without `params` the handler receives the raw positional params (`[]` when absent).
 * The handler returns the result (or a promise of it) or throws an `RpcError`; anything else thrown is
 * answered -32603 and logged.
 */
export interface MethodDef<P extends readonly unknown[] = unknown[]> {
  kind?: "method";
  name: string;
  /** Other spellings served by the same handler (listed by `rpc_methods` too). */
  aliases?: readonly string[];
  /** Hidden unless the server exposes unsafe methods (`--rpc-methods`). */
  unsafe?: boolean;
  params?: ParamSpec<P>;
  handler(params: P, ctx: RpcContext): unknown;
}

/**
 * Stops the producer of a subscription; called exactly once, however the subscription ends. What it
 * returns is ignored, except that a rejected promise is logged.
 */
export type Unsubscribe = () => unknown;

/**
 * Where a subscription handler pushes values. Values pushed before the subscribe call's response has
 * been written (a handler sending the current value at once) are held back and sent right after it.
 */
export interface SubscriptionSink<T = unknown> {
  /** The id returned to the client (16 random alphanumerics, as Substrate's). */
  readonly id: string;
  /** True once the subscription has ended (client unsubscribed, connection closed, `close()`/`error()`). */
  readonly closed: boolean;
  /** Sends `{"method": notification, "params": {"subscription": id, "result": value}}`; a no-op once closed. */
  next(value: T): void;
  /** Ends the subscription without a message (runs the handler's `Unsubscribe`). */
  close(): void;
  /**
   * Ends the subscription with `{"params": {"subscription": id, "error": {code, message, data?}}}`, the
   * way jsonrpsee closes a subscription with an error. An `RpcError` is sent as is; anything else as -32603.
   */
  error(err: unknown): void;
}

/**
 * A subscription: `subscribe` (plus `aliases`) returns the subscription id, values arrive as
 * `notification` messages, and any of `unsubscribe` ends it (returning true, or false for an unknown id).
 * Only over WebSocket.
 */
export interface SubscriptionDef<P extends readonly unknown[] = unknown[], T = unknown> {
  kind: "subscription";
  subscribe: string;
  aliases?: readonly string[];
  /** Every spelling of the unsubscribe method, e.g. `["chain_unsubscribeNewHeads", "chain_unsubscribeNewHead"]`. */
  unsubscribe: readonly string[];
  /** Method name of the notifications, e.g. `chain_newHead`. */
  notification: string;
  unsafe?: boolean;
  params?: ParamSpec<P>;
  /** Starts producing values into `sink` and returns how to stop. Throwing (an `RpcError`) refuses the subscription. */
  handler(params: P, sink: SubscriptionSink<T>, ctx: RpcContext): Unsubscribe | Promise<Unsubscribe>;
}

export type RpcDef<P extends readonly unknown[] = unknown[], T = unknown> = MethodDef<P> | SubscriptionDef<P, T>;

export interface IRpcServer {
  /** Registers a method or subscription; throws `RpcServerError` on a name already taken. */
  register<P extends readonly unknown[] = unknown[], T = unknown>(def: RpcDef<P, T>): void;
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** Stops accepting, closes every connection, ends every subscription; resolves when all is closed. */
  close(): Promise<void>;
  /** Whether methods registered `unsafe` are served (from the `methods` option and the host). */
  readonly allowUnsafe: boolean;
  /** Open WebSocket connections plus HTTP requests in flight: what `maxConnections` limits. */
  readonly connections: number;
  /** Live subscriptions over all connections. */
  readonly subscriptionCount: number;
}
