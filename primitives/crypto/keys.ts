/**
 * Key pairs from secret URIs, signing, mnemonics. Thin wrappers over @polkadot/util-crypto (the same
 * derivation as `@polkadot/keyring`'s `createFromUri`), with no hand-written crypto.
 *
 * A secret URI is `<phrase or 0x seed>[//hard][/soft][///password]`; a URI that starts with `/` is a
 * dev account derived from the well-known dev phrase, so `//Alice` is Substrate's Alice.
 */
import {
  ed25519PairFromSeed,
  ed25519Sign,
  keyExtractSuri,
  keyFromPath,
  mnemonicGenerate,
  mnemonicToMiniSecret,
  mnemonicValidate,
  sr25519PairFromSeed,
  sr25519Sign,
} from "@polkadot/util-crypto";
import { isReady as wasmIsReady, sr25519Sign as wasmSr25519Sign } from "@polkadot/wasm-crypto";
import { fromHex, isHex } from "../hex.js";
import { SignatureError } from "./errors.js";
import type { SignatureScheme } from "./types.js";

/** Substrate's development phrase, the root of `//Alice`, `//Bob`, … */
export const DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

export interface KeyPair {
  readonly scheme: SignatureScheme;
  /** 32 bytes; the AccountId for both schemes. */
  readonly publicKey: Uint8Array;
  /**
   * Secret material in @polkadot/util-crypto's layout (sr25519: 64-byte schnorrkel key ++ nonce;
   * ed25519: 32-byte seed ++ public key). Never log it.
   */
  readonly secretKey: Uint8Array;
}

export type MnemonicWords = 12 | 15 | 18 | 21 | 24;

/** A new BIP-39 phrase (12 words unless told), from the OS random source. */
export function generateMnemonic(words: MnemonicWords = 12): string {
  return mnemonicGenerate(words);
}

export function validateMnemonic(phrase: string): boolean {
  return mnemonicValidate(phrase);
}

/** The pair for a 32-byte seed (a mini-secret), without derivation. */
export function keypairFromSeed(seed: Uint8Array, scheme: SignatureScheme = "sr25519"): KeyPair {
  if (seed.length !== 32)
    throw new SignatureError({ code: "SIGNATURE_ERROR_INVALID_SURI", reason: "seed must be 32 bytes" });
  const { publicKey, secretKey } = scheme === "sr25519" ? sr25519PairFromSeed(seed) : ed25519PairFromSeed(seed);
  return { scheme, publicKey, secretKey };
}

/**
 * The pair for a secret URI: `//Alice`, `"<12 words>//hard/soft"`, `"0x<32-byte seed>//1"`, with an
 * optional `///password` for mnemonics. Throws `SIGNATURE_ERROR_INVALID_SURI` on anything else.
 * ed25519 supports hard derivation only, as in Substrate.
 */
export function keypairFromSuri(suri: string, scheme: SignatureScheme = "sr25519"): KeyPair {
  try {
    const full = suri.startsWith("/") ? `${DEV_PHRASE}${suri}` : suri;
    const { password, path, phrase } = keyExtractSuri(full);
    let seed: Uint8Array;
    if (isHex(phrase) && phrase.length === 66) {
      seed = fromHex(phrase);
    } else if ([12, 15, 18, 21, 24].includes(phrase.split(" ").length)) {
      if (!mnemonicValidate(phrase)) throw new Error("invalid mnemonic phrase");
      seed = mnemonicToMiniSecret(phrase, password);
    } else {
      throw new Error("expected a mnemonic phrase or a 0x-prefixed 32-byte seed");
    }
    const root = scheme === "sr25519" ? sr25519PairFromSeed(seed) : ed25519PairFromSeed(seed);
    const { publicKey, secretKey } = keyFromPath(root, path, scheme);
    return { scheme, publicKey, secretKey };
  } catch (e) {
    if (e instanceof SignatureError) throw e;
    throw new SignatureError({ code: "SIGNATURE_ERROR_INVALID_SURI", reason: (e as Error).message });
  }
}

/**
 * Signs `message` as is (callers hash Substrate signing payloads longer than 256 bytes first).
 * sr25519 signatures are randomized; both schemes' signatures are 64 bytes.
 */
export function sign(pair: KeyPair, message: Uint8Array): Uint8Array {
  if (pair.scheme === "sr25519") {
    // The wasm signer is ~6x the pure-JS one and uses the same secret-key layout.
    return wasmIsReady() ? wasmSr25519Sign(pair.publicKey, pair.secretKey, message) : sr25519Sign(message, pair);
  }
  return ed25519Sign(message, pair);
}
