/**
 * The runtime's call enum as seen from inside pallets. Pallets such as utility and sudo take calls as
 * arguments, but the enum of all calls only exists once the runtime is assembled; this module is the
 * late-bound link between the two, filled in by `buildRuntime()` (`construct.ts`).
 */
import type { AnyTy, Ty } from "../../primitives/scale/types.js";
import { T } from "../../primitives/scale/types.js";
import type { WeightValue } from "../../primitives/types.js";
import { DispatchError, type Origin } from "./dispatch.js";
import type { Ext } from "./ext.js";
import type { CallDecl } from "./pallet.js";

/** The Rust-style module of the runtime's own types (`tensorchain_runtime::RuntimeCall`). */
export const RUNTIME_MODULE_NAME = "tensorchain_runtime";

/** `{ tag: "Balances", value: { tag: "transfer_keep_alive", value: { dest, value } } }` */
export interface CallValue {
  tag: string;
  value: { tag: string; value: Record<string, unknown> };
}

interface Bound {
  runtimeCall: Ty<CallValue>;
  lookup(pallet: string, call: string): CallDecl | undefined;
}

let bound: Bound | undefined;
let builder: (() => void) | undefined;

export function bindRuntimeCalls(b: Bound): void {
  bound = b;
}

/** Registered by `construct.ts`: builds the default runtime on first use if none was built. */
export function setRuntimeBuilder(build: () => void): void {
  builder = build;
}

/** Makes sure this process's runtime is built (the default one if `buildRuntime` was not called). */
export function ensureRuntime(): void {
  if (bound) return;
  if (!builder) throw new Error("The runtime has not been built: import runtime/index.js and call buildRuntime()");
  builder();
}

function get(): Bound {
  ensureRuntime();
  return bound!;
}

/** The runtime's `RuntimeCall` type, usable in declarations before the runtime exists. */
export const RuntimeCallRef: Ty<CallValue> = T.lazy(() => get().runtimeCall, "RuntimeCall") as Ty<CallValue>;
export type { AnyTy };

export function callDecl(c: CallValue): CallDecl {
  const decl = get().lookup(c.tag, c.value.tag);
  if (!decl) throw new DispatchError({ tag: "Other" }, `Unknown call ${c.tag}.${c.value.tag}`);
  return decl;
}

export function callWeight(c: CallValue): WeightValue {
  return callDecl(c).weight(c.value.value);
}

export function callClass(c: CallValue): "Normal" | "Operational" | "Mandatory" {
  return callDecl(c).class ?? "Normal";
}

export function dispatchCall(ext: Ext, origin: Origin, c: CallValue): void {
  callDecl(c).dispatch(ext, origin, c.value.value);
}
