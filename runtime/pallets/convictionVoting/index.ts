/**
 * # Conviction voting pallet
 *
 * ## Overview
 * Voting on referenda with locked balance, after FRAME's `pallet-conviction-voting`. An account votes
 * aye or nay on an ongoing referendum with some balance and a conviction; the vote counts its balance
 * times the conviction's multiplier, and the balance is locked (`Balances` lock `pyconvot`: the
 * account's `frozen` balance) for as long as the vote stands, and, for a vote on the winning side, for
 * the conviction's lock period after the referendum ends.
 *
 * ## Terminology
 * - Conviction: `None` counts a tenth of the balance and locks nothing after the end; `Locked1x` to
 *   `Locked6x` count 1x to 6x and lock for 1, 2, 4, 8, 16 or 32 vote-locking periods
 *   (`convictionVoting.vote_locking_period`) after the referendum ends, if the vote won.
 * - `AccountVote`: `Standard { vote, balance }` where `vote` is FRAME's one-byte `Vote` (aye in bit 7,
 *   conviction in the low bits); `Split { aye, nay }` and `SplitAbstain { aye, nay, abstain }` count as
 *   `None` on each side (abstain counts as support only).
 * - Tally: `ayes` and `nays` conviction-weighted; `support` the aye (and abstain) balance.
 * - Class: FRAME's track; this runtime has one, `0`.
 * - Prior lock: when a winning vote with conviction is removed before its lock period is over, its
 *   balance stays locked until then (`PriorLock`). `unlock` recomputes the lock: the largest of the
 *   standing votes' balances and the prior lock, if it has not expired.
 *
 * ## Assumptions
 * A vote's balance must be at most the voter's free balance (FRAME allows up to the total balance; here
 * frozen funds stay in the free balance, see `balances.ts`). Voting again on the same referendum
 * replaces the vote (the tally moves by the difference); the lock only grows on a vote and only shrinks
 * on `unlock`, as in FRAME. At most `MaxVotes` votes per account (votes on finished referenda count
 * until removed). Delegation is not implemented.
 */
import { T } from "../../../primitives/scale/types.js";
import { AccountId, MultiAddress } from "../../../primitives/types.js";
import { ensure, ensureSigned } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { call, pallet } from "../../frame/pallet.js";
import { storageDoubleMap, storageMap } from "../../frame/storage.js";
import { freeBalance, lookupAddress, removeLock, setLock } from "../balances.js";
import { CONVICTION_VOTING, param } from "../parameters/index.js";
import { pollStatus, ROOT_TRACK, setTally } from "../referenda/index.js";
import { w } from "../referenda/pallet.js";
import { System } from "../system.js";
import {
  AccountVote,
  type AccountVoteValue,
  addVote,
  type CastingValue,
  EMPTY_CASTING,
  lockPeriods,
  parseVote,
  removeVote,
  Voting,
  voteBalance,
} from "./types.js";

export * from "./types.js";

/** Most votes one account may hold at once (in its one class). */
export const MAX_VOTES = 16;
/** The balance lock conviction votes hold (FRAME's `CONVICTION_VOTING_ID`). */
export const CONVICTION_VOTING_ID = new TextEncoder().encode("pyconvot");
/** The highest conviction, `Locked6x`. */
const MAX_CONVICTION = 6;

export const ConvictionVoting = pallet({
  name: "ConvictionVoting",
  index: 13,
  module: "pallet_conviction_voting",
  docs: ["Votes on referenda with locked balance and conviction."],
  storage: {
    VotingFor: storageDoubleMap("Twox64Concat", AccountId, "Twox64Concat", T.u16, Voting, {
      default: { tag: "Casting", value: EMPTY_CASTING },
      docs: [
        " All voting for a particular voter in a particular voting class. We store the balance for the",
        " number of votes that we have recorded.",
      ],
    }),
    ClassLocksFor: storageMap("Twox64Concat", AccountId, T.vec(T.tuple(T.u16, T.u128)), {
      default: [],
      docs: [
        " The voting classes which have a non-zero lock requirement and the lock amounts which they",
        " require. The actual amount locked on behalf of this pallet should always be the maximum of",
        " this list.",
      ],
    }),
  },
  constants: {
    MaxVotes: {
      type: T.u32,
      value: MAX_VOTES,
      docs: [" The maximum number of concurrent votes an account may have."],
    },
  },
  events: {
    Voted: {
      index: 2,
      fields: { who: AccountId, vote: AccountVote, poll_index: T.u32 },
      docs: ["An account has voted"],
    },
    VoteRemoved: {
      index: 3,
      fields: { who: AccountId, vote: AccountVote, poll_index: T.u32 },
      docs: ["A vote has been removed"],
    },
    VoteUnlocked: {
      index: 4,
      fields: { who: AccountId, class: T.u16 },
      docs: ["The lockup period of a conviction vote expired, and the funds have been unlocked."],
    },
  },
  errors: {
    NotOngoing: { index: 0, docs: "Poll is not ongoing." },
    NotVoter: { index: 1, docs: "The given account did not vote on the poll." },
    AlreadyDelegating: { index: 4, docs: "The account is already delegating." },
    InsufficientFunds: { index: 6, docs: "Too high a balance was provided that the account cannot afford." },
    MaxVotesReached: { index: 9, docs: "Maximum number of votes reached." },
    ClassNeeded: { index: 10, docs: "The class must be supplied since it is not easily determinable from the state." },
    BadClass: { index: 11, docs: "The class ID supplied is invalid." },
    InvalidConviction: { index: 20, docs: "The vote's conviction is above `Locked6x` (6)." },
  },
});

const S = ConvictionVoting.storage;

function casting(ext: Ext, who: Uint8Array, cls: number): CastingValue {
  const v = S.VotingFor.getOrDefault(ext, [who, cls]);
  ensure(v.tag === "Casting", () => ConvictionVoting.error("AlreadyDelegating"));
  return v.value;
}

function putCasting(ext: Ext, who: Uint8Array, cls: number, c: CastingValue): void {
  if (c.votes.length === 0 && c.prior[1] === 0n) S.VotingFor.remove(ext, [who, cls]);
  else S.VotingFor.insert(ext, [who, cls], { tag: "Casting", value: c });
}

/** Sets the class's lock to `amount` (0 removes it) and the balance lock to the largest class lock. */
function setClassLock(ext: Ext, who: Uint8Array, cls: number, amount: bigint, onlyExtend: boolean): void {
  const locks = S.ClassLocksFor.getOrDefault(ext, who);
  const at = locks.findIndex(([c]) => c === cls);
  const current = at >= 0 ? locks[at][1] : 0n;
  const next = onlyExtend ? maxBig(current, amount) : amount;
  if (at >= 0) locks.splice(at, 1);
  if (next > 0n) locks.push([cls, next]);
  if (locks.length === 0) S.ClassLocksFor.remove(ext, who);
  else S.ClassLocksFor.insert(ext, who, locks);
  const total = locks.reduce((m, [, a]) => maxBig(m, a), 0n);
  if (total === 0n) removeLock(ext, CONVICTION_VOTING_ID, who);
  else setLock(ext, CONVICTION_VOTING_ID, who, total);
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function now(ext: Ext): number {
  return System.storage.Number.getOrDefault(ext);
}

/** The balance `who`'s voting in `cls` locks: its largest standing vote, or its unexpired prior lock. */
export function lockedBalance(c: CastingValue, at: number): bigint {
  const prior = c.prior[0] > at ? c.prior[1] : 0n;
  return c.votes.reduce((m, [, v]) => maxBig(m, voteBalance(v)), prior);
}

ConvictionVoting.defineCalls({
  vote: call({
    index: 0,
    args: { poll_index: T.compactU32, vote: AccountVote },
    docs: [
      "Vote in a poll. If `vote.is_aye()`, the vote is to enact the proposal;",
      "otherwise it is a vote to keep the status quo.",
      "",
      "The dispatch origin of this call must be _Signed_, and the vote's balance at most the",
      "origin's free balance. A second vote on the same poll replaces the first.",
      "",
      "- `poll_index`: The index of the poll to vote for.",
      "- `vote`: The vote configuration.",
    ],
    weight: () => w(6n + BigInt(MAX_VOTES) / 4n, 6n),
    dispatch: (ext, origin, { poll_index, vote }) => {
      const who = ensureSigned(origin);
      if (vote.tag === "Standard")
        ensure(parseVote(vote.value.vote).conviction <= MAX_CONVICTION, () =>
          ConvictionVoting.error("InvalidConviction"),
        );
      const balance = voteBalance(vote);
      ensure(balance <= freeBalance(ext, who), () => ConvictionVoting.error("InsufficientFunds"));
      const poll = pollStatus(ext, poll_index);
      ensure(poll.tag === "Ongoing", () => ConvictionVoting.error("NotOngoing"));
      const c = casting(ext, who, poll.class);
      const at = c.votes.findIndex(([i]) => i === poll_index);
      let tally = poll.tally;
      if (at >= 0) {
        tally = removeVote(tally, c.votes[at][1]);
        c.votes[at] = [poll_index, vote];
      } else {
        ensure(c.votes.length < MAX_VOTES, () => ConvictionVoting.error("MaxVotesReached"));
        c.votes.push([poll_index, vote]);
        c.votes.sort((a, b) => a[0] - b[0]);
      }
      // No errors allowed after this point.
      setTally(ext, poll_index, addVote(tally, vote));
      putCasting(ext, who, poll.class, c);
      setClassLock(ext, who, poll.class, balance, true);
      ConvictionVoting.deposit(ext, { tag: "Voted", value: { who, vote, poll_index } });
    },
  }),
  unlock: call({
    index: 3,
    args: { class: T.u16, target: MultiAddress },
    docs: [
      "Remove the lock caused by prior voting/delegating which has expired within a particular",
      "class.",
      "",
      "The dispatch origin of this call must be _Signed_.",
      "",
      "- `class`: The class of polls to unlock.",
      "- `target`: The account to remove the lock on.",
    ],
    weight: () => w(4n + BigInt(MAX_VOTES) / 4n, 4n),
    dispatch: (ext, origin, { class: cls, target }) => {
      ensureSigned(origin);
      ensure(cls === ROOT_TRACK, () => ConvictionVoting.error("BadClass"));
      const who = lookupAddress(target);
      const c = casting(ext, who, cls);
      const n = now(ext);
      if (c.prior[0] <= n) c.prior = [0, 0n];
      putCasting(ext, who, cls, c);
      setClassLock(ext, who, cls, lockedBalance(c, n), false);
      ConvictionVoting.deposit(ext, { tag: "VoteUnlocked", value: { who, class: cls } });
    },
  }),
  remove_vote: call({
    index: 4,
    args: { class: T.option(T.u16), index: T.u32 },
    docs: [
      "Remove a vote for a poll.",
      "",
      "If the poll is ongoing, the vote leaves its tally. If it has ended and the vote was a",
      "winning `Standard` vote with conviction whose lock period is not over, its balance stays",
      "locked until then (the prior lock); otherwise a following `unlock` frees it.",
      "",
      "The dispatch origin of this call must be _Signed_, and the signer must have a vote",
      "registered for poll `index`.",
      "",
      "- `index`: The index of poll of the vote to be removed.",
      "- `class`: Optional parameter, if given it indicates the class of the poll. For polls",
      "  which have finished or are cancelled, this must be `Some`.",
    ],
    weight: () => w(6n + BigInt(MAX_VOTES) / 4n, 4n),
    dispatch: (ext, origin, { class: maybeClass, index }) => {
      const who = ensureSigned(origin);
      const poll = pollStatus(ext, index);
      const cls = maybeClass ?? (poll.tag === "Ongoing" ? poll.class : undefined);
      ensure(cls !== undefined, () => ConvictionVoting.error("ClassNeeded"));
      const c = casting(ext, who, cls);
      const at = c.votes.findIndex(([i]) => i === index);
      ensure(at >= 0, () => ConvictionVoting.error("NotVoter"));
      const vote: AccountVoteValue = c.votes[at][1];
      // No errors allowed after this point.
      c.votes.splice(at, 1);
      if (poll.tag === "Ongoing") setTally(ext, index, removeVote(poll.tally, vote));
      else if (poll.tag === "Completed" && vote.tag === "Standard") {
        const { aye, conviction } = parseVote(vote.value.vote);
        const until = poll.end + lockPeriods(conviction) * param(ext, CONVICTION_VOTING.vote_locking_period);
        if (aye === poll.approved && conviction > 0 && until > now(ext))
          c.prior = [Math.max(c.prior[0], until), maxBig(c.prior[1], vote.value.balance)];
      }
      putCasting(ext, who, cls, c);
      ConvictionVoting.deposit(ext, { tag: "VoteRemoved", value: { who, vote, poll_index: index } });
    },
  }),
});

/** `who`'s votes in the root class, by referendum index. */
export function votesOf(ext: Ext, who: Uint8Array): CastingValue {
  const v = S.VotingFor.getOrDefault(ext, [who, ROOT_TRACK]);
  return v.tag === "Casting" ? v.value : EMPTY_CASTING;
}
