/**
 * The runtime's version, as `Core_version` and `state_getRuntimeVersion` report it. `apis` lists the
 * runtime APIs this runtime answers through `state_call`: each id is blake2-64 of the API's name.
 */
import { blake2AsU8a } from "@polkadot/util-crypto";
import type { RuntimeVersionValue } from "../primitives/types.js";

export const RUNTIME_API_VERSIONS: [string, number][] = [
  ["Core", 4],
  ["Metadata", 2],
  ["BlockBuilder", 6],
  ["TaggedTransactionQueue", 3],
  ["AccountNonceApi", 1],
  ["TransactionPaymentApi", 4],
];

export function runtimeApiId(name: string): Uint8Array {
  return blake2AsU8a(new TextEncoder().encode(name), 64);
}

export const RUNTIME_VERSION: RuntimeVersionValue = {
  specName: "tensorchain",
  implName: "tensorchain-node",
  authoringVersion: 1,
  specVersion: 100,
  implVersion: 1,
  apis: RUNTIME_API_VERSIONS.map(([name, v]) => [runtimeApiId(name), v] as [Uint8Array, number]),
  transactionVersion: 1,
  stateVersion: 0,
};
