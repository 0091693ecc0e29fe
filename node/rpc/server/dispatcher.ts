/**
 * One JSON-RPC message in, its answer out: parsing, batches, request validation, the rate limit,
 * dispatch to the registered method, and the response or error text (see `server.ts` for the codes, in
 * order). Transport-agnostic: the connection is only passed through to subscriptions (null over HTTP).
 *
 * All of it runs as tasks on the connection's scheduler lane (`scheduler.ts`): parsing the message is
 * one task (a large message is parsed on a worker thread meanwhile, `parseWorker.ts`), each call of a
 * batch another, so that a batch is executed a call at a time between other clients' work and the
 * node's own. A batch stops as soon as its answers add up to more than
 * `maxResponseBytes`: the calls not yet started are not run, and nothing larger than the limit is built.
 */
import type { Logger } from "../../../primitives/logger.js";
import type { RpcServerContext } from "./context.js";
import { RpcError, RpcErrorCode } from "./errors.js";
import type { RpcCallObserver, RpcContext, SubscriptionSink, Unsubscribe } from "./interface.js";
import {
  type ErrorObject,
  errorResponse,
  errors,
  exceedsBytes,
  INVALID_REQUEST_RESPONSE,
  isThenable,
  PARSE_ERROR_RESPONSE,
  type Response,
  ResponseParts,
  responseBytes,
  resultResponse,
} from "./jsonrpc.js";
import { isJson, startsArray } from "./jsonScan.js";
import type { RpcServerOptions } from "./options.js";
import { type Param, parseParams } from "./params.js";
import { OFF_THREAD_PARSE_BYTES, type OffThreadParse, ParseWorker } from "./parseWorker.js";
import { RATE_LIMIT_MAX_JITTER_MS, RATE_LIMIT_MAX_RETRIES, type RateLimiter } from "./rateLimit.js";
import { batchIds, type IdCursor, idsCursor, rawRequestIds } from "./rawIds.js";
import type { Entry, Handler, MethodRegistry, SubscriptionEntry } from "./registry.js";
import type { Lane } from "./scheduler.js";
import type { Subscription } from "./subscription.js";
import type { SubscriptionManager } from "./subscriptionManager.js";
import type { WsConnection } from "./wsConnection.js";

/** Where a message comes from and what its calls share. */
export interface CallSite {
  readonly ctx: RpcContext;
  /** The WebSocket connection; null over HTTP. */
  readonly conn: WsConnection | null;
  /** The connection's lane: every task of the message runs on it. */
  readonly lane: Lane;
  /** The connection's rate limiter, when `rateLimitPerMinute` is set. */
  readonly limiter: RateLimiter | undefined;
  /**
   * Subscriptions created by the message, to be activated once its answer is written (none over HTTP,
   * which refuses them). Those of a batch answered "Response is too big" are ended instead.
   */
  readonly activations: Subscription<WsConnection>[];
}

type Answer = (answer: Response | null) => void;

/** Strings at least this long are results worth remembering the JSON of (the metadata, ~222 kB of hex). */
const BIG_STRING = 64 * 1024;

export class RpcDispatcher {
  private readonly opts: RpcServerOptions;
  private readonly log: Logger;
  private readonly debug: boolean;
  /**
   * The last big string result and its JSON, encoded: the same metadata asked for again is neither
   * encoded nor copied again (its responses share the bytes, `ResponseParts`).
   */
  private lastBigResult: string | undefined;
  private lastBigJson = Buffer.alloc(0);
  private readonly parser: ParseWorker;

  constructor(
    server: RpcServerContext,
    private readonly registry: MethodRegistry,
    private readonly subscriptions: SubscriptionManager,
    private readonly calls?: RpcCallObserver,
  ) {
    this.opts = server.opts;
    this.log = server.log;
    this.debug = server.debug;
    this.parser = new ParseWorker(server.log);
  }

  /** Stops the parse worker. */
  close(): Promise<void> {
    return this.parser.close();
  }

  /** @internal */
  get maxResponseBytes(): number {
    return this.opts.maxResponseBytes;
  }

  // --- one message: a call or a batch ---

  /** Answers one message (null: nothing to send), with its work queued on `site.lane`. */
  processMessage(data: string | Buffer, site: CallSite): Promise<Response | null> {
    return new Promise((resolve) => site.lane.push(() => this.start(data, site, resolve)));
  }

  /** The first task of a message: parse it (or have it parsed off the loop), then `run` it. */
  private start(data: string | Buffer, site: CallSite, answer: Answer): unknown {
    if (typeof data !== "string" && data.length >= OFF_THREAD_PARSE_BYTES) {
      const bytes = data.length;
      // Parked: the drain goes on; the rest is a task of the lane again once parsed.
      this.parser.parse(data).then((parsed) => site.lane.push(() => this.parsedOffThread(parsed, bytes, site, answer)));
      return;
    }
    const text = typeof data === "string" ? data : data.toString();
    if (startsArray(text)) {
      // A batch is validated whole, but each call is only parsed as it starts (`jsonScan.ts`).
      const spans: number[] = [];
      if (isJson(text, spans)) return this.runBatch(lazyCalls(text, spans), site, answer);
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return this.parseError(site, text.length, answer);
    }
    return this.run(message, text, site, answer);
  }

  private parsedOffThread(parsed: OffThreadParse | undefined, bytes: number, site: CallSite, answer: Answer): unknown {
    if (parsed === undefined) {
      answer(errorResponse("null", errors.internal)); // the worker failed (logged)
      return;
    }
    if (!parsed.ok) return this.parseError(site, bytes, answer);
    return this.run(parsed.message, parsed, site, answer);
  }

  private parseError(site: CallSite, bytes: number, answer: Answer): void {
    if (this.debug) this.log.debug("RPC parse error", { conn: site.ctx.connectionId, bytes });
    answer(PARSE_ERROR_RESPONSE);
  }

  /**
   * A parsed message: its call, or its batch queued. `ids`: where its raw ids come from, its text
   * (scanned as needed) or what the parse worker found.
   */
  private run(message: unknown, ids: string | { ids: unknown }, site: CallSite, answer: Answer): unknown {
    if (!Array.isArray(message)) {
      let rawId: string | undefined;
      if (hasEchoedId(message)) rawId = (typeof ids === "string" ? rawRequestIds(ids) : ids.ids) as string | undefined;
      return this.runCall(message, rawId, site, 0, answer);
    }
    let cursor: IdCursor | undefined;
    if (message.some(hasEchoedId)) {
      cursor = typeof ids === "string" ? batchIds(ids) : idsCursor(ids.ids as (string | undefined)[]);
    }
    return this.runBatch(
      { length: message.length, take: (i) => ({ request: message[i], rawId: cursor?.next() }) },
      site,
      answer,
    );
  }

  private runBatch(calls: BatchCalls, site: CallSite, answer: Answer): void {
    if (calls.length === 0) {
      answer(INVALID_REQUEST_RESPONSE);
      return;
    }
    if (calls.length > this.opts.maxBatchLength) {
      answer(errorResponse("null", errors.batchTooLarge(this.opts.maxBatchLength)));
      return;
    }
    new BatchRun(this, calls, site, answer).start();
  }

  /** @internal The "Response is too big" answer of a batch, its subscriptions ended. */
  oversizedBatch(site: CallSite): string {
    for (const sub of site.activations.splice(0)) sub.end();
    return errorResponse("null", errors.oversizedResponse(this.opts.maxResponseBytes));
  }

  /**
   * @internal One request object of a message (`rawId`: its id as written): validated, rate limited,
   * dispatched; `answer` receives its answer. Returns the pending work, if any, for the scheduler.
   */
  runCall(request: unknown, rawId: string | undefined, site: CallSite, attempt: number, answer: Answer): unknown {
    if (typeof request !== "object" || request === null || Array.isArray(request)) {
      answer(INVALID_REQUEST_RESPONSE);
      return;
    }
    const { jsonrpc, method, params, id } = request as Record<string, unknown>;
    const notification = id === undefined;
    let idJson = "null";
    if (typeof id === "string" || typeof id === "number") idJson = rawId ?? JSON.stringify(id);
    else if (id !== null && !notification) {
      answer(INVALID_REQUEST_RESPONSE);
      return;
    }
    if (
      jsonrpc !== "2.0" ||
      typeof method !== "string" ||
      (params !== undefined && (typeof params !== "object" || params === null))
    ) {
      answer(errorResponse(idJson, errors.invalidRequest));
      return;
    }
    if (site.limiter !== undefined) {
      const wait = site.limiter.check();
      if (wait > 0) {
        if (attempt >= RATE_LIMIT_MAX_RETRIES) {
          if (this.debug) this.log.debug("RPC call rate limited", { conn: site.ctx.connectionId });
          answer(notification ? null : errorResponse(idJson, errors.rateLimited));
          return;
        }
        // Parked off the lane: the drain does not wait for it, the lane goes on with other calls.
        const retry = () => this.runCall(request, rawId, site, attempt + 1, answer);
        setTimeout(() => site.lane.push(retry), wait + Math.random() * RATE_LIMIT_MAX_JITTER_MS);
        return;
      }
    }

    if (this.debug) {
      this.log.debug("RPC call", {
        method: method.slice(0, 100),
        transport: site.ctx.transport,
        conn: site.ctx.connectionId,
      });
    }
    const entry = this.registry.lookup(method);
    const { ctx, conn, activations } = site;
    const result =
      this.calls === undefined
        ? this.dispatch(entry, params, ctx, conn, method, idJson, notification, activations)
        : this.observed(this.calls, entry, params, ctx, conn, method, idJson, notification, activations);
    if (!isThenable(result)) {
      answer(result);
      return;
    }
    return result.then(answer, (err: unknown) => {
      // dispatch catches everything a handler throws; this is a bug here.
      this.log.error("RPC call processing failed", { method }, err);
      answer(notification ? null : errorResponse(idJson, errors.internal));
    });
  }

  /** `dispatch`, reported to the call observer: started, then finished with its outcome and duration. */
  private observed(
    calls: RpcCallObserver,
    entry: Entry | undefined,
    params: unknown,
    ctx: RpcContext,
    conn: WsConnection | null,
    method: string,
    idJson: string,
    notification: boolean,
    activations: Subscription<WsConnection>[],
  ): Response | null | Promise<Response | null> {
    const label = entry === undefined ? "unknown" : method;
    const { transport } = ctx;
    calls.callStarted(transport, label);
    const started = performance.now();
    // Every answer is built by `resultResponse` or `errorResponse`: after the id comes "result" or "error".
    const errorPrefix = `{"jsonrpc":"2.0","id":${idJson},"error":`;
    const finish = (answer: Response | null) => {
      const isError = typeof answer === "string" && answer.startsWith(errorPrefix);
      calls.callFinished(transport, label, isError, (performance.now() - started) / 1000);
      return answer;
    };
    let answer: Response | null | Promise<Response | null>;
    try {
      answer = this.dispatch(entry, params, ctx, conn, method, idJson, notification, activations);
    } catch (err) {
      calls.callFinished(transport, label, true, (performance.now() - started) / 1000);
      throw err;
    }
    if (!isThenable(answer)) return finish(answer);
    return answer.then(finish, (err: unknown) => {
      calls.callFinished(transport, label, true, (performance.now() - started) / 1000);
      throw err;
    });
  }

  /** A valid request to `method` (`entry`: what serves it, if anything): its answer. */
  private dispatch(
    entry: Entry | undefined,
    params: unknown,
    ctx: RpcContext,
    conn: WsConnection | null,
    method: string,
    idJson: string,
    notification: boolean,
    activations: Subscription<WsConnection>[],
  ): Response | null | Promise<Response | null> {
    if (entry === undefined) {
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
  ): Response | null | Promise<Response | null> {
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
  ): Promise<Response | null> {
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

  private resultOf(idJson: string, result: unknown, method: string): Response {
    if (typeof result === "string" && result.length >= BIG_STRING) {
      // Its JSON is at least 2 bytes longer: too big is known before building anything.
      if (result.length + 2 > this.opts.maxResponseBytes) return this.oversized(idJson, method);
      if (result !== this.lastBigResult) {
        this.lastBigJson = Buffer.from(JSON.stringify(result));
        this.lastBigResult = result;
      }
      const response = ResponseParts.of([`{"jsonrpc":"2.0","id":${idJson},"result":`, this.lastBigJson, "}"]);
      if (response.bytes > this.opts.maxResponseBytes) return this.oversized(idJson, method);
      return response;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(result);
    } catch (err) {
      this.log.error("RPC result does not serialize", { method }, err);
      return errorResponse(idJson, errors.internal);
    }
    const response = resultResponse(idJson, json ?? "null");
    if (exceedsBytes(response, this.opts.maxResponseBytes)) return this.oversized(idJson, method);
    return response;
  }

  private oversized(idJson: string, method: string): string {
    if (this.debug) this.log.debug("RPC response too big", { method });
    return errorResponse(idJson, errors.oversizedResponse(this.opts.maxResponseBytes));
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

  // --- subscribe and unsubscribe calls ---

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
    if (this.subscriptions.isFull(conn)) {
      return errorResponse(idJson, errors.tooManySubscriptions(this.opts.maxSubscriptionsPerConnection));
    }
    let params: unknown;
    try {
      params = this.params(entry.params, rawParams);
    } catch (err) {
      return this.thrownResponse(idJson, err, method);
    }
    const sub = this.subscriptions.open(conn, entry);
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
    return resultResponse(idJson, this.subscriptions.end(conn, String(raw), entry) ? "true" : "false");
  }
}

/** The calls of a batch, each with its raw id: parsed already, or parsed as they start. */
interface BatchCalls {
  readonly length: number;
  /** The `i`-th call; asked once for each, in order. */
  take(i: number): { request: unknown; rawId: string | undefined };
}

/** The calls of a batch `isJson` checked, each parsed from its span of `text` when it starts. */
function lazyCalls(text: string, spans: number[]): BatchCalls {
  return {
    length: spans.length / 2,
    take(i) {
      const call = text.slice(spans[2 * i], spans[2 * i + 1]);
      let request: unknown;
      try {
        request = JSON.parse(call);
      } catch {
        request = undefined; // cannot happen once isJson accepted the batch; answered -32600
      }
      return { request, rawId: hasEchoedId(request) ? (rawRequestIds(call) as string | undefined) : undefined };
    },
  };
}

/** Whether a request object has an id that is echoed (a string or a number). */
function hasEchoedId(request: unknown): boolean {
  if (typeof request !== "object" || request === null) return false;
  const id = (request as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number";
}

/**
 * The calls of one batch, run one task each on the lane (a cursor task that queues itself again after
 * starting its call, so that other clients' tasks come in between). Answers are kept in request order;
 * once they add up to more than `maxResponseBytes` no further call starts, and when the started ones are
 * done the batch is answered "Response is too big".
 */
class BatchRun {
  private readonly answers: (Response | null)[];
  private next = 0;
  private pending = 0;
  /** Characters of the answers so far, with brackets and commas: a lower bound of their UTF-8 bytes. */
  private chars = 1;
  private oversized = false;
  private done = false;

  constructor(
    private readonly dispatcher: RpcDispatcher,
    private readonly calls: BatchCalls,
    private readonly site: CallSite,
    private readonly answer: Answer,
  ) {
    this.answers = new Array<Response | null>(calls.length).fill(null);
  }

  start(): void {
    this.site.lane.push(this.step);
  }

  private readonly step = (): unknown => {
    if (this.oversized) return;
    const i = this.next++;
    if (this.next < this.calls.length) this.site.lane.push(this.step);
    this.pending++;
    const { request, rawId } = this.calls.take(i);
    return this.dispatcher.runCall(request, rawId, this.site, 0, (a) => this.answered(i, a));
  };

  private answered(i: number, answer: Response | null): void {
    this.pending--;
    this.answers[i] = answer;
    if (answer !== null && !this.oversized) {
      this.chars += (typeof answer === "string" ? answer.length : answer.bytes) + 1;
      if (this.chars > this.dispatcher.maxResponseBytes) this.oversized = true;
    }
    if (this.pending === 0 && (this.oversized || this.next === this.calls.length)) this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.oversized) {
      this.answer(this.dispatcher.oversizedBatch(this.site));
      return;
    }
    const parts = this.answers.filter((a): a is Response => a !== null);
    if (parts.length === 0) {
      this.answer(null);
      return;
    }
    // Measured part by part: the batch is only joined when it fits.
    const max = this.dispatcher.maxResponseBytes;
    if (this.chars * 3 > max) {
      let bytes = 1 + parts.length;
      for (const part of parts) bytes += responseBytes(part);
      if (bytes > max) {
        this.answer(this.dispatcher.oversizedBatch(this.site));
        return;
      }
    }
    if (parts.every((p) => typeof p === "string")) {
      this.answer(`[${parts.join(",")}]`);
      return;
    }
    const joined: Response[] = ["["];
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) joined.push(",");
      joined.push(parts[i]);
    }
    joined.push("]");
    this.answer(ResponseParts.of(joined));
  }
}
