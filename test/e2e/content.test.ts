/**
 * The content store end to end, on real `tensorchain` processes: two validators of the `local` spec
 * (//Alice, //Bob) on 127.0.0.1. A client uploads a multi-MB file to Alice's node in chunks over RPC;
 * Bob's node fetches it from Alice over bitswap (on the same libp2p host as the chain) and serves it
 * to a client byte for byte. Bad input gets coded RPC errors. A `--dev` node (no network) adds and
 * serves content too.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { ContentRpcError, downloadContent, rpcRequest, uploadContent } from "../../node/content/rpcClient.js";
import { cryptoReady } from "../../primitives/hashing.js";
import {
  devNodeSpec,
  type NetworkNodeSpec,
  networkNodeArgs,
  type RunningNode,
  startNetwork,
  startNode,
  waitFor,
} from "../helpers/node.js";

const MiB = 1024 * 1024;
let dir: string;
let alice: RunningNode;
let bob: RunningNode;
let bobSpec: NetworkNodeSpec;
let specs: NetworkNodeSpec[];
/** Content Bob pinned from Alice (kept across Bob's restart). */
let pinnedOnBob: { cid: string; bytes: Uint8Array };

async function rpcError(node: RunningNode, method: string, params: unknown[]): Promise<ContentRpcError> {
  const err = await rpcRequest(node.httpUrl, method, params).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContentRpcError);
  return err as ContentRpcError;
}

/** A CIDv1 of bytes nobody stored. */
async function unknownCid(): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(randomBytes(32))).toString();
}

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-content-e2e-"));
  specs = await Promise.all(["Alice", "Bob"].map((name) => devNodeSpec(name, dir)));
  [alice, bob] = await startNetwork(specs, { chain: "local" });
  bobSpec = specs[1];
  await waitFor(
    async () => {
      const health = await Promise.all(
        [alice, bob].map((n) => rpcRequest<{ peers: number }>(n.httpUrl, "system_health", [])),
      );
      return health.every((h) => h.peers === 1) || undefined;
    },
    30_000,
    "Alice and Bob connected",
  );
}, 90_000);

afterAll(async () => {
  await Promise.all([alice, bob].filter(Boolean).map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe("content over two validators", () => {
  it("uploads 9 MB to Alice in chunks and downloads it from Bob (bitswap), byte for byte", async () => {
    const bytes = randomBytes(9 * MiB + 4321);
    const cid = await uploadContent(alice.url, bytes);
    expect(cid).toMatch(/^bafy[a-z2-7]+$/);
    expect(await rpcRequest(alice.httpUrl, "content_has", [cid])).toBe(true);
    expect(await rpcRequest(bob.httpUrl, "content_has", [cid])).toBe(false);

    const started = Date.now();
    const got = await downloadContent(bob.httpUrl, cid, { timeoutMs: 30_000 });
    const ms = Date.now() - started;
    expect(got.length).toBe(bytes.length);
    expect(Buffer.from(got).equals(bytes)).toBe(true);
    expect(await rpcRequest(bob.httpUrl, "content_has", [cid])).toBe(true);
    // Recorded for the report; generous bound for a shared 2-core machine.
    expect(ms).toBeLessThan(30_000);

    // Same bytes uploaded to Bob: same CID, nothing new to fetch.
    expect(await uploadContent(bob.url, bytes)).toBe(cid);
  }, 90_000);

  it("pins remote content on Bob by fetching it from Alice", async () => {
    const bytes = randomBytes(2 * MiB + 7);
    const cid = await uploadContent(alice.httpUrl, bytes);
    expect(await rpcRequest(bob.httpUrl, "content_pin", [cid, 20_000])).toBeNull();
    expect(await rpcRequest(bob.httpUrl, "content_has", [cid])).toBe(true);
    pinnedOnBob = { cid, bytes };
  }, 60_000);

  it("announces local content on request (a test set made public by its reveal)", async () => {
    const cid = await uploadContent(alice.httpUrl, randomBytes(900), { announce: false });
    expect(await rpcRequest(alice.httpUrl, "content_provide", [cid, 20_000])).toBe(true);
  }, 60_000);

  it("answers bad input with clear RPC errors", async () => {
    let err = await rpcError(bob, "content_get", ["definitely-not-a-cid"]);
    expect(err.rpcCode).toBe(7001);
    expect(err.contentCode).toBe("CONTENT_ERROR_INVALID_CID");

    err = await rpcError(alice, "content_uploadChunk", ["0123456789abcdef", 0, "0x00"]);
    expect(err.rpcCode).toBe(7005);
    expect(err.contentCode).toBe("CONTENT_ERROR_UNKNOWN_UPLOAD");

    const { uploadId, maxChunkBytes } = await rpcRequest<{ uploadId: string; maxChunkBytes: number }>(
      alice.httpUrl,
      "content_uploadBegin",
      [10 * MiB],
    );
    expect(maxChunkBytes).toBe(4 * MiB);
    err = await rpcError(alice, "content_uploadChunk", [uploadId, 0, `0x${"ab".repeat(maxChunkBytes + 1)}`]);
    expect(err.rpcCode).toBe(7006);
    expect(err.data).toMatchObject({ code: "CONTENT_ERROR_CHUNK_TOO_LARGE", limit: maxChunkBytes });
    expect(await rpcRequest(alice.httpUrl, "content_uploadAbort", [uploadId])).toBe(true);

    // Unknown content: NOT_FOUND once the deadline passes (Alice does not have it either).
    err = await rpcError(bob, "content_get", [await unknownCid(), 0, 100, 1_000]);
    expect(err.rpcCode).toBe(7002);
    expect(err.contentCode).toBe("CONTENT_ERROR_NOT_FOUND");
  }, 60_000);

  it("shuts down cleanly; restarted, Bob still has what it pinned (LevelDB under its base path)", async () => {
    expect(await bob.stop("SIGTERM")).toBe(0);
    expect(bob.output()).toMatch(/Shut down/);
    await alice.stop("SIGTERM"); // Bob must serve it from its own disk
    bob = await startNode(networkNodeArgs(bobSpec, specs, "local"));
    expect(await rpcRequest(bob.httpUrl, "content_has", [pinnedOnBob.cid])).toBe(true);
    const got = await downloadContent(bob.httpUrl, pinnedOnBob.cid, { timeoutMs: 2_000 });
    expect(Buffer.from(got).equals(pinnedOnBob.bytes)).toBe(true);
    expect(await bob.stop("SIGTERM")).toBe(0);
  }, 60_000);
});

describe("content on a --dev node", () => {
  it("adds and serves content without networking", async () => {
    const node = await startNode(["--dev", "--tmp"]);
    try {
      const bytes = randomBytes(5 * MiB + 1);
      const cid = await uploadContent(node.url, bytes);
      expect(Buffer.from(await downloadContent(node.httpUrl, cid)).equals(bytes)).toBe(true);
      const err = await rpcError(node, "content_get", [await unknownCid()]);
      expect(err.contentCode).toBe("CONTENT_ERROR_NOT_FOUND");
    } finally {
      expect(await node.stop()).toBe(0);
    }
  }, 60_000);
});
