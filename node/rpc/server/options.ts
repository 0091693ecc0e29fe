/**
 * Options of the JSON-RPC server, with Substrate's defaults (`--rpc-port 9944`, `--rpc-max-connections 100`,
 * `--rpc-max-request-size 15` MiB, `--rpc-max-response-size 15` MiB, `--rpc-max-subscriptions-per-connection 1024`).
 */
export type RpcMethodSet = "safe" | "unsafe" | "auto";

export interface RpcServerOptions {
  /** Interface to bind. 127.0.0.1 by default, as Substrate does without `--rpc-external`. */
  host: string;
  /** TCP port; 0 picks a free one (`listen()` resolves with it). */
  port: number;
  /**
   * Which methods are exposed. `safe` hides methods registered `unsafe: true` (they answer -32601 as if
   * absent and `rpc_methods` does not list them); `unsafe` exposes all; `auto` exposes all only when
   * `host` is a loopback address, as Substrate's `--rpc-methods auto`.
   */
  methods: RpcMethodSet;
  /** Open WebSocket connections plus in-flight HTTP requests; beyond it WS upgrades and HTTP get 503. */
  maxConnections: number;
  /** Largest request body (HTTP) or message (WebSocket), in bytes. */
  maxRequestBytes: number;
  /** Largest response or notification, in bytes; a larger response is replaced by a -32008 error. */
  maxResponseBytes: number;
  /** Subscriptions one WebSocket connection may hold at once. */
  maxSubscriptionsPerConnection: number;
  /** Calls in one batch request. */
  maxBatchLength: number;
  /**
   * Requests one WebSocket connection may have in flight; beyond it the server stops reading from that
   * socket until some complete (TCP back-pressure instead of an unbounded queue).
   */
  maxInFlightPerConnection: number;
  /**
   * Bytes queued for sending on one WebSocket connection (a client that does not read); beyond it the
   * connection is dropped rather than buffering without bound. Must exceed `maxResponseBytes`.
   */
  maxBufferedBytesPerConnection: number;
  /** WebSocket ping interval; a connection that misses a pong for a whole interval is dropped. 0 disables. */
  pingIntervalMs: number;
  /** How long `close()` waits for clients to finish the WebSocket closing handshake before cutting them. */
  closeTimeoutMs: number;
}

const MiB = 1024 * 1024;

export const defaultRpcServerOptions: RpcServerOptions = {
  host: "127.0.0.1",
  port: 9944,
  methods: "auto",
  maxConnections: 100,
  maxRequestBytes: 15 * MiB,
  maxResponseBytes: 15 * MiB,
  maxSubscriptionsPerConnection: 1024,
  maxBatchLength: 1000,
  maxInFlightPerConnection: 256,
  maxBufferedBytesPerConnection: 64 * MiB,
  pingIntervalMs: 30_000,
  closeTimeoutMs: 2_000,
};
