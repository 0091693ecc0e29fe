/**
 * `content_*`: the node's content store for clients (job artifacts by CIDv1).
 *
 * Every method but `content_has` is unsafe (hidden with `--rpc-methods safe`): they write to the node's
 * disk (uploads, pins, blocks fetched from peers). Bytes travel as 0x-hex, at most `maxChunkBytes` per
 * call either way (4 MiB: 8 MiB of hex, under the 15 MiB request and response limits).
 *
 *   content_add(data, announce?)                    -> cid            (one call, data <= maxChunkBytes)
 *   content_uploadBegin(size, announce?)            -> {uploadId, maxChunkBytes}
 *   (`announce: false` keeps the CID out of the DHT: a client's hidden test set)
 *   content_uploadChunk(uploadId, offset, data)     -> received bytes (chunks in order)
 *   content_uploadFinish(uploadId)                  -> cid
 *   content_uploadAbort(uploadId)                   -> bool
 *   content_get(cid, offset?, length?, timeoutMs?)  -> {data, offset, size}  (a range; size of the whole)
 *   content_has(cid)                                -> bool           (every block local; never fetches)
 *   content_pin(cid, timeoutMs?) / content_unpin(cid) -> null
 *   content_provide(cid, timeoutMs?)                -> bool           (announce local content in the DHT
 *                                                                      now; false offline or at the deadline)
 *
 * Failures answer a `CONTENT_RPC_ERRORS` code with the `ContentError` type object (`{code: "CONTENT_ERROR_…", …}`)
 * as `data`.
 */
import { fromHex, toHex } from "../../../primitives/hex.js";
import { ContentError, type ContentErrorCode } from "../../content/errors.js";
import type { ContentRange } from "../../content/store.js";
import type { ContentStore } from "../../content/types.js";
import type { ChunkedUploads } from "../../content/uploads.js";
import { param, type RpcDef, RpcError } from "../server/index.js";
import { method } from "./context.js";

/** JSON-RPC error codes of the content methods, one per `ContentError` code. */
export const CONTENT_RPC_ERRORS: Record<ContentErrorCode, number> = {
  CONTENT_ERROR_INVALID_CID: 7001,
  CONTENT_ERROR_NOT_FOUND: 7002,
  CONTENT_ERROR_TOO_LARGE: 7003,
  CONTENT_ERROR_NOT_A_FILE: 7004,
  CONTENT_ERROR_UNKNOWN_UPLOAD: 7005,
  CONTENT_ERROR_CHUNK_TOO_LARGE: 7006,
  CONTENT_ERROR_UPLOAD_TOO_LARGE: 7007,
  CONTENT_ERROR_TOO_MANY_UPLOADS: 7008,
  CONTENT_ERROR_BAD_CHUNK: 7009,
  CONTENT_ERROR_UPLOAD_INCOMPLETE: 7010,
  CONTENT_ERROR_NOT_STARTED: 7011,
};

/** Longest fetch deadline a client may ask for. */
export const MAX_CONTENT_RPC_TIMEOUT_MS = 300_000;

export interface ContentRpcDeps {
  /** The store (`HeliaContentStore`): the `ContentStore` calls plus ranged reads and pins with a deadline. */
  store: Pick<ContentStore, "add" | "has" | "unpin"> & {
    pin(cid: string, opts?: { timeoutMs?: number }): Promise<void>;
    provide(cid: string, opts?: { timeoutMs?: number }): Promise<boolean>;
    read(cid: string, opts: { offset?: number; length?: number; timeoutMs?: number }): Promise<ContentRange>;
  };
  uploads: ChunkedUploads;
}

/** Runs a handler, answering a `ContentError` with its code and type. */
async function answer<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ContentError) throw new RpcError(CONTENT_RPC_ERRORS[err.code], err.message, err.toObject());
    throw err;
  }
}

const uploadId = () => param.string("uploadId");
const cidParam = () => param.string("cid");
const timeoutParam = () =>
  param.optional(
    param.custom("timeoutMs", (v) => {
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > MAX_CONTENT_RPC_TIMEOUT_MS)
        throw new Error(`expected an integer in 1..${MAX_CONTENT_RPC_TIMEOUT_MS}`);
      return v as number;
    }),
  );
const nonNegative = (name: string) =>
  param.custom(name, (v) => {
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Error("expected a non-negative integer");
    return v as number;
  });

export function contentMethods(deps: ContentRpcDeps): RpcDef[] {
  const { store, uploads } = deps;
  const maxChunkBytes = uploads.opts.maxChunkBytes;
  const checkChunk = (data: Uint8Array) => {
    if (data.length > maxChunkBytes)
      throw new ContentError(
        { code: "CONTENT_ERROR_CHUNK_TOO_LARGE", size: data.length, limit: maxChunkBytes },
        `A chunk is at most ${maxChunkBytes} bytes, not ${data.length}`,
      );
    return data;
  };
  return [
    method({
      name: "content_add",
      unsafe: true,
      params: [param.hex("data"), param.optional(param.boolean("announce"))],
      handler: ([data, announce]) => answer(() => store.add(checkChunk(fromHex(data)), { announce })),
    }),
    method({
      name: "content_uploadBegin",
      unsafe: true,
      params: [nonNegative("size"), param.optional(param.boolean("announce"))],
      handler: ([size, announce]) => answer(() => ({ uploadId: uploads.begin(size, announce ?? true), maxChunkBytes })),
    }),
    method({
      name: "content_uploadChunk",
      unsafe: true,
      params: [uploadId(), nonNegative("offset"), param.hex("data")],
      handler: ([id, offset, data]) => answer(() => uploads.chunk(id, offset, fromHex(data))),
    }),
    method({
      name: "content_uploadFinish",
      unsafe: true,
      params: [uploadId()],
      handler: ([id]) => answer(() => uploads.finish(id)),
    }),
    method({
      name: "content_uploadAbort",
      unsafe: true,
      params: [uploadId()],
      handler: ([id]) => uploads.abort(id),
    }),
    method({
      name: "content_get",
      unsafe: true,
      params: [
        cidParam(),
        param.optional(nonNegative("offset")),
        param.optional(nonNegative("length")),
        timeoutParam(),
      ],
      handler: ([cid, offset, length, timeoutMs]) =>
        answer(async () => {
          const range = await store.read(cid, {
            offset: offset ?? 0,
            length: Math.min(length ?? maxChunkBytes, maxChunkBytes),
            timeoutMs,
          });
          return { data: toHex(range.bytes), offset: Math.min(offset ?? 0, range.size), size: range.size };
        }),
    }),
    method({
      name: "content_has",
      params: [cidParam()],
      handler: ([cid]) => answer(() => store.has(cid)),
    }),
    method({
      name: "content_pin",
      unsafe: true,
      params: [cidParam(), timeoutParam()],
      handler: ([cid, timeoutMs]) =>
        answer(async () => {
          await store.pin(cid, { timeoutMs });
          return null;
        }),
    }),
    method({
      name: "content_provide",
      unsafe: true,
      params: [cidParam(), timeoutParam()],
      handler: ([cid, timeoutMs]) => answer(() => store.provide(cid, { timeoutMs })),
    }),
    method({
      name: "content_unpin",
      unsafe: true,
      params: [cidParam()],
      handler: ([cid]) =>
        answer(async () => {
          await store.unpin(cid);
          return null;
        }),
    }),
  ];
}
