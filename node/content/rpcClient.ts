/**
 * A node's content store from a client (the `job` CLI, tests), over HTTP JSON-RPC (`content_*`):
 *
 *   const cid = await uploadContent("ws://127.0.0.1:9944", bytes);
 *   const bytes = await downloadContent("http://127.0.0.1:9944", cid);
 *
 * Both take the node's RPC URL as `ws://`, `wss://`, `http://` or `https://` (the same port serves both).
 * Uploads above one chunk go through `content_uploadBegin` / `content_uploadChunk` / `content_uploadFinish`
 * (aborted on failure); downloads read `content_get` ranges until the whole file is in.
 */
import { fromHex, type HexString, toHex } from "../../primitives/hex.js";

/** Bytes per call (the node refuses more than its `maxChunkBytes`, 4 MiB by default). */
export const DEFAULT_CLIENT_CHUNK_BYTES = 4 * 1024 * 1024;

/** A JSON-RPC error answered by the node; `data` holds the `ContentError` type (`{code: "CONTENT_ERROR_…"}`). */
export class ContentRpcError extends Error {
  constructor(
    readonly method: string,
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: ${message}`);
    this.name = "ContentRpcError";
  }

  /** The `CONTENT_ERROR_…` code when the node sent one. */
  get contentCode(): string | undefined {
    const code = (this.data as { code?: unknown } | undefined)?.code;
    return typeof code === "string" ? code : undefined;
  }
}

export interface ContentClientOptions {
  /** Bytes per call; at most the node's limit. */
  chunkBytes?: number;
  /** Deadline the node uses to fetch each range from peers (`content_get`'s `timeoutMs`). */
  timeoutMs?: number;
  /** Refuse a download larger than this. */
  maxBytes?: number;
  /** Called after each chunk with the bytes done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** False: the node keeps the CID out of the DHT (a hidden test set). Default true. */
  announce?: boolean;
}

/** The HTTP endpoint for a node RPC URL (`ws://h:p` -> `http://h:p`). */
export function httpRpcUrl(rpcUrl: string): string {
  const url = new URL(rpcUrl);
  if (url.protocol === "ws:") url.protocol = "http:";
  else if (url.protocol === "wss:") url.protocol = "https:";
  else if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`Unsupported RPC URL ${rpcUrl}: expected ws://, wss://, http:// or https://`);
  return url.toString();
}

let nextId = 1;

/** One JSON-RPC call over HTTP; a JSON-RPC error becomes a `ContentRpcError`. `signal` aborts it. */
export async function rpcRequest<T>(
  rpcUrl: string,
  method: string,
  params: unknown[],
  opts: { signal?: AbortSignal } = {},
): Promise<T> {
  const res = await fetch(httpRpcUrl(rpcUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
    signal: opts.signal,
  });
  const text = await res.text();
  let body: { result?: T; error?: { code: number; message: string; data?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    throw new ContentRpcError(method, res.status, `HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (body.error) throw new ContentRpcError(method, body.error.code, body.error.message, body.error.data);
  if (!res.ok) throw new ContentRpcError(method, res.status, `HTTP ${res.status}`);
  return body.result as T;
}

/** Adds `bytes` to the node's content store; resolves to the CIDv1 string. */
export async function uploadContent(
  rpcUrl: string,
  bytes: Uint8Array,
  opts: ContentClientOptions = {},
): Promise<string> {
  const requested = opts.chunkBytes ?? DEFAULT_CLIENT_CHUNK_BYTES;
  if (bytes.length <= requested) {
    const cid = await rpcRequest<string>(rpcUrl, "content_add", [toHex(bytes), opts.announce ?? true]);
    opts.onProgress?.(bytes.length, bytes.length);
    return cid;
  }
  const begun = await rpcRequest<{ uploadId: string; maxChunkBytes: number }>(rpcUrl, "content_uploadBegin", [
    bytes.length,
    opts.announce ?? true,
  ]);
  const chunkBytes = Math.min(requested, begun.maxChunkBytes);
  try {
    for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
      const chunk = bytes.subarray(offset, Math.min(offset + chunkBytes, bytes.length));
      await rpcRequest<number>(rpcUrl, "content_uploadChunk", [begun.uploadId, offset, toHex(chunk)]);
      opts.onProgress?.(offset + chunk.length, bytes.length);
    }
    return await rpcRequest<string>(rpcUrl, "content_uploadFinish", [begun.uploadId]);
  } catch (err) {
    await rpcRequest(rpcUrl, "content_uploadAbort", [begun.uploadId]).catch(() => undefined);
    throw err;
  }
}

/** The bytes of `cid`, from the node's store or (through the node) from its peers. */
export async function downloadContent(
  rpcUrl: string,
  cid: string,
  opts: ContentClientOptions = {},
): Promise<Uint8Array> {
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CLIENT_CHUNK_BYTES;
  const get = (offset: number) =>
    rpcRequest<{ data: HexString; offset: number; size: number }>(rpcUrl, "content_get", [
      cid,
      offset,
      chunkBytes,
      opts.timeoutMs ?? null,
    ]);
  const first = await get(0);
  const size = first.size;
  if (opts.maxBytes !== undefined && size > opts.maxBytes)
    throw new Error(`${cid} is ${size} bytes, above the limit of ${opts.maxBytes}`);
  const out = new Uint8Array(size);
  let pos = 0;
  let part = first;
  for (;;) {
    const bytes = fromHex(part.data);
    if (part.size !== size) throw new Error(`content_get: the size of ${cid} changed from ${size} to ${part.size}`);
    if (pos + bytes.length > size) throw new Error(`content_get: ${cid} returned more than its ${size} bytes`);
    out.set(bytes, pos);
    pos += bytes.length;
    opts.onProgress?.(pos, size);
    if (pos >= size) return out;
    if (bytes.length === 0) throw new Error(`content_get: no progress reading ${cid} at ${pos} of ${size}`);
    part = await get(pos);
  }
}
