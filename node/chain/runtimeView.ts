/**
 * One read-only view of the runtime at a block: the only way node services and RPC methods read chain
 * state. It wraps the block's post-state and answers through the pallets' own query functions, so no
 * service reaches into a pallet's storage layout, and each service asks the same questions the same way.
 *
 * A view never writes: every read runs on a fresh `Ext` whose overlay is dropped afterwards. Values that
 * several services ask for at every block (the BABE epoch, the GRANDPA set, the slot duration) are
 * computed once per view; `chain.runtimeAt` keeps a bounded cache of views.
 */
import type { BabeEpoch, Ratio } from "../../consensus/babe/index.js";
import type { SignatureChecker } from "../../primitives/crypto/index.js";
import { compareBytes } from "../../primitives/hex.js";
import type { TicketContext } from "../../primitives/pouw.js";
import type { Trie } from "../../primitives/trie/index.js";
import {
  type AccountInfo,
  accountNonce,
  callRuntimeApi,
  Ext,
  type StateBackend,
  type TransactionSource,
  type TransactionValidity,
  validateTransaction,
} from "../../runtime/index.js";
import { epochRandomnessFor, PRIMARY_PROBABILITY, slotDuration } from "../../runtime/pallets/babe.js";
import { freeBalance } from "../../runtime/pallets/balances.js";
import {
  outputOf,
  type ProviderOutputValue,
  type RequestValue,
  requestEntries,
  requestOf,
} from "../../runtime/pallets/inference/index.js";
import {
  type AssignmentValue,
  assignmentOf,
  attestationOf,
  type CheckValue,
  checksOf,
  type JobParamsValue,
  type JobValue,
  jobEntries,
  jobOf,
  jobParams,
} from "../../runtime/pallets/jobManager/index.js";
import { POUW, param } from "../../runtime/pallets/parameters/index.js";
import { difficulty, PoUW, ticketContext, workKeyOf } from "../../runtime/pallets/pouw/index.js";
import {
  authoritySetId,
  currentAuthorities,
  disabledValidatorsAt,
  nextAuthorities,
  sessionIndex,
  sessionIndexAt,
} from "../../runtime/pallets/session.js";
import { type EventRecordValue, eventsOf, getAccount } from "../../runtime/pallets/system.js";
import { minimumPeriod, now } from "../../runtime/pallets/timestamp.js";
import {
  type FindWorkersQuery,
  findWorkers,
  type RegistryParamsValue,
  registryParams,
  type WorkerInfoValue,
  type WorkerSummary,
  workerInfo,
} from "../../runtime/pallets/workerRegistry.js";
import type { BlockRef } from "./types.js";

/** A trie as the runtime's read-only state backend. */
export function trieBackend(trie: Trie): StateBackend {
  return {
    get: (k) => trie.get(k),
    keys: function* (prefix) {
      for (const [k] of trie.entries(prefix)) yield k;
    },
  };
}

/** An epoch's slot window: unbounded (epochs change by block number, not by slot). */
const UNBOUNDED_SLOTS = 1n << 62n;

export interface GrandpaSet {
  setId: bigint;
  authorities: { id: Uint8Array; weight: bigint }[];
}

export interface RuntimeViewModules {
  signatures: SignatureChecker;
  genesisHash: Uint8Array;
}

export class RuntimeView {
  private slotDurationMs?: number;
  private grandpa?: GrandpaSet;
  /** The epoch of the child block (the only epoch asked for on a hot path: claims and header checks). */
  private childEpoch?: BabeEpoch;

  constructor(
    /** The block whose post-state this view reads. */
    readonly block: BlockRef,
    /** The block's post-state. Block building and storage proofs need the trie itself. */
    readonly state: Trie,
    private readonly modules: RuntimeViewModules,
  ) {}

  /** A throw-away externalities over the state: reads only, its overlay is dropped. */
  private ext(): Ext {
    return new Ext(trieBackend(this.state), this.modules.signatures);
  }

  // --- storage, for RPC ---

  storage(key: Uint8Array): Uint8Array | undefined {
    return this.state.get(key);
  }

  /** Up to `count` keys under `prefix`, in ascending order, strictly after `startKey` when one is given. */
  keysPaged(prefix: Uint8Array, count: number, startKey?: Uint8Array): Uint8Array[] {
    const start = startKey && compareBytes(startKey, prefix) >= 0 ? startKey : undefined;
    const out: Uint8Array[] = [];
    for (const [k] of this.state.entries(prefix, start)) {
      if (out.length >= count) break;
      out.push(k);
    }
    return out;
  }

  /** The trie nodes that prove the values (or absence) of `keys`. */
  readProof(keys: Uint8Array[]): Uint8Array[] {
    return this.state.proof(keys);
  }

  // --- the runtime's entry points ---

  /** A runtime API call (`state_call`); throws `RuntimeApiError`. */
  call(method: string, args: Uint8Array): Uint8Array {
    const { hash, number } = this.block;
    return callRuntimeApi(
      { ext: this.ext(), at: { hash, number }, genesisHash: this.modules.genesisHash },
      method,
      args,
    );
  }

  /** Whether `tx` could go into a block built on this one (`TaggedTransactionQueue`). */
  validateTransaction(source: TransactionSource, tx: Uint8Array): TransactionValidity {
    const { hash, number } = this.block;
    return validateTransaction(this.ext(), source, tx, { hash, number }, this.modules.genesisHash);
  }

  // --- consensus ---

  /** The chain's slot duration in milliseconds (`Babe.SlotDuration`, fixed at genesis). */
  slotDuration(): number {
    this.slotDurationMs ??= Number(slotDuration(this.ext()));
    return this.slotDurationMs;
  }

  /** The smallest gap the runtime allows between two block timestamps: twice its minimum period. */
  minimumBlockGap(): bigint {
    return 2n * minimumPeriod(this.ext());
  }

  /** This block's timestamp (`Timestamp.Now`), 0 at genesis. */
  timestamp(): bigint {
    return now(this.ext());
  }

  /**
   * The BABE epoch of block `blockNumber` built on this one (by default its child). In tensorchain an epoch
   * is a session, counted by block number: the child uses this state's session authorities if it is in the
   * same session, else the next session's, with the matching randomness.
   */
  babeEpoch(blockNumber = this.block.number + 1): BabeEpoch {
    const isChild = blockNumber === this.block.number + 1;
    if (isChild && this.childEpoch) return this.childEpoch;
    const ext = this.ext();
    const inThisSession = sessionIndexAt(blockNumber) === sessionIndex(ext);
    const authorities = inThisSession ? currentAuthorities(ext) : nextAuthorities(ext);
    const epoch: BabeEpoch = {
      epochIndex: BigInt(sessionIndexAt(blockNumber)),
      startSlot: 0n,
      duration: UNBOUNDED_SLOTS,
      authorities: authorities.map((a) => ({ publicKey: a.babe, weight: a.weight })),
      randomness: epochRandomnessFor(ext, blockNumber),
      c: [...PRIMARY_PROBABILITY] as Ratio,
      allowedSlots: "PrimaryAndSecondaryPlainSlots",
    };
    if (isChild) this.childEpoch = epoch;
    return epoch;
  }

  /**
   * The authority indices (of `babeEpoch(blockNumber)`) that may not author block `blockNumber` built on
   * this one, by default its child: validators disabled by an offence for the rest of their set.
   */
  disabledAuthorities(blockNumber = this.block.number + 1): number[] {
    return disabledValidatorsAt(this.ext(), blockNumber);
  }

  /** The GRANDPA authority set of this state (one vote per authority, as the runtime's `ScheduledChange`). */
  grandpaSet(): GrandpaSet {
    if (!this.grandpa) {
      const ext = this.ext();
      this.grandpa = {
        setId: authoritySetId(ext),
        authorities: currentAuthorities(ext).map((a) => ({ id: a.grandpa, weight: 1n })),
      };
    }
    return this.grandpa;
  }

  // --- accounts ---

  account(who: Uint8Array): AccountInfo {
    return getAccount(this.ext(), who);
  }

  nonce(who: Uint8Array): number {
    return accountNonce(this.ext(), who);
  }

  freeBalance(who: Uint8Array): bigint {
    return freeBalance(this.ext(), who);
  }

  /** The events this block deposited (`System.Events`). */
  events(): EventRecordValue[] {
    return eventsOf(this.ext());
  }

  // --- the job market ---

  job(id: bigint): JobValue | undefined {
    return jobOf(this.ext(), id);
  }

  /** Every job on chain, by id. */
  jobs(): [bigint, JobValue][] {
    return [...jobEntries(this.ext())];
  }

  assignment(id: bigint, worker: Uint8Array): AssignmentValue | undefined {
    return assignmentOf(this.ext(), id, worker);
  }

  /** Every check (audit, escalation, challenge) of job `id`, by check id. */
  checks(id: bigint): { id: number; check: CheckValue }[] {
    return checksOf(this.ext(), id);
  }

  /** `evaluator`'s attestation on job `id`: committed, and revealed once it has `accuracies`. */
  attestation(id: bigint, evaluator: Uint8Array) {
    return attestationOf(this.ext(), id, evaluator);
  }

  jobParams(): JobParamsValue {
    return jobParams(this.ext());
  }

  // --- the inference market ---

  inferenceRequest(id: bigint): RequestValue | undefined {
    return requestOf(this.ext(), id);
  }

  /** Every inference request on chain (settled ones included), by id. */
  inferenceRequests(): [bigint, RequestValue][] {
    return [...requestEntries(this.ext())];
  }

  /** `provider`'s committed (and, once revealed, revealed) output for request `id`. */
  inferenceOutput(id: bigint, provider: Uint8Array): ProviderOutputValue | undefined {
    return outputOf(this.ext(), id, provider);
  }

  worker(who: Uint8Array): WorkerInfoValue | undefined {
    return workerInfo(this.ext(), who);
  }

  registryParams(): RegistryParamsValue {
    return registryParams(this.ext());
  }

  findWorkers(query: FindWorkersQuery = {}): WorkerSummary[] {
    return findWorkers(this.ext(), query);
  }

  // --- useful work (PoUW) ---

  /** The ticket rules for a block built on this one (what the pool, gossip and authoring check against). */
  ticketContext(): TicketContext {
    return ticketContext(this.ext(), this.block.number + 1);
  }

  /** `pouw.max_tickets_per_block` for a block built on this one. */
  maxTicketsPerBlock(): number {
    return param(this.ext(), POUW.max_tickets_per_block);
  }

  /** `worker`'s registered sr25519 `work` key. */
  workKey(worker: Uint8Array): Uint8Array | undefined {
    return workKeyOf(this.ext(), worker);
  }

  /** The PoUW parameters and this epoch's ticket count (`tensorchain_pouwStatus`). */
  pouwParams(): {
    difficulty: bigint;
    epochTickets: number;
    maxTicketsPerBlock: number;
    targetTicketsPerBlock: number;
    ticketWeight: number;
    ticketReward: bigint;
  } {
    const ext = this.ext();
    return {
      difficulty: difficulty(ext),
      epochTickets: PoUW.storage.EpochTickets.getOrDefault(ext),
      maxTicketsPerBlock: param(ext, POUW.max_tickets_per_block),
      targetTicketsPerBlock: param(ext, POUW.target_tickets_per_block),
      ticketWeight: param(ext, POUW.ticket_weight),
      ticketReward: param(ext, POUW.ticket_reward),
    };
  }
}
