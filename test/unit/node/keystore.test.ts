import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { Keystore, KeystoreError } from "../../../node/keystore.js";
import { keypairFromSuri } from "../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";

beforeAll(async () => {
  await cryptoReady();
});

describe("file keystore", () => {
  it("stores keys in Substrate's layout with mode 0600 and finds them after a restart", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tc-ks-")), "keystore");
    const pair = keypairFromSuri("//Alice");
    new Keystore(dir).insert("aura", "//Alice", pair.publicKey);
    const [file] = readdirSync(dir);
    expect(file).toBe(`61757261${Buffer.from(pair.publicKey).toString("hex")}`);
    expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    const reopened = new Keystore(dir);
    expect(reopened.has("aura", pair.publicKey)).toBe(true);
    expect(reopened.publicKeys("aura")).toEqual([pair.publicKey]);
  });

  it("refuses a public key that the secret does not derive, and unknown key types", () => {
    const ks = new Keystore(undefined);
    expect(() => ks.insert("aura", "//Alice", keypairFromSuri("//Bob").publicKey)).toThrow(KeystoreError);
    expect(() => ks.insert("zzzz", "//Alice", keypairFromSuri("//Alice").publicKey)).toThrow(KeystoreError);
    expect(ks.publicKeys("aura")).toEqual([]);
  });

  it("uses ed25519 for finality keys", () => {
    const ks = new Keystore(undefined);
    const ed = keypairFromSuri("//Alice", "ed25519");
    ks.insert("gran", "//Alice", ed.publicKey);
    expect(ks.get("gran", ed.publicKey)?.scheme).toBe("ed25519");
  });
});
