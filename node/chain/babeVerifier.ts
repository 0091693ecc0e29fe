/**
 * The BABE check of a block's header before import: the epoch and the disabled authorities come from
 * the parent's runtime, the parent's slot from its header, the time from the local clock. Valid headers are also recorded by
 * (slot, author), so that a second header for one slot by one author becomes equivocation evidence.
 */
import { headerSlot, SlotEquivocationDetector, type VerifiedHeader, verifyHeader } from "../../consensus/babe/index.js";
import type { EquivocationEvidenceValue } from "../../consensus/equivocation.js";
import { toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { HeaderValue } from "../../primitives/types.js";
import { DEFAULT_SLOT_DURATION_MS } from "../../runtime/pallets/babe.js";
import type { Chain } from "./chain.js";

/**
 * The default slot duration (the runtime's `ExpectedBlockTime`). A node uses its chain's own, read with
 * `RuntimeView.slotDuration`: it is fixed at genesis by the chain spec.
 */
export const BABE_SLOT_DURATION_MS = Number(DEFAULT_SLOT_DURATION_MS);

export interface BabeOptions {
  slotDurationMs: number;
  /** How many slots a header may be ahead of the local clock. */
  maxDriftSlots: number;
}

export const defaultBabeOptions: BabeOptions = { slotDurationMs: BABE_SLOT_DURATION_MS, maxDriftSlots: 2 };

export interface BabeVerifierModules {
  chain: Chain;
  logger: Logger;
  now(): number;
  /** Receives the evidence of each slot equivocation (the node's offence reporter). */
  reportEquivocation?(evidence: EquivocationEvidenceValue): void;
}

/**
 * Checks a block's BABE header against its parent (which must be known). Throws a `BabeError`. Hands the
 * evidence of each slot equivocation to `reportEquivocation`.
 */
export class BabeVerifier {
  private readonly equivocations = new SlotEquivocationDetector();

  constructor(
    private readonly opts: BabeOptions,
    private readonly modules: BabeVerifierModules,
  ) {}

  async verify(header: HeaderValue, parent: HeaderValue): Promise<VerifiedHeader> {
    const parentRuntime = await this.modules.chain.runtimeAt(header.parentHash);
    const verified = verifyHeader(header, {
      now: this.modules.now(),
      slotDurationMs: this.opts.slotDurationMs,
      maxDriftSlots: this.opts.maxDriftSlots,
      epoch: parentRuntime.babeEpoch(header.number),
      parentSlot: headerSlot(parent),
      disabledAuthorities: parentRuntime.disabledAuthorities(header.number),
    });
    const proof = this.equivocations.check(header, { slot: verified.slot, author: verified.author });
    if (proof) {
      this.modules.logger.warn("Slot equivocation detected", {
        slot: verified.slot.toString(),
        offender: toHex(verified.author),
      });
      this.modules.reportEquivocation?.({ tag: "Babe", value: proof });
    }
    return verified;
  }
}
