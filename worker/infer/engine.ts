/**
 * Runs inference requests on onnxruntime-node, on whatever thread it lives (the runner's thread:
 * `inferThread.ts`), keeping sessions warm between requests.
 *
 * A request names its model by hash (blake2_256 of the ONNX bytes); the engine keeps one session per
 * (model hash, profile) in an LRU bounded by `maxSessions` and by `memoryLimitBytes` over the model
 * sizes of the sessions it holds (a session holds about its model's initializers). A model larger than
 * the limit is refused before it is read; a new model evicts the least recently used sessions until it
 * fits. The bytes of a new model must hash to the request's model hash, so a cached session is always
 * the model its key names.
 *
 * Inputs: the request's input is a safetensors file. Each model input is fed the tensor of the same
 * name; a file of exactly one tensor feeds a model of exactly one input whatever its name. Other tensors
 * are ignored. Before running, every fed tensor must have the model's element type and rank, its fixed
 * dimensions, a first dimension (the batch) of at least 1 and the same batch as the others. The whole
 * batch is one `session.run`.
 *
 * Outputs: every model output, by its name, in one safetensors file (names sorted, no metadata), the
 * output hash over those bytes, and when the request asks for it the fingerprint of the outputs
 * (`fingerprint.ts`). The result's `shape` is the model's first output's.
 *
 * Sessions use the profile's options (`resolveProfile`): under `cpu-exact` one thread and the fixed
 * optimization level, so the output is the one plain onnxruntime-node computes with those options, bit
 * for bit; `gpu` runs on CUDA when present and falls back to the CPU otherwise (one warning).
 */
import { readFile, stat } from "node:fs/promises";
import ort from "onnxruntime-node";
import { blake2_256 } from "../../primitives/hashing.js";
import { toHex } from "../../primitives/hex.js";
import { type Logger, nullLogger } from "../../primitives/logger.js";
import { DatasetError } from "../data/errors.js";
import { decodeSafetensors, encodeSafetensors } from "../data/safetensors.js";
import type { DType } from "../onnx/dtype.js";
import type { TensorData } from "../onnx/tensor.js";
import {
  EXECUTION_PROFILES,
  type ExecutionProfile,
  type ExecutionProviderName,
  type ResolvedProfile,
  resolveProfile,
} from "../train/profile.js";
import { InferError } from "./errors.js";
import { checkFingerprintGrid, FINGERPRINT_MAX_LENGTH, fingerprint, outputValues } from "./fingerprint.js";

export interface InferenceLimits {
  /** The most model bytes the engine holds sessions for at once; a larger model is refused (default 1 GiB). */
  memoryLimitBytes: number;
  /** The largest input file accepted (default 256 MiB). */
  maxInputBytes: number;
  /** The most sessions kept warm (default 4). */
  maxSessions: number;
  /** onnxruntime threads for `cpu-fast` and `gpu` (default 1); `cpu-exact` always runs on one. */
  threads: number;
}

export const defaultInferenceLimits: InferenceLimits = {
  memoryLimitBytes: 1024 * 1024 * 1024,
  maxInputBytes: 256 * 1024 * 1024,
  maxSessions: 4,
  threads: 1,
};

/** Where a model not yet held comes from: its bytes, or a file the engine reads itself. */
export type ModelSource = { bytes: Uint8Array } | { path: string };

export interface FingerprintGrid {
  /** Values are multiplied by this before rounding (a positive finite number). */
  gridScale: number;
  /** The fingerprint's maximum length (default `FINGERPRINT_MAX_LENGTH`). */
  maxLength?: number;
}

export interface EngineRequest {
  modelHash: Uint8Array;
  /** Needed only when the engine does not hold a session for (modelHash, profile). */
  model?: ModelSource;
  /** A safetensors file. */
  input: Uint8Array;
  profile: ExecutionProfile;
  fingerprint?: FingerprintGrid;
}

export interface OutputInfo {
  name: string;
  dtype: DType;
  dims: number[];
}

export interface EngineResult {
  /** The outputs as one safetensors file. */
  output: Uint8Array;
  /** blake2_256(output). */
  outputHash: Uint8Array;
  fingerprint?: Int32Array;
  /** The first output's dimensions. */
  shape: number[];
  outputs: OutputInfo[];
  /** The profile and provider the session actually ran with (`gpu` without CUDA runs on the CPU). */
  profile: ExecutionProfile;
  provider: ExecutionProviderName;
  /** False when this request created the session. */
  sessionReused: boolean;
}

const CARRIED: ReadonlySet<string> = new Set<DType>(["float32", "float64", "int64", "int32", "uint8", "bool"]);

interface ModelInput {
  name: string;
  dtype: DType;
  /** Per dimension: its fixed size, or undefined for a symbolic or unknown one. */
  dims: (number | undefined)[];
}

interface Held {
  session: ort.InferenceSession;
  bytes: number;
  inputs: ModelInput[];
  outputs: string[];
  resolved: ResolvedProfile;
}

/** The key of a session: model hash and profile. */
export function sessionKey(modelHash: Uint8Array, profile: ExecutionProfile): string {
  return `${toHex(modelHash)}/${profile}`;
}

export class InferenceEngine {
  /** Sessions created and requests served by a session already held. */
  readonly stats = { sessionsCreated: 0, sessionsReused: 0, sessionsEvicted: 0 };
  private readonly limits: InferenceLimits;
  private readonly log: Logger;
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly sessions = new Map<string, Held>();
  private readonly profiles = new Map<ExecutionProfile, ResolvedProfile>();

  constructor(limits: Partial<InferenceLimits> = {}, log: Logger = nullLogger) {
    this.limits = { ...defaultInferenceLimits, ...limits };
    this.log = log;
  }

  /** The keys of the sessions held, least recently used first. */
  held(): string[] {
    return [...this.sessions.keys()];
  }

  async run(req: EngineRequest): Promise<EngineResult> {
    if (!EXECUTION_PROFILES.includes(req.profile)) throw badRequest(`unknown profile ${String(req.profile)}`);
    if (req.fingerprint)
      checkFingerprintGrid(req.fingerprint.gridScale, req.fingerprint.maxLength ?? FINGERPRINT_MAX_LENGTH);
    if (req.input.byteLength > this.limits.maxInputBytes)
      throw new InferError(
        { code: "INFER_ERROR_INPUT_TOO_LARGE", bytes: req.input.byteLength, max: this.limits.maxInputBytes },
        `Input of ${req.input.byteLength} bytes is over the limit of ${this.limits.maxInputBytes}`,
      );
    const key = sessionKey(req.modelHash, req.profile);
    let held = this.sessions.get(key);
    const sessionReused = held !== undefined;
    if (held) {
      this.sessions.delete(key);
      this.sessions.set(key, held);
      this.stats.sessionsReused++;
    } else {
      held = await this.load(key, req);
    }
    const feeds = this.feeds(held, req.input);
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await held.session.run(feeds);
    } catch (e) {
      throw runError(e);
    }
    const tensors = new Map<string, TensorData>();
    const outputs: OutputInfo[] = [];
    for (const name of held.outputs) {
      const t = out[name] as ort.Tensor;
      if (!CARRIED.has(t.type)) throw unsupportedDtype(name, t.type);
      const dims = [...t.dims];
      tensors.set(name, { dtype: t.type as DType, dims, data: t.data as TensorData["data"] });
      outputs.push({ name, dtype: t.type as DType, dims });
    }
    const output = encodeSafetensors(tensors);
    const fp = req.fingerprint;
    return {
      output,
      outputHash: blake2_256(output),
      fingerprint: fp ? fingerprint(outputValues(tensors), fp.gridScale, fp.maxLength) : undefined,
      shape: outputs[0].dims,
      outputs,
      profile: held.resolved.profile,
      provider: held.resolved.provider,
      sessionReused,
    };
  }

  /** Releases every session. */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const h of all) await h.session.release();
  }

  private resolved(profile: ExecutionProfile): ResolvedProfile {
    let r = this.profiles.get(profile);
    if (!r) {
      try {
        r = resolveProfile(profile, profile === "cpu-exact" ? 1 : this.limits.threads, this.log);
      } catch (e) {
        throw badRequest(`profile ${profile} cannot run here: ${(e as Error).message}`);
      }
      this.profiles.set(profile, r);
    }
    return r;
  }

  private async load(key: string, req: EngineRequest): Promise<Held> {
    const max = this.limits.memoryLimitBytes;
    const src = req.model;
    if (!src) throw badRequest("the model is not held and the request carries no model");
    let size: number;
    if ("path" in src) {
      try {
        size = (await stat(src.path)).size;
      } catch (e) {
        throw badModel(`cannot read ${src.path}: ${(e as Error).message}`);
      }
    } else size = src.bytes.byteLength;
    if (size > max) throw tooLarge(size, max);
    let bytes: Uint8Array;
    if ("path" in src) {
      try {
        bytes = new Uint8Array(await readFile(src.path));
      } catch (e) {
        throw badModel(`cannot read ${src.path}: ${(e as Error).message}`);
      }
      // The file may have grown between stat and read.
      if (bytes.byteLength > max) throw tooLarge(bytes.byteLength, max);
    } else bytes = src.bytes;
    const found = blake2_256(bytes);
    if (toHex(found) !== toHex(req.modelHash))
      throw new InferError(
        { code: "INFER_ERROR_MODEL_HASH", expected: toHex(req.modelHash), found: toHex(found) },
        `Model bytes hash to ${toHex(found)}, not ${toHex(req.modelHash)}`,
      );
    const resolved = this.resolved(req.profile);
    await this.makeRoom(bytes.byteLength);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, resolved.sessionOptions);
    } catch (e) {
      throw createError(e);
    }
    let inputs: ModelInput[];
    try {
      inputs = session.inputMetadata.map((m) => {
        if (!m.isTensor || !CARRIED.has(m.type)) throw unsupportedDtype(m.name, m.isTensor ? m.type : "non-tensor");
        return {
          name: m.name,
          dtype: m.type as DType,
          dims: m.shape.map((d) => (typeof d === "number" && d >= 0 ? d : undefined)),
        };
      });
      for (const m of session.outputMetadata)
        if (!m.isTensor || !CARRIED.has(m.type)) throw unsupportedDtype(m.name, m.isTensor ? m.type : "non-tensor");
      if (inputs.length === 0 || session.outputNames.length === 0)
        throw badModel("the model has no inputs or no outputs");
    } catch (e) {
      await session.release();
      throw e;
    }
    const held: Held = { session, bytes: bytes.byteLength, inputs, outputs: [...session.outputNames], resolved };
    this.sessions.set(key, held);
    this.stats.sessionsCreated++;
    this.log.debug("Inference session created", { model: key, bytes: bytes.byteLength, provider: resolved.provider });
    return held;
  }

  /** Evicts least recently used sessions until one more of `bytes` fits both limits. */
  private async makeRoom(bytes: number): Promise<void> {
    let total = 0;
    for (const h of this.sessions.values()) total += h.bytes;
    for (const [key, h] of this.sessions) {
      if (this.sessions.size < this.limits.maxSessions && total + bytes <= this.limits.memoryLimitBytes) break;
      this.sessions.delete(key);
      total -= h.bytes;
      this.stats.sessionsEvicted++;
      await h.session.release();
    }
  }

  private feeds(held: Held, input: Uint8Array): Record<string, ort.Tensor> {
    let file: Map<string, TensorData>;
    try {
      // Views, not copies, where aligned: the input is only read, and only during this request.
      file = decodeSafetensors(input, { view: true }).tensors;
    } catch (e) {
      if (e instanceof DatasetError) throw badInput(e.message);
      throw e;
    }
    const only = file.size === 1 && held.inputs.length === 1 ? [...file.values()][0] : undefined;
    const feeds: Record<string, ort.Tensor> = {};
    let batch: { size: number; from: string } | undefined;
    for (const m of held.inputs) {
      const t = file.get(m.name) ?? only;
      if (!t) throw badInput(`no tensor "${m.name}" for the model's input of that name`);
      const expected = `${m.dtype}[${m.dims.map((d) => d ?? "?").join(", ")}]`;
      const found = `${t.dtype}[${t.dims.join(", ")}]`;
      const mismatch = (why: string) =>
        new InferError(
          { code: "INFER_ERROR_INPUT_SHAPE", input: m.name, expected, found },
          `Input "${m.name}" is ${found}, the model takes ${expected}: ${why}`,
        );
      if (t.dtype !== m.dtype) throw mismatch("element type");
      if (t.dims.length !== m.dims.length) throw mismatch("rank");
      m.dims.forEach((d, i) => {
        if (d !== undefined && d !== t.dims[i]) throw mismatch(`dimension ${i}`);
      });
      if (t.dims.length > 0) {
        if (t.dims[0] < 1) throw mismatch("an empty batch");
        if (batch && batch.size !== t.dims[0])
          throw mismatch(`batch ${t.dims[0]}, input "${batch.from}" has ${batch.size}`);
        batch ??= { size: t.dims[0], from: m.name };
      }
      feeds[m.name] = new ort.Tensor(m.dtype, t.data as Float32Array, t.dims);
    }
    return feeds;
  }
}

function badRequest(reason: string): InferError {
  return new InferError({ code: "INFER_ERROR_BAD_REQUEST", reason }, `Bad inference request: ${reason}`);
}

function badModel(reason: string): InferError {
  return new InferError({ code: "INFER_ERROR_BAD_MODEL", reason }, `Bad model: ${reason}`);
}

function badInput(reason: string): InferError {
  return new InferError({ code: "INFER_ERROR_BAD_INPUT", reason }, `Bad input: ${reason}`);
}

function tooLarge(bytes: number, max: number): InferError {
  return new InferError(
    { code: "INFER_ERROR_MODEL_TOO_LARGE", bytes, max },
    `Model of ${bytes} bytes is over the memory limit of ${max}`,
  );
}

function unsupportedDtype(tensor: string, dtype: string): InferError {
  return new InferError(
    { code: "INFER_ERROR_UNSUPPORTED_DTYPE", tensor, dtype },
    `Tensor "${tensor}" has element type ${dtype}, which the runner does not carry`,
  );
}

/** onnxruntime's words for an operator it has no kernel for, at session creation. */
const NO_OP = /No Op registered for (\S+) with domain_version/;
const NO_DOMAIN = /No opset import for domain '([^']*)'/;
const NO_KERNEL = /Could not find an implementation for (\w+)/;
const NODE_DOMAIN = /In Node, \("[^"]*", (\w+), "([^"]*)"/;

/** A session creation failure as an unsupported operator or a bad model. */
export function createError(e: unknown): InferError {
  const reason = e instanceof Error ? e.message : String(e);
  const node = NODE_DOMAIN.exec(reason);
  const op = NO_OP.exec(reason) ?? NO_KERNEL.exec(reason);
  const domain = NO_DOMAIN.exec(reason);
  if (op || domain) {
    const opType = op?.[1] ?? node?.[1] ?? "";
    const dom = domain?.[1] ?? node?.[2] ?? "";
    return new InferError(
      { code: "INFER_ERROR_UNSUPPORTED_OP", opType, domain: dom, reason },
      `Unsupported operator ${dom ? `${dom}.` : ""}${opType}`,
    );
  }
  return badModel(reason);
}

/** onnxruntime's own input checks, should one pass ours; anything else failed in the run. */
const INPUT_CHECK = /Got invalid dimensions for input|Invalid rank for input|Unexpected input data type/;

function runError(e: unknown): InferError {
  const reason = e instanceof Error ? e.message : String(e);
  if (INPUT_CHECK.test(reason))
    return new InferError({ code: "INFER_ERROR_INPUT_SHAPE", input: "", expected: "", found: reason }, reason);
  return new InferError({ code: "INFER_ERROR_RUN", reason }, `Inference failed: ${reason}`);
}
