/**
 * The staking pallet's eras: the election of each era's validators, the era payout, reward points, and
 * the session manager through which the session pallet rotates the elected sets in.
 */

import { compareBytes } from "../../../primitives/hex.js";
import { DispatchError } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { mint, reserve } from "../balances.js";
import { param, STAKING } from "../parameters/index.js";
import { findAuthor, hasSessionKeys, type PlannedValidator, type SessionManager } from "../session.js";
import { Timestamp } from "../timestamp.js";
import {
  BONDING_DURATION,
  ERA_PAYOUT,
  HISTORY_DEPTH,
  hexOf,
  REWARD_POINTS_PER_BLOCK,
  SESSIONS_PER_ERA,
  Staking,
  same,
} from "./pallet.js";
import { clearEraSlashes } from "./slashing.js";
import { type ExposureValue, mulPerbill, type RewardDestinationValue, type ValidatorPrefsValue } from "./types.js";

const S = Staking.storage;

// ---- Election ----

interface Elected {
  stash: Uint8Array;
  prefs: ValidatorPrefsValue;
  exposure: ExposureValue;
}

/** Splits `amount` equally between `n` parts; the remainder goes to the first. */
function split(amount: bigint, n: number): bigint[] {
  const share = amount / BigInt(n);
  const parts = Array.from({ length: n }, () => share);
  parts[0] += amount - share * BigInt(n);
  return parts;
}

/** The top `validator_count` candidates by backing stake and their exposures, or `undefined` if too few. */
export function elect(ext: Ext): Elected[] | undefined {
  const minBond = param(ext, STAKING.min_validator_bond);
  const candidates = new Map<string, { stash: Uint8Array; prefs: ValidatorPrefsValue; own: bigint; backing: bigint }>();
  for (const [stash, prefs] of S.Validators.entries(ext)) {
    const l = S.Ledger.get(ext, stash);
    if (!l || l.active === 0n || l.active < minBond || !hasSessionKeys(ext, stash)) continue;
    candidates.set(hexOf(stash), { stash, prefs, own: l.active, backing: l.active });
  }
  const nominators: { who: Uint8Array; stake: bigint; targets: Uint8Array[] }[] = [];
  for (const [who, n] of S.Nominators.entries(ext)) {
    const stake = S.Ledger.get(ext, who)?.active ?? 0n;
    const targets = n.targets.filter((t) => candidates.has(hexOf(t)));
    if (stake === 0n || targets.length === 0) continue;
    nominators.push({ who, stake, targets });
    split(stake, targets.length).forEach((part, i) => {
      const c = candidates.get(hexOf(targets[i]))!;
      c.backing += part;
    });
  }
  const ranked = [...candidates.values()].sort((a, b) =>
    a.backing > b.backing ? -1 : a.backing < b.backing ? 1 : compareBytes(a.stash, b.stash),
  );
  const chosen = ranked.slice(0, param(ext, STAKING.validator_count));
  if (chosen.length === 0 || chosen.length < S.MinimumValidatorCount.getOrDefault(ext)) return undefined;
  const exposures = new Map<string, ExposureValue>(
    chosen.map((c) => [hexOf(c.stash), { total: c.own, own: c.own, others: [] }]),
  );
  for (const n of nominators) {
    const targets = n.targets.filter((t) => exposures.has(hexOf(t)));
    if (targets.length === 0) continue;
    split(n.stake, targets.length).forEach((part, i) => {
      const e = exposures.get(hexOf(targets[i]))!;
      e.total += part;
      e.others.push({ who: n.who, value: part });
    });
  }
  return chosen
    .map((c) => ({ stash: c.stash, prefs: c.prefs, exposure: exposures.get(hexOf(c.stash))! }))
    .sort((a, b) => compareBytes(a.stash, b.stash));
}

function clearEra(ext: Ext, era: number): void {
  S.ErasStakers.clearPrefixOf(ext, era);
  S.ErasValidatorPrefs.clearPrefixOf(ext, era);
  S.ErasValidatorReward.remove(ext, era);
  S.ErasRewardPoints.remove(ext, era);
  S.ErasTotalStake.remove(ext, era);
  S.ErasStartSessionIndex.remove(ext, era);
}

/** Plans a new era starting at session `startSession`; returns its validators sorted by account. */
function tryTriggerNewEra(ext: Ext, startSession: number): PlannedValidator[] | undefined {
  const elected = elect(ext);
  if (!elected) {
    // A chain without staking (validator_count 0) is not failing anything every session.
    if (param(ext, STAKING.validator_count) > 0) Staking.deposit(ext, { tag: "StakingElectionFailed" });
    return undefined;
  }
  const current = S.CurrentEra.get(ext);
  const era = current === undefined ? 0 : current + 1;
  S.CurrentEra.put(ext, era);
  S.ErasStartSessionIndex.insert(ext, era, startSession);
  if (era > HISTORY_DEPTH) clearEra(ext, era - HISTORY_DEPTH - 1);
  let total = 0n;
  for (const e of elected) {
    S.ErasStakers.insert(ext, [era, e.stash], e.exposure);
    S.ErasValidatorPrefs.insert(ext, [era, e.stash], e.prefs);
    total += e.exposure.total;
  }
  S.ErasTotalStake.insert(ext, era, total);
  Staking.deposit(ext, { tag: "StakersElected" });
  return elected.map((e) => ({ account: e.stash, weight: e.exposure.total }));
}

function startEra(ext: Ext, startSession: number): void {
  const index = (S.ActiveEra.get(ext)?.index ?? -1) + 1;
  S.ActiveEra.put(ext, { index, start: undefined });
  const bonded = S.BondedEras.getOrDefault(ext);
  bonded.push([index, startSession]);
  for (const [e] of bonded) if (e + BONDING_DURATION < index) clearEraSlashes(ext, e);
  S.BondedEras.put(
    ext,
    bonded.filter(([e]) => e + BONDING_DURATION >= index),
  );
}

function endEra(ext: Ext, era: number): void {
  const points = S.ErasRewardPoints.getOrDefault(ext, era);
  let paid = 0n;
  if (points.total > 0) {
    for (const [stash, p] of points.individual) {
      const exposure = S.ErasStakers.get(ext, [era, stash]);
      if (!exposure || exposure.total === 0n) continue;
      const reward = (ERA_PAYOUT * BigInt(p)) / BigInt(points.total);
      const commission = mulPerbill(S.ErasValidatorPrefs.getOrDefault(ext, [era, stash]).commission, reward);
      const rest = reward - commission;
      paid += payStaker(ext, stash, commission + (rest * exposure.own) / exposure.total);
      for (const o of exposure.others) paid += payStaker(ext, o.who, (rest * o.value) / exposure.total);
    }
  }
  S.ErasValidatorReward.insert(ext, era, paid);
  Staking.deposit(ext, { tag: "EraPaid", value: { era_index: era, validator_payout: paid, remainder: 0n } });
}

/** Mints `amount` for `stash` to its reward destination; returns what was minted (0 if it could not be). */
function payStaker(ext: Ext, stash: Uint8Array, amount: bigint): bigint {
  if (amount === 0n) return 0n;
  const dest: RewardDestinationValue = S.Payee.get(ext, stash) ?? { tag: "Stash" };
  if (dest.tag === "None") return 0n;
  try {
    ext.transactional(() => {
      if (dest.tag === "Account") mint(ext, dest.value, amount);
      else {
        mint(ext, stash, amount);
        const l = S.Ledger.get(ext, stash);
        if (dest.tag === "Staked" && l) {
          reserve(ext, stash, amount);
          S.Ledger.insert(ext, stash, { ...l, total: l.total + amount, active: l.active + amount });
        }
      }
      Staking.deposit(ext, { tag: "Rewarded", value: { stash, dest, amount } });
    });
    return amount;
  } catch (err) {
    // E.g. a reward below the existential deposit for an account that no longer exists: not paid.
    if (err instanceof DispatchError) return 0n;
    throw err;
  }
}

/** Adds reward points to `author` in the active era (none before the first era). */
export function notePoint(ext: Ext, author: Uint8Array, points = REWARD_POINTS_PER_BLOCK): void {
  const active = S.ActiveEra.get(ext);
  if (!active) return;
  const rp = S.ErasRewardPoints.getOrDefault(ext, active.index);
  const at = rp.individual.findIndex(([a]) => compareBytes(a, author) >= 0);
  if (at >= 0 && same(rp.individual[at][0], author)) rp.individual[at][1] = sat32(rp.individual[at][1] + points);
  else rp.individual.splice(at < 0 ? rp.individual.length : at, 0, [author, points]);
  rp.total = sat32(rp.total + points);
  S.ErasRewardPoints.insert(ext, active.index, rp);
}

const sat32 = (n: number): number => Math.min(n, 0xffff_ffff);

// ---- Session manager (FRAME's `impl SessionManager for Pallet`) ----

export const stakingSessionManager: SessionManager = {
  newSession(ext, newIndex) {
    const current = S.CurrentEra.get(ext);
    if (current !== undefined) {
      const start = S.ErasStartSessionIndex.get(ext, current) ?? 0;
      if (newIndex - start < SESSIONS_PER_ERA) return undefined;
    }
    return tryTriggerNewEra(ext, newIndex);
  },
  startSession(ext, index) {
    const next = (S.ActiveEra.get(ext)?.index ?? -1) + 1;
    if (S.ErasStartSessionIndex.get(ext, next) === index) startEra(ext, index);
  },
  endSession(ext, index) {
    const active = S.ActiveEra.get(ext);
    if (active && S.ErasStartSessionIndex.get(ext, active.index + 1) === index + 1) endEra(ext, active.index);
  },
  isValidatorId: (ext, who) => S.Bonded.contains(ext, who),
};

Staking.defineHooks({
  onFinalize(ext) {
    const author = findAuthor(ext);
    if (author) notePoint(ext, author);
    const active = S.ActiveEra.get(ext);
    if (active && active.start === undefined)
      S.ActiveEra.put(ext, { ...active, start: Timestamp.storage.Now.getOrDefault(ext) });
  },
});
