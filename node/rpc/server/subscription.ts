/**
 * One live subscription: the `SubscriptionSink` a handler writes into.
 *
 * Lifecycle: created pending (before the subscribe response is written) -> `activate()` right after the
 * response is sent, flushing what the handler pushed meanwhile -> ended once by whichever comes first:
 * the client's unsubscribe, the connection closing, the server closing, or the producer's `close()` /
 * `error()`. Ending removes it from its connection and runs the handler's `Unsubscribe` (at once, or as
 * soon as the handler has returned it).
 */
import { RpcError } from "./errors.js";
import type { SubscriptionSink, Unsubscribe } from "./interface.js";
import { type ErrorObject, errorJson, errors } from "./jsonrpc.js";

/** What a subscription needs from the server, implemented by it. */
export interface SubscriptionHost<C> {
  /** Sends one message on the connection (a no-op if it is closed). */
  send(conn: C, message: string): void;
  /** Forgets the ended subscription (connection map, counters). */
  forget(sub: Subscription<C>): void;
  /** Runs an `Unsubscribe`, catching and logging what it throws. */
  teardown(sub: Subscription<C>, fn: Unsubscribe): void;
  /** Logs a value that could not be serialized, or an internal error sent as -32603. */
  notificationFailed(sub: Subscription<C>, err: unknown): void;
}

export class Subscription<C> implements SubscriptionSink {
  closed = false;
  /** Messages held back until the subscribe response is written; null once active. */
  private pending: string[] | null = [];
  private unsubscribe: Unsubscribe | null = null;
  /** `{"jsonrpc":"2.0","method":"…","params":{"subscription":"…",` */
  private readonly prefix: string;

  constructor(
    readonly id: string,
    /** The registered subscription it was made by: only that one's unsubscribe methods can end it. */
    readonly source: object,
    readonly notification: string,
    readonly conn: C,
    private readonly host: SubscriptionHost<C>,
  ) {
    this.prefix = `{"jsonrpc":"2.0","method":${JSON.stringify(notification)},"params":{"subscription":${JSON.stringify(id)},`;
  }

  next(value: unknown): void {
    if (this.closed) return;
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (err) {
      this.host.notificationFailed(this, err);
      return;
    }
    this.push(`${this.prefix}"result":${json ?? "null"}}}`);
  }

  error(err: unknown): void {
    if (this.closed) return;
    let error: ErrorObject;
    if (err instanceof RpcError) {
      error = err.toJSON();
    } else {
      this.host.notificationFailed(this, err);
      error = errors.internal;
    }
    this.push(`${this.prefix}"error":${errorJson(error)}}}`);
    this.end();
  }

  close(): void {
    this.end();
  }

  /** Ends the subscription: forgotten at once, producer stopped once. Idempotent. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.forget(this);
    const fn = this.unsubscribe;
    this.unsubscribe = null;
    if (fn !== null) this.host.teardown(this, fn);
  }

  /** The handler returned: keep its `Unsubscribe`, or run it now if the subscription already ended. */
  started(fn: Unsubscribe): void {
    if (this.closed) this.host.teardown(this, fn);
    else this.unsubscribe = fn;
  }

  /** The handler failed: nothing of it is sent. */
  abort(): void {
    this.pending = null;
    this.end();
  }

  /** The subscribe response is written: send what was held back, then send directly. */
  activate(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending === null) return;
    for (const message of pending) this.host.send(this.conn, message);
  }

  private push(message: string): void {
    if (this.pending !== null) this.pending.push(message);
    else this.host.send(this.conn, message);
  }
}
