/**
 * The parameters pallet on the dev runtime (the one with Sudo, as on the `dev` chain): the knob table,
 * `set_parameter`'s origin, ranges and rules (named errors, unchanged state root), resetting a knob to its
 * default, and the rule that a process runs one runtime.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { buildRuntime, runtimeOptions, runtimePallets } from "../../../runtime/construct.js";
import {
  ALL_KNOBS,
  GROUPS,
  inRange,
  JOB_MANAGER,
  knobByName,
  Parameters,
  param,
  REFERENDA,
  RELATIONS,
  setParameterCall,
} from "../../../runtime/pallets/parameters/index.js";
import { dev, moduleError, TestRuntime, UNIT } from "../../helpers/runtime.js";

// This file runs the dev runtime: its first runtime has a sudo key.
buildRuntime({ sudo: true });

beforeAll(async () => {
  await cryptoReady();
});

const ROOT = { kind: "root" as const };
const OK = { ok: true, outcome: { ok: true } };

function devRuntime(): TestRuntime {
  return TestRuntime.withBalances(
    ["Alice", "Bob"].map((n): [string, bigint] => [n, 1000n * UNIT]),
    "Alice",
  );
}

describe("the knob table", () => {
  it("every default lies in its range and keeps every rule; names and indices are unique", () => {
    for (const k of ALL_KNOBS) expect([k.qualified, inRange(k, k.defaultValue)]).toEqual([k.qualified, true]);
    const defaults = (k: (typeof ALL_KNOBS)[number]) => k.defaultValue;
    for (const r of RELATIONS) expect([r.docs, r.holds(defaults)]).toEqual([r.docs, true]);
    expect(new Set(ALL_KNOBS.map((k) => k.qualified)).size).toBe(ALL_KNOBS.length);
    for (const g of GROUPS) {
      const indices = Object.values(g.knobs).map((k) => k.index);
      expect(new Set(indices).size).toBe(indices.length);
    }
    expect(new Set(GROUPS.map((g) => g.index)).size).toBe(GROUPS.length);
    expect(knobByName("jobManager.worker_share_ppm")).toBe(JOB_MANAGER.worker_share_ppm);
    expect(knobByName("worker_share_ppm")).toBe(JOB_MANAGER.worker_share_ppm);
    expect(knobByName("nope")).toBeUndefined();
    // A bigint knob takes no number, and the other way round.
    expect(inRange(JOB_MANAGER.min_worker_stake, 5)).toBe(false);
    expect(inRange(JOB_MANAGER.worker_share_ppm, 5n)).toBe(false);
  });
});

describe("set_parameter", () => {
  it("takes Root only, and rejects out-of-range values and broken rules with a named error", () => {
    const rt = devRuntime();
    rt.assertNoop(
      { kind: "signed", who: dev("Alice").publicKey },
      setParameterCall(REFERENDA.decision_period, 5),
      "BadOrigin",
    );
    rt.assertNoop(ROOT, setParameterCall(REFERENDA.decision_period, 0), "Parameters.OutOfRange");
    rt.assertNoop(ROOT, setParameterCall(REFERENDA.min_approval_floor, 1_000_000_001), "Parameters.OutOfRange");
    // The support floor may not rise above its ceiling (25%).
    rt.assertNoop(ROOT, setParameterCall(REFERENDA.min_support_floor, 300_000_000), "Parameters.Inconsistent");
    rt.sudo(dev("Alice"), setParameterCall(REFERENDA.decision_period, 0));
    expect(rt.lastDispatchError()).toEqual(moduleError("Parameters", "OutOfRange"));
  });

  it("through sudo on the dev chain: Updated with the old and new values; None resets to the default", () => {
    const rt = devRuntime();
    expect(runtimeOptions()).toEqual({ sudo: true });
    expect(runtimePallets().map((p) => p.name)).toContain("Sudo");
    expect(rt.sudo(dev("Alice"), setParameterCall(REFERENDA.decision_period, 20))).toEqual(OK);
    expect(rt.lastDispatchError()).toBeUndefined();
    const value = (v: number) => ({ tag: "Referenda", value: { tag: "DecisionPeriod", value: v } });
    const key = { tag: "Referenda", value: { tag: "DecisionPeriod", value: {} } };
    expect(rt.eventsOf("Parameters")).toEqual([
      { tag: "Updated", value: { key, old_value: undefined, new_value: value(20) } },
    ]);
    rt.sudo(dev("Alice"), setParameterCall(REFERENDA.decision_period, 30));
    expect(rt.eventsOf("Parameters")).toEqual([
      { tag: "Updated", value: { key, old_value: value(20), new_value: value(30) } },
    ]);
    expect(rt.read((e) => param(e, REFERENDA.decision_period))).toBe(30);
    rt.sudo(dev("Alice"), setParameterCall(REFERENDA.decision_period, undefined));
    expect(rt.read((e) => param(e, REFERENDA.decision_period))).toBe(REFERENDA.decision_period.defaultValue);
    expect(rt.read((e) => Parameters.storage.Parameters.entries(e))).toEqual([]);
  });
});

describe("one runtime per process", () => {
  it("a second build with other options throws; the same options are a no-op", () => {
    expect(() => buildRuntime({ sudo: true })).not.toThrow();
    expect(() => buildRuntime({ sudo: false })).toThrow(/one runtime per process/);
    expect(() => buildRuntime()).toThrow(/one runtime per process/);
  });
});
