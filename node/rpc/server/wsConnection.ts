/**
 * One WebSocket client: its context, its subscriptions, its scheduler lane and rate limiter, its flow
 * control state, and `send`, which writes a message within the response size limit and drops a client
 * that does not read.
 *
 * Send buffer: bytes handed to the socket and not yet written to it (`ws.bufferedAmount`). Past
 * `pauseBufferedBytesPerConnection` the connection's lane is blocked and its socket paused: no request of
 * it is read or executed until the buffer is down to half of that. Only subscriptions still add to it;
 * when what earlier messages left in it exceeds `maxBufferedBytesPerConnection` as another message is
 * sent, the client is too slow and is cut.
 */
import { type RawData, WebSocket } from "ws";
import type { RpcServerContext } from "./context.js";
import type { RpcContext } from "./interface.js";
import { type Response, responseBytes, responseExceeds } from "./jsonrpc.js";
import type { RateLimiter } from "./rateLimit.js";
import type { Lane } from "./scheduler.js";
import type { Subscription } from "./subscription.js";

export class WsConnection {
  readonly ctx: RpcContext;
  readonly subscriptions = new Map<string, Subscription<WsConnection>>();
  /** Requests being answered. */
  inFlight = 0;
  /** Messages received while `inFlight` was at the limit (at most what ws had read before the pause). */
  readonly queued: RawData[] = [];
  alive = true;
  private readonly onWritten = () => this.written();

  constructor(
    readonly ws: WebSocket,
    connectionId: number,
    remoteAddress: string | undefined,
    private readonly server: RpcServerContext,
    readonly lane: Lane,
    readonly limiter: RateLimiter | undefined,
  ) {
    this.ctx = { transport: "ws", connectionId, remoteAddress };
  }

  /**
   * Sends one message; a no-op once the socket is no longer open. A message in parts goes as one text
   * message in fragments, its shared buffers written without being copied.
   */
  send(message: Response): void {
    const { opts, log } = this.server;
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (responseExceeds(message, opts.maxResponseBytes)) {
      log.warn("RPC message too big, not sent", { conn: this.ctx.connectionId, bytes: responseBytes(message) });
      return;
    }
    if (ws.bufferedAmount > opts.maxBufferedBytesPerConnection) {
      log.debug("RPC client too slow, dropping it", { conn: this.ctx.connectionId, buffered: ws.bufferedAmount });
      ws.terminate();
      return;
    }
    if (typeof message === "string") {
      ws.send(message, this.onWritten);
    } else {
      const { parts } = message;
      const last = parts.length - 1;
      for (let i = 0; i < last; i++) ws.send(parts[i], { binary: false, fin: false });
      ws.send(parts[last], { binary: false, fin: true }, this.onWritten);
    }
    if (ws.bufferedAmount > opts.pauseBufferedBytesPerConnection && !this.lane.blocked) {
      this.lane.setBlocked(true);
      this.updateReading();
    }
  }

  /** A message left the send buffer: unblock the connection once the buffer is down to half the threshold. */
  private written(): void {
    if (!this.lane.blocked) return;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.server.opts.pauseBufferedBytesPerConnection / 2) return;
    this.lane.setBlocked(false);
    this.updateReading();
  }

  /** Reads from the socket unless too many requests are in flight or too much waits to be sent. */
  updateReading(): void {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    const pause = this.lane.blocked || this.inFlight >= this.server.opts.maxInFlightPerConnection;
    if (pause && !ws.isPaused) ws.pause();
    else if (!pause && ws.isPaused) ws.resume();
  }

  /** Ends every subscription of the connection (it is closing, or the server is). */
  endSubscriptions(): void {
    for (const sub of this.subscriptions.values()) sub.end();
  }
}
