/**
 * The salt file: `job post` writes the test set's CID and the random salt of its commitment to a 0600
 * JSON file *before* posting (and again with the job id once posted); `job reveal` reads it back.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fromHex, toHex } from "../../../primitives/hex.js";
import { JobCliError } from "./common.js";

/** What a salt file holds (`salt` and `commitment` as hex; `jobId` null until the job is posted). */
export interface SaltFileContent {
  rpc: string;
  testCid: string;
  salt: string;
  commitment: string;
  jobId: string | null;
}

/** The salt file `job post` writes for a commitment, in the current directory. */
export const defaultSaltFile = (commitment: Uint8Array) => `tensorchain-job-${toHex(commitment).slice(2, 18)}.json`;

/** Writes (or rewrites) a salt file, readable by its owner only. */
export function writeSaltFile(path: string, secret: SaltFileContent): void {
  writeFileSync(path, `${JSON.stringify(secret, null, 2)}\n`, { mode: 0o600 });
}

/** Reads a salt file written by `job post`. */
export function readSaltFile(path: string): { testCid: string; salt: Uint8Array; jobId: string | null } {
  const bad = (reason: string) =>
    new JobCliError({ code: "JOB_CLI_ERROR_SALT_FILE", path, reason }, `Salt file ${path}: ${reason}`);
  if (!existsSync(path)) throw bad("not found");
  let j: { testCid?: unknown; salt?: unknown; jobId?: unknown };
  try {
    j = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof j.testCid !== "string" || typeof j.salt !== "string" || !/^0x[0-9a-f]{64}$/i.test(j.salt))
    throw bad("it needs testCid and a 32-byte hex salt");
  return { testCid: j.testCid, salt: fromHex(j.salt), jobId: typeof j.jobId === "string" ? j.jobId : null };
}
