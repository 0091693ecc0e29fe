/** The runtime as `chainHead_v1_follow` reports it (`finalizedBlockRuntime`, `newRuntime`). */
import { toHex } from "../../../../primitives/hex.js";
import { RUNTIME_VERSION } from "../../../../runtime/index.js";

export interface RuntimeSpecJson {
  type: "valid";
  spec: {
    specName: string;
    implName: string;
    specVersion: number;
    implVersion: number;
    transactionVersion: number;
    /** API id (hex of the 8-byte blake2 hash of its name) -> version. */
    apis: Record<string, number>;
  };
}

/** The node runs one runtime: its `RUNTIME_VERSION`, in the spec's `valid` shape. */
export function runtimeSpecJson(): RuntimeSpecJson {
  const v = RUNTIME_VERSION;
  return {
    type: "valid",
    spec: {
      specName: v.specName,
      implName: v.implName,
      specVersion: v.specVersion,
      implVersion: v.implVersion,
      transactionVersion: v.transactionVersion,
      apis: Object.fromEntries(v.apis.map(([id, version]) => [toHex(id), version])),
    },
  };
}
