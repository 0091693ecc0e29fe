/**
 * The fuzz budget, shared by the fuzz targets in this folder.
 *
 * `FUZZ_RUNS` (default 1000, what CI's `npm test` runs) is the number of generated cases per target;
 * `npm run fuzz -- --runs 100000` sets it for a long run. `FUZZ_SEED` (and `FUZZ_PATH`, both printed
 * by fast-check on a failure) replay a failing case.
 */
import type * as fc from "fast-check";

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return n;
}

/** Generated cases per target. */
export const FUZZ_RUNS = intFromEnv("FUZZ_RUNS", 1000);

/**
 * fast-check parameters for `runs` cases (the target's budget by default), with the replay seed and
 * path when given.
 */
export function fuzzParams<Ts>(runs: number = FUZZ_RUNS): fc.Parameters<Ts> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: runs,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/**
 * Jest's timeout for a target: the default minute for CI's budget, scaled for long runs (a target
 * runs at most ~`msPerRun` per case on the slow CI machines).
 */
export function fuzzTimeout(msPerRun: number, runs: number = FUZZ_RUNS): number {
  return Math.max(60_000, Math.ceil(runs * msPerRun * 2));
}
