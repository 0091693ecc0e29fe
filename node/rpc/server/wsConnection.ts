/**
 * One WebSocket client: its context, its subscriptions, its flow control state, and `send`, which
 * writes a message within the response size limit and drops a client that does not read.
 */
import { type RawData, WebSocket } from "ws";
import type { RpcServerContext } from "./context.js";
import type { RpcContext } from "./interface.js";
import { exceedsBytes } from "./jsonrpc.js";
import type { Subscription } from "./subscription.js";

export class WsConnection {
  readonly ctx: RpcContext;
  readonly subscriptions = new Map<string, Subscription<WsConnection>>();
  /** Requests being answered. */
  inFlight = 0;
  /** Messages received while `inFlight` was at the limit (at most what ws had read before the pause). */
  readonly queued: RawData[] = [];
  alive = true;

  constructor(
    readonly ws: WebSocket,
    connectionId: number,
    remoteAddress: string | undefined,
    private readonly server: RpcServerContext,
  ) {
    this.ctx = { transport: "ws", connectionId, remoteAddress };
  }

  /** Sends one message; a no-op once the socket is no longer open. */
  send(message: string): void {
    const { opts, log } = this.server;
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (exceedsBytes(message, opts.maxResponseBytes)) {
      log.warn("RPC message too big, not sent", {
        conn: this.ctx.connectionId,
        bytes: Buffer.byteLength(message),
      });
      return;
    }
    ws.send(message);
    if (ws.bufferedAmount > opts.maxBufferedBytesPerConnection) {
      log.debug("RPC client too slow, dropping it", { conn: this.ctx.connectionId, buffered: ws.bufferedAmount });
      ws.terminate();
    }
  }

  /** Ends every subscription of the connection (it is closing, or the server is). */
  endSubscriptions(): void {
    for (const sub of this.subscriptions.values()) sub.end();
  }
}
