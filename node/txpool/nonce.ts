import { parseExtrinsic } from "../../runtime/index.js";

/**
 * The next nonce for `who`, as Substrate's `system_accountNextIndex` answers it: past the chain's
 * (`chainNonce`, at the best block), skipping the nonces of `who`'s transactions waiting in the pool.
 */
export function nextAccountNonce(chainNonce: number, who: Uint8Array, pending: Iterable<Uint8Array>): number {
  const inPool = new Set<number>();
  for (const tx of pending) {
    try {
      const s = parseExtrinsic(tx).signed;
      if (s && Buffer.compare(s.signer, who) === 0) inPool.add(s.nonce);
    } catch {}
  }
  let next = chainNonce;
  while (inPool.has(next)) next++;
  return next;
}
