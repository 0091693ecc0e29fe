/**
 * The wire format of the request-response protocols: one msgpack object per length-prefixed frame.
 * Chain data inside (hashes, headers, bodies, justifications) stays opaque bytes. Every decoder checks
 * the shape of what it got and throws `P2P_ERROR_INVALID_MESSAGE`; none trusts the remote.
 *
 * A response frame is `{ok: value}` or `{error: reason}`.
 */
import { Packr } from "msgpackr";
import { P2pError } from "./errors.js";
import type {
  BlockData,
  BlockFields,
  BlockRef,
  BlocksRequest,
  ChainStatus,
  JustificationRequest,
  Role,
} from "./interface.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

const ROLE_BITS: Record<Role, number> = { full: 1, light: 2, authority: 4 };
const FIELD_HEADER = 1;
const FIELD_BODY = 2;
const FIELD_JUSTIFICATION = 4;
const MAX_HASH_BYTES = 64;

export function encodeFrame(value: unknown): Uint8Array {
  return packr.pack(value);
}

function decodeFrame(protocol: string, bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw invalid(protocol, `not msgpack: ${(err as Error).message}`);
  }
}

function invalid(protocol: string, reason: string): P2pError {
  return new P2pError({ code: "P2P_ERROR_INVALID_MESSAGE", protocol, reason });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function isU32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

/** A fresh plain Uint8Array (msgpackr hands out Buffers that share one pool). */
function bytes(protocol: string, v: unknown, what: string, maxLen = Number.POSITIVE_INFINITY): Uint8Array {
  if (!(v instanceof Uint8Array)) throw invalid(protocol, `${what} is not bytes`);
  if (v.length > maxLen) throw invalid(protocol, `${what} longer than ${maxLen} bytes`);
  return new Uint8Array(v);
}

function optionalBytes(protocol: string, v: unknown, what: string): Uint8Array | undefined {
  return v === undefined || v === null ? undefined : bytes(protocol, v, what);
}

// --- status -----------------------------------------------------------------------------------

function statusToWire(s: ChainStatus): Record<string, unknown> {
  let roles = 0;
  for (const r of s.roles) roles |= ROLE_BITS[r];
  return {
    genesisHash: s.genesisHash,
    best: { number: s.best.number, hash: s.best.hash },
    finalized: { number: s.finalized.number, hash: s.finalized.hash },
    roles,
  };
}

function blockRef(protocol: string, v: unknown, what: string): BlockRef {
  if (!isRecord(v) || !isU32(v.number)) throw invalid(protocol, `${what} is not {number, hash}`);
  return { number: v.number, hash: bytes(protocol, v.hash, `${what}.hash`, MAX_HASH_BYTES) };
}

function statusFromWire(protocol: string, v: unknown): ChainStatus {
  if (!isRecord(v)) throw invalid(protocol, "status is not a map");
  if (!isU32(v.roles)) throw invalid(protocol, "roles is not a bitmask");
  const roleBits = v.roles;
  const roles = (Object.keys(ROLE_BITS) as Role[]).filter((r) => (roleBits & ROLE_BITS[r]) !== 0);
  return {
    genesisHash: bytes(protocol, v.genesisHash, "genesisHash", MAX_HASH_BYTES),
    best: blockRef(protocol, v.best, "best"),
    finalized: blockRef(protocol, v.finalized, "finalized"),
    roles,
  };
}

/** The status request: the asker's own status. */
export function encodeStatus(s: ChainStatus): Uint8Array {
  return encodeFrame(statusToWire(s));
}

export function decodeStatus(protocol: string, frame: Uint8Array): ChainStatus {
  return statusFromWire(protocol, decodeFrame(protocol, frame));
}

/** The status response: `{ok: status}`. */
export function encodeStatusResponse(s: ChainStatus): Uint8Array {
  return encodeOk(statusToWire(s));
}

export function decodeStatusResponse(protocol: string, frame: Uint8Array): ChainStatus {
  return statusFromWire(protocol, decodeResponse(protocol, frame));
}

// --- block ranges -----------------------------------------------------------------------------

export function encodeBlocksRequest(r: BlocksRequest): Uint8Array {
  const fields =
    (r.fields.header ? FIELD_HEADER : 0) |
    (r.fields.body ? FIELD_BODY : 0) |
    (r.fields.justification ? FIELD_JUSTIFICATION : 0);
  return encodeFrame({ from: r.from, direction: r.direction === "ascending" ? 0 : 1, max: r.max, fields });
}

export function decodeBlocksRequest(protocol: string, frame: Uint8Array): BlocksRequest {
  const v = decodeFrame(protocol, frame);
  if (!isRecord(v)) throw invalid(protocol, "request is not a map");
  const from = isU32(v.from) ? v.from : bytes(protocol, v.from, "from", MAX_HASH_BYTES);
  if (v.direction !== 0 && v.direction !== 1) throw invalid(protocol, "direction is not 0 or 1");
  if (!isU32(v.max) || v.max === 0) throw invalid(protocol, "max is not a positive integer");
  if (!isU32(v.fields) || v.fields > 7) throw invalid(protocol, "fields is not a bitmask");
  const fields: BlockFields = {
    header: (v.fields & FIELD_HEADER) !== 0,
    body: (v.fields & FIELD_BODY) !== 0,
    justification: (v.fields & FIELD_JUSTIFICATION) !== 0,
  };
  return { from, direction: v.direction === 0 ? "ascending" : "descending", max: v.max, fields };
}

/** One block as it goes on the wire (absent parts left out). */
export function blockToWire(b: BlockData): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = { hash: b.hash };
  if (b.header !== undefined) out.header = b.header;
  if (b.body !== undefined) out.body = b.body;
  if (b.justification !== undefined) out.justification = b.justification;
  return out;
}

export function decodeBlocksResponse(protocol: string, frame: Uint8Array): BlockData[] {
  const ok = decodeResponse(protocol, frame);
  if (!Array.isArray(ok)) throw invalid(protocol, "blocks is not a list");
  return ok.map((b, i) => {
    if (!isRecord(b)) throw invalid(protocol, `block ${i} is not a map`);
    const out: BlockData = { hash: bytes(protocol, b.hash, `block ${i} hash`, MAX_HASH_BYTES) };
    const header = optionalBytes(protocol, b.header, `block ${i} header`);
    const body = optionalBytes(protocol, b.body, `block ${i} body`);
    const justification = optionalBytes(protocol, b.justification, `block ${i} justification`);
    if (header !== undefined) out.header = header;
    if (body !== undefined) out.body = body;
    if (justification !== undefined) out.justification = justification;
    return out;
  });
}

// --- justifications ---------------------------------------------------------------------------

export function encodeJustificationRequest(r: JustificationRequest): Uint8Array {
  return encodeFrame({ hash: r.hash });
}

export function decodeJustificationRequest(protocol: string, frame: Uint8Array): JustificationRequest {
  const v = decodeFrame(protocol, frame);
  if (!isRecord(v)) throw invalid(protocol, "request is not a map");
  return { hash: bytes(protocol, v.hash, "hash", MAX_HASH_BYTES) };
}

export function decodeJustificationResponse(protocol: string, frame: Uint8Array): Uint8Array | undefined {
  return optionalBytes(protocol, decodeResponse(protocol, frame), "justification");
}

// --- GRANDPA catch-up (the payloads are the finality gadget's own SCALE bytes) ---------------------

export function encodeCatchUpRequest(request: Uint8Array): Uint8Array {
  return encodeFrame({ request });
}

export function decodeCatchUpRequest(protocol: string, frame: Uint8Array): Uint8Array {
  const v = decodeFrame(protocol, frame);
  if (!isRecord(v)) throw invalid(protocol, "request is not a map");
  return bytes(protocol, v.request, "request", frame.length);
}

export function decodeCatchUpResponse(protocol: string, frame: Uint8Array): Uint8Array | undefined {
  return optionalBytes(protocol, decodeResponse(protocol, frame), "catch-up");
}

// --- response envelope ------------------------------------------------------------------------

export function encodeOk(value: unknown): Uint8Array {
  return encodeFrame({ ok: value ?? null });
}

export function encodeErrorResponse(reason: string): Uint8Array {
  return encodeFrame({ error: reason.slice(0, 200) });
}

/** The remote's error reason, if the frame is an error envelope. */
export class RemoteErrorResponse extends Error {}

function decodeResponse(protocol: string, frame: Uint8Array): unknown {
  const v = decodeFrame(protocol, frame);
  if (!isRecord(v)) throw invalid(protocol, "response is not a map");
  if ("error" in v) throw new RemoteErrorResponse(typeof v.error === "string" ? v.error.slice(0, 200) : "error");
  if (!("ok" in v)) throw invalid(protocol, "response has neither ok nor error");
  return v.ok;
}
