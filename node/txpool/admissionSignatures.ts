/**
 * The signature checks of pool admission, off the main thread. Before the runtime validates a submitted
 * transaction, its signature (over the payload a block on the validation block would check) is verified
 * on the signature verifier's worker threads and, when good, recorded in the `CachedSignatureChecker`
 * that the chain's runtime uses. The runtime's own check then hits the cache, and so do the later
 * revalidations and the proposer's `apply` of the same transaction: the authoring path never verifies
 * a signature the pool already checked.
 *
 * Nothing here decides validity: a transaction that does not parse, is unsigned, or whose payload cannot
 * be computed here (a mortal era whose birth block is not canonical) is passed through unchecked, and
 * a signature verified against a wrong payload is cached under that payload only, so it can never
 * stand for another message. The runtime then verifies on its own as before.
 *
 * Calls arriving while a batch is being verified queue up and go together in the next batch, so
 * batches grow with the load; at most one batch per verifier thread is in flight.
 */
import type { CachedSignatureChecker } from "../../primitives/crypto/index.js";
import type { Logger } from "../../primitives/logger.js";
import { eraBirth, parseExtrinsic, RUNTIME_VERSION, signingPayload } from "../../runtime/index.js";
import type { SignatureVerifierPool, VerifyItem } from "../verify/index.js";

export interface AdmissionSignaturesModules {
  /** The checker the chain's runtime uses; good signatures are added to it. */
  cache: Pick<CachedSignatureChecker, "add" | "has">;
  verifier: Pick<SignatureVerifierPool, "verifyBatch" | "threads">;
  genesisHash: Uint8Array;
  /** The canonical block hash at height `n` (a mortal transaction's birth block). */
  hashAt(n: number): Promise<Uint8Array | undefined>;
  logger: Logger;
}

/** Most signatures sent in one batch. */
const MAX_BATCH = 1024;
/** A mortal era's birth block must be among the last this many (`BlockHashCount`); older ones are not looked up. */
const MAX_ERA_AGE = 4096;

export class AdmissionSignatures {
  private readonly queue: { item: VerifyItem; done: () => void }[] = [];
  private inFlight = 0;
  private verified = 0;
  private failedBatches = 0;

  constructor(private readonly modules: AdmissionSignaturesModules) {}

  /**
   * Resolves once the signature of `tx`, to be validated on the block `at`, is in the cache if it is
   * good, or once it is clear that it cannot be checked here. Never rejects.
   */
  async preVerify(tx: Uint8Array, at: { number: number }): Promise<void> {
    let item: VerifyItem | undefined;
    try {
      item = await this.itemFor(tx, at.number + 1);
    } catch {
      return;
    }
    if (!item || this.modules.cache.has(item.scheme, item.signature, item.message, item.publicKey)) return;
    const queued = item;
    return new Promise<void>((done) => {
      this.queue.push({ item: queued, done });
      this.pump();
    });
  }

  /** Signatures verified on the threads so far, and batches that failed (their transactions were checked by the runtime). */
  get stats(): { verified: number; failedBatches: number; queued: number } {
    return { verified: this.verified, failedBatches: this.failedBatches, queued: this.queue.length };
  }

  private pump(): void {
    const maxInFlight = Math.max(1, this.modules.verifier.threads);
    while (this.queue.length > 0 && this.inFlight < maxInFlight) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      this.modules.verifier
        .verifyBatch(batch.map((b) => b.item))
        .then(
          (results) => {
            for (let i = 0; i < batch.length; i++) {
              if (!results[i]) continue;
              const { scheme, signature, message, publicKey } = batch[i].item;
              this.modules.cache.add(scheme, signature, message, publicKey);
            }
            this.verified += batch.length;
          },
          (err: unknown) => {
            this.failedBatches++;
            this.modules.logger.debug("Admission signature batch failed; the runtime verifies instead", {
              size: batch.length,
              error: err instanceof Error ? err.message : String(err),
            });
          },
        )
        .finally(() => {
          this.inFlight--;
          for (const b of batch) b.done();
          this.pump();
        });
    }
  }

  /** What the runtime would verify for `tx` in a block at height `number`, or undefined. */
  private async itemFor(tx: Uint8Array, number: number): Promise<VerifyItem | undefined> {
    const parsed = parseExtrinsic(tx);
    const s = parsed.signed;
    if (!s) return undefined;
    let eraBlockHash = this.modules.genesisHash;
    if (s.era.kind === "mortal") {
      const birth = eraBirth(s.era, number);
      if (birth >= number || number - birth > MAX_ERA_AGE) return undefined;
      const hash = await this.modules.hashAt(birth);
      if (!hash) return undefined;
      eraBlockHash = hash;
    }
    const message = signingPayload(parsed.callBytes, s.extraBytes, {
      specVersion: RUNTIME_VERSION.specVersion,
      transactionVersion: RUNTIME_VERSION.transactionVersion,
      genesisHash: this.modules.genesisHash,
      eraBlockHash,
    });
    return { scheme: s.scheme, signature: s.signature, message, publicKey: s.signer };
  }
}
