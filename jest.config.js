/** Jest runs the TypeScript sources directly through swc, as native ESM. */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } },
    ],
  },
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  // Every test file runs against the built runtime, as the node and the CLI do.
  setupFiles: ["<rootDir>/test/setup.ts"],
  // One test file at a time: the e2e suites run several node processes each, and 2 cores are all CI has.
  maxWorkers: 1,
  testTimeout: 60_000,
};
