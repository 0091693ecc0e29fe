/**
 * BABE slot claims for the slot worker: each slot, the node's `babe` keys try the VRF lottery of the
 * epoch that the parent's runtime gives the next block.
 *
 * In tensorchain an epoch is a session (`SESSION_LENGTH` blocks, counted by block number, not by slot):
 * block `n` on a parent uses epoch index `sessionIndexAt(n)`, the authorities of the parent's session if
 * `n` is in it or else of the next one, and the matching randomness (`RuntimeView.babeEpoch`). The slot
 * window of an epoch is unbounded (slots only need to increase).
 */
import { babeSlotClaimer, headerSlot } from "../../consensus/babe/index.js";
import type { KeyPair } from "../../primitives/crypto/index.js";
import type { Chain } from "../chain/chain.js";
import type { BlockRef } from "../chain/types.js";
import type { Keystore } from "../keystore.js";
import type { SlotWorkerModules } from "./slotWorker.js";

/** The slot worker's `claimSlot` for the node's `babe` keys, with the epoch from the parent's runtime. */
export function babeClaimSlot(chain: Chain, keystore: Keystore): SlotWorkerModules["claimSlot"] {
  const keys = (): KeyPair[] =>
    keystore
      .publicKeys("babe")
      .map((pk) => keystore.get("babe", pk))
      .filter((k): k is KeyPair => k !== undefined);
  return babeSlotClaimer<BlockRef>({
    // Claims are synchronous: a parent whose state is not in memory (never the best block) is skipped.
    epochAt: (_slot, parent) => chain.runtimeInMemory(parent.hash)?.babeEpoch(parent.number + 1),
    keys,
    parentSlot: (parent) => (parent.number === 0 ? undefined : headerSlot(parent.header)),
    // A key disabled by an offence claims nothing: the runtime and every honest node reject its blocks.
    disabledAt: (parent) => chain.runtimeInMemory(parent.hash)?.disabledAuthorities(parent.number + 1) ?? [],
  });
}
