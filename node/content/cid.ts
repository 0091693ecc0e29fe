/**
 * CID strings at the boundary: job specs, RPC parameters and CLI flags carry CIDv1 strings (base32,
 * `bafy…`/`bafk…`); the chain stores the binary CID. Anything else is a `CONTENT_ERROR_INVALID_CID`.
 */
import { CID } from "multiformats/cid";
import { ContentError } from "./errors.js";

/** Longest CID string accepted (a sha2-512 CIDv1 in base32 is ~120 characters). */
export const MAX_CID_STRING_LENGTH = 256;

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Parses a CIDv1 string; CIDv0 (`Qm…`) and malformed strings are refused. */
export function parseCid(value: string): CID {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_CID_STRING_LENGTH)
    throw invalid(String(value).slice(0, 80), "expected a CIDv1 string");
  let cid: CID;
  try {
    cid = CID.parse(value);
  } catch (err) {
    throw invalid(value, errMessage(err));
  }
  if (cid.version !== 1) throw invalid(value, "CIDv0 is not accepted; use the CIDv1 form (bafy…)");
  return cid;
}

/** The binary CID (as stored on chain) of a CIDv1 string. */
export function cidToBytes(value: string): Uint8Array {
  return parseCid(value).bytes;
}

/** The CIDv1 string (base32) of a binary CID. */
export function cidFromBytes(bytes: Uint8Array): string {
  let cid: CID;
  try {
    cid = CID.decode(bytes);
  } catch (err) {
    throw invalid(`0x${Buffer.from(bytes.subarray(0, 40)).toString("hex")}`, errMessage(err));
  }
  if (cid.version !== 1) throw invalid(cid.toString(), "CIDv0 is not accepted; use the CIDv1 form (bafy…)");
  return cid.toString();
}

function invalid(cid: string, reason: string): ContentError {
  return new ContentError({ code: "CONTENT_ERROR_INVALID_CID", cid, reason }, `Invalid CID ${cid}: ${reason}`);
}
