/**
 * # Timestamp pallet
 *
 * The block author sets the time once per block with the mandatory, unsigned `set` inherent. The runtime
 * never reads a clock: the time is an input of the block, checked only for monotonicity.
 */
import { T } from "../../primitives/scale/types.js";
import { Moment } from "../../primitives/types.js";
import { MINIMUM_PERIOD_MS } from "../constants.js";
import { ensure, ensureNone, weight } from "../frame/dispatch.js";
import { call, pallet } from "../frame/pallet.js";
import { storageValue } from "../frame/storage.js";

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
        " Half the slot duration: the time between two consecutive blocks is at least twice this.",
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
      ensure(prev === 0n || now >= prev + MINIMUM_PERIOD_MS, () => Timestamp.error("TooEarly"));
      Timestamp.storage.Now.put(ext, now);
      Timestamp.storage.DidUpdate.put(ext, true);
    },
  }),
});
