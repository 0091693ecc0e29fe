/**
 * # Referenda pallet
 *
 * ## Overview
 * Stake-weighted referenda on privileged actions, after FRAME's `pallet-referenda`. Anyone proposes a
 * call to be dispatched as Root (`submit`, reserving the submission deposit); once someone places the
 * decision deposit and the preparation period is over, the referendum is decided: conviction votes
 * (`convictionVoting`) move its tally; when approval and support are both above their curves it starts
 * confirming, and if they stay there for the confirmation period it is approved and its call is enacted,
 * as Root, after the enactment delay. A referendum that does not pass within the decision period is
 * rejected; one that never gets a decision deposit times out. Root may `cancel` (deposits refundable)
 * or `kill` (deposits slashed to the treasury) an ongoing referendum. This is how Root is reached on
 * every chain but `dev` (which also has sudo).
 *
 * ## Terminology
 * - Track: FRAME groups referenda by origin into tracks; this runtime has one, `0`, for `system(Root)`.
 *   Its settings (FRAME's `TrackInfo`) are the `referenda.*` parameters, so chain specs can make them
 *   short (tests) or realistic (`local`, `devnet`), and governance can change them: the deposits, the
 *   `prepare_period`, `decision_period`, `confirm_period`, `min_enactment_period`,
 *   `undeciding_timeout`, and the two curves.
 * - Approval: `ayes / (ayes + nays)` of the conviction-weighted votes. Support: the aye (and abstain)
 *   capital, before conviction, over the total issuance. Both in perbill, rounded down.
 * - Curves: FRAME's `LinearDecreasing` with length 100%: the threshold starts at `min_*_ceil` when
 *   deciding starts and falls linearly to `min_*_floor` at the end of the decision period.
 *   `threshold(x) = ceil - x * (ceil - floor)` for `x` the part of the period elapsed.
 * - Wake-ups (`Alarms`): FRAME has its scheduler call `nudge_referendum`; here `on_initialize` services
 *   the referenda whose alarm is the block. A referendum is serviced when its preparation ends, when it
 *   would time out, the block after each vote, when its confirmation ends, when its tally would first
 *   pass the falling curves, and when its decision period ends.
 * - Enactment (`Agenda`): an approved proposal is dispatched as Root at the start of block
 *   `max(enactment_moment, approval + min_enactment_period)`, in a storage transaction. `EnactmentOf`
 *   and the `Enacted` event record the result; a failing call leaves no write behind.
 * - Deposits, as in FRAME: the decision deposit is refundable (`refund_decision_deposit`) once the
 *   referendum is approved, rejected, cancelled or timed out; the submission deposit only once it is
 *   approved or cancelled (`refund_submission_deposit`) — a rejected or timed-out proposal's
 *   submission deposit stays reserved. `kill` slashes both.
 *
 * ## Assumptions
 * At most `MaxQueued` referenda are in flight (ongoing, or approved and not yet enacted), so a block
 * services and enacts at most `MaxQueued` of each. A referendum's track settings are read when it is
 * serviced, so a change of the periods applies to ongoing referenda from their next wake-up. Unlike
 * FRAME, every referendum past its preparation is decided at once (no `max_deciding` queue; `in_queue`
 * stays false), proposals are inline only (no preimage pallet), and there is no `set_metadata`.
 */

// Importing `logic.js` and `calls.js` defines the pallet's hooks and calls.
import "./calls.js";

export {
  isPassing,
  type PollStatus,
  passingFrom,
  pollStatus,
  setTally,
  type TrackSettings,
  trackSettings,
} from "./logic.js";
export { MAX_PROPOSAL_LENGTH, MAX_QUEUED, Referenda, ROOT_TRACK } from "./pallet.js";
export * from "./types.js";
