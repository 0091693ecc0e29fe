/**
 * The signed capability record a worker publishes in the DHT for anyone to verify, whose hash it registers on
 * chain (`WorkerRegistry.register`'s `record_hash`).
 *
 * Format: SCALE `{ account: AccountId32, capabilities: WorkerRegistry's Capabilities (which carry the
 * onnxruntime version), sequence: u64, signature: sr25519 [u8; 64] }`. The signature is by `account`
 * (the worker's `work` key) over `CAPABILITY_RECORD_CONTEXT ++ SCALE(account, capabilities, sequence)`;
 * the context keeps the signature from standing for any other signed payload. No timestamp: a newer
 * record has a higher `sequence`. `record_hash` = blake2-256 of the whole encoded record, signature
 * included. sr25519 signatures are randomized, so a node keeps the record it signed
 * (`loadOrSignCapabilityRecord`) and re-signs only when its capabilities change, with the next sequence;
 * the hash on chain then stays the hash of what the DHT holds across restarts.
 *
 * DHT: key `/tensorchain-worker/<account hex>` in the chain's own DHT (the kad protocol already carries
 * the chain id). `capabilityRecordDhtOptions` gives kad-dht a validator (the record decodes, its
 * signature verifies, its account is the key's) and a selector (the highest sequence). Readers call
 * `fetchCapabilityRecord`, which verifies every value it gets again and, given the hash on chain, returns
 * the record with that hash.
 *
 * Side effects: `loadOrSignCapabilityRecord` reads and (re)writes its file; `publishCapabilityRecord`
 * stores the record in the local datastore and sends it to the closest peers. Everything else is pure.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { AbortOptions } from "@libp2p/interface";
import type { KadDHT, SelectFn, ValidateFn } from "@libp2p/kad-dht";
import { type KeyPair, sign, verifySr25519 } from "../../primitives/crypto/index.js";
import { TensorchainError } from "../../primitives/errors.js";
import { blake2_256, concat } from "../../primitives/hashing.js";
import { bytesEqual, compareBytes, fromHex, toHex } from "../../primitives/hex.js";
import { T, type TyValue } from "../../primitives/scale/types.js";
import { AccountId, Sr25519Signature } from "../../primitives/types.js";
import { Capabilities, type CapabilitiesValue } from "../../runtime/pallets/workerRegistry.js";

/** The first segment of the record's DHT key, which picks kad-dht's validator and selector. */
export const CAPABILITY_RECORD_NAMESPACE = "tensorchain-worker";
/** Signed before the record's fields (domain separation). */
export const CAPABILITY_RECORD_CONTEXT = new TextEncoder().encode("tensorchain/capability-record/v1");
/** Larger values are refused before decoding (a record is well under 200 bytes). */
export const MAX_CAPABILITY_RECORD_BYTES = 1024;

const P = "tensorchain_worker";

/** The signed fields. */
export const CapabilityRecordPayload = T.struct(
  { account: AccountId, capabilities: Capabilities, sequence: T.u64 },
  { path: [P, "CapabilityRecordPayload"] },
);
export type CapabilityRecordPayloadValue = TyValue<typeof CapabilityRecordPayload>;

export const CapabilityRecord = T.struct(
  { account: AccountId, capabilities: Capabilities, sequence: T.u64, signature: Sr25519Signature },
  { path: [P, "CapabilityRecord"] },
);
export type CapabilityRecordValue = TyValue<typeof CapabilityRecord>;

/** A record with its encoding and its hash (the `record_hash` on chain). */
export interface SignedCapabilityRecord {
  record: CapabilityRecordValue;
  bytes: Uint8Array;
  hash: Uint8Array;
}

export type CapabilityRecordErrorType =
  /** The bytes are not a record (malformed, trailing bytes, too large). */
  | { code: "CAPABILITY_RECORD_ERROR_MALFORMED"; reason: string }
  /** The signature does not verify against the record's account. */
  | { code: "CAPABILITY_RECORD_ERROR_BAD_SIGNATURE"; account: string }
  /** The record is not for the account its DHT key (or the caller) names. */
  | { code: "CAPABILITY_RECORD_ERROR_WRONG_ACCOUNT"; expected: string; actual: string }
  /** A DHT key that is not `/tensorchain-worker/<32-byte account hex>`. */
  | { code: "CAPABILITY_RECORD_ERROR_INVALID_KEY"; key: string }
  /** No valid record in the DHT has the hash registered on chain. */
  | { code: "CAPABILITY_RECORD_ERROR_HASH_MISMATCH"; account: string; expected: string; found: string[] }
  /** The DHT returned no valid record for the account. */
  | { code: "CAPABILITY_RECORD_ERROR_NOT_FOUND"; account: string };

export class CapabilityRecordError extends TensorchainError<CapabilityRecordErrorType> {}

function signingMessage(p: CapabilityRecordPayloadValue): Uint8Array {
  return concat(CAPABILITY_RECORD_CONTEXT, CapabilityRecordPayload.enc(p));
}

export function capabilityRecordHash(bytes: Uint8Array): Uint8Array {
  return blake2_256(bytes);
}

/** Signs `capabilities` with the worker key `pair` (sr25519) at `sequence`. */
export function signCapabilityRecord(
  pair: KeyPair,
  capabilities: CapabilitiesValue,
  sequence: bigint,
): SignedCapabilityRecord {
  if (pair.scheme !== "sr25519") throw new Error("capability records are signed with an sr25519 work key");
  const payload = { account: pair.publicKey, capabilities, sequence };
  const record = { ...payload, signature: sign(pair, signingMessage(payload)) };
  const bytes = CapabilityRecord.enc(record);
  return { record, bytes, hash: capabilityRecordHash(bytes) };
}

export function decodeCapabilityRecord(bytes: Uint8Array): CapabilityRecordValue {
  if (bytes.length > MAX_CAPABILITY_RECORD_BYTES)
    throw new CapabilityRecordError({ code: "CAPABILITY_RECORD_ERROR_MALFORMED", reason: `${bytes.length} bytes` });
  try {
    return CapabilityRecord.dec(bytes);
  } catch (e) {
    throw new CapabilityRecordError({ code: "CAPABILITY_RECORD_ERROR_MALFORMED", reason: (e as Error).message });
  }
}

/**
 * Decodes and checks the signature (and, given `account`, that the record is that account's). Throws a
 * `CapabilityRecordError`; `await cryptoReady()` must have run in this thread.
 */
export function verifyCapabilityRecord(bytes: Uint8Array, account?: Uint8Array): SignedCapabilityRecord {
  const record = decodeCapabilityRecord(bytes);
  if (account && !bytesEqual(account, record.account)) {
    throw new CapabilityRecordError({
      code: "CAPABILITY_RECORD_ERROR_WRONG_ACCOUNT",
      expected: toHex(account),
      actual: toHex(record.account),
    });
  }
  const { signature, ...payload } = record;
  if (!verifySr25519(signature, signingMessage(payload), record.account))
    throw new CapabilityRecordError({ code: "CAPABILITY_RECORD_ERROR_BAD_SIGNATURE", account: toHex(record.account) });
  return { record, bytes, hash: capabilityRecordHash(bytes) };
}

// ---- DHT ----

/** `/tensorchain-worker/0x<account hex>` as bytes. */
export function capabilityRecordKey(account: Uint8Array): Uint8Array {
  return new TextEncoder().encode(`/${CAPABILITY_RECORD_NAMESPACE}/${toHex(account)}`);
}

/** The account a record key names; throws `CAPABILITY_RECORD_ERROR_INVALID_KEY`. */
export function accountOfCapabilityRecordKey(key: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(key);
  const m = /^\/([^/]+)\/(0x[0-9a-f]{64})$/.exec(text);
  if (!m || m[1] !== CAPABILITY_RECORD_NAMESPACE)
    throw new CapabilityRecordError({ code: "CAPABILITY_RECORD_ERROR_INVALID_KEY", key: text.slice(0, 100) });
  return fromHex(m[2]);
}

/** kad-dht validator: throws unless the value is a validly signed record of the key's account. */
export const validateCapabilityRecordEntry: ValidateFn = (key, value) => {
  verifyCapabilityRecord(value, accountOfCapabilityRecordKey(key));
};

/** Orders records: the higher sequence first, then the smaller encoding (so every node picks the same). */
function better(a: SignedCapabilityRecord, b: SignedCapabilityRecord): boolean {
  if (a.record.sequence !== b.record.sequence) return a.record.sequence > b.record.sequence;
  return compareBytes(a.bytes, b.bytes) < 0;
}

/** kad-dht selector: the index of the best valid record (highest sequence); 0 when none is valid. */
export const selectCapabilityRecord: SelectFn = (key, records) => {
  let account: Uint8Array;
  try {
    account = accountOfCapabilityRecordKey(key);
  } catch {
    return 0;
  }
  let best: { i: number; r: SignedCapabilityRecord } | undefined;
  records.forEach((bytes, i) => {
    try {
      const r = verifyCapabilityRecord(bytes, account);
      if (!best || better(r, best.r)) best = { i, r };
    } catch {
      // An invalid record is never selected.
    }
  });
  return best?.i ?? 0;
};

/** The kad-dht `validators` and `selectors` for capability records (see `buildLibp2pOptions`'s `dhtRecords`). */
export const capabilityRecordDhtOptions = {
  validators: { [CAPABILITY_RECORD_NAMESPACE]: validateCapabilityRecordEntry },
  selectors: { [CAPABILITY_RECORD_NAMESPACE]: selectCapabilityRecord },
};

/** What publishing and fetching need of kad-dht. */
export type CapabilityRecordDht = Pick<KadDHT, "put" | "get">;

/**
 * Puts the record under its account's key; resolves when the put query ends. Returns how many peers
 * stored it (answered the PUT_VALUE) and how many query errors were seen (refusals included).
 */
export async function publishCapabilityRecord(
  dht: CapabilityRecordDht,
  signed: SignedCapabilityRecord,
  options: AbortOptions = {},
): Promise<{ peers: number; errors: number }> {
  let peers = 0;
  let errors = 0;
  for await (const event of dht.put(capabilityRecordKey(signed.record.account), signed.bytes, options)) {
    if (event.name === "PEER_RESPONSE" && event.messageType === "PUT_VALUE") peers++;
    else if (event.name === "QUERY_ERROR") errors++;
  }
  return { peers, errors };
}

/**
 * Gets `account`'s record from the DHT and verifies every value found (signature, account). With
 * `expectedHash` (the `record_hash` on chain) returns the valid record with that hash, else throws
 * `CAPABILITY_RECORD_ERROR_HASH_MISMATCH`; without, the valid record with the highest sequence.
 * Throws `CAPABILITY_RECORD_ERROR_NOT_FOUND` when no value is valid.
 */
export async function fetchCapabilityRecord(
  dht: CapabilityRecordDht,
  account: Uint8Array,
  options: AbortOptions & { expectedHash?: Uint8Array } = {},
): Promise<SignedCapabilityRecord> {
  const valid: SignedCapabilityRecord[] = [];
  try {
    for await (const event of dht.get(capabilityRecordKey(account), options)) {
      if (event.name !== "VALUE") continue;
      try {
        valid.push(verifyCapabilityRecord(event.value, account));
      } catch {
        // A peer's invalid value: skipped (kad-dht's validator normally drops it first).
      }
    }
  } catch (e) {
    // kad-dht throws NotFoundError when no peer has a value; anything valid already seen still counts.
    if (valid.length === 0 && (e as Error).name !== "NotFoundError") throw e;
  }
  if (valid.length === 0)
    throw new CapabilityRecordError({ code: "CAPABILITY_RECORD_ERROR_NOT_FOUND", account: toHex(account) });
  const { expectedHash } = options;
  if (expectedHash) {
    const match = valid.find((r) => bytesEqual(r.hash, expectedHash));
    if (match) return match;
    throw new CapabilityRecordError({
      code: "CAPABILITY_RECORD_ERROR_HASH_MISMATCH",
      account: toHex(account),
      expected: toHex(expectedHash),
      found: [...new Set(valid.map((r) => toHex(r.hash)))],
    });
  }
  return valid.reduce((a, b) => (better(b, a) ? b : a));
}

// ---- The node's own record, kept on disk ----

/**
 * The worker's record for `capabilities`: the one in `file` when it is this key's, verifies and has the
 * same capabilities; else a new one signed with the next sequence (0 for the first), written to `file`
 * (atomically) when one is given.
 */
export function loadOrSignCapabilityRecord(
  pair: KeyPair,
  capabilities: CapabilitiesValue,
  file?: string,
): SignedCapabilityRecord {
  let previous: SignedCapabilityRecord | undefined;
  if (file && existsSync(file)) {
    try {
      previous = verifyCapabilityRecord(readFileSync(file), pair.publicKey);
    } catch {
      previous = undefined; // another key's or a damaged file: replaced below.
    }
  }
  const wanted = Capabilities.enc(capabilities);
  if (previous && bytesEqual(Capabilities.enc(previous.record.capabilities), wanted)) return previous;
  const signed = signCapabilityRecord(pair, capabilities, previous ? previous.record.sequence + 1n : 0n);
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, signed.bytes);
    renameSync(`${file}.tmp`, file);
  }
  return signed;
}
