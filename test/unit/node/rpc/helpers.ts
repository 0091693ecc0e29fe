/** Test helpers for the RPC server: a server on 127.0.0.1 port 0, a WS client with a message queue, HTTP POST. */
import { request as httpRequest } from "node:http";
import WebSocket from "ws";
import { RpcServer, type RpcServerOptions } from "../../../../node/rpc/server/index.js";
import type { LogContext, Logger } from "../../../../primitives/logger.js";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON-RPC messages are inspected freely in tests
export type Json = any;

export interface LogRecord {
  level: string;
  msg: string;
  ctx?: LogContext;
  err?: unknown;
}

/** A logger that keeps every record, to check what is logged and at which level. */
export function recordingLogger(records: LogRecord[] = []): Logger & { records: LogRecord[] } {
  const push = (level: string) => (msg: string, ctx?: LogContext, err?: unknown) => {
    records.push({ level, msg, ctx, err });
  };
  const logger = {
    records,
    error: push("error"),
    warn: push("warn"),
    info: push("info"),
    debug: push("debug"),
    trace: push("trace"),
    child: () => logger,
    isEnabled: () => true,
  };
  return logger;
}

export async function startServer(
  opts: Partial<RpcServerOptions> = {},
  logger: Logger = recordingLogger(),
): Promise<{ server: RpcServer; port: number; url: string; httpUrl: string }> {
  const server = new RpcServer({ host: "127.0.0.1", port: 0, pingIntervalMs: 0, ...opts }, { logger });
  const port = await server.listen();
  return { server, port, url: `ws://127.0.0.1:${port}`, httpUrl: `http://127.0.0.1:${port}/` };
}

export class WsClient {
  readonly messages: Json[] = [];
  private waiters: { pred: (m: Json) => boolean; resolve: (m: Json) => void }[] = [];
  private nextId = 1;
  closeCode: number | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString());
      const i = this.waiters.findIndex((w) => w.pred(msg));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
      else this.messages.push(msg);
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => {
        this.closeCode = code;
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  static connect(url: string): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(new WsClient(ws)));
      ws.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The first message (queued or coming) that matches. */
  waitFor(pred: (m: Json) => boolean, timeoutMs = 5000): Promise<Json> {
    const i = this.messages.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.messages.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a message")), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** The next message in arrival order. */
  next(): Promise<Json> {
    return this.waitFor(() => true);
  }

  async request(method: string, params?: unknown): Promise<Json> {
    const id = this.nextId++;
    this.send({ jsonrpc: "2.0", id, method, params });
    return this.waitFor((m) => m.id === id);
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<{ status: number; text: string; json: Json }> {
  const res = await fetch(url, { method: "POST", headers, body });
  const text = await res.text();
  let json: Json;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** POSTs a body sent in chunks without a content-length, the way a streaming client would. */
export function postChunked(url: string, chunks: string[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    const write = (i: number) => {
      if (i === chunks.length) return req.end();
      if (req.destroyed) return;
      req.write(chunks[i], () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

/** The response of a connection attempt that the server refused (HTTP status of the upgrade). */
export function refusedUpgrade(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once("open", () => reject(new Error("connection was accepted")));
    ws.once("error", () => {});
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
