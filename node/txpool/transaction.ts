import type { ReadyTransaction } from "./interface.js";

/** Largest u64: priorities and `validTill` saturate at it, as Substrate's u64 arithmetic does. */
export const U64_MAX = (1n << 64n) - 1n;

/**
 * A validated transaction as the queues hold it (Substrate's `base_pool::Transaction`). Immutable
 * except for `revalidatedAt` and `validTill`; a revalidation that changes the validity replaces the object.
 */
export interface PoolTransaction extends ReadyTransaction {
  /** Moved forward in place by a revalidation that changes nothing else. */
  validTill: bigint;
  /** `now()` when first submitted; kept across revalidations. Orders the future queue's eviction. */
  readonly submittedAt: number;
  /** Number of the block the validity was last computed at. */
  revalidatedAt: number;
}

export function txSize(tx: PoolTransaction): number {
  return tx.bytes.length;
}

export function saturatingAdd(a: bigint, b: bigint): bigint {
  const s = a + b;
  return s > U64_MAX ? U64_MAX : s;
}
