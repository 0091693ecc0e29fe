/**
 * # Parameters pallet
 *
 * ## Overview
 * One typed store for every economic and ML knob of the chain (FRAME's `pallet-parameters`): the job
 * manager's shares, fees, slash fractions, least stake and phase bounds; the worker registry's least
 * stake, heartbeat timeout and unbonding period; staking's validator count, slash fraction and least
 * validator bond; the governance periods, deposits and curves of `referenda` and `convictionVoting`;
 * the inference pallet's slash fraction, fee and windows.
 * The pallets read their knobs from here (`param`); only Root changes them (`set_parameter`), which on
 * every chain but `dev` means an approved referendum.
 *
 * ## Terminology
 * - Knob: one parameter, declared once in `knobs.ts` with its type, default, inclusive range and docs.
 *   `tensorchain params` lists them all with their values.
 * - Key and value: as FRAME's `dynamic_params` aggregates them. `RuntimeParametersKey::JobManager(
 *   ParametersKey::WorkerSharePpm(WorkerSharePpm))` names a knob, `RuntimeParametersValue::JobManager(
 *   ParametersValue::WorkerSharePpm(u32))` holds its value, and `set_parameter` takes
 *   `RuntimeParameters::JobManager(Parameters::WorkerSharePpm((WorkerSharePpm, Option<u32>)))`: `None`
 *   removes the stored value, so the knob is back at its default. (FRAME's variant has the key and the
 *   value as two fields; here they are one tuple field, which encodes to the same bytes.)
 * - Relation: a rule between knobs (`RELATIONS`), such as "the worker and evaluator shares together at
 *   most 100%"; checked with the new value in place whenever one of its knobs is set.
 *
 * ## Assumptions
 * A knob absent from storage has its default; genesis stores the values a chain spec sets. Reading a
 * knob costs one storage read. A new value applies from the next read: a job settles with the shares
 * in force at settlement, a referendum is timed with the periods in force when it is next serviced.
 */
import { type AnyTy, T, type Ty } from "../../../primitives/scale/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT } from "../../constants.js";
import { RUNTIME_MODULE_NAME } from "../../frame/calls.js";
import { ensure, ensureRoot, weight } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { call, pallet } from "../../frame/pallet.js";
import { storageMap } from "../../frame/storage.js";
import { ALL_KNOBS, type AnyKnob, GROUPS, type Knob, knobByName, RELATIONS } from "./knobs.js";

export * from "./knobs.js";

const RT = RUNTIME_MODULE_NAME;

/** `{ tag: "JobManager", value: { tag: "WorkerSharePpm", value: X } }` */
export interface GroupValue<X> {
  tag: string;
  value: { tag: string; value: X };
}
export type ParameterKey = GroupValue<Record<string, never>>;
export type ParameterValue = GroupValue<number | bigint>;
export type ParameterKeyValue = GroupValue<[Record<string, never>, number | bigint | undefined]>;

function aggregated<X>(name: string, per: (g: (typeof GROUPS)[number]) => AnyTy): Ty<GroupValue<X>> {
  const variants: Record<string, { index: number; fields: AnyTy }> = {};
  for (const g of GROUPS) variants[g.name] = { index: g.index, fields: per(g) };
  return T.enumeration(variants, { path: [RT, name] }) as unknown as Ty<GroupValue<X>>;
}

const keyStructs = new Map<AnyKnob, Ty<Record<string, never>>>(
  ALL_KNOBS.map((k) => {
    const g = GROUPS.find((x) => x.name === k.group)!;
    return [k, T.struct({}, { path: [RT, "dynamic_params", g.module, k.variant], docs: [k.docs] })];
  }),
);

function groupEnum(g: (typeof GROUPS)[number], name: string, fields: (k: AnyKnob) => AnyTy): AnyTy {
  const variants: Record<string, { index: number; fields: AnyTy; docs: string[] }> = {};
  for (const k of Object.values(g.knobs)) variants[k.variant] = { index: k.index, fields: fields(k), docs: [k.docs] };
  return T.enumeration(variants, { path: [RT, "dynamic_params", g.module, name] });
}

export const RuntimeParametersKey = aggregated<Record<string, never>>("RuntimeParametersKey", (g) =>
  groupEnum(g, "ParametersKey", (k) => keyStructs.get(k)!),
);
export const RuntimeParametersValue = aggregated<number | bigint>("RuntimeParametersValue", (g) =>
  groupEnum(g, "ParametersValue", (k) => k.type),
);
export const RuntimeParameters = aggregated<[Record<string, never>, number | bigint | undefined]>(
  "RuntimeParameters",
  (g) => groupEnum(g, "Parameters", (k) => T.tuple(keyStructs.get(k)!, T.option(k.type as AnyTy))),
);

export const Parameters = pallet({
  name: "Parameters",
  index: 12,
  module: "pallet_parameters",
  docs: ["Every economic and ML knob of the chain, each in its documented range; set by Root."],
  storage: {
    Parameters: storageMap("Blake2_128Concat", RuntimeParametersKey, RuntimeParametersValue, {
      docs: [" Stored parameters."],
    }),
  },
  events: {
    Updated: {
      index: 0,
      fields: {
        key: RuntimeParametersKey,
        old_value: T.option(RuntimeParametersValue),
        new_value: T.option(RuntimeParametersValue),
      },
      docs: ["A Parameter was set.", "", "Is also emitted when the value was not changed."],
    },
  },
  errors: {
    OutOfRange: { index: 0, docs: "The value is outside the parameter's documented range (`tensorchain params`)." },
    Inconsistent: {
      index: 1,
      docs: "The value breaks a rule between parameters (shares at most 100% together, a minimum at most its maximum).",
    },
  },
});

const S = Parameters.storage;

/** The storage key of `knob`. */
export function keyOf(knob: AnyKnob): ParameterKey {
  return { tag: knob.group, value: { tag: knob.variant, value: {} } };
}

function knobOf(key: { tag: string; value: { tag: string } }): AnyKnob {
  const k = ALL_KNOBS.find((x) => x.group === key.tag && x.variant === key.value.tag);
  if (!k) throw new Error(`Unknown parameter ${key.tag}.${key.value.tag}`);
  return k;
}

/** The value of `knob`: the stored one, or its default. */
export function param<V extends number | bigint>(ext: Ext, knob: Knob<V>): V {
  const stored = S.Parameters.get(ext, keyOf(knob as unknown as AnyKnob));
  return stored === undefined ? knob.defaultValue : (stored.value.value as V);
}

/** Whether `value` lies in `knob`'s range (and is of its kind: a number for `u32`, a bigint for amounts). */
export function inRange(knob: AnyKnob, value: number | bigint): boolean {
  if (typeof value !== typeof knob.defaultValue) return false;
  return value >= knob.min && value <= knob.max;
}

/** Whether every relation involving `knob` holds with `value` in its place. */
function consistent(ext: Ext, knob: AnyKnob, value: number | bigint): boolean {
  const get = (k: AnyKnob) => (k === knob ? value : param<number | bigint>(ext, k as Knob<number | bigint>));
  return RELATIONS.every((r) => !r.knobs.includes(knob) || r.holds(get));
}

/** Every knob with its value and whether it is stored (set by genesis or governance) or the default. */
export function allParameters(ext: Ext): { knob: AnyKnob; value: number | bigint; stored: boolean }[] {
  return ALL_KNOBS.map((knob) => {
    const stored = S.Parameters.get(ext, keyOf(knob));
    return { knob, value: stored === undefined ? knob.defaultValue : stored.value.value, stored: stored !== undefined };
  });
}

const RELATION_READS = BigInt(Math.max(...RELATIONS.map((r) => r.knobs.length)));

Parameters.defineCalls({
  set_parameter: call({
    index: 0,
    args: { key_value: RuntimeParameters },
    docs: [
      "Set the value of a parameter.",
      "",
      "The dispatch origin of this call must be `Root`. A value must lie in the parameter's",
      "range and keep every rule between parameters; `None` resets it to its default.",
    ],
    weight: () => weight(DB_READ_WEIGHT * (1n + RELATION_READS) + DB_WRITE_WEIGHT),
    dispatch: (ext, origin, { key_value }) => {
      ensureRoot(origin);
      const knob = knobOf(key_value);
      const next = key_value.value.value[1];
      if (next !== undefined) ensure(inRange(knob, next), () => Parameters.error("OutOfRange"));
      ensure(consistent(ext, knob, next ?? knob.defaultValue), () => Parameters.error("Inconsistent"));
      // No errors allowed after this point.
      const key = keyOf(knob);
      const old_value = S.Parameters.get(ext, key);
      const new_value = next === undefined ? undefined : { tag: knob.group, value: { tag: knob.variant, value: next } };
      if (new_value === undefined) S.Parameters.remove(ext, key);
      else S.Parameters.insert(ext, key, new_value);
      Parameters.deposit(ext, { tag: "Updated", value: { key, old_value, new_value } });
    },
  }),
});

/** The `set_parameter` call setting `knob` to `value` (`undefined`: back to its default). */
export function setParameterCall(knob: AnyKnob, value: number | bigint | undefined) {
  return {
    tag: "Parameters",
    value: {
      tag: "set_parameter",
      value: { key_value: { tag: knob.group, value: { tag: knob.variant, value: [{}, value] } } },
    },
  };
}

/**
 * Genesis: stores the values a chain spec sets, by qualified name (`referenda.decision_period`). Throws
 * on an unknown name, a value of the wrong kind, out of its range, or breaking a relation.
 */
export function buildParametersGenesis(ext: Ext, values: Record<string, number | bigint>): void {
  const chosen = new Map<AnyKnob, number | bigint>();
  for (const [name, raw] of Object.entries(values)) {
    const knob = knobByName(name);
    if (!knob) throw new Error(`Genesis: parameters: unknown parameter ${name}`);
    const value = typeof knob.defaultValue === "bigint" ? BigInt(raw) : Number(raw);
    if (typeof value === "number" && !Number.isSafeInteger(value))
      throw new Error(`Genesis: parameters: ${knob.qualified} must be an integer`);
    if (!inRange(knob, value))
      throw new Error(`Genesis: parameters: ${knob.qualified} = ${value} is outside ${knob.min}..=${knob.max}`);
    chosen.set(knob, value);
  }
  const get = (k: AnyKnob) => chosen.get(k) ?? param<number | bigint>(ext, k as Knob<number | bigint>);
  for (const r of RELATIONS)
    if (r.knobs.some((k) => chosen.has(k)) && !r.holds(get)) throw new Error(`Genesis: parameters: ${r.docs}`);
  for (const [knob, value] of chosen)
    S.Parameters.insert(ext, keyOf(knob), { tag: knob.group, value: { tag: knob.variant, value } });
}
