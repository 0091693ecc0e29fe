import { beforeAll, describe, expect, it } from "@jest/globals";
import { blake2_256, concat, cryptoReady } from "../../../primitives/hashing.js";
import { isBelowTarget } from "../../../primitives/pouw.js";
import { T } from "../../../primitives/scale/types.js";
import {
  DifficultyError,
  type EpochTickets,
  MAX_TARGET,
  MIN_TARGET,
  nextTarget,
  ticketChancePpb,
} from "../../../runtime/pallets/pouw/difficulty.js";
import { thrownCode } from "../../helpers/errors.js";

beforeAll(async () => {
  await cryptoReady();
});

const code = (f: () => unknown) => thrownCode(f, DifficultyError);
/** An epoch of 10 blocks wanting 2 tickets a block (20 expected) at target 1000. */
const epoch = (tickets: bigint, over: Partial<EpochTickets> = {}): bigint =>
  nextTarget({ target: 1000n, tickets, blocks: 10n, targetTicketsPerBlock: 2n, ...over });

describe("PoUW difficulty retarget", () => {
  it("scales the target by expected / seen, floored", () => {
    expect(epoch(20n)).toBe(1000n);
    expect(epoch(10n)).toBe(2000n);
    expect(epoch(40n)).toBe(500n);
    expect(epoch(30n)).toBe(666n);
    expect(epoch(21n)).toBe(952n);
    expect(epoch(6n)).toBe(3333n);
  });

  it("moves at most x4 or x1/4 in one epoch", () => {
    expect(epoch(5n)).toBe(4000n);
    expect(epoch(4n)).toBe(4000n);
    expect(epoch(1n)).toBe(4000n);
    expect(epoch(0n)).toBe(4000n);
    expect(epoch(80n)).toBe(250n);
    expect(epoch(79n)).toBe(253n);
    expect(epoch(1_000_000n)).toBe(250n);
  });

  it("stays within 1..2^256", () => {
    expect(epoch(0n, { target: MAX_TARGET })).toBe(MAX_TARGET);
    expect(epoch(0n, { target: MAX_TARGET / 2n })).toBe(MAX_TARGET);
    expect(epoch(1000n, { target: MIN_TARGET })).toBe(MIN_TARGET);
    expect(epoch(1000n, { target: 3n })).toBe(MIN_TARGET);
    // From the hardest target it can still be raised.
    expect(epoch(0n, { target: MIN_TARGET })).toBe(4n);
  });

  it("keeps the target when the epoch says nothing", () => {
    expect(epoch(7n, { blocks: 0n })).toBe(1000n);
    expect(epoch(0n, { targetTicketsPerBlock: 0n })).toBe(1000n);
    // Tickets when none are wanted lower it, at most x1/4.
    expect(epoch(1n, { targetTicketsPerBlock: 0n })).toBe(250n);
  });

  it("rejects out-of-range input with named errors", () => {
    expect(code(() => epoch(1n, { target: 0n }))).toBe("DIFFICULTY_ERROR_BAD_TARGET");
    expect(code(() => epoch(1n, { target: MAX_TARGET + 1n }))).toBe("DIFFICULTY_ERROR_BAD_TARGET");
    expect(code(() => epoch(-1n))).toBe("DIFFICULTY_ERROR_NEGATIVE");
    expect(code(() => epoch(1n, { blocks: -1n }))).toBe("DIFFICULTY_ERROR_NEGATIVE");
    expect(code(() => epoch(1n, { targetTicketsPerBlock: -1n }))).toBe("DIFFICULTY_ERROR_NEGATIVE");
  });

  it("reports the per-leaf chance in parts per billion", () => {
    expect(ticketChancePpb(MAX_TARGET)).toBe(1_000_000_000n);
    expect(ticketChancePpb(MAX_TARGET / 4n)).toBe(250_000_000n);
  });
});

/**
 * Simulated epochs: `leavesPerBlock` checkpoint leaves a block, each a ticket when its (hash-drawn)
 * score is below the target, as the pallet would count them, capped at `maxPerBlock` a block.
 */
function simulate(opts: {
  target: bigint;
  leavesPerBlock: number;
  blocks: number;
  wanted: bigint;
  maxPerBlock?: number;
  epochs: number;
}): { targets: bigint[]; perBlock: number[] } {
  let target = opts.target;
  const targets = [target];
  const perBlock: number[] = [];
  for (let e = 0; e < opts.epochs; e++) {
    let tickets = 0;
    for (let b = 0; b < opts.blocks; b++) {
      let inBlock = 0;
      for (let l = 0; l < opts.leavesPerBlock; l++) {
        const score = blake2_256(concat(T.u32.enc(e), T.u32.enc(b), T.u32.enc(l)));
        if (isBelowTarget(score, target)) inBlock++;
      }
      tickets += Math.min(inBlock, opts.maxPerBlock ?? Number.POSITIVE_INFINITY);
    }
    perBlock.push(tickets / opts.blocks);
    target = nextTarget({
      target,
      tickets: BigInt(tickets),
      blocks: BigInt(opts.blocks),
      targetTicketsPerBlock: opts.wanted,
    });
    targets.push(target);
  }
  return { targets, perBlock };
}

function withinBound(targets: bigint[]): boolean {
  for (let i = 1; i < targets.length; i++) {
    const [a, b] = [targets[i - 1]!, targets[i]!];
    if (b > a * 4n || b * 4n < a) return false;
  }
  return true;
}

describe("PoUW difficulty: simulated epochs converge within the bound", () => {
  // 100 leaves a block; 4 tickets a block wanted: the right target is 4% of 2^256.
  const base = { leavesPerBlock: 100, blocks: 50, wanted: 4n, epochs: 8 };

  it("4x too many tickets: down toward the target, never more than x1/4 an epoch", () => {
    const { targets, perBlock } = simulate({ ...base, target: (MAX_TARGET * 16n) / 100n });
    expect(perBlock[0]).toBeGreaterThan(13);
    expect(perBlock[0]).toBeLessThan(19);
    expect(withinBound(targets)).toBe(true);
    expect(targets[1]! < targets[0]!).toBe(true);
    for (const p of perBlock.slice(1)) {
      expect(p).toBeGreaterThan(3);
      expect(p).toBeLessThan(5);
    }
  });

  it("4x too few tickets: up toward the target, never more than x4 an epoch", () => {
    const { targets, perBlock } = simulate({ ...base, target: MAX_TARGET / 100n });
    expect(perBlock[0]).toBeGreaterThan(0.5);
    expect(perBlock[0]).toBeLessThan(1.5);
    expect(withinBound(targets)).toBe(true);
    expect(targets[1]! > targets[0]!).toBe(true);
    for (const p of perBlock.slice(1)) {
      expect(p).toBeGreaterThan(3);
      expect(p).toBeLessThan(5);
    }
  });

  it("far off (25x too many, seen through a cap of 16 a block): takes several epochs, each within x1/4", () => {
    const { targets, perBlock } = simulate({ ...base, epochs: 10, maxPerBlock: 16, target: MAX_TARGET });
    expect(perBlock[0]).toBe(16);
    expect(withinBound(targets)).toBe(true);
    // Every leaf passes at 2^256; the right target, 4/100 of it, is 25x lower: two epochs at the bound.
    expect(targets[1]).toBe(MAX_TARGET / 4n);
    expect(perBlock[2]).toBeGreaterThan(5);
    for (const p of perBlock.slice(4)) {
      expect(p).toBeGreaterThan(3);
      expect(p).toBeLessThan(5);
    }
  });

  it("no tickets at all: x4 an epoch up to the easiest target", () => {
    const { targets } = simulate({ ...base, leavesPerBlock: 0, epochs: 3, target: 1n << 200n });
    expect(targets).toEqual([1n << 200n, 1n << 202n, 1n << 204n, 1n << 206n]);
  });
});
