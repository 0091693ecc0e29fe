/**
 * Builds a block on a parent, extrinsic by extrinsic, as Substrate's `sc-block-builder` does: initialize
 * with the author's pre-digest, apply extrinsics (each either included or rejected with its reason),
 * then finalize into a header and the post-state. The proposer decides what to try; this only executes.
 */

import type { Trie } from "../../primitives/trie/index.js";
import type { DigestItemValue, HeaderValue } from "../../primitives/types.js";
import { type ApplyResult, applyExtrinsic, Ext, finalizeBlock, initializeBlock } from "../../runtime/index.js";
import { type RuntimeView, type RuntimeViewModules, trieBackend } from "./runtimeView.js";

export interface BuiltBlock {
  /** The header before sealing: its digest is the pre-digest plus what the runtime added. */
  header: HeaderValue;
  extrinsics: Uint8Array[];
  state: Trie;
}

export class BlockBuilder {
  private readonly ext: Ext;
  private readonly extrinsics: Uint8Array[] = [];

  constructor(
    private readonly parent: RuntimeView,
    preDigest: DigestItemValue[],
    private readonly modules: RuntimeViewModules,
  ) {
    this.ext = new Ext(trieBackend(parent.state), modules.signatures);
    initializeBlock(this.ext, { parentHash: parent.block.hash, number: parent.block.number + 1, digest: preDigest });
  }

  /** Applies `extrinsic`; it is part of the block exactly when the result is ok. */
  apply(extrinsic: Uint8Array): ApplyResult {
    const result = applyExtrinsic(this.ext, extrinsic, this.modules.genesisHash);
    if (result.ok) this.extrinsics.push(extrinsic);
    return result;
  }

  /** Finalizes the block. The builder must not be used afterwards. */
  build(): BuiltBlock {
    const { extrinsicsRoot, digest } = finalizeBlock(this.ext, this.extrinsics);
    const state = this.parent.state.update(this.ext.overlay.drain());
    const header: HeaderValue = {
      parentHash: this.parent.block.hash,
      number: this.parent.block.number + 1,
      stateRoot: state.root,
      extrinsicsRoot,
      digest: { logs: digest },
    };
    return { header, extrinsics: this.extrinsics, state };
  }
}
