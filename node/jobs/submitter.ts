/**
 * Signs the roles' extrinsics with the worker key and submits them to the node's own pool (source
 * `local`, so the network broadcasts them), the way a client would but without RPC. Nonces: the
 * account's nonce at the best block, skipping nonces of this account's transactions already waiting in
 * the pool (as `system_accountNextIndex`). Extrinsics are immortal: the roles resubmit a call whose
 * effect has not shown up in the chain state after a while, so a dropped one is not lost. A
 * resubmission while the previous extrinsic for the same purpose (`what`, `ctx.job`, `ctx.check` and `ctx.request`) is still
 * waiting in the pool sends nothing new: a second copy under the next nonce could only queue behind the
 * first (the network republishes the waiting one) and, once both are in, fail and pay a fee for nothing.
 */
import type { KeyPair } from "../../primitives/crypto/index.js";
import { blake2_256 } from "../../primitives/hashing.js";
import { type HexString, toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { CallValue } from "../../runtime/index.js";
import type { RuntimeView } from "../chain/runtimeView.js";
import { signExtrinsic } from "../extrinsicBuilder.js";
import { nextAccountNonce } from "../txpool/nonce.js";

/** The part of the transaction pool the submitter uses (`TxPool` provides it). */
export interface SubmitPool {
  submit(source: "local", tx: Uint8Array): Promise<HexString>;
  pending(): Uint8Array[];
}

export interface SubmitterModules {
  pool: SubmitPool;
  pair: KeyPair;
  genesisHash: Uint8Array;
  /** The runtime at the best block (nonces are read there at submission time). */
  bestRuntime: () => Promise<Pick<RuntimeView, "nonce">>;
  logger: Logger;
}

export class ExtrinsicSubmitter {
  /** Submissions run one at a time, so the next one sees the previous one in the pool. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The last extrinsic sent per purpose (`what`, `ctx.job`, `ctx.check` and `ctx.request`). */
  private readonly lastSent = new Map<string, Uint8Array>();

  constructor(private readonly modules: SubmitterModules) {}

  get account(): Uint8Array {
    return this.modules.pair.publicKey;
  }

  /** The next nonce at the best block: past the chain's, the pool's and our own last one. */
  nextNonce(best: Pick<RuntimeView, "nonce">): number {
    const who = this.modules.pair.publicKey;
    return nextAccountNonce(best.nonce(who), who, this.modules.pool.pending());
  }

  /**
   * Signs `call` with the next nonce at the best block and submits it. Resolves to the extrinsic hash, or to
   * undefined when the pool refused it (logged with the reason; the caller may try again later).
   */
  submit(call: CallValue, what: string, ctx: Record<string, unknown> = {}): Promise<HexString | undefined> {
    const next = this.queue.then(async () => this.submitNow(await this.modules.bestRuntime(), call, what, ctx));
    this.queue = next.catch(() => {});
    return next;
  }

  private async submitNow(
    best: Pick<RuntimeView, "nonce">,
    call: CallValue,
    what: string,
    ctx: Record<string, unknown>,
  ): Promise<HexString | undefined> {
    const { pool, pair, genesisHash, logger } = this.modules;
    const purpose = `${what}/${String(ctx.job ?? "")}/${String(ctx.check ?? "")}/${String(ctx.request ?? "")}`;
    const previous = this.lastSent.get(purpose);
    if (previous && pool.pending().some((tx) => Buffer.compare(tx, previous) === 0)) {
      logger.debug(`Not resubmitting ${what}: the previous one is still in the pool`, ctx);
      return toHex(blake2_256(previous));
    }
    const nonce = this.nextNonce(best);
    const tx = signExtrinsic(call, pair, { nonce, genesisHash });
    try {
      const hash = await pool.submit("local", tx);
      this.lastSent.set(purpose, tx);
      logger.info(`Submitted ${what}`, { ...ctx, nonce, tx: hash });
      return hash;
    } catch (err) {
      logger.warn(`Could not submit ${what}`, { ...ctx, nonce, reason: (err as Error).message });
      return undefined;
    }
  }
}
