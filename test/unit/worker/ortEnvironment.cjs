/**
 * Jest test environment for suites that run onnxruntime-node. Jest gives each test file its own realm,
 * but the native binding creates output arrays in Node's main realm, and onnxruntime-common checks them
 * with `instanceof Float32Array` of the test's realm: the check fails. Sharing the main realm's typed
 * array constructors with the test realm makes both sides agree.
 */
const { TestEnvironment } = require("jest-environment-node");

const SHARED = [
  "ArrayBuffer",
  "SharedArrayBuffer",
  "Float32Array",
  "Float64Array",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
