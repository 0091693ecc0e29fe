/**
 * JSON-RPC over HTTP POST: one message per request body, answered 200 with the response (empty for
 * notifications only). 405 for other methods, 415 for another content type, 503 beyond
 * `maxConnections`, 413 (with a -32007 error, connection closed) beyond `maxRequestBytes`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RpcContext } from "./interface.js";
import { errorResponse, errors, isThenable } from "./jsonrpc.js";
import { type RpcTransportHost, TOO_MANY_CONNECTIONS } from "./transport.js";

const HTTP_HEADERS = { "content-type": "application/json; charset=utf-8" };

export class HttpTransport {
  /** Requests being read or answered. */
  private inFlightCount = 0;

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
    this.inFlightCount++;
    res.once("close", () => this.inFlightCount--);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= opts.maxRequestBytes) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.off("end", onEnd);
      chunks.length = 0;
      this.tooLarge(req, res);
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks, size).toString();
      const ctx: RpcContext = {
        transport: "http",
        connectionId: this.host.nextConnectionId(),
        remoteAddress: req.socket.remoteAddress,
      };
      const answer = this.host.processMessage(text, ctx, null, []);
      if (isThenable(answer)) void this.answerAsync(res, answer);
      else this.answer(res, answer);
    };
    req.on("data", onData);
    req.on("end", onEnd);
  }

  /** 413 with a JSON-RPC error; the rest of the body is read and dropped, and the connection closed. */
  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    if (this.host.debug) this.host.log.debug("RPC HTTP request too big", { remote: req.socket.remoteAddress });
    const body = errorResponse("null", errors.oversizedRequest(this.host.opts.maxRequestBytes));
    res.writeHead(413, { ...HTTP_HEADERS, connection: "close" }).end(body);
    req.resume();
  }

  private async answerAsync(res: ServerResponse, pending: Promise<string | null>): Promise<void> {
    let answer: string | null;
    try {
      answer = await pending;
    } catch (err) {
      this.host.log.error("RPC message processing failed", {}, err);
      answer = errorResponse("null", errors.internal);
    }
    this.answer(res, answer);
  }

  private answer(res: ServerResponse, answer: string | null): void {
    if (res.destroyed) return;
    res.writeHead(200, HTTP_HEADERS).end(answer ?? "");
  }
}
