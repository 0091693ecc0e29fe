/**
 * A tiny account model standing in for the runtime's `validate_transaction`: a transaction is
 * `{sender, nonce, tip}` (JSON bytes, padded on demand); it requires `(sender, nonce - 1)` when its
 * nonce is above the chain's, provides `(sender, nonce)`, has priority `tip`, and is `stale` below.
 */
import { jest } from "@jest/globals";
import {
  type TransactionSource,
  type TransactionStatus,
  type TransactionValidity,
  TxPool,
  type TxPoolOptions,
  type TxWatcher,
  txHash,
} from "../../../../node/txpool/index.js";
import type { HexString } from "../../../../primitives/hex.js";
import { nullLogger } from "../../../../primitives/logger.js";

export interface ModelTx {
  sender: string;
  nonce: number;
  tip?: number;
  /** Makes two otherwise equal transactions differ (a replacement). */
  memo?: string;
  /** Extra bytes, for byte limits. */
  pad?: number;
  longevity?: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function xt(sender: string, nonce: number, tip = 0, extra: Omit<ModelTx, "sender" | "nonce" | "tip"> = {}) {
  const { pad, ...rest } = extra;
  const body: ModelTx & { p?: string } = { sender, nonce, tip, ...rest };
  if (pad) body.p = "x".repeat(pad);
  return enc.encode(JSON.stringify(body));
}

export const tag = (sender: string, nonce: number) => enc.encode(`${sender}:${nonce}`);

export function decode(bytes: Uint8Array): ModelTx {
  return JSON.parse(dec.decode(bytes)) as ModelTx;
}

export class Chain {
  readonly nonces = new Map<string, number>();
  /** Senders whose signatures are bad. */
  readonly badProof = new Set<string>();
  /** Senders who cannot pay. */
  readonly poor = new Set<string>();
  /** Senders whose state cannot be looked up. */
  readonly unknown = new Set<string>();
  best = { hash: blockHash(0), number: 0 };
  private blocks: { hash: HexString; number: number; extrinsics: Uint8Array[] }[] = [];

  nonce(sender: string): number {
    return this.nonces.get(sender) ?? 0;
  }

  validate = jest.fn(
    async (_source: TransactionSource, bytes: Uint8Array, _at: HexString): Promise<TransactionValidity> => {
      const t = decode(bytes);
      if (this.badProof.has(t.sender)) return { ok: false, error: { kind: "invalid", reason: "badProof" } };
      if (this.unknown.has(t.sender)) return { ok: false, error: { kind: "unknown", reason: "cannotLookup" } };
      if (this.poor.has(t.sender)) return { ok: false, error: { kind: "invalid", reason: "payment" } };
      const chainNonce = this.nonce(t.sender);
      if (t.nonce < chainNonce) return { ok: false, error: { kind: "invalid", reason: "stale" } };
      return {
        ok: true,
        value: {
          priority: BigInt(t.tip ?? 0),
          requires: t.nonce > chainNonce ? [tag(t.sender, t.nonce - 1)] : [],
          provides: [tag(t.sender, t.nonce)],
          longevity: BigInt(t.longevity ?? 64),
          propagate: true,
        },
      };
    },
  );

  /**
   * Applies a block on top of the best (nonces move), returning it as the pool wants it. `branch` makes
   * the hash differ from other blocks at the same height (forks).
   */
  produce(extrinsics: Uint8Array[], branch = 0) {
    for (const e of extrinsics) {
      const t = decode(e);
      this.nonces.set(t.sender, t.nonce + 1);
    }
    const block = {
      hash: blockHash(this.best.number + 1, branch),
      number: this.best.number + 1,
      extrinsics,
      parentHash: this.best.hash,
    };
    this.blocks.push(block);
    this.best = { hash: block.hash, number: block.number };
    return block;
  }

  /** Undoes the best block (a reorg), returning it. */
  retract() {
    const block = this.blocks.pop()!;
    for (const e of block.extrinsics) {
      const t = decode(e);
      this.nonces.set(t.sender, t.nonce);
    }
    const parent = this.blocks.at(-1);
    this.best = parent ? { hash: parent.hash, number: parent.number } : { hash: blockHash(0), number: 0 };
    return block;
  }
}

export function blockHash(n: number, branch = 0): HexString {
  return `0x${n.toString(16).padStart(64, "bcdef"[branch])}`;
}

export function setup(opts: Partial<TxPoolOptions> = {}) {
  const chain = new Chain();
  const clock = { now: 1_000_000 };
  const pool = new TxPool(opts, {
    logger: nullLogger,
    validate: chain.validate,
    bestBlock: () => chain.best,
    now: () => clock.now,
  });
  /** Imports the block as best and waits for the pool's maintenance. */
  const importBlock = async (extrinsics: Uint8Array[], o: { parentHash?: boolean } = {}) => {
    const block = chain.produce(extrinsics);
    await pool.onBlockImported(o.parentHash === false ? { ...block, parentHash: undefined } : block, true);
    return block;
  };
  return { chain, clock, pool, importBlock };
}

/** Collects a watcher's statuses. */
export function collect(watcher: TxWatcher): TransactionStatus[] {
  const seen: TransactionStatus[] = [];
  watcher.on((s) => seen.push(s));
  return seen;
}

/** The model transactions `ready()` yields, as "sender:nonce". */
export function readyOrder(pool: TxPool): string[] {
  return [...pool.ready()].map((t) => {
    const d = decode(t.bytes);
    return `${d.sender}${d.nonce}`;
  });
}

export { txHash };
