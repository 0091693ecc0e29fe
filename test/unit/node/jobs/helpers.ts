/**
 * A chain and a pool for the job roles' unit tests, on the runtime test harness: `RuntimeChain` records
 * every block `TestRuntime` builds (header and state by hash) and emits `best`, as the node's `Chain`
 * does; `MemoryPool` keeps submitted extrinsics until `produce()` puts them in the next block.
 */
import { EventEmitter } from "node:events";
import { blockRef } from "../../../../node/chain/chain.js";
import { RuntimeView } from "../../../../node/chain/runtimeView.js";
import type { BlockRef } from "../../../../node/chain/types.js";
import type { JobChain } from "../../../../node/jobs/follower.js";
import { defaultSignatureChecker } from "../../../../primitives/crypto/index.js";
import { type HexString, toHex } from "../../../../primitives/hex.js";
import type { Trie } from "../../../../primitives/trie/index.js";
import type { HeaderValue } from "../../../../primitives/types.js";
import { RuntimeCall } from "../../../../runtime/construct.js";
import { parseExtrinsic } from "../../../../runtime/index.js";
import type { TestRuntime } from "../../../helpers/runtime.js";

export class RuntimeChain extends EventEmitter<{ best: [BlockRef] }> implements JobChain {
  private readonly headers = new Map<string, HeaderValue>();
  private readonly states = new Map<string, Trie>();
  best: BlockRef;

  constructor(readonly rt: TestRuntime) {
    super();
    this.best = this.record();
  }

  get genesisHash(): Uint8Array {
    return this.rt.genesisHash;
  }

  /** Records the runtime's head (after `rt.block`) and makes it the best block. */
  record(emit = false): BlockRef {
    const ref = blockRef(this.rt.header, this.rt.hash);
    this.headers.set(ref.hashHex, this.rt.header);
    this.states.set(ref.hashHex, this.rt.state);
    this.best = ref;
    if (emit) this.emit("best", ref);
    return ref;
  }

  /** Makes an already recorded block the best one again (a reorg back to it). */
  setBest(ref: BlockRef): void {
    this.best = ref;
    this.emit("best", ref);
  }

  async header(hash: Uint8Array) {
    return this.headers.get(toHex(hash));
  }

  async runtimeAt(hash: Uint8Array): Promise<RuntimeView> {
    const state = this.states.get(toHex(hash));
    const header = this.headers.get(toHex(hash));
    if (!state || !header) throw new Error("unknown block");
    return new RuntimeView(blockRef(header, hash), state, {
      signatures: defaultSignatureChecker,
      genesisHash: this.genesisHash,
    });
  }
}

export class MemoryPool {
  txs: Uint8Array[] = [];

  async submit(_source: "local", tx: Uint8Array): Promise<HexString> {
    parseExtrinsic(tx);
    this.txs.push(tx);
    return toHex(tx.subarray(0, 8));
  }

  pending(): Uint8Array[] {
    return [...this.txs];
  }

  /** What was submitted, as `Pallet.call` names. */
  calls(): string[] {
    return this.txs.map((tx) => {
      const call = RuntimeCall.dec(parseExtrinsic(tx).callBytes);
      return `${call.tag}.${(call.value as { tag: string }).tag}`;
    });
  }
}

/** Builds the next block from the pool (in submission order) plus `extra`, and announces it. */
export function produce(chain: RuntimeChain, pool: MemoryPool, extra: Uint8Array[] = []) {
  const txs = [...pool.txs, ...extra];
  pool.txs = [];
  const { results } = chain.rt.block(txs);
  chain.record(true);
  return results;
}

export const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
