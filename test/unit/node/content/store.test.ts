/**
 * The content store on real parts: Helia over LevelDB in a temporary directory, and two libp2p nodes
 * on 127.0.0.1 (built from the p2p module's own options) moving a file over bitswap.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Libp2p } from "@libp2p/interface";
import { createLibp2p } from "libp2p";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { ContentError, type ContentErrorCode } from "../../../../node/content/errors.js";
import { HeliaContentStore } from "../../../../node/content/store.js";
import { buildLibp2pOptions } from "../../../../p2p/libp2pOptions.js";
import { generateNodeKey, privateKeyFromNodeKey } from "../../../../p2p/nodeKey.js";
import { withP2pDefaults } from "../../../../p2p/options.js";
import { PeerScoreStore } from "../../../../p2p/peerScore.js";

const MiB = 1024 * 1024;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tensorchain-content-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectContentError(p: Promise<unknown>, code: ContentErrorCode): Promise<ContentError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContentError);
  expect((err as ContentError).code).toBe(code);
  return err as ContentError;
}

/** A CIDv1 of bytes nobody stored. */
async function unknownCid(): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(randomBytes(32))).toString();
}

describe("HeliaContentStore (offline, LevelDB)", () => {
  let store: HeliaContentStore;

  beforeAll(async () => {
    store = await HeliaContentStore.create({ directory: join(dir, "offline") });
  });
  afterAll(() => store.stop());

  it("adds and gets bytes back; a one-chunk file is a raw-leaf CIDv1 of its sha2-256", async () => {
    const bytes = new TextEncoder().encode("hello tensorchain");
    const cid = await store.add(bytes);
    const expected = CID.createV1(raw.code, await sha256.digest(bytes)).toString();
    expect(cid).toBe(expected);
    expect(cid.startsWith("bafk")).toBe(true);
    expect(await store.get(cid)).toEqual(bytes);
  });

  it("gives the same CID for the same bytes, another for other bytes", async () => {
    const bytes = randomBytes(3 * MiB + 17);
    const a = await store.add(bytes);
    const b = await store.add(Uint8Array.from(bytes));
    expect(a).toBe(b);
    expect(a.startsWith("bafy")).toBe(true); // several 1 MiB raw leaves under a dag-pb root
    bytes[0] ^= 1;
    expect(await store.add(bytes)).not.toBe(a);
  });

  it("stores an empty file", async () => {
    const cid = await store.add(new Uint8Array(0));
    expect(await store.get(cid)).toEqual(new Uint8Array(0));
    expect(await store.has(cid)).toBe(true);
  });

  it("round-trips a multi-chunk file exactly and reads ranges of it", async () => {
    const bytes = randomBytes(5 * MiB + 123);
    const cid = await store.add(bytes);
    expect(Buffer.from(await store.get(cid)).equals(bytes)).toBe(true);
    expect(await store.size(cid)).toBe(bytes.length);
    const range = await store.read(cid, { offset: MiB - 10, length: 2 * MiB });
    expect(range.size).toBe(bytes.length);
    expect(Buffer.from(range.bytes).equals(bytes.subarray(MiB - 10, 3 * MiB - 10))).toBe(true);
    const tail = await store.read(cid, { offset: bytes.length - 5, length: 100 });
    expect(Buffer.from(tail.bytes).equals(bytes.subarray(bytes.length - 5))).toBe(true);
    expect((await store.read(cid, { offset: bytes.length + 10 })).bytes.length).toBe(0);
  });

  it("has: true for added content, false for unknown content", async () => {
    const cid = await store.add(randomBytes(2 * MiB));
    expect(await store.has(cid)).toBe(true);
    expect(await store.has(await unknownCid())).toBe(false);
  });

  it("pins on add; unpin releases it and gc then deletes its blocks; pin and unpin are idempotent", async () => {
    const bytes = randomBytes(2 * MiB + 1);
    const cid = await store.add(bytes);
    const kept = await store.add(randomBytes(1000));
    expect(await store.isPinned(cid)).toBe(true);
    await store.pin(cid); // already pinned: no-op
    expect(await store.isPinned(cid)).toBe(true);

    await store.unpin(cid);
    expect(await store.isPinned(cid)).toBe(false);
    await store.unpin(cid); // not pinned: no-op
    expect(await store.has(cid)).toBe(true); // unpinned blocks stay until gc

    expect(await store.gc()).toBeGreaterThanOrEqual(3); // the root and its 3 leaves
    expect(await store.has(cid)).toBe(false);
    await expectContentError(store.get(cid), "CONTENT_ERROR_NOT_FOUND");
    expect(await store.get(kept)).toHaveLength(1000); // still pinned, kept by gc

    // Adding again restores and re-pins.
    expect(await store.add(bytes)).toBe(cid);
    expect(await store.isPinned(cid)).toBe(true);
  });

  it("counts holders: a CID stays pinned until the last holder lets go", async () => {
    const bytes = randomBytes(3000);
    const cid = await store.add(bytes); // the client's upload: holder "user"
    await store.pin(cid, { holder: "job:7" });
    await store.pin(cid, { holder: "job:8" });
    await store.pin(cid, { holder: "job:8" }); // twice by one holder: still one hold
    expect(await store.holders(cid)).toEqual(["job:7", "job:8", "user"]);
    expect((await store.holdings("job:8")).filter((h) => h.cid === cid)).toEqual([{ cid, holder: "job:8" }]);

    await store.unpin(cid, { holder: "job:7" });
    await store.unpin(cid, { holder: "job:8" });
    expect(await store.isPinned(cid)).toBe(true); // the user's hold remains
    await store.gc();
    expect(await store.get(cid)).toEqual(bytes);

    await store.unpin(cid); // the user lets go: nobody holds it
    expect(await store.holders(cid)).toEqual([]);
    expect(await store.isPinned(cid)).toBe(false);
    await store.gc();
    expect(await store.has(cid)).toBe(false);
  });

  it("pin with maxBytes refuses a larger file and records no hold", async () => {
    const cid = await store.add(randomBytes(5000));
    await expectContentError(store.pin(cid, { holder: "job:9", maxBytes: 4999 }), "CONTENT_ERROR_TOO_LARGE");
    expect(await store.holders(cid)).toEqual(["user"]);
  });

  it("gc never takes content being added or pinned at the same time", async () => {
    const payloads = Array.from({ length: 12 }, (_, i) => randomBytes(MiB + i * 1000));
    const adds = payloads.map((p, i) => store.add(p, { holder: `job:${100 + i}` }));
    const sweeps = [store.gc(), store.gc()];
    const cids = await Promise.all(adds);
    await Promise.all(sweeps);
    await store.gc();
    for (const [i, cid] of cids.entries()) {
      expect(await store.has(cid)).toBe(true);
      expect(Buffer.from(await store.get(cid)).equals(payloads[i])).toBe(true);
      await store.unpin(cid, { holder: `job:${100 + i}` });
    }
  });

  it("refuses strings that are not CIDv1", async () => {
    for (const bad of ["", "not-a-cid", "bafy!!!", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "x".repeat(300)]) {
      const err = await expectContentError(store.get(bad), "CONTENT_ERROR_INVALID_CID");
      expect(err.type).toMatchObject({ code: "CONTENT_ERROR_INVALID_CID" });
      await expectContentError(store.has(bad), "CONTENT_ERROR_INVALID_CID");
      await expectContentError(store.pin(bad), "CONTENT_ERROR_INVALID_CID");
    }
    expect(() => store.toBytes("nope")).toThrow(ContentError);
  });

  it("refuses a CID that is not a UnixFS file (dag-cbor)", async () => {
    const cbor = CID.createV1(0x71, await sha256.digest(randomBytes(8))).toString();
    await expectContentError(store.get(cbor), "CONTENT_ERROR_NOT_A_FILE");
  });

  it("answers NOT_FOUND at once for unknown content when offline", async () => {
    const started = Date.now();
    const err = await expectContentError(
      store.get(await unknownCid(), { timeoutMs: 10_000 }),
      "CONTENT_ERROR_NOT_FOUND",
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.message).toMatch(/offline/);
  });

  it("caps the size of a get", async () => {
    const bytes = randomBytes(3 * MiB);
    const cid = await store.add(bytes);
    const err = await expectContentError(store.get(cid, { maxBytes: 3 * MiB - 1 }), "CONTENT_ERROR_TOO_LARGE");
    expect(err.type).toMatchObject({ size: 3 * MiB, limit: 3 * MiB - 1 });
    expect(await store.get(cid, { maxBytes: 3 * MiB })).toHaveLength(3 * MiB);
    const small = await store.add(randomBytes(100));
    await expectContentError(store.get(small, { maxBytes: 99 }), "CONTENT_ERROR_TOO_LARGE");
  });

  it("converts CIDs to their binary form and back", async () => {
    const cid = await store.add(randomBytes(10));
    const bytes = store.toBytes(cid);
    expect(bytes).toEqual(CID.parse(cid).bytes);
    expect(store.fromBytes(bytes)).toBe(cid);
    expect(() => store.fromBytes(new Uint8Array([1, 2, 3]))).toThrow(ContentError);
  });
});

describe("HeliaContentStore persistence", () => {
  it("keeps content and pins across a restart on the same directory", async () => {
    const directory = join(dir, "persist");
    const bytes = randomBytes(2 * MiB + 5);
    const first = await HeliaContentStore.create({ directory });
    const cid = await first.add(bytes);
    const unpinned = await first.add(randomBytes(64));
    await first.unpin(unpinned);
    await first.stop();
    await expectContentError(first.get(cid), "CONTENT_ERROR_NOT_STARTED");

    const second = await HeliaContentStore.create({ directory });
    try {
      expect(await second.has(cid)).toBe(true);
      expect(Buffer.from(await second.get(cid)).equals(bytes)).toBe(true);
      expect(await second.isPinned(cid)).toBe(true);
      expect(await second.isPinned(unpinned)).toBe(false);
      expect(await second.holders(cid)).toEqual(["user"]);
    } finally {
      await second.stop();
    }
  });

  it("works in memory without a directory", async () => {
    const store = await HeliaContentStore.create({});
    try {
      const cid = await store.add(new Uint8Array([1, 2, 3]));
      expect(await store.get(cid)).toEqual(new Uint8Array([1, 2, 3]));
    } finally {
      await store.stop();
    }
  });
});

describe("HeliaContentStore over libp2p (bitswap)", () => {
  const genesisHash = new Uint8Array(32).fill(7);
  let nodes: Libp2p[];
  let stores: HeliaContentStore[];

  async function libp2pNode(): Promise<Libp2p> {
    const opts = withP2pDefaults({ listenAddrs: ["/ip4/127.0.0.1/tcp/0"], enableDht: false });
    const scores = PeerScoreStore.fromP2pOptions(opts);
    const privateKey = await privateKeyFromNodeKey(generateNodeKey());
    const node = await createLibp2p(buildLibp2pOptions(opts, { privateKey, genesisHash, scores }));
    await node.start();
    return node;
  }

  beforeAll(async () => {
    nodes = [await libp2pNode(), await libp2pNode(), await libp2pNode()];
    stores = await Promise.all(
      nodes.map((libp2p, i) => HeliaContentStore.create({ directory: join(dir, `net-${i}`) }, { libp2p })),
    );
    // 0 and 1 connected; 2 stays alone.
    await nodes[1].dial(nodes[0].getMultiaddrs()[0]);
  });
  afterAll(async () => {
    for (const s of stores) await s.stop();
    for (const n of nodes) await n.stop();
  });

  it("fetches a multi-MB file from a connected peer, then has it locally", async () => {
    const bytes = randomBytes(6 * MiB + 3);
    const cid = await stores[0].add(bytes);
    expect(await stores[1].has(cid)).toBe(false);
    const got = await stores[1].get(cid, { timeoutMs: 20_000 });
    expect(Buffer.from(got).equals(bytes)).toBe(true);
    expect(await stores[1].has(cid)).toBe(true);
    // A range read from a peer fetches only what it needs.
    const other = randomBytes(3 * MiB);
    const otherCid = await stores[0].add(other);
    const range = await stores[1].read(otherCid, { offset: 2 * MiB, length: 10, timeoutMs: 20_000 });
    expect(Buffer.from(range.bytes).equals(other.subarray(2 * MiB, 2 * MiB + 10))).toBe(true);
    expect(await stores[1].has(otherCid)).toBe(false);
  });

  it("pins remote content by fetching all its blocks", async () => {
    const bytes = randomBytes(2 * MiB + 9);
    const cid = await stores[0].add(bytes);
    await stores[1].pin(cid, { timeoutMs: 20_000 });
    expect(await stores[1].isPinned(cid)).toBe(true);
    expect(await stores[1].has(cid)).toBe(true);
  });

  it("times out with NOT_FOUND when no peer has the content", async () => {
    const started = Date.now();
    const err = await expectContentError(
      stores[1].get(await unknownCid(), { timeoutMs: 500 }),
      "CONTENT_ERROR_NOT_FOUND",
    );
    expect(err.type).toMatchObject({ timeoutMs: 500 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(5_000);
    // A node with no connection to the holder does not find it either.
    const cid = await stores[0].add(randomBytes(100));
    await expectContentError(stores[2].get(cid, { timeoutMs: 300 }), "CONTENT_ERROR_NOT_FOUND");
  });

  it("caps the size of a remote get before fetching the leaves", async () => {
    const cid = await stores[0].add(randomBytes(4 * MiB));
    await expectContentError(stores[1].get(cid, { maxBytes: MiB, timeoutMs: 20_000 }), "CONTENT_ERROR_TOO_LARGE");
    expect(await stores[1].has(cid)).toBe(false);
  });
});
