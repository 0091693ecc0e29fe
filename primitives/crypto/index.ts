export * from "./checker.js";
export * from "./errors.js";
export * from "./keys.js";
export * from "./sr25519Fast.js";
export * from "./ss58.js";
export * from "./types.js";
export * from "./verify.js";
