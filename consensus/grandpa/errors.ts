import { TensorchainError } from "../../primitives/errors.js";

export type GrandpaErrorType =
  | { code: "GRANDPA_ERROR_UNKNOWN_VOTER"; id: string }
  | { code: "GRANDPA_ERROR_BAD_SIGNATURE"; id: string; round: bigint }
  | { code: "GRANDPA_ERROR_BAD_JUSTIFICATION"; reason: string }
  | { code: "GRANDPA_ERROR_MALFORMED"; reason: string };

export class GrandpaError extends TensorchainError<GrandpaErrorType> {}
