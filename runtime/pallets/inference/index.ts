/**
 * # Inference pallet
 *
 * ## Overview
 * Clients pay for running a model (by CID) on an input (by CID) by several providers at once, and the
 * chain records the output a quorum of them agrees on (DESIGN §11; seeds: Rakis, Infernet). A client
 * `request`s `R` replicas with quorum `Q`; `R` providers are drawn; each runs the model off chain,
 * uploads its output, commits to it, then reveals it; the request settles.
 *
 * Phases (`RequestStatus`) and what ends each, early or at its deadline (`on_initialize`):
 * - `Committing` (`max_blocks - reveal_blocks` blocks from the request): `commit_output` by every
 *   provider still serving → `Revealing`. A provider may `refuse` before committing (no slash): a
 *   replacement is drawn from the eligible providers not yet drawn for the request, if any remain and
 *   the request has had at most `MaxReplacements` refusals; it has the rest of the commit window (and
 *   may refuse in turn). Without one the set shrinks; a set below `Q` ends the request at once
 *   (`NoQuorum`, full refund, nobody slashed). Deadline: with at least one commitment → `Revealing`;
 *   with none → settlement (every provider silent).
 * - `Revealing` (`reveal_blocks`, the knob's value at request time): `reveal_output` by every committed
 *   provider → settlement. Deadline → settlement with the reveals so far.
 * - Settlement (`cluster.ts`): the revealed outputs agree in groups: equal output hashes under
 *   `CpuExact`; under `Gpu`, for each revealed fingerprint the set of fingerprints within L2
 *   `tolerance` of it. The largest group wins if it has at least `Q` members and no other group of its
 *   size has other members.
 *   - Quorum → `Settled`: each member is paid `reward` and gains `InferenceReputationReward`; the block
 *     author gets the network fee; every other provider (revealed outside the group: `Disagreed`; did
 *     not commit or reveal: `Silent`) is slashed `inference_slash_ppm` of its registration stake (to
 *     the treasury) and loses reputation; the client gets back the rest (`(R' - |group|) * reward`,
 *     where `R'` is the number of rewards reserved, `R`).
 *   - No quorum → `NoQuorum`: each provider that revealed is paid `reward` (its fee for running the
 *     model: without a quorum nobody can tell right from wrong), the silent are slashed, and the client
 *     gets everything else back, network fee included.
 * Every path ends with nothing reserved for the request: `Request.held` is zero once it is final.
 *
 * ## Terminology
 * - Knobs (`inference.*` in the parameters pallet, read when used): `inference_slash_ppm`,
 *   `inference_fee_ppm`, `min_commit_blocks`, `reveal_blocks`, `max_request_blocks`.
 * - Money: `reward` per provider; the client reserves `R * reward + F` at `request`, where the network
 *   fee `F = (R * reward) * inference_fee_ppm / 10^6` (rounded down). Payouts move the client's
 *   reserved funds straight to the payee (`Balances.repatriateReserved`): issuance never changes.
 *   Providers lock nothing per request: their registration stake backs the duty (as evaluators').
 * - `max_blocks`: the longest the request may take: it must lie within
 *   `min_commit_blocks + reveal_blocks ..= max_request_blocks`.
 * - Eligible providers: active workers (worker registry) with the `inference` role whose registered
 *   capabilities meet `requirements` and offer the profile's execution profile (`CpuExact` →
 *   `CpuExact`, `Gpu` → `GpuTolerance`), never the client. More replicas than eligible providers is
 *   `NotEnoughProviders`.
 * - Draw: weighted by registration stake × inference reputation (ppm, `Reputation`, starting at
 *   `InitialReputation` of the registry), without replacement, from
 *   `seed = randomnessForSubject("tensorchain/inference/providers" ++ u64_le(request_id))` (BABE's epoch
 *   randomness) exactly as the job manager draws evaluators (`drawWeighted`): draw `i` takes
 *   `u128_le(blake2_256(seed ++ u32_le(i))[0..16]) mod remaining_weight` over the candidates sorted by
 *   account id. The replacement after the `k`-th refusal (1-based) is draw 0 from
 *   `blake2_256(seed ++ u32_le(k))`.
 * - Output commitment: `blake2_256(SCALE((request_id: u64, provider: AccountId32, output_hash: H256,
 *   fingerprint: Vec<i32>, salt: [u8; 32])))`, i.e. the blake2-256 of `u64_le(request_id) ++ provider
 *   ++ output_hash ++ compact(len) ++ i32_le(f_0) ++ … ++ salt` (`outputCommitment` in
 *   `primitives/inference.ts`). The provider's account is inside, so a copied commitment cannot be
 *   revealed by another provider.
 * - Fingerprint: under `Gpu { grid_e9 }`, the output quantized to the grid of step `grid_e9 / 10^9`
 *   (each value `round(x / step)` as an i32, at most `MaxFingerprintLength` values); `tolerance` is an
 *   L2 distance in grid steps, compared exactly as `Σ (a_i - b_i)² ≤ tolerance²` in bigint. Under
 *   `CpuExact` the fingerprint is empty and `tolerance` must be 0.
 * - CIDs are binary CIDv1 of at most `MaxCidLength` (job manager) bytes; the chain checks the
 *   structure, not that the content exists.
 *
 * ## Assumptions
 * Each live request has one entry in `DeadlineQueue`, at most `MaxDeadlinesPerBlock` per block (a full
 * block pushes it to the next), and at most `MaxLiveRequests` requests are live, so `on_initialize`
 * does bounded work. The chain cannot tell whether a provider really ran the model; agreement among
 * independently drawn providers is the evidence. Slashes are recorded in the registry's slash history
 * with the request id in its `job_id` field. Settled requests stay in storage for clients to read.
 */

export { providerPool, providerSeed } from "./calls.js";
// Importing `calls.js` and `settlement.js` defines the pallet's calls and hooks.
export { type Agreement, agreement } from "./cluster.js";
export {
  heldByRequest,
  INFERENCE_REPUTATION_PENALTY,
  INFERENCE_REPUTATION_REWARD,
  Inference,
  inferenceReputationOf,
  MAX_DEADLINES_PER_BLOCK,
  MAX_FINGERPRINT_LENGTH,
  MAX_LIVE_REQUESTS,
  MAX_REPLACEMENTS,
  MAX_REPLICAS,
  outputOf,
  requestEntries,
  requestOf,
} from "./pallet.js";
export * from "./types.js";
