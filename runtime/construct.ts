/**
 * The runtime assembled from its pallets: the outer `RuntimeCall` and `RuntimeEvent` enums (one variant
 * per pallet, at the pallet's index), the dispatch table, and the event sink every pallet deposits into.
 * The enums are plain values; the links between pallets and the runtime are made by `buildRuntime()`.
 */
import { type AnyTy, T, type Ty } from "../primitives/scale/types.js";
import { bindRuntimeCalls, type CallValue } from "./frame/calls.js";
import type { Pallet } from "./frame/pallet.js";
import { Babe } from "./pallets/babe.js";
import { Balances } from "./pallets/balances.js";
import { JobManager } from "./pallets/jobManager/index.js";
import { Offences } from "./pallets/offences.js";
import { bindSessionManager, Session } from "./pallets/session.js";
import { Staking, stakingSessionManager } from "./pallets/staking/index.js";
import { Sudo } from "./pallets/sudo.js";
import { eventRecordTy, makeEventRecordTy, System } from "./pallets/system.js";
import { Timestamp } from "./pallets/timestamp.js";
import { TransactionPayment } from "./pallets/transactionPayment.js";
import { Utility } from "./pallets/utility.js";
import { WorkerRegistry } from "./pallets/workerRegistry.js";

export const RUNTIME_MODULE = "tensorchain_runtime";

/** In index order. Adding a pallet here adds it to calls, events, errors, metadata and genesis. */
export const PALLETS: Pallet[] = [
  System,
  Timestamp,
  Balances,
  TransactionPayment,
  Utility,
  Sudo,
  Session,
  Staking,
  Offences,
  // After Session: hooks run in this order, so at a session boundary Babe sees the new session index.
  Babe,
  WorkerRegistry,
  JobManager,
] as unknown as Pallet[];

function outerEnum(name: string, pick: (p: Pallet) => AnyTy | undefined, docs: string[]): AnyTy {
  const variants: Record<string, { index: number; fields: AnyTy }> = {};
  for (const p of PALLETS) {
    const ty = pick(p);
    if (ty) variants[p.name] = { index: p.index, fields: ty };
  }
  return T.enumeration(variants, { path: [RUNTIME_MODULE, name], docs });
}

export const RuntimeCall = outerEnum("RuntimeCall", (p) => p.callTy, []) as Ty<CallValue>;
export const RuntimeEvent = outerEnum("RuntimeEvent", (p) => p.eventTy, []) as Ty<{ tag: string; value: unknown }>;
export const RuntimeError = outerEnum("RuntimeError", (p) => p.errorTy, []) as Ty<{ tag: string; value: unknown }>;
export const EventRecord = makeEventRecordTy(RuntimeEvent);

const byName = new Map(PALLETS.map((p) => [p.name, p]));

let built = false;

/**
 * Links the pallets into this runtime: the call table that nested calls (utility, sudo) dispatch
 * through, each pallet's event sink, the event record type of `System.Events`, and staking as the
 * session manager. Every entry point that executes the runtime (node, CLI, bench, test setup) calls it
 * before anything else; it is idempotent.
 */
export function buildRuntime(): void {
  if (built) return;
  bindRuntimeCalls({
    runtimeCall: RuntimeCall,
    lookup: (pallet, call) => byName.get(pallet)?.calls[call],
  });
  for (const p of PALLETS) p.connect((ext, palletName, event) => ext.depositEvent({ tag: palletName, value: event }));
  eventRecordTy.current = EventRecord as never;
  // Staking elects the validator sets that the session pallet rotates in.
  bindSessionManager(stakingSessionManager);
  built = true;
}

export function palletByName(name: string): Pallet | undefined {
  return byName.get(name);
}
