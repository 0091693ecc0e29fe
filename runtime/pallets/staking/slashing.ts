/**
 * The staking pallet's side of slashing: which era and exposure an offence hits, the highest slash per
 * era, and the burn.
 *
 * Highest slash per era (FRAME's `ValidatorSlashInEra` / `NominatorSlashInEra`, with one slashing span
 * per era instead of FRAME's spans across eras): within one era a validator pays for its worst offence
 * only. An offence whose fraction is not above the validator's highest fraction of that era slashes
 * nothing; a larger one slashes only the difference, `(new - prior) * exposure`, from the validator and
 * from each nominator of that exposure.
 */
import type { Ext } from "../../frame/ext.js";
import { slashReserved } from "../balances.js";
import { param, STAKING } from "../parameters/index.js";
import { minBig, Staking } from "./pallet.js";
import { type ExposureValue, mulPerbill } from "./types.js";

const S = Staking.storage;

/** The era whose exposures were live in `sessionIndex`, if it is still within the bonding period. */
export function eraOfSession(ext: Ext, sessionIndex: number): number | undefined {
  const bonded = S.BondedEras.getOrDefault(ext);
  for (let i = bonded.length - 1; i >= 0; i--) if (bonded[i][1] <= sessionIndex) return bonded[i][0];
  return undefined;
}

export function exposureOf(ext: Ext, era: number, stash: Uint8Array): ExposureValue | undefined {
  return S.ErasStakers.contains(ext, [era, stash]) ? S.ErasStakers.get(ext, [era, stash]) : undefined;
}

/** The `staking.slash_fraction` parameter, in perbill. */
export function slashFraction(ext: Ext): number {
  return param(ext, STAKING.slash_fraction);
}

/**
 * Burns up to `amount` of `stash`'s bond: from its active bond first, then from its unlocking chunks,
 * latest first. Returns what was burned. Never fails.
 */
export function slashStaker(ext: Ext, stash: Uint8Array, amount: bigint): bigint {
  const l = S.Ledger.get(ext, stash);
  if (!l || amount === 0n) return 0n;
  const burned = slashReserved(ext, stash, minBig(amount, l.total));
  let remaining = burned;
  const fromActive = minBig(remaining, l.active);
  l.active -= fromActive;
  remaining -= fromActive;
  for (let i = l.unlocking.length - 1; i >= 0 && remaining > 0n; i--) {
    const d = minBig(remaining, l.unlocking[i].value);
    l.unlocking[i].value -= d;
    remaining -= d;
  }
  l.unlocking = l.unlocking.filter((c) => c.value > 0n);
  l.total -= burned;
  S.Ledger.insert(ext, stash, l);
  if (burned > 0n) Staking.deposit(ext, { tag: "Slashed", value: { staker: stash, amount: burned } });
  return burned;
}

/**
 * Slashes `stash` (exposed with `exposure` in `era`) for an offence of `fraction`, keeping only the
 * highest slash of the era: the validator's own part and each nominator's part are burned by what
 * `fraction` adds over the highest fraction already slashed for `stash` in `era`. Returns the total
 * burned (0 when `fraction` is not above that highest fraction). Never fails.
 */
export function slashValidatorInEra(
  ext: Ext,
  era: number,
  stash: Uint8Array,
  fraction: number,
  exposure: ExposureValue,
): bigint {
  const [prior, priorOwn] = S.ValidatorSlashInEra.get(ext, [era, stash]) ?? [0, 0n];
  if (fraction <= prior) return 0n;
  const own = mulPerbill(fraction, exposure.own);
  S.ValidatorSlashInEra.insert(ext, [era, stash], [fraction, own]);
  let slashed = slashStaker(ext, stash, own - priorOwn);
  for (const o of exposure.others) {
    // Rounded per fraction, so that the parts add up to `mulPerbill(highest, value)` over the era.
    const more = mulPerbill(fraction, o.value) - mulPerbill(prior, o.value);
    if (more === 0n) continue;
    S.NominatorSlashInEra.insert(ext, [era, o.who], (S.NominatorSlashInEra.get(ext, [era, o.who]) ?? 0n) + more);
    slashed += slashStaker(ext, o.who, more);
  }
  return slashed;
}

/** Forgets the slashes of `era` (once it leaves the bonding period: it can no longer be slashed). */
export function clearEraSlashes(ext: Ext, era: number): void {
  S.ValidatorSlashInEra.clearPrefixOf(ext, era);
  S.NominatorSlashInEra.clearPrefixOf(ext, era);
}
