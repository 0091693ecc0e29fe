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
 * HTTP GET and HEAD requests go to the handler set with `onGet` (the node's dashboard), when one is
 * set and it takes the request; everything else goes to the JSON-RPC HTTP transport as before.
 *
 * Limits, none of which buffers without bound: `maxConnections` (WS upgrades and HTTP get 503),
 * `maxRequestBytes` (WS closes with 1009, HTTP answers 413), `maxInFlightPerConnection` (stops reading
 * the socket), `pauseBufferedBytesPerConnection` (stops reading and executing a connection whose client
 * does not read), `maxBufferedBytesPerConnection` (such a client is dropped),
 * `maxSubscriptionsPerConnection` (-32006), `maxBatchLength` (-32010), `maxResponseBytes` (-32008, a
 * batch stops as soon as its answers pass it), `rateLimitPerMinute` (-32999), and HTTP timeouts for
 * headers, whole requests, and bodies or responses that stall (`httpTransport.ts`).
 *
 * Isolation from the node: all parsing, execution and encoding runs on the scheduler (`scheduler.ts`),
 * at most `turnBudgetMs` of it per event-loop turn, connections served in turn.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "../../../primitives/logger.js";
import type { RpcServerContext } from "./context.js";
import { RpcDispatcher } from "./dispatcher.js";
import { RpcServerError } from "./errors.js";
import { HttpTransport } from "./httpTransport.js";
import type { IRpcServer, RpcCallObserver, RpcDef } from "./interface.js";
import { defaultRpcServerOptions, type RpcServerOptions } from "./options.js";
import { RateLimiter } from "./rateLimit.js";
import { MethodRegistry } from "./registry.js";
import { type RpcPriority, RpcScheduler } from "./scheduler.js";
import { SubscriptionManager } from "./subscriptionManager.js";
import type { RpcTransportHost } from "./transport.js";
import { WsTransport } from "./wsTransport.js";

export interface RpcServerModules {
  logger: Logger;
  /** Told about every method call (the node's metrics); optional. */
  calls?: RpcCallObserver;
  /** Work that goes first: no RPC task starts while it is busy (block authoring); optional. */
  priority?: RpcPriority;
}

/**
 * Answers an HTTP GET or HEAD request that is not JSON-RPC (a static page); returns false, without
 * touching `res`, for a path it does not serve (the request then gets the transport's 405).
 */
export type HttpGetHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The server as a whole: the method registry, the dispatcher, the subscriptions, and the WebSocket and
 * HTTP transports on one `http.Server`, which it starts and stops.
 */
export class RpcServer implements IRpcServer {
  readonly allowUnsafe: boolean;
  private readonly opts: RpcServerOptions;
  private readonly log: Logger;
  private readonly registry: MethodRegistry;
  private readonly subscriptions: SubscriptionManager;
  private readonly http: Server;
  private readonly ws: WsTransport;
  private readonly httpTransport: HttpTransport;
  private readonly dispatcher: RpcDispatcher;
  private nextConnectionId = 1;
  private getHandler: HttpGetHandler | undefined;
  private listening = false;
  private closing: Promise<void> | null = null;

  constructor(opts: Partial<RpcServerOptions>, modules: RpcServerModules) {
    this.opts = { ...defaultRpcServerOptions, ...opts };
    this.log = modules.logger;
    this.allowUnsafe =
      this.opts.methods === "unsafe" || (this.opts.methods === "auto" && isLoopbackHost(this.opts.host));

    const context: RpcServerContext = { opts: this.opts, log: this.log, debug: this.log.isEnabled("debug") };
    this.registry = new MethodRegistry(this.allowUnsafe);
    this.subscriptions = new SubscriptionManager(context);
    const dispatcher = new RpcDispatcher(context, this.registry, this.subscriptions, modules.calls);
    this.dispatcher = dispatcher;
    const scheduler = new RpcScheduler(this.opts.turnBudgetMs, this.log, modules.priority);
    const { rateLimitPerMinute } = this.opts;
    const host: RpcTransportHost = {
      ...context,
      connections: () => this.connections,
      refusesConnection: () =>
        this.closing !== null ||
        (this.connections >= this.opts.maxConnections && !this.httpTransport.cutStalledRequest()),
      nextConnectionId: () => this.nextConnectionId++,
      newLane: () => scheduler.lane(),
      newRateLimiter: () => (rateLimitPerMinute > 0 ? new RateLimiter(rateLimitPerMinute) : undefined),
      processMessage: (data, site) => dispatcher.processMessage(data, site),
    };
    this.ws = new WsTransport(host);
    this.httpTransport = new HttpTransport(host);
    this.http = createServer((req, res) => {
      if ((req.method === "GET" || req.method === "HEAD") && this.getHandler?.(req, res)) return;
      this.httpTransport.onRequest(req, res);
    });
    this.http.headersTimeout = this.opts.httpHeadersTimeoutMs;
    this.http.requestTimeout = this.opts.httpRequestTimeoutMs;
    // How often node:http checks those two (30 s by default): stalled requests go within a second.
    (this.http as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(
      1_000,
      this.opts.httpHeadersTimeoutMs,
      this.opts.httpRequestTimeoutMs,
    );
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.ws.onUpgrade(req, socket, head),
    );

    this.register({
      name: "rpc_methods",
      params: [],
      handler: () => ({ methods: this.registry.methodNames() }),
    });
  }

  get connections(): number {
    return this.ws.size + this.httpTransport.inFlight;
  }

  get subscriptionCount(): number {
    return this.subscriptions.count;
  }

  register<P extends readonly unknown[] = unknown[], T = unknown>(def: RpcDef<P, T>): void {
    this.registry.register(def);
  }

  /** Serves HTTP GET and HEAD requests the handler takes (JSON-RPC is POST and WebSocket upgrades only). */
  onGet(handler: HttpGetHandler): void {
    this.getHandler = handler;
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
        if (this.opts.pingIntervalMs > 0) this.ws.startPing(this.opts.pingIntervalMs);
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

  private async doClose(): Promise<void> {
    this.ws.stopPing();
    this.httpTransport.stop();
    await this.dispatcher.close();
    if (!this.listening) {
      this.ws.closeServer();
      return;
    }
    const closed: Promise<unknown>[] = [new Promise<void>((resolve) => this.http.close(() => resolve()))];
    this.http.closeIdleConnections();
    closed.push(...this.ws.closeAll());
    const cut = setTimeout(() => {
      this.ws.terminateAll();
      this.http.closeAllConnections();
    }, this.opts.closeTimeoutMs);
    await Promise.all(closed);
    clearTimeout(cut);
    this.ws.closeServer();
    this.log.info("JSON-RPC server stopped");
  }
}

/** 127.0.0.0/8, ::1, IPv4-mapped loopback and `localhost`: where `--rpc-methods auto` allows unsafe methods. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  const h = (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host).toLowerCase();
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return h === "::1" || h === "0:0:0:0:0:0:0:1";
}
