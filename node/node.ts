/**
 * The node, wired in one visible order (as Lodestar's `BeaconNode`): database -> chain -> transaction
 * pool -> keystore -> block authoring -> RPC -> informant. `close()` tears down in reverse.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChainSpec, genesisStorageOf } from "../genesis/chainSpec.js";
import { defaultSignatureChecker, keypairFromSuri, sign } from "../primitives/crypto/index.js";
import { cryptoReady } from "../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../primitives/hex.js";
import type { Logger } from "../primitives/logger.js";
import { Ext, validateTransaction } from "../runtime/index.js";
import { SlotWorker, singleAuthorityClaim } from "./authoring/slotWorker.js";
import { Chain, trieBackend } from "./chain/chain.js";
import { ChainDb } from "./db/chainDb.js";
import { Informant } from "./informant.js";
import { Keystore } from "./keystore.js";
import { chainRpcMethods } from "./rpc/methods/index.js";
import { RpcServer, type RpcServerOptions } from "./rpc/server/index.js";
import { TxPool } from "./txpool/index.js";

export const NODE_VERSION = "0.1.0";

export interface NodeOptions {
  spec: ChainSpec;
  /** Where the database and keystore live; a temporary directory with `tmp`. */
  basePath?: string;
  tmp: boolean;
  name: string;
  rpc: Partial<RpcServerOptions> & { enabled: boolean };
  /** Author blocks with this key on every slot (the dev chain's single authority). */
  devAuthority?: { suri: string; blockTimeMs: number };
  informantIntervalMs: number;
}

export class TensorchainNode {
  private constructor(
    readonly opts: NodeOptions,
    readonly logger: Logger,
    readonly db: ChainDb,
    readonly chain: Chain,
    readonly pool: TxPool,
    readonly keystore: Keystore,
    readonly rpc: RpcServer | undefined,
    readonly rpcPort: number | undefined,
    private readonly slotWorker: SlotWorker | undefined,
    private readonly informant: Informant,
    private readonly tmpDir: string | undefined,
  ) {}

  static async start(opts: NodeOptions, logger: Logger): Promise<TensorchainNode> {
    await cryptoReady();
    const tmpDir = opts.tmp ? mkdtempSync(join(tmpdir(), "tensorchain-")) : undefined;
    const base = tmpDir ?? opts.basePath;
    if (!base) throw new Error("A base path is required (--base-path or --tmp)");
    const chainDir = join(base, "chains", opts.spec.id);
    mkdirSync(chainDir, { recursive: true });
    logger.info("Tensorchain node", {
      version: NODE_VERSION,
      node: process.version,
      chain: opts.spec.name,
      name: opts.name,
      basePath: base,
    });

    const db = await ChainDb.open(join(chainDir, "db"));
    const signatures = defaultSignatureChecker;
    const chain = await Chain.open(
      { db, logger: logger.child({ module: "chain" }), signatures },
      genesisStorageOf(opts.spec),
    );
    logger.info("Chain opened", {
      best: chain.best.number,
      bestHash: chain.best.hashHex,
      finalized: chain.finalized.number,
      genesis: chain.genesis.hashHex,
    });

    const pool = new TxPool(
      {},
      {
        logger: logger.child({ module: "txpool" }),
        bestBlock: () => ({ hash: chain.best.hashHex, number: chain.best.number }),
        validate: async (source, tx, at) => {
          const hash = fromHex(at);
          const header = await chain.header(hash);
          if (!header) return { ok: false, error: { kind: "unknown", reason: "cannotLookup" } };
          const state = chain.stateInMemory(hash) ?? (await chain.stateAt(hash));
          const ext = new Ext(trieBackend(state), signatures);
          return validateTransaction(ext, source, tx, { hash, number: header.number }, chain.genesisHash);
        },
      },
    );
    chain.on("block", (block, _origin) => {
      void pool
        .onBlockImported(
          {
            hash: block.hashHex,
            number: block.number,
            extrinsics: block.extrinsics,
            parentHash: toHex(block.header.parentHash),
          },
          chain.best.hashHex === block.hashHex,
        )
        .catch((err: unknown) => logger.error("Pool maintenance failed", {}, err));
    });
    chain.on("finalized", (block) => pool.onBlockFinalized(block.hashHex));

    const keystore = new Keystore(tmpDir ? undefined : join(chainDir, "keystore"));

    let slotWorker: SlotWorker | undefined;
    if (opts.devAuthority) {
      const pair = keypairFromSuri(opts.devAuthority.suri, "sr25519");
      keystore.insert("aura", opts.devAuthority.suri, pair.publicKey);
      slotWorker = new SlotWorker(
        {
          slotDurationMs: opts.devAuthority.blockTimeMs,
          finalityDelayMs: opts.devAuthority.blockTimeMs === 0 ? 0 : 250,
          proposingShare: 0.5,
        },
        {
          chain,
          pool: { ready: () => pool.ready(), reportInvalid: (h: HexString) => pool.reportInvalid(h) },
          signatures,
          genesisHash: chain.genesisHash,
          logger: logger.child({ module: "authoring" }),
          now: () => Date.now(),
          claimSlot: singleAuthorityClaim({ publicKey: pair.publicKey, sign: (m) => sign(pair, m) }),
        },
      );
    }

    let rpc: RpcServer | undefined;
    let rpcPort: number | undefined;
    const roles: ("Full" | "Authority")[] = opts.devAuthority ? ["Authority"] : ["Full"];
    if (opts.rpc.enabled) {
      rpc = new RpcServer(opts.rpc, { logger: logger.child({ module: "rpc" }) });
      const peerId = "12D3KooWDevNodeWithoutNetworking"; // replaced by the libp2p peer id once networking lands
      for (const def of chainRpcMethods(
        {
          chain,
          pool,
          keystore,
          spec: opts.spec,
          signatures,
          node: {
            name: opts.name,
            version: NODE_VERSION,
            roles,
            peerId,
            listenAddresses: () => [],
            peers: () => [],
            isSyncing: () => false,
          },
        },
        slotWorker && { createBlock: () => slotWorker!.createBlock(), pendingCount: () => pool.status().ready },
      ))
        rpc.register(def);
      rpcPort = await rpc.listen(); // the server logs its own address
    }

    slotWorker?.start();
    const informant = new Informant(
      { intervalMs: opts.informantIntervalMs },
      { chain, pool, logger: logger.child({ module: "informant" }) },
    );
    informant.start();
    return new TensorchainNode(opts, logger, db, chain, pool, keystore, rpc, rpcPort, slotWorker, informant, tmpDir);
  }

  /** Stops authoring, then RPC, then closes the database; removes a `--tmp` base path. */
  async close(): Promise<void> {
    this.informant.stop();
    await this.slotWorker?.stop();
    await this.rpc?.close();
    await this.db.close();
    if (this.tmpDir) rmSync(this.tmpDir, { recursive: true, force: true });
    this.logger.info("Shut down");
  }
}
