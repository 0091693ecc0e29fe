/** The staking pallet's calls: bonding, unbonding, and the validator and nominator roles. */
import { compareBytes } from "../../../primitives/hex.js";
import { T } from "../../../primitives/scale/types.js";
import { MultiAddress } from "../../../primitives/types.js";
import { EXISTENTIAL_DEPOSIT } from "../../constants.js";
import { ensure, ensureSigned } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { call } from "../../frame/pallet.js";
import { freeBalance, lookupAddress, reserve, unreserve } from "../balances.js";
import { param, STAKING } from "../parameters/index.js";
import { BONDING_DURATION, MAX_NOMINATIONS, MAX_UNLOCKING_CHUNKS, minBig, Staking, same, w } from "./pallet.js";
import {
  PERBILL,
  RewardDestination,
  type RewardDestinationValue,
  type StakingLedgerValue,
  ValidatorPrefs,
  type ValidatorPrefsValue,
} from "./types.js";

const S = Staking.storage;

// ---- Ledger and role helpers ----

function ledgerOf(ext: Ext, controller: Uint8Array): StakingLedgerValue {
  const ledger = S.Ledger.get(ext, controller);
  if (!ledger) throw Staking.error("NotController");
  return ledger;
}

function removeValidator(ext: Ext, stash: Uint8Array): boolean {
  if (!S.Validators.contains(ext, stash)) return false;
  S.Validators.remove(ext, stash);
  S.CounterForValidators.put(ext, S.CounterForValidators.getOrDefault(ext) - 1);
  return true;
}

function removeNominator(ext: Ext, stash: Uint8Array): boolean {
  if (!S.Nominators.contains(ext, stash)) return false;
  S.Nominators.remove(ext, stash);
  S.CounterForNominators.put(ext, S.CounterForNominators.getOrDefault(ext) - 1);
  return true;
}

/** Removes `stash` from validators and nominators; `Chilled` if it was either. */
export function chillStash(ext: Ext, stash: Uint8Array): void {
  const asValidator = removeValidator(ext, stash);
  const asNominator = removeNominator(ext, stash);
  if (asValidator || asNominator) Staking.deposit(ext, { tag: "Chilled", value: { stash } });
}

function checkPerbill(parts: number): void {
  ensure(Number.isInteger(parts) && parts >= 0 && parts <= PERBILL, () => Staking.error("InvalidPerbill"));
}

export function doBond(ext: Ext, stash: Uint8Array, value: bigint, payee: RewardDestinationValue): void {
  ensure(!S.Bonded.contains(ext, stash), () => Staking.error("AlreadyBonded"));
  ensure(!S.Ledger.contains(ext, stash), () => Staking.error("AlreadyPaired"));
  ensure(payee.tag !== "Controller", () => Staking.error("ControllerDeprecated"));
  // As in FRAME: bond at most the free balance.
  const amount = minBig(value, freeBalance(ext, stash));
  ensure(amount >= EXISTENTIAL_DEPOSIT, () => Staking.error("InsufficientBond"));
  // No errors allowed after this point.
  reserve(ext, stash, amount);
  S.Bonded.insert(ext, stash, stash);
  S.Payee.insert(ext, stash, payee);
  S.Ledger.insert(ext, stash, { stash, total: amount, active: amount, unlocking: [], legacy_claimed_rewards: [] });
  Staking.deposit(ext, { tag: "Bonded", value: { stash, amount } });
}

export function doBondExtra(ext: Ext, stash: Uint8Array, maxAdditional: bigint): void {
  ensure(S.Bonded.contains(ext, stash), () => Staking.error("NotStash"));
  const l = ledgerOf(ext, stash);
  const extra = minBig(maxAdditional, freeBalance(ext, stash));
  l.total += extra;
  l.active += extra;
  ensure(l.active >= EXISTENTIAL_DEPOSIT, () => Staking.error("InsufficientBond"));
  if (extra > 0n) reserve(ext, stash, extra);
  S.Ledger.insert(ext, stash, l);
  Staking.deposit(ext, { tag: "Bonded", value: { stash, amount: extra } });
}

export function doUnbond(ext: Ext, controller: Uint8Array, value: bigint): void {
  const l = ledgerOf(ext, controller);
  const era = (S.CurrentEra.get(ext) ?? 0) + BONDING_DURATION;
  const last = l.unlocking.at(-1);
  ensure(l.unlocking.length < MAX_UNLOCKING_CHUNKS || last?.era === era, () => Staking.error("NoMoreChunks"));
  let amount = minBig(value, l.active);
  if (amount === 0n) return;
  let active = l.active - amount;
  // Dust below the existential deposit is unbonded with the rest.
  if (active < EXISTENTIAL_DEPOSIT) {
    amount += active;
    active = 0n;
  }
  const minActive = S.Validators.contains(ext, l.stash)
    ? param(ext, STAKING.min_validator_bond)
    : S.Nominators.contains(ext, l.stash)
      ? S.MinNominatorBond.getOrDefault(ext)
      : 0n;
  ensure(active >= minActive || active === 0n, () => Staking.error("InsufficientBond"));
  // No errors allowed after this point.
  l.active = active;
  if (last && last.era === era) last.value += amount;
  else l.unlocking.push({ value: amount, era });
  S.Ledger.insert(ext, controller, l);
  Staking.deposit(ext, { tag: "Unbonded", value: { stash: l.stash, amount } });
}

/** Releases the chunks whose era has come; removes the stash entirely once nothing is left bonded. */
export function doWithdrawUnbonded(ext: Ext, controller: Uint8Array): void {
  const l = ledgerOf(ext, controller);
  const currentEra = S.CurrentEra.get(ext) ?? 0;
  const keep = l.unlocking.filter((c) => c.era > currentEra);
  let withdrawn = l.unlocking.filter((c) => c.era <= currentEra).reduce((s, c) => s + c.value, 0n);
  const stash = l.stash;
  if (keep.length === 0 && l.active < EXISTENTIAL_DEPOSIT) {
    // Nothing bonded and nothing unlocking: the stash is done with staking.
    withdrawn = l.total;
    unreserve(ext, stash, withdrawn);
    S.Bonded.remove(ext, stash);
    S.Ledger.remove(ext, controller);
    S.Payee.remove(ext, stash);
    removeValidator(ext, stash);
    removeNominator(ext, stash);
  } else {
    if (withdrawn === 0n) return;
    unreserve(ext, stash, withdrawn);
    S.Ledger.insert(ext, controller, { ...l, total: l.total - withdrawn, unlocking: keep });
  }
  if (withdrawn > 0n) Staking.deposit(ext, { tag: "Withdrawn", value: { stash, amount: withdrawn } });
}

export function doValidate(ext: Ext, controller: Uint8Array, prefs: ValidatorPrefsValue): void {
  const l = ledgerOf(ext, controller);
  ensure(l.active >= param(ext, STAKING.min_validator_bond), () => Staking.error("InsufficientBond"));
  checkPerbill(prefs.commission);
  const stash = l.stash;
  // No errors allowed after this point.
  removeNominator(ext, stash);
  if (!S.Validators.contains(ext, stash)) S.CounterForValidators.put(ext, S.CounterForValidators.getOrDefault(ext) + 1);
  S.Validators.insert(ext, stash, prefs);
  Staking.deposit(ext, { tag: "ValidatorPrefsSet", value: { stash, prefs } });
}

export function doNominate(ext: Ext, controller: Uint8Array, targets: Uint8Array[]): void {
  const l = ledgerOf(ext, controller);
  ensure(l.active >= S.MinNominatorBond.getOrDefault(ext), () => Staking.error("InsufficientBond"));
  ensure(targets.length > 0, () => Staking.error("EmptyTargets"));
  ensure(targets.length <= MAX_NOMINATIONS, () => Staking.error("TooManyTargets"));
  const stash = l.stash;
  const old = S.Nominators.get(ext, stash)?.targets ?? [];
  const sorted = [...targets].sort(compareBytes).filter((t, i, all) => i === 0 || !same(t, all[i - 1]));
  for (const t of sorted) {
    // A good target is a validator that is not blocked, or one that was already nominated.
    const ok =
      S.Validators.contains(ext, t) && (!S.Validators.getOrDefault(ext, t).blocked || old.some((o) => same(o, t)));
    ensure(ok, () => Staking.error("BadTarget"));
  }
  // No errors allowed after this point.
  removeValidator(ext, stash);
  if (!S.Nominators.contains(ext, stash)) S.CounterForNominators.put(ext, S.CounterForNominators.getOrDefault(ext) + 1);
  S.Nominators.insert(ext, stash, { targets: sorted, submitted_in: S.CurrentEra.get(ext) ?? 0, suppressed: false });
}
Staking.defineCalls({
  bond: call({
    index: 0,
    args: { value: T.compactU128, payee: RewardDestination },
    docs: [
      "Take the origin account as a stash and lock up `value` of its balance (at most its free",
      "balance; the funds are reserved). The stash is its own controller.",
    ],
    weight: () => w(4n, 5n),
    dispatch: (ext, origin, { value, payee }) => doBond(ext, ensureSigned(origin), value, payee),
  }),
  bond_extra: call({
    index: 1,
    args: { max_additional: T.compactU128 },
    docs: ["Add some extra amount that have appeared in the stash `free_balance` into the balance up", "for staking."],
    weight: () => w(3n, 2n),
    dispatch: (ext, origin, { max_additional }) => doBondExtra(ext, ensureSigned(origin), max_additional),
  }),
  unbond: call({
    index: 2,
    args: { value: T.compactU128 },
    docs: [
      "Schedule a portion of the stash to be unlocked ready for transfer out after the bond",
      "period ends (`BondingDuration` eras after the current era).",
    ],
    weight: () => w(4n, 1n),
    dispatch: (ext, origin, { value }) => doUnbond(ext, ensureSigned(origin), value),
  }),
  withdraw_unbonded: call({
    index: 3,
    args: { num_slashing_spans: T.u32 },
    docs: [
      "Remove any unlocked chunks from the `unlocking` queue from our management (unreserving them).",
      "If nothing remains bonded, the stash is removed from staking.",
    ],
    weight: () => w(4n, 6n),
    dispatch: (ext, origin) => doWithdrawUnbonded(ext, ensureSigned(origin)),
  }),
  validate: call({
    index: 4,
    args: { prefs: ValidatorPrefs },
    docs: [
      "Declare the desire to validate for the origin controller.",
      "",
      "Effects will be felt at the beginning of the next era.",
    ],
    weight: () => w(4n, 3n),
    dispatch: (ext, origin, { prefs }) => doValidate(ext, ensureSigned(origin), prefs),
  }),
  nominate: call({
    index: 5,
    args: { targets: T.vec(MultiAddress) },
    docs: [
      "Declare the desire to nominate `targets` for the origin controller.",
      "",
      "Effects will be felt at the beginning of the next era.",
    ],
    weight: ({ targets }) => w(3n + BigInt(targets.length), 3n),
    dispatch: (ext, origin, { targets }) => doNominate(ext, ensureSigned(origin), targets.map(lookupAddress)),
  }),
  chill: call({
    index: 6,
    args: {},
    docs: [
      "Declare no desire to either validate or nominate.",
      "",
      "Effects will be felt at the beginning of the next era.",
    ],
    weight: () => w(3n, 3n),
    dispatch: (ext, origin) => chillStash(ext, ledgerOf(ext, ensureSigned(origin)).stash),
  }),
  set_payee: call({
    index: 7,
    args: { payee: RewardDestination },
    docs: ["(Re-)set the payment target for a controller."],
    weight: () => w(1n, 1n),
    dispatch: (ext, origin, { payee }) => {
      const l = ledgerOf(ext, ensureSigned(origin));
      ensure(payee.tag !== "Controller", () => Staking.error("ControllerDeprecated"));
      S.Payee.insert(ext, l.stash, payee);
    },
  }),
});
