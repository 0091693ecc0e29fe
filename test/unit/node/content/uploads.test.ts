/**
 * Chunked uploads (limits, order, retries, expiry) and the `content_*` RPC methods with the client
 * helpers, on a real RPC server on 127.0.0.1 and an offline LevelDB-less (memory) Helia store.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { ContentError } from "../../../../node/content/errors.js";
import {
  ContentRpcError,
  downloadContent,
  httpRpcUrl,
  rpcRequest,
  uploadContent,
} from "../../../../node/content/rpcClient.js";
import { HeliaContentStore } from "../../../../node/content/store.js";
import { ChunkedUploads } from "../../../../node/content/uploads.js";
import { contentMethods } from "../../../../node/rpc/methods/content.js";
import type { RpcServer } from "../../../../node/rpc/server/index.js";
import { thrownCode } from "../../../helpers/errors.js";
import { startServer } from "../rpc/helpers.js";

const MiB = 1024 * 1024;

const contentCode = (fn: () => unknown) => thrownCode(fn, ContentError);

describe("ChunkedUploads", () => {
  const added: Uint8Array[] = [];
  const announced: (boolean | undefined)[] = [];
  const store = {
    add: async (bytes: Uint8Array, opts?: { announce?: boolean }) => {
      added.push(bytes);
      announced.push(opts?.announce);
      return `cid-${added.length}`;
    },
  };
  let now = 0;
  const make = () =>
    new ChunkedUploads(
      { maxChunkBytes: 10, maxUploadBytes: 100, maxOpenUploads: 2, maxOpenBytes: 150, idleTimeoutMs: 1_000 },
      { store, now: () => now },
    );

  it("assembles in-order chunks and adds them on finish", async () => {
    const u = make();
    const id = u.begin(25);
    expect(u.chunk(id, 0, new Uint8Array(10).fill(1))).toBe(10);
    expect(u.chunk(id, 10, new Uint8Array(10).fill(2))).toBe(20);
    expect(u.chunk(id, 10, new Uint8Array(10).fill(2))).toBe(20); // a retry of the last chunk: no-op
    expect(u.chunk(id, 20, new Uint8Array(5).fill(3))).toBe(25);
    expect(await u.finish(id)).toBe(`cid-${added.length}`);
    const bytes = added[added.length - 1];
    expect([...bytes.subarray(8, 12), ...bytes.subarray(18, 22)]).toEqual([1, 1, 2, 2, 2, 2, 3, 3]);
    expect(u.status()).toEqual({ open: 0, openBytes: 0 });
    expect(contentCode(() => u.chunk(id, 25, new Uint8Array(1)))).toBe("CONTENT_ERROR_UNKNOWN_UPLOAD");
  });

  it("keeps a hidden upload (a test set) out of the DHT, and announces others", async () => {
    const u = make();
    const hidden = u.begin(3, false);
    u.chunk(hidden, 0, new Uint8Array(3));
    await u.finish(hidden);
    const open = u.begin(3);
    u.chunk(open, 0, new Uint8Array(3));
    await u.finish(open);
    expect(announced.slice(-2)).toEqual([false, true]);
  });

  it("refuses oversized chunks, out-of-order chunks, overruns and early finishes", async () => {
    const u = make();
    const id = u.begin(20);
    expect(contentCode(() => u.chunk(id, 0, new Uint8Array(11)))).toBe("CONTENT_ERROR_CHUNK_TOO_LARGE");
    expect(contentCode(() => u.chunk(id, 5, new Uint8Array(5)))).toBe("CONTENT_ERROR_BAD_CHUNK");
    u.chunk(id, 0, new Uint8Array(10));
    expect(contentCode(() => u.chunk(id, 0, new Uint8Array(10).fill(9)))).toBeUndefined(); // same offset+length: retry
    expect(contentCode(() => u.chunk(id, 0, new Uint8Array(5)))).toBe("CONTENT_ERROR_BAD_CHUNK");
    u.chunk(id, 10, new Uint8Array(5));
    expect(contentCode(() => u.chunk(id, 15, new Uint8Array(6)))).toBe("CONTENT_ERROR_BAD_CHUNK"); // past 20
    await expect(u.finish(id)).rejects.toMatchObject({
      type: { code: "CONTENT_ERROR_UPLOAD_INCOMPLETE", received: 15, size: 20 },
    });
    expect(contentCode(() => u.chunk("nope", 0, new Uint8Array(1)))).toBe("CONTENT_ERROR_UNKNOWN_UPLOAD");
  });

  it("limits declared sizes, open uploads and open bytes", () => {
    const u = make();
    for (const bad of [-1, 1.5, 101, Number.NaN])
      expect(contentCode(() => u.begin(bad))).toBe("CONTENT_ERROR_UPLOAD_TOO_LARGE");
    const a = u.begin(100);
    expect(contentCode(() => u.begin(60))).toBe("CONTENT_ERROR_TOO_MANY_UPLOADS"); // 160 > 150 bytes
    const b = u.begin(50);
    expect(contentCode(() => u.begin(0))).toBe("CONTENT_ERROR_TOO_MANY_UPLOADS"); // 2 open
    expect(u.abort(a)).toBe(true);
    expect(u.abort(a)).toBe(false);
    expect(u.status()).toEqual({ open: 1, openBytes: 50 });
    u.abort(b);
  });

  it("drops uploads idle for longer than the timeout", () => {
    const u = make();
    now = 10_000;
    const idle = u.begin(10);
    const busy = u.begin(10);
    now = 10_600;
    u.chunk(busy, 0, new Uint8Array(3));
    now = 11_000;
    expect(u.sweep()).toBe(1);
    expect(contentCode(() => u.chunk(idle, 0, new Uint8Array(1)))).toBe("CONTENT_ERROR_UNKNOWN_UPLOAD");
    expect(u.chunk(busy, 3, new Uint8Array(1))).toBe(4);
    u.stop();
    expect(u.status()).toEqual({ open: 0, openBytes: 0 });
  });
});

describe("content_* RPC and the client helpers", () => {
  let store: HeliaContentStore;
  let uploads: ChunkedUploads;
  let server: RpcServer;
  let httpUrl: string;
  let wsUrl: string;

  beforeAll(async () => {
    store = await HeliaContentStore.create({});
    uploads = new ChunkedUploads({ maxChunkBytes: MiB, maxUploadBytes: 32 * MiB }, { store });
    const started = await startServer();
    server = started.server;
    httpUrl = started.httpUrl;
    wsUrl = started.url;
    for (const def of contentMethods({ store, uploads })) server.register(def);
  });
  afterAll(async () => {
    await server.close();
    uploads.stop();
    await store.stop();
  });

  async function rpcError(method: string, params: unknown[]): Promise<ContentRpcError> {
    const err = await rpcRequest(httpUrl, method, params).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ContentRpcError);
    return err as ContentRpcError;
  }

  it("uploads in chunks and downloads in ranges, byte for byte", async () => {
    const bytes = randomBytes(5 * MiB + 321);
    const progress: number[] = [];
    const cid = await uploadContent(wsUrl, bytes, { onProgress: (done) => progress.push(done) });
    expect(progress.length).toBe(6); // 1 MiB chunks (the node's limit is below the client's default)
    expect(cid).toBe(await store.add(bytes));
    expect(await rpcRequest(httpUrl, "content_has", [cid])).toBe(true);
    const got = await downloadContent(httpUrl, cid, { chunkBytes: 700_000 });
    expect(Buffer.from(got).equals(bytes)).toBe(true);
    expect(uploads.status().open).toBe(0);
  });

  it("adds a small file in one call", async () => {
    const bytes = randomBytes(1000);
    const cid = await uploadContent(httpUrl, bytes);
    expect(Buffer.from(await downloadContent(wsUrl, cid)).equals(bytes)).toBe(true);
    const part = await rpcRequest<{ data: string; offset: number; size: number }>(httpUrl, "content_get", [cid, 10, 5]);
    expect(part).toEqual({ data: `0x${bytes.subarray(10, 15).toString("hex")}`, offset: 10, size: 1000 });
  });

  it("answers bad input with clear, coded errors", async () => {
    let err = await rpcError("content_get", ["not-a-cid"]);
    expect(err.rpcCode).toBe(7001);
    expect(err.contentCode).toBe("CONTENT_ERROR_INVALID_CID");
    expect(err.message).toMatch(/Invalid CID not-a-cid/);

    err = await rpcError("content_has", ["QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"]);
    expect(err.contentCode).toBe("CONTENT_ERROR_INVALID_CID");

    err = await rpcError("content_uploadChunk", ["feedbeef", 0, "0x00"]);
    expect(err.rpcCode).toBe(7005);
    expect(err.contentCode).toBe("CONTENT_ERROR_UNKNOWN_UPLOAD");
    err = await rpcError("content_uploadFinish", ["feedbeef"]);
    expect(err.contentCode).toBe("CONTENT_ERROR_UNKNOWN_UPLOAD");

    const { uploadId } = await rpcRequest<{ uploadId: string }>(httpUrl, "content_uploadBegin", [3 * MiB]);
    err = await rpcError("content_uploadChunk", [uploadId, 0, `0x${"00".repeat(MiB + 1)}`]);
    expect(err.rpcCode).toBe(7006);
    expect(err.data).toMatchObject({ code: "CONTENT_ERROR_CHUNK_TOO_LARGE", size: MiB + 1, limit: MiB });
    err = await rpcError("content_add", [`0x${"00".repeat(MiB + 1)}`]);
    expect(err.contentCode).toBe("CONTENT_ERROR_CHUNK_TOO_LARGE");
    err = await rpcError("content_uploadChunk", [uploadId, 5, "0x00"]);
    expect(err.data).toMatchObject({ code: "CONTENT_ERROR_BAD_CHUNK", expectedOffset: 0 });
    err = await rpcError("content_uploadFinish", [uploadId]);
    expect(err.contentCode).toBe("CONTENT_ERROR_UPLOAD_INCOMPLETE");
    expect(await rpcRequest(httpUrl, "content_uploadAbort", [uploadId])).toBe(true);

    err = await rpcError("content_uploadBegin", [33 * MiB]);
    expect(err.contentCode).toBe("CONTENT_ERROR_UPLOAD_TOO_LARGE");

    err = await rpcError("content_uploadChunk", [uploadId, -1, "0x00"]);
    expect(err.rpcCode).toBe(-32602);
    expect(err.message).toMatch(/offset/);
    err = await rpcError("content_add", ["zz"]);
    expect(err.rpcCode).toBe(-32602);

    const unknown = CID.createV1(raw.code, await sha256.digest(randomBytes(32))).toString();
    err = await rpcError("content_get", [unknown, 0, 10, 200]);
    expect(err.rpcCode).toBe(7002);
    expect(err.contentCode).toBe("CONTENT_ERROR_NOT_FOUND");
  });

  it("pins and unpins over RPC", async () => {
    const cid = await uploadContent(httpUrl, randomBytes(50));
    expect(await rpcRequest(httpUrl, "content_unpin", [cid])).toBeNull();
    expect(await store.isPinned(cid)).toBe(false);
    expect(await rpcRequest(httpUrl, "content_pin", [cid])).toBeNull();
    expect(await store.isPinned(cid)).toBe(true);
  });

  it("content_provide: false on an offline node; unknown content is NOT_FOUND", async () => {
    const cid = await uploadContent(httpUrl, randomBytes(70), { announce: false });
    expect(await rpcRequest(httpUrl, "content_provide", [cid])).toBe(false);
    const unknown = CID.createV1(raw.code, await sha256.digest(randomBytes(32))).toString();
    const err = await rpcError("content_provide", [unknown]);
    expect(err.rpcCode).toBe(7002);
    expect(err.contentCode).toBe("CONTENT_ERROR_NOT_FOUND");
  });

  it("maps RPC URLs to the HTTP endpoint", () => {
    expect(httpRpcUrl("ws://127.0.0.1:9944")).toBe("http://127.0.0.1:9944/");
    expect(httpRpcUrl("wss://node.example/rpc")).toBe("https://node.example/rpc");
    expect(() => httpRpcUrl("ftp://x")).toThrow(/Unsupported/);
  });
});
