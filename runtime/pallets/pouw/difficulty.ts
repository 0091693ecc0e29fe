/**
 * The PoUW difficulty retarget (DESIGN §5, issue 12), pure so the `pouw` pallet's epoch hook, the
 * RPC's forecast and the tests share one rule.
 *
 * `Difficulty` is a target T in 1..2^256: a ticket is valid when its 256-bit score is below T
 * (primitives/pouw.ts), so each checkpoint leaf a trainer reaches yields a ticket with probability
 * T / 2^256, and the tickets an epoch sees are proportional to T times the work done. Retargeting
 * scales T by expected / seen, where expected = `TargetTicketsPerBlock` × blocks in the epoch:
 *
 *   next = T × expected / seen          (floor; bigint only: the runtime has no floating point)
 *
 * bounded as Bitcoin bounds its timespan: the factor is clamped to [¼, 4], so one epoch of an
 * unusual load (or a block author that omits tickets) moves the target by at most ×4 either way.
 * An epoch with no tickets raises T ×4; an epoch with no blocks (or in which none were wanted and
 * none came) says nothing and keeps T. The result
 * stays in 1..2^256 (a target of 0 could never be raised again by a multiplication).
 */
import { TensorchainError } from "../../../primitives/errors.js";

export type DifficultyErrorType =
  | { code: "DIFFICULTY_ERROR_BAD_TARGET"; target: bigint }
  | { code: "DIFFICULTY_ERROR_NEGATIVE"; field: "tickets" | "blocks" | "targetTicketsPerBlock"; value: bigint };

export class DifficultyError extends TensorchainError<DifficultyErrorType> {}

/** The easiest target: every score (< 2^256) is below it. */
export const MAX_TARGET = 1n << 256n;
/** The hardest target kept: a score of 0 alone passes. */
export const MIN_TARGET = 1n;
/** The most the target moves in one epoch, either way. */
export const MAX_ADJUSTMENT = 4n;

export interface EpochTickets {
  /** The target in force during the epoch (1..2^256). */
  target: bigint;
  /** Tickets accepted in the epoch's blocks. */
  tickets: bigint;
  /** Blocks in the epoch. */
  blocks: bigint;
  /** `TargetTicketsPerBlock`. */
  targetTicketsPerBlock: bigint;
}

/** The target for the next epoch (module docs). Throws `DIFFICULTY_ERROR_*` on out-of-range input. */
export function nextTarget(epoch: EpochTickets): bigint {
  const { target, tickets, blocks, targetTicketsPerBlock } = epoch;
  if (target < MIN_TARGET || target > MAX_TARGET)
    throw new DifficultyError({ code: "DIFFICULTY_ERROR_BAD_TARGET", target });
  for (const [field, value] of [
    ["tickets", tickets],
    ["blocks", blocks],
    ["targetTicketsPerBlock", targetTicketsPerBlock],
  ] as const) {
    if (value < 0n) throw new DifficultyError({ code: "DIFFICULTY_ERROR_NEGATIVE", field, value });
  }
  const expected = targetTicketsPerBlock * blocks;
  // No blocks, or nothing wanted and nothing seen: no evidence either way.
  if (blocks === 0n || (expected === 0n && tickets === 0n)) return target;
  let next: bigint;
  // Compare the ratio expected/tickets with the bounds by cross-multiplying, so the clamp is exact.
  if (tickets * MAX_ADJUSTMENT <= expected) next = target * MAX_ADJUSTMENT;
  else if (expected * MAX_ADJUSTMENT <= tickets) next = target / MAX_ADJUSTMENT;
  else next = (target * expected) / tickets;
  if (next > MAX_TARGET) return MAX_TARGET;
  if (next < MIN_TARGET) return MIN_TARGET;
  return next;
}

/** The chance, in parts per billion, that one leaf's ticket beats `target`: for RPC and logs only. */
export function ticketChancePpb(target: bigint): bigint {
  return (target * 1_000_000_000n) / MAX_TARGET;
}
