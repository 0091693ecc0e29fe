import { describe, expect, it } from "@jest/globals";
import { detectKernelClass, kernelClassFromCpuinfo } from "../../../../worker/verify/kernelClass.js";

/** The shape of /proc/cpuinfo: one block per processor; only the first "flags"/"Features" line counts. */
const x86 = (flags: string) =>
  `processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU\nflags\t\t: ${flags}\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;
const arm = (features: string) =>
  `processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: ${features}\nCPU implementer\t: 0x41\n`;

const BASE = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2";

describe("CPU kernel class", () => {
  it("follows MLAS's float kernel dispatch on x86-64", () => {
    const c = (flags: string) => kernelClassFromCpuinfo(x86(`${BASE} ${flags}`), "x64");
    expect(c("ssse3 sse4_1 sse4_2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni")).toBe("x86_64-avx512");
    // AVX512F alone already switches the float GEMM to its AVX512F kernel.
    expect(c("sse4_1 avx avx2 fma avx512f")).toBe("x86_64-avx512");
    expect(c("ssse3 sse4_1 sse4_2 avx avx2 fma")).toBe("x86_64-avx2");
    // AVX2 without FMA keeps the AVX kernels.
    expect(c("sse4_1 avx avx2")).toBe("x86_64-avx");
    expect(c("sse4_1 sse4_2 avx")).toBe("x86_64-avx");
    expect(c("ssse3 sse4_1 sse4_2")).toBe("x86_64-sse");
    // Substrings of other flags do not count (avx512f is not avx512fp16, avx is not avx_vnni).
    expect(c("sse4_1 avx512fp16 avx_vnni")).toBe("x86_64-sse");
  });

  it("classes arm64 by SVE and SME, and knows nothing without flags", () => {
    expect(kernelClassFromCpuinfo(arm("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics asimddp"), "arm64")).toBe(
      "arm64",
    );
    expect(kernelClassFromCpuinfo(arm("fp asimd asimddp sve i8mm"), "arm64")).toBe("arm64-sve");
    expect(kernelClassFromCpuinfo(arm("fp asimd sve sve2 sme sme2"), "arm64")).toBe("arm64-sme");
    expect(kernelClassFromCpuinfo("processor\t: 0\n", "arm64")).toBe("other");
    expect(kernelClassFromCpuinfo("processor\t: 0\n", "x64")).toBe("other");
    expect(kernelClassFromCpuinfo(x86(BASE), "riscv64")).toBe("other");
  });

  it("takes TENSORCHAIN_KERNEL_CLASS over the CPU, and refuses a class that does not exist", () => {
    const readCpuinfo = () => x86(`${BASE} avx avx2 fma`);
    expect(detectKernelClass({ env: {}, arch: "x64", readCpuinfo })).toBe("x86_64-avx2");
    expect(detectKernelClass({ env: { TENSORCHAIN_KERNEL_CLASS: "arm64-sve" }, arch: "x64", readCpuinfo })).toBe(
      "arm64-sve",
    );
    expect(() => detectKernelClass({ env: { TENSORCHAIN_KERNEL_CLASS: "avx9" }, arch: "x64", readCpuinfo })).toThrow(
      expect.objectContaining({ code: "AUDIT_ERROR_BAD_KERNEL_CLASS" }),
    );
    expect(detectKernelClass({ env: {}, arch: "x64", readCpuinfo: () => undefined })).toBe("other");
    // This machine: whatever it is, one of the classes.
    expect(detectKernelClass({ env: {} })).toMatch(/^(x86_64-|arm64|other)/);
  });
});
