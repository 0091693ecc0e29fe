/** Helpers shared by the ML sub-commands: typed-error reporting, option parsers, the progress line. */
import { InvalidArgumentError } from "commander";
import { TensorchainError } from "../../primitives/errors.js";
import { fromHex } from "../../primitives/hex.js";

/** Runs a command body; a typed error becomes one "Error [CODE]: message" line and exit code 1. */
export function mlAction<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (e) {
      const code = e instanceof TensorchainError ? ` [${e.code}]` : "";
      process.stderr.write(`Error${code}: ${(e as Error).message}\n`);
      throw Object.assign(new Error((e as Error).message), { exitCode: 1 });
    }
  };
}

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
}

export function positiveFloat(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${v}"`);
  return n;
}

export function seedArg(v: string): bigint {
  if (!/^\d+$/.test(v) || BigInt(v) >= 2n ** 64n) throw new InvalidArgumentError(`expected a u64 seed, got "${v}"`);
  return BigInt(v);
}

export function hexBytes(v: string): Uint8Array {
  try {
    return fromHex(v.startsWith("0x") ? v : `0x${v}`);
  } catch {
    throw new InvalidArgumentError(`expected hex bytes, got "${v}"`);
  }
}

/** A one-line progress bar, redrawn in place; only used when stderr is a terminal. */
export function progressLine(step: number, total: number, loss: number, samplesPerSec: number): string {
  const width = 30;
  const filled = Math.round((step / total) * width);
  const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  return `\r[${bar}] step ${step}/${total} loss ${loss.toFixed(4)} ${Math.round(samplesPerSec)} samples/s`;
}
