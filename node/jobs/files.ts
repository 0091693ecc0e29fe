/**
 * Files the job roles keep under the node's data directory (salts, committed results, checkpoints):
 * private to the node's user, and replaced whole, so that a crash leaves the old file or the new one,
 * never half of one (a half-written salt would cost a stake).
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Writes `data` to `path` (0600) through a temporary file and a rename; creates its folder (0700). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.tmp`, data, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
