/**
 * The inference provider role (`--inference`, DESIGN §11). For each request that drew this provider
 * (`request.providers`), by the request's status in the best state:
 *
 *   Committing -> fetches the model (kept per model CID: pinned under `inference-model`, its session
 *                 warm in the runner) and the input (pinned under `inference:<id>`) by CID, runs the
 *                 model off the main thread (`InferenceRunner`, worker/infer: CUDA under `Gpu` when
 *                 present, the CPU otherwise; `cpu-exact` under `CpuExact`), adds the output
 *                 (safetensors) to the content store (`inference-output:<id>`, announced, for the
 *                 client to fetch) and commits
 *                 `outputCommitment(request_id, self, output_hash, fingerprint, salt)` with a fresh salt
 *                 (under `Gpu` the fingerprint on grid scale `10^9 / grid_e9`, at most the pallet's
 *                 `MaxFingerprintLength` entries; empty under `CpuExact`).
 *                 A request it cannot run (a typed `InferError`: model too large, an unsupported
 *                 operator, an input that does not fit the model …, or a model or input that cannot be
 *                 fetched) is refused with `refuse` within the commit window, which costs no slash; the
 *                 code is logged.
 *   Revealing  -> reveals `(output_cid, output_hash, fingerprint, salt)`.
 *   final      -> the input and the output stay pinned `resultRetentionBlocks` after the request (the
 *                 client fetches the output; a request on the same input finds it here), then are let
 *                 go. (Letting go of an input at once and fetching it again right after its blocks were
 *                 collected stalled the second fetch in bitswap on the devnet: a content-store issue.)
 * Holds are swept (released, then one `gc()` if anything was) on the first block, when a request this
 * provider served ends, and every `SWEEP_EVERY_BLOCKS`: inputs and outputs of final requests past
 * their retention, models no longer in the cache; so holds left by a restart are released as well.
 * Requests also travel on the `inference` gossip topic (`inferenceGossip.ts`): the provider announces
 * each request it sees requested on chain, once per request id, and looks on the next
 * `GOSSIP_WATCH_BLOCKS` blocks for a request it learned of only from the topic.
 * Extrinsics whose effect is not in the best state `resubmitAfterBlocks` after they were sent are sent
 * again. The salt and output are kept (in `dataDir` when given) until the request is final, so a
 * restart between commit and reveal does not cost a slash.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { blake2_256 } from "../../primitives/hashing.js";
import { bytesEqual, fromHex, toHex } from "../../primitives/hex.js";
import { outputCommitment } from "../../primitives/inference.js";
import { isFinal, MAX_FINGERPRINT_LENGTH, type RequestValue } from "../../runtime/pallets/inference/index.js";
import type { InferenceRequest, InferenceResult } from "../../worker/infer/runner.js";
import type { ExecutionProfile } from "../../worker/train/profile.js";
import { errorInfo, type RoleContext } from "./context.js";
import { writeFileAtomic } from "./files.js";
import type { FollowedBlock } from "./follower.js";
import { decodeAnnouncement, encodeAnnouncement, type InferenceGossip } from "./inferenceGossip.js";

/** Runs one inference request (the node's `InferenceRunner`; tests substitute it). */
export type InferFn = (req: InferenceRequest) => Promise<InferenceResult>;

export interface InferenceProviderModules {
  infer: InferFn;
}

export const MODEL_HOLDER = "inference-model";
export const inferenceInputHolder = (id: bigint) => `inference:${id}`;
export const inferenceOutputHolder = (id: bigint) => `inference-output:${id}`;
/** Models kept fetched in memory (their sessions stay warm in the runner, by hash). */
const MODEL_CACHE = 4;
/** Blocks between sweeps of the provider's holds when nothing ended. */
export const SWEEP_EVERY_BLOCKS = 16;
/** Blocks a request learned of from gossip is looked for on chain. */
export const GOSSIP_WATCH_BLOCKS = 64;
/** Request ids remembered for deduplicating gossip. */
const GOSSIP_SEEN = 4096;

/** What a provider commits to and reveals. */
interface Output {
  outputCid: Uint8Array;
  outputHash: Uint8Array;
  fingerprint: number[];
  salt: Uint8Array;
}

interface ProviderRequest {
  phase: "new" | "running" | "committing" | "refusing" | "revealing" | "done";
  sentAt?: number;
  output?: Output;
}

/** The execution profile and fingerprint grid a request asks for. */
export function runSettings(req: Pick<RequestValue, "profile">): {
  profile: ExecutionProfile;
  fingerprint?: { gridScale: number; maxLength: number };
} {
  if (req.profile.tag === "CpuExact") return { profile: "cpu-exact" };
  return {
    profile: "gpu",
    fingerprint: { gridScale: 1e9 / Number(req.profile.value.grid_e9), maxLength: MAX_FINGERPRINT_LENGTH },
  };
}

export class InferenceProviderRole {
  private readonly requests = new Map<bigint, ProviderRequest>();
  /** Fetched models by hex CID, most recently used last. */
  private readonly models = new Map<string, Promise<{ bytes: Uint8Array; hash: Uint8Array }>>();
  private head = 0;
  private sweeping: Promise<void> | undefined;
  private sweepDue = true;
  /** Request ids seen on the topic or announced there (insertion order: oldest first). */
  private readonly gossipSeen = new Set<bigint>();
  /** Requests learned of from gossip, looked for until this block number. */
  private readonly watched = new Map<bigint, number | undefined>();
  /** Requests run, committed, refused; gossip messages accepted and announcements sent. */
  readonly stats = { run: 0, refused: 0, gossipAccepted: 0, announced: 0 };

  constructor(
    private readonly ctx: RoleContext,
    private readonly modules: InferenceProviderModules,
    private readonly gossip?: InferenceGossip,
  ) {
    gossip?.join((data) => this.onGossip(data));
  }

  /** A message on the inference topic: malformed → reject; a request id seen before → ignore. */
  onGossip(data: Uint8Array): "accept" | "ignore" | "reject" {
    const m = decodeAnnouncement(data);
    if (!m) return "reject";
    if (!this.noteSeen(m.requestId)) return "ignore";
    this.stats.gossipAccepted++;
    if (!this.requests.has(m.requestId)) this.watched.set(m.requestId, undefined);
    return "accept";
  }

  /** Remembers a request id; false when it was known. */
  private noteSeen(id: bigint): boolean {
    if (this.gossipSeen.has(id)) return false;
    this.gossipSeen.add(id);
    if (this.gossipSeen.size > GOSSIP_SEEN) this.gossipSeen.delete(this.gossipSeen.values().next().value as bigint);
    return true;
  }

  stop(): void {
    this.gossip?.leave();
  }

  phaseOf(id: bigint): ProviderRequest["phase"] | undefined {
    return this.requests.get(id)?.phase;
  }

  async onBlock(block: FollowedBlock, scanAll: boolean): Promise<void> {
    this.head = block.number;
    const ids = new Set<bigint>(this.requests.keys());
    for (const e of block.events) {
      if (e.pallet === "Inference" && e.name === "Requested") this.announce(e.fields.request_id as bigint, block);
      if (e.pallet !== "Inference" || e.name !== "ProvidersDrawn") continue;
      if ((e.fields.providers as Uint8Array[]).some((p) => bytesEqual(p, this.ctx.self)))
        ids.add(e.fields.request_id as bigint);
    }
    if (scanAll)
      for (const [id, req] of block.runtime.inferenceRequests())
        if (!isFinal(req.status) && req.providers.some((p) => bytesEqual(p, this.ctx.self))) ids.add(id);
    for (const [id, until] of this.watched) {
      if (until === undefined) this.watched.set(id, block.number + GOSSIP_WATCH_BLOCKS);
      const req = block.runtime.inferenceRequest(id);
      if (req || block.number > (until ?? block.number + 1)) this.watched.delete(id);
      if (req && !isFinal(req.status) && req.providers.some((p) => bytesEqual(p, this.ctx.self))) {
        if (!ids.has(id)) this.ctx.logger.debug("Inference request found from gossip", { request: id.toString() });
        ids.add(id);
      }
    }
    for (const id of ids) this.reconcile(id, block);
    if (this.sweepDue || block.number % SWEEP_EVERY_BLOCKS === 0) {
      this.sweepDue = false;
      this.sweeping ??= this.sweep(block).finally(() => {
        this.sweeping = undefined;
      });
    }
  }

  /** Announces a request seen on chain on the topic, unless the topic already carried it. */
  private announce(id: bigint, block: FollowedBlock): void {
    if (!this.gossip || !this.noteSeen(id)) return;
    this.stats.announced++;
    this.gossip.publish(encodeAnnouncement({ requestId: id, block: block.hash })).catch((err: unknown) => {
      this.ctx.logger.debug("Could not announce an inference request", { request: id.toString(), ...errorInfo(err) });
    });
  }

  /** Resolves when the sweep under way (if any) is done (for tests and shutdown). */
  idle(): Promise<void> {
    return this.sweeping ?? Promise.resolve();
  }

  /** Lets go of inputs and outputs of final requests past their retention and of models out of the cache. */
  private async sweep(block: FollowedBlock): Promise<void> {
    const { content, opts, logger } = this.ctx;
    let released = 0;
    try {
      const cached = new Set([...this.models.keys()].map((k) => content.fromBytes(fromHex(k))));
      for (const { cid, holder } of await content.holdings("inference")) {
        let release = false;
        if (holder === MODEL_HOLDER) release = !cached.has(cid);
        else {
          const m = /^inference(-output)?:(\d+)$/.exec(holder);
          if (!m) continue;
          const id = BigInt(m[2]);
          const req = block.runtime.inferenceRequest(id);
          const ended = !req || isFinal(req.status);
          release =
            ended &&
            (!req || block.number >= req.requested_at + opts.resultRetentionBlocks) &&
            (m[1] !== undefined || !this.requests.has(id));
        }
        if (release) {
          await content.unpin(cid, { holder });
          released++;
        }
      }
      if (released > 0) {
        const blocks = await content.gc();
        logger.debug("Released inference holds", { released, blocks });
      }
    } catch (err) {
      logger.warn("Could not sweep the inference holds", errorInfo(err));
    }
  }

  private reconcile(id: bigint, block: FollowedBlock): void {
    const { runtime } = block;
    const req = runtime.inferenceRequest(id);
    const st = this.requests.get(id);
    if (!req || isFinal(req.status) || !req.providers.some((p) => bytesEqual(p, this.ctx.self))) {
      if (st) {
        this.ctx.logger.info("Inference request ended", { request: id.toString(), status: req?.status.tag });
        this.forget(id);
      }
      return;
    }
    let s = st;
    if (!s) {
      s = { phase: "new", output: this.loadOutput(id) };
      this.requests.set(id, s);
    }
    const resend = s.sentAt !== undefined && block.number >= s.sentAt + this.ctx.opts.resubmitAfterBlocks;
    const onChain = runtime.inferenceOutput(id, this.ctx.self);
    switch (req.status.tag) {
      case "Committing":
        if (onChain) return;
        if (s.phase === "new") void this.runAndCommit(id, req, s);
        else if (resend && s.phase === "committing") this.commit(id, s);
        else if (resend && s.phase === "refusing") this.refuse(id, s);
        return;
      case "Revealing":
        if (!onChain || onChain.revealed !== undefined) return;
        if (!s.output) {
          this.ctx.logger.warn("Cannot reveal: the output salt is lost", { request: id.toString() });
          s.phase = "done";
          return;
        }
        if (s.phase !== "revealing" || resend) this.reveal(id, s);
        return;
      default:
        return;
    }
  }

  private model(cid: Uint8Array): Promise<{ bytes: Uint8Array; hash: Uint8Array }> {
    const key = toHex(cid);
    let p = this.models.get(key);
    if (p) {
      this.models.delete(key);
      this.models.set(key, p);
      return p;
    }
    const { content, opts } = this.ctx;
    const name = content.fromBytes(cid);
    p = (async () => {
      await content.pin(name, {
        holder: MODEL_HOLDER,
        timeoutMs: opts.fetchTimeoutMs,
        maxBytes: opts.maxArtifactBytes,
      });
      const bytes = await content.get(name, { timeoutMs: opts.fetchTimeoutMs, maxBytes: opts.maxArtifactBytes });
      return { bytes, hash: blake2_256(bytes) };
    })();
    p.catch(() => this.models.delete(key));
    this.models.set(key, p);
    while (this.models.size > MODEL_CACHE) {
      const oldest = this.models.keys().next().value as string;
      this.models.delete(oldest);
    }
    return p;
  }

  private async runAndCommit(id: bigint, req: RequestValue, s: ProviderRequest): Promise<void> {
    s.phase = "running";
    const log = this.ctx.logger;
    const ctx = { request: id.toString() };
    if (s.output) {
      this.commit(id, s);
      return;
    }
    let result: InferenceResult;
    try {
      const { content, opts } = this.ctx;
      const inputName = content.fromBytes(req.input_cid);
      const fetchOpts = { timeoutMs: opts.fetchTimeoutMs, maxBytes: opts.maxArtifactBytes };
      const [model, input] = await Promise.all([
        this.model(req.model_cid),
        content
          .pin(inputName, { holder: inferenceInputHolder(id), ...fetchOpts })
          .then(() => content.get(inputName, fetchOpts)),
      ]);
      const settings = runSettings(req);
      const started = Date.now();
      result = await this.modules.infer({
        modelHash: model.hash,
        modelBytes: model.bytes,
        input,
        profile: settings.profile,
        fingerprint: settings.fingerprint,
      });
      log.info("Ran inference", {
        ...ctx,
        provider: result.provider,
        shape: result.shape.join("x"),
        outputHash: toHex(result.outputHash),
        ms: Date.now() - started,
      });
    } catch (err) {
      log.warn("Refusing inference request: cannot run it", { ...ctx, ...errorInfo(err) });
      this.stats.refused++;
      this.refuse(id, s);
      return;
    }
    try {
      const cid = await this.ctx.content.add(result.output, { holder: inferenceOutputHolder(id) });
      s.output = {
        outputCid: this.ctx.content.toBytes(cid),
        outputHash: result.outputHash,
        fingerprint: result.fingerprint ? [...result.fingerprint] : [],
        salt: new Uint8Array(randomBytes(32)),
      };
      this.saveOutput(id, s.output);
      this.stats.run++;
      this.commit(id, s);
    } catch (err) {
      s.phase = "new"; // try again on a later block
      log.error("Could not store the inference output", ctx, err);
    }
  }

  private commit(id: bigint, s: ProviderRequest): void {
    const o = s.output!;
    s.phase = "committing";
    s.sentAt = this.head;
    const commitment = outputCommitment(id, this.ctx.self, o.outputHash, o.fingerprint, o.salt);
    void this.ctx.submitter.submit(
      { tag: "Inference", value: { tag: "commit_output", value: { request_id: id, commitment } } },
      "output commitment",
      { request: id.toString(), commitment: toHex(commitment) },
    );
  }

  private refuse(id: bigint, s: ProviderRequest): void {
    s.phase = "refusing";
    s.sentAt = this.head;
    void this.ctx.submitter.submit(
      { tag: "Inference", value: { tag: "refuse", value: { request_id: id } } },
      "inference refusal",
      { request: id.toString() },
    );
  }

  private reveal(id: bigint, s: ProviderRequest): void {
    const o = s.output!;
    s.phase = "revealing";
    s.sentAt = this.head;
    void this.ctx.submitter.submit(
      {
        tag: "Inference",
        value: {
          tag: "reveal_output",
          value: {
            request_id: id,
            output_cid: o.outputCid,
            output_hash: o.outputHash,
            fingerprint: o.fingerprint,
            salt: o.salt,
          },
        },
      },
      "output reveal",
      { request: id.toString() },
    );
  }

  private forget(id: bigint): void {
    this.requests.delete(id);
    this.sweepDue = true;
    const path = this.outputPath(id);
    if (path) rmSync(path, { force: true });
  }

  // ---- Outputs on disk: `<dataDir>/inference/<request id>.json`, written before the commitment is sent ----

  private outputPath(id: bigint): string | undefined {
    return this.ctx.opts.dataDir && join(this.ctx.opts.dataDir, "inference", `${id}.json`);
  }

  private saveOutput(id: bigint, o: Output): void {
    const path = this.outputPath(id);
    if (!path) return;
    writeFileAtomic(
      path,
      JSON.stringify({
        outputCid: toHex(o.outputCid),
        outputHash: toHex(o.outputHash),
        fingerprint: o.fingerprint,
        salt: toHex(o.salt),
      }),
    );
  }

  private loadOutput(id: bigint): Output | undefined {
    const path = this.outputPath(id);
    if (!path || !existsSync(path)) return undefined;
    try {
      const j = JSON.parse(readFileSync(path, "utf8")) as {
        outputCid: string;
        outputHash: string;
        fingerprint: number[];
        salt: string;
      };
      return {
        outputCid: fromHex(j.outputCid),
        outputHash: fromHex(j.outputHash),
        fingerprint: j.fingerprint,
        salt: fromHex(j.salt),
      };
    } catch {
      return undefined;
    }
  }
}
