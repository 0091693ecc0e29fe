/** What the WebSocket and HTTP transports share: the server they answer for, and its refusal text. */
import type { RpcServerContext } from "./context.js";
import type { CallSite } from "./dispatcher.js";
import type { Response } from "./jsonrpc.js";
import type { RateLimiter } from "./rateLimit.js";
import type { Lane } from "./scheduler.js";

/** The server as a transport sees it, implemented by `RpcServer`. */
export interface RpcTransportHost extends RpcServerContext {
  /** Open WebSocket connections plus HTTP requests in flight: what `maxConnections` limits. */
  connections(): number;
  /**
   * Whether a new connection or request is refused: the server is closing, or at `maxConnections` with
   * no stalled HTTP request to cut to make room.
   */
  refusesConnection(): boolean;
  /** The next id of the sequence WebSocket connections and HTTP requests share. */
  nextConnectionId(): number;
  /** A new lane of the server's scheduler, for a new connection's work. */
  newLane(): Lane;
  /** A new connection's rate limiter; undefined without `rateLimitPerMinute`. */
  newRateLimiter(): RateLimiter | undefined;
  /** Answers one message (null: nothing to send); see `RpcDispatcher.processMessage`. */
  processMessage(data: string | Buffer, site: CallSite): Promise<Response | null>;
}

export const TOO_MANY_CONNECTIONS = "Too many connections. Please try again later.";
