import { FeeDetails, RuntimeDispatchInfo } from "../../../runtime/pallets/transactionPayment.js";

export const RuntimeDispatchInfoDecoder = (b: Uint8Array) => RuntimeDispatchInfo.dec(b);

export function FeeDetailsJson(b: Uint8Array) {
  const d = FeeDetails.dec(b);
  return {
    inclusionFee: d.inclusion_fee
      ? {
          baseFee: d.inclusion_fee.base_fee.toString(),
          lenFee: d.inclusion_fee.len_fee.toString(),
          adjustedWeightFee: d.inclusion_fee.adjusted_weight_fee.toString(),
        }
      : null,
    tip: d.tip.toString(),
  };
}
