/** `payment_*`: fee estimates, computed by the same runtime code that charges the fee. */
import { fromHex, type HexString } from "../../../primitives/hex.js";
import { T } from "../../../primitives/scale/types.js";
import { param, type RpcDef } from "../server/index.js";
import { callAt, method, type RpcDeps } from "./context.js";
import { FeeDetailsJson, RuntimeDispatchInfoDecoder } from "./paymentTypes.js";

function withLen(extrinsic: HexString): Uint8Array {
  const bytes = fromHex(extrinsic);
  const out = new Uint8Array(bytes.length + 4);
  out.set(bytes, 0);
  out.set(T.u32.enc(bytes.length), bytes.length);
  return out;
}

export function paymentMethods(deps: RpcDeps): RpcDef[] {
  const at = param.optional(param.hex("at", 32));
  return [
    method({
      name: "payment_queryInfo",
      params: [param.hex("extrinsic"), at],
      handler: async ([x, a]) => {
        const info = RuntimeDispatchInfoDecoder(await callAt(deps, a, "TransactionPaymentApi_query_info", withLen(x)));
        return {
          weight: { refTime: Number(info.weight.ref_time), proofSize: Number(info.weight.proof_size) },
          class: info.class.tag.toLowerCase(),
          partialFee: info.partial_fee.toString(),
        };
      },
    }),
    method({
      name: "payment_queryFeeDetails",
      params: [param.hex("extrinsic"), at],
      handler: async ([x, a]) =>
        FeeDetailsJson(await callAt(deps, a, "TransactionPaymentApi_query_fee_details", withLen(x))),
    }),
  ];
}
