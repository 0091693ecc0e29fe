/**
 * # Job manager pallet
 *
 * ## Overview
 * The on-chain half of the job market. A client posts a training job with an escrowed reward;
 * registered trainers that meet its requirements assign themselves and lock a job stake; when the job
 * is full, evaluators are drawn; trainers commit to their results, then reveal them; the results are
 * audited by exact re-execution of drawn segments (`audit.ts`); the client reveals the hidden test set;
 * evaluators commit, then reveal, the accuracy each result reaches on it; the job settles.
 *
 * Phases (`JobStatus`) and what ends each, early or at its deadline (`on_initialize`):
 * - `Open`: `assign_worker` until `spec.workers` trainers have assigned → `Training` (evaluators drawn).
 *   `cancel_job` by the client → `Cancelled`, full refund. Deadline → `Expired`: full refund, any
 *   assigned stakes returned (a job that is not full by its deadline never starts).
 * - `Training`: `commit_result` by every trainer → `RevealingResults`. Deadline: each trainer without a
 *   commitment is slashed (`worker_slash_ppm` of its job stake, the rest returned) and leaves the job;
 *   with at least one commitment the job goes on to `RevealingResults`, with none it ends
 *   `Failed(NoResults)` and the client is refunded in full.
 * - `RevealingResults` (`result_reveal_blocks`): `reveal_result` by every committed trainer (opening its
 *   commitment) → `Auditing`. Deadline: committed trainers that did not reveal are slashed as above;
 *   with no reveal the job ends `Failed(NoResults)`.
 * - `Auditing`: the checks of `audit.ts` (no deadline of its own: each check stage has one). When the
 *   last concludes, the results that did not fail (`Job.results`) go on → `AwaitingTestSet`; if every
 *   result failed, `Failed(AuditsFailed)`: the verifiers that proved it share the evaluator pool and the
 *   client gets the rest back.
 * - `AwaitingTestSet`: `reveal_test_set` by the client → `Committing`. Deadline → `TestSetWithheld`:
 *   the job is paid out exactly as a success in which every result passed (workers, all drawn
 *   evaluators, treasury, network fee), so withholding the test set never saves the client money.
 * - `Committing`: `commit_attestation` by every drawn evaluator → `Revealing`. Deadline → `Revealing`
 *   (or straight to settlement if nobody committed).
 * - `Revealing`: `reveal_attestation` by every evaluator that committed → settlement. Deadline →
 *   settlement with the reveals so far.
 * - Challenges (`challenge`) are taken from `AwaitingTestSet` until settlement; a settlement due while
 *   a check is open waits for it (`Job.pending_settlement`).
 * - Settlement: drawn evaluators that did not reveal are slashed (`evaluator_slash_ppm` of their
 *   registration stake). For each result, the accuracy agreed by a strict majority of the evaluators
 *   that revealed (if any) decides: at least `min_accuracy_ppm` passes, below fails (a result a
 *   challenge failed never passes). Evaluators that revealed and agree with every agreed accuracy, and
 *   the verifiers that revealed the hash a check's verdict rests on, share the evaluator pool (each
 *   account once). If a result passed:
 *   `Succeeded` — passing trainers share the worker pool, the network fee goes to the block author,
 *   the treasury gets the rest of the reward, failing trainers are slashed. Otherwise `Failed`
 *   (`BelowMinimumAccuracy` if a result failed, `NoQuorum` if none was agreed): failing trainers are
 *   slashed and the client gets back everything but the evaluators' fees (network fee included).
 * Every path ends with nothing reserved for the job: `Job.held` (the client's escrow) and every
 * `Assignment.stake` are zero once the status is final.
 *
 * ## Terminology
 * - Knobs: `worker_share_ppm`, `evaluator_share_ppm`, `network_fee_ppm`, `worker_slash_ppm`,
 *   `evaluator_slash_ppm`, `min_worker_stake`, `min_phase_blocks`, `max_phase_blocks` and the audit
 *   knobs (`audit_segments`, `audit_verifiers`, `challenge_bond`, `challenger_reward_ppm`,
 *   `audit_slash_ppm`, `result_reveal_blocks`, `audit_stage_blocks`) live in the parameters pallet (`jobManager.*`, changed by governance); each is read when it is used, so a job
 *   settles with the shares in force at its settlement.
 * - Reward `R` and network fee `F = R * network_fee_ppm / 10^6`: both reserved from the client at
 *   `post_job`. On payout, the worker pool is `R * worker_share_ppm / 10^6`, the evaluator pool
 *   `R * evaluator_share_ppm / 10^6`; each is split equally (rounded down); the treasury takes the
 *   rest of `R` (its share plus all rounding dust). Payouts move the client's reserved funds straight
 *   to the payee (`Balances.repatriateReserved`): the total issuance never changes.
 * - Network fee: paid to the author of the block in which the job settles (as FRAME's `DealWithFees`
 *   pays the author), found from the block's BABE pre-digest; to the treasury if the block has none.
 * - Job stake: `spec.worker_stake` (at least `min_worker_stake`), reserved from a trainer at
 *   `assign_worker`. Slashed funds (job stakes and evaluators' registration stakes) go to the treasury.
 * - Test-set commitment: `blake2_256(SCALE((cid: Vec<u8>, salt: [u8; 32])))`, i.e. the blake2-256 of
 *   `compact(len(cid)) ++ cid ++ salt` (`testSetCommitment`).
 * - Result commitment: `blake2_256(SCALE((job_id: u64, worker: AccountId32, model_hash: H256,
 *   work_root: H256, metrics: ClaimedMetrics, salt: [u8; 32])))` (`resultCommitment`); the work root is
 *   over the checkpoint leaves (`primitives/workRoot.ts`), `checkpoint_interval` steps apart (fixed at
 *   posting: ⌈steps/64⌉ when the client gives 0).
 * - Attestation commitment: `blake2_256(SCALE((job_id: u64, evaluator: AccountId32,
 *   accuracies: Vec<(AccountId32, u32)>, salt: [u8; 32])))` (`attestationCommitment`). The evaluator's
 *   own account is inside, so a copied commitment cannot be revealed by another evaluator. `accuracies`
 *   lists every trainer with a result, in assignment order, with its accuracy in ppm.
 * - CIDs are binary CIDv1 (`CID.bytes` in `multiformats`): version 1, codec, multihash; at most
 *   `MaxCidLength` bytes. The chain checks the structure, not that the content exists.
 * - Evaluator draw: from the active evaluators (worker registry), excluding the client and the job's
 *   trainers, `min(spec.evaluators, pool)` are drawn without replacement, weighted by registration
 *   stake, from `randomnessForSubject("tensorchain/jobManager/evaluators" ++ u64_le(job_id))` (BABE's
 *   epoch randomness): draw `i` takes `u128_le(blake2_256(seed ++ u32_le(i))[0..16]) mod total_stake`.
 *
 * ## Assumptions
 * Deadlines are phase lengths in blocks, counted from the block in which the phase starts. Each live
 * job has exactly one entry in `DeadlineQueue`, at most `MaxDeadlinesPerBlock` per block (a full block
 * pushes the entry to the next one), and at most `MaxActiveJobs` jobs are live, so `on_initialize`
 * does bounded work. The epoch randomness is known one epoch ahead; the trainer whose assignment fills
 * a job can only choose between the evaluator sets of this and the next epoch. Finished jobs stay in
 * storage (results included) for clients to read; pruning them is left to a later change.
 */

export { drawSegments } from "./audit.js";
// Importing `settlement.js` and `calls.js` defines the pallet's hooks and calls; `audit.ts` holds the
// checks, `draw.ts` the stake-weighted draws.
export { isValidCid } from "./calls.js";
export { drawWeighted, evaluatorSeed } from "./draw.js";
export {
  addJobOutcomeListener,
  type JobOutcomeListener,
  setTicketedLeaves,
  type TicketedLeaf,
  type TicketedLeaves,
} from "./listeners.js";
export {
  assignmentOf,
  attestationOf,
  checksOf,
  heldByJob,
  JobManager,
  jobEntries,
  jobOf,
  jobParams,
  MAX_ACTIVE_JOBS,
  MAX_BATCH_SIZE,
  MAX_CID_LENGTH,
  MAX_DEADLINES_PER_BLOCK,
  MAX_EVALUATORS_PER_JOB,
  MAX_SEGMENTS,
  MAX_TRAINING_LENGTH,
  MAX_WORKERS_PER_JOB,
} from "./pallet.js";
export * from "./types.js";
