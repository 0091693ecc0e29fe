/**
 * # Transaction payment pallet
 *
 * Every signed extrinsic pays `base fee + length fee + weight fee + tip`, withdrawn from the signer
 * before dispatch (so a failing call still pays) and credited to the treasury. `query_info` and
 * `query_fee_details` compute the same figures from the extrinsic's length and declared weight, so the
 * fee a client is told is exactly the fee it is charged.
 */
import { T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Balance, DispatchClass, Weight, type WeightValue } from "../../primitives/types.js";
import {
  EXTRINSIC_BASE_WEIGHT,
  OPERATIONAL_FEE_MULTIPLIER,
  TRANSACTION_BYTE_FEE,
  WEIGHT_FEE_DIVISOR,
} from "../constants.js";
import { pallet } from "../frame/pallet.js";
import { storageValue } from "../frame/storage.js";

const FixedU128 = T.wrapper(T.u128, { path: ["sp_arithmetic", "fixed_point", "FixedU128"] });
const ONE = 10n ** 18n;

export const TransactionPayment = pallet({
  name: "TransactionPayment",
  index: 3,
  module: "pallet_transaction_payment",
  docs: ["Fees for extrinsics: length, weight and tip."],
  storage: {
    NextFeeMultiplier: storageValue(FixedU128, {
      default: ONE,
      docs: [" The fee multiplier for the next block (fixed at one here)."],
    }),
  },
  constants: {
    OperationalFeeMultiplier: {
      type: T.u8,
      value: OPERATIONAL_FEE_MULTIPLIER,
      docs: [' A fee multiplier for `Operational` extrinsics to compute "virtual tip" to boost their', " `priority`"],
    },
  },
  events: {
    TransactionFeePaid: {
      index: 0,
      fields: { who: AccountId, actual_fee: Balance, tip: Balance },
      docs: [
        "A transaction fee `actual_fee`, of which `tip` was added to the minimum inclusion fee,",
        "has been paid by `who`.",
      ],
    },
  },
});

export interface FeeBreakdown {
  baseFee: bigint;
  lenFee: bigint;
  adjustedWeightFee: bigint;
  tip: bigint;
}

export function weightToFee(w: WeightValue): bigint {
  return w.ref_time / WEIGHT_FEE_DIVISOR;
}

/** The fee of an extrinsic of `len` bytes whose call weighs `callWeight`. */
export function computeFee(len: number, callWeight: WeightValue, tip: bigint): FeeBreakdown {
  return {
    baseFee: weightToFee({ ref_time: EXTRINSIC_BASE_WEIGHT, proof_size: 0n }),
    lenFee: BigInt(len) * TRANSACTION_BYTE_FEE,
    adjustedWeightFee: weightToFee(callWeight),
    tip,
  };
}

export function totalFee(f: FeeBreakdown): bigint {
  return f.baseFee + f.lenFee + f.adjustedWeightFee + f.tip;
}

export const RuntimeDispatchInfo = T.struct(
  { weight: Weight, class: DispatchClass, partial_fee: Balance },
  {
    path: ["pallet_transaction_payment", "types", "RuntimeDispatchInfo"],
    params: [
      { name: "Balance", type: Balance },
      { name: "Weight", type: Weight },
    ],
  },
);
export type RuntimeDispatchInfoValue = TyValue<typeof RuntimeDispatchInfo>;

const InclusionFee = T.struct(
  { base_fee: Balance, len_fee: Balance, adjusted_weight_fee: Balance },
  { path: ["pallet_transaction_payment", "types", "InclusionFee"], params: [{ name: "Balance", type: Balance }] },
);
export const FeeDetails = T.struct(
  { inclusion_fee: T.option(InclusionFee), tip: Balance },
  { path: ["pallet_transaction_payment", "types", "FeeDetails"], params: [{ name: "Balance", type: Balance }] },
);
