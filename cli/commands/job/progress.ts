/**
 * `job post`'s progress output: a live upload line on a terminal (`\r`-rewritten on stderr, only when
 * stderr is a TTY, so pipes and `--json` consumers see nothing of it), and the seconds since the command
 * started on every phase it prints (`[+12.3s] [#40] job 0: Training …`; `elapsedMs` in `--json` lines).
 */
import type { Printer } from "./common.js";

/** `900 B`, `12.5 KiB`, `3.2 MiB`, `1.1 GiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** `Uploading training set: 12.0 MiB of 48.0 MiB (25%, 3.0 MiB/s)`. */
export function uploadProgressLine(label: string, done: number, total: number, elapsedMs: number): string {
  const pct = total > 0 ? Math.floor((done * 100) / total) : 100;
  const rate = elapsedMs > 0 && done > 0 ? `, ${formatBytes(Math.round((done * 1000) / elapsedMs))}/s` : "";
  return `Uploading ${label}: ${formatBytes(done)} of ${formatBytes(total)} (${pct}%${rate})`;
}

/** What the progress line writes to: stderr, or a stand-in in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

/**
 * An `onProgress` callback for `uploadContent` that keeps one line up to date on a terminal, or undefined
 * when `stream` is not a TTY. Call it with (0, total) before the upload to show the line at once.
 */
export function uploadProgress(
  label: string,
  stream: ProgressStream = process.stderr,
  now: () => number = Date.now,
): ((done: number, total: number) => void) | undefined {
  if (!stream.isTTY) return undefined;
  const started = now();
  return (done, total) => {
    stream.write(`\r\x1b[2K${uploadProgressLine(label, done, total, now() - started)}${done >= total ? "\n" : ""}`);
  };
}

/** `print`, with the seconds since `startedMs` before each text line and as `elapsedMs` in JSON lines. */
export function withElapsed(print: Printer, startedMs: number, now: () => number = Date.now): Printer {
  return (phase, fields, text) => {
    const elapsedMs = now() - startedMs;
    print(phase, { ...fields, elapsedMs }, `[+${(elapsedMs / 1000).toFixed(1)}s] ${text}`);
  };
}
