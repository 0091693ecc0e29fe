/**
 * The capabilities a worker registers: CPU cores and memory from `node:os`, GPUs only when onnxruntime's
 * CUDA provider is usable (`cudaAvailable`, the same test training uses to pick a provider), the
 * execution profiles that follow, the onnxruntime version and the CPU kernel class. They are registered on chain and
 * published in the DHT as a signed record whose hash is the registered `record_hash`
 * (`capabilityRecord.ts`).
 */
import { availableParallelism, totalmem } from "node:os";
import type { CapabilitiesValue } from "../../runtime/pallets/workerRegistry.js";
import { cudaAvailable, installedOrtVersion } from "../../worker/train/profile.js";
import { detectKernelClass } from "../../worker/verify/kernelClass.js";

export interface DetectOptions {
  /** Override what was detected (flags, tests). */
  gpus?: number;
  gpuMemoryMiB?: number;
  cpuCores?: number;
  memoryMiB?: number;
  cuda?: boolean;
  kernelClass?: string;
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
    kernel_class: new TextEncoder().encode(o.kernelClass ?? detectKernelClass()),
  };
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
