/**
 * Options of the transaction pool, with the defaults of Substrate's `sc_transaction_pool::Options`
 * (ready 8192 transactions / 20 MiB, future 512 / 1 MiB, 30 minutes ban).
 */

/** A queue limit: exceeded when either the count or the summed encoded length is above it. */
export interface TxPoolLimit {
  count: number;
  totalBytes: number;
}

export interface TxPoolOptions {
  /** Limit of the ready queue (`--pool-limit`, `--pool-kbytes`). */
  ready: TxPoolLimit;
  /** Limit of the future queue (a tenth of the ready one when set from the CLI). */
  future: TxPoolLimit;
  /** How long an invalid (or limit-dropped, or just included) transaction is refused, in ms (`--tx-ban-seconds`). */
  banTimeMs: number;
  /**
   * Largest extrinsic accepted, in bytes; a larger one is refused as `exhaustsResources` without calling
   * the runtime. Substrate's default block length is 5 MiB, so nothing larger can ever be included.
   */
  maxTxBytes: number;
  /** Validations run concurrently by one revalidation batch (Substrate's background batch is 20). */
  revalidationBatchSize: number;
  /**
   * Transactions revalidated after one new best block, least recently validated first; the rest wait for
   * the next block. A newer best block stops a running pass between batches.
   */
  maxRevalidationPerBlock: number;
}

const MiB = 1024 * 1024;

export const defaultTxPoolOptions: TxPoolOptions = {
  ready: { count: 8192, totalBytes: 20 * MiB },
  future: { count: 512, totalBytes: 1 * MiB },
  banTimeMs: 30 * 60 * 1000,
  maxTxBytes: 5 * MiB,
  revalidationBatchSize: 20,
  maxRevalidationPerBlock: 1000,
};

/** The CLI flags of the pool (Substrate's `TransactionPoolParams`), as parsed. */
export interface TxPoolCliFlags {
  poolLimit?: number;
  poolKbytes?: number;
  txBanSeconds?: number;
}

/** Substrate's defaults: `--pool-limit 8192`, `--pool-kbytes 20480`, `--tx-ban-seconds 1800`. */
export const TXPOOL_CLI_DEFAULTS = { poolLimit: 8192, poolKbytes: 20480, txBanSeconds: 1800 } as const;

/** Largest `--pool-kbytes` whose byte count (`× 1024`) is still an exact integer in a JS number. */
export const MAX_POOL_KBYTES = Math.floor(Number.MAX_SAFE_INTEGER / 1024);
/** Largest `--tx-ban-seconds` whose milliseconds fit a timer-safe number (about 285 years). */
export const MAX_TX_BAN_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000 / 1000);

/**
 * Why a value of a pool flag is refused, or undefined when it is fine: `--pool-limit` and `--pool-kbytes`
 * are positive integers (a pool that holds nothing accepts nothing), `--tx-ban-seconds` is a
 * non-negative integer (0: no bans).
 */
export function txPoolFlagError(flag: keyof TxPoolCliFlags, value: number): string | undefined {
  const min = flag === "txBanSeconds" ? 0 : 1;
  const max =
    flag === "poolKbytes" ? MAX_POOL_KBYTES : flag === "txBanSeconds" ? MAX_TX_BAN_SECONDS : Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(value) || value < min)
    return min === 0 ? "must be a non-negative integer" : "must be a positive integer";
  if (value > max) return `must be at most ${max}`;
  return undefined;
}

const FLAG_NAMES: Record<keyof TxPoolCliFlags, string> = {
  poolLimit: "--pool-limit",
  poolKbytes: "--pool-kbytes",
  txBanSeconds: "--tx-ban-seconds",
};

/**
 * Options from Substrate's CLI flags (`TransactionPoolParams::transaction_pool`): `--pool-limit` and
 * `--pool-kbytes` set the ready queue's count and size, and the future queue gets a tenth of each (so the
 * pool holds at most `limit + limit/10` transactions); `--tx-ban-seconds` sets the ban time. Throws a
 * `RangeError` naming the flag for a value `txPoolFlagError` refuses.
 */
export function txPoolOptionsFromCli(cli: TxPoolCliFlags): TxPoolOptions {
  const flags = { ...TXPOOL_CLI_DEFAULTS, ...definedOnly(cli) };
  for (const key of Object.keys(FLAG_NAMES) as (keyof TxPoolCliFlags)[]) {
    const problem = txPoolFlagError(key, flags[key]);
    if (problem) throw new RangeError(`${FLAG_NAMES[key]} ${problem}, got ${flags[key]}`);
  }
  const count = flags.poolLimit;
  const bytes = flags.poolKbytes * 1024;
  return {
    ...defaultTxPoolOptions,
    ready: { count, totalBytes: bytes },
    future: { count: Math.floor(count / 10), totalBytes: Math.floor(bytes / 10) },
    banTimeMs: flags.txBanSeconds * 1000,
  };
}

function definedOnly(cli: TxPoolCliFlags): TxPoolCliFlags {
  return Object.fromEntries(Object.entries(cli).filter(([, v]) => v !== undefined));
}

export function isLimitExceeded(limit: TxPoolLimit, count: number, bytes: number): boolean {
  return count > limit.count || bytes > limit.totalBytes;
}
