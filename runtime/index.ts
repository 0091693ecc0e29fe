/** The runtime: a pure, deterministic state transition (no I/O, no clock, no randomness, no floats). */
export * from "./construct.js";
export * from "./executive.js";
export * from "./extrinsic.js";
export * from "./validity.js";
export * from "./version.js";
export { callRuntimeApi, RuntimeApiError, timestampInherent, type ApiContext } from "./apiDecls.js";
export { metadataV14, metadataV15 } from "./metadata.js";
export { buildGenesisStorage, type GenesisConfig } from "./genesis.js";
export { Ext } from "./frame/ext.js";
export type { StateBackend } from "./frame/overlay.js";
export * as constants from "./constants.js";
export { System, AccountInfoTy, type AccountInfo } from "./pallets/system.js";
export { Balances } from "./pallets/balances.js";
export { TransactionPayment } from "./pallets/transactionPayment.js";
export type { CallValue } from "./frame/calls.js";
