/**
 * # Executive
 *
 * Drives a block through the runtime: initialize (block facts, hooks) -> inherents -> each extrinsic
 * (decode; check signature, era, nonce and withdraw the fee, or for an unsigned call its pallet's
 * `ValidateUnsigned`; dispatch in a storage transaction; record `ExtrinsicSuccess` / `ExtrinsicFailed`)
 * -> finalize (hooks, events, extrinsics and state roots).
 *
 * `applyExtrinsic` either includes an extrinsic (its call may still fail: that is recorded, and the fee
 * is kept) or rejects it with a `TransactionValidityError`, in which case nothing it did is kept.
 */
import { TensorchainError } from "../primitives/errors.js";
import { bytesEqual } from "../primitives/hex.js";
import { CodecError } from "../primitives/scale/types.js";
import { orderedTrieRoot } from "../primitives/trie/index.js";
import {
  Digest,
  type DigestItemValue,
  type DispatchErrorValue,
  type HeaderValue,
  type WeightValue,
} from "../primitives/types.js";
import * as C from "./constants.js";
import { palletByName, palletsWithHooks, RuntimeCall, runtimePallets } from "./construct.js";
import { BlockError } from "./errors.js";
import {
  ExtrinsicError,
  eraBirth,
  eraDeath,
  type ParsedExtrinsic,
  parseExtrinsic,
  signingPayload,
} from "./extrinsic.js";
import { type CallValue, callClass, callWeight, dispatchCall } from "./frame/calls.js";
import { DispatchError, type Origin, weight } from "./frame/dispatch.js";
import type { Ext } from "./frame/ext.js";
import type { ValidateUnsigned } from "./frame/pallet.js";
import { depositInto, withdrawKeepAlive } from "./pallets/balances.js";
import { BLOCK_LENGTH, BLOCK_WEIGHTS, getAccount, putAccount, System } from "./pallets/system.js";
import { Timestamp } from "./pallets/timestamp.js";
import { computeFee, TransactionPayment, totalFee } from "./pallets/transactionPayment.js";
import { InvalidTransactionError, invalid, type TransactionSource, type TransactionValidity } from "./validity.js";
import { RUNTIME_VERSION } from "./version.js";

/** FRAME's treasury account, where fees go (defined in `constants.ts` so pallets can import it). */
export const TREASURY_ACCOUNT = C.TREASURY_ACCOUNT;

export type DispatchOutcome = { ok: true } | { ok: false; error: DispatchErrorValue };
export type ApplyResult =
  | { ok: true; outcome: DispatchOutcome }
  | { ok: false; error: InvalidTransactionError["error"] };

export interface BlockInit {
  parentHash: Uint8Array;
  number: number;
  digest: DigestItemValue[];
}

interface CheckedExtrinsic {
  parsed: ParsedExtrinsic;
  call: CallValue;
  origin: Origin;
  weight: WeightValue;
  class: "Normal" | "Operational" | "Mandatory";
  /** For an unsigned call that is not an inherent: its pallet's `ValidateUnsigned`. */
  unsigned?: ValidateUnsigned;
}

type ClassKey = "normal" | "operational" | "mandatory";
const classKey = (c: CheckedExtrinsic["class"]): ClassKey => c.toLowerCase() as ClassKey;

export function initializeBlock(ext: Ext, init: BlockInit): void {
  ext.phase = { tag: "Initialization" };
  System.storage.Number.put(ext, init.number);
  System.storage.ParentHash.put(ext, init.parentHash);
  System.storage.Digest.put(ext, { logs: init.digest });
  if (init.number > 0) System.storage.BlockHash.insert(ext, init.number - 1, init.parentHash);
  System.storage.Events.kill(ext);
  System.storage.EventCount.kill(ext);
  System.storage.ExtrinsicCount.kill(ext);
  System.storage.AllExtrinsicsLen.kill(ext);
  let w = BLOCK_WEIGHTS.base_block.ref_time;
  for (const p of palletsWithHooks()) {
    const hw = p.hooks.onInitialize?.(ext, init.number);
    if (hw) w += hw.ref_time;
  }
  System.storage.BlockWeight.put(ext, {
    normal: weight(0n),
    operational: weight(0n),
    mandatory: { ref_time: w, proof_size: 0n },
  });
}

/**
 * Bytes that do not decode as an extrinsic of this runtime: an unknown pallet or call index, bad call
 * arguments, a malformed envelope. Substrate's runtime panics on them while decoding the runtime API's
 * arguments, so `validateTransaction` throws this (the node answers 1002 "Verification Error"), while
 * block building and import reject the extrinsic as `InvalidTransaction::Call`.
 * `codecError` is parity-scale-codec's chained error text (each level on its own line, nested levels
 * indented by tabs, a final newline).
 */
export class UndecodableExtrinsicError extends TensorchainError<{ code: "EXTRINSIC_ERROR_UNDECODABLE" }> {
  constructor(readonly codecError: string) {
    super({ code: "EXTRINSIC_ERROR_UNDECODABLE" }, `Bad input data provided to validate_transaction: ${codecError}`);
  }
}

/** Decodes an extrinsic's envelope and call; throws `UndecodableExtrinsicError`, or `CannotLookup` for a non-`Id` address. */
function decodeExtrinsic(bytes: Uint8Array): { parsed: ParsedExtrinsic; call: CallValue } {
  let parsed: ParsedExtrinsic;
  try {
    parsed = parseExtrinsic(bytes);
  } catch (err) {
    if (err instanceof ExtrinsicError && err.type.code === "EXTRINSIC_ERROR_UNSUPPORTED_ADDRESS")
      throw new InvalidTransactionError({ kind: "unknown", reason: "cannotLookup" });
    throw new UndecodableExtrinsicError(envelopeDecodeError(err));
  }
  try {
    return { parsed, call: RuntimeCall.dec(parsed.callBytes) };
  } catch (err) {
    throw new UndecodableExtrinsicError(callDecodeError(parsed.callBytes, err));
  }
}

/** parity-scale-codec's text for an extrinsic envelope `UncheckedExtrinsic::decode` refuses. */
function envelopeDecodeError(err: unknown): string {
  if (!(err instanceof ExtrinsicError)) return `${err instanceof Error ? err.message : String(err)}\n`;
  switch (err.type.code) {
    case "EXTRINSIC_ERROR_UNSUPPORTED_VERSION":
      return "Invalid transaction version\n";
    case "EXTRINSIC_ERROR_UNSUPPORTED_SIGNATURE":
      return "Could not decode `MultiSignature`, variant doesn't exist\n";
    case "EXTRINSIC_ERROR_MALFORMED":
      return err.type.reason.startsWith("length prefix")
        ? "Invalid length prefix\n"
        : "Not enough data to fill buffer\n";
    default:
      return `${err.message}\n`;
  }
}

/**
 * parity-scale-codec's text for call bytes that do not decode as a `RuntimeCall`, as its derived
 * decoders chain it: exact for an unknown pallet or call index and for trailing bytes (which Substrate's
 * extrinsic decoder sees as a wrong length prefix); for bad arguments it names the call but not the
 * failing field.
 */
function callDecodeError(callBytes: Uint8Array, err: unknown): string {
  const noByte = "Not enough data to fill buffer";
  if (callBytes.length === 0) return `Could not decode \`RuntimeCall\`, failed to read variant byte:\n\t${noByte}\n`;
  const pallet = runtimePallets().find((p) => p.index === callBytes[0] && p.callTy !== undefined);
  if (!pallet?.callTy) return "Could not decode `RuntimeCall`, variant doesn't exist\n";
  if (err instanceof CodecError && err.type.code === "CODEC_ERROR_TRAILING_BYTES") return "Invalid length prefix\n";
  const outer = `Could not decode \`RuntimeCall::${pallet.name}.0\`:\n`;
  if (callBytes.length === 1)
    return `${outer}\tCould not decode \`Call\`, failed to read variant byte:\n\t\t${noByte}\n`;
  const def = pallet.callTy.info().def;
  const variant = def.tag === "variant" ? def.variants.find((v) => v.index === callBytes[1]) : undefined;
  if (!variant) return `${outer}\tCould not decode \`Call\`, variant doesn't exist\n`;
  return `${outer}\tCould not decode \`Call::${variant.name}\`:\n\t\t${argumentDecodeError(err)}\n`;
}

/** The innermost line of parity-scale-codec's text for a call argument that does not decode. */
function argumentDecodeError(err: unknown): string {
  if (err instanceof CodecError && err.type.code === "CODEC_ERROR_MALFORMED") {
    if (err.type.reason.startsWith("unknown variant index"))
      return `Could not decode \`${err.type.type}\`, variant doesn't exist`;
    if (!/bounds|end of input/i.test(err.type.reason)) return err.type.reason;
  }
  return "Not enough data to fill buffer";
}

/** Decodes and checks an extrinsic without side effects (beyond reads). */
function check(ext: Ext, bytes: Uint8Array, genesisHash: Uint8Array): CheckedExtrinsic {
  const { parsed, call } = decodeExtrinsic(bytes);
  const weight = callWeight(call);
  const cls = callClass(call);
  const signed = parsed.signed;
  if (!signed) {
    // Unsigned: the timestamp inherent, or a call whose pallet validates unsigned calls (FRAME's
    // `ValidateUnsigned`, e.g. `Offences.report_equivocation`).
    if (call.tag === "Timestamp" && call.value.tag === "set")
      return { parsed, call, origin: { kind: "none" }, weight, class: cls };
    const unsigned = palletByName(call.tag)?.validateUnsigned;
    if (!unsigned || cls === "Mandatory")
      throw new InvalidTransactionError({ kind: "unknown", reason: "noUnsignedValidator" });
    return { parsed, call, origin: { kind: "none" }, weight, class: cls, unsigned };
  }
  if (cls === "Mandatory") throw invalid("badMandatory");
  const payload = signedPayload(ext, parsed, genesisHash);
  if (!payload) throw invalid("ancientBirthBlock");
  if (!ext.signatures.verify(signed.scheme, signed.signature, payload, signed.signer)) throw invalid("badProof");
  if (signed.signer.every((b) => b === 0)) throw invalid("badSigner");
  return { parsed, call, origin: { kind: "signed", who: signed.signer }, weight, class: cls };
}

function eraBlockHashAt(ext: Ext, birth: number, current: number): Uint8Array | undefined {
  if (birth === current) return undefined; // the block being built has no hash yet
  if (current - birth > C.BLOCK_HASH_COUNT) return undefined;
  const h = System.storage.BlockHash.get(ext, birth);
  return h && !h.every((b) => b === 0) ? h : undefined;
}

/** The payload and key a node can verify ahead of time (in parallel) for a signed extrinsic. */
export function signatureCheckFor(
  ext: Ext,
  parsed: ParsedExtrinsic,
  genesisHash: Uint8Array,
): { scheme: "sr25519" | "ed25519"; signature: Uint8Array; message: Uint8Array; publicKey: Uint8Array } | undefined {
  const s = parsed.signed;
  const message = s && signedPayload(ext, parsed, genesisHash);
  if (!s || !message) return undefined;
  return { scheme: s.scheme, signature: s.signature, message, publicKey: s.signer };
}

/**
 * What the signer of `parsed` signed, given the block being built on `ext`; undefined when the era's
 * birth block is in the future or no longer known (the transaction can then never be valid).
 */
function signedPayload(ext: Ext, parsed: ParsedExtrinsic, genesisHash: Uint8Array): Uint8Array | undefined {
  const s = parsed.signed!;
  const current = System.storage.Number.getOrDefault(ext);
  const birth = eraBirth(s.era, current);
  if (birth > current) return undefined;
  const eraBlockHash = s.era.kind === "immortal" ? genesisHash : eraBlockHashAt(ext, birth, current);
  if (!eraBlockHash) return undefined;
  return signingPayload(parsed.callBytes, s.extraBytes, {
    specVersion: RUNTIME_VERSION.specVersion,
    transactionVersion: RUNTIME_VERSION.transactionVersion,
    genesisHash,
    eraBlockHash,
  });
}

function checkWeightAndLength(ext: Ext, x: CheckedExtrinsic): { key: ClassKey; total: WeightValue } {
  const key = classKey(x.class);
  const perClass = BLOCK_WEIGHTS.per_class[key];
  const extrinsicWeight = x.weight.ref_time + perClass.base_extrinsic.ref_time;
  const current = System.storage.BlockWeight.getOrDefault(ext);
  const total = {
    ref_time: current[key].ref_time + extrinsicWeight,
    proof_size: current[key].proof_size + x.weight.proof_size,
  };
  if (perClass.max_extrinsic && extrinsicWeight > perClass.max_extrinsic.ref_time) throw invalid("exhaustsResources");
  if (perClass.max_total && total.ref_time > perClass.max_total.ref_time) throw invalid("exhaustsResources");
  const len = (System.storage.AllExtrinsicsLen.get(ext) ?? 0) + x.parsed.bytes.length;
  if (len > BLOCK_LENGTH.max[key]) throw invalid("exhaustsResources");
  return { key, total };
}

/** Applies one extrinsic to the block being built. */
export function applyExtrinsic(ext: Ext, bytes: Uint8Array, genesisHash: Uint8Array): ApplyResult {
  const index = System.storage.ExtrinsicCount.get(ext) ?? 0;
  ext.phase = { tag: "ApplyExtrinsic", value: index };
  let fee = 0n;
  let checked: CheckedExtrinsic;
  try {
    // Pre-dispatch checks and the fee withdrawal are all-or-nothing: an invalid transaction leaves no trace.
    checked = ext.transactional(() => {
      const x = check(ext, bytes, genesisHash);
      const { key, total } = checkWeightAndLength(ext, x);
      x.unsigned?.preDispatch(ext, x.call.value);
      if (x.origin.kind === "signed") {
        const s = x.parsed.signed!;
        const who = x.origin.who;
        const account = getAccount(ext, who);
        if (s.nonce < account.nonce) throw invalid("stale");
        if (s.nonce > account.nonce) throw invalid("future");
        account.nonce += 1;
        putAccount(ext, who, account, true);
        fee = totalFee(computeFee(bytes.length, x.weight, s.tip));
        try {
          withdrawKeepAlive(ext, who, fee);
        } catch (err) {
          if (err instanceof DispatchError) throw invalid("payment");
          throw err;
        }
      }
      const bw = System.storage.BlockWeight.getOrDefault(ext);
      bw[key] = total;
      System.storage.BlockWeight.put(ext, bw);
      System.storage.AllExtrinsicsLen.put(ext, (System.storage.AllExtrinsicsLen.get(ext) ?? 0) + bytes.length);
      return x;
    });
  } catch (err) {
    if (err instanceof InvalidTransactionError) return { ok: false, error: err.error };
    if (err instanceof UndecodableExtrinsicError) return { ok: false, error: { kind: "invalid", reason: "call" } };
    throw err;
  }

  let outcome: DispatchOutcome;
  try {
    ext.transactional(() => dispatchCall(ext, checked.origin, checked.call));
    outcome = { ok: true };
  } catch (err) {
    if (!(err instanceof DispatchError)) throw err;
    outcome = { ok: false, error: err.value };
  }
  if (checked.origin.kind === "signed") {
    const who = checked.origin.who;
    depositInto(ext, TREASURY_ACCOUNT, fee);
    TransactionPayment.deposit(ext, {
      tag: "TransactionFeePaid",
      value: { who, actual_fee: fee, tip: checked.parsed.signed!.tip },
    });
  }
  const dispatchInfo = {
    weight: checked.weight,
    class: { tag: checked.class },
    pays_fee: { tag: checked.origin.kind === "signed" ? "Yes" : "No" },
  } as const;
  if (outcome.ok) System.deposit(ext, { tag: "ExtrinsicSuccess", value: { dispatch_info: dispatchInfo } });
  else
    System.deposit(ext, {
      tag: "ExtrinsicFailed",
      value: { dispatch_error: outcome.error, dispatch_info: dispatchInfo },
    });
  System.storage.ExtrinsicCount.put(ext, index + 1);
  return { ok: true, outcome };
}

/** Closes the block: hooks, events into storage, and the header's roots (the state root is the caller's). */
export function finalizeBlock(
  ext: Ext,
  extrinsics: Uint8Array[],
): { extrinsicsRoot: Uint8Array; digest: DigestItemValue[] } {
  ext.phase = { tag: "Finalization" };
  const number = System.storage.Number.getOrDefault(ext);
  if (!Timestamp.storage.DidUpdate.getOrDefault(ext))
    throw new BlockError({ code: "BLOCK_ERROR_TIMESTAMP_NOT_SET" }, "Timestamp must be updated once in the block");
  Timestamp.storage.DidUpdate.kill(ext);
  for (const p of palletsWithHooks()) p.hooks.onFinalize?.(ext, number);
  // Old block hashes fall out of the mortality window.
  const stale = number - C.BLOCK_HASH_COUNT - 1;
  if (stale > 0) System.storage.BlockHash.remove(ext, stale);
  System.storage.Events.put(ext, ext.events as never);
  System.storage.EventCount.put(ext, ext.events.length);
  return { extrinsicsRoot: orderedTrieRoot(extrinsics), digest: System.storage.Digest.getOrDefault(ext).logs };
}

/** Whether an extrinsic is the timestamp inherent (other unsigned calls, such as reports, may follow it). */
function isTimestampInherent(bytes: Uint8Array): boolean {
  try {
    const parsed = parseExtrinsic(bytes);
    const call = RuntimeCall.dec(parsed.callBytes);
    return parsed.signed === undefined && call.tag === "Timestamp" && call.value.tag === "set";
  } catch {
    return false;
  }
}

/**
 * Executes a whole block on `ext` (which wraps its parent's state): used for import. Throws `BlockError`
 * if an extrinsic is invalid, the inherent is missing, or the extrinsics root differs from the header's.
 */
export function executeBlock(ext: Ext, header: HeaderValue, extrinsics: Uint8Array[], genesisHash: Uint8Array): void {
  // As in Substrate, the block starts from its author's pre-runtime digests; the runtime adds its own
  // items (e.g. authority-set changes) and the result must be exactly the header's digest.
  const preRuntime = header.digest.logs.filter((l) => l.tag === "PreRuntime");
  initializeBlock(ext, { parentHash: header.parentHash, number: header.number, digest: preRuntime });
  for (let i = 0; i < extrinsics.length; i++) {
    if (i === 0 && !isTimestampInherent(extrinsics[0]))
      throw new BlockError({ code: "BLOCK_ERROR_NO_TIMESTAMP" }, "First extrinsic must be the timestamp inherent");
    const r = applyExtrinsic(ext, extrinsics[i], genesisHash);
    if (!r.ok)
      throw new BlockError(
        { code: "BLOCK_ERROR_INVALID_EXTRINSIC", index: i, error: r.error },
        `Extrinsic ${i} is invalid: ${r.error.kind} ${r.error.reason}`,
      );
  }
  const { extrinsicsRoot, digest } = finalizeBlock(ext, extrinsics);
  if (!bytesEqual(extrinsicsRoot, header.extrinsicsRoot))
    throw new BlockError({ code: "BLOCK_ERROR_EXTRINSICS_ROOT_MISMATCH" }, "Extrinsics root mismatch");
  const expected = Digest.enc({ logs: digest });
  const actual = Digest.enc({ logs: header.digest.logs.filter((l) => l.tag !== "Seal") });
  if (!bytesEqual(expected, actual))
    throw new BlockError({ code: "BLOCK_ERROR_DIGEST_MISMATCH" }, "Header digest does not match the runtime's");
}

/**
 * `TaggedTransactionQueue_validate_transaction`: validates against the state of block `at` as if a new
 * block on top of it were being built. Nothing is written (the caller discards `ext`). Bytes that do not
 * decode throw `UndecodableExtrinsicError` rather than answering a validity, as Substrate's runtime panics.
 */
export function validateTransaction(
  ext: Ext,
  source: TransactionSource,
  bytes: Uint8Array,
  at: { hash: Uint8Array; number: number },
  genesisHash: Uint8Array,
): TransactionValidity {
  initializeBlock(ext, { parentHash: at.hash, number: at.number + 1, digest: [] });
  try {
    const x = check(ext, bytes, genesisHash);
    if (x.unsigned) {
      checkWeightAndLength(ext, x);
      return { ok: true, value: x.unsigned.validate(ext, source, x.call.value) };
    }
    if (x.origin.kind !== "signed") {
      // Inherents come from the block author, never through the pool.
      throw source === "inBlock" ? invalid("call") : invalid("mandatoryValidation");
    }
    checkWeightAndLength(ext, x);
    const s = x.parsed.signed!;
    const who = x.origin.who;
    const account = getAccount(ext, who);
    if (s.nonce < account.nonce) throw invalid("stale");
    const fee = totalFee(computeFee(bytes.length, x.weight, s.tip));
    const total = account.data.free + account.data.reserved;
    // Locked (frozen) balance cannot pay fees.
    if (account.data.free - account.data.frozen < fee || total - fee < C.EXISTENTIAL_DEPOSIT) throw invalid("payment");
    const tag = (nonce: number) => {
      const t = new Uint8Array(36);
      t.set(who, 0);
      new DataView(t.buffer).setUint32(32, nonce, true);
      return t;
    };
    const current = at.number + 1;
    const maxU64 = (1n << 64n) - 1n;
    return {
      ok: true,
      value: {
        priority: s.tip > maxU64 ? maxU64 : s.tip,
        requires: s.nonce > account.nonce ? [tag(s.nonce - 1)] : [],
        provides: [tag(s.nonce)],
        longevity: s.era.kind === "immortal" ? maxU64 : BigInt(Math.max(eraDeath(s.era, current) - current, 0)),
        propagate: true,
      },
    };
  } catch (err) {
    if (err instanceof InvalidTransactionError) return { ok: false, error: err.error };
    throw err;
  }
}

/** `TransactionPaymentApi_query_info`: the fee depends on length and declared weight only, not the signature. */
export function queryInfo(bytes: Uint8Array, len: number) {
  const parsed = parseExtrinsic(bytes);
  const call = RuntimeCall.dec(parsed.callBytes);
  const w = callWeight(call);
  const cls = callClass(call);
  const fee = parsed.signed ? computeFee(len, w, 0n) : undefined;
  return {
    weight: w,
    class: cls,
    partialFee: fee ? totalFee(fee) : 0n,
    feeDetails: fee,
    tip: parsed.signed?.tip ?? 0n,
  };
}

export function accountNonce(ext: Ext, who: Uint8Array): number {
  return getAccount(ext, who).nonce;
}
