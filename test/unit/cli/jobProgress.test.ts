/** `job post`'s progress output: the upload line (terminals only) and the elapsed seconds on each phase. */
import { describe, expect, it } from "@jest/globals";
import type { Printer } from "../../../cli/commands/job/common.js";
import { formatBytes, uploadProgress, uploadProgressLine, withElapsed } from "../../../cli/commands/job/progress.js";

describe("upload progress", () => {
  it("formats sizes in binary units", () => {
    expect(formatBytes(900)).toBe("900 B");
    expect(formatBytes(12.5 * 1024)).toBe("12.5 KiB");
    expect(formatBytes(3.2 * 1024 * 1024)).toBe("3.2 MiB");
    expect(formatBytes(1.1 * 1024 ** 3)).toBe("1.1 GiB");
  });

  it("shows bytes done of the total, the percentage and the rate", () => {
    const MiB = 1024 * 1024;
    expect(uploadProgressLine("training set", 12 * MiB, 48 * MiB, 4000)).toBe(
      "Uploading training set: 12.0 MiB of 48.0 MiB (25%, 3.0 MiB/s)",
    );
    expect(uploadProgressLine("model", 0, 2048, 0)).toBe("Uploading model: 0 B of 2.0 KiB (0%)");
    expect(uploadProgressLine("test set", 0, 0, 5)).toBe("Uploading test set: 0 B of 0 B (100%)");
  });

  it("rewrites one terminal line and ends it when done; nothing at all when stderr is not a terminal", () => {
    expect(uploadProgress("model", { isTTY: false, write: () => true })).toBeUndefined();
    expect(uploadProgress("model", { write: () => true })).toBeUndefined();
    const out: string[] = [];
    let t = 1000;
    const progress = uploadProgress("model", { isTTY: true, write: (s: string) => out.push(s) }, () => t)!;
    progress(0, 8 * 1024 * 1024);
    t = 3000;
    progress(4 * 1024 * 1024, 8 * 1024 * 1024);
    t = 5000;
    progress(8 * 1024 * 1024, 8 * 1024 * 1024);
    expect(out).toEqual([
      "\r\x1b[2KUploading model: 0 B of 8.0 MiB (0%)",
      "\r\x1b[2KUploading model: 4.0 MiB of 8.0 MiB (50%, 2.0 MiB/s)",
      "\r\x1b[2KUploading model: 8.0 MiB of 8.0 MiB (100%, 2.0 MiB/s)\n",
    ]);
  });
});

describe("elapsed time on each phase", () => {
  it("prefixes the text with the seconds since the start and adds elapsedMs to the JSON fields", () => {
    const seen: Parameters<Printer>[] = [];
    let t = 10_000;
    const print = withElapsed(
      (...args) => seen.push(args),
      10_000,
      () => t,
    );
    t = 13_850;
    print("Training", { job: 0n, block: 40 }, "[#40] job 0: Training (2 trainer(s), 1 evaluator(s) drawn)");
    t = 72_000;
    print("Succeeded", { job: 0n }, "[#90] job 0: Succeeded\n  0x1234… accuracy 912000 ppm");
    expect(seen).toEqual([
      [
        "Training",
        { job: 0n, block: 40, elapsedMs: 3850 },
        "[+3.9s] [#40] job 0: Training (2 trainer(s), 1 evaluator(s) drawn)",
      ],
      ["Succeeded", { job: 0n, elapsedMs: 62_000 }, "[+62.0s] [#90] job 0: Succeeded\n  0x1234… accuracy 912000 ppm"],
    ]);
  });
});
