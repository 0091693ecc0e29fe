/**
 * JSON-RPC over WebSocket: upgrades (503 beyond `maxConnections`), one message per frame (ws closes
 * with 1009 beyond `maxRequestBytes`), at most `maxInFlightPerConnection` messages answered at once per
 * connection, nothing read or executed while its send buffer is over `pauseBufferedBytesPerConnection`
 * (the socket is paused: TCP back-pressure), and pings that drop silent clients.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { CallSite } from "./dispatcher.js";
import { errorResponse, errors, type Response } from "./jsonrpc.js";
import type { Subscription } from "./subscription.js";
import { type RpcTransportHost, TOO_MANY_CONNECTIONS } from "./transport.js";
import { WsConnection } from "./wsConnection.js";

export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly open = new Set<WsConnection>();
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(private readonly host: RpcTransportHost) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: host.opts.maxRequestBytes,
      perMessageDeflate: false,
    });
  }

  /** Open connections. */
  get size(): number {
    return this.open.size;
  }

  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", noop);
    if (this.host.refusesConnection()) {
      if (this.host.debug) this.host.log.debug("RPC connection refused", { connections: this.host.connections() });
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
          `Content-Length: ${TOO_MANY_CONNECTIONS.length}\r\n\r\n${TOO_MANY_CONNECTIONS}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  /** Pings every connection each `intervalMs`; one that has not answered the previous ping is dropped. */
  startPing(intervalMs: number): void {
    this.pingTimer = setInterval(() => this.pingAll(), intervalMs);
    this.pingTimer.unref();
  }

  stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
  }

  /**
   * Ends every subscription and starts the closing handshake of every connection (1001); resolves as
   * each connection is closed.
   */
  closeAll(): Promise<unknown>[] {
    const closed: Promise<unknown>[] = [];
    for (const conn of this.open) {
      conn.endSubscriptions();
      closed.push(new Promise((resolve) => conn.ws.once("close", resolve)));
      conn.ws.close(1001, "Server shutting down");
    }
    return closed;
  }

  /** Cuts the connections still open. */
  terminateAll(): void {
    for (const conn of this.open) conn.ws.terminate();
  }

  closeServer(): void {
    this.wss.close();
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const { debug, log } = this.host;
    ws.on("error", (err) => {
      if (debug) log.debug("RPC connection error", { error: err.message });
    });
    // Upgrades in parallel may pass the check in onUpgrade together: check again now that they are counted.
    if (this.host.refusesConnection()) {
      ws.close(1013, TOO_MANY_CONNECTIONS);
      return;
    }
    const conn = new WsConnection(
      ws,
      this.host.nextConnectionId(),
      req.socket.remoteAddress,
      this.host,
      this.host.newLane(),
      this.host.newRateLimiter(),
    );
    this.open.add(conn);
    if (debug) log.debug("RPC connection opened", { conn: conn.ctx.connectionId, remote: conn.ctx.remoteAddress });
    ws.on("message", (data) => this.onMessage(conn, data));
    ws.on("pong", () => {
      conn.alive = true;
    });
    ws.on("close", () => this.onClose(conn));
  }

  private onMessage(conn: WsConnection, data: RawData): void {
    conn.alive = true;
    if (conn.inFlight >= this.host.opts.maxInFlightPerConnection) {
      conn.queued.push(data);
      return;
    }
    this.process(conn, data);
  }

  private process(conn: WsConnection, data: RawData): void {
    conn.inFlight++;
    conn.updateReading();
    // Decoded (or parsed off the loop, when large) by the dispatcher's first task.
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const site: CallSite = {
      ctx: conn.ctx,
      conn,
      lane: conn.lane,
      limiter: conn.limiter,
      activations: [] as Subscription<WsConnection>[],
    };
    this.host.processMessage(bytes, site).then(
      (answer) => this.answer(conn, answer, site.activations),
      (err: unknown) => {
        // processMessage catches everything it calls; this is a bug here.
        this.host.log.error("RPC message processing failed", { conn: conn.ctx.connectionId }, err);
        this.answer(conn, errorResponse("null", errors.internal), site.activations);
      },
    );
  }

  private answer(conn: WsConnection, answer: Response | null, activations: Subscription<WsConnection>[]): void {
    if (answer !== null) conn.send(answer);
    for (const sub of activations) sub.activate();
    conn.inFlight--;
    const max = this.host.opts.maxInFlightPerConnection;
    while (conn.inFlight < max && conn.queued.length > 0) this.process(conn, conn.queued.shift() as RawData);
    conn.updateReading();
  }

  private onClose(conn: WsConnection): void {
    if (!this.open.delete(conn)) return;
    conn.lane.close();
    conn.queued.length = 0;
    conn.endSubscriptions();
    if (this.host.debug) this.host.log.debug("RPC connection closed", { conn: conn.ctx.connectionId });
  }

  private pingAll(): void {
    for (const conn of this.open) {
      if (!conn.alive) {
        if (this.host.debug) this.host.log.debug("RPC connection timed out", { conn: conn.ctx.connectionId });
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }
}

function noop(): void {}
