/**
 * What the `job` sub-commands share: their error type, the default RPC endpoint, the job-id argument,
 * CID display and the phase printer (text, or JSON lines with `--json`).
 */
import { InvalidArgumentError } from "commander";
import { CID } from "multiformats/cid";
import { TensorchainError } from "../../../primitives/errors.js";
import { toHex } from "../../../primitives/hex.js";
import { hexBytes } from "../mlCommon.js";

export type JobCliErrorType =
  | { code: "JOB_CLI_ERROR_DISPATCH"; error: string }
  | { code: "JOB_CLI_ERROR_TX"; status: string }
  | { code: "JOB_CLI_ERROR_NOT_FOUND"; job: string }
  | { code: "JOB_CLI_ERROR_NO_RESULT"; job: string }
  | { code: "JOB_CLI_ERROR_MODEL_HASH"; cid: string }
  | { code: "JOB_CLI_ERROR_SALT_FILE"; path: string; reason: string }
  | { code: "JOB_CLI_ERROR_PHASE"; job: string; status: string };
export class JobCliError extends TensorchainError<JobCliErrorType> {}

export const DEFAULT_RPC = "ws://127.0.0.1:9944";

/** The `<id>` argument of `job status|reveal|fetch`: a u64. */
export function jobId(v: string): bigint {
  if (!/^\d+$/.test(v) || BigInt(v) >= 2n ** 64n) throw new InvalidArgumentError(`expected a job id (u64), got "${v}"`);
  return BigInt(v);
}

/** A 32-byte public key from an SS58 address or hex, for a flag such as `--worker`. */
export async function accountKey(v: string, flag: string): Promise<Uint8Array> {
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(v)) return hexBytes(v);
  const { decodeAddress } = await import("@polkadot/util-crypto");
  let key: Uint8Array;
  try {
    key = decodeAddress(v);
  } catch {
    throw new InvalidArgumentError(`${flag}: expected an SS58 address or a hex public key, got "${v}"`);
  }
  if (key.length !== 32) throw new InvalidArgumentError(`${flag}: expected a 32-byte key, got ${key.length} bytes`);
  return key;
}

export const cidString = (bytes: Uint8Array): string => CID.decode(bytes).toString();

export function printer(json: boolean | undefined) {
  return (phase: string, fields: Record<string, unknown>, text: string) => {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ phase, ...fields }, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v))}\n`,
      );
    else process.stdout.write(`${text}\n`);
  };
}

export type Printer = ReturnType<typeof printer>;
