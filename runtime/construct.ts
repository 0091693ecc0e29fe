/**
 * The runtime assembled from its pallets: the outer `RuntimeCall`, `RuntimeEvent` and `RuntimeError` enums
 * (one variant per pallet, at the pallet's index), the dispatch table, and the event sink every pallet
 * deposits into.
 *
 * ## One runtime per chain, one per process
 * The pallets a runtime holds depend on its chain: the Sudo pallet exists only on a chain whose genesis
 * has a sudo key (the `dev` chain). Elsewhere `Sudo` is not in the call enum, the event enum or the
 * metadata, so a sudo extrinsic does not even decode ("unknown pallet"), exactly as on a FRAME runtime
 * built without `pallet_sudo`. `RuntimeOptions` says which runtime to build; `runtimeOptionsOf` in
 * `genesis/chainSpec.ts` derives it from a chain spec.
 *
 * A process runs one runtime. `buildRuntime(options)` builds it; calling it again with the same options
 * does nothing, with other options throws. Nothing is built at import: the first use (a dispatch, an
 * event, a codec of the outer enums, the metadata, genesis) builds the default runtime (no sudo) if no
 * runtime was built yet. So the node calls `buildRuntime(runtimeOptionsOf(spec))` before anything else,
 * the CLI's other commands and the bench take the default, and jest (which loads the modules afresh for
 * every test file) builds one runtime per test file: the default, or the dev runtime when the file's
 * first `TestRuntime` has a sudo key.
 */
import { type AnyTy, T, type Ty } from "../primitives/scale/types.js";
import { bindRuntimeCalls, type CallValue, RUNTIME_MODULE_NAME, setRuntimeBuilder } from "./frame/calls.js";
import type { Pallet } from "./frame/pallet.js";
import { Babe } from "./pallets/babe.js";
import { Balances } from "./pallets/balances.js";
import { ConvictionVoting } from "./pallets/convictionVoting/index.js";
import { Inference } from "./pallets/inference/index.js";
import { JobManager } from "./pallets/jobManager/index.js";
import { Offences } from "./pallets/offences.js";
import { Parameters } from "./pallets/parameters/index.js";
import { PoUW } from "./pallets/pouw/index.js";
import { Referenda } from "./pallets/referenda/index.js";
import { bindSessionManager, Session } from "./pallets/session.js";
import { Staking, stakingSessionManager } from "./pallets/staking/index.js";
import { Sudo } from "./pallets/sudo.js";
import { eventRecordTy, makeEventRecordTy, System } from "./pallets/system.js";
import { Timestamp } from "./pallets/timestamp.js";
import { TransactionPayment } from "./pallets/transactionPayment.js";
import { Utility } from "./pallets/utility.js";
import { WorkerRegistry } from "./pallets/workerRegistry.js";

export const RUNTIME_MODULE = RUNTIME_MODULE_NAME;

/** Which runtime a chain runs. */
export interface RuntimeOptions {
  /** Whether the runtime has the Sudo pallet: only a chain with a genesis sudo key (`dev`) does. */
  sudo: boolean;
}

/** The runtime of every chain without a sudo key. */
export const DEFAULT_RUNTIME_OPTIONS: RuntimeOptions = { sudo: false };

/**
 * Every pallet a runtime may hold, in index order but for `PoUW` and `Inference`; `Sudo` only when `RuntimeOptions.sudo`. Adding a
 * pallet here adds it to calls, events, errors, metadata and genesis.
 */
export const ALL_PALLETS: Pallet[] = [
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
  // Index 16, declared here: its hook checks a block's tickets after Babe's epoch change and before
  // the job manager's deadlines move jobs on, so against the state the gossip validator sees.
  PoUW,
  WorkerRegistry,
  JobManager,
  // Index 15, declared here: its hooks run with the job market's, before governance's.
  Inference,
  Parameters,
  ConvictionVoting,
  // Last: a referendum enacted in `on_initialize` sees every other pallet's state of this block.
  Referenda,
] as unknown as Pallet[];

interface BuiltRuntime {
  options: RuntimeOptions;
  pallets: Pallet[];
  withHooks: Pallet[];
  byName: Map<string, Pallet>;
  call: Ty<CallValue>;
  event: Ty<{ tag: string; value: unknown }>;
  error: Ty<{ tag: string; value: unknown }>;
  eventRecord: AnyTy;
}

let built: BuiltRuntime | undefined;

function outerEnum(pallets: Pallet[], name: string, pick: (p: Pallet) => AnyTy | undefined): AnyTy {
  const variants: Record<string, { index: number; fields: AnyTy }> = {};
  for (const p of pallets) {
    const ty = pick(p);
    if (ty) variants[p.name] = { index: p.index, fields: ty };
  }
  return T.enumeration(variants, { path: [RUNTIME_MODULE, name], docs: [] });
}

function describe(o: RuntimeOptions): string {
  return o.sudo ? "the dev runtime (with Sudo)" : "the runtime without Sudo";
}

/**
 * Builds this process's runtime and links its pallets: the outer enums, the call table that nested calls
 * (utility, sudo, referenda) dispatch through, each pallet's event sink, the event record type of
 * `System.Events`, and staking as the session manager. Idempotent for the same options; throws if the
 * process already runs another runtime (see the module docs).
 */
export function buildRuntime(options: RuntimeOptions = DEFAULT_RUNTIME_OPTIONS): void {
  if (built) {
    if (built.options.sudo !== options.sudo)
      throw new Error(
        `This process already runs ${describe(built.options)}; it cannot also run ${describe(options)} (one runtime per process)`,
      );
    return;
  }
  const pallets = ALL_PALLETS.filter((p) => p !== (Sudo as unknown as Pallet) || options.sudo);
  const call = outerEnum(pallets, "RuntimeCall", (p) => p.callTy) as Ty<CallValue>;
  const event = outerEnum(pallets, "RuntimeEvent", (p) => p.eventTy) as BuiltRuntime["event"];
  const byName = new Map(pallets.map((p) => [p.name, p]));
  built = {
    options: { ...options },
    pallets,
    withHooks: pallets.filter((p) => p.hooks.onInitialize || p.hooks.onFinalize),
    byName,
    call,
    event,
    error: outerEnum(pallets, "RuntimeError", (p) => p.errorTy) as BuiltRuntime["error"],
    eventRecord: makeEventRecordTy(event),
  };
  bindRuntimeCalls({ runtimeCall: call, lookup: (pallet, c) => byName.get(pallet)?.calls[c] });
  for (const p of pallets) p.connect((ext, palletName, ev) => ext.depositEvent({ tag: palletName, value: ev }));
  eventRecordTy.current = built.eventRecord as never;
  // Staking elects the validator sets that the session pallet rotates in.
  bindSessionManager(stakingSessionManager);
}

function current(): BuiltRuntime {
  if (!built) buildRuntime();
  return built!;
}

setRuntimeBuilder(() => {
  current();
});

/** The options of the runtime this process runs (building the default one if none was built yet). */
export function runtimeOptions(): RuntimeOptions {
  return { ...current().options };
}

/** The pallets of this process's runtime, in index order. */
export function runtimePallets(): readonly Pallet[] {
  return current().pallets;
}

/** The runtime's pallets that have `on_initialize` or `on_finalize` hooks, in index order. */
export function palletsWithHooks(): readonly Pallet[] {
  return current().withHooks;
}

export function palletByName(name: string): Pallet | undefined {
  return current().byName.get(name);
}

export const RuntimeCall = T.lazy(() => current().call, "RuntimeCall") as Ty<CallValue>;
export const RuntimeEvent = T.lazy(() => current().event, "RuntimeEvent") as BuiltRuntime["event"];
export const RuntimeError = T.lazy(() => current().error, "RuntimeError") as BuiltRuntime["error"];
export const EventRecord = T.lazy(() => current().eventRecord, "EventRecord");
