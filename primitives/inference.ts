/**
 * The inference pallet's pure, shared formats: the output commitment a provider sends and the
 * fingerprint distance settlement clusters by. In primitives/ so that the runtime, a node-side
 * provider, the CLI and worker/ (which may not import runtime/) all build the same bytes.
 *
 * Output commitment: `blake2_256(SCALE((request_id: u64, provider: AccountId32, output_hash: H256,
 * fingerprint: Vec<i32>, salt: [u8; 32])))`, i.e. the blake2-256 of
 * `u64_le(request_id) ++ provider (32 bytes) ++ output_hash (32 bytes) ++ compact(len) ++
 * i32_le(f[0]) ++ … ++ i32_le(f[len-1]) ++ salt (32 bytes)`. The provider's account is inside, so a
 * copied commitment cannot be revealed by another provider. Under `CpuExact` the fingerprint is empty.
 */
import { blake2_256 } from "./hashing.js";
import { T } from "./scale/types.js";
import { AccountId, H256 } from "./types.js";

const OutputPreimage = T.tuple(T.u64, AccountId, H256, T.vec(T.i32), T.fixedBytes(32));

/** The SCALE bytes an output commitment hashes (see the module docs). */
export function outputCommitmentPreimage(
  requestId: bigint,
  provider: Uint8Array,
  outputHash: Uint8Array,
  fingerprint: readonly number[],
  salt: Uint8Array,
): Uint8Array {
  return OutputPreimage.enc([requestId, provider, outputHash, [...fingerprint], salt]);
}

/** A provider's output commitment: `blake2_256(SCALE((request_id, provider, output_hash, fingerprint, salt)))`. */
export function outputCommitment(
  requestId: bigint,
  provider: Uint8Array,
  outputHash: Uint8Array,
  fingerprint: readonly number[],
  salt: Uint8Array,
): Uint8Array {
  return blake2_256(outputCommitmentPreimage(requestId, provider, outputHash, fingerprint, salt));
}

/**
 * The squared L2 distance of two fingerprints, exactly (bigint: 256 squared differences of i32 values
 * overflow a double's integers); `undefined` when their lengths differ (never within any tolerance).
 */
export function squaredDistance(a: readonly number[], b: readonly number[]): bigint | undefined {
  if (a.length !== b.length) return undefined;
  let sum = 0n;
  for (let i = 0; i < a.length; i++) {
    const d = BigInt(a[i]) - BigInt(b[i]);
    sum += d * d;
  }
  return sum;
}

/** Whether two fingerprints lie within L2 distance `tolerance` (grid units): `d² ≤ tolerance²`. */
export function withinTolerance(a: readonly number[], b: readonly number[], tolerance: bigint): boolean {
  const d = squaredDistance(a, b);
  return d !== undefined && d <= tolerance * tolerance;
}
