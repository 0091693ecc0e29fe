/**
 * The capabilities a worker registers: CPU cores and memory from `node:os`, GPUs only when onnxruntime's
 * CUDA provider is usable (`cudaAvailable`, the same test training uses to pick a provider), the
 * execution profiles that follow, and the onnxruntime version. The capability-record hash registered
 * on chain is blake2-256 of the SCALE-encoded capabilities followed by the worker's account id.
 */
import { availableParallelism, totalmem } from "node:os";
import { blake2_256, concat } from "../../primitives/hashing.js";
import { Capabilities, type CapabilitiesValue } from "../../runtime/pallets/workerRegistry.js";
import { cudaAvailable, installedOrtVersion } from "../../worker/train/profile.js";

export interface DetectOptions {
  /** Override what was detected (flags, tests). */
  gpus?: number;
  gpuMemoryMiB?: number;
  cpuCores?: number;
  memoryMiB?: number;
  cuda?: boolean;
}

/** Memory of a GPU, when `nvidia-smi` is not consulted: a conservative default. */
export const DEFAULT_GPU_MEMORY_MIB = 8_192;

export function detectCapabilities(o: DetectOptions = {}): CapabilitiesValue {
  const cuda = o.cuda ?? cudaAvailable();
  const gpus = o.gpus ?? (cuda ? 1 : 0);
  return {
    gpus,
    gpu_memory_mib: gpus > 0 ? (o.gpuMemoryMiB ?? DEFAULT_GPU_MEMORY_MIB) : 0,
    cpu_cores: o.cpuCores ?? availableParallelism(),
    memory_mib: o.memoryMiB ?? Math.floor(totalmem() / (1024 * 1024)),
    profiles: gpus > 0 ? [{ tag: "CpuExact" }, { tag: "GpuTolerance" }] : [{ tag: "CpuExact" }],
    onnxruntime_version: new TextEncoder().encode(installedOrtVersion()),
  };
}

export function capabilityRecordHash(c: CapabilitiesValue, account: Uint8Array): Uint8Array {
  return blake2_256(concat(Capabilities.enc(c), account));
}

/** The capabilities as a plain object for logs. */
export function describeCapabilities(c: CapabilitiesValue): Record<string, unknown> {
  return {
    gpus: c.gpus,
    gpuMemoryMiB: c.gpu_memory_mib,
    cpuCores: c.cpu_cores,
    memoryMiB: c.memory_mib,
    profiles: c.profiles.map((p) => p.tag).join(","),
    onnxruntime: new TextDecoder().decode(c.onnxruntime_version),
  };
}
