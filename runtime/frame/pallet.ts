/**
 * A pallet is declared once: storage, constants, events, errors, calls, hooks and genesis. From that one
 * declaration come its storage keys, its codecs, its entries in the dispatch table and its metadata.
 *
 *   export const Balances = pallet({ name: "Balances", index: 2, module: "pallet_balances", storage: {…}, events: {…}, errors: {…} });
 *   Balances.defineCalls({ transfer_allow_death: call({ index: 0, args: {…}, weight: …, dispatch(ext, origin, args) {…} }) });
 */
import type { AnyTy, Ty, TyValue, VariantDecl } from "../../primitives/scale/types.js";
import { T } from "../../primitives/scale/types.js";
import type { WeightValue } from "../../primitives/types.js";
import type { TransactionSource, ValidTransaction } from "../validity.js";
import { ensureRuntime } from "./calls.js";
import { DispatchError, type Origin } from "./dispatch.js";
import type { Ext } from "./ext.js";
import type { StorageMap, StorageValue } from "./storage.js";

type StructTys = Record<string, AnyTy>;
type StructValue<F extends StructTys> = { [K in keyof F]: TyValue<F[K]> };

// biome-ignore lint/suspicious/noExplicitAny: constants and calls of every type live in one record.
type AnyDecl = any;

export interface ConstantDecl<V = AnyDecl> {
  type: Ty<V>;
  value: V;
  docs: string[];
}

export interface EventDecl {
  index: number;
  fields?: StructTys;
  docs: string[];
}

export interface ErrorDecl {
  index: number;
  docs: string;
}

export interface CallDecl<A extends StructTys = AnyDecl> {
  index: number;
  args: A;
  docs: string[];
  /** Weight charged for the call; it is what the fee is computed from. */
  weight: (args: StructValue<A>) => WeightValue;
  /** Operational calls get a reserved part of the block; mandatory ones (inherents) always fit. */
  class?: "Normal" | "Operational" | "Mandatory";
  /** Checks the origin, then the preconditions, then writes. Throws `DispatchError` on failure. */
  dispatch(ext: Ext, origin: Origin, args: StructValue<A>): void;
}

/** Declares a call with its argument types inferred. */
export function call<A extends StructTys>(decl: CallDecl<A>): CallDecl<A> {
  return decl;
}

export interface Hooks {
  onInitialize?(ext: Ext, blockNumber: number): WeightValue;
  onFinalize?(ext: Ext, blockNumber: number): void;
}

/** One of a pallet's calls: `{ tag: call name, value: args }`. */
export interface PalletCall {
  tag: string;
  value: AnyDecl;
}

/**
 * FRAME's `ValidateUnsigned`: how a pallet accepts calls that arrive without a signature (and are not
 * inherents). Both methods only read, and reject by throwing an `InvalidTransactionError`.
 */
export interface ValidateUnsigned {
  /** Pool validity (`validate_unsigned`): full checks, tags, priority, longevity. */
  validate(ext: Ext, source: TransactionSource, call: PalletCall): ValidTransaction;
  /** The cheap check before the call is applied in a block (`pre_dispatch`); dispatch re-checks the rest. */
  preDispatch(ext: Ext, call: PalletCall): void;
}

// biome-ignore lint/suspicious/noExplicitAny: storage items of any key and value type.
type AnyStorage = StorageValue<any> | StorageMap<any, any>;

export interface PalletDecl<
  S extends Record<string, AnyStorage>,
  E extends Record<string, EventDecl>,
  Er extends Record<string, ErrorDecl>,
> {
  name: string;
  index: number;
  /** The Rust-style module path used in type paths, e.g. `pallet_balances`. */
  module: string;
  docs?: string[];
  storage?: S;
  constants?: Record<string, ConstantDecl>;
  events?: E;
  errors?: Er;
}

export type EventValue<E extends Record<string, EventDecl>> = {
  [K in keyof E]: E[K]["fields"] extends StructTys
    ? { tag: K; value: StructValue<E[K]["fields"]> }
    : { tag: K; value?: undefined };
}[keyof E];

/** Registered by `buildRuntime()`: wraps a pallet event into the runtime's event enum. */
export type EventSink = (ext: Ext, palletName: string, event: unknown) => void;

export class Pallet<
  S extends Record<string, AnyStorage> = Record<string, AnyStorage>,
  E extends Record<string, EventDecl> = Record<string, EventDecl>,
  Er extends Record<string, ErrorDecl> = Record<string, ErrorDecl>,
> {
  readonly name: string;
  readonly index: number;
  readonly module: string;
  readonly docs: string[];
  readonly storage: S;
  readonly constants: Record<string, ConstantDecl>;
  readonly eventDecls: E;
  readonly errorDecls: Er;
  readonly eventTy: AnyTy | undefined;
  readonly errorTy: AnyTy | undefined;
  calls: Record<string, CallDecl> = {};
  callTy: AnyTy | undefined;
  hooks: Hooks = {};
  validateUnsigned: ValidateUnsigned | undefined;
  private connected = false;
  private sink: EventSink = (ext, palletName, event) => {
    // The first event of a process may come before anything else built the runtime.
    ensureRuntime();
    if (!this.connected) throw new Error(`Pallet ${this.name} is not part of this process's runtime`);
    this.sink(ext, palletName, event);
  };

  constructor(decl: PalletDecl<S, E, Er>) {
    this.name = decl.name;
    this.index = decl.index;
    this.module = decl.module;
    this.docs = decl.docs ?? [];
    this.storage = decl.storage ?? ({} as S);
    this.constants = decl.constants ?? {};
    this.eventDecls = decl.events ?? ({} as E);
    this.errorDecls = decl.errors ?? ({} as Er);
    for (const [name, item] of Object.entries(this.storage)) item.bind(this.name, name);
    this.eventTy =
      Object.keys(this.eventDecls).length > 0
        ? T.enumeration(
            mapEntries(this.eventDecls, (d): VariantDecl => ({ index: d.index, fields: d.fields, docs: d.docs })),
            { path: [this.module, "pallet", "Event"], docs: ["The `Event` enum of this pallet"] },
          )
        : undefined;
    this.errorTy =
      Object.keys(this.errorDecls).length > 0
        ? T.enumeration(
            mapEntries(this.errorDecls, (d): VariantDecl => ({ index: d.index, docs: [d.docs] })),
            { path: [this.module, "pallet", "Error"], docs: ["The `Error` enum of this pallet."] },
          )
        : undefined;
  }

  defineCalls(calls: Record<string, CallDecl>): this {
    this.calls = calls;
    this.callTy = T.enumeration(
      mapEntries(calls, (c): VariantDecl => ({ index: c.index, fields: c.args, docs: c.docs })),
      {
        path: [this.module, "pallet", "Call"],
        docs: ["Contains a variant per dispatchable extrinsic that this pallet has."],
      },
    );
    return this;
  }

  defineHooks(hooks: Hooks): this {
    this.hooks = hooks;
    return this;
  }

  defineValidateUnsigned(v: ValidateUnsigned): this {
    this.validateUnsigned = v;
    return this;
  }

  /** Wired by the runtime: where `deposit` sends this pallet's events. */
  connect(sink: EventSink): void {
    this.sink = sink;
    this.connected = true;
  }

  deposit(ext: Ext, event: EventValue<E>): void {
    this.sink(ext, this.name, event);
  }

  /** The dispatch error for one of this pallet's error variants. */
  error(name: keyof Er & string): DispatchError {
    const decl = this.errorDecls[name];
    if (!decl) throw new Error(`Unknown error ${this.name}.${name}`);
    return new DispatchError(
      { tag: "Module", value: { index: this.index, error: new Uint8Array([decl.index, 0, 0, 0]) } },
      `${this.name}.${name}`,
    );
  }
}

export function pallet<
  S extends Record<string, AnyStorage>,
  E extends Record<string, EventDecl>,
  Er extends Record<string, ErrorDecl>,
>(decl: PalletDecl<S, E, Er>): Pallet<S, E, Er> {
  return new Pallet(decl);
}

function mapEntries<A, B>(obj: Record<string, A>, f: (a: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = f(v);
  return out;
}
