/**
 * BABE in the node: the epoch of a block read from its parent's state, the slot claimer for the slot
 * worker, the header check for imported blocks, and the primary-slot test for fork choice.
 *
 * In tensorchain an epoch is a session (`SESSION_LENGTH` blocks, counted by block number, not by slot):
 * block `n` on a parent state P uses epoch index `sessionIndexAt(n)`, the authorities of P's session if
 * `n` is in it (`currentAuthorities`) or else of the next one (`nextAuthorities`), and the randomness
 * `epochRandomnessFor(P, n)`. The slot window of an epoch is unbounded (slots only need to increase).
 */
import {
  type BabeEpoch,
  babeSlotClaimer,
  findPreDigest,
  type Ratio,
  SlotEquivocationDetector,
  type VerifiedHeader,
  verifyHeader,
} from "../../consensus/babe/index.js";
import type { EquivocationEvidenceValue } from "../../consensus/equivocation.js";
import type { KeyPair, SignatureChecker } from "../../primitives/crypto/index.js";
import { toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { Trie } from "../../primitives/trie/index.js";
import type { HeaderValue } from "../../primitives/types.js";
import { Ext } from "../../runtime/index.js";
import {
  DEFAULT_SLOT_DURATION_MS,
  epochRandomnessFor,
  PRIMARY_PROBABILITY,
  slotDuration,
} from "../../runtime/pallets/babe.js";
import {
  authoritySetId,
  currentAuthorities,
  nextAuthorities,
  sessionIndex,
  sessionIndexAt,
} from "../../runtime/pallets/session.js";
import type { Chain } from "../chain/chain.js";
import { trieBackend } from "../chain/chain.js";
import type { BlockRef } from "../chain/types.js";
import type { Keystore } from "../keystore.js";
import type { SlotWorkerModules } from "./slotWorker.js";

/**
 * The default slot duration (the runtime's `ExpectedBlockTime`). A node uses its chain's own, read from
 * state with `slotDurationOf`: it is fixed at genesis by the chain spec.
 */
export const BABE_SLOT_DURATION_MS = Number(DEFAULT_SLOT_DURATION_MS);
/** An epoch's slot window: unbounded (epochs change by block number). */
const UNBOUNDED_SLOTS = 1n << 62n;

export interface BabeOptions {
  slotDurationMs: number;
  /** How many slots a header may be ahead of the local clock. */
  maxDriftSlots: number;
}

export const defaultBabeOptions: BabeOptions = { slotDurationMs: BABE_SLOT_DURATION_MS, maxDriftSlots: 2 };

function extOf(state: Trie, signatures: SignatureChecker): Ext {
  return new Ext(trieBackend(state), signatures);
}

/** The chain's slot duration in milliseconds, from any of its states (`Babe.SlotDuration`, set at genesis). */
export function slotDurationOf(state: Trie, signatures: SignatureChecker): number {
  return Number(slotDuration(extOf(state, signatures)));
}

/** The BABE epoch of block `blockNumber` whose parent has state `parentState`. */
export function babeEpochFor(parentState: Trie, blockNumber: number, signatures: SignatureChecker): BabeEpoch {
  const ext = extOf(parentState, signatures);
  const inParentSession = sessionIndexAt(blockNumber) === sessionIndex(ext);
  const authorities = inParentSession ? currentAuthorities(ext) : nextAuthorities(ext);
  return {
    epochIndex: BigInt(sessionIndexAt(blockNumber)),
    startSlot: 0n,
    duration: UNBOUNDED_SLOTS,
    authorities: authorities.map((a) => ({ publicKey: a.babe, weight: a.weight })),
    randomness: epochRandomnessFor(ext, blockNumber),
    c: [...PRIMARY_PROBABILITY] as Ratio,
    allowedSlots: "PrimaryAndSecondaryPlainSlots",
  };
}

/** The GRANDPA authority set of a state (one vote per authority, as the runtime's `ScheduledChange`). */
export function grandpaSetOf(
  state: Trie,
  signatures: SignatureChecker,
): { setId: bigint; authorities: { id: Uint8Array; weight: bigint }[] } {
  const ext = extOf(state, signatures);
  return {
    setId: authoritySetId(ext),
    authorities: currentAuthorities(ext).map((a) => ({ id: a.grandpa, weight: 1n })),
  };
}

/** Whether a header claims a primary slot (weight 1 in fork choice); false without a BABE pre-digest. */
export function isPrimaryHeader(header: HeaderValue): boolean {
  try {
    return findPreDigest(header).tag === "Primary";
  } catch {
    return false;
  }
}

/** The slot of a header's BABE pre-digest, undefined without one (genesis, Aura-sealed dev blocks). */
export function headerSlot(header: HeaderValue): bigint | undefined {
  try {
    return findPreDigest(header).value.slot;
  } catch {
    return undefined;
  }
}

/** The slot worker's `claimSlot` for the node's `babe` keys, with the epoch from the parent's state. */
export function babeClaimSlot(
  chain: Chain,
  keystore: Keystore,
  signatures: SignatureChecker,
): SlotWorkerModules["claimSlot"] {
  const keys = (): KeyPair[] =>
    keystore
      .publicKeys("babe")
      .map((pk) => keystore.get("babe", pk))
      .filter((k): k is KeyPair => k !== undefined);
  return babeSlotClaimer<BlockRef>({
    epochAt: (_slot, parent) => {
      const state = chain.stateInMemory(parent.hash);
      return state ? babeEpochFor(state, parent.number + 1, signatures) : undefined;
    },
    keys,
    parentSlot: (parent) => (parent.number === 0 ? undefined : headerSlot(parent.header)),
  });
}

export interface BabeVerifierModules {
  chain: Chain;
  signatures: SignatureChecker;
  logger: Logger;
  now(): number;
  /** Receives the evidence of each slot equivocation (the node's offence reporter). */
  reportEquivocation?(evidence: EquivocationEvidenceValue): void;
}

/**
 * Checks a block's BABE header against its parent (which must be known): the epoch from the parent's
 * state, the parent's slot, the local clock. Throws a `BabeError`. Records (slot, author) pairs of valid
 * headers and hands the evidence of each slot equivocation to `reportEquivocation`.
 */
export class BabeVerifier {
  private readonly equivocations = new SlotEquivocationDetector();

  constructor(
    private readonly opts: BabeOptions,
    private readonly modules: BabeVerifierModules,
  ) {}

  async verify(header: HeaderValue, parent: HeaderValue): Promise<VerifiedHeader> {
    const { chain, signatures } = this.modules;
    const parentState = chain.stateInMemory(header.parentHash) ?? (await chain.stateAt(header.parentHash));
    const verified = verifyHeader(header, {
      now: this.modules.now(),
      slotDurationMs: this.opts.slotDurationMs,
      maxDriftSlots: this.opts.maxDriftSlots,
      epoch: babeEpochFor(parentState, header.number, signatures),
      parentSlot: headerSlot(parent),
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
