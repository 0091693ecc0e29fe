/**
 * Which epoch a slot belongs to on a given fork. As in BABE, the first block of epoch n announces
 * epoch n + 1 (`Consensus(b"BABE", NextEpochData)`), so each block knows its current and next epoch;
 * a child in a later epoch moves on. Epochs skipped entirely (no block at all in them) reuse the
 * parameters of the last announced epoch with the new index and start slot, as Substrate does.
 *
 * Pure and in memory: the node imports every verified block here and forgets pruned or long-finalized
 * ones.
 */
import { toHex } from "../../primitives/hex.js";
import type { NextEpochDescriptorValue } from "./digests.js";
import { type BabeEpoch, epochEndSlot, nextEpoch } from "./epoch.js";
import { BabeError } from "./errors.js";

interface Entry {
  current: BabeEpoch;
  next: BabeEpoch;
}

export class EpochChanges {
  private readonly entries = new Map<string, Entry>();

  /**
   * `genesis` is epoch 0 (from the chain spec, starting at the chain's first slot); epoch 1 has the same
   * authorities and randomness.
   */
  constructor(genesisHash: Uint8Array, genesis: BabeEpoch) {
    this.entries.set(toHex(genesisHash), {
      current: genesis,
      next: { ...genesis, epochIndex: genesis.epochIndex + 1n, startSlot: epochEndSlot(genesis) },
    });
  }

  /** The epoch a child of `parentHash` at `slot` must be verified against; undefined for an unknown parent. */
  epochFor(parentHash: Uint8Array, slot: bigint): BabeEpoch | undefined {
    const e = this.entries.get(toHex(parentHash));
    if (!e) return undefined;
    if (slot < epochEndSlot(e.current)) return slot >= e.current.startSlot ? e.current : undefined;
    if (slot < epochEndSlot(e.next)) return e.next;
    // Whole epochs without blocks: reuse the next epoch's parameters at the right index.
    const skipped = (slot - e.next.startSlot) / e.next.duration;
    return {
      ...e.next,
      epochIndex: e.next.epochIndex + skipped,
      startSlot: e.next.startSlot + skipped * e.next.duration,
    };
  }

  /**
   * Records a verified block. The first block of an epoch must carry the next epoch's descriptor
   * (`findNextEpochDescriptor(header)`); throws `BABE_ERROR_BAD_EPOCH` otherwise.
   */
  importBlock(
    hash: Uint8Array,
    parentHash: Uint8Array,
    slot: bigint,
    announced: NextEpochDescriptorValue | undefined,
  ): BabeEpoch {
    const parent = this.entries.get(toHex(parentHash));
    if (!parent) throw new BabeError({ code: "BABE_ERROR_BAD_EPOCH", reason: "unknown parent" });
    const epoch = this.epochFor(parentHash, slot);
    if (!epoch)
      throw new BabeError({ code: "BABE_ERROR_BAD_EPOCH", reason: `slot ${slot} is before the parent's epoch` });
    if (epoch.epochIndex === parent.current.epochIndex) {
      this.entries.set(toHex(hash), parent);
      return epoch;
    }
    if (!announced)
      throw new BabeError({
        code: "BABE_ERROR_BAD_EPOCH",
        reason: "the first block of an epoch must announce the next one",
      });
    this.entries.set(toHex(hash), { current: epoch, next: nextEpoch(epoch, announced) });
    return epoch;
  }

  has(hash: Uint8Array): boolean {
    return this.entries.has(toHex(hash));
  }

  /** Drops blocks the node no longer needs (pruned forks, finalized ancestors of the finalized block). */
  forget(hashes: Uint8Array[]): void {
    for (const h of hashes) this.entries.delete(toHex(h));
  }
}
