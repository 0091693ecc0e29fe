/**
 * # PoUW pallet
 *
 * ## Overview
 * Useful work in consensus (DESIGN §5, issue 12). While a job trains, its trainers sign a VRF ticket
 * at each checkpoint leaf with their `work` key (primitives/pouw.ts); tickets whose score is below the
 * target (`Difficulty`) are gossiped, and a block's author puts up to `pouw.max_tickets_per_block` of
 * them in the block's `PreRuntime(*b"pouw", Vec<PouwTicket>)` digest. This pallet checks every ticket
 * of a block against chain state, records it, credits its rewards, and retargets the difficulty once
 * an epoch.
 *
 * - `set_work_key(key)`: a registered trainer sets its sr25519 `work` public key (`WorkKeys`).
 * - `on_initialize`: the block's tickets are checked by the shared rules `validateTickets`, with the
 *   state read through `ticketContext` (the node's gossip validator uses the same function): the job
 *   exists and is `Training` or `RevealingResults`; the worker is one of its trainers and still holds
 *   its job stake; the worker has a work key; the leaf is within `1..=leafCount` and has no ticket yet
 *   (`Tickets`); no (job, worker, leaf) twice in the block; the score is below `Difficulty`; the VRF
 *   verifies under the work key. One bad ticket (or a malformed digest, or too many tickets) makes the
 *   block invalid: the hook throws the `PouwError`, whose message is its code (`POUW_ERROR_BAD_VRF`),
 *   as BABE's hook throws for a bad pre-digest. Otherwise each ticket is stored with its block and
 *   `TicketAccepted { job_id, worker, leaf, weight }` is deposited.
 * - `on_finalize` of an epoch's last block: `Difficulty` retargets toward
 *   `pouw.target_tickets_per_block` × the epoch's blocks (`difficulty.ts`: ×4 / ×¼ at most).
 *
 * ## Terminology
 * - Knobs (`pouw.*` in the parameters pallet): `max_tickets_per_block` (16), `target_tickets_per_block`
 *   (4), `ticket_weight` (1: the fork-choice weight of a ticket, a block being 1), `ticket_reward`
 *   (0.1 TRAIN), `ticket_inclusion_fee` (0.01 TRAIN).
 * - `Difficulty`: the target as 32 big-endian bytes, 1..2^256-1 (the `[u8; 32]` the SCALE toolkit has;
 *   the retarget's ceiling 2^256 is stored as 2^256-1). Genesis: the chain spec's `pouw.difficulty`,
 *   else `DEFAULT_DIFFICULTY` (2^256-1: every leaf earns a ticket until the first retarget).
 * - Leaf count: ⌈steps / checkpoint_interval⌉ for a job of `Steps(n)`; `MaxSegments` for a job of
 *   `Epochs(e)`, whose steps the chain does not know before the reveal.
 * - Binding (`jobManager/audit.ts`, through `TicketedLeaves`): every ticketed leaf's segment is among
 *   the trainer's audited segments; a leaf the trainer serves or opens whose leaf node is not its
 *   ticket's `leaf_hash` fails the check (the trainer is slashed as for a failed audit), and a result
 *   with fewer leaves than a ticketed one fails when the audits start.
 * - Money (`rewards.ts`): each accepted ticket mints `ticket_reward` to its trainer, reserved
 *   (`HeldRewards`) until the trainer's audit of that job passes (then released), and burned when the
 *   audit fails or the job ends without a passing audit (an `Unverifiable` result gets no PoUW credit).
 *   The block's author (from its BABE pre-digest) is minted `ticket_inclusion_fee` per ticket; a block
 *   without an author pays none. Minted, as staking rewards are: the treasury's balance does not bound
 *   the work the chain can pay for, and burning unaudited rewards keeps the issuance honest.
 *
 * ## Assumptions
 * The pallet's hooks run after Babe's (the block's epoch randomness is in place) and before the job
 * manager's, so a block's tickets are checked against the job state the block was built on, as the
 * gossip validator sees it. A trainer's reward paid when its audit passed is not taken back if a
 * later challenge fails it (its job stake is). Tickets of a job stay in storage after it ends.
 */

// Importing `calls.js`, `tickets.js` and `rewards.js` defines the pallet's calls, hooks and listener.
import "./calls.js";
import "./rewards.js";

export {
  buildPouwGenesis,
  DEFAULT_DIFFICULTY,
  difficulty,
  heldTicketRewards,
  heldTicketRewardsOfJob,
  MAX_STORED_TARGET,
  PoUW,
  type PouwGenesisConfig,
  targetFromBytes,
  targetToBytes,
  ticketBlock,
  ticketsOfJob,
  VRF_VERIFY_WEIGHT,
  workKeyOf,
} from "./pallet.js";
export { blocksInEpochEndingAt, blockTickets, jobLeafCount, takesTickets, ticketContext } from "./tickets.js";
