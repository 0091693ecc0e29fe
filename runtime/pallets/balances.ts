/**
 * # Balances pallet
 *
 * ## Overview
 * Free and reserved balances of accounts, and the total issuance. Balances live in
 * `System.Account.data` (as with FRAME's `AccountStore = System`).
 *
 * ## Terminology
 * - Existential deposit: the least total (free + reserved) balance an account may hold. Below it the
 *   account is reaped and any dust left is burned (`DustLost`).
 * - Reserved balance: funds held for another pallet (job escrow, stakes); they cannot be spent until
 *   unreserved, and can be slashed.
 * - Lock: a named amount of an account's free balance that must stay free (FRAME's `LockableCurrency`,
 *   `Locks`); conviction votes lock their balance (`pyconvot`). Locks overlap: the account's `frozen`
 *   (`AccountInfo.data.frozen`) is the largest of them.
 * - Frozen balance: the part of the free balance that cannot leave it. A transfer, a fee, a reserve
 *   (bond, stake, escrow, deposit) may only spend `free - frozen`; they fail with
 *   `LiquidityRestrictions` otherwise. An account with a lock cannot be reaped by a transfer
 *   (`Expendability`). So `frozen <= free` holds for every account, except after a root
 *   `force_set_balance` (which, as in FRAME, ignores locks).
 *
 * ## Assumptions
 * Amounts are u128 (bigint). All arithmetic is checked; logic validates before it writes. Slashes act
 * on reserved balance only, so they never break `frozen <= free`; if one reaps an account (dust), its
 * locks go with it.
 */
import { T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Balance, MultiAddress, type MultiAddressValue } from "../../primitives/types.js";
import { DB_READ_WEIGHT, DB_WRITE_WEIGHT, EXISTENTIAL_DEPOSIT } from "../constants.js";
import { checkedAdd, DispatchError, ensure, ensureRoot, ensureSigned, weight } from "../frame/dispatch.js";
import type { Ext } from "../frame/ext.js";
import { call, pallet } from "../frame/pallet.js";
import { storageMap, storageValue } from "../frame/storage.js";
import { accountExists, getAccount, putAccount } from "./system.js";

/** Where repatriated reserved funds land (FRAME's `BalanceStatus`). */
export const BalanceStatus = T.enumeration(
  { Free: { index: 0 }, Reserved: { index: 1 } },
  { path: ["frame_support", "traits", "tokens", "misc", "BalanceStatus"] },
);

/** FRAME's legacy lock reasons; every lock here is `All` (it binds transfers, fees and reserves alike). */
export const Reasons = T.enumeration(
  { Fee: { index: 0 }, Misc: { index: 1 }, All: { index: 2 } },
  { path: ["pallet_balances", "types", "Reasons"] },
);

/** A single lock on a balance (FRAME's `BalanceLock`). */
export const BalanceLock = T.struct(
  { id: T.fixedBytes(8), amount: Balance, reasons: Reasons },
  {
    path: ["pallet_balances", "types", "BalanceLock"],
    params: [{ name: "Balance", type: Balance }],
    fieldInfo: {
      id: {
        typeName: "LockIdentifier",
        docs: ["An identifier for this lock. Only one lock may be in existence for each identifier."],
      },
      amount: { docs: ["The amount which the free balance may not drop below when this lock is in effect."] },
    },
  },
);
export type BalanceLockValue = TyValue<typeof BalanceLock>;

/** Most locks one account may carry (the `MaxLocks` constant). */
export const MAX_LOCKS = 50;

export const Balances = pallet({
  name: "Balances",
  index: 2,
  module: "pallet_balances",
  docs: ["Free and reserved balances of accounts, and the total issuance."],
  storage: {
    TotalIssuance: storageValue(Balance, { default: 0n, docs: [" The total units issued in the system."] }),
    InactiveIssuance: storageValue(Balance, {
      default: 0n,
      docs: [" The total units of outstanding deactivated balance in the system."],
    }),
    Locks: storageMap("Blake2_128Concat", AccountId, T.vec(BalanceLock), {
      default: [],
      docs: [
        " Any liquidity locks on some account balances.",
        " NOTE: Should only be accessed when setting, changing and freeing a lock.",
        "",
        " Use of locks is deprecated in favour of freezes. See `https://github.com/paritytech/substrate/pull/12951/`",
      ],
    }),
  },
  constants: {
    ExistentialDeposit: {
      type: Balance,
      value: EXISTENTIAL_DEPOSIT,
      docs: [" The minimum amount required to keep an account open. MUST BE GREATER THAN ZERO!"],
    },
    MaxLocks: {
      type: T.u32,
      value: MAX_LOCKS,
      docs: [" The maximum number of locks that should exist on an account."],
    },
    MaxReserves: {
      type: T.u32,
      value: 50,
      docs: [" The maximum number of named reserves that can exist on an account."],
    },
    MaxFreezes: {
      type: T.u32,
      value: 0,
      docs: [" The maximum number of individual freeze locks that can exist on an account at any time."],
    },
  },
  events: {
    Endowed: {
      index: 0,
      fields: { account: AccountId, free_balance: Balance },
      docs: ["An account was created with some free balance."],
    },
    DustLost: {
      index: 1,
      fields: { account: AccountId, amount: Balance },
      docs: [
        "An account was removed whose balance was non-zero but below ExistentialDeposit, resulting in an outright loss.",
      ],
    },
    Transfer: { index: 2, fields: { from: AccountId, to: AccountId, amount: Balance }, docs: ["Transfer succeeded."] },
    BalanceSet: { index: 3, fields: { who: AccountId, free: Balance }, docs: ["A balance was set by root."] },
    Reserved: {
      index: 4,
      fields: { who: AccountId, amount: Balance },
      docs: ["Some balance was reserved (moved from free to reserved)."],
    },
    Unreserved: {
      index: 5,
      fields: { who: AccountId, amount: Balance },
      docs: ["Some balance was unreserved (moved from reserved to free)."],
    },
    ReserveRepatriated: {
      index: 6,
      fields: { from: AccountId, to: AccountId, amount: Balance, destination_status: BalanceStatus },
      docs: [
        "Some balance was moved from the reserve of the first account to the second account.",
        "Final argument indicates the destination balance type.",
      ],
    },
    Deposit: {
      index: 7,
      fields: { who: AccountId, amount: Balance },
      docs: ["Some amount was deposited (e.g. for transaction fees)."],
    },
    Withdraw: {
      index: 8,
      fields: { who: AccountId, amount: Balance },
      docs: ["Some amount was withdrawn from the account (e.g. for transaction fees)."],
    },
    Slashed: {
      index: 9,
      fields: { who: AccountId, amount: Balance },
      docs: ["Some amount was removed from the account (e.g. for misbehavior)."],
    },
    Locked: { index: 17, fields: { who: AccountId, amount: Balance }, docs: ["Some balance was locked."] },
    Unlocked: { index: 18, fields: { who: AccountId, amount: Balance }, docs: ["Some balance was unlocked."] },
  },
  errors: {
    VestingBalance: { index: 0, docs: "Vesting balance too high to send value." },
    LiquidityRestrictions: { index: 1, docs: "Account liquidity restrictions prevent withdrawal." },
    InsufficientBalance: { index: 2, docs: "Balance too low to send value." },
    ExistentialDeposit: { index: 3, docs: "Value too low to create account due to existential deposit." },
    Expendability: { index: 4, docs: "Transfer/payment would kill account." },
    ExistingVestingSchedule: { index: 5, docs: "A vesting schedule already exists for this account." },
    DeadAccount: { index: 6, docs: "Beneficiary account must pre-exist." },
    TooManyReserves: { index: 7, docs: "Number of named reserves exceed `MaxReserves`." },
    TooManyHolds: { index: 8, docs: "Number of holds exceed `VariantCountOf<T::RuntimeHoldReason>`." },
    TooManyFreezes: { index: 9, docs: "Number of freezes exceed `MaxFreezes`." },
    IssuanceDeactivated: { index: 10, docs: "The issuance cannot be modified since it is already deactivated." },
    DeltaZero: { index: 11, docs: "The delta cannot be zero." },
  },
});

/** Resolves a `MultiAddress`; only the `Id` form names an account on this chain. */
export function lookupAddress(address: MultiAddressValue): Uint8Array {
  if (address.tag === "Id") return address.value;
  throw new DispatchError({ tag: "CannotLookup" }, "CannotLookup");
}

export function freeBalance(ext: Ext, who: Uint8Array): bigint {
  return getAccount(ext, who).data.free;
}

export function reservedBalance(ext: Ext, who: Uint8Array): bigint {
  return getAccount(ext, who).data.reserved;
}

export function totalIssuance(ext: Ext): bigint {
  return Balances.storage.TotalIssuance.getOrDefault(ext);
}

/**
 * Moves `amount` from `from` to `to`. With `keepAlive` the sender must keep the existential deposit;
 * without it the sender may be reaped (its dust burned).
 */
export function transfer(ext: Ext, from: Uint8Array, to: Uint8Array, amount: bigint, keepAlive: boolean): void {
  const sender = getAccount(ext, from);
  ensure(sender.data.free >= amount, () => Balances.error("InsufficientBalance"));
  const remaining = sender.data.free - amount;
  ensure(remaining >= sender.data.frozen, () => Balances.error("LiquidityRestrictions"));
  const senderTotal = remaining + sender.data.reserved;
  if (keepAlive || sender.data.frozen > 0n)
    ensure(senderTotal >= EXISTENTIAL_DEPOSIT, () => Balances.error("Expendability"));
  if (amount === 0n || from.every((b, i) => b === to[i])) {
    Balances.deposit(ext, { tag: "Transfer", value: { from, to, amount } });
    return;
  }
  const recipientExisted = accountExists(ext, to);
  const recipient = getAccount(ext, to);
  const newRecipientFree = checkedAdd(recipient.data.free, amount);
  ensure(recipientExisted || newRecipientFree >= EXISTENTIAL_DEPOSIT, () => Balances.error("ExistentialDeposit"));
  // No errors allowed after this point.
  sender.data.free = remaining;
  const dust = senderTotal < EXISTENTIAL_DEPOSIT ? remaining : 0n;
  putAccount(ext, from, sender, true);
  recipient.data.free = newRecipientFree;
  putAccount(ext, to, recipient, recipientExisted);
  if (!recipientExisted)
    Balances.deposit(ext, { tag: "Endowed", value: { account: to, free_balance: newRecipientFree } });
  Balances.deposit(ext, { tag: "Transfer", value: { from, to, amount } });
  if (dust > 0n) burnDust(ext, from, dust);
}

/** An account was reaped with `dust` left: the dust is burned, and its locks go with the account. */
function burnDust(ext: Ext, who: Uint8Array, dust: bigint): void {
  Balances.storage.TotalIssuance.put(ext, totalIssuance(ext) - dust);
  Balances.storage.Locks.remove(ext, who);
  Balances.deposit(ext, { tag: "DustLost", value: { account: who, amount: dust } });
}

/**
 * Withdraws `amount` from free balance, keeping the account alive (fees): fails with `Expendability`
 * rather than reaping. The caller decides where the funds go (`deposit`) or burns them.
 */
export function withdrawKeepAlive(ext: Ext, who: Uint8Array, amount: bigint): void {
  const account = getAccount(ext, who);
  ensure(accountExists(ext, who) && account.data.free >= amount, () => Balances.error("InsufficientBalance"));
  ensure(account.data.free - amount >= account.data.frozen, () => Balances.error("LiquidityRestrictions"));
  ensure(account.data.free - amount + account.data.reserved >= EXISTENTIAL_DEPOSIT, () =>
    Balances.error("Expendability"),
  );
  account.data.free -= amount;
  putAccount(ext, who, account, true);
  Balances.deposit(ext, { tag: "Withdraw", value: { who, amount } });
}

/** Credits `amount` of funds that were withdrawn elsewhere; creates the account if it reaches the ED. */
export function depositInto(ext: Ext, who: Uint8Array, amount: bigint): void {
  if (amount === 0n) return;
  const existed = accountExists(ext, who);
  const account = getAccount(ext, who);
  ensure(existed || account.data.free + amount >= EXISTENTIAL_DEPOSIT, () => Balances.error("ExistentialDeposit"));
  account.data.free = checkedAdd(account.data.free, amount);
  putAccount(ext, who, account, existed);
  if (!existed) Balances.deposit(ext, { tag: "Endowed", value: { account: who, free_balance: account.data.free } });
  Balances.deposit(ext, { tag: "Deposit", value: { who, amount } });
}

/** Mints new funds into `who` (genesis and rewards). */
export function mint(ext: Ext, who: Uint8Array, amount: bigint): void {
  depositInto(ext, who, amount);
  Balances.storage.TotalIssuance.put(ext, checkedAdd(totalIssuance(ext), amount));
}

/**
 * Mints `amount` straight into the reserved balance of an existing account (a reward held until
 * earned): unlike `mint` then `reserve`, it cannot fail for a frozen free balance. Fails only on
 * overflow or a dead account.
 */
export function mintReserved(ext: Ext, who: Uint8Array, amount: bigint): void {
  if (amount === 0n) return;
  ensure(accountExists(ext, who), () => Balances.error("DeadAccount"));
  const account = getAccount(ext, who);
  account.data.reserved = checkedAdd(account.data.reserved, amount);
  const issuance = checkedAdd(totalIssuance(ext), amount);
  putAccount(ext, who, account, true);
  Balances.storage.TotalIssuance.put(ext, issuance);
  Balances.deposit(ext, { tag: "Deposit", value: { who, amount } });
  Balances.deposit(ext, { tag: "Reserved", value: { who, amount } });
}

/** Moves `amount` from free to reserved; the frozen part of the free balance cannot be reserved. */
export function reserve(ext: Ext, who: Uint8Array, amount: bigint): void {
  const account = getAccount(ext, who);
  ensure(account.data.free >= amount, () => Balances.error("InsufficientBalance"));
  ensure(account.data.free - amount >= account.data.frozen, () => Balances.error("LiquidityRestrictions"));
  account.data.free -= amount;
  account.data.reserved += amount;
  putAccount(ext, who, account, accountExists(ext, who));
  Balances.deposit(ext, { tag: "Reserved", value: { who, amount } });
}

/** Moves up to `amount` from reserved back to free; returns what could not be unreserved. */
export function unreserve(ext: Ext, who: Uint8Array, amount: bigint): bigint {
  const account = getAccount(ext, who);
  const actual = amount < account.data.reserved ? amount : account.data.reserved;
  if (actual === 0n) return amount;
  account.data.reserved -= actual;
  account.data.free += actual;
  putAccount(ext, who, account, true);
  Balances.deposit(ext, { tag: "Unreserved", value: { who, amount: actual } });
  return amount - actual;
}

/**
 * Burns up to `amount` of `who`'s reserved balance (a slash) and lowers the total issuance by as much.
 * Returns what was burned; never fails. The account is reaped if its total falls below the ED.
 */
export function slashReserved(ext: Ext, who: Uint8Array, amount: bigint): bigint {
  const account = getAccount(ext, who);
  const actual = amount < account.data.reserved ? amount : account.data.reserved;
  if (actual === 0n) return 0n;
  account.data.reserved -= actual;
  const dust =
    account.data.free + account.data.reserved < EXISTENTIAL_DEPOSIT ? account.data.free + account.data.reserved : 0n;
  putAccount(ext, who, account, true);
  Balances.storage.TotalIssuance.put(ext, totalIssuance(ext) - actual);
  Balances.deposit(ext, { tag: "Slashed", value: { who, amount: actual } });
  if (dust > 0n) burnDust(ext, who, dust);
  return actual;
}

/**
 * Moves up to `amount` of `from`'s reserved balance to `to`'s free (or reserved) balance, as FRAME's
 * `repatriate_reserved`: the total issuance does not change. `to` must exist (`DeadAccount`); returns
 * what could not be moved because `from` had less reserved. `from` is reaped (its dust burned) if its
 * total falls below the existential deposit.
 */
export function repatriateReserved(
  ext: Ext,
  from: Uint8Array,
  to: Uint8Array,
  amount: bigint,
  status: "Free" | "Reserved" = "Free",
): bigint {
  ensure(accountExists(ext, to), () => Balances.error("DeadAccount"));
  const source = getAccount(ext, from);
  const actual = amount < source.data.reserved ? amount : source.data.reserved;
  if (from.length === to.length && from.every((b, i) => b === to[i])) {
    return status === "Free" ? unreserve(ext, from, amount) : amount - actual;
  }
  const dest = getAccount(ext, to);
  const credited = checkedAdd(status === "Free" ? dest.data.free : dest.data.reserved, actual);
  // No errors allowed after this point.
  if (actual === 0n) return amount;
  source.data.reserved -= actual;
  const total = source.data.free + source.data.reserved;
  const dust = total < EXISTENTIAL_DEPOSIT ? total : 0n;
  putAccount(ext, from, source, true);
  if (status === "Free") dest.data.free = credited;
  else dest.data.reserved = credited;
  putAccount(ext, to, dest, true);
  Balances.deposit(ext, {
    tag: "ReserveRepatriated",
    value: { from, to, amount: actual, destination_status: { tag: status } },
  });
  if (dust > 0n) burnDust(ext, from, dust);
  return amount - actual;
}

// ---- Locks ----

/** The locks on `who`'s balance (FRAME's `Locks`). */
export function locksOf(ext: Ext, who: Uint8Array): BalanceLockValue[] {
  return Balances.storage.Locks.getOrDefault(ext, who);
}

/** What `who` may spend of its free balance: `free - frozen`. */
export function usableBalance(ext: Ext, who: Uint8Array): bigint {
  const { free, frozen } = getAccount(ext, who).data;
  return free > frozen ? free - frozen : 0n;
}

const sameId = (a: Uint8Array, b: Uint8Array) => a.every((x, i) => x === b[i]);

/**
 * Writes `who`'s locks and sets its `frozen` to the largest of them, emitting `Locked` or `Unlocked`
 * with the change. Never fails: callers check what they lock. An account that does not exist keeps no
 * locks.
 */
function updateLocks(ext: Ext, who: Uint8Array, locks: BalanceLockValue[]): void {
  const existed = accountExists(ext, who);
  if (!existed || locks.length === 0) Balances.storage.Locks.remove(ext, who);
  else Balances.storage.Locks.insert(ext, who, locks);
  if (!existed) return;
  const account = getAccount(ext, who);
  const before = account.data.frozen;
  const after = locks.reduce((m, l) => max(m, l.amount), 0n);
  if (after === before) return;
  account.data.frozen = after;
  putAccount(ext, who, account, true);
  if (after > before) Balances.deposit(ext, { tag: "Locked", value: { who, amount: after - before } });
  else Balances.deposit(ext, { tag: "Unlocked", value: { who, amount: before - after } });
}

/**
 * FRAME's `LockableCurrency::set_lock`: creates or replaces the lock `id` on `who` with `amount` (zero
 * removes it). It does not check `amount` against the balance: the caller does (a conviction vote
 * must fit in the free balance). A new id on an account with `MaxLocks` locks is refused with
 * `LiquidityRestrictions` (FRAME silently truncates); the only id in this runtime is `pyconvot`.
 */
export function setLock(ext: Ext, id: Uint8Array, who: Uint8Array, amount: bigint): void {
  if (amount === 0n) {
    removeLock(ext, id, who);
    return;
  }
  const locks = locksOf(ext, who);
  const at = locks.findIndex((l) => sameId(l.id, id));
  const lock = { id, amount, reasons: { tag: "All" as const } };
  if (at >= 0) locks[at] = lock;
  else {
    ensure(locks.length < MAX_LOCKS, () => Balances.error("LiquidityRestrictions"));
    locks.push(lock);
  }
  updateLocks(ext, who, locks);
}

/** FRAME's `LockableCurrency::remove_lock`: removes the lock `id` from `who`, if there is one. */
export function removeLock(ext: Ext, id: Uint8Array, who: Uint8Array): void {
  const locks = locksOf(ext, who);
  const kept = locks.filter((l) => !sameId(l.id, id));
  if (kept.length !== locks.length) updateLocks(ext, who, kept);
}

const TRANSFER_WEIGHT = weight(DB_READ_WEIGHT * 2n + DB_WRITE_WEIGHT * 2n);

Balances.defineCalls({
  transfer_allow_death: call({
    index: 0,
    args: { dest: MultiAddress, value: T.compactU128 },
    docs: [
      "Transfer some liquid free balance to another account.",
      "",
      "If the sender's account is below the existential deposit as a result",
      "of the transfer, the account will be reaped.",
      "",
      "The dispatch origin for this call must be `Signed` by the transactor.",
    ],
    weight: () => TRANSFER_WEIGHT,
    dispatch: (ext, origin, { dest, value }) => {
      const from = ensureSigned(origin);
      transfer(ext, from, lookupAddress(dest), value, false);
    },
  }),
  force_transfer: call({
    index: 2,
    args: { source: MultiAddress, dest: MultiAddress, value: T.compactU128 },
    docs: [
      "Exactly as `transfer_allow_death`, except the origin must be root and the source account may be specified.",
    ],
    weight: () => TRANSFER_WEIGHT,
    dispatch: (ext, origin, { source, dest, value }) => {
      ensureRoot(origin);
      transfer(ext, lookupAddress(source), lookupAddress(dest), value, false);
    },
  }),
  transfer_keep_alive: call({
    index: 3,
    args: { dest: MultiAddress, value: T.compactU128 },
    docs: [
      "Same as the `transfer_allow_death` call, but with a check that the transfer will not",
      "kill the origin account.",
    ],
    weight: () => TRANSFER_WEIGHT,
    dispatch: (ext, origin, { dest, value }) => {
      const from = ensureSigned(origin);
      transfer(ext, from, lookupAddress(dest), value, true);
    },
  }),
  transfer_all: call({
    index: 4,
    args: { dest: MultiAddress, keep_alive: T.bool },
    docs: [
      "Transfer the entire transferable balance from the caller account.",
      "",
      "- `keep_alive`: A boolean to determine if the `transfer_all` operation should send all",
      "  of the funds the account has, causing the sender account to be killed (false), or",
      "  transfer everything except at least the existential deposit, which will guarantee to",
      "  keep the sender account alive (true).",
    ],
    weight: () => TRANSFER_WEIGHT,
    dispatch: (ext, origin, { dest, keep_alive }) => {
      const from = ensureSigned(origin);
      const account = getAccount(ext, from);
      const keepAlive = keep_alive || account.data.frozen > 0n;
      const keepForExistence =
        keepAlive || account.data.reserved > 0n
          ? EXISTENTIAL_DEPOSIT - min(account.data.reserved, EXISTENTIAL_DEPOSIT)
          : 0n;
      const keep = keepForExistence > account.data.frozen ? keepForExistence : account.data.frozen;
      const amount = account.data.free > keep ? account.data.free - keep : 0n;
      transfer(ext, from, lookupAddress(dest), amount, keepAlive);
    },
  }),
  force_set_balance: call({
    index: 8,
    args: { who: MultiAddress, new_free: T.compactU128 },
    docs: ["Set the regular balance of a given account.", "", "The dispatch origin for this call is `root`."],
    weight: () => TRANSFER_WEIGHT,
    dispatch: (ext, origin, { who, new_free }) => {
      ensureRoot(origin);
      const account = lookupAddress(who);
      const existed = accountExists(ext, account);
      const info = getAccount(ext, account);
      const old = info.data.free;
      info.data.free = new_free;
      putAccount(ext, account, info, existed);
      Balances.storage.TotalIssuance.put(ext, totalIssuance(ext) - old + new_free);
      Balances.deposit(ext, { tag: "BalanceSet", value: { who: account, free: new_free } });
    },
  }),
});

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** Genesis: endow accounts; the total issuance is their sum. */
export function buildBalancesGenesis(ext: Ext, balances: [Uint8Array, bigint][]): void {
  const seen = new Set<string>();
  for (const [who, amount] of balances) {
    const key = Buffer.from(who).toString("hex");
    if (seen.has(key)) throw new Error(`Genesis: duplicate balance for account 0x${key}`);
    if (amount < EXISTENTIAL_DEPOSIT) throw new Error(`Genesis: balance of 0x${key} is below the existential deposit`);
    seen.add(key);
    mint(ext, who, amount);
  }
}
