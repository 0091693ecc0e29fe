/**
 * Chunked uploads into the content store, for clients whose files are larger than one RPC request
 * (the MNIST training set is ~25 MB; the RPC server refuses requests above 15 MiB, and hex doubles).
 *
 *   begin(size) -> uploadId;  chunk(uploadId, offset, bytes) ... in order;  finish(uploadId) -> CID
 *
 * Memory is bounded: an upload reserves its declared size at `begin`; at most `maxOpenUploads` are open
 * and their declared sizes sum to at most `maxOpenBytes`; one chunk is at most `maxChunkBytes`. Chunks
 * arrive in order (`offset` = bytes received so far); resending the chunk that was just accepted (same
 * offset, same length) is answered as a no-op so that a client may retry after a lost response. An
 * upload idle for `idleTimeoutMs` is dropped by the sweep (`start()` runs it every `sweepIntervalMs`).
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../../primitives/logger.js";
import { nullLogger } from "../../primitives/logger.js";
import { ContentError } from "./errors.js";
import { defaultUploadOptions, type UploadOptions } from "./options.js";
import type { ContentStore } from "./types.js";

export interface UploadModules {
  store: Pick<ContentStore, "add">;
  logger?: Logger;
  /** Milliseconds; `Date.now` by default (tests pass their own). */
  now?: () => number;
}

interface Upload {
  id: string;
  buffer: Uint8Array;
  received: number;
  /** Offset and length of the last accepted chunk, to recognise a retry. */
  last: { offset: number; length: number } | undefined;
  lastActivityMs: number;
  /** Announce the CID in the DHT when the upload finishes. */
  announce: boolean;
}

export interface UploadStatus {
  open: number;
  /** Sum of the declared sizes of the open uploads. */
  openBytes: number;
}

export class ChunkedUploads {
  readonly opts: UploadOptions;
  private readonly uploads = new Map<string, Upload>();
  private openBytes = 0;
  private readonly log: Logger;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    opts: Partial<UploadOptions>,
    private readonly modules: UploadModules,
  ) {
    this.opts = { ...defaultUploadOptions, ...opts };
    this.log = (modules.logger ?? nullLogger).child({ module: "content" });
    this.now = modules.now ?? Date.now;
  }

  /** Starts the periodic sweep of abandoned uploads. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), this.opts.sweepIntervalMs);
    this.timer.unref();
  }

  /** Stops the sweep and drops every open upload. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const id of [...this.uploads.keys()]) this.drop(id);
  }

  /** Opens an upload of exactly `size` bytes; resolves to its id. */
  begin(size: number, announce = true): string {
    const { maxUploadBytes, maxOpenUploads, maxOpenBytes } = this.opts;
    if (!Number.isSafeInteger(size) || size < 0 || size > maxUploadBytes)
      throw new ContentError(
        { code: "CONTENT_ERROR_UPLOAD_TOO_LARGE", size, limit: maxUploadBytes },
        `An upload must declare 0..${maxUploadBytes} bytes, not ${size}`,
      );
    if (this.uploads.size >= maxOpenUploads || this.openBytes + size > maxOpenBytes)
      throw new ContentError(
        {
          code: "CONTENT_ERROR_TOO_MANY_UPLOADS",
          open: this.uploads.size,
          openBytes: this.openBytes,
          limitUploads: maxOpenUploads,
          limitBytes: maxOpenBytes,
        },
        `Too many open uploads (${this.uploads.size} holding ${this.openBytes} bytes; limits ${maxOpenUploads} and ${maxOpenBytes} bytes)`,
      );
    const id = randomBytes(16).toString("hex");
    this.uploads.set(id, {
      id,
      buffer: new Uint8Array(size),
      received: 0,
      last: undefined,
      lastActivityMs: this.now(),
      announce,
    });
    this.openBytes += size;
    this.log.debug("Upload opened", { uploadId: id, size });
    return id;
  }

  /** Appends a chunk at `offset` (= the bytes received so far); resolves to the bytes received. */
  chunk(uploadId: string, offset: number, bytes: Uint8Array): number {
    const { maxChunkBytes } = this.opts;
    if (bytes.length > maxChunkBytes)
      throw new ContentError(
        { code: "CONTENT_ERROR_CHUNK_TOO_LARGE", size: bytes.length, limit: maxChunkBytes },
        `A chunk is at most ${maxChunkBytes} bytes, not ${bytes.length}`,
      );
    const upload = this.get(uploadId);
    upload.lastActivityMs = this.now();
    const { last } = upload;
    if (last && offset === last.offset && bytes.length === last.length && offset + bytes.length === upload.received)
      return upload.received; // a retry of the chunk just accepted
    if (offset !== upload.received || offset + bytes.length > upload.buffer.length)
      throw new ContentError(
        { code: "CONTENT_ERROR_BAD_CHUNK", uploadId, expectedOffset: upload.received, offset, size: bytes.length },
        `Chunk at ${offset} of ${bytes.length} bytes does not fit: expected offset ${upload.received}, declared size ${upload.buffer.length}`,
      );
    upload.buffer.set(bytes, offset);
    upload.received += bytes.length;
    upload.last = { offset, length: bytes.length };
    return upload.received;
  }

  /** Closes the upload and adds its bytes to the store; resolves to the CID. */
  async finish(uploadId: string): Promise<string> {
    const upload = this.get(uploadId);
    if (upload.received !== upload.buffer.length)
      throw new ContentError(
        { code: "CONTENT_ERROR_UPLOAD_INCOMPLETE", uploadId, received: upload.received, size: upload.buffer.length },
        `Upload ${uploadId} has ${upload.received} of ${upload.buffer.length} bytes`,
      );
    this.drop(uploadId);
    const cid = await this.modules.store.add(upload.buffer, { announce: upload.announce });
    this.log.info("Upload added", { uploadId, cid, bytes: upload.buffer.length });
    return cid;
  }

  /** Drops an open upload; false when there was none. */
  abort(uploadId: string): boolean {
    const existed = this.drop(uploadId);
    if (existed) this.log.debug("Upload aborted", { uploadId });
    return existed;
  }

  /** Drops the uploads idle for `idleTimeoutMs`; resolves to how many. */
  sweep(): number {
    const cutoff = this.now() - this.opts.idleTimeoutMs;
    let dropped = 0;
    for (const upload of [...this.uploads.values()]) {
      if (upload.lastActivityMs <= cutoff) {
        this.drop(upload.id);
        dropped++;
        this.log.debug("Upload expired", {
          uploadId: upload.id,
          received: upload.received,
          size: upload.buffer.length,
        });
      }
    }
    return dropped;
  }

  status(): UploadStatus {
    return { open: this.uploads.size, openBytes: this.openBytes };
  }

  private get(uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload)
      throw new ContentError({ code: "CONTENT_ERROR_UNKNOWN_UPLOAD", uploadId }, `No open upload ${uploadId}`);
    return upload;
  }

  private drop(uploadId: string): boolean {
    const upload = this.uploads.get(uploadId);
    if (!upload) return false;
    this.uploads.delete(uploadId);
    this.openBytes -= upload.buffer.length;
    return true;
  }
}
