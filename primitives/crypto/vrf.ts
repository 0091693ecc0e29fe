/**
 * The sr25519 VRF (schnorrkel) under a signing context, shared by BABE's slot claims (consensus/babe)
 * and PoUW tickets (primitives/pouw), which the runtime verifies too: hence primitives/.
 *
 * Through @polkadot/wasm-crypto when it is ready, else @polkadot/util-crypto's pure-JS
 * `@scure/sr25519`; both sign and accept the same 96-byte `pre_output (32) ++ proof (64; c ++ s)`
 * layout, which is `sp_core::sr25519::vrf::VrfSignature`'s encoding.
 *
 * Transcript: schnorrkel `signing_context(context).bytes(input)`, no extra transcript data. The proof
 * is randomized; the pre-output is a function of the key, the context and the input alone.
 */
import { sr25519VrfSign, sr25519VrfVerify } from "@polkadot/util-crypto";
import { isReady as wasmIsReady, vrfSign as wasmVrfSign, vrfVerify as wasmVrfVerify } from "@polkadot/wasm-crypto";
import { concat } from "../hashing.js";

export interface Sr25519VrfSignature {
  /** The VRF pre-output: a compressed Ristretto point, 32 bytes. */
  pre_output: Uint8Array;
  /** The DLEQ proof `c ++ s`, 64 bytes. */
  proof: Uint8Array;
}

const NO_EXTRA = new Uint8Array(0);

/** Signs `input` under `context` with an sr25519 secret key (util-crypto's 64-byte layout). */
export function sr25519VrfSignIn(secretKey: Uint8Array, context: Uint8Array, input: Uint8Array): Sr25519VrfSignature {
  const out = wasmIsReady()
    ? wasmVrfSign(secretKey, context, input, NO_EXTRA)
    : sr25519VrfSign(input, { secretKey }, context, NO_EXTRA);
  return { pre_output: out.slice(0, 32), proof: out.slice(32, 96) };
}

/**
 * True when `signature` is a valid VRF of `publicKey` over `input` under `context`. Wrong lengths and
 * malformed points give false, never a throw: the bytes come from the network.
 */
export function sr25519VrfVerifyIn(
  publicKey: Uint8Array,
  context: Uint8Array,
  input: Uint8Array,
  signature: Sr25519VrfSignature,
): boolean {
  if (publicKey.length !== 32 || signature.pre_output.length !== 32 || signature.proof.length !== 64) return false;
  const joined = concat(signature.pre_output, signature.proof);
  try {
    return wasmIsReady()
      ? wasmVrfVerify(publicKey, context, input, NO_EXTRA, joined)
      : sr25519VrfVerify(input, joined, publicKey, context, NO_EXTRA);
  } catch {
    return false;
  }
}
