/**
 * The JSON-RPC 2.0 server: WebSocket and HTTP POST on one port, as Substrate's RPC server on 9944.
 *
 * It moves JSON and judges nothing: methods are registered by the node (`register`), parameters are
 * checked by each method's `ParamSpec`, and what a handler throws as an `RpcError` goes back as is.
 *
 * Per message: parse (-32700 on malformed JSON, the connection stays open) -> a single call or a batch
 * (-32600 empty, -32010 too long) -> for each call: validate the request object (-32600), look up the
 * method (-32601, unsafe ones too when they are not allowed), check params (-32602), run the handler
 * (RpcError -> its code; anything else -> -32603, logged) -> serialize (-32603 if the result does not
 * serialize, -32008 if it is larger than `maxResponseBytes`). A subscribe call answers the subscription
 * id; the notifications its handler pushed meanwhile follow right after that response.
 *
 * Limits, none of which buffers without bound: `maxConnections` (WS upgrades and HTTP get 503),
 * `maxRequestBytes` (WS closes with 1009, HTTP answers 413), `maxInFlightPerConnection` (stops reading
 * the socket), `maxBufferedBytesPerConnection` (a client that does not read is dropped),
 * `maxSubscriptionsPerConnection` (-32006), `maxBatchLength` (-32010).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../../../primitives/logger.js";
import { RpcError, RpcErrorCode, RpcServerError } from "./errors.js";
import type {
  IRpcServer,
  MethodDef,
  RpcContext,
  RpcDef,
  SubscriptionDef,
  SubscriptionSink,
  Unsubscribe,
} from "./interface.js";
import {
  type ErrorObject,
  errorResponse,
  errors,
  exceedsBytes,
  INVALID_REQUEST_RESPONSE,
  isThenable,
  PARSE_ERROR_RESPONSE,
  resultResponse,
} from "./jsonrpc.js";
import { defaultRpcServerOptions, type RpcServerOptions } from "./options.js";
import { type Param, parseParams } from "./params.js";
import { Subscription, type SubscriptionHost } from "./subscription.js";

export interface RpcServerModules {
  logger: Logger;
}

type Handler = (params: unknown, ...rest: unknown[]) => unknown;

/** A registered name. Subscribe and unsubscribe names of one subscription share one `SubscriptionEntry`. */
type Entry =
  | { kind: "method"; unsafe: boolean; params: readonly Param<unknown>[] | undefined; handler: Handler }
  | { kind: "subscribe"; sub: SubscriptionEntry }
  | { kind: "unsubscribe"; sub: SubscriptionEntry };

interface SubscriptionEntry {
  unsafe: boolean;
  notification: string;
  params: readonly Param<unknown>[] | undefined;
  handler: Handler;
}

class WsConnection {
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
  ) {
    this.ctx = { transport: "ws", connectionId, remoteAddress };
  }
}

const HTTP_HEADERS = { "content-type": "application/json; charset=utf-8" };
const TOO_MANY_CONNECTIONS = "Too many connections. Please try again later.";
const SUBSCRIPTION_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export class RpcServer implements IRpcServer, SubscriptionHost<WsConnection> {
  readonly allowUnsafe: boolean;
  private readonly opts: RpcServerOptions;
  private readonly log: Logger;
  private readonly debug: boolean;
  private readonly entries = new Map<string, Entry>();
  private exposedNames: string[] | null = null;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly wsConnections = new Set<WsConnection>();
  private httpInFlight = 0;
  private nextConnectionId = 1;
  private liveSubscriptions = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private listening = false;
  private closing: Promise<void> | null = null;

  constructor(opts: Partial<RpcServerOptions>, modules: RpcServerModules) {
    this.opts = { ...defaultRpcServerOptions, ...opts };
    this.log = modules.logger;
    this.debug = this.log.isEnabled("debug");
    this.allowUnsafe =
      this.opts.methods === "unsafe" || (this.opts.methods === "auto" && isLoopbackHost(this.opts.host));

    this.http = createServer((req, res) => this.onHttpRequest(req, res));
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: this.opts.maxRequestBytes,
      perMessageDeflate: false,
    });

    this.register({
      name: "rpc_methods",
      params: [],
      handler: () => ({ methods: this.methodNames() }),
    });
  }

  get connections(): number {
    return this.wsConnections.size + this.httpInFlight;
  }

  get subscriptionCount(): number {
    return this.liveSubscriptions;
  }

  register<P extends readonly unknown[] = unknown[], T = unknown>(def: RpcDef<P, T>): void {
    if (def.kind === "subscription") this.registerSubscription(def as SubscriptionDef<P, T>);
    else this.registerMethod(def as MethodDef<P>);
    this.exposedNames = null;
  }

  listen(): Promise<number> {
    if (this.closing !== null) return Promise.reject(new RpcServerError({ code: "RPC_SERVER_ERROR_CLOSED" }));
    if (this.listening) return Promise.reject(new RpcServerError({ code: "RPC_SERVER_ERROR_ALREADY_LISTENING" }));
    this.listening = true;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        this.listening = false;
        reject(err);
      };
      this.http.once("error", onError);
      this.http.listen(this.opts.port, this.opts.host, () => {
        this.http.off("error", onError);
        const address = this.http.address();
        const port = typeof address === "object" && address !== null ? address.port : this.opts.port;
        if (this.opts.pingIntervalMs > 0) {
          this.pingTimer = setInterval(() => this.pingAll(), this.opts.pingIntervalMs);
          this.pingTimer.unref();
        }
        this.log.info("Running JSON-RPC server", {
          addr: `${this.opts.host}:${port}`,
          methods: this.allowUnsafe ? "unsafe" : "safe",
        });
        resolve(port);
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  // --- registry ---

  private registerMethod(def: MethodDef<readonly unknown[]>): void {
    this.checkName(def.name, def.name);
    const entry: Entry = {
      kind: "method",
      unsafe: def.unsafe === true,
      params: def.params as readonly Param<unknown>[] | undefined,
      handler: def.handler.bind(def) as Handler,
    };
    const names = [def.name, ...(def.aliases ?? [])];
    for (const name of names) this.checkName(name, def.name);
    this.checkDistinct(names, def.name);
    for (const name of names) this.entries.set(name, entry);
  }

  private registerSubscription(def: SubscriptionDef<readonly unknown[], unknown>): void {
    if (def.unsubscribe.length === 0) this.invalid(def.subscribe, "no unsubscribe method");
    if (typeof def.notification !== "string" || def.notification === "") this.invalid(def.subscribe, "no notification");
    const sub: SubscriptionEntry = {
      unsafe: def.unsafe === true,
      notification: def.notification,
      params: def.params as readonly Param<unknown>[] | undefined,
      handler: def.handler.bind(def) as Handler,
    };
    const subscribeNames = [def.subscribe, ...(def.aliases ?? [])];
    const all = [...subscribeNames, ...def.unsubscribe];
    for (const name of all) this.checkName(name, def.subscribe);
    this.checkDistinct(all, def.subscribe);
    for (const name of subscribeNames) this.entries.set(name, { kind: "subscribe", sub });
    for (const name of def.unsubscribe) this.entries.set(name, { kind: "unsubscribe", sub });
  }

  private checkName(name: string, method: string): void {
    if (typeof name !== "string" || name === "") this.invalid(method, "empty method name");
    if (this.entries.has(name)) throw new RpcServerError({ code: "RPC_SERVER_ERROR_DUPLICATE_METHOD", method: name });
  }

  private checkDistinct(names: string[], method: string): void {
    if (new Set(names).size !== names.length) this.invalid(method, "a name is given twice");
  }

  private invalid(method: string, reason: string): never {
    throw new RpcServerError({ code: "RPC_SERVER_ERROR_INVALID_DEFINITION", method, reason });
  }

  /** Exposed names, sorted: what `rpc_methods` answers. */
  private methodNames(): string[] {
    if (this.exposedNames === null) {
      const names: string[] = [];
      for (const [name, entry] of this.entries) if (this.isExposed(entry)) names.push(name);
      this.exposedNames = names.sort();
    }
    return this.exposedNames;
  }

  private isExposed(entry: Entry): boolean {
    return this.allowUnsafe || !(entry.kind === "method" ? entry.unsafe : entry.sub.unsafe);
  }

  // --- one message: a call or a batch ---

  /**
   * Answers one message (null: nothing to send). Subscriptions created by it are pushed to
   * `activations`, to be activated once the answer is written (none over HTTP, which refuses them).
   */
  private processMessage(
    text: string,
    ctx: RpcContext,
    conn: WsConnection | null,
    activations: Subscription<WsConnection>[],
  ): string | null | Promise<string | null> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      if (this.debug) this.log.debug("RPC parse error", { conn: ctx.connectionId, bytes: text.length });
      return PARSE_ERROR_RESPONSE;
    }
    if (!Array.isArray(message)) return this.call(message, ctx, conn, activations);
    if (message.length === 0) return INVALID_REQUEST_RESPONSE;
    if (message.length > this.opts.maxBatchLength) {
      return errorResponse("null", errors.batchTooLarge(this.opts.maxBatchLength));
    }
    const answers = new Array<string | null | Promise<string | null>>(message.length);
    let pending = false;
    for (let i = 0; i < message.length; i++) {
      answers[i] = this.call(message[i], ctx, conn, activations);
      if (!pending && isThenable(answers[i])) pending = true;
    }
    return pending ? this.joinBatchAsync(answers) : this.joinBatch(answers as (string | null)[]);
  }

  private async joinBatchAsync(answers: (string | null | Promise<string | null>)[]): Promise<string | null> {
    return this.joinBatch(await Promise.all(answers));
  }

  private joinBatch(answers: (string | null)[]): string | null {
    const parts = answers.filter((a): a is string => a !== null);
    if (parts.length === 0) return null;
    const body = `[${parts.join(",")}]`;
    if (exceedsBytes(body, this.opts.maxResponseBytes)) {
      return errorResponse("null", errors.oversizedResponse(this.opts.maxResponseBytes));
    }
    return body;
  }

  /** One request object of a message. */
  private call(
    request: unknown,
    ctx: RpcContext,
    conn: WsConnection | null,
    activations: Subscription<WsConnection>[],
  ): string | null | Promise<string | null> {
    if (typeof request !== "object" || request === null || Array.isArray(request)) return INVALID_REQUEST_RESPONSE;
    const { jsonrpc, method, params, id } = request as Record<string, unknown>;
    const notification = id === undefined;
    let idJson = "null";
    if (typeof id === "string" || typeof id === "number") idJson = JSON.stringify(id);
    else if (id !== null && !notification) return INVALID_REQUEST_RESPONSE;
    if (
      jsonrpc !== "2.0" ||
      typeof method !== "string" ||
      (params !== undefined && (typeof params !== "object" || params === null))
    ) {
      return errorResponse(idJson, errors.invalidRequest);
    }

    if (this.debug) {
      this.log.debug("RPC call", { method: method.slice(0, 100), transport: ctx.transport, conn: ctx.connectionId });
    }
    const entry = this.entries.get(method);
    if (entry === undefined || !this.isExposed(entry)) {
      return notification ? null : errorResponse(idJson, errors.methodNotFound);
    }

    switch (entry.kind) {
      case "method":
        return this.callMethod(entry.handler, entry.params, params, ctx, method, idJson, notification);
      case "subscribe":
        // A subscription nobody can name is never started.
        if (notification) return null;
        return this.subscribe(entry.sub, params, ctx, conn, method, idJson, activations);
      case "unsubscribe":
        if (notification) return null;
        return this.unsubscribe(entry.sub, params, conn, idJson);
    }
  }

  private callMethod(
    handler: Handler,
    spec: readonly Param<unknown>[] | undefined,
    rawParams: unknown,
    ctx: RpcContext,
    method: string,
    idJson: string,
    notification: boolean,
  ): string | null | Promise<string | null> {
    let result: unknown;
    try {
      result = handler(this.params(spec, rawParams), ctx);
    } catch (err) {
      return notification ? this.dropError(err, method) : this.thrownResponse(idJson, err, method);
    }
    if (isThenable(result)) return this.awaitMethod(result, method, idJson, notification);
    return notification ? null : this.resultOf(idJson, result, method);
  }

  private async awaitMethod(
    pending: PromiseLike<unknown>,
    method: string,
    idJson: string,
    notification: boolean,
  ): Promise<string | null> {
    let result: unknown;
    try {
      result = await pending;
    } catch (err) {
      return notification ? this.dropError(err, method) : this.thrownResponse(idJson, err, method);
    }
    return notification ? null : this.resultOf(idJson, result, method);
  }

  private params(spec: readonly Param<unknown>[] | undefined, raw: unknown): unknown {
    if (spec !== undefined) return parseParams(spec, raw);
    if (raw === undefined) return [];
    if (!Array.isArray(raw) && Object.keys(raw as object).length > 0) {
      throw new RpcError(RpcErrorCode.InvalidParams, "Invalid params: this method takes positional params");
    }
    return Array.isArray(raw) ? raw : [];
  }

  private resultOf(idJson: string, result: unknown, method: string): string {
    let json: string | undefined;
    try {
      json = JSON.stringify(result);
    } catch (err) {
      this.log.error("RPC result does not serialize", { method }, err);
      return errorResponse(idJson, errors.internal);
    }
    const response = resultResponse(idJson, json ?? "null");
    if (exceedsBytes(response, this.opts.maxResponseBytes)) {
      if (this.debug) this.log.debug("RPC response too big", { method });
      return errorResponse(idJson, errors.oversizedResponse(this.opts.maxResponseBytes));
    }
    return response;
  }

  private thrownResponse(idJson: string, err: unknown, method: string): string {
    return errorResponse(idJson, this.errorObject(err, method));
  }

  private dropError(err: unknown, method: string): null {
    this.errorObject(err, method);
    return null;
  }

  /** An RpcError as it is; anything else is a bug in the handler: logged, answered -32603 without details. */
  private errorObject(err: unknown, method: string): ErrorObject {
    if (err instanceof RpcError) return err.toJSON();
    this.log.error("RPC method failed", { method }, err);
    return errors.internal;
  }

  // --- subscriptions ---

  private subscribe(
    entry: SubscriptionEntry,
    rawParams: unknown,
    ctx: RpcContext,
    conn: WsConnection | null,
    method: string,
    idJson: string,
    activations: Subscription<WsConnection>[],
  ): string | Promise<string> {
    if (conn === null) return errorResponse(idJson, errors.wsOnly);
    if (conn.subscriptions.size >= this.opts.maxSubscriptionsPerConnection) {
      return errorResponse(idJson, errors.tooManySubscriptions(this.opts.maxSubscriptionsPerConnection));
    }
    let params: unknown;
    try {
      params = this.params(entry.params, rawParams);
    } catch (err) {
      return this.thrownResponse(idJson, err, method);
    }
    const sub = new Subscription(newSubscriptionId(conn), entry, entry.notification, conn, this);
    conn.subscriptions.set(sub.id, sub);
    this.liveSubscriptions++;
    let started: unknown;
    try {
      started = entry.handler(params, sub as SubscriptionSink, ctx);
    } catch (err) {
      sub.abort();
      return this.thrownResponse(idJson, err, method);
    }
    if (isThenable(started)) return this.awaitSubscribe(started, sub, method, idJson, activations);
    return this.subscribed(sub, started, idJson, activations);
  }

  private async awaitSubscribe(
    pending: PromiseLike<unknown>,
    sub: Subscription<WsConnection>,
    method: string,
    idJson: string,
    activations: Subscription<WsConnection>[],
  ): Promise<string> {
    let started: unknown;
    try {
      started = await pending;
    } catch (err) {
      sub.abort();
      return this.thrownResponse(idJson, err, method);
    }
    return this.subscribed(sub, started, idJson, activations);
  }

  private subscribed(
    sub: Subscription<WsConnection>,
    unsubscribe: unknown,
    idJson: string,
    activations: Subscription<WsConnection>[],
  ): string {
    if (typeof unsubscribe === "function") sub.started(unsubscribe as Unsubscribe);
    activations.push(sub);
    return resultResponse(idJson, JSON.stringify(sub.id));
  }

  private unsubscribe(entry: SubscriptionEntry, rawParams: unknown, conn: WsConnection | null, idJson: string): string {
    if (conn === null) return errorResponse(idJson, errors.wsOnly);
    const raw = Array.isArray(rawParams)
      ? rawParams[0]
      : (rawParams as Record<string, unknown> | undefined)?.subscription;
    if (typeof raw !== "string" && typeof raw !== "number") {
      return errorResponse(idJson, {
        code: RpcErrorCode.InvalidParams,
        message: 'Invalid params: param 0 "subscription": expected a subscription id',
      });
    }
    const sub = conn.subscriptions.get(String(raw));
    if (sub === undefined || sub.source !== entry) return resultResponse(idJson, "false");
    sub.end();
    return resultResponse(idJson, "true");
  }

  // SubscriptionHost

  send(conn: WsConnection, message: string): void {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (exceedsBytes(message, this.opts.maxResponseBytes)) {
      this.log.warn("RPC message too big, not sent", {
        conn: conn.ctx.connectionId,
        bytes: Buffer.byteLength(message),
      });
      return;
    }
    ws.send(message);
    if (ws.bufferedAmount > this.opts.maxBufferedBytesPerConnection) {
      this.log.debug("RPC client too slow, dropping it", { conn: conn.ctx.connectionId, buffered: ws.bufferedAmount });
      ws.terminate();
    }
  }

  forget(sub: Subscription<WsConnection>): void {
    if (sub.conn.subscriptions.get(sub.id) === sub) {
      sub.conn.subscriptions.delete(sub.id);
      this.liveSubscriptions--;
    }
  }

  teardown(sub: Subscription<WsConnection>, fn: Unsubscribe): void {
    try {
      const done = fn();
      if (isThenable(done)) done.then(undefined, (err: unknown) => this.teardownFailed(sub, err));
    } catch (err) {
      this.teardownFailed(sub, err);
    }
  }

  notificationFailed(sub: Subscription<WsConnection>, err: unknown): void {
    this.log.error("RPC subscription failed", { notification: sub.notification }, err);
  }

  private teardownFailed(sub: Subscription<WsConnection>, err: unknown): void {
    this.log.error("RPC unsubscribe failed", { notification: sub.notification }, err);
  }

  // --- WebSocket transport ---

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", noop);
    if (this.closing !== null || this.connections >= this.opts.maxConnections) {
      if (this.debug) this.log.debug("RPC connection refused", { connections: this.connections });
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
          `Content-Length: ${TOO_MANY_CONNECTIONS.length}\r\n\r\n${TOO_MANY_CONNECTIONS}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    ws.on("error", (err) => {
      if (this.debug) this.log.debug("RPC connection error", { error: err.message });
    });
    // Upgrades in parallel may pass the check in onUpgrade together: check again now that they are counted.
    if (this.closing !== null || this.connections >= this.opts.maxConnections) {
      ws.close(1013, TOO_MANY_CONNECTIONS);
      return;
    }
    const conn = new WsConnection(ws, this.nextConnectionId++, req.socket.remoteAddress);
    this.wsConnections.add(conn);
    if (this.debug)
      this.log.debug("RPC connection opened", { conn: conn.ctx.connectionId, remote: conn.ctx.remoteAddress });
    ws.on("message", (data) => this.onWsMessage(conn, data));
    ws.on("pong", () => {
      conn.alive = true;
    });
    ws.on("close", () => this.onWsClose(conn));
  }

  private onWsMessage(conn: WsConnection, data: RawData): void {
    conn.alive = true;
    if (conn.inFlight >= this.opts.maxInFlightPerConnection) {
      conn.queued.push(data);
      return;
    }
    this.processWs(conn, data);
  }

  private processWs(conn: WsConnection, data: RawData): void {
    if (++conn.inFlight >= this.opts.maxInFlightPerConnection) conn.ws.pause();
    const text = Buffer.isBuffer(data)
      ? data.toString()
      : Array.isArray(data)
        ? Buffer.concat(data).toString()
        : Buffer.from(data).toString();
    const activations: Subscription<WsConnection>[] = [];
    const answer = this.processMessage(text, conn.ctx, conn, activations);
    if (isThenable(answer)) void this.answerWsAsync(conn, answer, activations);
    else this.answerWs(conn, answer, activations);
  }

  private async answerWsAsync(
    conn: WsConnection,
    pending: Promise<string | null>,
    activations: Subscription<WsConnection>[],
  ): Promise<void> {
    let answer: string | null;
    try {
      answer = await pending;
    } catch (err) {
      // processMessage catches everything it calls; this is a bug here.
      this.log.error("RPC message processing failed", { conn: conn.ctx.connectionId }, err);
      answer = errorResponse("null", errors.internal);
    }
    this.answerWs(conn, answer, activations);
  }

  private answerWs(conn: WsConnection, answer: string | null, activations: Subscription<WsConnection>[]): void {
    if (answer !== null) this.send(conn, answer);
    for (const sub of activations) sub.activate();
    conn.inFlight--;
    if (conn.ws.isPaused && conn.inFlight < this.opts.maxInFlightPerConnection) {
      const next = conn.queued.shift();
      if (next !== undefined) this.processWs(conn, next);
      else conn.ws.resume();
    }
  }

  private onWsClose(conn: WsConnection): void {
    if (!this.wsConnections.delete(conn)) return;
    for (const sub of conn.subscriptions.values()) sub.end();
    if (this.debug) this.log.debug("RPC connection closed", { conn: conn.ctx.connectionId });
  }

  private pingAll(): void {
    for (const conn of this.wsConnections) {
      if (!conn.alive) {
        if (this.debug) this.log.debug("RPC connection timed out", { conn: conn.ctx.connectionId });
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  // --- HTTP transport ---

  private onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
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
    if (this.closing !== null || this.connections >= this.opts.maxConnections) {
      res.writeHead(503, { connection: "close", "content-type": "text/plain" }).end(TOO_MANY_CONNECTIONS);
      req.resume();
      return;
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > this.opts.maxRequestBytes) {
      this.tooLarge(req, res);
      return;
    }
    this.httpInFlight++;
    res.once("close", () => this.httpInFlight--);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= this.opts.maxRequestBytes) {
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
        connectionId: this.nextConnectionId++,
        remoteAddress: req.socket.remoteAddress,
      };
      const answer = this.processMessage(text, ctx, null, []);
      if (isThenable(answer)) void this.answerHttpAsync(res, answer);
      else this.answerHttp(res, answer);
    };
    req.on("data", onData);
    req.on("end", onEnd);
  }

  /** 413 with a JSON-RPC error; the rest of the body is read and dropped, and the connection closed. */
  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    if (this.debug) this.log.debug("RPC HTTP request too big", { remote: req.socket.remoteAddress });
    const body = errorResponse("null", errors.oversizedRequest(this.opts.maxRequestBytes));
    res.writeHead(413, { ...HTTP_HEADERS, connection: "close" }).end(body);
    req.resume();
  }

  private async answerHttpAsync(res: ServerResponse, pending: Promise<string | null>): Promise<void> {
    let answer: string | null;
    try {
      answer = await pending;
    } catch (err) {
      this.log.error("RPC message processing failed", {}, err);
      answer = errorResponse("null", errors.internal);
    }
    this.answerHttp(res, answer);
  }

  private answerHttp(res: ServerResponse, answer: string | null): void {
    if (res.destroyed) return;
    res.writeHead(200, HTTP_HEADERS).end(answer ?? "");
  }

  // --- shutdown ---

  private async doClose(): Promise<void> {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (!this.listening) {
      this.wss.close();
      return;
    }
    const closed: Promise<unknown>[] = [new Promise<void>((resolve) => this.http.close(() => resolve()))];
    this.http.closeIdleConnections();
    for (const conn of this.wsConnections) {
      for (const sub of conn.subscriptions.values()) sub.end();
      closed.push(new Promise((resolve) => conn.ws.once("close", resolve)));
      conn.ws.close(1001, "Server shutting down");
    }
    const cut = setTimeout(() => {
      for (const conn of this.wsConnections) conn.ws.terminate();
      this.http.closeAllConnections();
    }, this.opts.closeTimeoutMs);
    await Promise.all(closed);
    clearTimeout(cut);
    this.wss.close();
    this.log.info("JSON-RPC server stopped");
  }
}

function noop(): void {}

/** 127.0.0.0/8, ::1, IPv4-mapped loopback and `localhost`: where `--rpc-methods auto` allows unsafe methods. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  const h = (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host).toLowerCase();
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return h === "::1" || h === "0:0:0:0:0:0:0:1";
}

/** 16 random alphanumerics, like Substrate's `RandomStringIdProvider`; unique on the connection. */
function newSubscriptionId(conn: WsConnection): string {
  for (;;) {
    const bytes = randomBytes(24);
    let id = "";
    for (let i = 0; i < bytes.length && id.length < 16; i++) {
      if (bytes[i] < 248) id += SUBSCRIPTION_ID_CHARS[bytes[i] % 62];
    }
    if (id.length === 16 && !conn.subscriptions.has(id)) return id;
  }
}
