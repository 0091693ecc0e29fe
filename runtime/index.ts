/** The runtime: a pure, deterministic state transition (no I/O, no clock, no randomness, no floats). */

export { type ApiContext, callRuntimeApi, RuntimeApiError, timestampInherent } from "./apiDecls.js";
export * as constants from "./constants.js";
export * from "./construct.js";
export { BlockError, type BlockErrorType } from "./errors.js";
export * from "./executive.js";
export * from "./extrinsic.js";
export type { CallValue } from "./frame/calls.js";
export { Ext } from "./frame/ext.js";
export type { StateBackend } from "./frame/overlay.js";
export { buildGenesisStorage, type GenesisConfig } from "./genesis.js";
export { metadataV14, metadataV15 } from "./metadata.js";
export { Balances } from "./pallets/balances.js";
export { type AccountInfo, AccountInfoTy, System } from "./pallets/system.js";
export { TransactionPayment } from "./pallets/transactionPayment.js";
export * from "./validity.js";
export * from "./version.js";
