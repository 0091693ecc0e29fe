export { AdmissionSignatures, type AdmissionSignaturesModules } from "./admissionSignatures.js";
export type { Imported, PruneStatus } from "./basePool.js";
export { type ChainValidator, chainValidator } from "./chainValidator.js";
export {
  invalidTransactionMessage,
  rpcCodeOf,
  rustDebugString,
  TxPoolError,
  type TxPoolErrorType,
  TxPoolRpcCode,
  toRpcErrorObject,
  unknownTransactionDebug,
} from "./errors.js";
export { followChain } from "./followChain.js";
export type {
  InvalidTransactionReason,
  ReadyIterator,
  ReadyTransaction,
  TransactionSource,
  TransactionStatus,
  TransactionStatusListener,
  TransactionValidity,
  TransactionValidityError,
  TxPoolBlock,
  TxPoolModules,
  TxPoolReorg,
  TxPoolStatus,
  TxWatcher,
  UnknownTransactionReason,
  ValidTransaction,
} from "./interface.js";
export { nextAccountNonce } from "./nonce.js";
export {
  defaultTxPoolOptions,
  MAX_POOL_KBYTES,
  MAX_TX_BAN_SECONDS,
  TXPOOL_CLI_DEFAULTS,
  type TxPoolCliFlags,
  type TxPoolLimit,
  type TxPoolOptions,
  txPoolFlagError,
  txPoolOptionsFromCli,
} from "./options.js";
export { TxPool, txHash } from "./pool.js";
export { isTerminal } from "./watcher.js";
