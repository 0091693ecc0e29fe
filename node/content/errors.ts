import { TensorchainError } from "../../primitives/errors.js";

/** Failures of the content store and of chunked uploads, each with a machine-readable code. */
export type ContentErrorType =
  /** A string that is not a CID, or a CID that is not version 1. */
  | { code: "CONTENT_ERROR_INVALID_CID"; cid: string; reason: string }
  /** The content was not in the local store and no peer delivered it within the deadline. */
  | { code: "CONTENT_ERROR_NOT_FOUND"; cid: string; timeoutMs: number }
  /** The content is larger than the caller's cap; nothing above the cap was kept in memory. */
  | { code: "CONTENT_ERROR_TOO_LARGE"; cid: string; size: number; limit: number }
  /** The CID names something that is not a file (a UnixFS directory, or a codec we do not read). */
  | { code: "CONTENT_ERROR_NOT_A_FILE"; cid: string; type: string }
  /** The store is not started (or already stopped). */
  | { code: "CONTENT_ERROR_NOT_STARTED" }
  /** No open upload has this id (never begun, finished, aborted, or expired after being idle). */
  | { code: "CONTENT_ERROR_UNKNOWN_UPLOAD"; uploadId: string }
  /** One chunk above the per-chunk limit. */
  | { code: "CONTENT_ERROR_CHUNK_TOO_LARGE"; size: number; limit: number }
  /** A declared upload size above the per-upload limit, or a negative / non-integer one. */
  | { code: "CONTENT_ERROR_UPLOAD_TOO_LARGE"; size: number; limit: number }
  /** Already `limit` uploads open, or their declared sizes would exceed the total byte budget. */
  | {
      code: "CONTENT_ERROR_TOO_MANY_UPLOADS";
      open: number;
      openBytes: number;
      limitUploads: number;
      limitBytes: number;
    }
  /** A chunk that does not start where the previous one ended, or runs past the declared size. */
  | { code: "CONTENT_ERROR_BAD_CHUNK"; uploadId: string; expectedOffset: number; offset: number; size: number }
  /** `finish` before every declared byte arrived. */
  | { code: "CONTENT_ERROR_UPLOAD_INCOMPLETE"; uploadId: string; received: number; size: number };

export type ContentErrorCode = ContentErrorType["code"];

export class ContentError extends TensorchainError<ContentErrorType> {}
