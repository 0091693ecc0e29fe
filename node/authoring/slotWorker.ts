/**
 * A slot worker in the manner of Substrate's `SimpleSlotWorker`: at every slot, claim -> propose ->
 * seal -> import. The dev chain's claim is trivial (its one authority owns every slot); the real
 * leader election replaces `claimSlot` without touching the rest.
 */
import { T } from "../../primitives/scale/types.js";
import type { DigestItemValue } from "../../primitives/types.js";
import type { Chain } from "../chain/chain.js";
import { hashHeader } from "../chain/chain.js";
import type { RuntimeView } from "../chain/runtimeView.js";
import type { BlockRef } from "../chain/types.js";
import type { LoopPriority } from "../loopPriority.js";
import { type Proposal, type ProposerModules, propose } from "./proposer.js";

export const AURA_ENGINE_ID = new TextEncoder().encode("aura");

export interface Signer {
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export interface SlotClaim {
  preDigest: DigestItemValue[];
  signer: Signer;
  /** The seal digest item for the pre-seal header hash; an Aura-style seal by `signer` when absent. */
  seal?(preHash: Uint8Array): DigestItemValue;
}

export interface SlotWorkerOptions {
  slotDurationMs: number;
  /**
   * Finalize each own block (the dev chain has no finality gadget) this many ms after importing it, or
   * never when undefined. A short delay lets clients see `InBlock` before `Finalized`: @polkadot/api
   * drops an `InBlock` status whose events are still loading when `Finalized` arrives.
   */
  finalityDelayMs: number | undefined;
  /** Share of the slot spent collecting transactions. */
  proposingShare: number;
}

export interface SlotWorkerModules extends ProposerModules {
  chain: Chain;
  /** The wall clock, in ms; the only place time enters block production. */
  now(): number;
  claimSlot(slot: bigint, parent: BlockRef): SlotClaim | undefined;
  onProposed?(included: string[], block: BlockRef): void;
  /** Holds best-effort work (RPC) back while a block is authored; optional. */
  priority?: LoopPriority;
  /** The `pouw` digest item (PoUW tickets valid on top of `parent`) to add to the pre-digest, if any. */
  ticketDigest?(parent: RuntimeView): DigestItemValue | undefined;
}

/** The claim of a chain with one authority: every slot, an Aura-style pre-digest carrying the slot. */
export function singleAuthorityClaim(signer: Signer): SlotWorkerModules["claimSlot"] {
  return (slot) => ({ signer, preDigest: [{ tag: "PreRuntime", value: [AURA_ENGINE_ID, T.u64.enc(slot)] }] });
}

export class SlotWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastSlot = -1n;
  private current: Promise<void> = Promise.resolve();
  private readonly pendingFinality = new Set<NodeJS.Timeout>();

  constructor(
    private readonly opts: SlotWorkerOptions,
    private readonly modules: SlotWorkerModules,
  ) {}

  /** Starts authoring at every slot; with a slot duration of 0 blocks are only made on request. */
  start(): void {
    this.running = true;
    if (this.opts.slotDurationMs > 0) this.scheduleNext();
  }

  /**
   * Authors one block now (manual sealing, `engine_createBlock`): the slot after the parent's, and a
   * timestamp that respects the runtime's minimum period even when blocks are made back to back.
   */
  async createBlock(): Promise<BlockRef | undefined> {
    const run = this.current.then(async () => {
      const parent = this.modules.chain.bestRuntime;
      const earliest = parent.timestamp() + parent.minimumBlockGap();
      const timestamp = BigInt(Math.max(this.modules.now(), Number(earliest)));
      const slot = this.lastSlot + 1n;
      return this.author(slot, timestamp, () => false);
    });
    this.current = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** Stops after the slot in progress (if any) has been imported. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.pendingFinality) clearTimeout(t);
    await this.current;
  }

  private scheduleFinality(block: BlockRef): void {
    const delay = this.opts.finalityDelayMs;
    if (delay === undefined) return;
    const finalize = () =>
      this.modules.chain
        .finalize(block.hash)
        .catch((err: unknown) => this.modules.logger.error("Finalization failed", { number: block.number }, err));
    if (delay === 0) {
      this.current = this.current.then(finalize);
      return;
    }
    const t = setTimeout(() => {
      this.pendingFinality.delete(t);
      void finalize();
    }, delay);
    this.pendingFinality.add(t);
  }

  private scheduleNext(): void {
    if (!this.running) return;
    const d = this.opts.slotDurationMs;
    const now = this.modules.now();
    const delay = d - (now % d);
    this.timer = setTimeout(() => {
      this.current = this.onSlot(BigInt(Math.floor(this.modules.now() / d))).finally(() => this.scheduleNext());
    }, delay);
  }

  private async onSlot(slot: bigint): Promise<void> {
    if (slot <= this.lastSlot) return;
    const slotStart = Number(slot) * this.opts.slotDurationMs;
    const deadline = slotStart + this.opts.slotDurationMs * this.opts.proposingShare;
    await this.author(slot, BigInt(slotStart), () => this.modules.now() >= deadline);
  }

  private author(slot: bigint, timestamp: bigint, deadlineReached: () => boolean): Promise<BlockRef | undefined> {
    const author = () => this.authorNow(slot, timestamp, deadlineReached);
    return this.modules.priority ? this.modules.priority.run(author) : author();
  }

  private async authorNow(
    slot: bigint,
    timestamp: bigint,
    deadlineReached: () => boolean,
  ): Promise<BlockRef | undefined> {
    this.lastSlot = slot;
    const { chain, logger } = this.modules;
    const parent = chain.best;
    const claim = this.modules.claimSlot(slot, parent);
    if (!claim) return undefined;
    const parentRuntime = await chain.runtimeAt(parent.hash);
    try {
      const proposal = this.propose(parentRuntime, claim, timestamp, deadlineReached);
      const preHash = hashHeader(proposal.header);
      const seal: DigestItemValue = claim.seal?.(preHash) ?? {
        tag: "Seal",
        value: [AURA_ENGINE_ID, claim.signer.sign(preHash)],
      };
      const header = { ...proposal.header, digest: { logs: [...proposal.header.digest.logs, seal] } };
      const imported = await chain.importBlock({ header, extrinsics: proposal.extrinsics }, "own", {
        executed: proposal.state,
      });
      this.scheduleFinality(imported);
      this.modules.onProposed?.(proposal.included, imported);
      logger.info("Prepared block for proposing", {
        number: imported.number,
        hash: imported.hashHex,
        extrinsics: proposal.extrinsics.length,
        slot: slot.toString(),
      });
      return imported;
    } catch (err) {
      logger.error("Block authoring failed", { slot: slot.toString() }, err);
      return undefined;
    }
  }

  /**
   * The block on `parent`, with the PoUW tickets valid there in its pre-digest. Should the runtime still
   * refuse them (the pool checked them against the same state, so this is a bug), the slot is not lost:
   * the block is built again without tickets.
   */
  private propose(parent: RuntimeView, claim: SlotClaim, timestamp: bigint, deadlineReached: () => boolean): Proposal {
    let tickets: DigestItemValue | undefined;
    try {
      tickets = this.modules.ticketDigest?.(parent);
    } catch (err) {
      this.modules.logger.warn("Picking PoUW tickets failed", { reason: (err as Error).message });
    }
    const build = (preDigest: DigestItemValue[]) =>
      propose({ parent, timestamp, preDigest, deadlineReached }, this.modules);
    if (tickets === undefined) return build(claim.preDigest);
    try {
      return build([...claim.preDigest, tickets]);
    } catch (err) {
      this.modules.logger.warn("The runtime refused this block's PoUW tickets; building it without", {
        reason: (err as Error).message,
      });
      return build(claim.preDigest);
    }
  }
}
