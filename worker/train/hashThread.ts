/**
 * Entry point of a state-hasher thread (see `hashPool.ts`). Hasher `index` of `count` hashes the jobs
 * index, index + count, index + 2·count, … in order: it waits on the control block for the job to be
 * posted, streams the job's ring slot through a `StateFrame` (the canonical framing, so the hash is the
 * one `StateHasher` gives), writes the 32 bytes into the job's result slot and then publishes the job
 * as done. Signalling is by Atomics only, no messages per step.
 */
import { parentPort, workerData } from "node:worker_threads";
import { CONTROL, type HasherInit, slotOffsets } from "./hashPool.js";
import { StateFrame } from "./stateHash.js";

/** How long one wait lasts before the stop flag is looked at again (a stop also notifies). */
const WAIT_SLICE_MS = 200;

async function main(init: HasherInit): Promise<void> {
  const control = new Int32Array(init.control);
  const results = new Uint8Array(init.results);
  const frame = await StateFrame.create(init.layout);
  const offsets = slotOffsets(frame.layout);
  const views = init.slots.map((sab) => frame.layout.map((t, i) => new Uint8Array(sab, offsets[i], t.byteLength)));
  parentPort!.postMessage("ready");
  const ring = init.slots.length;
  for (let job = init.index; ; job += init.count) {
    for (;;) {
      if (Atomics.load(control, CONTROL.stop) !== 0) return;
      const posted = Atomics.load(control, CONTROL.posted);
      if (posted > job) break;
      Atomics.wait(control, CONTROL.posted, posted, WAIT_SLICE_MS);
    }
    const slot = job % ring;
    results.set(frame.hash(views[slot]), slot * 32);
    Atomics.store(control, CONTROL.done + slot, job + 1);
    Atomics.notify(control, CONTROL.done + slot);
  }
}

main(workerData as HasherInit).catch((e) => parentPort!.postMessage({ error: (e as Error).message }));
