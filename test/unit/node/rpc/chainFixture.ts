/**
 * A real chain (LevelDB in a temp dir, dev genesis with //Alice endowed), a real transaction pool wired
 * to it as the node wires it, and an RPC server serving the node's methods, for RPC conformance tests.
 * Blocks are authored on demand, on any parent (forks), with the pool's ready transactions or given ones.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILTIN_SPECS } from "../../../../genesis/chainSpec.js";
import { propose } from "../../../../node/authoring/proposer.js";
import { Chain } from "../../../../node/chain/chain.js";
import type { BlockRef } from "../../../../node/chain/types.js";
import { ChainDb } from "../../../../node/db/chainDb.js";
import { signExtrinsic } from "../../../../node/extrinsicBuilder.js";
import { Keystore } from "../../../../node/keystore.js";
import { type ChainHeadOptions, chainHeadMethods } from "../../../../node/rpc/methods/chainHead/index.js";
import { chainRpcMethods, type RpcDeps } from "../../../../node/rpc/methods/index.js";
import type { RpcDef, RpcServer } from "../../../../node/rpc/server/index.js";
import { TxPool } from "../../../../node/txpool/index.js";
import { defaultSignatureChecker, keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../../../../primitives/hex.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import { buildGenesisStorage } from "../../../../runtime/index.js";
import { startServer, WsClient } from "./helpers.js";

export const alice = keypairFromSuri("//Alice");
export const bob = keypairFromSuri("//Bob");

export interface Fixture {
  chain: Chain;
  pool: TxPool;
  server: RpcServer;
  url: string;
  client: WsClient;
  /** Another connection to the same server. */
  connect(): Promise<WsClient>;
  /**
   * Authors and imports a block on `parent` (the best block by default) with `txs`, or the pool's ready
   * transactions; `salt` shifts the timestamp to make a sibling differ.
   */
  block(opts?: { parent?: BlockRef; txs?: Uint8Array[]; salt?: number; finalize?: boolean }): Promise<BlockRef>;
  close(): Promise<void>;
}

function defName(d: RpcDef): string {
  return "subscribe" in d ? d.subscribe : d.name;
}

export async function startFixture(opts: { chainHead?: Partial<ChainHeadOptions> } = {}): Promise<Fixture> {
  await cryptoReady();
  const db = await ChainDb.open(join(mkdtempSync(join(tmpdir(), "tc-rpcv2-")), "db"));
  const chain = await Chain.open(
    { db, logger: nullLogger, signatures: defaultSignatureChecker },
    buildGenesisStorage({ balances: [[alice.publicKey, 1000n * UNITS]] }),
  );
  const pool = new TxPool(
    {},
    {
      logger: nullLogger,
      bestBlock: () => ({ hash: chain.best.hashHex, number: chain.best.number }),
      validate: async (source, tx, at) => (await chain.runtimeAt(fromHex(at))).validateTransaction(source, tx),
    },
  );
  chain.on("block", (b) => {
    void pool.onBlockImported(
      { hash: b.hashHex, number: b.number, extrinsics: b.extrinsics, parentHash: toHex(b.header.parentHash) },
      chain.best.hashHex === b.hashHex,
    );
  });
  chain.on("finalized", (b) => pool.onBlockFinalized(b.hashHex));
  const deps: RpcDeps = {
    chain,
    pool,
    keystore: new Keystore(undefined),
    spec: BUILTIN_SPECS.dev(),
    node: {
      name: "tensorchain-test",
      version: "0.0.0",
      roles: ["Full"],
      peerId: "12D3KooWTest",
      listenAddresses: () => [],
      peers: () => [],
      isSyncing: () => false,
    },
  };
  const { server, url } = await startServer();
  let defs = chainRpcMethods(deps);
  if (opts.chainHead) {
    defs = [...defs.filter((d) => !defName(d).startsWith("chainHead_v1")), ...chainHeadMethods(deps, opts.chainHead)];
  }
  for (const def of defs) server.register(def);
  const clients: WsClient[] = [];
  const connect = async () => {
    const c = await WsClient.connect(url);
    clients.push(c);
    return c;
  };
  const client = await connect();
  return {
    chain,
    pool,
    server,
    url,
    client,
    connect,
    async block({ parent, txs, salt = 0, finalize = false } = {}) {
      const view = await chain.runtimeAt((parent ?? chain.best).hash);
      const ready = txs ? txs.map((bytes) => ({ hash: toHex(bytes) as HexString, bytes })) : [...pool.ready()];
      const p = propose(
        {
          parent: view,
          timestamp: view.timestamp() + 2000n + BigInt(salt),
          preDigest: [],
          deadlineReached: () => false,
        },
        {
          pool: { ready: () => ready, reportInvalid: () => {} },
          signatures: defaultSignatureChecker,
          genesisHash: chain.genesisHash,
          logger: nullLogger,
        },
      );
      return chain.importBlock({ header: p.header, extrinsics: p.extrinsics }, "own", { executed: p.state, finalize });
    },
    async close() {
      for (const c of clients) c.ws.terminate();
      await server.close();
      await pool.close();
      await db.close();
    },
  };
}

/** A signed `Balances.transfer_keep_alive` of `amount` UNITS from //Alice to //Bob. */
export function transfer(chain: Chain, nonce: number, amount = 1n): Uint8Array {
  return signExtrinsic(
    {
      tag: "Balances",
      value: {
        tag: "transfer_keep_alive",
        value: { dest: { tag: "Id", value: bob.publicKey }, value: amount * UNITS },
      },
    },
    alice,
    { nonce, genesisHash: chain.genesisHash },
  );
}
