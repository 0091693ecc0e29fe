import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { base58Encode, ed25519PairFromSeed } from "@polkadot/util-crypto";
import { P2pError } from "../../../p2p/errors.js";
import {
  devNodeKey,
  loadOrCreateNodeKeyFile,
  parseNodeKey,
  peerIdFromNodeKey,
  resolveNodeKey,
} from "../../../p2p/nodeKey.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { thrownCode } from "../../helpers/errors.js";

const SEQ_KEY = new Uint8Array(32).map((_, i) => i);

/** The libp2p peer id of an ed25519 public key, built by hand: identity multihash of the protobuf key. */
function peerIdByHand(publicKey: Uint8Array): string {
  const protobufKey = new Uint8Array([0x08, 0x01, 0x12, 0x20, ...publicKey]);
  return base58Encode(new Uint8Array([0x00, protobufKey.length, ...protobufKey]));
}

let dir: string;
beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "p2p-nodekey-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("node keys", () => {
  it("gives a fixed peer id for a fixed secret", async () => {
    // Pinned once; the same secret must give the same id on every machine and every release.
    expect((await peerIdFromNodeKey(SEQ_KEY)).toString()).toBe("12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB");
    // And it agrees with an id computed independently from the ed25519 public key.
    expect(peerIdByHand(ed25519PairFromSeed(SEQ_KEY).publicKey)).toBe(
      "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB",
    );
  });

  it("derives dev node keys from seed strings with blake2-256", async () => {
    const alice = devNodeKey("//Alice");
    expect(toHex(alice)).toBe("0xd5ff0f426a579f700c533c2b29d3e8387bc9a47d40e2638013edd8b8c2feba1f");
    expect((await peerIdFromNodeKey(alice)).toString()).toBe("12D3KooWJSPAW4XzxnyjwQNyFbFYMNJvdBx3K58uGzzz36VAbpJJ");
    expect((await peerIdFromNodeKey(devNodeKey("//Bob"))).toString()).toBe(
      "12D3KooWAhZ4VZR8sdxVTBsFf8biTNXFGt1pt3rSAP7d5FsBg5bR",
    );
  });

  it("parses --node-key hex with or without 0x and refuses anything else", () => {
    const hex = Buffer.from(SEQ_KEY).toString("hex");
    expect(parseNodeKey(hex)).toEqual(SEQ_KEY);
    expect(parseNodeKey(`0x${hex}`)).toEqual(SEQ_KEY);
    for (const bad of ["", "0x12", `${hex}00`, "zz".repeat(32)]) {
      expect(() => parseNodeKey(bad)).toThrow(P2pError);
    }
    expect(thrownCode(() => parseNodeKey("0x12"), P2pError)).toBe("P2P_ERROR_INVALID_NODE_KEY");
  });

  it("creates a missing node-key file with mode 0600 and reuses it", async () => {
    const path = join(dir, "chains", "dev", "network", "secret_ed25519");
    const first = loadOrCreateNodeKeyFile(path);
    expect(first.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(new Uint8Array(readFileSync(path))).toEqual(first);
    const again = loadOrCreateNodeKeyFile(path);
    expect(again).toEqual(first);
    expect((await peerIdFromNodeKey(again)).toString()).toBe((await peerIdFromNodeKey(first)).toString());
  });

  it("reads a node-key file holding hex, and refuses a file holding neither hex nor 32 bytes", () => {
    const hexPath = join(dir, "hex-key");
    writeFileSync(hexPath, `${Buffer.from(SEQ_KEY).toString("hex")}\n`);
    expect(loadOrCreateNodeKeyFile(hexPath)).toEqual(SEQ_KEY);
    const badPath = join(dir, "bad-key");
    writeFileSync(badPath, "not a key");
    expect(() => loadOrCreateNodeKeyFile(badPath)).toThrow(P2pError);
  });

  it("resolves flags in Substrate's order", () => {
    const hex = Buffer.from(SEQ_KEY).toString("hex");
    const file = join(dir, "resolve-key");
    expect(resolveNodeKey({ nodeKey: hex, nodeKeyFile: file })).toEqual({ key: SEQ_KEY, source: "flag" });
    const fromFile = resolveNodeKey({ nodeKeyFile: file, defaultNodeKeyFile: join(dir, "unused") });
    expect(fromFile.source).toBe("file");
    expect(resolveNodeKey({ nodeKeyFile: file }).key).toEqual(fromFile.key);
    expect(resolveNodeKey({ defaultNodeKeyFile: join(dir, "default-key") }).source).toBe("default-file");
    const a = resolveNodeKey({});
    expect(a.source).toBe("ephemeral");
    expect(resolveNodeKey({}).key).not.toEqual(a.key);
  });
});
