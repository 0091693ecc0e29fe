/** The signature schemes of Substrate's `MultiSignature` that tensorchain accepts on chain. */
export type SignatureScheme = "sr25519" | "ed25519";

/** A decoded `MultiSignature`: the variant and its 64 signature bytes. */
export interface MultiSignature {
  type: SignatureScheme;
  bytes: Uint8Array;
}

export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;
/** ECDSA (secp256k1): 65-byte recoverable signatures, 33-byte compressed public keys. */
export const ECDSA_SIGNATURE_LENGTH = 65;
export const ECDSA_PUBLIC_KEY_LENGTH = 33;

export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = ["sr25519", "ed25519"];

export function isSignatureScheme(value: unknown): value is SignatureScheme {
  return value === "sr25519" || value === "ed25519";
}
