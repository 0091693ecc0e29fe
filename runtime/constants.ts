/**
 * Runtime constants: the same on every chain that runs this runtime (chain specs vary genesis only).
 * Amounts are in planck: 1 TRAIN = 10^12 planck.
 */
export const TOKEN_DECIMALS = 12;
export const TOKEN_SYMBOL = "TRAIN";
export const SS58_PREFIX = 42;

export const UNITS = 10n ** 12n;
export const MILLI_UNITS = UNITS / 1000n;
export const MICRO_UNITS = UNITS / 1_000_000n;

/** The least balance an account may hold; below it the account is reaped. */
export const EXISTENTIAL_DEPOSIT = MILLI_UNITS;

/** Fee per byte of an extrinsic. */
export const TRANSACTION_BYTE_FEE = (10n * MICRO_UNITS) / 1000n; // 10 nano-TRAIN
/** Fee per unit of ref_time weight: 1 planck per 10,000 ref_time (picoseconds). */
export const WEIGHT_FEE_DIVISOR = 10_000n;
export const OPERATIONAL_FEE_MULTIPLIER = 5;

/** ref_time is in picoseconds of execution on reference hardware. */
export const WEIGHT_REF_TIME_PER_SECOND = 1_000_000_000_000n;
export const EXTRINSIC_BASE_WEIGHT = 125_000_000n;
export const BLOCK_BASE_WEIGHT = 5_000_000_000n;
/** Two seconds of compute per block; three quarters of it for normal extrinsics. */
export const MAXIMUM_BLOCK_WEIGHT = 2n * WEIGHT_REF_TIME_PER_SECOND;
export const MAXIMUM_BLOCK_PROOF_SIZE = 5n * 1024n * 1024n;
export const NORMAL_DISPATCH_RATIO_PERCENT = 75n;
export const MAXIMUM_BLOCK_LENGTH = 5 * 1024 * 1024;

/** How many recent block hashes `System.BlockHash` keeps: the longest mortal era a transaction may use. */
export const BLOCK_HASH_COUNT = 2400;

/**
 * Storage weights. State lives in an in-memory trie backed by LevelDB (nodes written once per block),
 * so a read or write costs microseconds, not RocksDB's tens of them: `npm run bench -- import` measures
 * a whole transfer (3 reads, 3 writes, events, trie update) at about 140 µs on 2 cores.
 */
export const DB_READ_WEIGHT = 5_000_000n;
export const DB_WRITE_WEIGHT = 25_000_000n;

/**
 * Half the default slot duration: the `Timestamp.MinimumPeriod` constant in the metadata. The check
 * itself uses half of the chain's own slot duration (`minimumPeriod` in the timestamp pallet).
 */
export const MINIMUM_PERIOD_MS = 1000n;
