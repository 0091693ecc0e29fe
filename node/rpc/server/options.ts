/**
 * Options of the JSON-RPC server, with Substrate's defaults (`--rpc-port 9944`, `--rpc-max-connections 100`,
 * `--rpc-max-request-size 15` MiB, `--rpc-max-response-size 15` MiB, `--rpc-max-subscriptions-per-connection 1024`,
 * no `--rpc-rate-limit`).
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
  /**
   * Open WebSocket connections plus in-flight HTTP requests; beyond it WS upgrades and HTTP get 503, unless
   * an HTTP request whose body has stalled (no byte for 250 ms) can be cut to make room.
   */
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
   * Send-buffer cap of one WebSocket connection: when the bytes of earlier messages still waiting to be
   * written to its socket exceed it, the client is too slow and is dropped (Substrate's cap: its max
   * response size). A connection thus holds at most this plus one message.
   */
  maxBufferedBytesPerConnection: number;
  /**
   * While more than this many bytes wait to be written to a WebSocket connection, the server neither
   * reads nor executes its requests (its subscriptions still send, up to `maxBufferedBytesPerConnection`).
   */
  pauseBufferedBytesPerConnection: number;
  /**
   * Calls per minute one connection (a WebSocket, or an HTTP keep-alive connection) may make, as
   * Substrate's `--rpc-rate-limit`: a burst of that many, then one every 60/n s. A call over the limit
   * waits and retries (up to 10 times, each after the wait the limiter asks plus up to 50 ms of jitter),
   * then answers -32999 "RPC rate limit exceeded". 0: no limit.
   */
  rateLimitPerMinute: number;
  /**
   * Main-thread time the server spends on RPC work (parsing, executing calls, encoding answers) per
   * event-loop turn, in ms; past it the rest waits for the next turn, so that block production, import
   * and networking never wait behind more than about this much RPC work. Connections are served in turn.
   */
  turnBudgetMs: number;
  /** Time to receive an HTTP request's headers (node:http `headersTimeout`); then 408 and closed. */
  httpHeadersTimeoutMs: number;
  /**
   * Time to receive a whole HTTP request, headers and body (node:http `requestTimeout`, 300 s by
   * default); then 408. Long enough for an 8 MiB content chunk over a slow link; a body that stalls is
   * cut sooner by `httpIdleTimeoutMs`, or when its place is needed.
   */
  httpRequestTimeoutMs: number;
  /**
   * An HTTP request body that receives nothing for this long, or a response the client takes nothing of
   * for this long, is cut (408 for a body).
   */
  httpIdleTimeoutMs: number;
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
  maxBufferedBytesPerConnection: 15 * MiB,
  pauseBufferedBytesPerConnection: 1 * MiB,
  rateLimitPerMinute: 0,
  turnBudgetMs: 1,
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 120_000,
  httpIdleTimeoutMs: 5_000,
  pingIntervalMs: 30_000,
  closeTimeoutMs: 2_000,
};
