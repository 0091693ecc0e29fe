/**
 * The CPU kernel class: machines of one class run `cpu-exact` training bit for bit alike, so an audit
 * draws verifiers of the trainer's class (DESIGN §6).
 *
 * onnxruntime's CPU kernels (MLAS, `core/mlas/lib/platform.cpp`) pick their float code paths by CPU
 * feature when the library loads, and different paths round differently. On x86-64: SSE by default;
 * AVX when the CPU has AVX (and the OS saves its state); FMA3 kernels with AVX2 + FMA; AVX512F kernels
 * with AVX512F. AVX512 core (BW/DQ/VL) and VNNI change only integer kernels, which training does not
 * use. On arm64: NEON by default, SVE variants of softmax and reductions with SVE, KleidiAI GEMMs with
 * SME; these split the class so that two machines of one class never take different float paths.
 *
 * Read from /proc/cpuinfo on Linux (a pure parser, so tests feed it text). Without the flags the class
 * is "other": unknown, which should be matched with no one. `TENSORCHAIN_KERNEL_CLASS` overrides the
 * detection (tests, and operators who know better).
 */
import { readFileSync } from "node:fs";
import { arch } from "node:os";
import { AuditError } from "./errors.js";

export const KERNEL_CLASSES = [
  "x86_64-avx512",
  "x86_64-avx2",
  "x86_64-avx",
  "x86_64-sse",
  "arm64-sme",
  "arm64-sve",
  "arm64",
  "other",
] as const;
export type KernelClass = (typeof KERNEL_CLASSES)[number];

export const KERNEL_CLASS_ENV = "TENSORCHAIN_KERNEL_CLASS";

export function isKernelClass(v: string): v is KernelClass {
  return (KERNEL_CLASSES as readonly string[]).includes(v);
}

/**
 * The class from /proc/cpuinfo text and Node's `os.arch()`. Flags come from the first processor's
 * "flags" (x86) or "Features" (arm64) line; Linux lists a feature only when the kernel enabled it.
 */
export function kernelClassFromCpuinfo(cpuinfo: string, cpuArch: string): KernelClass {
  const line = cpuinfo.split("\n").find((l) => /^(flags|Features)\s*:/.test(l));
  const flags = new Set((line?.slice(line.indexOf(":") + 1) ?? "").trim().split(/\s+/));
  if (cpuArch === "x64") {
    if (!line) return "other";
    if (flags.has("avx512f")) return "x86_64-avx512";
    if (flags.has("avx2") && flags.has("fma")) return "x86_64-avx2";
    if (flags.has("avx")) return "x86_64-avx";
    return "x86_64-sse";
  }
  if (cpuArch === "arm64") {
    if (!line) return "other";
    if (flags.has("sme")) return "arm64-sme";
    if (flags.has("sve")) return "arm64-sve";
    return "arm64";
  }
  return "other";
}

export interface DetectOptions {
  env?: NodeJS.ProcessEnv;
  arch?: string;
  /** Reads /proc/cpuinfo; undefined when there is none. */
  readCpuinfo?: () => string | undefined;
}

/** This machine's kernel class: `TENSORCHAIN_KERNEL_CLASS` if set (and valid), else from the CPU flags. */
export function detectKernelClass(opts: DetectOptions = {}): KernelClass {
  const override = (opts.env ?? process.env)[KERNEL_CLASS_ENV];
  if (override !== undefined && override !== "") {
    if (!isKernelClass(override))
      throw new AuditError(
        { code: "AUDIT_ERROR_BAD_KERNEL_CLASS", value: override },
        `${KERNEL_CLASS_ENV}=${override} is not one of ${KERNEL_CLASSES.join(", ")}`,
      );
    return override;
  }
  const cpuArch = opts.arch ?? arch();
  const cpuinfo = (opts.readCpuinfo ?? readProcCpuinfo)();
  return cpuinfo === undefined ? "other" : kernelClassFromCpuinfo(cpuinfo, cpuArch);
}

function readProcCpuinfo(): string | undefined {
  try {
    return readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return undefined;
  }
}
