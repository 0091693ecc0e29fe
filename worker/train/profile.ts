/**
 * Execution profiles and the choice of execution provider.
 *
 * `cpu-exact` is the profile a verifier can re-execute bit for bit: the pinned onnxruntime version, one
 * intra-op and one inter-op thread, sequential execution and a fixed optimization level. Bit-identity
 * holds between machines of the same CPU instruction-set class, because onnxruntime's kernels (MLAS)
 * pick their code paths by the CPU's features. `cpu-fast` lets onnxruntime use N threads; `gpu` uses
 * CUDA; neither promises bit-identical re-execution.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import type { Logger } from "../../primitives/logger.js";
import { TrainError } from "./errors.js";

export type ExecutionProfile = "cpu-exact" | "cpu-fast" | "gpu";
export const EXECUTION_PROFILES: readonly ExecutionProfile[] = ["cpu-exact", "cpu-fast", "gpu"];

/** The onnxruntime-node release `cpu-exact` results are defined against. */
export const PINNED_ORT_VERSION = "1.30.0";
/** Fixed so that the same graph rewrites (fusions) happen on every run. */
export const EXACT_OPTIMIZATION_LEVEL = "all" as const;

export type ExecutionProviderName = "cpu" | "cuda";

const require = createRequire(import.meta.url);

export function installedOrtVersion(): string {
  return (require("onnxruntime-node/package.json") as { version: string }).version;
}

export function assertPinnedOrt(): void {
  const found = installedOrtVersion();
  if (found !== PINNED_ORT_VERSION) {
    throw new TrainError(
      { code: "TRAIN_ERROR_ORT_VERSION", expected: PINNED_ORT_VERSION, found },
      `Profile cpu-exact needs onnxruntime-node ${PINNED_ORT_VERSION}, found ${found}`,
    );
  }
}

/** Whether the CUDA provider library was installed next to the binding and an NVIDIA GPU is visible. */
export function cudaAvailable(): boolean {
  try {
    const pkgDir = dirname(require.resolve("onnxruntime-node/package.json"));
    const lib = join(pkgDir, "bin", "napi-v6", process.platform, process.arch, "libonnxruntime_providers_cuda.so");
    const gpu = existsSync("/dev/nvidia0") || existsSync("/proc/driver/nvidia/gpus");
    return existsSync(lib) && gpu;
  } catch {
    return false;
  }
}

export interface ResolvedProfile {
  profile: ExecutionProfile;
  provider: ExecutionProviderName;
  threads: number;
  sessionOptions: InferenceSession.SessionOptions;
}

/**
 * Resolves a requested profile ("auto" picks gpu when CUDA is usable, else cpu-exact) into session
 * options, and announces the choice in one log line.
 */
export function resolveProfile(
  requested: ExecutionProfile | "auto",
  threads: number,
  log: Logger,
  cuda: boolean = cudaAvailable(),
): ResolvedProfile {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new TrainError({
      code: "TRAIN_ERROR_BAD_OPTIONS",
      reason: `threads must be a positive integer, got ${threads}`,
    });
  }
  let profile: ExecutionProfile =
    requested === "auto" ? (cuda ? "gpu" : threads > 1 ? "cpu-fast" : "cpu-exact") : requested;
  if (profile === "cpu-exact" && threads !== 1) {
    throw new TrainError({ code: "TRAIN_ERROR_BAD_OPTIONS", reason: "profile cpu-exact runs on exactly one thread" });
  }
  if (profile === "gpu" && !cuda) {
    log.warn("CUDA execution provider not available; falling back to CPU", { requested: "gpu" });
    profile = threads > 1 ? "cpu-fast" : "cpu-exact";
  }
  if (profile === "cpu-exact") assertPinnedOrt();
  const provider: ExecutionProviderName = profile === "gpu" ? "cuda" : "cpu";
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: provider === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    intraOpNumThreads: profile === "cpu-exact" ? 1 : threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: EXACT_OPTIMIZATION_LEVEL,
    logSeverityLevel: 3,
  };
  log.info(
    `Execution provider: ${provider} (profile ${profile}, onnxruntime ${installedOrtVersion()}, ${sessionOptions.intraOpNumThreads} thread(s))`,
  );
  return { profile, provider, threads: sessionOptions.intraOpNumThreads!, sessionOptions };
}
