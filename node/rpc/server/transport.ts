/** What the WebSocket and HTTP transports share: the server they answer for, and its refusal text. */
import type { RpcServerContext } from "./context.js";
import type { RpcContext } from "./interface.js";
import type { Subscription } from "./subscription.js";
import type { WsConnection } from "./wsConnection.js";

/** The server as a transport sees it, implemented by `RpcServer`. */
export interface RpcTransportHost extends RpcServerContext {
  /** Open WebSocket connections plus HTTP requests in flight: what `maxConnections` limits. */
  connections(): number;
  /** Whether a new connection or request is refused: the server is closing, or at `maxConnections`. */
  refusesConnection(): boolean;
  /** The next id of the sequence WebSocket connections and HTTP requests share. */
  nextConnectionId(): number;
  /** Answers one message (null: nothing to send); see `RpcDispatcher.processMessage`. */
  processMessage(
    text: string,
    ctx: RpcContext,
    conn: WsConnection | null,
    activations: Subscription<WsConnection>[],
  ): string | null | Promise<string | null>;
}

export const TOO_MANY_CONNECTIONS = "Too many connections. Please try again later.";
