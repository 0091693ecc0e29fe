/**
 * Consensus, pure: BABE-like slots (`babe/`), fork choice, GRANDPA-like finality (`grandpa/`) and
 * equivocation evidence. No network, no database, no clock: time and chain access come in as
 * arguments and interfaces.
 */
export * as babe from "./babe/index.js";
export * from "./equivocation.js";
export * from "./errors.js";
export * from "./forkChoice.js";
export * as grandpa from "./grandpa/index.js";
export * from "./header.js";
