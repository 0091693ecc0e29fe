/**
 * Conviction voting's SCALE types, with FRAME's type paths so that standard tooling decodes them
 * (`@polkadot/types` reads `pallet_conviction_voting::vote::Vote` as `{ aye, conviction }`), and the pure
 * arithmetic of votes and tallies.
 */
import { makeTy, T, type TyValue } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber } from "../../../primitives/types.js";

const P = "pallet_conviction_voting";

export const CONVICTIONS = ["None", "Locked1x", "Locked2x", "Locked3x", "Locked4x", "Locked5x", "Locked6x"] as const;
export type ConvictionName = (typeof CONVICTIONS)[number];

export const Conviction = T.enumeration(
  {
    None: { index: 0, docs: ["0.1x votes, unlocked."] },
    Locked1x: { index: 1, docs: ["1x votes, locked for an enactment period following a successful vote."] },
    Locked2x: { index: 2, docs: ["2x votes, locked for 2x enactment periods following a successful vote."] },
    Locked3x: { index: 3, docs: ["3x votes, locked for 4x..."] },
    Locked4x: { index: 4, docs: ["4x votes, locked for 8x..."] },
    Locked5x: { index: 5, docs: ["5x votes, locked for 16x..."] },
    Locked6x: { index: 6, docs: ["6x votes, locked for 32x..."] },
  },
  { path: [P, "conviction", "Conviction"] },
);

/**
 * FRAME's `Vote`: one byte, the aye flag in bit 7 and the conviction (0..=6) in the low bits. Values
 * are the byte; `voteByte` and `parseVote` convert.
 */
export const Vote = T.wrapper(T.u8, { path: [P, "vote", "Vote"] });

export function voteByte(aye: boolean, conviction: number): number {
  return (aye ? 0x80 : 0) | conviction;
}

export function parseVote(byte: number): { aye: boolean; conviction: number } {
  return { aye: (byte & 0x80) !== 0, conviction: byte & 0x7f };
}

export const AccountVote = T.enumeration(
  {
    Standard: { index: 0, fields: { vote: Vote, balance: Balance } },
    Split: { index: 1, fields: { aye: Balance, nay: Balance } },
    SplitAbstain: { index: 2, fields: { aye: Balance, nay: Balance, abstain: Balance } },
  },
  { path: [P, "vote", "AccountVote"], params: [{ name: "Balance", type: Balance }] },
);
export type AccountVoteValue = TyValue<typeof AccountVote>;

/** A referendum's tally: conviction-weighted ayes and nays, and the aye (and abstain) capital. */
export const Tally = T.struct(
  { ayes: Balance, nays: Balance, support: Balance },
  {
    path: [P, "types", "Tally"],
    params: [{ name: "Votes", type: Balance }, { name: "Total" }],
    fieldInfo: {
      ayes: { typeName: "Votes", docs: ["The number of aye votes, expressed in terms of post-conviction lock-vote."] },
      nays: { typeName: "Votes", docs: ["The number of nay votes, expressed in terms of post-conviction lock-vote."] },
      support: { typeName: "Votes", docs: ["The basic number of aye votes, expressed pre-conviction."] },
    },
  },
);
export type TallyValue = TyValue<typeof Tally>;

export const Delegations = T.struct(
  { votes: Balance, capital: Balance },
  { path: [P, "types", "Delegations"], params: [{ name: "Balance", type: Balance }] },
);

/** FRAME's `PriorLock(BlockNumber, Balance)`: a lock that outlives the votes it came from, until a block. */
export const PriorLock = makeTy<[number, bigint]>("PriorLock", T.tuple(BlockNumber, Balance).codec, () => ({
  path: [P, "vote", "PriorLock"],
  params: [
    { name: "BlockNumber", type: BlockNumber },
    { name: "Balance", type: Balance },
  ],
  def: {
    tag: "composite",
    fields: [
      { type: BlockNumber, typeName: "BlockNumber", docs: [] },
      { type: Balance, typeName: "Balance", docs: [] },
    ],
  },
  docs: [],
}));

export const Casting = T.struct(
  { votes: T.vec(T.tuple(T.u32, AccountVote)), delegations: Delegations, prior: PriorLock },
  {
    path: [P, "vote", "Casting"],
    fieldInfo: { votes: { docs: ["The current votes of the account, sorted by poll index."] } },
  },
);
export type CastingValue = TyValue<typeof Casting>;

export const Delegating = T.struct(
  { balance: Balance, target: AccountId, conviction: Conviction, delegations: Delegations, prior: PriorLock },
  { path: [P, "vote", "Delegating"] },
);

/** An account's voting in one class. Delegation is not implemented: only `Casting` is ever stored. */
export const Voting = T.enumeration(
  { Casting: { index: 0, fields: Casting }, Delegating: { index: 1, fields: Delegating } },
  { path: [P, "vote", "Voting"] },
);
export type VotingValue = TyValue<typeof Voting>;

export const EMPTY_CASTING: CastingValue = { votes: [], delegations: { votes: 0n, capital: 0n }, prior: [0, 0n] };

/** Vote weight per conviction, in tenths: `None` counts a tenth of the balance. */
const TENTHS = [1n, 10n, 20n, 30n, 40n, 50n, 60n];

/** `balance` weighted by `conviction` (FRAME's `Conviction::votes`): `None` is 0.1x, `LockedNx` Nx. */
export function convictionVotes(conviction: number, balance: bigint): bigint {
  return (balance * TENTHS[conviction]) / 10n;
}

/** How many vote-locking periods a winning vote with `conviction` stays locked: 0, 1, 2, 4, 8, 16, 32. */
export function lockPeriods(conviction: number): number {
  return conviction === 0 ? 0 : 2 ** (conviction - 1);
}

/** The balance a vote uses (and locks). */
export function voteBalance(v: AccountVoteValue): bigint {
  switch (v.tag) {
    case "Standard":
      return v.value.balance;
    case "Split":
      return v.value.aye + v.value.nay;
    case "SplitAbstain":
      return v.value.aye + v.value.nay + v.value.abstain;
  }
}

/** What a vote adds to a tally (split votes count as `None`: a tenth of each side). */
function contribution(v: AccountVoteValue): TallyValue {
  switch (v.tag) {
    case "Standard": {
      const { aye, conviction } = parseVote(v.value.vote);
      const votes = convictionVotes(conviction, v.value.balance);
      return aye ? { ayes: votes, nays: 0n, support: v.value.balance } : { ayes: 0n, nays: votes, support: 0n };
    }
    case "Split":
      return { ayes: v.value.aye / 10n, nays: v.value.nay / 10n, support: v.value.aye };
    case "SplitAbstain":
      return { ayes: v.value.aye / 10n, nays: v.value.nay / 10n, support: v.value.aye + v.value.abstain };
  }
}

export function addVote(t: TallyValue, v: AccountVoteValue): TallyValue {
  const c = contribution(v);
  return { ayes: t.ayes + c.ayes, nays: t.nays + c.nays, support: t.support + c.support };
}

export function removeVote(t: TallyValue, v: AccountVoteValue): TallyValue {
  const c = contribution(v);
  return { ayes: t.ayes - c.ayes, nays: t.nays - c.nays, support: t.support - c.support };
}

export const EMPTY_TALLY: TallyValue = { ayes: 0n, nays: 0n, support: 0n };
