/**
 * Origins, dispatch errors and weights: the vocabulary every call shares.
 *
 * A call fails by throwing `DispatchError`; the executive catches it inside the extrinsic's storage
 * transaction, rolls back the call's writes, and records `System.ExtrinsicFailed` with the error.
 */
import type { AccountIdBytes, DispatchErrorValue, WeightValue } from "../../primitives/types.js";

export type Origin = { kind: "signed"; who: AccountIdBytes } | { kind: "root" } | { kind: "none" };

export class DispatchError extends Error {
  constructor(
    readonly value: DispatchErrorValue,
    /** Human-readable name, e.g. `Balances.InsufficientBalance`. */
    readonly label: string,
  ) {
    super(label);
    this.name = "DispatchError";
  }
}

export const BadOrigin = (): DispatchError => new DispatchError({ tag: "BadOrigin" }, "BadOrigin");

export function ensure(condition: boolean, error: () => DispatchError): asserts condition {
  if (!condition) throw error();
}

export function ensureSigned(origin: Origin): AccountIdBytes {
  if (origin.kind !== "signed") throw BadOrigin();
  return origin.who;
}

export function ensureRoot(origin: Origin): void {
  if (origin.kind !== "root") throw BadOrigin();
}

export function ensureNone(origin: Origin): void {
  if (origin.kind !== "none") throw BadOrigin();
}

export function weight(refTime: bigint, proofSize = 0n): WeightValue {
  return { ref_time: refTime, proof_size: proofSize };
}

export function addWeight(a: WeightValue, b: WeightValue): WeightValue {
  return { ref_time: a.ref_time + b.ref_time, proof_size: a.proof_size + b.proof_size };
}

/** Checked u128 arithmetic for balances: overflow is a dispatch error, never a wrap. */
export const U128_MAX = (1n << 128n) - 1n;

export function checkedAdd(a: bigint, b: bigint): bigint {
  const r = a + b;
  if (r > U128_MAX) throw new DispatchError({ tag: "Arithmetic", value: { tag: "Overflow" } }, "Arithmetic.Overflow");
  return r;
}
