/**
 * The call-data parameter of runtime calls (`state_call`, `chainHead_v1_call`): hex as everywhere, and
 * also `""` for empty data, which Substrate accepts there and clients (polkadot-api) send for a call
 * without arguments.
 */
import { type HexString, isHex } from "../../../primitives/hex.js";
import { type Param, param } from "../server/index.js";

export function callDataParam(name: string): Param<HexString> {
  return param.custom(name, (v) => {
    if (v === "") return "0x";
    if (isHex(v)) return v;
    throw new Error('expected a 0x-prefixed hex string or ""');
  });
}
