/**
 * The names the server answers: methods and subscriptions registered by the node, each looked up by
 * any of its names, and which of them are exposed (unsafe ones only when the server allows them).
 */
import { RpcServerError } from "./errors.js";
import type { MethodDef, RpcDef, SubscriptionDef } from "./interface.js";
import type { Param } from "./params.js";

export type Handler = (params: unknown, ...rest: unknown[]) => unknown;

/** A registered name. Subscribe and unsubscribe names of one subscription share one `SubscriptionEntry`. */
export type Entry =
  | { kind: "method"; unsafe: boolean; params: readonly Param<unknown>[] | undefined; handler: Handler }
  | { kind: "subscribe"; sub: SubscriptionEntry }
  | { kind: "unsubscribe"; sub: SubscriptionEntry };

export interface SubscriptionEntry {
  unsafe: boolean;
  notification: string;
  params: readonly Param<unknown>[] | undefined;
  handler: Handler;
}

export class MethodRegistry {
  private readonly entries = new Map<string, Entry>();
  private exposedNames: string[] | null = null;

  constructor(private readonly allowUnsafe: boolean) {}

  register<P extends readonly unknown[] = unknown[], T = unknown>(def: RpcDef<P, T>): void {
    if (def.kind === "subscription") this.registerSubscription(def as SubscriptionDef<P, T>);
    else this.registerMethod(def as MethodDef<P>);
    this.exposedNames = null;
  }

  /** The entry a call of `method` runs; undefined when no such name is exposed. */
  lookup(method: string): Entry | undefined {
    const entry = this.entries.get(method);
    return entry === undefined || !this.isExposed(entry) ? undefined : entry;
  }

  /** Exposed names, sorted: what `rpc_methods` answers. */
  methodNames(): string[] {
    if (this.exposedNames === null) {
      const names: string[] = [];
      for (const [name, entry] of this.entries) if (this.isExposed(entry)) names.push(name);
      this.exposedNames = names.sort();
    }
    return this.exposedNames;
  }

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

  private isExposed(entry: Entry): boolean {
    return this.allowUnsafe || !(entry.kind === "method" ? entry.unsafe : entry.sub.unsafe);
  }
}
