import { describe, expect, it } from "@jest/globals";
import { createLogger } from "../../../../primitives/logger.js";
import { TrainError } from "../../../../worker/train/errors.js";
import { installedOrtVersion, PINNED_ORT_VERSION, resolveProfile } from "../../../../worker/train/profile.js";

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: "info", write: (l) => void lines.push(l) }) };
}

describe("execution profiles", () => {
  it("pins onnxruntime and fixes the cpu-exact session settings", () => {
    expect(installedOrtVersion()).toBe(PINNED_ORT_VERSION);
    const { lines, log } = capture();
    const p = resolveProfile("auto", 1, log, false);
    expect(p.profile).toBe("cpu-exact");
    expect(p.sessionOptions).toMatchObject({
      executionProviders: ["cpu"],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("Execution provider: cpu (profile cpu-exact, onnxruntime 1.30.0, 1 thread(s))");
  });

  it("picks CUDA when it is usable, and falls back to CPU with a warning when it is not", () => {
    const gpu = capture();
    expect(resolveProfile("auto", 1, gpu.log, true)).toMatchObject({ profile: "gpu", provider: "cuda" });
    expect(gpu.lines[0]).toContain("Execution provider: cuda (profile gpu");
    const none = capture();
    expect(resolveProfile("gpu", 1, none.log, false)).toMatchObject({ profile: "cpu-exact", provider: "cpu" });
    expect(none.lines[0]).toContain("CUDA execution provider not available");
  });

  it("uses threads only outside cpu-exact", () => {
    const { log } = capture();
    expect(resolveProfile("auto", 4, log, false)).toMatchObject({ profile: "cpu-fast", threads: 4 });
    expect(() => resolveProfile("cpu-exact", 2, log, false)).toThrow(TrainError);
  });
});
