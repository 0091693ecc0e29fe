/**
 * The runtime checks signatures through a `SignatureChecker`, so that the node can verify a block's
 * signatures in parallel threads first (see `node/verify`) and the runtime's synchronous check then
 * finds the result in a `CachedSignatureChecker` instead of verifying again.
 *
 * Only code that has itself verified a signature may `add` it: the cache is trusted as a proof.
 */
import type { SignatureScheme } from "./types.js";
import { verifySignature } from "./verify.js";

export interface SignatureChecker {
  /** True iff `signature` is `publicKey`'s signature of `message`; same contract as `verifySignature`. */
  verify(scheme: SignatureScheme, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/** Verifies every call on the calling thread. */
export const defaultSignatureChecker: SignatureChecker = { verify: verifySignature };

export interface CachedSignatureCheckerOptions {
  /** Most entries kept; the oldest are dropped first. Default 65,536 (a few blocks' worth). */
  capacity?: number;
}

/**
 * A checker that answers from a set of already-verified (scheme, signature, message, public key)
 * quadruples, and asks `inner` on a miss. Misses are not cached: a failed check stays a recomputation
 * so that an invalid signature never pins an entry.
 *
 * The key is the scheme, public key and signature as one latin1 string (no hashing); the entry holds
 * the message, compared byte for byte on a hit, so a hit is exactly as strong as the verification
 * that added it.
 */
export class CachedSignatureChecker implements SignatureChecker {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly capacity: number;
  private hitCount = 0;
  private missCount = 0;

  constructor(
    opts: CachedSignatureCheckerOptions = {},
    private readonly inner: SignatureChecker = defaultSignatureChecker,
  ) {
    this.capacity = Math.max(1, opts.capacity ?? 65_536);
  }

  /** Records a signature the caller has verified as valid. */
  add(scheme: SignatureScheme, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): void {
    const key = cacheKey(scheme, signature, publicKey);
    if (this.entries.has(key)) this.entries.delete(key);
    else if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, message.slice());
  }

  has(scheme: SignatureScheme, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    const cached = this.entries.get(cacheKey(scheme, signature, publicKey));
    return cached !== undefined && Buffer.compare(cached, message) === 0;
  }

  verify(scheme: SignatureScheme, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (this.has(scheme, signature, message, publicKey)) {
      this.hitCount++;
      return true;
    }
    this.missCount++;
    return this.inner.verify(scheme, signature, message, publicKey);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  get stats(): { hits: number; misses: number; size: number } {
    return { hits: this.hitCount, misses: this.missCount, size: this.entries.size };
  }
}

function cacheKey(scheme: SignatureScheme, signature: Uint8Array, publicKey: Uint8Array): string {
  const tag = scheme === "sr25519" ? "s" : "e";
  return (
    tag +
    Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("latin1") +
    Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString("latin1")
  );
}
