import { beforeAll, describe, expect, it } from "@jest/globals";
import { PreDigest, preDigestItem } from "../../../consensus/babe/digests.js";
import { blake2_256, concat, cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import type { DigestItemValue } from "../../../primitives/types.js";
import { buildRuntime, palletByName, runtimePallets } from "../../../runtime/construct.js";
import { type CallValue, callDecl } from "../../../runtime/frame/calls.js";
import {
  Babe,
  BabeRuntimeError,
  currentSlot,
  DEFAULT_SLOT_DURATION_MS,
  decodeBabePreDigest,
  EMPTY_ACCUMULATOR,
  EPOCH_DURATION,
  epochIndex,
  epochRandomnessFor,
  GENESIS_RANDOMNESS,
  genesisSlot,
  MIN_SLOT_DURATION_MS,
  nextRandomness,
  randomness,
  slotDuration,
} from "../../../runtime/pallets/babe.js";
import {
  BABE_ENGINE_ID,
  currentAuthorities,
  disabledValidators,
  disabledValidatorsAt,
  SESSION_LENGTH,
  Session,
  sessionIndex,
} from "../../../runtime/pallets/session.js";
import { minimumPeriod, Timestamp } from "../../../runtime/pallets/timestamp.js";
import { thrownCode } from "../../helpers/errors.js";
import { babePreDigest, babeVrfPreDigest, dev, TestRuntime, UNIT, withStaking } from "../../helpers/runtime.js";

// The disabled-author tests force an offence through Sudo: this file runs the dev runtime.
buildRuntime({ sudo: true });

beforeAll(async () => {
  await cryptoReady();
});

function twoValidators(): TestRuntime {
  return withStaking({
    balances: [
      ["Alice", 1000n * UNIT],
      ["Bob", 1000n * UNIT],
    ],
    validators: [
      ["Alice", 100n * UNIT],
      ["Bob", 100n * UNIT],
    ],
  });
}

/** A distinct 32-byte pre-output per block number. */
const preOutputOf = (n: number) => blake2_256(new TextEncoder().encode(`pre-output-${n}`));
/** Block n: a primary block at slot 100 + n, except every third block, which is a secondary plain one. */
const digestOf = (n: number): DigestItemValue[] =>
  n % 3 === 0 ? [babePreDigest(n % 2, 100n + BigInt(n))] : [babeVrfPreDigest(n % 2, 100n + BigInt(n), preOutputOf(n))];
const u64le = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
};
/** The accumulator over blocks `from..=to` of `digestOf`, computed independently of the pallet. */
function expectedAccumulator(from: number, to: number): Uint8Array {
  let acc: Uint8Array = new Uint8Array(32);
  for (let n = from; n <= to; n++) if (n % 3 !== 0) acc = blake2_256(concat(acc, preOutputOf(n)));
  return acc;
}

/** The payload of a `PreRuntime` digest item. */
const payload = (item: DigestItemValue): Uint8Array => (item as { value: [Uint8Array, Uint8Array] }).value[1];

/** Runs `fn` and returns the `BabeRuntimeError` code it threw. */
const babeErrorOf = (fn: () => unknown) => thrownCode(fn, BabeRuntimeError);

describe("babe pallet: declaration", () => {
  it("is pallet 9 (pallet_babe), after Session so that the session rotates first in each block", () => {
    expect(palletByName("Babe")).toBe(Babe);
    expect(Babe.index).toBe(9);
    expect(Babe.module).toBe("pallet_babe");
    const names = runtimePallets().map((p) => p.name);
    expect(names.indexOf("Session")).toBeLessThan(names.indexOf("Babe"));
  });

  it("declares EpochDuration = SESSION_LENGTH, ExpectedBlockTime = 2000 ms and c = (1, 4)", () => {
    expect(EPOCH_DURATION).toBe(SESSION_LENGTH);
    expect(Babe.constants.EpochDuration.value).toBe(BigInt(SESSION_LENGTH));
    expect(Babe.constants.ExpectedBlockTime.value).toBe(2000n);
    expect(Babe.constants.PrimaryProbability.value).toEqual([1n, 4n]);
  });

  it("decodes the consensus module's PreDigest bytes exactly, and rejects malformed ones with a typed error", () => {
    const pre_output = preOutputOf(1);
    const primary = PreDigest.enc({
      tag: "Primary",
      value: { authority_index: 3, slot: 77n, vrf_signature: { pre_output, proof: new Uint8Array(64).fill(9) } },
    });
    expect(decodeBabePreDigest(primary)).toEqual({
      kind: "Primary",
      authorityIndex: 3,
      slot: 77n,
      preOutput: pre_output,
    });
    // The test helper's bytes are the consensus codec's bytes.
    const zeroProof = PreDigest.enc({
      tag: "Primary",
      value: { authority_index: 3, slot: 77n, vrf_signature: { pre_output, proof: new Uint8Array(64) } },
    });
    expect(toHex(payload(babeVrfPreDigest(3, 77n, pre_output)))).toBe(toHex(zeroProof));
    const plain = PreDigest.enc({ tag: "SecondaryPlain", value: { authority_index: 1, slot: 5n } });
    expect(decodeBabePreDigest(plain)).toEqual({
      kind: "SecondaryPlain",
      authorityIndex: 1,
      slot: 5n,
      preOutput: undefined,
    });
    expect(babeErrorOf(() => decodeBabePreDigest(new Uint8Array()))).toBe("BABE_RUNTIME_ERROR_BAD_PRE_DIGEST");
    expect(babeErrorOf(() => decodeBabePreDigest(new Uint8Array([4, ...plain.slice(1)])))).toBe(
      "BABE_RUNTIME_ERROR_BAD_PRE_DIGEST",
    );
    expect(babeErrorOf(() => decodeBabePreDigest(concat(plain, new Uint8Array([0]))))).toBe(
      "BABE_RUNTIME_ERROR_BAD_PRE_DIGEST",
    );
    expect(babeErrorOf(() => decodeBabePreDigest(primary.slice(0, 50)))).toBe("BABE_RUNTIME_ERROR_BAD_PRE_DIGEST");
  });
});

describe("babe pallet: genesis", () => {
  it('starts with both randomness values = blake2_256("tensorchain-genesis-randomness"), epoch 0, no slot', () => {
    const rt = twoValidators();
    const expected = blake2_256(new TextEncoder().encode("tensorchain-genesis-randomness"));
    expect(GENESIS_RANDOMNESS).toEqual(expected);
    expect(rt.read(randomness)).toEqual(expected);
    expect(rt.read(nextRandomness)).toEqual(expected);
    expect(rt.read((e) => Babe.storage.Accumulator.getOrDefault(e))).toEqual(EMPTY_ACCUMULATOR);
    expect(rt.read(epochIndex)).toBe(0n);
    expect(rt.read(currentSlot)).toBe(0n);
    expect(rt.read(genesisSlot)).toBeUndefined();
  });
});

describe("babe pallet: slots", () => {
  it("records the slot of each block, and the first BABE block's slot as the genesis slot", () => {
    const rt = twoValidators();
    rt.block([], { digest: [babePreDigest(0, 500n)] });
    expect(rt.read(currentSlot)).toBe(500n);
    expect(rt.read(genesisSlot)).toBe(500n);
    rt.block([], { digest: [babeVrfPreDigest(1, 502n, preOutputOf(2))] });
    expect(rt.read(currentSlot)).toBe(502n);
    expect(rt.read(genesisSlot)).toBe(500n);
  });

  it("accepts slot 0 for the first BABE block, but never again", () => {
    const rt = twoValidators();
    rt.block([], { digest: [babePreDigest(0, 0n)] });
    expect(rt.read(genesisSlot)).toBe(0n);
    const root = rt.state.root;
    expect(babeErrorOf(() => rt.block([], { digest: [babePreDigest(0, 0n)] }))).toBe(
      "BABE_RUNTIME_ERROR_SLOT_NOT_INCREASING",
    );
    expect(rt.state.root).toEqual(root);
  });

  it("makes a block with an equal or lower slot invalid, leaving the chain as it was", () => {
    const rt = twoValidators();
    rt.block([], { digest: [babePreDigest(0, 10n)] });
    const root = rt.state.root;
    const head = rt.header.number;
    for (const slot of [10n, 9n, 1n])
      expect(babeErrorOf(() => rt.block([], { digest: [babePreDigest(1, slot)] }))).toBe(
        "BABE_RUNTIME_ERROR_SLOT_NOT_INCREASING",
      );
    expect(rt.state.root).toEqual(root);
    expect(rt.header.number).toBe(head);
    rt.block([], { digest: [babePreDigest(1, 11n)] });
    expect(rt.read(currentSlot)).toBe(11n);
  });

  it("makes a block with two BABE pre-digests, or a malformed one, invalid", () => {
    const rt = twoValidators();
    expect(babeErrorOf(() => rt.block([], { digest: [babePreDigest(0, 1n), babePreDigest(1, 2n)] }))).toBe(
      "BABE_RUNTIME_ERROR_MULTIPLE_PRE_DIGESTS",
    );
    const malformed: DigestItemValue = {
      tag: "PreRuntime",
      value: [BABE_ENGINE_ID, payload(babePreDigest(0, 1n)).slice(0, 12)],
    };
    expect(babeErrorOf(() => rt.block([], { digest: [malformed] }))).toBe("BABE_RUNTIME_ERROR_BAD_PRE_DIGEST");
    expect(rt.header.number).toBe(0);
  });

  it("leaves the slot alone in a block without a BABE pre-digest (other engines' items are ignored)", () => {
    const rt = twoValidators();
    rt.block([], { digest: [babePreDigest(0, 7n)] });
    const aura: DigestItemValue = { tag: "PreRuntime", value: [new TextEncoder().encode("aura"), u64le(3n)] };
    rt.block([], { digest: [aura] });
    rt.block([]);
    expect(rt.read(currentSlot)).toBe(7n);
    expect(rt.header.number).toBe(3);
  });
});

describe("babe pallet: disabled authors", () => {
  /**
   * Alice, Bob, Charlie and Dave validate (four, so that one may be disabled); Ferdie is sudo; Alice is
   * slashed (and so disabled) in block 1.
   */
  function aliceDisabled() {
    const rt = withStaking({
      balances: ["Alice", "Bob", "Charlie", "Dave", "Ferdie"].map((n) => [n, 1000n * UNIT]),
      validators: [
        ["Alice", 100n * UNIT],
        ["Bob", 100n * UNIT],
        ["Charlie", 100n * UNIT],
        ["Dave", 100n * UNIT],
      ],
      slashFraction: 100_000_000,
      sudo: "Ferdie",
    });
    const indexOf = (name: string) =>
      rt.read(currentAuthorities).findIndex((a) => Buffer.compare(a.account, dev(name).publicKey) === 0);
    const [alice, bob] = [indexOf("Alice"), indexOf("Bob")];
    rt.sudo(dev("Ferdie"), {
      tag: "Offences",
      value: {
        tag: "force_apply_offence",
        value: { offender: dev("Alice").publicKey, kind: { tag: "BlockEquivocation" }, session_index: 0 },
      },
    });
    expect(rt.read(disabledValidators)).toEqual([alice]);
    return { rt, alice, bob };
  }

  it("makes a block whose pre-digest names a disabled authority invalid, leaving the chain as it was", () => {
    const { rt, alice, bob } = aliceDisabled();
    expect(rt.read((e) => disabledValidatorsAt(e, rt.header.number + 1))).toEqual([alice]);
    const root = rt.state.root;
    for (const digest of [babePreDigest(alice, 10n), babeVrfPreDigest(alice, 10n, preOutputOf(2))])
      expect(babeErrorOf(() => rt.block([], { digest: [digest] }))).toBe("BABE_RUNTIME_ERROR_DISABLED_AUTHOR");
    expect(rt.state.root).toEqual(root);
    expect(rt.header.number).toBe(1);
    rt.block([], { digest: [babePreDigest(bob, 10n)] });
    expect(rt.read(currentSlot)).toBe(10n);
  });

  it("keeps the author disabled while the set lasts, across sessions; the next set starts with none", () => {
    const { rt, alice, bob } = aliceDisabled();
    const byBob = (n: number) => [babePreDigest(bob, BigInt(n))];
    // Sessions 1 and 2 keep era 0's validators: the rotation keeps the list.
    rt.runTo(SESSION_LENGTH - 1, byBob);
    expect(rt.read((e) => disabledValidatorsAt(e, SESSION_LENGTH))).toEqual([alice]);
    expect(babeErrorOf(() => rt.block([], { digest: [babePreDigest(alice, 100n)] }))).toBe(
      "BABE_RUNTIME_ERROR_DISABLED_AUTHOR",
    );
    rt.runTo(3 * SESSION_LENGTH - 1, byBob);
    expect(rt.read(disabledValidators)).toEqual([alice]);
    // Era 1 (from session 3) elects Bob, Charlie and Dave (Alice was chilled): a new set, nobody disabled, and
    // Alice's old index is another validator's, who may author.
    expect(rt.read((e) => disabledValidatorsAt(e, 3 * SESSION_LENGTH))).toEqual([]);
    rt.block([], { digest: [babePreDigest(alice, 1000n)] });
    expect(rt.read(sessionIndex)).toBe(3);
    expect(rt.read(disabledValidators)).toEqual([]);
    expect(rt.read(currentAuthorities).map((a) => a.account)).not.toContainEqual(dev("Alice").publicKey);
  });
});

describe("babe pallet: epoch randomness", () => {
  it("folds only primary pre-outputs into the accumulator, in block order", () => {
    const rt = twoValidators();
    rt.block([], { digest: [babeVrfPreDigest(0, 1n, preOutputOf(1))] });
    rt.block([], { digest: [babePreDigest(1, 2n)] });
    rt.block([], { digest: [babeVrfPreDigest(0, 3n, preOutputOf(3), "SecondaryVRF")] });
    rt.block([], { digest: [babeVrfPreDigest(1, 4n, preOutputOf(4))] });
    const expected = blake2_256(concat(blake2_256(concat(new Uint8Array(32), preOutputOf(1))), preOutputOf(4)));
    expect(rt.read((e) => Babe.storage.Accumulator.getOrDefault(e))).toEqual(expected);
    // Within the epoch the randomness does not move.
    expect(rt.read(randomness)).toEqual(GENESIS_RANDOMNESS);
    expect(rt.read(nextRandomness)).toEqual(GENESIS_RANDOMNESS);
  });

  it("rotates at the first block of each session, in the same block as the session pallet", () => {
    const rt = twoValidators();
    rt.runTo(SESSION_LENGTH - 1, digestOf);
    const acc0 = expectedAccumulator(1, SESSION_LENGTH - 1);
    expect(rt.read((e) => Babe.storage.Accumulator.getOrDefault(e))).toEqual(acc0);

    rt.runTo(SESSION_LENGTH, digestOf);
    expect(rt.eventsOf("Session", "NewSession")).toEqual([{ tag: "NewSession", value: { session_index: 1 } }]);
    expect(rt.read(epochIndex)).toBe(1n);
    expect(rt.read(sessionIndex)).toBe(1);
    const next1 = blake2_256(concat(GENESIS_RANDOMNESS, acc0, u64le(1n)));
    expect(rt.read(randomness)).toEqual(GENESIS_RANDOMNESS);
    expect(rt.read(nextRandomness)).toEqual(next1);
    // The accumulator restarted, and holds block 10's own pre-output (block 10 is primary: 10 % 3 !== 0).
    expect(rt.read((e) => Babe.storage.Accumulator.getOrDefault(e))).toEqual(
      expectedAccumulator(SESSION_LENGTH, SESSION_LENGTH),
    );

    rt.runTo(2 * SESSION_LENGTH, digestOf);
    const acc1 = expectedAccumulator(SESSION_LENGTH, 2 * SESSION_LENGTH - 1);
    expect(rt.read(epochIndex)).toBe(2n);
    expect(rt.read(randomness)).toEqual(next1);
    expect(rt.read(nextRandomness)).toEqual(blake2_256(concat(next1, acc1, u64le(2n))));
  });

  it("keeps EpochIndex equal to the session index at every block", () => {
    const rt = twoValidators();
    for (let n = 1; n <= 3 * SESSION_LENGTH + 1; n++) {
      rt.block([], { digest: digestOf(n) });
      expect(rt.read(epochIndex)).toBe(BigInt(rt.read(sessionIndex)));
      expect(rt.read((e) => Session.storage.CurrentIndex.getOrDefault(e))).toBe(Math.floor(n / SESSION_LENGTH));
    }
  });

  it("epochRandomnessFor(parent, n) is the randomness block n's epoch ends up with", () => {
    const rt = twoValidators();
    for (let n = 1; n <= 2 * SESSION_LENGTH + 2; n++) {
      const claimed = rt.read((e) => epochRandomnessFor(e, n));
      rt.block([], { digest: digestOf(n) });
      expect(rt.read(randomness)).toEqual(claimed);
    }
    // From the last block of a session: the next block uses NextRandomness.
    rt.runTo(3 * SESSION_LENGTH - 1, digestOf);
    const parentNext = rt.read(nextRandomness);
    expect(rt.read((e) => epochRandomnessFor(e, 3 * SESSION_LENGTH))).toEqual(parentNext);
    expect(rt.read((e) => epochRandomnessFor(e, 3 * SESSION_LENGTH - 1))).toEqual(rt.read(randomness));
    expect(() => rt.read((e) => epochRandomnessFor(e, 4 * SESSION_LENGTH))).toThrow(RangeError);
    expect(() => rt.read((e) => epochRandomnessFor(e, SESSION_LENGTH))).toThrow(RangeError);
  });

  it("is deterministic: the same blocks give the same state roots; a different pre-output changes them", () => {
    const a = twoValidators();
    const b = twoValidators();
    const c = twoValidators();
    a.runTo(2 * SESSION_LENGTH + 1, digestOf);
    b.runTo(2 * SESSION_LENGTH + 1, digestOf);
    c.runTo(2 * SESSION_LENGTH + 1, (n) => (n === 4 ? [babeVrfPreDigest(0, 104n, preOutputOf(999))] : digestOf(n)));
    expect(a.state.root).toEqual(b.state.root);
    expect(a.read(nextRandomness)).toEqual(b.read(nextRandomness));
    expect(c.read(nextRandomness)).not.toEqual(a.read(nextRandomness));
  });

  it("accepts the consensus module's own digest items", () => {
    const rt = twoValidators();
    const pre_output = preOutputOf(1);
    rt.block([], {
      digest: [
        preDigestItem({
          tag: "Primary",
          value: { authority_index: 0, slot: 1234n, vrf_signature: { pre_output, proof: new Uint8Array(64) } },
        }),
      ],
    });
    expect(rt.read(currentSlot)).toBe(1234n);
    expect(rt.read((e) => Babe.storage.Accumulator.getOrDefault(e))).toEqual(
      blake2_256(concat(new Uint8Array(32), pre_output)),
    );
  });
});

describe("babe pallet: slot duration from genesis", () => {
  const withSlot = (slotDurationMs?: bigint) =>
    new TestRuntime({
      balances: [[dev("Alice").publicKey, 1000n * UNIT]],
      babe: slotDurationMs === undefined ? undefined : { slotDurationMs },
    });
  const setTime = (now: bigint): CallValue => ({ tag: "Timestamp", value: { tag: "set", value: { now } } });

  it("is the genesis value, or 2000 ms when genesis sets none", () => {
    expect(withSlot(250n).read(slotDuration)).toBe(250n);
    expect(withSlot().read(slotDuration)).toBe(DEFAULT_SLOT_DURATION_MS);
    expect(DEFAULT_SLOT_DURATION_MS).toBe(2000n);
  });

  it("refuses a genesis slot shorter than MIN_SLOT_DURATION_MS", () => {
    expect(babeErrorOf(() => withSlot(MIN_SLOT_DURATION_MS - 1n))).toBe("BABE_RUNTIME_ERROR_BAD_GENESIS");
    expect(withSlot(MIN_SLOT_DURATION_MS).read(slotDuration)).toBe(MIN_SLOT_DURATION_MS);
  });

  it("makes the timestamp's minimum period half the slot: 125 ms after the last block is allowed, 124 is TooEarly", () => {
    const rt = withSlot(250n);
    rt.block([]);
    const prev = rt.read((ext) => Timestamp.storage.Now.getOrDefault(ext));
    expect(rt.read(minimumPeriod)).toBe(125n);
    rt.assertNoop({ kind: "none" }, setTime(prev + 124n), "Timestamp.TooEarly");
    const ext = rt.ext();
    callDecl(setTime(prev + 125n)).dispatch(ext, { kind: "none" }, { now: prev + 125n });
    expect(Timestamp.storage.Now.getOrDefault(ext)).toBe(prev + 125n);
    // With the default slot, 125 ms is too early.
    const slow = withSlot();
    slow.block([]);
    const slowPrev = slow.read((e) => Timestamp.storage.Now.getOrDefault(e));
    slow.assertNoop({ kind: "none" }, setTime(slowPrev + 125n), "Timestamp.TooEarly");
  });
});
