/**
 * The sr25519 VRF of BABE slot claims, through @polkadot/wasm-crypto (schnorrkel) with
 * @polkadot/util-crypto's pure-JS `@scure/sr25519` as the fallback; both produce and accept the same
 * 96-byte `pre_output (32) ++ proof (64; c ++ s)` layout, which is exactly `VrfSignature`'s encoding.
 * The signing itself is primitives/crypto/vrf.ts (PoUW tickets use it under another context).
 *
 * Transcript: schnorrkel `signing_context(VRF_CONTEXT).bytes(input)` with
 *   input = epoch randomness (32) ++ slot (u64 LE) ++ epoch index (u64 LE).
 * The proof is randomized; the pre-output is a function of the key and the input alone.
 *
 * Output bytes. Substrate derives them with schnorrkel's `VRFInOut::make_bytes`, a Merlin transcript
 * over the input and output points; the JS libraries do not expose the input point, so tensorchain
 * defines them as (reproducible from the digest alone, and still a random oracle over the verified,
 * unique pre-output):
 *   vrfOutputBytes(label, input, pre_output) = blake2-256(label ++ input ++ pre_output)
 *   threshold value  = u128 little-endian of the first 16 bytes with label "tensorchain-babe-vrf"
 *   randomness piece = the 32 bytes with label "tensorchain-babe-randomness"
 */
import { sr25519VrfSignIn, sr25519VrfVerifyIn } from "../../primitives/crypto/vrf.js";
import { blake2_256, concat } from "../../primitives/hashing.js";
import { T } from "../../primitives/scale/types.js";
import type { VrfSignatureValue } from "./digests.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

export const VRF_CONTEXT = utf8("tensorchain-babe");
export const VRF_THRESHOLD_LABEL = utf8("tensorchain-babe-vrf");
export const VRF_RANDOMNESS_LABEL = utf8("tensorchain-babe-randomness");

/** The VRF input of a slot claim: randomness ++ slot (u64 LE) ++ epoch index (u64 LE). */
export function vrfInput(randomness: Uint8Array, slot: bigint, epochIndex: bigint): Uint8Array {
  if (randomness.length !== 32) throw new TypeError("epoch randomness must be 32 bytes");
  return concat(randomness, T.u64.enc(slot), T.u64.enc(epochIndex));
}

/** Signs `input` with an sr25519 secret key (util-crypto's 64-byte layout). */
export function vrfSign(secretKey: Uint8Array, input: Uint8Array): VrfSignatureValue {
  return sr25519VrfSignIn(secretKey, VRF_CONTEXT, input);
}

/** True when `signature` is a valid VRF of `publicKey` over `input`; malformed points give false. */
export function vrfVerify(publicKey: Uint8Array, input: Uint8Array, signature: VrfSignatureValue): boolean {
  return sr25519VrfVerifyIn(publicKey, VRF_CONTEXT, input, signature);
}

export function vrfOutputBytes(label: Uint8Array, input: Uint8Array, preOutput: Uint8Array): Uint8Array {
  return blake2_256(concat(label, input, preOutput));
}

/** The value compared against the primary-slot threshold: a u128 (LE) from the VRF output. */
export function vrfThresholdValue(input: Uint8Array, preOutput: Uint8Array): bigint {
  const bytes = vrfOutputBytes(VRF_THRESHOLD_LABEL, input, preOutput);
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** The block's 32-byte contribution to the randomness of a later epoch. */
export function vrfRandomness(input: Uint8Array, preOutput: Uint8Array): Uint8Array {
  return vrfOutputBytes(VRF_RANDOMNESS_LABEL, input, preOutput);
}
