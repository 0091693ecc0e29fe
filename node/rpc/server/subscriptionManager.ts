/**
 * The live subscriptions of all WebSocket connections: their ids, the per-connection maps they are
 * kept in and counted from, and the `SubscriptionHost` their notifications and teardowns go through.
 */
import { randomBytes } from "node:crypto";
import type { RpcServerContext } from "./context.js";
import type { Unsubscribe } from "./interface.js";
import { isThenable } from "./jsonrpc.js";
import type { SubscriptionEntry } from "./registry.js";
import { Subscription, type SubscriptionHost } from "./subscription.js";
import type { WsConnection } from "./wsConnection.js";

const SUBSCRIPTION_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export class SubscriptionManager implements SubscriptionHost<WsConnection> {
  private live = 0;

  constructor(private readonly server: RpcServerContext) {}

  /** Live subscriptions over all connections. */
  get count(): number {
    return this.live;
  }

  /** Whether the connection already holds `maxSubscriptionsPerConnection` subscriptions. */
  isFull(conn: WsConnection): boolean {
    return conn.subscriptions.size >= this.server.opts.maxSubscriptionsPerConnection;
  }

  /** A new pending subscription of `entry` on the connection, under a fresh id. */
  open(conn: WsConnection, entry: SubscriptionEntry): Subscription<WsConnection> {
    const sub = new Subscription(newSubscriptionId(conn), entry, entry.notification, conn, this);
    conn.subscriptions.set(sub.id, sub);
    this.live++;
    return sub;
  }

  /** Ends the connection's subscription `id` if `entry` made it; false when there is no such subscription. */
  end(conn: WsConnection, id: string, entry: SubscriptionEntry): boolean {
    const sub = conn.subscriptions.get(id);
    if (sub === undefined || sub.source !== entry) return false;
    sub.end();
    return true;
  }

  // SubscriptionHost

  send(conn: WsConnection, message: string): void {
    conn.send(message);
  }

  forget(sub: Subscription<WsConnection>): void {
    if (sub.conn.subscriptions.get(sub.id) === sub) {
      sub.conn.subscriptions.delete(sub.id);
      this.live--;
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
    this.server.log.error("RPC subscription failed", { notification: sub.notification }, err);
  }

  private teardownFailed(sub: Subscription<WsConnection>, err: unknown): void {
    this.server.log.error("RPC unsubscribe failed", { notification: sub.notification }, err);
  }
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
