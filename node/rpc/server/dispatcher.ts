/**
 * One JSON-RPC message in, its answer out: parsing, batches, request validation, dispatch to the
 * registered method, and the response or error text (see `server.ts` for the codes, in order).
 * Transport-agnostic: the connection is only passed through to subscriptions (null over HTTP).
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
  resultResponse,
} from "./jsonrpc.js";
import type { RpcServerOptions } from "./options.js";
import { type Param, parseParams } from "./params.js";
import type { Entry, Handler, MethodRegistry, SubscriptionEntry } from "./registry.js";
import type { Subscription } from "./subscription.js";
import type { SubscriptionManager } from "./subscriptionManager.js";
import type { WsConnection } from "./wsConnection.js";

export class RpcDispatcher {
  private readonly opts: RpcServerOptions;
  private readonly log: Logger;
  private readonly debug: boolean;

  constructor(
    server: RpcServerContext,
    private readonly registry: MethodRegistry,
    private readonly subscriptions: SubscriptionManager,
    private readonly calls?: RpcCallObserver,
  ) {
    this.opts = server.opts;
    this.log = server.log;
    this.debug = server.debug;
  }

  // --- one message: a call or a batch ---

  /**
   * Answers one message (null: nothing to send). Subscriptions created by it are pushed to
   * `activations`, to be activated once the answer is written (none over HTTP, which refuses them).
   */
  processMessage(
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
      this.log.debug("RPC call", {
        method: method.slice(0, 100),
        transport: ctx.transport,
        conn: ctx.connectionId,
      });
    }
    const entry = this.registry.lookup(method);
    if (this.calls === undefined)
      return this.dispatch(entry, params, ctx, conn, method, idJson, notification, activations);
    return this.observed(this.calls, entry, params, ctx, conn, method, idJson, notification, activations);
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
  ): string | null | Promise<string | null> {
    const label = entry === undefined ? "unknown" : method;
    const { transport } = ctx;
    calls.callStarted(transport, label);
    const started = performance.now();
    // Every answer is built by `resultResponse` or `errorResponse`: after the id comes "result" or "error".
    const errorPrefix = `{"jsonrpc":"2.0","id":${idJson},"error":`;
    const finish = (answer: string | null) => {
      const isError = answer?.startsWith(errorPrefix) === true;
      calls.callFinished(transport, label, isError, (performance.now() - started) / 1000);
      return answer;
    };
    let answer: string | null | Promise<string | null>;
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
  ): string | null | Promise<string | null> {
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
