/**
 * BABE's primary-slot threshold with integer arithmetic only (determinism is a safety property: every
 * node must agree, to the bit, on whether a claim is valid).
 *
 *   p = 1 - (1 - c)^θ,  θ = weight / totalWeight,  threshold = floor(p · 2^128)
 *
 * A claim is primary when the VRF's u128 value is < threshold. `(1 - c)^θ` is computed as
 * exp(θ · ln(1 - c)) in binary fixed point with 192 fractional bits: ln through the atanh series
 * ln x = 2·atanh((x - 1)/(x + 1)), exp through a Taylor series after halving the argument below 1/16,
 * then squaring back. The error is a few units in 2^-192, far below the 2^-128 of the result.
 */
const P = 192n;
const ONE = 1n << P;
export const THRESHOLD_SCALE = 1n << 128n;

/** `c` as a fraction (numerator, denominator), like `BabeEpochConfiguration::c`. */
export type Ratio = readonly [bigint, bigint];

/** |ln(1 - num/den)| in fixed point, for 0 < num < den. */
function negLn1m(num: bigint, den: bigint): bigint {
  // x = (den - num)/den; a = (1 - x)/(1 + x) = num / (2·den - num); |ln x| = 2·Σ a^(2k+1)/(2k+1).
  const a = (num << P) / (2n * den - num);
  const a2 = (a * a) >> P;
  let pow = a;
  let sum = 0n;
  for (let k = 1n; pow !== 0n; k += 2n) {
    sum += pow / k;
    pow = (pow * a2) >> P;
  }
  return 2n * sum;
}

/** exp(-y) in fixed point for y ≥ 0 (fixed point). */
function expNeg(y: bigint): bigint {
  let halvings = 0n;
  while (y > ONE >> 4n) {
    y >>= 1n;
    halvings++;
  }
  let term = ONE;
  let sum = ONE;
  for (let i = 1n; term !== 0n; i++) {
    term = (term * y) / (ONE * i);
    sum = i % 2n === 1n ? sum - term : sum + term;
  }
  for (let i = 0n; i < halvings; i++) sum = (sum * sum) >> P;
  return sum;
}

/**
 * The primary threshold of an authority with `weight` out of `totalWeight`, for `c = num/den`. Zero
 * weight or c = 0 gives 0 (never primary); c = 1 gives 2^128 (always primary).
 */
export function primaryThreshold(c: Ratio, weight: bigint, totalWeight: bigint): bigint {
  const [num, den] = c;
  if (den <= 0n || num < 0n || num > den) throw new RangeError(`invalid BABE c: ${num}/${den}`);
  if (weight < 0n || totalWeight <= 0n || weight > totalWeight) throw new RangeError("invalid authority weight");
  if (num === 0n || weight === 0n) return 0n;
  if (num === den) return THRESHOLD_SCALE;
  const y = (negLn1m(num, den) * weight) / totalWeight;
  const p = ONE - expNeg(y);
  return (p * THRESHOLD_SCALE) >> P;
}
