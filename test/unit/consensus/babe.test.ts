import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  BABE_ENGINE_ID,
  type BabeEpoch,
  BabeEquivocationProof,
  BabeError,
  babeSlotClaimer,
  claimPrimarySlot,
  claimSlot,
  computeEpochRandomness,
  findPreDigest,
  PreDigest,
  type PreDigestValue,
  preDigestItem,
  primaryThreshold,
  randomnessContribution,
  SlotEquivocationDetector,
  sealHeader,
  secondarySlotAuthor,
  THRESHOLD_SCALE,
  verifyBabeEquivocation,
  verifyHeader,
  vrfInput,
  vrfSign,
  vrfThresholdValue,
  vrfVerify,
} from "../../../consensus/babe/index.js";
import { EquivocationEvidence, verifyEquivocation } from "../../../consensus/equivocation.js";
import { EquivocationError } from "../../../consensus/errors.js";
import { hashHeader } from "../../../consensus/header.js";
import { keypairFromSuri } from "../../../primitives/crypto/index.js";
import { blake2_256, concat, cryptoReady } from "../../../primitives/hashing.js";
import { fromHex, toHex } from "../../../primitives/hex.js";
import { T } from "../../../primitives/scale/types.js";
import { DigestItem, type HeaderValue } from "../../../primitives/types.js";
import { thrownCode } from "../../helpers/errors.js";
import { epochFor, fixedBytes, makeHeader, srKeys } from "./helpers.js";

const babeCode = (f: () => unknown) => thrownCode(f, BabeError);
const equivocationCode = (f: () => unknown) => thrownCode(f, EquivocationError);

beforeAll(async () => {
  await cryptoReady();
});

describe("BABE pre-digest encoding", () => {
  it("encodes Primary byte-exactly as sp-consensus-babe's PreDigest", () => {
    const d: PreDigestValue = {
      tag: "Primary",
      value: {
        authority_index: 2,
        slot: 0x0102030405060708n,
        vrf_signature: { pre_output: new Uint8Array(32).fill(0x11), proof: new Uint8Array(64).fill(0x22) },
      },
    };
    // variant 1 | authority_index u32 LE | slot u64 LE | pre_output [u8; 32] | proof [u8; 64]
    const expected = `0x01${"02000000"}${"0807060504030201"}${"11".repeat(32)}${"22".repeat(64)}`;
    expect(toHex(PreDigest.enc(d))).toBe(expected);
    expect(PreDigest.dec(fromHex(expected))).toEqual(d);
  });

  it("encodes SecondaryPlain and SecondaryVRF with indices 2 and 3", () => {
    expect(toHex(PreDigest.enc({ tag: "SecondaryPlain", value: { authority_index: 7, slot: 42n } }))).toBe(
      "0x02070000002a00000000000000",
    );
    const vrf = { pre_output: new Uint8Array(32).fill(1), proof: new Uint8Array(64).fill(2) };
    const bytes = PreDigest.enc({ tag: "SecondaryVRF", value: { authority_index: 1, slot: 1n, vrf_signature: vrf } });
    expect(bytes.length).toBe(1 + 4 + 8 + 96);
    expect(bytes[0]).toBe(3);
  });

  it('wraps it as DigestItem::PreRuntime(b"BABE", bytes)', () => {
    const item = preDigestItem({ tag: "SecondaryPlain", value: { authority_index: 0, slot: 1n } });
    // 6 = PreRuntime | "BABE" | compact(13) = 0x34 | payload
    expect(toHex(DigestItem.enc(item))).toBe(`0x06${"42414245"}34${"02000000000100000000000000"}`);
  });

  it("rejects unknown variants", () => {
    expect(() => PreDigest.dec(fromHex("0x0400000000"))).toThrow();
  });
});

describe("BABE VRF", () => {
  it("signs and verifies; the pre-output is deterministic", () => {
    const [alice, bob] = srKeys(2);
    const input = vrfInput(fixedBytes("r"), 5n, 0n);
    const a = vrfSign(alice!.secretKey, input);
    const b = vrfSign(alice!.secretKey, input);
    expect(toHex(a.pre_output)).toBe(toHex(b.pre_output));
    expect(vrfVerify(alice!.publicKey, input, a)).toBe(true);
    expect(vrfVerify(bob!.publicKey, input, a)).toBe(false);
    expect(vrfVerify(alice!.publicKey, vrfInput(fixedBytes("r"), 6n, 0n), a)).toBe(false);
    const tampered = { ...a, pre_output: b.pre_output.map((x, i) => (i === 0 ? x ^ 1 : x)) };
    expect(vrfVerify(alice!.publicKey, input, tampered)).toBe(false);
  });

  it("derives the threshold value reproducibly from the pre-output", () => {
    const input = vrfInput(fixedBytes("r"), 5n, 0n);
    const pre = new Uint8Array(32).fill(9);
    const h = blake2_256(concat(new TextEncoder().encode("tensorchain-babe-vrf"), input, pre));
    let v = 0n;
    for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(h[i]!);
    expect(vrfThresholdValue(input, pre)).toBe(v);
    expect(toHex(input)).toBe(`${toHex(fixedBytes("r"))}${"0500000000000000"}${"0000000000000000"}`);
  });
});

describe("primary threshold", () => {
  it("matches 1 - (1 - c)^θ to within 2^-100 and is integer-exact at the ends", () => {
    const cases: [bigint, bigint, bigint, bigint][] = [
      [1n, 4n, 1n, 1n],
      [1n, 4n, 1n, 4n],
      [1n, 4n, 3n, 10n],
      [1n, 2n, 1n, 8n],
      [9n, 10n, 5n, 7n],
    ];
    for (const [n, d, w, total] of cases) {
      const t = primaryThreshold([n, d], w, total);
      const expected = 1 - (1 - Number(n) / Number(d)) ** (Number(w) / Number(total));
      expect(Math.abs(Number(t) / 2 ** 128 - expected)).toBeLessThan(1e-14);
    }
    // θ = 1: p = c exactly (up to fixed-point rounding far below 2^-100).
    const full = primaryThreshold([1n, 4n], 5n, 5n);
    expect(full - THRESHOLD_SCALE / 4n < 1n << 28n && THRESHOLD_SCALE / 4n - full < 1n << 28n).toBe(true);
    expect(primaryThreshold([0n, 4n], 1n, 2n)).toBe(0n);
    expect(primaryThreshold([1n, 4n], 0n, 2n)).toBe(0n);
    expect(primaryThreshold([4n, 4n], 1n, 2n)).toBe(THRESHOLD_SCALE);
    expect(primaryThreshold([1n, 4n], 1n, 3n) < primaryThreshold([1n, 4n], 2n, 3n)).toBe(true);
  });

  it("gives primary slots in proportion to weight over many slots (fixed keys, fixed randomness)", () => {
    const keys = srKeys(4);
    const weights = [1n, 1n, 2n, 4n];
    const epoch = epochFor(keys, weights, { c: [1n, 2n], allowedSlots: "PrimarySlots" });
    const wins = [0, 0, 0, 0];
    const SLOTS = 400;
    let anyPrimary = 0;
    for (let slot = 1n; slot <= BigInt(SLOTS); slot++) {
      let won = false;
      keys.forEach((k, i) => {
        if (claimPrimarySlot(slot, epoch, [k])) {
          wins[i]!++;
          won = true;
        }
      });
      if (won) anyPrimary++;
    }
    const p = weights.map((w) => 1 - 0.5 ** (Number(w) / 8));
    wins.forEach((count, i) => {
      const expected = p[i]! * SLOTS;
      expect(count).toBeGreaterThan(expected * 0.55);
      expect(count).toBeLessThan(expected * 1.45);
    });
    expect(wins[3]!).toBeGreaterThan(wins[0]!);
    // P(some primary) = 1 - (1 - c) = c, independent of how the stake is split.
    expect(anyPrimary).toBeGreaterThan(SLOTS * 0.5 * 0.8);
    expect(anyPrimary).toBeLessThan(SLOTS * 0.5 * 1.2);
  });
});

describe("secondary slots", () => {
  it("assign every slot to exactly one authority, rotating over all of them", () => {
    const keys = srKeys(4);
    const epoch = epochFor(keys, [1n, 1n, 1n, 1n]);
    const seen = new Set<number>();
    for (let slot = 0n; slot < 100n; slot++) {
      const claims = keys.map((k) => claimSlot(slot, { ...epoch, c: [0n, 1n] }, [k]));
      expect(claims.filter((c) => c !== undefined).length).toBe(1);
      const winner = claims.find((c) => c)!;
      expect(winner.preDigest.tag).toBe("SecondaryPlain");
      expect(winner.authorityIndex).toBe(secondarySlotAuthor(slot, 4, epoch.randomness));
      seen.add(winner.authorityIndex);
      // With all keys, some claim always exists.
      expect(claimSlot(slot, epoch, keys)).toBeDefined();
    }
    expect(seen.size).toBe(4);
  });

  it("follows Substrate's rule: blake2(randomness ++ slot) as a big-endian U256, mod n", () => {
    const r = fixedBytes("x");
    const h = blake2_256(concat(r, T.u64.enc(77n)));
    expect(secondarySlotAuthor(77n, 5, r)).toBe(Number(BigInt(toHex(h)) % 5n));
  });

  it("never claims a slot at or before the parent's slot (the slot worker skips it)", () => {
    const keys = srKeys(2);
    const epoch = epochFor(keys, [1n, 1n]);
    const claimer = babeSlotClaimer<{ slot: bigint | undefined }>({
      epochAt: () => epoch,
      keys: () => keys,
      parentSlot: (parent) => parent.slot,
    });
    expect(claimer(20n, { slot: undefined })).toBeDefined();
    expect(claimer(20n, { slot: 19n })).toBeDefined();
    expect(claimer(20n, { slot: 20n })).toBeUndefined();
    expect(claimer(20n, { slot: 21n })).toBeUndefined();
  });

  it("claims nothing with a key whose authority is disabled; the other keys still claim", () => {
    const keys = srKeys(3);
    const epoch = epochFor(keys, [1n, 1n, 1n]);
    let disabled: number[] = [];
    const claimer = babeSlotClaimer<{ slot: bigint }>({
      epochAt: () => epoch,
      keys: () => keys,
      parentSlot: (parent) => parent.slot,
      disabledAt: () => disabled,
    });
    const claimsOf = () => {
      const by = [0, 0, 0];
      for (let slot = 1n; slot <= 60n; slot++) {
        const c = claimer(slot, { slot: slot - 1n });
        if (c) by[c.authorityIndex]++;
      }
      return by;
    };
    expect(claimsOf().every((n) => n > 0)).toBe(true);
    disabled = [1];
    const by = claimsOf();
    expect(by[1]).toBe(0);
    expect(by[0]! > 0 && by[2]! > 0).toBe(true);
  });

  it("makes SecondaryVRF claims when configured", () => {
    const keys = srKeys(3);
    const epoch = epochFor(keys, [1n, 1n, 1n], { c: [0n, 1n], allowedSlots: "PrimaryAndSecondaryVRFSlots" });
    const claim = claimSlot(9n, epoch, keys)!;
    expect(claim.preDigest.tag).toBe("SecondaryVRF");
  });
});

describe("epoch randomness", () => {
  it("is blake2(randomness_n ++ u64(n + 2) ++ ρ of primary blocks)", () => {
    const prev = fixedBytes("r0");
    const rho = [fixedBytes("a"), fixedBytes("b")];
    expect(toHex(computeEpochRandomness(prev, 2n, rho))).toBe(toHex(blake2_256(concat(prev, T.u64.enc(2n), ...rho))));
    expect(toHex(computeEpochRandomness(prev, 2n, []))).not.toBe(toHex(computeEpochRandomness(prev, 3n, [])));
  });

  it("takes ρ from primary blocks only", () => {
    const keys = srKeys(1);
    const epoch = epochFor(keys, [1n], { c: [1n, 1n] });
    const claim = claimSlot(3n, epoch, keys)!;
    expect(claim.primary).toBe(true);
    expect(randomnessContribution(claim.preDigest, epoch)?.length).toBe(32);
    expect(
      randomnessContribution({ tag: "SecondaryPlain", value: { authority_index: 0, slot: 3n } }, epoch),
    ).toBeUndefined();
  });
});

describe("verifyHeader", () => {
  const SLOT_MS = 2000;
  let keys: ReturnType<typeof srKeys>;
  let epoch: BabeEpoch;
  const parent = { hash: fixedBytes("parent"), number: 7 };

  beforeAll(() => {
    keys = srKeys(3);
    epoch = epochFor(keys, [1n, 1n, 1n]);
  });

  function authored(slot: bigint, keysToUse = keys): HeaderValue {
    const claim = claimSlot(slot, epoch, keysToUse)!;
    return sealHeader(makeHeader(parent, [preDigestItem(claim.preDigest)]), claim.key);
  }

  const ctx = (slot: bigint, over: Partial<Parameters<typeof verifyHeader>[1]> = {}) => ({
    now: Number(slot) * SLOT_MS + 10,
    slotDurationMs: SLOT_MS,
    maxDriftSlots: 2,
    epoch,
    parentSlot: slot - 1n,
    ...over,
  });

  it("accepts a valid primary or secondary header", () => {
    for (const slot of [10n, 11n, 12n, 13n]) {
      const header = authored(slot);
      const v = verifyHeader(header, ctx(slot));
      expect(v.slot).toBe(slot);
      expect(toHex(v.hash)).toBe(toHex(hashHeader(header)));
      expect(v.primary).toBe(findPreDigest(header).tag === "Primary");
    }
  });

  it("rejects a missing pre-digest", () => {
    const header = sealHeader(makeHeader(parent), keys[0]!);
    expect(babeCode(() => verifyHeader(header, ctx(10n)))).toBe("BABE_ERROR_MISSING_PRE_DIGEST");
  });

  it("rejects a bad seal (signed by another authority, or tampered)", () => {
    const claim = claimSlot(10n, epoch, keys)!;
    const other = keys.find((k) => k !== claim.key)!;
    const header = sealHeader(makeHeader(parent, [preDigestItem(claim.preDigest)]), other);
    expect(babeCode(() => verifyHeader(header, ctx(10n)))).toBe("BABE_ERROR_BAD_SEAL");
    const good = authored(10n);
    const tampered = { ...good, number: good.number + 1 };
    expect(babeCode(() => verifyHeader(tampered, ctx(10n)))).toBe("BABE_ERROR_BAD_SEAL");
    const unsealed = makeHeader(parent, [preDigestItem(claim.preDigest)]);
    expect(babeCode(() => verifyHeader(unsealed, ctx(10n)))).toBe("BABE_ERROR_MISSING_SEAL");
  });

  it("rejects a slot in the future beyond the allowed drift, but accepts within it", () => {
    const header = authored(20n);
    expect(verifyHeader(header, ctx(20n, { now: 18 * SLOT_MS, parentSlot: 5n })).slot).toBe(20n);
    const err = (() => {
      try {
        verifyHeader(header, ctx(20n, { now: 17 * SLOT_MS + 1999, parentSlot: 5n }));
      } catch (e) {
        return e as { type: { code: string; currentSlot: bigint } };
      }
    })();
    expect(err?.type.code).toBe("BABE_ERROR_FUTURE_SLOT");
    expect(err?.type.currentSlot).toBe(17n);
  });

  it("rejects a slot that does not increase over the parent's", () => {
    const header = authored(10n);
    expect(babeCode(() => verifyHeader(header, ctx(10n, { parentSlot: 10n })))).toBe("BABE_ERROR_SLOT_NOT_INCREASING");
    expect(babeCode(() => verifyHeader(header, ctx(10n, { parentSlot: 11n })))).toBe("BABE_ERROR_SLOT_NOT_INCREASING");
    expect(verifyHeader(header, ctx(10n, { parentSlot: undefined })).slot).toBe(10n);
  });

  it("rejects the wrong author of a secondary slot", () => {
    const slot = 30n;
    const expected = secondarySlotAuthor(slot, 3, epoch.randomness);
    const wrong = (expected + 1) % 3;
    const pre: PreDigestValue = { tag: "SecondaryPlain", value: { authority_index: wrong, slot } };
    const header = sealHeader(makeHeader(parent, [preDigestItem(pre)]), keys[wrong]!);
    const err = (() => {
      try {
        verifyHeader(header, ctx(slot));
      } catch (e) {
        return e as { type: { code: string; reason: string } };
      }
    })();
    expect(err?.type.code).toBe("BABE_ERROR_NOT_ENTITLED");
    expect(err?.type.reason).toBe("secondary_author");
  });

  it("rejects a primary claim above the threshold and a bad VRF proof", () => {
    // Find a slot where Alice's VRF loses the lottery, and claim it as primary anyway.
    const alice = keys[0]!;
    let slot = 40n;
    let sig = vrfSign(alice.secretKey, vrfInput(epoch.randomness, slot, 0n));
    const threshold = primaryThreshold(epoch.c, 1n, 3n);
    while (vrfThresholdValue(vrfInput(epoch.randomness, slot, 0n), sig.pre_output) < threshold) {
      slot++;
      sig = vrfSign(alice.secretKey, vrfInput(epoch.randomness, slot, 0n));
    }
    const pre: PreDigestValue = { tag: "Primary", value: { authority_index: 0, slot, vrf_signature: sig } };
    const header = sealHeader(makeHeader(parent, [preDigestItem(pre)]), alice);
    expect(babeCode(() => verifyHeader(header, ctx(slot)))).toBe("BABE_ERROR_NOT_ENTITLED");

    const forged: PreDigestValue = {
      tag: "Primary",
      value: { authority_index: 0, slot, vrf_signature: { ...sig, proof: new Uint8Array(64) } },
    };
    const bad = sealHeader(makeHeader(parent, [preDigestItem(forged)]), alice);
    expect(babeCode(() => verifyHeader(bad, ctx(slot)))).toBe("BABE_ERROR_BAD_VRF_PROOF");
  });

  it("rejects a header by a disabled authority (validly sealed and entitled otherwise)", () => {
    for (const slot of [10n, 11n, 12n, 13n]) {
      const header = authored(slot);
      const { authority_index } = findPreDigest(header).value;
      expect(verifyHeader(header, ctx(slot, { disabledAuthorities: [(authority_index + 1) % 3] })).slot).toBe(slot);
      expect(babeCode(() => verifyHeader(header, ctx(slot, { disabledAuthorities: [authority_index] })))).toBe(
        "BABE_ERROR_DISABLED_AUTHORITY",
      );
    }
  });

  it("rejects unknown authorities, slots outside the epoch and secondary claims the epoch forbids", () => {
    const pre: PreDigestValue = { tag: "SecondaryPlain", value: { authority_index: 9, slot: 10n } };
    const header = sealHeader(makeHeader(parent, [preDigestItem(pre)]), keys[0]!);
    expect(babeCode(() => verifyHeader(header, ctx(10n)))).toBe("BABE_ERROR_UNKNOWN_AUTHORITY");
    const h2 = authored(10n);
    expect(babeCode(() => verifyHeader(h2, ctx(10n, { epoch: { ...epoch, startSlot: 11n } })))).toBe(
      "BABE_ERROR_SLOT_NOT_IN_EPOCH",
    );
    const slot = 50n;
    const idx = secondarySlotAuthor(slot, 3, epoch.randomness);
    const sec = sealHeader(
      makeHeader(parent, [preDigestItem({ tag: "SecondaryPlain", value: { authority_index: idx, slot } })]),
      keys[idx]!,
    );
    expect(babeCode(() => verifyHeader(sec, ctx(slot, { epoch: { ...epoch, allowedSlots: "PrimarySlots" } })))).toBe(
      "BABE_ERROR_SECONDARY_NOT_ALLOWED",
    );
    const twice = { ...h2, digest: { logs: [h2.digest.logs[0]!, ...h2.digest.logs] } };
    expect(babeCode(() => verifyHeader(twice, ctx(10n)))).toBe("BABE_ERROR_MULTIPLE_PRE_DIGESTS");
    const garbage = sealHeader(
      makeHeader(parent, [{ tag: "PreRuntime", value: [BABE_ENGINE_ID, new Uint8Array([9])] }]),
      keys[0]!,
    );
    expect(babeCode(() => verifyHeader(garbage, ctx(10n)))).toBe("BABE_ERROR_BAD_PRE_DIGEST");
  });
});

describe("slot equivocation", () => {
  it("detects two headers by one author in one slot and the evidence verifies", () => {
    const keys = srKeys(3);
    const epoch = epochFor(keys, [1n, 1n, 1n]);
    const claim = claimSlot(12n, epoch, keys)!;
    const parent = { hash: fixedBytes("p"), number: 1 };
    const first = sealHeader(makeHeader(parent, [preDigestItem(claim.preDigest)], "one"), claim.key);
    const second = sealHeader(makeHeader(parent, [preDigestItem(claim.preDigest)], "two"), claim.key);
    const detector = new SlotEquivocationDetector({ maxSlots: 100n });
    const who = { slot: 12n, author: claim.key.publicKey };
    expect(detector.check(first, who)).toBeUndefined();
    expect(detector.check(first, who)).toBeUndefined();
    const proof = detector.check(second, who)!;
    expect(proof).toBeDefined();
    expect(detector.check(second, who)).toBeUndefined(); // reported once

    const authorities = keys.map((k) => k.publicKey);
    expect(verifyBabeEquivocation(proof, authorities).slot).toBe(12n);
    const bytes = EquivocationEvidence.enc({ tag: "Babe", value: proof });
    expect(BabeEquivocationProof.dec(BabeEquivocationProof.enc(proof))).toEqual(proof);
    const offence = verifyEquivocation(bytes, { babe: authorities });
    expect(offence.kind).toBe("babe");
    expect(toHex(offence.offender)).toBe(toHex(claim.key.publicKey));

    // Same header twice, or a header signed by someone else, is no evidence.
    expect(equivocationCode(() => verifyBabeEquivocation({ ...proof, second_header: first }, authorities))).toBe(
      "EQUIVOCATION_ERROR_NOT_CONFLICTING",
    );
    const other = keys.find((k) => k !== claim.key)!;
    const forged = sealHeader(makeHeader(parent, [preDigestItem(claim.preDigest)], "three"), other);
    expect(equivocationCode(() => verifyBabeEquivocation({ ...proof, second_header: forged }, authorities))).toBe(
      "EQUIVOCATION_ERROR_BAD_SIGNATURE",
    );
    expect(equivocationCode(() => verifyBabeEquivocation(proof, [other.publicKey]))).toBe(
      "EQUIVOCATION_ERROR_NOT_AUTHORITY",
    );
    const outsider = keypairFromSuri("//Zed");
    expect(
      equivocationCode(() =>
        verifyBabeEquivocation({ ...proof, offender: outsider.publicKey }, [...authorities, outsider.publicKey]),
      ),
    ).toBe("EQUIVOCATION_ERROR_AUTHOR_MISMATCH");
  });

  it("forgets slots older than its window", () => {
    const detector = new SlotEquivocationDetector({ maxSlots: 10n });
    const author = new Uint8Array(32);
    const h = (slot: bigint, salt: string) => makeHeader({ hash: fixedBytes(salt), number: Number(slot) });
    for (let s = 0n; s < 50n; s++) detector.check(h(s, "a"), { slot: s, author });
    expect(detector.size).toBeLessThanOrEqual(11);
    expect(detector.check(h(5n, "b"), { slot: 5n, author })).toBeUndefined();
  });
});

describe("epoch changes", () => {
  it("moves to the announced epoch at its first block, per fork, and skips empty epochs", async () => {
    const { EpochChanges } = await import("../../../consensus/babe/epochChanges.js");
    const keys = srKeys(2);
    const genesis = epochFor(keys, [1n, 1n], { duration: 10n, startSlot: 100n });
    const changes = new EpochChanges(fixedBytes("g"), genesis);
    expect(changes.epochFor(fixedBytes("g"), 105n)?.epochIndex).toBe(0n);
    expect(changes.epochFor(fixedBytes("g"), 99n)).toBeUndefined();
    // Block a at slot 101 (epoch 0) announces nothing.
    changes.importBlock(fixedBytes("a"), fixedBytes("g"), 101n, undefined);
    // Block b at slot 112 opens epoch 1 (genesis parameters) and announces epoch 2.
    const announced = { authorities: [[keys[1]!.publicKey, 5n] as [Uint8Array, bigint]], randomness: fixedBytes("r2") };
    expect(() => changes.importBlock(fixedBytes("x"), fixedBytes("a"), 112n, undefined)).toThrow();
    const e1 = changes.importBlock(fixedBytes("b"), fixedBytes("a"), 112n, announced);
    expect(e1.epochIndex).toBe(1n);
    expect(e1.startSlot).toBe(110n);
    const e2 = changes.epochFor(fixedBytes("b"), 125n)!;
    expect(e2.epochIndex).toBe(2n);
    expect(e2.authorities.length).toBe(1);
    expect(toHex(e2.randomness)).toBe(toHex(fixedBytes("r2")));
    // A fork from a still sees the genesis parameters for epoch 1.
    expect(changes.epochFor(fixedBytes("a"), 125n)?.epochIndex).toBe(2n);
    expect(changes.epochFor(fixedBytes("a"), 115n)?.authorities.length).toBe(2);
    // Slot 147 after b: epochs 2 and 3 were empty; epoch 4 reuses epoch 2's parameters.
    const e4 = changes.epochFor(fixedBytes("b"), 147n)!;
    expect(e4.epochIndex).toBe(4n);
    expect(e4.startSlot).toBe(140n);
    changes.forget([fixedBytes("a")]);
    expect(changes.has(fixedBytes("a"))).toBe(false);
  });
});
