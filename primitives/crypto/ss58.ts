/** SS58 addresses (Substrate's base58 account format); tensorchain's prefix is 42. */
import { base58Decode, checkAddressChecksum, decodeAddress, encodeAddress } from "@polkadot/util-crypto";
import { SignatureError } from "./errors.js";

export const SS58_PREFIX = 42;

export function ss58Encode(publicKey: Uint8Array, prefix: number = SS58_PREFIX): string {
  try {
    return encodeAddress(publicKey, prefix);
  } catch (e) {
    throw new SignatureError({ code: "SIGNATURE_ERROR_INVALID_ADDRESS", reason: (e as Error).message });
  }
}

/** The public key and network prefix of an SS58 address; throws `SIGNATURE_ERROR_INVALID_ADDRESS`. */
export function ss58DecodeWithPrefix(address: string): { publicKey: Uint8Array; prefix: number } {
  if (typeof address !== "string" || address.startsWith("0x")) {
    throw new SignatureError({ code: "SIGNATURE_ERROR_INVALID_ADDRESS", reason: "not an SS58 string" });
  }
  try {
    const publicKey = decodeAddress(address);
    const [, , , prefix] = checkAddressChecksum(base58Decode(address));
    return { publicKey, prefix };
  } catch (e) {
    throw new SignatureError({ code: "SIGNATURE_ERROR_INVALID_ADDRESS", reason: (e as Error).message });
  }
}

/** The public key of an SS58 address; with `expectedPrefix`, also checks the network prefix. */
export function ss58Decode(address: string, expectedPrefix?: number): Uint8Array {
  const { publicKey, prefix } = ss58DecodeWithPrefix(address);
  if (expectedPrefix !== undefined && prefix !== expectedPrefix) {
    throw new SignatureError({ code: "SIGNATURE_ERROR_SS58_PREFIX_MISMATCH", prefix, expected: expectedPrefix });
  }
  return publicKey;
}
