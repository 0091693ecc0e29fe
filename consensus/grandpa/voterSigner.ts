import { type KeyPair, sign } from "../../primitives/crypto/index.js";

export interface VoterSigner {
  /** ed25519 public key. */
  publicKey: Uint8Array;
  sign(payload: Uint8Array): Uint8Array;
}

export function keyPairSigner(key: KeyPair): VoterSigner {
  if (key.scheme !== "ed25519") throw new TypeError("GRANDPA voters sign with ed25519 keys");
  return { publicKey: key.publicKey, sign: (m) => sign(key, m) };
}
