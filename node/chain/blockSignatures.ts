/**
 * Verifies all the signatures of a block before it is executed, in parallel on the verifier pool's
 * threads, and records the good ones in a cache that the runtime's signature check consults. Execution
 * then finds every signature already checked; a bad one is simply not cached, so the runtime checks it
 * itself and rejects the block as usual. Nothing here decides validity.
 */
import type { CachedSignatureChecker } from "../../primitives/crypto/index.js";
import type { Trie } from "../../primitives/trie/index.js";
import { Ext, initializeBlock, parseExtrinsic, signatureCheckFor } from "../../runtime/index.js";
import type { SignatureVerifierPool, VerifyItem } from "../verify/index.js";
import { trieBackend } from "./chain.js";
import type { Block } from "./types.js";

export class BlockSignatureVerifier {
  constructor(
    private readonly pool: SignatureVerifierPool,
    private readonly cache: CachedSignatureChecker,
    private readonly genesisHash: Uint8Array,
  ) {}

  /** Pre-verifies `block`'s signed extrinsics against its parent's state; returns how many were good. */
  async preVerify(block: Block, parentState: Trie): Promise<number> {
    const ext = new Ext(trieBackend(parentState), this.cache);
    initializeBlock(ext, { parentHash: block.header.parentHash, number: block.header.number, digest: [] });
    const items: VerifyItem[] = [];
    for (const bytes of block.extrinsics) {
      let parsed: ReturnType<typeof parseExtrinsic>;
      try {
        parsed = parseExtrinsic(bytes);
      } catch {
        continue; // execution will reject it
      }
      const item = signatureCheckFor(ext, parsed, this.genesisHash);
      if (item) items.push(item);
    }
    if (items.length === 0) return 0;
    const results = await this.pool.verifyBatch(items);
    let good = 0;
    for (let i = 0; i < items.length; i++) {
      if (!results[i]) continue;
      const it = items[i];
      this.cache.add(it.scheme, it.signature, it.message, it.publicKey);
      good++;
    }
    return good;
  }
}
