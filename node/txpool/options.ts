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

/**
 * Options from Substrate's CLI flags (`TransactionPoolParams`): `--pool-limit` (default 8192) and
 * `--pool-kbytes` (default 20480) set the ready queue, and the future queue gets a tenth of each;
 * `--tx-ban-seconds` (default 1800) sets the ban time.
 */
export function txPoolOptionsFromCli(cli: {
  poolLimit?: number;
  poolKbytes?: number;
  txBanSeconds?: number;
}): TxPoolOptions {
  const count = cli.poolLimit ?? 8192;
  const bytes = (cli.poolKbytes ?? 20480) * 1024;
  return {
    ...defaultTxPoolOptions,
    ready: { count, totalBytes: bytes },
    future: { count: Math.floor(count / 10), totalBytes: Math.floor(bytes / 10) },
    banTimeMs: (cli.txBanSeconds ?? 1800) * 1000,
  };
}

export function isLimitExceeded(limit: TxPoolLimit, count: number, bytes: number): boolean {
  return count > limit.count || bytes > limit.totalBytes;
}
