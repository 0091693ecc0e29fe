/**
 * A file keystore in Substrate's layout: one file per key under `<base>/chains/<id>/keystore`, named
 * `hex(key type) ++ hex(public key)`, holding the secret URI as a JSON string, readable by the owner
 * only (0600). `--dev` nodes also answer for the well-known dev keys without storing them.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type KeyPair, keypairFromSuri, type SignatureScheme } from "../primitives/crypto/index.js";
import { TensorchainError } from "../primitives/errors.js";
import { bytesEqual, toHex } from "../primitives/hex.js";

export type KeystoreErrorType =
  | { code: "KEYSTORE_ERROR_BAD_KEY_TYPE"; keyType: string }
  | { code: "KEYSTORE_ERROR_PUBLIC_KEY_MISMATCH"; expected: string; actual: string }
  | { code: "KEYSTORE_ERROR_BAD_SURI"; reason: string };
export class KeystoreError extends TensorchainError<KeystoreErrorType> {}

/** Key types and their schemes: block production (sr25519), finality (ed25519), workers (sr25519). */
export const KEY_TYPE_SCHEMES: Record<string, SignatureScheme> = {
  aura: "sr25519",
  babe: "sr25519",
  gran: "ed25519",
  work: "sr25519",
  acco: "sr25519",
};

export class Keystore {
  private readonly memory = new Map<string, KeyPair>();

  constructor(private readonly dir: string | undefined) {
    if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private static fileName(keyType: string, publicKey: Uint8Array): string {
    return Buffer.from(keyType, "latin1").toString("hex") + Buffer.from(publicKey).toString("hex");
  }

  private static checkKeyType(keyType: string): SignatureScheme {
    const scheme = KEY_TYPE_SCHEMES[keyType];
    if (keyType.length !== 4 || !scheme)
      throw new KeystoreError({ code: "KEYSTORE_ERROR_BAD_KEY_TYPE", keyType }, `Unknown key type "${keyType}"`);
    return scheme;
  }

  /** `author_insertKey`: stores `suri` under `keyType`; `publicKey` must be the key it derives. */
  insert(keyType: string, suri: string, publicKey: Uint8Array): void {
    const scheme = Keystore.checkKeyType(keyType);
    let pair: KeyPair;
    try {
      pair = keypairFromSuri(suri, scheme);
    } catch (err) {
      throw new KeystoreError(
        { code: "KEYSTORE_ERROR_BAD_SURI", reason: (err as Error).message },
        `Invalid secret URI: ${(err as Error).message}`,
      );
    }
    if (!bytesEqual(pair.publicKey, publicKey))
      throw new KeystoreError({
        code: "KEYSTORE_ERROR_PUBLIC_KEY_MISMATCH",
        expected: toHex(publicKey),
        actual: toHex(pair.publicKey),
      });
    const name = Keystore.fileName(keyType, publicKey);
    this.memory.set(name, pair);
    if (!this.dir) return;
    const path = join(this.dir, name);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(suri), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  }

  /** Generates, stores and returns a new key of `keyType` (`author_rotateKeys`). */
  generate(keyType: string, suri: string): KeyPair {
    const pair = keypairFromSuri(suri, Keystore.checkKeyType(keyType));
    this.insert(keyType, suri, pair.publicKey);
    return pair;
  }

  has(keyType: string, publicKey: Uint8Array): boolean {
    return this.get(keyType, publicKey) !== undefined;
  }

  get(keyType: string, publicKey: Uint8Array): KeyPair | undefined {
    const name = Keystore.fileName(keyType, publicKey);
    const cached = this.memory.get(name);
    if (cached) return cached;
    if (!this.dir) return undefined;
    const path = join(this.dir, name);
    if (!existsSync(path)) return undefined;
    const pair = keypairFromSuri(JSON.parse(readFileSync(path, "utf8")) as string, Keystore.checkKeyType(keyType));
    this.memory.set(name, pair);
    return pair;
  }

  /** Public keys held for `keyType`. */
  publicKeys(keyType: string): Uint8Array[] {
    const prefix = Buffer.from(keyType, "latin1").toString("hex");
    const names = new Set<string>([...this.memory.keys()]);
    if (this.dir) for (const f of readdirSync(this.dir)) if (!f.endsWith(".tmp")) names.add(f);
    return [...names]
      .filter((n) => n.startsWith(prefix) && n.length === 8 + 64)
      .map((n) => new Uint8Array(Buffer.from(n.slice(8), "hex")));
  }
}
