import { beforeAll, describe, expect, it } from "@jest/globals";
import { Keyring } from "@polkadot/keyring";
import { signatureVerify } from "@polkadot/util-crypto";
import {
  DEV_PHRASE,
  generateMnemonic,
  keypairFromSeed,
  keypairFromSuri,
  SignatureError,
  type SignatureScheme,
  sign,
  ss58Decode,
  ss58DecodeWithPrefix,
  ss58Encode,
  validateMnemonic,
  verifyEcdsa,
  verifyEd25519,
  verifyMultiSignature,
  verifySignature,
  verifySr25519,
} from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { fromHex, toHex } from "../../../../primitives/hex.js";
import { thrownCode } from "../../../helpers/errors.js";

const ALICE_SR25519 = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
const ALICE_SS58 = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
const schemes: SignatureScheme[] = ["sr25519", "ed25519"];

const errorCode = (f: () => unknown) => thrownCode(f, SignatureError);

beforeAll(async () => {
  await cryptoReady();
});

describe("key pairs", () => {
  it("derives //Alice as Substrate does", () => {
    const alice = keypairFromSuri("//Alice");
    expect(toHex(alice.publicKey)).toBe(ALICE_SR25519);
    expect(ss58Encode(alice.publicKey)).toBe(ALICE_SS58);
    expect(toHex(keypairFromSuri(`${DEV_PHRASE}//Alice`).publicKey)).toBe(ALICE_SR25519);
  });

  it.each(schemes)("matches @polkadot/keyring for dev, mnemonic, seed and password URIs (%s)", (scheme) => {
    const keyring = new Keyring({ type: scheme, ss58Format: 42 });
    const phrase = generateMnemonic();
    const uris = ["//Bob", "//Alice//stash", `${phrase}//hard`, `${phrase}//hard///secret`, `0x${"11".repeat(32)}//1`];
    if (scheme === "sr25519") uris.push(`${phrase}/soft//hard/soft2`, "//Alice/soft");
    for (const uri of uris) {
      expect(toHex(keypairFromSuri(uri, scheme).publicKey)).toBe(toHex(keyring.createFromUri(uri).publicKey));
    }
  });

  it("generates valid mnemonics", () => {
    const phrase = generateMnemonic(24);
    expect(phrase.split(" ")).toHaveLength(24);
    expect(validateMnemonic(phrase)).toBe(true);
    expect(validateMnemonic("bottom drive obey lake curtain smoke basket hold race lonely fit fit")).toBe(false);
  });

  it("rejects malformed URIs with a typed error", () => {
    expect(errorCode(() => keypairFromSuri("not a phrase"))).toBe("SIGNATURE_ERROR_INVALID_SURI");
    expect(errorCode(() => keypairFromSuri(`${"abandon ".repeat(11)}zoo`))).toBe("SIGNATURE_ERROR_INVALID_SURI");
    expect(errorCode(() => keypairFromSuri("0x1234"))).toBe("SIGNATURE_ERROR_INVALID_SURI");
    expect(errorCode(() => keypairFromSuri("//Alice/soft", "ed25519"))).toBe("SIGNATURE_ERROR_INVALID_SURI");
    expect(errorCode(() => keypairFromSeed(new Uint8Array(31)))).toBe("SIGNATURE_ERROR_INVALID_SURI");
  });
});

describe("SS58", () => {
  it("round-trips with prefix 42 by default and checks the prefix", () => {
    const pk = fromHex(ALICE_SR25519);
    expect(ss58Decode(ALICE_SS58, 42)).toEqual(pk);
    const kusama = ss58Encode(pk, 2);
    expect(ss58DecodeWithPrefix(kusama)).toEqual({ publicKey: pk, prefix: 2 });
    expect(errorCode(() => ss58Decode(kusama, 42))).toBe("SIGNATURE_ERROR_SS58_PREFIX_MISMATCH");
  });

  it("rejects bad checksums, garbage and hex", () => {
    const broken = `${ALICE_SS58.slice(0, -1)}Z`;
    expect(errorCode(() => ss58Decode(broken))).toBe("SIGNATURE_ERROR_INVALID_ADDRESS");
    expect(errorCode(() => ss58Decode("hello"))).toBe("SIGNATURE_ERROR_INVALID_ADDRESS");
    expect(errorCode(() => ss58Decode(ALICE_SR25519))).toBe("SIGNATURE_ERROR_INVALID_ADDRESS");
  });
});

describe.each(schemes)("%s signatures", (scheme) => {
  const verify = scheme === "sr25519" ? verifySr25519 : verifyEd25519;
  const message = new TextEncoder().encode("transfer 1 TRAIN to Bob");

  it("sign then verify; util-crypto agrees", () => {
    const pair = keypairFromSuri("//Alice", scheme);
    const sig = sign(pair, message);
    expect(sig).toHaveLength(64);
    expect(verify(sig, message, pair.publicKey)).toBe(true);
    expect(verifySignature(scheme, sig, message, pair.publicKey)).toBe(true);
    expect(verifyMultiSignature({ type: scheme, bytes: sig }, message, pair.publicKey)).toBe(true);
    expect(signatureVerify(message, sig, pair.publicKey)).toMatchObject({ isValid: true, crypto: scheme });
    // And the other way: a signature made by @polkadot/keyring verifies here.
    const krSig = new Keyring({ type: scheme }).createFromUri("//Alice").sign(message);
    expect(verify(krSig, message, pair.publicKey)).toBe(true);
  });

  it("returns false, never throws, for a wrong signature, message or key of the right length", () => {
    const alice = keypairFromSuri("//Alice", scheme);
    const bob = keypairFromSuri("//Bob", scheme);
    const sig = sign(alice, message);
    const flipped = sig.slice();
    flipped[10] ^= 1;
    const otherMessage = message.slice();
    otherMessage[0] ^= 1;
    expect(verify(flipped, message, alice.publicKey)).toBe(false);
    expect(verify(sig, otherMessage, alice.publicKey)).toBe(false);
    expect(verify(sig, message, bob.publicKey)).toBe(false);
    expect(verify(sig, new Uint8Array(0), alice.publicKey)).toBe(false);
    expect(verify(new Uint8Array(64), message, alice.publicKey)).toBe(false);
    expect(verify(new Uint8Array(64).fill(0xff), message, alice.publicKey)).toBe(false);
    expect(verify(sig, message, new Uint8Array(32).fill(0xff))).toBe(false);
    expect(verify(sig, message, new Uint8Array(32))).toBe(false);
    expect(
      verifyMultiSignature(
        { type: scheme === "sr25519" ? "ed25519" : "sr25519", bytes: sig },
        message,
        alice.publicKey,
      ),
    ).toBe(false);
  });

  it("throws a typed error on wrong lengths", () => {
    const pair = keypairFromSuri("//Alice", scheme);
    const sig = sign(pair, message);
    expect(errorCode(() => verify(sig.subarray(0, 63), message, pair.publicKey))).toBe(
      "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH",
    );
    expect(errorCode(() => verify(new Uint8Array(65), message, pair.publicKey))).toBe(
      "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH",
    );
    expect(errorCode(() => verify(sig, message, new Uint8Array(33)))).toBe("SIGNATURE_ERROR_INVALID_PUBLIC_KEY_LENGTH");
  });
});

describe("verifySignature", () => {
  it("rejects an unknown scheme with a typed error", () => {
    const scheme = "ecdsa" as unknown as SignatureScheme;
    expect(errorCode(() => verifySignature(scheme, new Uint8Array(64), new Uint8Array(0), new Uint8Array(32)))).toBe(
      "SIGNATURE_ERROR_UNKNOWN_SCHEME",
    );
  });
});

describe("ecdsa", () => {
  it("verifies Substrate ecdsa signatures against the compressed public key", () => {
    const pair = new Keyring({ type: "ecdsa" }).createFromUri("//Alice");
    const message = new TextEncoder().encode("hello");
    const sig = pair.sign(message);
    expect(pair.publicKey).toHaveLength(33);
    expect(verifyEcdsa(sig, message, pair.publicKey)).toBe(true);
    expect(verifyEcdsa(sig, new TextEncoder().encode("hellO"), pair.publicKey)).toBe(false);
    expect(verifyEcdsa(new Uint8Array(65).fill(0xff), message, pair.publicKey)).toBe(false);
    expect(errorCode(() => verifyEcdsa(sig.subarray(0, 64), message, pair.publicKey))).toBe(
      "SIGNATURE_ERROR_INVALID_SIGNATURE_LENGTH",
    );
  });
});
