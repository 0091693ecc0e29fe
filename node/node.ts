/**
 * The node, wired in one visible order (as Lodestar's `BeaconNode`): database -> chain -> transaction
 * pool -> metrics -> keystore -> offence reporter -> network -> finality -> sync -> content store ->
 * block authoring -> job progress recorder -> Prometheus exporter -> RPC (and the dashboard on its port)
 * -> informant. `close()` tears down in reverse.
 *
 * Metrics (with `prometheus`): the registry is built right after the pool, so that the services built
 * next get its hooks (block import, block construction, RPC calls, training steps) and add their
 * scrape-time sources (peers, sync target, GRANDPA round, content store size); the exporter listens
 * before the RPC server, so that a taken port stops the node before it serves anything.
 *
 * With the network, one libp2p node is built first (`createNetworkLibp2p`) and shared: the p2p host
 * and the content store's Helia (bitswap) register their protocols on it, then the node starts it, and
 * stops it last. A dev node's content store runs offline (no libp2p): RPC clients still add and fetch.
 *
 * Two modes:
 *   - dev (`devAuthority`): one authority authors every slot (Aura-style pre-digest) and finalizes its
 *     own blocks; no networking.
 *   - network (`network`): a libp2p host, sync, the GRANDPA voter (observer unless `validator`), and with
 *     `validator`, BABE block production with the `babe` keys in the keystore (none yet: it claims no slot).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPrimaryHeader } from "../consensus/babe/index.js";
import { type ChainSpec, genesisStorageOf, runtimeOptionsOf } from "../genesis/chainSpec.js";
import { type P2pOptions, topicName } from "../p2p/index.js";
import { CachedSignatureChecker, keypairFromSuri, sign } from "../primitives/crypto/index.js";
import { cryptoReady } from "../primitives/hashing.js";
import { type HexString, toHex } from "../primitives/hex.js";
import type { Logger } from "../primitives/logger.js";
import { buildRuntime } from "../runtime/index.js";
import { babeClaimSlot } from "./authoring/babe.js";
import { SlotWorker, singleAuthorityClaim } from "./authoring/slotWorker.js";
import { BabeVerifier, defaultBabeOptions } from "./chain/babeVerifier.js";
import { Chain } from "./chain/chain.js";
import { ChunkedUploads, HeliaContentStore } from "./content/index.js";
import type { ContentStore } from "./content/types.js";
import {
  DashboardSite,
  defaultJobProgressRecorderOptions,
  JobProgressRecorder,
  type ProgressTopics,
} from "./dashboard/index.js";
import { ChainDb } from "./db/chainDb.js";
import { DevChaos, devChaosMethods } from "./devChaos.js";
import { defaultFinalityOptions, FinalityService } from "./finality/index.js";
import { Informant } from "./informant.js";
import {
  decodeProgress,
  defaultJobRolesOptions,
  detectCapabilities,
  INFERENCE_TOPIC,
  type InferenceGossip,
  type JobGossip,
  JobRoles,
  type JobRolesOptions,
  jobTopicName,
} from "./jobs/index.js";
import { Keystore } from "./keystore.js";
import { LoopPriority } from "./loopPriority.js";
import { MetricsServer, type MetricsServerOptions, NodeMetrics } from "./metrics/index.js";
import { BlockImporter, createNetworkLibp2p, type NetworkLibp2p, NetworkService } from "./network/index.js";
import { defaultOffenceReporterOptions, OffenceReporter } from "./offences/reporter.js";
import { POUW_TOPIC } from "./pouw/gossip.js";
import { PouwService, ticketsOf, ticketWeightIn } from "./pouw/service.js";
import { TrainerTickets } from "./pouw/trainerTickets.js";
import { contentMethods } from "./rpc/methods/content.js";
import { dashboardMethods } from "./rpc/methods/dashboard.js";
import { chainRpcMethods } from "./rpc/methods/index.js";
import { defaultRpcServerOptions, RpcServer, type RpcServerOptions } from "./rpc/server/index.js";
import { defaultSyncOptions, SyncService } from "./sync/index.js";
import { AdmissionSignatures, chainValidator, followChain, TxPool, type TxPoolOptions } from "./txpool/index.js";
import { SignatureVerifierPool } from "./verify/index.js";

export const NODE_VERSION = "0.1.0";

export interface NodeOptions {
  spec: ChainSpec;
  /** Where the database and keystore live; a temporary directory with `tmp`. */
  basePath?: string;
  tmp: boolean;
  name: string;
  rpc: Partial<RpcServerOptions> & { enabled: boolean };
  /** Serve Prometheus metrics at `/metrics` here (`--prometheus-port`); none when undefined. */
  prometheus?: MetricsServerOptions;
  /**
   * Serve the dashboard (`node/dashboard/`) on the RPC port at `/` for HTTP GETs (the CLI's default;
   * `--no-dashboard` turns it off). Needs the RPC server.
   */
  dashboard?: boolean;
  /** Transaction pool limits and ban time (`--pool-limit`, `--pool-kbytes`, `--tx-ban-seconds`); Substrate's defaults when absent. */
  pool?: Partial<TxPoolOptions>;
  /**
   * Author blocks with this key on every slot (the dev chain's single authority); the slot length is
   * `blockTimeMs`, or the chain's slot duration when undefined (0: only on `engine_createBlock`).
   */
  devAuthority?: { suri: string; blockTimeMs?: number };
  /** Run the network (libp2p, sync, finality); ignored with `devAuthority`. */
  network?: { p2p: P2pOptions };
  /** Author blocks (BABE) and vote (GRANDPA) with the keys in the keystore. */
  validator?: boolean;
  /** Dev keys to put in the keystore: //Name as `babe` (sr25519) and `gran` (ed25519). */
  devKeys?: string;
  informantIntervalMs: number;
  /**
   * The job-market roles (`--worker`, `--evaluator`), signing with the keystore's `work` key (`suri`,
   * when given, is put there first). They need a content store.
   */
  jobs?: Partial<JobRolesOptions> & { suri?: string; content?: ContentStore };
  /**
   * TEST ONLY (`--dev-chaos`, refused on `Live` chains): fault injection for the chaos suite, a clock
   * offset and blocked peers behind unsafe `devChaos_*` RPC methods (`node/devChaos.ts`).
   */
  devChaos?: boolean;
}

/** The networked services of a node that runs the network. */
interface NetworkServices {
  /** The libp2p node the p2p host and the content store share; the node starts and stops it. */
  libp2p: NetworkLibp2p["libp2p"];
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
    /** Job artifacts by CID (`<base>/chains/<id>/content`), fetched from peers over bitswap with the network. */
    readonly content: HeliaContentStore,
    private readonly uploads: ChunkedUploads,
    private readonly informant: Informant,
    private readonly tmpDir: string | undefined,
    readonly jobRoles: JobRoles | undefined,
    /** The node's metrics (with `prometheus`) and their exporter. */
    readonly metrics: NodeMetrics | undefined,
    private readonly metricsServer: MetricsServer | undefined,
    /** The port the exporter listens on (with `prometheus`). */
    readonly prometheusPort: number | undefined,
    /** Training progress of live jobs, for `tensorchain_jobProgress`; runs with the RPC server. */
    readonly progress: JobProgressRecorder | undefined,
    /** The signature verifier threads of pool admission, if they could be started. */
    private readonly verifier: SignatureVerifierPool | undefined,
  ) {}

  static async start(opts: NodeOptions, logger: Logger): Promise<TensorchainNode> {
    // The chain decides the runtime (the dev chain's has Sudo); nothing may use the runtime before this.
    buildRuntime(runtimeOptionsOf(opts.spec));
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
    // Every signature check of the runtime (validation, block building, import) goes through this cache;
    // the pool's admission fills it from the verifier threads, so that proposing a block does not verify
    // again what admission verified.
    const signatures = new CachedSignatureChecker({ capacity: SIGNATURE_CACHE_CAPACITY });
    const chain = await Chain.open(
      {
        db,
        logger: logger.child({ module: "chain" }),
        signatures,
        isPrimary: isPrimaryHeader,
        ticketCount: (header) => ticketsOf(header).length,
        ticketWeight: ticketWeightIn,
      },
      genesisStorageOf(opts.spec),
    );
    logger.info("Chain opened", {
      best: chain.best.number,
      bestHash: chain.best.hashHex,
      finalized: chain.finalized.number,
      genesis: chain.genesis.hashHex,
    });

    const verifier = startVerifierPool(logger.child({ module: "verify" }));
    const admission =
      verifier &&
      new AdmissionSignatures({
        cache: signatures,
        verifier,
        genesisHash: chain.genesisHash,
        hashAt: (n) => chain.hashAt(n),
        logger: logger.child({ module: "txpool" }),
      });
    const pool = new TxPool(opts.pool ?? {}, {
      logger: logger.child({ module: "txpool" }),
      bestBlock: () => ({ hash: chain.best.hashHex, number: chain.best.number }),
      validate: chainValidator(chain, admission),
    });
    // New best blocks, reorgs (retracted and enacted blocks, as Substrate's maintained pool sees a tree
    // route) and finality, in the chain's order.
    followChain(chain, pool);

    // A registry of the node's own (several nodes in one process keep theirs apart).
    const metrics =
      opts.prometheus &&
      new NodeMetrics(
        { chainId: opts.spec.id, processMetrics: true },
        { chain, pool, logger: logger.child({ module: "metrics" }) },
      );

    const keystore = new Keystore(tmpDir ? undefined : join(chainDir, "keystore"));

    if (opts.devKeys) {
      const suri = `//${opts.devKeys}`;
      keystore.insert("babe", suri, keypairFromSuri(suri, "sr25519").publicKey);
      keystore.insert("gran", suri, keypairFromSuri(suri, "ed25519").publicKey);
    }

    if (opts.devChaos && opts.spec.chainType === "Live") throw new Error("--dev-chaos is for test chains only");
    const chaos = opts.devChaos ? new DevChaos(logger.child({ module: "devChaos" })) : undefined;
    // The clock of slots and finality: the wall clock, shifted by a test's clock offset with --dev-chaos.
    const now = chaos?.now ?? (() => Date.now());

    // The chain's slot duration, from its chain spec's genesis (the same in every state of the chain).
    const slotDurationMs = (await chain.runtimeAt(chain.finalized.hash)).slotDuration();
    let services: NetworkServices | undefined;
    if (!opts.devAuthority && opts.network) {
      // Equivocations seen by BABE header checks and by the GRANDPA voter go on chain as reports.
      const offences = new OffenceReporter(defaultOffenceReporterOptions, {
        pool,
        logger: logger.child({ module: "offences" }),
      });
      const reportEquivocation = (evidence: Parameters<OffenceReporter["report"]>[0]) => void offences.report(evidence);
      const babe = new BabeVerifier(
        { ...defaultBabeOptions, slotDurationMs },
        {
          chain,
          logger: logger.child({ module: "babe" }),
          now,
          reportEquivocation,
        },
      );
      const importer = new BlockImporter({
        chain,
        babe,
        logger: logger.child({ module: "import" }),
        onImportTime: metrics && ((seconds) => metrics.observeBlockImport(seconds)),
      });
      const { libp2p, scores } = await createNetworkLibp2p(opts.network.p2p, chain.genesisHash, chaos?.isBlocked);
      const network = await NetworkService.create(opts.network, {
        chain,
        pool,
        importer,
        logger: logger.child({ module: "network" }),
        roles: opts.validator ? ["authority"] : ["full"],
        libp2p,
        scores,
      });
      // Sync is built after finality, which asks it for blocks that votes name (`requestBlock`).
      let sync: SyncService | undefined;
      const finality = await FinalityService.create(
        { ...defaultFinalityOptions, validator: opts.validator === true },
        {
          chain,
          db,
          keystore,
          logger: logger.child({ module: "grandpa" }),
          publish: (data) => network.publishFinality(data),
          peers: () => network.peers().map((p) => p.peerId),
          requestCatchUp: (peer, request) => network.host.requestCatchUp(peer, request),
          reportPeer: (peer, report) => network.host.reportPeer(peer, report),
          now,
          reportEquivocation,
          requestBlock: (peer, block) => sync?.requestFork(peer, block),
          syncing: () => sync?.isSyncing() ?? false,
        },
      );
      network.onFinalityGossip = (data, from) => finality.onGossip(data, from);
      network.onCatchUpRequest = (request) => finality.answerCatchUp(request);
      network.host.on("peer:status", ({ peer }) => finality.onPeerStatus(peer.peerId));
      network.host.on("peer:disconnected", ({ peerId }) => finality.onPeerDisconnected(peerId));
      importer.setJustificationVerifier((block, j) => finality.verifyJustification(block, j));
      sync = new SyncService(defaultSyncOptions, {
        chain,
        host: network.host,
        importer,
        logger: logger.child({ module: "sync" }),
        importJustification: (block, j) => finality.importJustification(block, j),
      });
      network.onUnknownParent = (peer, block) => sync.onUnknownParent(peer, block);
      if (chaos) chaos.network = { hangUp: (id) => network.host.disconnect(id), dial: (id) => network.host.dial(id) };
      services = { libp2p, network, sync, finality };
      metrics?.addSources({
        peers: () => network.peers().length,
        syncTarget: () => sync.highestBlock(),
        grandpaRound: () => finality.voter.round,
      });
    }

    // Bitswap registers its protocol on the (not yet started) libp2p node; offline without the network.
    const content = await HeliaContentStore.create(
      { directory: join(chainDir, "content") },
      { libp2p: services?.libp2p, logger: logger.child({ module: "content" }) },
    );
    const rpcLimits = { ...defaultRpcServerOptions, ...opts.rpc };
    const uploads = new ChunkedUploads(
      {
        // One chunk's hex (2 bytes per byte) plus the JSON around it fits a request and a response.
        maxChunkBytes: Math.min(
          4 * 1024 * 1024,
          Math.floor((Math.min(rpcLimits.maxRequestBytes, rpcLimits.maxResponseBytes) - 4096) / 2),
        ),
      },
      { store: content, logger: logger.child({ module: "content" }) },
    );
    uploads.start();
    metrics?.addSources({ contentBytes: () => content.diskBytes() });

    // PoUW tickets: gossiped by trainers, picked by block authors (`node/pouw/`).
    const pouwTopic = topicName(chain.genesisHash, POUW_TOPIC);
    const pouw = new PouwService({
      best: () => chain.bestRuntime,
      gossip: services && {
        publish: (data) => services!.network.host.publish(pouwTopic, data),
        join: (judge) => services!.network.host.subscribe(pouwTopic, (_topic, data) => judge(data)),
        leave: () => services!.network.host.unsubscribe(pouwTopic),
      },
      logger: logger.child({ module: "pouw" }),
    });
    pouw.start();
    chain.on("block", (block) => pouw.onImported(block.header));

    // Authoring goes before RPC work on the event loop (`loopPriority.ts`).
    const priority = new LoopPriority();
    let slotWorker: SlotWorker | undefined;
    if (opts.devAuthority) {
      const pair = keypairFromSuri(opts.devAuthority.suri, "sr25519");
      keystore.insert("aura", opts.devAuthority.suri, pair.publicKey);
      const blockTimeMs = opts.devAuthority.blockTimeMs ?? slotDurationMs;
      slotWorker = new SlotWorker(
        {
          slotDurationMs: blockTimeMs,
          finalityDelayMs: blockTimeMs === 0 ? 0 : 250,
          proposingShare: 0.5,
        },
        {
          chain,
          pool: { ready: () => pool.ready(), reportInvalid: (h: HexString) => pool.reportInvalid(h) },
          signatures,
          genesisHash: chain.genesisHash,
          logger: logger.child({ module: "authoring" }),
          priority,
          now: () => Date.now(),
          claimSlot: singleAuthorityClaim({ publicKey: pair.publicKey, sign: (m) => sign(pair, m) }),
          onBlockConstructed: metrics && ((seconds, n) => metrics.observeBlockConstructed(seconds, n)),
          ticketDigest: (parent) => pouw.digestFor(parent),
        },
      );
    } else if (services && opts.validator) {
      // Claims read the keystore at every slot, so keys added later (`author_rotateKeys`, then
      // `session.setKeys` on chain) author from the session they enter the set, without a restart.
      slotWorker = new SlotWorker(
        { slotDurationMs, finalityDelayMs: undefined, proposingShare: 0.5 },
        {
          chain,
          pool: { ready: () => pool.ready(), reportInvalid: (h: HexString) => pool.reportInvalid(h) },
          signatures,
          genesisHash: chain.genesisHash,
          logger: logger.child({ module: "babe" }),
          priority,
          now,
          claimSlot: babeClaimSlot(chain, keystore),
          onBlockConstructed: metrics && ((seconds, n) => metrics.observeBlockConstructed(seconds, n)),
          ticketDigest: (parent) => pouw.digestFor(parent),
        },
      );
    }

    let metricsServer: MetricsServer | undefined;
    let prometheusPort: number | undefined;
    if (metrics && opts.prometheus) {
      metricsServer = new MetricsServer(opts.prometheus, { metrics, logger: logger.child({ module: "metrics" }) });
      prometheusPort = await metricsServer.start(); // the server logs its own address
    }
    // Joins every live job's progress topic (with the network) and records what trainers report.
    const progress = opts.rpc.enabled
      ? new JobProgressRecorder(defaultJobProgressRecorderOptions, {
          chain,
          topics: services && jobProgressTopics(services.network, chain.genesisHash),
          logger: logger.child({ module: "progress" }),
        })
      : undefined;

    let rpc: RpcServer | undefined;
    let rpcPort: number | undefined;
    const roles: ("Full" | "Authority")[] = opts.devAuthority || opts.validator ? ["Authority"] : ["Full"];
    if (opts.rpc.enabled) {
      rpc = new RpcServer(opts.rpc, { logger: logger.child({ module: "rpc" }), calls: metrics?.rpcCalls, priority });
      const peerId = services?.network.peerId ?? "12D3KooWDevNodeWithoutNetworking";
      for (const def of chainRpcMethods(
        {
          chain,
          pool,
          keystore,
          spec: opts.spec,
          pendingTickets: () => pouw.pool.all(),
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
                reputation: p.reputation,
              })),
            isSyncing: () => services?.sync.isSyncing() ?? false,
            syncState: services && (() => services!.sync.state()),
            grandpaRoundState: services && (() => services!.finality.voter.roundState()),
          },
        },
        slotWorker && { createBlock: () => slotWorker!.createBlock(), pendingCount: () => pool.status().ready },
      ))
        rpc.register(def);
      for (const def of contentMethods({ store: content, uploads })) rpc.register(def);
      for (const def of dashboardMethods({ chain, progress })) rpc.register(def);
      if (chaos) for (const def of devChaosMethods(chaos)) rpc.register(def);
      const site = opts.dashboard ? DashboardSite.load(logger.child({ module: "dashboard" })) : undefined;
      if (site) rpc.onGet((req, res) => site.handle(req, res));
      rpcPort = await rpc.listen(); // the server logs its own address
      if (site) logger.info("Dashboard", { url: `http://${dashboardHost(rpcLimits.host)}:${rpcPort}/` });
    }

    if (services) {
      await services.libp2p.start();
      await services.network.start();
      await services.finality.start();
      services.sync.start();
    }
    slotWorker?.start();
    progress?.start();
    const jobRoles =
      opts.jobs &&
      startJobRoles({ ...opts.jobs, content: opts.jobs.content ?? content }, chainDir, {
        chain,
        pool,
        keystore,
        services,
        progress,
        pouw,
        logger,
        onTrainingStep: metrics && (() => metrics.trainingStep()),
      });
    const informant = new Informant(
      { intervalMs: opts.informantIntervalMs },
      {
        chain,
        pool,
        peerCount: () => services?.network.peers().length ?? 0,
        isSyncing: () => services?.sync.isSyncing() ?? false,
        syncTarget: services && (() => services.sync.highestBlock()),
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
      content,
      uploads,
      informant,
      tmpDir,
      jobRoles,
      metrics,
      metricsServer,
      prometheusPort,
      progress,
      verifier,
    );
  }

  /**
   * Stops authoring, RPC, the Prometheus exporter, sync, finality, the p2p host, the content store,
   * libp2p, the pool's maintenance and its verifier threads, then closes the database; removes a `--tmp`
   * base path.
   */
  async close(): Promise<void> {
    this.informant.stop();
    await this.jobRoles?.stop();
    await this.progress?.stop();
    await this.slotWorker?.stop();
    await this.rpc?.close();
    await this.metricsServer?.stop();
    if (this.services) {
      await this.services.sync.stop();
      await this.services.finality.stop();
      await this.services.network.stop();
    }
    this.uploads.stop();
    await this.content.stop();
    await this.services?.libp2p.stop();
    await this.pool.close(); // its maintenance still reads the database
    await this.verifier?.close();
    await this.db.close();
    if (this.tmpDir) rmSync(this.tmpDir, { recursive: true, force: true });
    this.logger.info("Shut down");
  }
}

/** Signatures the runtime remembers as verified: a few full pools' worth (the pool holds 8192 + 819 by default). */
const SIGNATURE_CACHE_CAPACITY = 65_536;

/**
 * The verifier threads of pool admission (`os.availableParallelism() - 1`, at least one); undefined when
 * they cannot start (no built worker script), in which case the runtime verifies on the main thread.
 */
function startVerifierPool(logger: Logger): SignatureVerifierPool | undefined {
  try {
    return new SignatureVerifierPool({}, { logger });
  } catch (err) {
    logger.warn("Signature verifier threads unavailable; transactions are verified on the main thread", {
      error: err instanceof Error ? err.message : String(err),
    });
    return undefined;
  }
}

/** The job progress topics (`job/<id>`) on the node's p2p host. */
function jobProgressTopics(network: NetworkService, genesisHash: Uint8Array): ProgressTopics {
  const topic = (id: bigint) => topicName(genesisHash, jobTopicName(id));
  return {
    join: (id, judge) => network.host.subscribe(topic(id), (_topic, data) => judge(data)),
    leave: (id) => network.host.unsubscribe(topic(id)),
    publish: (id, data) => network.host.publish(topic(id), data),
  };
}

/** The host to show in the dashboard's address: loopback for a node listening on every interface. */
function dashboardHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts the worker and/or evaluator roles on the keystore's `work` key (see `node/jobs/`). Their
 * progress gossip goes through the progress recorder when the node runs one (so the node records its
 * own training, with or without the network).
 */
function startJobRoles(
  jobs: NonNullable<NodeOptions["jobs"]>,
  chainDir: string,
  m: {
    chain: Chain;
    pool: TxPool;
    keystore: Keystore;
    services: NetworkServices | undefined;
    logger: Logger;
    onTrainingStep?: () => void;
    progress: JobProgressRecorder | undefined;
    pouw: PouwService;
  },
): JobRoles {
  const { suri, content, ...roleOpts } = jobs;
  if (suri) m.keystore.insert("work", suri, keypairFromSuri(suri, "sr25519").publicKey);
  const publicKey = m.keystore.publicKeys("work")[0];
  const pair = publicKey && m.keystore.get("work", publicKey);
  if (!pair)
    throw new Error("--worker and --evaluator need a `work` key in the keystore (--worker-suri, or author_insertKey)");
  if (!content) throw new Error("--worker and --evaluator need the node's content store, which this node does not run");
  const host = m.services?.network.host;
  const topic = (id: bigint) => topicName(m.chain.genesisHash, `job/${id}`);
  const gossip: JobGossip | undefined =
    m.progress?.jobGossip() ??
    (host && {
      publish: (id, data) => host.publish(topic(id), data),
      join: (id) => host.subscribe(topic(id), (_topic, data) => (decodeProgress(data) ? "accept" : "reject")),
      leave: (id) => host.unsubscribe(topic(id)),
    });
  const inferenceTopic = topicName(m.chain.genesisHash, INFERENCE_TOPIC);
  const inferenceGossip: InferenceGossip | undefined =
    host && jobs.inference
      ? {
          publish: (data) => host.publish(inferenceTopic, data),
          join: (judge) => host.subscribe(inferenceTopic, (_topic, data) => judge(data)),
          leave: () => host.unsubscribe(inferenceTopic),
        }
      : undefined;
  const trainerTickets = new TrainerTickets({
    pair,
    worker: pair.publicKey,
    bestContext: () => m.chain.bestRuntime.ticketContext(),
    offer: (tickets) => m.pouw.offer(tickets),
    logger: m.logger.child({ module: "pouw" }),
  });
  m.chain.on("best", () => trainerTickets.onBestBlock());
  const roles = new JobRoles(
    { ...defaultJobRolesOptions, dataDir: join(chainDir, "jobs"), ...roleOpts },
    {
      chain: m.chain,
      pool: m.pool,
      pair,
      content,
      capabilities: detectCapabilities(),
      gossip,
      inferenceGossip,
      dht: m.services?.libp2p.services.dht,
      logger: m.logger.child({ module: "jobs" }),
      onTrainingStep: m.onTrainingStep,
      onLeaf: (jobId, leaf, stateHash) => trainerTickets.onLeaf(jobId, leaf, stateHash),
    },
  );
  roles.start();
  return roles;
}
