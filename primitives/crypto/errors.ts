import { TensorchainError } from "../errors.js";

export type SignatureErrorType =
  | { code: "SIGNATURE_ERROR_INVALID_PUBLIC_KEY_LENGTH"; scheme: string; length: number; expected: number }
  | { code: "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH"; scheme: string; length: number; expected: number }
  | { code: "SIGNATURE_ERROR_UNKNOWN_SCHEME"; scheme: string }
  /** The wasm verifier was used before `cryptoReady()` resolved. */
  | { code: "SIGNATURE_ERROR_CRYPTO_NOT_READY" }
  | { code: "SIGNATURE_ERROR_INVALID_SURI"; reason: string }
  | { code: "SIGNATURE_ERROR_INVALID_ADDRESS"; reason: string }
  | { code: "SIGNATURE_ERROR_SS58_PREFIX_MISMATCH"; prefix: number; expected: number };

/**
 * Errors of the signature layer. Invalid signatures are never errors (verification returns false);
 * these are for inputs of the wrong shape, which are programming or decoding errors upstream.
 */
export class SignatureError extends TensorchainError<SignatureErrorType> {}
