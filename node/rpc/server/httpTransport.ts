/**
 * JSON-RPC over HTTP POST: one message per request body, answered 200 with the response (empty for
 * notifications only). 405 for other methods, 415 for another content type, 503 beyond
 * `maxConnections`, 413 (with a -32007 error, connection closed) beyond `maxRequestBytes`.
 *
 * Slow clients: a request counts against `maxConnections` from its headers until its response is
 * written. One whose body has stalled (no byte for `STALLED_BODY_MS`) gives its place up to a new
 * connection when the server is full (408, closed), and any body that receives nothing for
 * `httpIdleTimeoutMs` is cut the same way; a response the client takes nothing of for that long is cut
 * too. Headers and whole requests have node:http's `headersTimeout` and `requestTimeout` (`server.ts`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { CallSite } from "./dispatcher.js";
import { errorResponse, errors, type Response } from "./jsonrpc.js";
import type { RateLimiter } from "./rateLimit.js";
import { type RpcTransportHost, TOO_MANY_CONNECTIONS } from "./transport.js";

const HTTP_HEADERS = { "content-type": "application/json; charset=utf-8" };

/**
 * A request body that has received nothing for this long may be cut to make room for a new client when
 * the server is full: longer than any pause of a client that is sending, short enough that a slowloris
 * attacker's requests are cut as soon as someone needs their place.
 */
export const STALLED_BODY_MS = 250;

/** A request being read or answered, counted against `maxConnections` until `release`. */
interface Tracked {
  req: IncomingMessage;
  res: ServerResponse;
  /** When the body last received data (reading), or the response last made progress (writing). */
  lastProgress: number;
  /** Bytes of the response not yet written to the socket at the last look (writing). */
  unsent: number;
  counted: boolean;
}

export class HttpTransport {
  /** Requests being read or answered. */
  private inFlightCount = 0;
  /** Requests whose body is being received. */
  private readonly reading = new Set<Tracked>();
  /** Responses the client has not taken yet. */
  private readonly writing = new Set<Tracked>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Rate limiters of keep-alive connections. */
  private readonly limiters = new WeakMap<Socket, RateLimiter>();

  constructor(private readonly host: RpcTransportHost) {}

  get inFlight(): number {
    return this.inFlightCount;
  }

  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const { opts } = this.host;
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST", "content-type": "text/plain" }).end("Method not allowed: use POST");
      req.resume();
      return;
    }
    if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) {
      res.writeHead(415, { "content-type": "text/plain" }).end("Content-Type must be application/json");
      req.resume();
      return;
    }
    if (this.host.refusesConnection()) {
      res.writeHead(503, { connection: "close", "content-type": "text/plain" }).end(TOO_MANY_CONNECTIONS);
      req.resume();
      return;
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > opts.maxRequestBytes) {
      this.tooLarge(req, res);
      return;
    }
    const tracked: Tracked = { req, res, lastProgress: performance.now(), unsent: 0, counted: true };
    this.inFlightCount++;
    res.once("close", () => this.release(tracked));
    this.reading.add(tracked);
    this.startSweep();
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      tracked.lastProgress = performance.now();
      size += chunk.length;
      if (size <= opts.maxRequestBytes) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.off("end", onEnd);
      chunks.length = 0;
      this.reading.delete(tracked);
      this.tooLarge(req, res);
    };
    const onEnd = () => {
      if (!tracked.counted) return; // cut meanwhile
      this.reading.delete(tracked);
      const body = Buffer.concat(chunks, size);
      chunks.length = 0;
      this.process(tracked, body);
    };
    req.on("data", onData);
    req.on("end", onEnd);
  }

  /**
   * Cuts the request whose body has stalled longest, if one has stalled for `STALLED_BODY_MS`, to make
   * room for a new connection; false when none has.
   */
  cutStalledRequest(): boolean {
    const now = performance.now();
    let oldest: Tracked | undefined;
    for (const t of this.reading) {
      if (now - t.lastProgress >= STALLED_BODY_MS && (oldest === undefined || t.lastProgress < oldest.lastProgress))
        oldest = t;
    }
    if (oldest === undefined) return false;
    this.timedOut(oldest);
    return true;
  }

  /** Stops the sweep timer (the server is closing). */
  stop(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  private process(tracked: Tracked, body: Buffer): void {
    const { req, res } = tracked;
    const site: CallSite = {
      ctx: { transport: "http", connectionId: this.host.nextConnectionId(), remoteAddress: req.socket.remoteAddress },
      conn: null,
      lane: this.host.newLane(),
      limiter: this.limiterOf(req.socket),
      activations: [],
    };
    // A client that goes away stops the rest of its batch.
    res.once("close", () => site.lane.close());
    this.host.processMessage(body, site).then(
      (answer) => this.answer(tracked, answer),
      (err: unknown) => {
        this.host.log.error("RPC message processing failed", {}, err);
        this.answer(tracked, errorResponse("null", errors.internal));
      },
    );
  }

  private limiterOf(socket: Socket): RateLimiter | undefined {
    let limiter = this.limiters.get(socket);
    if (limiter === undefined) {
      limiter = this.host.newRateLimiter();
      if (limiter !== undefined) this.limiters.set(socket, limiter);
    }
    return limiter;
  }

  /** 413 with a JSON-RPC error; the rest of the body is read and dropped, and the connection closed. */
  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    if (this.host.debug) this.host.log.debug("RPC HTTP request too big", { remote: req.socket.remoteAddress });
    const body = errorResponse("null", errors.oversizedRequest(this.host.opts.maxRequestBytes));
    res.writeHead(413, { ...HTTP_HEADERS, connection: "close" }).end(body);
    req.resume();
  }

  private answer(tracked: Tracked, answer: Response | null): void {
    const { res } = tracked;
    if (res.destroyed || res.headersSent) return;
    if (answer === null || typeof answer === "string") {
      res.writeHead(200, HTTP_HEADERS).end(answer ?? "");
    } else {
      // Shared buffers are written as they are, not copied into one body.
      res.writeHead(200, { ...HTTP_HEADERS, "content-length": answer.bytes });
      for (const part of answer.parts) res.write(part);
      res.end();
    }
    // Whatever is not yet with the kernel is watched: a client that takes none of it for long is cut.
    if (res.writableFinished || res.writableLength === 0) return;
    tracked.lastProgress = performance.now();
    tracked.unsent = res.writableLength;
    this.writing.add(tracked);
    this.startSweep();
  }

  /** A body that stalled, or a response nobody takes: 408 when nothing was answered yet, and closed. */
  private timedOut(tracked: Tracked): void {
    const { req, res } = tracked;
    if (this.host.debug) this.host.log.debug("RPC HTTP request timed out", { remote: req.socket.remoteAddress });
    this.reading.delete(tracked);
    this.writing.delete(tracked);
    this.release(tracked);
    if (!res.headersSent) {
      res.writeHead(408, { connection: "close", "content-type": "text/plain" }).end("Request timed out");
      res.once("finish", () => req.socket.destroy());
    } else {
      req.socket.destroy();
    }
  }

  private release(tracked: Tracked): void {
    this.reading.delete(tracked);
    this.writing.delete(tracked);
    if (!tracked.counted) return;
    tracked.counted = false;
    this.inFlightCount--;
  }

  private startSweep(): void {
    if (this.sweepTimer !== null) return;
    const every = Math.max(20, Math.min(1_000, this.host.opts.httpIdleTimeoutMs / 4));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Cuts bodies and responses that made no progress for `httpIdleTimeoutMs`. */
  private sweep(): void {
    const now = performance.now();
    const idle = this.host.opts.httpIdleTimeoutMs;
    for (const t of this.reading) if (now - t.lastProgress >= idle) this.timedOut(t);
    for (const t of this.writing) {
      const unsent = t.res.writableLength;
      if (unsent < t.unsent) {
        t.unsent = unsent;
        t.lastProgress = now;
      } else if (now - t.lastProgress >= idle) {
        this.timedOut(t);
      }
    }
    if (this.reading.size === 0 && this.writing.size === 0) this.stop();
  }
}
