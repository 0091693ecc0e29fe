/** The staking pallet's side of slashing: which era and exposure an offence hits, and the burn. */
import type { Ext } from "../../frame/ext.js";
import { slashReserved } from "../balances.js";
import { param, STAKING } from "../parameters/index.js";
import { minBig, Staking } from "./pallet.js";
import type { ExposureValue } from "./types.js";

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
