/**
 * # Utility pallet
 *
 * Dispatches several calls from one extrinsic. `batch` stops at the first failure (earlier calls stay
 * applied); `batch_all` is atomic; `force_batch` carries on past failures. Each inner call runs in its
 * own storage transaction, so a failed one leaves no writes behind.
 */
import { T } from "../../primitives/scale/types.js";
import { DispatchErrorTy } from "../../primitives/types.js";
import { type CallValue, callWeight, dispatchCall, RuntimeCallRef } from "../frame/calls.js";
import type { Origin } from "../frame/dispatch.js";
import { DispatchError, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";

export const Utility = pallet({
  name: "Utility",
  index: 4,
  module: "pallet_utility",
  docs: ["Batches of calls in one extrinsic."],
  constants: {
    batched_calls_limit: { type: T.u32, value: 10_922, docs: [" The limit on the number of batched calls."] },
  },
  events: {
    BatchInterrupted: {
      index: 0,
      fields: { index: T.u32, error: DispatchErrorTy },
      docs: [
        "Batch of dispatches did not complete fully. Index of first failing dispatch given, as",
        "well as the error.",
      ],
    },
    BatchCompleted: { index: 1, docs: ["Batch of dispatches completed fully with no error."] },
    BatchCompletedWithErrors: { index: 2, docs: ["Batch of dispatches completed but has errors."] },
    ItemCompleted: { index: 3, docs: ["A single item within a Batch of dispatches has completed with no error."] },
    ItemFailed: {
      index: 4,
      fields: { error: DispatchErrorTy },
      docs: ["A single item within a Batch of dispatches has completed with error."],
    },
  },
  errors: {
    TooManyCalls: { index: 0, docs: "Too many calls batched." },
  },
});

const MAX_BATCH = 10_922;
const batchWeight = ({ calls }: { calls: CallValue[] }) =>
  calls.reduce((w, c) => {
    const cw = callWeight(c);
    return weight(w.ref_time + cw.ref_time + 1_000_000n, w.proof_size + cw.proof_size);
  }, weight(1_000_000n));

function runItem(ext: Ext, origin: Origin, c: CallValue): DispatchError | undefined {
  try {
    ext.transactional(() => dispatchCall(ext, origin, c));
    return undefined;
  } catch (err) {
    if (err instanceof DispatchError) return err;
    throw err;
  }
}

Utility.defineCalls({
  batch: call({
    index: 0,
    args: { calls: T.vec(RuntimeCallRef) },
    docs: [
      "Send a batch of dispatch calls.",
      "",
      "May be called from any origin except `None`.",
      "",
      "This will return `Ok` in all circumstances. To determine the success of the batch, an",
      "event is deposited. If a call failed and the batch was interrupted, then the",
      "`BatchInterrupted` event is deposited, along with the number of successful calls made",
      "and the error of the failed call. If all were successful, then the `BatchCompleted`",
      "event is deposited.",
    ],
    weight: batchWeight,
    dispatch: (ext, origin, { calls }) => {
      if (calls.length > MAX_BATCH) throw Utility.error("TooManyCalls");
      for (let i = 0; i < calls.length; i++) {
        const err = runItem(ext, origin, calls[i]);
        if (err) {
          Utility.deposit(ext, { tag: "BatchInterrupted", value: { index: i, error: err.value } });
          return;
        }
        Utility.deposit(ext, { tag: "ItemCompleted" });
      }
      Utility.deposit(ext, { tag: "BatchCompleted" });
    },
  }),
  batch_all: call({
    index: 2,
    args: { calls: T.vec(RuntimeCallRef) },
    docs: [
      "Send a batch of dispatch calls and atomically execute them.",
      "The whole transaction will rollback and fail if any of the calls failed.",
    ],
    weight: batchWeight,
    dispatch: (ext, origin, { calls }) => {
      if (calls.length > MAX_BATCH) throw Utility.error("TooManyCalls");
      for (const c of calls) {
        dispatchCall(ext, origin, c);
        Utility.deposit(ext, { tag: "ItemCompleted" });
      }
      Utility.deposit(ext, { tag: "BatchCompleted" });
    },
  }),
  force_batch: call({
    index: 4,
    args: { calls: T.vec(RuntimeCallRef) },
    docs: ["Send a batch of dispatch calls.", "Unlike `batch`, it allows errors and won't interrupt."],
    weight: batchWeight,
    dispatch: (ext, origin, { calls }) => {
      if (calls.length > MAX_BATCH) throw Utility.error("TooManyCalls");
      let failed = false;
      for (const c of calls) {
        const err = runItem(ext, origin, c);
        if (err) {
          failed = true;
          Utility.deposit(ext, { tag: "ItemFailed", value: { error: err.value } });
        } else Utility.deposit(ext, { tag: "ItemCompleted" });
      }
      Utility.deposit(ext, { tag: failed ? "BatchCompletedWithErrors" : "BatchCompleted" });
    },
  }),
});
