/**
 * Fuzz target "extrinsic": whatever bytes arrive as an extrinsic (random, a valid signed or unsigned
 * extrinsic mutated, a validly signed extrinsic whose call is random or garbage), decoding and the
 * check path only ever answer with the project's typed errors or an invalid validity, never with a
 * TypeError or RangeError:
 *
 * - `parseExtrinsic` returns or throws `ExtrinsicError`, and what it accepts is canonical (the parts
 *   it returns encode back to the same bytes: one encoding, one transaction hash);
 * - `RuntimeCall.dec` of the call returns or throws `CodecError`; `queryInfo` a `TensorchainError`;
 * - the runtime's `TaggedTransactionQueue` (through a `RuntimeView`, as the pool and RPC call it) returns
 *   a validity; the pool's `submit` resolves or rejects with a `TxPoolError`;
 * - `applyExtrinsic` on a block being built returns a result (the call's dispatch included).
 */

import { beforeAll, describe, expect, it } from "@jest/globals";
import * as fc from "fast-check";
import type { RuntimeView as RuntimeViewType } from "../../node/chain/runtimeView.js";
import { RuntimeView } from "../../node/chain/runtimeView.js";
import { signExtrinsic } from "../../node/extrinsicBuilder.js";
import { TxPool, TxPoolError } from "../../node/txpool/index.js";
import { defaultSignatureChecker } from "../../primitives/crypto/index.js";
import { TensorchainError } from "../../primitives/errors.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { type HexString, toHex } from "../../primitives/hex.js";
import { nullLogger } from "../../primitives/logger.js";
import { CodecError } from "../../primitives/scale/types.js";
import { EXISTENTIAL_DEPOSIT } from "../../runtime/constants.js";
import {
  applyExtrinsic,
  buildRuntime,
  type CallValue,
  ExtrinsicError,
  encodeExtra,
  encodeSignedExtrinsic,
  encodeUnsignedExtrinsic,
  initializeBlock,
  type ParsedExtrinsic,
  parseExtrinsic,
  queryInfo,
  RuntimeCall,
  readCompact,
  timestampInherent,
  UndecodableExtrinsicError,
} from "../../runtime/index.js";
import { dev, TestRuntime, transferKeepAlive, UNIT } from "../helpers/runtime.js";
import { FUZZ_RUNS, fuzzParams, fuzzTimeout } from "./budget.js";
import { garbage, mutated } from "./mutations.js";
import { ValueArbitraries } from "./scaleArbitraries.js";

const signers = ["Alice", "Bob", "Charlie", "Ferdie"].map(dev); // Ferdie has no funds
let rt: TestRuntime;
let view: RuntimeViewType;

// The test runtimes here have a sudo key: this file runs the dev runtime.
buildRuntime({ sudo: true });

beforeAll(async () => {
  await cryptoReady();
  rt = TestRuntime.withBalances(
    [
      ["Alice", 1_000_000n * UNIT],
      ["Bob", 1_000n * UNIT],
      ["Charlie", EXISTENTIAL_DEPOSIT], // cannot pay a fee
    ],
    "Alice",
  );
  // Blocks with a transfer each: nonces above zero, and block hashes for mortal eras to refer to.
  for (let i = 0; i < 4; i++) rt.submit(signers[i % 2], transferKeepAlive(signers[2], UNIT));
  view = new RuntimeView(
    { hash: rt.hash, hashHex: toHex(rt.hash), number: rt.header.number, header: rt.header },
    rt.state,
    { signatures: defaultSignatureChecker, genesisHash: rt.genesisHash },
  );
});

// ---------------------------------------------------------------------------------------------
// Inputs

const calls = new ValueArbitraries([RuntimeCall]);

/** Any call of the runtime with random arguments, or a transfer (the common case, valid arguments). */
const callArb: fc.Arbitrary<CallValue> = fc.oneof(
  calls.arb(RuntimeCall) as fc.Arbitrary<CallValue>,
  fc
    .tuple(fc.integer({ min: 0, max: signers.length - 1 }), fc.bigInt({ min: 0n, max: 10n * UNIT }))
    .map(([to, value]) => transferKeepAlive(signers[to], value)),
);

/** A validly signed extrinsic of `callBytes`: the signer's nonce or near it, any tip, maybe mortal. */
function signedArb(callBytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      callBytes,
      signer: fc.integer({ min: 0, max: signers.length - 1 }),
      nonceDelta: fc.integer({ min: -1, max: 2 }),
      tip: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 128n) - 1n })),
      period: fc.option(fc.integer({ min: 4, max: 64 }), { nil: undefined }),
    })
    .map(({ callBytes, signer, nonceDelta, tip, period }) => {
      const pair = signers[signer];
      return signExtrinsic(callBytes, pair, {
        nonce: Math.max(0, rt.nonceOf(pair) + nonceDelta),
        tip,
        genesisHash: rt.genesisHash,
        mortality: period ? { period, current: rt.header.number, blockHash: rt.hash } : undefined,
      });
    });
}

const callBytesArb = callArb.map((c) => RuntimeCall.enc(c));
const validSigned = signedArb(callBytesArb);
const validUnsigned = callBytesArb.map(encodeUnsignedExtrinsic);

/** What an extrinsic's bytes can be: random, mutated, or signed by its sender but with a bad call. */
const extrinsicBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  garbage(),
  garbage().map((body) => encodeUnsignedExtrinsic(body).subarray(0)), // a right length prefix
  mutated(validSigned),
  mutated(validUnsigned),
  validSigned,
  validUnsigned,
  signedArb(mutated(callBytesArb)), // garbage call bytes, signature valid
);

// ---------------------------------------------------------------------------------------------
// Checks

/** A thrown value the project may answer with: a typed error with a code. */
function expectTyped(err: unknown, what: string): void {
  if (err instanceof TensorchainError && typeof err.code === "string") return;
  throw new Error(`${what} threw an untyped ${(err as Error)?.constructor?.name}: ${(err as Error)?.stack ?? err}`);
}

/** The bytes `parsed` stands for, built from its parts. */
function reencode(parsed: ParsedExtrinsic): Uint8Array {
  const s = parsed.signed;
  if (!s) return encodeUnsignedExtrinsic(parsed.callBytes);
  return encodeSignedExtrinsic({
    signer: s.signer,
    scheme: s.scheme,
    signature: s.signature,
    extraBytes: encodeExtra(s.eraBytes, s.nonce, s.tip),
    callBytes: parsed.callBytes,
  });
}

function checkDecoding(bytes: Uint8Array): void {
  let parsed: ParsedExtrinsic | undefined;
  try {
    parsed = parseExtrinsic(bytes);
  } catch (err) {
    if (!(err instanceof ExtrinsicError)) throw err;
  }
  if (parsed) {
    expect(toHex(reencode(parsed))).toBe(toHex(bytes));
    try {
      RuntimeCall.dec(parsed.callBytes);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
    }
  }
  try {
    queryInfo(bytes, bytes.length);
  } catch (err) {
    expectTyped(err, "queryInfo");
  }
}

/** A block being built on the runtime's head, its timestamp inherent applied. */
function blockExt() {
  const ext = rt.ext();
  initializeBlock(ext, { parentHash: rt.hash, number: rt.header.number + 1, digest: [] });
  const inherent = applyExtrinsic(ext, timestampInherent(BigInt(Date.now())), rt.genesisHash);
  if (!inherent.ok) throw new Error("the timestamp inherent failed");
  return ext;
}

function newPool(): TxPool {
  return new TxPool(
    {},
    {
      logger: nullLogger,
      validate: async (source, tx) => view.validateTransaction(source, tx),
      bestBlock: () => ({ hash: toHex(rt.hash) as HexString, number: rt.header.number }),
    },
  );
}

async function checkCheckPath(pool: TxPool, bytes: Uint8Array): Promise<void> {
  for (const source of ["external", "local", "inBlock"] as const) {
    try {
      const validity = view.validateTransaction(source, bytes);
      expect(typeof validity.ok).toBe("boolean");
    } catch (err) {
      expectTyped(err, `validateTransaction(${source})`);
    }
  }
  try {
    const result = applyExtrinsic(blockExt(), bytes, rt.genesisHash);
    expect(typeof result.ok).toBe("boolean");
  } catch (err) {
    expectTyped(err, "applyExtrinsic");
  }
  try {
    await pool.submit("external", bytes);
  } catch (err) {
    if (!(err instanceof TxPoolError)) throw err;
  }
}

describe("fuzz: extrinsic decoding and the transaction check path", () => {
  it("sanity: the generated signed transfers are valid as they are", () => {
    const alice = signers[0];
    const tx = signExtrinsic(RuntimeCall.enc(transferKeepAlive(signers[1], UNIT)), alice, {
      nonce: rt.nonceOf(alice),
      genesisHash: rt.genesisHash,
    });
    expect(view.validateTransaction("external", tx).ok).toBe(true);
    expect(applyExtrinsic(blockExt(), tx, rt.genesisHash)).toEqual({ ok: true, outcome: { ok: true } });
    // Of the generated extrinsics, many pass the runtime's checks: the mutations start deep.
    const valid = fc.sample(validSigned, 200).filter((b) => view.validateTransaction("external", b).ok);
    expect(valid.length).toBeGreaterThan(20);
  });

  it(
    `parseExtrinsic, the call's decoding and queryInfo throw only typed errors (${FUZZ_RUNS} inputs)`,
    () => fc.assert(fc.property(extrinsicBytes, checkDecoding), fuzzParams()),
    fuzzTimeout(0.5),
  );

  it(
    `validation (RuntimeView, pool) and applyExtrinsic answer a validity or a typed error (${FUZZ_RUNS} inputs)`,
    async () => {
      const pool = newPool();
      await fc.assert(
        fc.asyncProperty(extrinsicBytes, (b) => checkCheckPath(pool, b)),
        fuzzParams(),
      );
      await pool.close();
    },
    fuzzTimeout(5),
  );

  it("regression: a signed transaction's length prefix has one encoding (no second hash for it)", () => {
    const alice = signers[0];
    const tx = signExtrinsic(RuntimeCall.enc(transferKeepAlive(signers[1], UNIT)), alice, {
      nonce: rt.nonceOf(alice),
      genesisHash: rt.genesisHash,
    });
    const body = tx.subarray(readCompact(tx, 0)[1]);
    // The same body behind a four-byte length prefix: accepted before, a new hash for the same transaction.
    const wide = new Uint8Array(4 + body.length);
    new DataView(wide.buffer).setUint32(0, ((body.length << 2) | 2) >>> 0, true);
    wide.set(body, 4);
    expect(() => parseExtrinsic(wide)).toThrow(ExtrinsicError);
    expect(() => view.validateTransaction("external", wide)).toThrow(UndecodableExtrinsicError);
  });
});
