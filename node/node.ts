/**
 * The node, wired in one visible order (as Lodestar's `BeaconNode`): database -> chain -> transaction
 * pool -> keystore -> offence reporter -> network -> finality -> sync -> block authoring -> RPC ->
 * informant. `close()` tears down in reverse.
 *
 * Two modes:
 *   - dev (`devAuthority`): one authority authors every slot (Aura-style pre-digest) and finalizes its
 *     own blocks; no networking.
 *   - network (`network`): a libp2p host, sync, the GRANDPA voter (observer unless `validator`), and with
 *     `validator` and `babe` keys in the keystore, BABE block production.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChainSpec, genesisStorageOf } from "../genesis/chainSpec.js";
import type { P2pOptions } from "../p2p/index.js";
import { defaultSignatureChecker, keypairFromSuri, sign } from "../primitives/crypto/index.js";
import { cryptoReady } from "../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../primitives/hex.js";
import type { Logger } from "../primitives/logger.js";
import { Ext, validateTransaction } from "../runtime/index.js";
import {
  BABE_SLOT_DURATION_MS,
  BabeVerifier,
  babeClaimSlot,
  defaultBabeOptions,
  isPrimaryHeader,
} from "./authoring/babe.js";
import { SlotWorker, singleAuthorityClaim } from "./authoring/slotWorker.js";
import { Chain, trieBackend } from "./chain/chain.js";
import { ChainDb } from "./db/chainDb.js";
import { defaultFinalityOptions, FinalityService } from "./finality/index.js";
import { Informant } from "./informant.js";
import { Keystore } from "./keystore.js";
import { BlockImporter, NetworkService } from "./network/index.js";
import { defaultOffenceReporterOptions, OffenceReporter } from "./offences/reporter.js";
import { chainRpcMethods } from "./rpc/methods/index.js";
import { RpcServer, type RpcServerOptions } from "./rpc/server/index.js";
import { defaultSyncOptions, SyncService } from "./sync/index.js";
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
  /** Run the network (libp2p, sync, finality); ignored with `devAuthority`. */
  network?: { p2p: P2pOptions };
  /** Author blocks (BABE) and vote (GRANDPA) with the keys in the keystore. */
  validator?: boolean;
  /** Dev keys to put in the keystore: //Name as `babe` (sr25519) and `gran` (ed25519). */
  devKeys?: string;
  informantIntervalMs: number;
}

/** The networked services of a node that runs the network. */
interface NetworkServices {
  network: NetworkService;
  sync: SyncService;
  finality: FinalityService;
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
    private readonly services: NetworkServices | undefined,
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
      { db, logger: logger.child({ module: "chain" }), signatures, isPrimary: isPrimaryHeader },
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
    // A reorg puts the transactions of the blocks that left the best chain back in the pool.
    chain.on("reorg", ({ retracted }) => {
      void (async () => {
        for (const b of retracted) {
          const [header, extrinsics] = await Promise.all([chain.header(b.hash), chain.body(b.hash)]);
          if (!header || !extrinsics) continue;
          const parentHash = toHex(header.parentHash);
          await pool.onBlockRetracted({ hash: toHex(b.hash), number: b.number, extrinsics, parentHash });
        }
      })().catch((err: unknown) => logger.error("Pool maintenance failed", {}, err));
    });
    chain.on("finalized", (block) => pool.onBlockFinalized(block.hashHex));

    const keystore = new Keystore(tmpDir ? undefined : join(chainDir, "keystore"));

    if (opts.devKeys) {
      const suri = `//${opts.devKeys}`;
      keystore.insert("babe", suri, keypairFromSuri(suri, "sr25519").publicKey);
      keystore.insert("gran", suri, keypairFromSuri(suri, "ed25519").publicKey);
    }

    let services: NetworkServices | undefined;
    if (!opts.devAuthority && opts.network) {
      // Equivocations seen by BABE header checks and by the GRANDPA voter go on chain as reports.
      const offences = new OffenceReporter(defaultOffenceReporterOptions, {
        pool,
        logger: logger.child({ module: "offences" }),
      });
      const reportEquivocation = (evidence: Parameters<OffenceReporter["report"]>[0]) => void offences.report(evidence);
      const babe = new BabeVerifier(defaultBabeOptions, {
        chain,
        signatures,
        logger: logger.child({ module: "babe" }),
        now: () => Date.now(),
        reportEquivocation,
      });
      const importer = new BlockImporter({ chain, babe, logger: logger.child({ module: "import" }) });
      const network = await NetworkService.create(opts.network, {
        chain,
        pool,
        importer,
        logger: logger.child({ module: "network" }),
        roles: opts.validator ? ["authority"] : ["full"],
      });
      const finality = await FinalityService.create(
        { ...defaultFinalityOptions, validator: opts.validator === true },
        {
          chain,
          db,
          keystore,
          signatures,
          logger: logger.child({ module: "grandpa" }),
          publish: (data) => network.publishFinality(data),
          now: () => Date.now(),
          reportEquivocation,
        },
      );
      network.onFinalityGossip = (data, from) => finality.onGossip(data, from);
      importer.setJustificationVerifier((block, j) => finality.verifyJustification(block, j));
      const sync = new SyncService(defaultSyncOptions, {
        chain,
        host: network.host,
        importer,
        logger: logger.child({ module: "sync" }),
        importJustification: (block, j) => finality.importJustification(block, j),
      });
      network.onUnknownParent = (peer, block) => sync.onUnknownParent(peer, block);
      services = { network, sync, finality };
    }

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
    } else if (services && opts.validator && keystore.publicKeys("babe").length > 0) {
      slotWorker = new SlotWorker(
        { slotDurationMs: BABE_SLOT_DURATION_MS, finalityDelayMs: undefined, proposingShare: 0.5 },
        {
          chain,
          pool: { ready: () => pool.ready(), reportInvalid: (h: HexString) => pool.reportInvalid(h) },
          signatures,
          genesisHash: chain.genesisHash,
          logger: logger.child({ module: "babe" }),
          now: () => Date.now(),
          claimSlot: babeClaimSlot(chain, keystore, signatures),
        },
      );
    }

    let rpc: RpcServer | undefined;
    let rpcPort: number | undefined;
    const roles: ("Full" | "Authority")[] = opts.devAuthority || opts.validator ? ["Authority"] : ["Full"];
    if (opts.rpc.enabled) {
      rpc = new RpcServer(opts.rpc, { logger: logger.child({ module: "rpc" }) });
      const peerId = services?.network.peerId ?? "12D3KooWDevNodeWithoutNetworking";
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
            listenAddresses: () => services?.network.host.listenAddresses() ?? [],
            peers: () =>
              (services?.network.peers() ?? []).map((p) => ({
                peerId: p.peerId,
                roles: p.roles.includes("authority") ? "AUTHORITY" : p.roles.includes("light") ? "LIGHT" : "FULL",
                bestHash: toHex(p.best.hash),
                bestNumber: p.best.number,
              })),
            isSyncing: () => services?.sync.isSyncing() ?? false,
            syncState: services && (() => services!.sync.state()),
          },
        },
        slotWorker && { createBlock: () => slotWorker!.createBlock(), pendingCount: () => pool.status().ready },
      ))
        rpc.register(def);
      rpcPort = await rpc.listen(); // the server logs its own address
    }

    if (services) {
      await services.network.start();
      await services.finality.start();
      services.sync.start();
    }
    slotWorker?.start();
    const informant = new Informant(
      { intervalMs: opts.informantIntervalMs },
      {
        chain,
        pool,
        peerCount: () => services?.network.peers().length ?? 0,
        isSyncing: () => services?.sync.isSyncing() ?? false,
        logger: logger.child({ module: "informant" }),
      },
    );
    informant.start();
    return new TensorchainNode(
      opts,
      logger,
      db,
      chain,
      pool,
      keystore,
      rpc,
      rpcPort,
      slotWorker,
      services,
      informant,
      tmpDir,
    );
  }

  /** Stops authoring, RPC, sync, finality and the network, then closes the database; removes a `--tmp` base path. */
  async close(): Promise<void> {
    this.informant.stop();
    await this.slotWorker?.stop();
    await this.rpc?.close();
    if (this.services) {
      await this.services.sync.stop();
      await this.services.finality.stop();
      await this.services.network.stop();
    }
    await this.db.close();
    if (this.tmpDir) rmSync(this.tmpDir, { recursive: true, force: true });
    this.logger.info("Shut down");
  }
}
