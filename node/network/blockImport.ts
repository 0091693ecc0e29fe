/**
 * The one import path for blocks from other nodes (gossip and sync): verify without side effects,
 * then import.
 *
 *   1. known block              -> `known` (no work)
 *   2. unknown parent           -> `unknownParent` (the caller fetches the ancestors)
 *   3. at or below finality     -> `stale`
 *   4. BABE header check on the parent's state, the clock and the parent's slot (`BabeVerifier`)
 *   5. a justification, if any, is checked against the finality gadget's authority set; a bad one is
 *      dropped (the block is still imported) and reported in the outcome
 *   6. `chain.importBlock(block, origin, {justification, finalize})`: execution, state root, one batch
 *
 * Invalid blocks throw a `BlockImportError` carrying the underlying typed code. Imports run one at a
 * time, so the same block arriving by gossip and by sync is executed once.
 */
import { BabeError } from "../../consensus/babe/index.js";
import { TensorchainError } from "../../primitives/errors.js";
import { toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { BabeVerifier } from "../chain/babeVerifier.js";
import { type Chain, hashHeader } from "../chain/chain.js";
import { BlockError } from "../chain/errors.js";
import type { Block, BlockOrigin, ImportedBlock } from "../chain/types.js";

export type BlockImportErrorType = {
  code: "BLOCK_IMPORT_ERROR_INVALID";
  /** The typed code of the check that failed (`BABE_ERROR_*`, `BLOCK_ERROR_*`). */
  reason: string;
  number: number;
};
export class BlockImportError extends TensorchainError<BlockImportErrorType> {}

export type ImportOutcome =
  | { status: "imported"; block: ImportedBlock; badJustification?: string }
  | { status: "known" }
  | { status: "unknownParent" }
  | { status: "stale" };

/** Checks a justification for a block; throws when it does not prove the block final. */
export type JustificationVerifier = (
  block: { hash: Uint8Array; number: number; parentHash: Uint8Array },
  justification: Uint8Array,
) => Promise<void>;

export interface BlockImporterModules {
  chain: Chain;
  babe: BabeVerifier;
  logger: Logger;
  /** Set once the finality gadget runs; without it justifications are not imported. */
  verifyJustification?: JustificationVerifier;
  /** Told how long each imported block took from its checks to its import (seconds; the node's metrics). */
  onImportTime?: (seconds: number) => void;
}

export class BlockImporter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly modules: BlockImporterModules) {}

  setJustificationVerifier(v: JustificationVerifier): void {
    this.modules.verifyJustification = v;
  }

  /** Whether the chain has the block (imported, or at/below finality). */
  async has(hash: Uint8Array): Promise<boolean> {
    return (await this.modules.chain.header(hash)) !== undefined;
  }

  import(block: Block, origin: BlockOrigin, justification?: Uint8Array): Promise<ImportOutcome> {
    const run = this.queue.then(() => this.importNow(block, origin, justification));
    this.queue = run.catch(() => {});
    return run;
  }

  private async importNow(block: Block, origin: BlockOrigin, justification?: Uint8Array): Promise<ImportOutcome> {
    const { chain } = this.modules;
    const started = performance.now();
    const hash = hashHeader(block.header);
    if (await chain.header(hash)) return { status: "known" };
    const parent = await chain.header(block.header.parentHash);
    if (!parent) return { status: "unknownParent" };
    if (block.header.number <= chain.finalized.number || !chain.blockTree.has(block.header.parentHash))
      return { status: "stale" };
    try {
      await this.modules.babe.verify(block.header, parent);
    } catch (err) {
      if (err instanceof BabeError) throw this.invalid(block, err.type.code, err);
      throw err;
    }
    let finalize = false;
    let badJustification: string | undefined;
    if (justification && this.modules.verifyJustification) {
      try {
        await this.modules.verifyJustification(
          { hash, number: block.header.number, parentHash: block.header.parentHash },
          justification,
        );
        finalize = true;
      } catch (err) {
        badJustification = (err as Error).message;
      }
    }
    try {
      const imported = await chain.importBlock(block, origin, {
        justification: finalize ? justification : undefined,
        finalize,
      });
      this.modules.onImportTime?.((performance.now() - started) / 1000);
      return { status: "imported", block: imported, badJustification };
    } catch (err) {
      if (err instanceof BlockError) {
        switch (err.type.code) {
          case "BLOCK_ERROR_ALREADY_KNOWN":
            return { status: "known" };
          case "BLOCK_ERROR_UNKNOWN_PARENT":
            return { status: "unknownParent" };
          case "BLOCK_ERROR_BELOW_FINALIZED":
            return { status: "stale" };
          default:
            throw this.invalid(block, err.type.code, err);
        }
      }
      throw err;
    }
  }

  private invalid(block: Block, reason: string, cause: Error): BlockImportError {
    this.modules.logger.debug("Invalid block", {
      number: block.header.number,
      hash: toHex(hashHeader(block.header)),
      reason,
      detail: cause.message,
    });
    return new BlockImportError({ code: "BLOCK_IMPORT_ERROR_INVALID", reason, number: block.header.number });
  }
}
