/**
 * # Timestamp pallet
 *
 * The block author sets the time once per block with the mandatory, unsigned `set` inherent. The runtime
 * never reads a clock: the time is an input of the block, checked only for monotonicity: at least the
 * minimum period (half the chain's slot duration, `Babe.SlotDuration`) after the previous block's.
 */
import { T } from "../../primitives/scale/types.js";
import { Moment } from "../../primitives/types.js";
import { MINIMUM_PERIOD_MS } from "../constants.js";
import { ensure, ensureNone, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageValue } from "../frame/storage.js";
import { slotDuration } from "./babe.js";

export const Timestamp = pallet({
  name: "Timestamp",
  index: 1,
  module: "pallet_timestamp",
  docs: ["The time of the current block, set by its author with an inherent."],
  storage: {
    Now: storageValue(Moment, { default: 0n, docs: [" The current time for the current block."] }),
    DidUpdate: storageValue(T.bool, {
      default: false,
      docs: [" Whether the timestamp has been updated in this block."],
    }),
  },
  constants: {
    MinimumPeriod: {
      type: Moment,
      value: MINIMUM_PERIOD_MS,
      docs: [
        " The minimum period between blocks.",
        "",
        " Half the default slot duration: the time between two consecutive blocks is at least twice this.",
        " A chain whose genesis sets `Babe.SlotDuration` uses half of that instead.",
      ],
    },
  },
  errors: {
    AlreadySet: { index: 0, docs: "The timestamp was already set in this block." },
    TooEarly: { index: 1, docs: "The timestamp is earlier than the previous one plus the minimum period." },
  },
});

Timestamp.defineCalls({
  set: call({
    index: 0,
    args: { now: T.compactU64 },
    docs: [
      "Set the current time.",
      "",
      "This call should be invoked exactly once per block. It will panic at the finalization",
      "phase, if this call hasn't been invoked by that time.",
      "",
      "The dispatch origin for this call must be _None_.",
    ],
    class: "Mandatory",
    weight: () => weight(10_000_000n),
    dispatch: (ext, origin, { now }) => {
      ensureNone(origin);
      ensure(!Timestamp.storage.DidUpdate.getOrDefault(ext), () => Timestamp.error("AlreadySet"));
      const prev = Timestamp.storage.Now.getOrDefault(ext);
      ensure(prev === 0n || now >= prev + minimumPeriod(ext), () => Timestamp.error("TooEarly"));
      Timestamp.storage.Now.put(ext, now);
      Timestamp.storage.DidUpdate.put(ext, true);
    },
  }),
});

/** The timestamp of the block whose state `ext` wraps, in ms since the Unix epoch (0 at genesis). */
export function now(ext: Ext): bigint {
  return Timestamp.storage.Now.getOrDefault(ext);
}

/** The least time between two block timestamps on this chain: half its slot duration. */
export function minimumPeriod(ext: Ext): bigint {
  return slotDuration(ext) / 2n;
}
