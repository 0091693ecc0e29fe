/**
 * The job-market roles of a node: `--worker` (trainer), `--evaluator` and `--inference` (the inference
 * provider, `inference.ts`), on one worker key.
 *
 * Why node/ and not worker/: the roles are node-side services. They follow the node's own chain
 * (imported blocks, their `RuntimeView`, no RPC), sign with the node's keystore and submit to its pool,
 * keep artifacts in its content store and publish on its libp2p host; worker/ stays the ML engine that
 * the roles call (`trainInWorker`, `evaluateModel`, the work root), importing no node
 * code, as the layering rules in docs/ARCHITECTURE.md require (`npm run lint` checks them).
 *
 * On every block the follower hands out, in order: registration (`WorkerRegistry.register` with the
 * detected capabilities and the hash of the signed capability record, once, while not registered;
 * `update_capabilities` when the registered record hash is not this machine's) and heartbeats (every `heartbeatEveryBlocks`,
 * default a third of the registry's timeout), then the trainer, then the evaluator (and auditor), then the inference provider, then the artifacts
 * (`artifacts.ts`: inputs of ended jobs released, old results released, one sweep). The first block
 * also makes both roles scan every live job, so a restarted node picks up its duties.
 *
 * The capability record (`capabilityRecord.ts`) is signed once at construction and kept in
 * `<dataDir>/capability-record.scale` (so its hash, registered on chain, survives restarts). With a DHT
 * it is put at `start()`, with the registration and again with every heartbeat sent (DHT records are not republished by
 * kad-dht); without one (a dev node) it is not published.
 */
import { join } from "node:path";
import type { KeyPair } from "../../primitives/crypto/index.js";
import { ss58Encode } from "../../primitives/crypto/index.js";
import { bytesEqual, toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import type { CapabilitiesValue } from "../../runtime/pallets/workerRegistry.js";
import { evaluateModel } from "../../worker/eval/evaluate.js";
import { InferenceRunner } from "../../worker/infer/runner.js";
import { trainInWorker } from "../../worker/train/trainInWorker.js";
import { SegmentVerifier } from "../../worker/verify/verifier.js";
import type { ContentStore } from "../content/types.js";
import { JobArtifacts } from "./artifacts.js";
import { type AuditorModules, AuditorRole, type ReexecuteFn } from "./auditor.js";
import { describeCapabilities } from "./capabilities.js";
import {
  type CapabilityRecordDht,
  loadOrSignCapabilityRecord,
  publishCapabilityRecord,
  type SignedCapabilityRecord,
} from "./capabilityRecord.js";
import type { JobGossip, RoleContext } from "./context.js";
import { type EvaluatorModules, EvaluatorRole } from "./evaluator.js";
import { type FollowedBlock, type JobChain, JobEventFollower } from "./follower.js";
import { type InferenceProviderModules, InferenceProviderRole } from "./inference.js";
import type { InferenceGossip } from "./inferenceGossip.js";
import type { JobRolesOptions } from "./options.js";
import { ExtrinsicSubmitter, type SubmitPool } from "./submitter.js";
import { type TrainerModules, TrainerRole } from "./trainer.js";
import { TrainerStore } from "./trainerStore.js";

export { detectCapabilities } from "./capabilities.js";
export {
  CapabilityRecordError,
  capabilityRecordDhtOptions,
  fetchCapabilityRecord,
  verifyCapabilityRecord,
} from "./capabilityRecord.js";
export type { JobGossip } from "./context.js";
export { decideOnJob, defaultTrainerPolicy, type TrainerPolicy } from "./decision.js";
export { type FollowedBlock, type JobChain, type JobEvent, JobEventFollower, jobEvents } from "./follower.js";
export { INFERENCE_TOPIC, type InferenceGossip } from "./inferenceGossip.js";
export { defaultJobRolesOptions, type JobRolesOptions } from "./options.js";
export { decodeProgress, encodeProgress, jobTopicName } from "./progress.js";

export interface JobRolesModules {
  chain: JobChain;
  pool: SubmitPool;
  /** The worker key (keystore type `work`). */
  pair: KeyPair;
  content: ContentStore;
  capabilities: CapabilitiesValue;
  gossip?: JobGossip;
  /** The `inference` topic (redundant delivery of requests to providers); absent without a network. */
  inferenceGossip?: InferenceGossip;
  /** The node's kad-dht, where the capability record is published; absent when the DHT is off. */
  dht?: CapabilityRecordDht;
  logger: Logger;
  /** The ML engine (defaults: `trainInWorker`, `evaluateModel`); tests substitute them. */
  engine?: Partial<Omit<TrainerModules, "store"> & EvaluatorModules & AuditorModules & InferenceProviderModules>;
  /** Told of every training step the trainer completes (the node's metrics). */
  onTrainingStep?: () => void;
  /** Told of each checkpoint leaf the trainer reaches (PoUW tickets are made from them). */
  onLeaf?: RoleContext["onLeaf"];
}

export class JobRoles {
  readonly follower: JobEventFollower;
  readonly trainer: TrainerRole | undefined;
  readonly evaluator: EvaluatorRole | undefined;
  readonly auditor: AuditorRole | undefined;
  readonly provider: InferenceProviderRole | undefined;
  private readonly verifier: SegmentVerifier;
  /** The inference provider's warm thread (`--inference` only). */
  private readonly runner: InferenceRunner | undefined;
  private readonly submitter: ExtrinsicSubmitter;
  readonly artifacts: JobArtifacts;
  private readonly self: Uint8Array;
  /** The signed capability record; its hash is the `record_hash` registered on chain. */
  readonly capabilityRecord: SignedCapabilityRecord;
  private firstBlock = true;
  /** Block at which registration / the last heartbeat was sent. */
  private registerSentAt: number | undefined;
  private heartbeatSentAt: number | undefined;
  private workKeySentAt: number | undefined;
  private updateSentAt: number | undefined;
  private warnedRoles = false;

  constructor(
    private readonly opts: JobRolesOptions,
    private readonly modules: JobRolesModules,
  ) {
    const { chain, logger } = modules;
    this.self = modules.pair.publicKey;
    this.capabilityRecord = loadOrSignCapabilityRecord(
      modules.pair,
      modules.capabilities,
      opts.dataDir && join(opts.dataDir, "capability-record.scale"),
    );
    this.follower = new JobEventFollower({ chain, logger: logger.child({ module: "jobs" }) });
    this.submitter = new ExtrinsicSubmitter({
      pool: modules.pool,
      pair: modules.pair,
      genesisHash: chain.genesisHash,
      logger: logger.child({ module: "jobs" }),
      bestRuntime: () => chain.runtimeAt(chain.best.hash),
    });
    this.artifacts = new JobArtifacts(modules.content, opts, logger.child({ module: "artifacts" }));
    const ctx = (module: string): RoleContext => ({
      self: this.self,
      submitter: this.submitter,
      content: modules.content,
      artifacts: this.artifacts,
      gossip: modules.gossip,
      opts,
      logger: logger.child({ module }),
      onTrainingStep: modules.onTrainingStep,
      onLeaf: modules.onLeaf,
    });
    // Audits re-execute in one warm thread (its thread start would otherwise cost more than a segment).
    this.verifier = new SegmentVerifier({}, { log: logger.child({ module: "verifier" }) });
    const verifier = this.verifier;
    // The provider runs models in one warm thread with a session cache (worker/infer).
    const runner = opts.inference ? new InferenceRunner({}, { log: logger.child({ module: "infer" }) }) : undefined;
    this.runner = runner;
    const engine = {
      infer: (req: Parameters<InferenceRunner["run"]>[0]) => {
        if (!runner) throw new Error("no inference runner");
        return runner.run(req);
      },
      train: trainInWorker,
      evaluate: evaluateModel,
      reexecute: (({ job, start, confirmStart, endStep, last }) =>
        verifier.run({ job, start, endStep, exportModel: last, alongside: confirmStart })) satisfies ReexecuteFn,
      store: new TrainerStore(opts.dataDir),
      ...modules.engine,
    };
    this.trainer = opts.trainer ? new TrainerRole(ctx("trainer"), engine) : undefined;
    this.evaluator = opts.evaluator ? new EvaluatorRole(ctx("evaluator"), engine) : undefined;
    this.auditor = opts.evaluator ? new AuditorRole(ctx("auditor"), engine) : undefined;
    this.provider = opts.inference
      ? new InferenceProviderRole(ctx("inference"), engine, modules.inferenceGossip)
      : undefined;
    this.follower.onBlock((block) => this.onBlock(block));
  }

  get account(): Uint8Array {
    return this.self;
  }

  start(): void {
    this.modules.logger.info("Job roles", {
      account: ss58Encode(this.self),
      trainer: this.opts.trainer,
      evaluator: this.opts.evaluator,
      inference: this.opts.inference,
      ...describeCapabilities(this.modules.capabilities),
      recordHash: toHex(this.capabilityRecord.hash),
      recordSequence: this.capabilityRecord.record.sequence.toString(),
    });
    this.follower.start();
    this.publishRecord();
  }

  /** Puts the capability record in the DHT, in the background; failures are logged, never thrown. */
  private publishRecord(): void {
    const { dht, logger } = this.modules;
    if (!dht) {
      logger.debug("No DHT: capability record not published");
      return;
    }
    const hash = toHex(this.capabilityRecord.hash);
    publishCapabilityRecord(dht, this.capabilityRecord).then(
      ({ peers, errors }) => logger.debug("Published capability record", { recordHash: hash, peers, errors }),
      (e: Error) => logger.debug("Could not publish capability record", { recordHash: hash, error: e.message }),
    );
  }

  async stop(): Promise<void> {
    await this.follower.stop();
    await this.verifier.close();
    this.provider?.stop();
    await this.provider?.idle();
    await this.runner?.close();
    await this.artifacts.idle();
  }

  private async onBlock(block: FollowedBlock): Promise<void> {
    const registered = this.registration(block);
    const scanAll = this.firstBlock;
    this.firstBlock = false;
    if (registered) {
      await this.trainer?.onBlock(block, scanAll);
      await this.evaluator?.onBlock(block, scanAll);
      await this.auditor?.onBlock(block, scanAll);
      await this.provider?.onBlock(block, scanAll);
    }
    await this.artifacts.onBlock(block.number, block.runtime);
  }

  /** Registers or sends a heartbeat when due; returns whether this worker is registered at `block`. */
  private registration(block: FollowedBlock): boolean {
    const { runtime, number } = block;
    const log = this.modules.logger;
    const info = runtime.worker(this.self);
    const params = runtime.registryParams();
    const resend = (at: number | undefined) => at === undefined || number >= at + this.opts.resubmitAfterBlocks;
    if (!info) {
      if (!resend(this.registerSentAt)) return false;
      const stake = this.opts.stake ?? params.min_stake;
      const free = runtime.freeBalance(this.self);
      if (free <= stake) {
        log.warn("Cannot register: the free balance does not cover the stake", {
          account: ss58Encode(this.self),
          free: free.toString(),
          stake: stake.toString(),
        });
        this.registerSentAt = number;
        return false;
      }
      const capabilities = this.modules.capabilities;
      const record_hash = this.capabilityRecord.hash;
      this.registerSentAt = number;
      void this.submitter.submit(
        {
          tag: "WorkerRegistry",
          value: {
            tag: "register",
            value: {
              roles: { trainer: this.opts.trainer, evaluator: this.opts.evaluator, inference: this.opts.inference },
              capabilities,
              stake,
              record_hash,
            },
          },
        },
        "registration",
        { stake: stake.toString(), recordHash: toHex(record_hash) },
      );
      this.publishRecord();
      return false;
    }
    if (this.registerSentAt !== undefined) {
      log.info("Registered", { account: ss58Encode(this.self), stake: info.stake.toString(), block: number });
      this.registerSentAt = undefined;
    }
    if (
      !this.warnedRoles &&
      ((this.opts.trainer && !info.roles.trainer) ||
        (this.opts.evaluator && !info.roles.evaluator) ||
        (this.opts.inference && !info.roles.inference))
    ) {
      this.warnedRoles = true;
      log.warn("Registered roles differ from this node's flags; the registered ones apply", {
        trainer: info.roles.trainer,
        evaluator: info.roles.evaluator,
        inference: info.roles.inference,
      });
    }
    if (!bytesEqual(info.record_hash, this.capabilityRecord.hash)) {
      // This machine's capabilities changed since it registered (a new record, a higher sequence).
      if (resend(this.updateSentAt)) {
        this.updateSentAt = number;
        void this.submitter.submit(
          {
            tag: "WorkerRegistry",
            value: {
              tag: "update_capabilities",
              value: { capabilities: this.modules.capabilities, record_hash: this.capabilityRecord.hash },
            },
          },
          "capability update",
          { recordHash: toHex(this.capabilityRecord.hash), ...describeCapabilities(this.modules.capabilities) },
        );
        this.publishRecord();
      }
      return true;
    }
    if (this.updateSentAt !== undefined) {
      log.info("Capabilities updated", { recordHash: toHex(info.record_hash), block: number });
      this.updateSentAt = undefined;
    }
    if (info.roles.trainer && !bytesEqual(runtime.workKey(this.self) ?? new Uint8Array(), this.self)) {
      // PoUW tickets are checked with the registered `work` key: this node signs them with its own.
      if (resend(this.workKeySentAt)) {
        this.workKeySentAt = number;
        void this.submitter.submit(
          { tag: "PoUW", value: { tag: "set_work_key", value: { key: this.self } } },
          "work key",
        );
      }
    } else if (this.workKeySentAt !== undefined) {
      log.info("Work key registered", { account: ss58Encode(this.self), block: number });
      this.workKeySentAt = undefined;
    }
    if (info.status.tag !== "Active") return true;
    const every = this.opts.heartbeatEveryBlocks ?? Math.max(1, Math.floor(params.heartbeat_timeout / 3));
    const previousIncluded = this.heartbeatSentAt !== undefined && this.heartbeatSentAt < info.last_heartbeat;
    if (number - info.last_heartbeat >= every && (previousIncluded || resend(this.heartbeatSentAt))) {
      this.heartbeatSentAt = number;
      void this.submitter.submit({ tag: "WorkerRegistry", value: { tag: "heartbeat", value: {} } }, "heartbeat");
      this.publishRecord();
    }
    return true;
  }
}
