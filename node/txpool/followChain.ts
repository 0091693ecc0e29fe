/**
 * Feeds the chain's notifications to the pool, in the order the chain emits them:
 *  - a new best block that extends the previous best: `onBlockImported(block, true)` with its body;
 *  - a switch of branches (`reorg`, on import or when finality picks another branch): `onReorg` with
 *    the retracted and enacted blocks, their bodies and parents loaded from the database (the pool takes
 *    the route in call order while it loads);
 *  - a block imported off the best chain: `onBlockImported(block, false)` (ignored by the pool);
 *  - finality: `onBlockFinalized`.
 * A block that becomes best through a reorg is announced by the chain's `block` event before its
 * `reorg` event; it reaches the pool once, as the last enacted block.
 */
import { type HexString, toHex } from "../../primitives/hex.js";
import type { Chain } from "../chain/chain.js";
import type { ImportedBlock } from "../chain/types.js";
import type { TxPoolBlock, TxPoolReorg } from "./interface.js";
import type { TxPool } from "./pool.js";

type ChainEventsOf = Pick<Chain, "on" | "off" | "best" | "body" | "header">;
type PoolNotified = Pick<TxPool, "onBlockImported" | "onReorg" | "onBlockFinalized">;

/** Starts feeding `pool`; returns a function that stops it. */
export function followChain(chain: ChainEventsOf, pool: PoolNotified): () => void {
  /** The best block the pool was last told of. */
  let poolBest: HexString = chain.best.hashHex;
  const onBlock = (block: ImportedBlock) => {
    const isBest = chain.best.hashHex === block.hashHex;
    if (isBest && toHex(block.header.parentHash) !== poolBest) return; // the `reorg` event follows
    if (isBest) poolBest = block.hashHex;
    void pool.onBlockImported(
      {
        hash: block.hashHex,
        number: block.number,
        extrinsics: block.extrinsics,
        parentHash: toHex(block.header.parentHash),
      },
      isBest,
    );
  };
  const onReorg = (route: { retracted: BlockIdOf[]; enacted: BlockIdOf[] }) => {
    poolBest = chain.best.hashHex;
    void pool.onReorg(loadRoute(chain, route));
  };
  const onFinalized = (block: { hashHex: HexString }) => {
    void pool.onBlockFinalized(block.hashHex);
  };
  chain.on("block", onBlock);
  chain.on("reorg", onReorg);
  chain.on("finalized", onFinalized);
  return () => {
    chain.off("block", onBlock);
    chain.off("reorg", onReorg);
    chain.off("finalized", onFinalized);
  };
}

type BlockIdOf = { hash: Uint8Array; number: number };

async function loadRoute(
  chain: Pick<Chain, "body" | "header">,
  route: { retracted: BlockIdOf[]; enacted: BlockIdOf[] },
): Promise<TxPoolReorg> {
  const load = async (id: BlockIdOf): Promise<TxPoolBlock> => {
    const [body, header] = await Promise.all([chain.body(id.hash), chain.header(id.hash)]);
    return {
      hash: toHex(id.hash),
      number: id.number,
      // Copies: the pool may keep a transaction long after the block's buffer is otherwise unused.
      extrinsics: (body ?? []).map((x) => x.slice()),
      parentHash: header ? toHex(header.parentHash) : undefined,
    };
  };
  const [retracted, enacted] = await Promise.all([
    Promise.all(route.retracted.map(load)),
    Promise.all(route.enacted.map(load)),
  ]);
  return { retracted, enacted };
}
