export * from "./errors.js";
export * from "./options.js";
export * from "./pool.js";
export { resolveWorkerScript } from "./workerScript.js";
