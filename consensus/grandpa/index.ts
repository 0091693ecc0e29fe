export * from "./equivocation.js";
export * from "./errors.js";
export * from "./justification.js";
export * from "./messages.js";
export * from "./voter.js";
