import { beforeAll, describe, expect, it } from "@jest/globals";
import { sr25519VrfSign, sr25519VrfVerify } from "@polkadot/util-crypto";
import { vrfSign as babeVrfSign } from "../../../consensus/babe/vrf.js";
import { keypairFromSuri } from "../../../primitives/crypto/index.js";
import { blake2_256, concat, cryptoReady } from "../../../primitives/hashing.js";
import { fromHex, toHex } from "../../../primitives/hex.js";
import {
  checkTicket,
  decodePouwDigest,
  findPouwTickets,
  isBelowTarget,
  leafNodeHash,
  MAX_POUW_TARGET,
  makeTicket,
  POUW_ENGINE_ID,
  POUW_TICKET_BYTES,
  POUW_VRF_CONTEXT,
  PouwError,
  PouwPreDigest,
  PouwTicket,
  type PouwTicketValue,
  pouwDigestItem,
  scoreOf,
  scoreValue,
  selectTickets,
  signTicket,
  type TicketClaim,
  type TicketContext,
  ticketInput,
  ticketScore,
  validateTicket,
  validateTickets,
  verifyTicketVrf,
} from "../../../primitives/pouw.js";
import type { HeaderValue } from "../../../primitives/types.js";
import { verifyWorkProof, workLeaf, workProof, workRoot } from "../../../primitives/workRoot.js";
import { thrownCode } from "../../helpers/errors.js";

beforeAll(async () => {
  await cryptoReady();
});

const pouwCode = (f: () => unknown) => thrownCode(f, PouwError);
const bytes = (label: string) => blake2_256(new TextEncoder().encode(label));
const flip = (b: Uint8Array, i = 0) => b.map((x, j) => (j === i ? x ^ 1 : x));

const alice = keypairFromSuri("//Alice//work");
const bob = keypairFromSuri("//Bob//work");
const randomness = bytes("epoch randomness");
const stateHash = bytes("state at leaf 3");
const claim: TicketClaim = { randomness, jobId: 7n, leaf: 3, leafHash: leafNodeHash(3, stateHash) };

function aliceTicket(c: TicketClaim = claim): PouwTicketValue {
  return makeTicket(alice.publicKey, c, signTicket(alice.secretKey, c));
}

function header(logs: HeaderValue["digest"]["logs"]): HeaderValue {
  return {
    parentHash: new Uint8Array(32),
    number: 1,
    stateRoot: new Uint8Array(32),
    extrinsicsRoot: new Uint8Array(32),
    digest: { logs },
  };
}

describe("pouw leaf hash", () => {
  it("is the work-root leaf node: blake2_256(0x00 ++ u32_le(leaf) ++ state_hash)", () => {
    const expected = blake2_256(concat(new Uint8Array([0x00, 3, 0, 0, 0]), stateHash));
    expect(leafNodeHash(3, stateHash)).toEqual(expected);
    expect(leafNodeHash(3, stateHash)).toEqual(workLeaf(3, stateHash));
    // A ticket's leaf hash is therefore provable under the revealed work root.
    const leaves = [1, 2, 3, 4].map((i) => ({ index: i, stateHash: i === 3 ? stateHash : bytes(`s${i}`) }));
    expect(verifyWorkProof(workRoot(leaves), 3, stateHash, workProof(leaves, 3))).toBe(true);
  });

  it("rejects leaves outside 1..2^32-1 and state hashes that are not 32 bytes", () => {
    expect(pouwCode(() => leafNodeHash(0, stateHash))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => leafNodeHash(2 ** 32, stateHash))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => leafNodeHash(1.5, stateHash))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => leafNodeHash(1, new Uint8Array(31)))).toBe("POUW_ERROR_BAD_INPUT");
  });
});

describe("pouw ticket input", () => {
  it("is randomness ++ u64_le(job_id) ++ u32_le(leaf) ++ leaf_hash", () => {
    const input = ticketInput(claim);
    expect(input.length).toBe(76);
    expect(toHex(input)).toBe(`${toHex(randomness)}0700000000000000${"03000000"}${toHex(claim.leafHash).slice(2)}`);
  });

  it("rejects fields of the wrong size or range", () => {
    expect(pouwCode(() => ticketInput({ ...claim, randomness: new Uint8Array(31) }))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => ticketInput({ ...claim, leafHash: new Uint8Array(33) }))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => ticketInput({ ...claim, jobId: -1n }))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => ticketInput({ ...claim, jobId: 1n << 64n }))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => ticketInput({ ...claim, jobId: (1n << 64n) - 1n }))).toBeUndefined();
    expect(pouwCode(() => ticketInput({ ...claim, leaf: 0 }))).toBe("POUW_ERROR_BAD_INPUT");
  });
});

describe("pouw ticket VRF", () => {
  it("signs and verifies; the output is deterministic, the proof randomized", () => {
    const a = signTicket(alice.secretKey, claim);
    const b = signTicket(alice.secretKey, claim);
    expect(a.vrfOutput).toEqual(b.vrfOutput);
    expect(a.vrfProof).not.toEqual(b.vrfProof);
    expect(a.score).toEqual(ticketScore(ticketInput(claim), a.vrfOutput));
    expect(verifyTicketVrf(alice.publicKey, randomness, makeTicket(alice.publicKey, claim, a))).toBe(true);
    expect(verifyTicketVrf(alice.publicKey, randomness, makeTicket(alice.publicKey, claim, b))).toBe(true);
  });

  it("pins the output of a known key over a known input (the wasm and pure-JS signers agree)", () => {
    const signed = signTicket(alice.secretKey, claim);
    const input = ticketInput(claim);
    // util-crypto's pure-JS (@scure/sr25519) VRF: same pre-output, and each accepts the other's proof.
    const js = sr25519VrfSign(input, { secretKey: alice.secretKey }, POUW_VRF_CONTEXT, new Uint8Array(0));
    expect(js.slice(0, 32)).toEqual(signed.vrfOutput);
    expect(sr25519VrfVerify(input, concat(signed.vrfOutput, signed.vrfProof), alice.publicKey, POUW_VRF_CONTEXT)).toBe(
      true,
    );
    const fromJs = { ...aliceTicket(), vrf_output: js.slice(0, 32), vrf_proof: js.slice(32) };
    expect(verifyTicketVrf(alice.publicKey, randomness, fromJs)).toBe(true);
    // Regression pin: a change of context, input layout or library shows up here.
    expect(toHex(signed.vrfOutput)).toBe(PINNED_OUTPUT);
    expect(toHex(signed.score)).toBe(PINNED_SCORE);
    const label = new TextEncoder().encode("tensorchain-pouw-output");
    expect(signed.score).toEqual(blake2_256(concat(label, input, signed.vrfOutput)));
  });

  it("is not BABE's VRF: another context gives another output for the same key and input", () => {
    expect(babeVrfSign(alice.secretKey, ticketInput(claim)).pre_output).not.toEqual(aliceTicket().vrf_output);
  });

  it("fails for a forged proof, a wrong key, a wrong leaf hash, job id, leaf or randomness", () => {
    const t = aliceTicket();
    expect(verifyTicketVrf(alice.publicKey, randomness, t)).toBe(true);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, vrf_proof: flip(t.vrf_proof) })).toBe(false);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, vrf_proof: flip(t.vrf_proof, 40) })).toBe(false);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, vrf_output: flip(t.vrf_output) })).toBe(false);
    expect(verifyTicketVrf(bob.publicKey, randomness, t)).toBe(false);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, leaf_hash: flip(t.leaf_hash) })).toBe(false);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, job_id: 8n })).toBe(false);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, leaf: 4 })).toBe(false);
    expect(verifyTicketVrf(alice.publicKey, flip(randomness), t)).toBe(false);
    // Another worker's valid ticket over the same input does not pass under Alice's key either.
    const bobs = makeTicket(bob.publicKey, claim, signTicket(bob.secretKey, claim));
    expect(verifyTicketVrf(bob.publicKey, randomness, bobs)).toBe(true);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...bobs, worker: alice.publicKey })).toBe(false);
    // An all-zero proof, a non-point output, or fields of the wrong size are false, not a throw.
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, vrf_proof: new Uint8Array(64) })).toBe(false);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, vrf_output: new Uint8Array(32).fill(0xff) })).toBe(
      false,
    );
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, vrf_proof: t.vrf_proof.slice(1) })).toBe(false);
    expect(verifyTicketVrf(alice.publicKey.slice(1), randomness, t)).toBe(false);
    expect(verifyTicketVrf(alice.publicKey, randomness, { ...t, leaf: 0 })).toBe(false);
  });
});

describe("pouw target", () => {
  const out = (hex: string) => fromHex(`0x${hex.padStart(64, "0")}`);

  it("reads the output as a big-endian 256-bit integer and compares strictly", () => {
    expect(scoreValue(out("0100"))).toBe(256n);
    expect(scoreValue(fromHex(`0x01${"00".repeat(31)}`))).toBe(1n << 248n);
    expect(isBelowTarget(out("0100"), 257n)).toBe(true);
    expect(isBelowTarget(out("0100"), 256n)).toBe(false);
    expect(isBelowTarget(out("00"), 0n)).toBe(false);
    expect(isBelowTarget(new Uint8Array(32).fill(0xff), MAX_POUW_TARGET)).toBe(true);
    expect(isBelowTarget(new Uint8Array(32).fill(0xff), MAX_POUW_TARGET - 1n)).toBe(false);
  });

  it("rejects targets outside 0..2^256 and outputs that are not 32 bytes", () => {
    expect(pouwCode(() => isBelowTarget(out("00"), -1n))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => isBelowTarget(out("00"), MAX_POUW_TARGET + 1n))).toBe("POUW_ERROR_BAD_INPUT");
    expect(pouwCode(() => isBelowTarget(new Uint8Array(31), 1n))).toBe("POUW_ERROR_BAD_INPUT");
  });

  it("checkTicket: the VRF first, then the target, with named errors", () => {
    const t = aliceTicket();
    const score = scoreValue(scoreOf(randomness, t));
    expect(checkTicket(alice.publicKey, randomness, t, score + 1n)).toEqual(scoreOf(randomness, t));
    expect(pouwCode(() => checkTicket(alice.publicKey, randomness, t, score))).toBe("POUW_ERROR_ABOVE_TARGET");
    expect(pouwCode(() => checkTicket(bob.publicKey, randomness, t, MAX_POUW_TARGET))).toBe("POUW_ERROR_BAD_VRF");
    expect(pouwCode(() => checkTicket(alice.publicKey, randomness, { ...t, job_id: 8n }, MAX_POUW_TARGET))).toBe(
      "POUW_ERROR_BAD_VRF",
    );
  });
});

describe("pouw digest codec", () => {
  it("encodes DESIGN §5's layout, 172 bytes a ticket after the compact length", () => {
    const t = aliceTicket();
    const enc = PouwTicket.enc(t);
    expect(enc.length).toBe(POUW_TICKET_BYTES);
    expect(toHex(enc)).toBe(
      toHex(
        concat(
          fromHex("0x0700000000000000"),
          alice.publicKey,
          fromHex("0x03000000"),
          t.leaf_hash,
          t.vrf_output,
          t.vrf_proof,
        ),
      ),
    );
    const two = PouwPreDigest.enc([t, t]);
    expect(two[0]).toBe(2 << 2);
    expect(two.length).toBe(1 + 2 * POUW_TICKET_BYTES);
    expect(PouwPreDigest.enc([])).toEqual(new Uint8Array([0]));
  });

  it("round-trips through the header digest item", () => {
    const tickets = [aliceTicket(), aliceTicket({ ...claim, leaf: 4, leafHash: leafNodeHash(4, bytes("s4")) })];
    const item = pouwDigestItem(tickets);
    expect(item.tag).toBe("PreRuntime");
    const h = header([item]);
    expect(findPouwTickets(h)).toEqual(tickets);
    expect(decodePouwDigest(PouwPreDigest.enc(tickets))).toEqual(tickets);
    expect(findPouwTickets(header([]))).toEqual([]);
    // Other engines' pre-runtime items are not ours.
    expect(
      findPouwTickets(header([{ tag: "PreRuntime", value: [new TextEncoder().encode("BABE"), new Uint8Array([1])] }])),
    ).toEqual([]);
  });

  it("gives typed errors for malformed bytes", () => {
    const enc = PouwPreDigest.enc([aliceTicket()]);
    expect(pouwCode(() => decodePouwDigest(enc.slice(0, -1)))).toBe("POUW_ERROR_BAD_DIGEST");
    expect(pouwCode(() => decodePouwDigest(concat(enc, new Uint8Array([0]))))).toBe("POUW_ERROR_BAD_DIGEST");
    expect(pouwCode(() => decodePouwDigest(new Uint8Array(0)))).toBe("POUW_ERROR_BAD_DIGEST");
    // A length prefix promising two tickets with bytes for one.
    expect(pouwCode(() => decodePouwDigest(concat(new Uint8Array([2 << 2]), enc.slice(1))))).toBe(
      "POUW_ERROR_BAD_DIGEST",
    );
    // A non-canonical compact length (1 written in the two-byte mode).
    expect(pouwCode(() => decodePouwDigest(concat(new Uint8Array([0x05, 0x00]), enc.slice(1))))).toBe(
      "POUW_ERROR_BAD_DIGEST",
    );
    // A huge length prefix with no body.
    expect(pouwCode(() => decodePouwDigest(new Uint8Array([0x03, 0xff, 0xff, 0xff, 0x7f])))).toBe(
      "POUW_ERROR_BAD_DIGEST",
    );
    expect(
      pouwCode(() => findPouwTickets(header([{ tag: "PreRuntime", value: [POUW_ENGINE_ID, enc.slice(0, 9)] }]))),
    ).toBe("POUW_ERROR_BAD_DIGEST");
  });

  it("rejects more than the maximum from the length prefix, and two pouw digests", () => {
    const tickets = [aliceTicket(), aliceTicket({ ...claim, leaf: 4, leafHash: leafNodeHash(4, bytes("s4")) })];
    const enc = PouwPreDigest.enc(tickets);
    expect(decodePouwDigest(enc, 2)).toEqual(tickets);
    expect(pouwCode(() => decodePouwDigest(enc, 1))).toBe("POUW_ERROR_TOO_MANY_TICKETS");
    // Checked before the body: a claimed 2^30 tickets fails on the count, not on the missing bytes.
    expect(pouwCode(() => decodePouwDigest(new Uint8Array([0x03, 0x00, 0x00, 0x00, 0x40]), 16))).toBe(
      "POUW_ERROR_TOO_MANY_TICKETS",
    );
    expect(pouwCode(() => findPouwTickets(header([pouwDigestItem(tickets)]), 1))).toBe("POUW_ERROR_TOO_MANY_TICKETS");
    expect(pouwCode(() => findPouwTickets(header([pouwDigestItem(tickets), pouwDigestItem([])])))).toBe(
      "POUW_ERROR_MULTIPLE_DIGESTS",
    );
  });
});

describe("pouw ticket selection", () => {
  it("takes at most max, lowest score first, one per (job, worker, leaf)", () => {
    const tickets = [1, 2, 3, 4, 5].map((leaf) =>
      aliceTicket({ ...claim, leaf, leafHash: leafNodeHash(leaf, bytes(`s${leaf}`)) }),
    );
    const byScore = [...tickets].sort((a, b) =>
      scoreValue(scoreOf(randomness, a)) < scoreValue(scoreOf(randomness, b)) ? -1 : 1,
    );
    // A second signature of the same leaf (another proof) is a duplicate, whatever its order.
    const dup = aliceTicket({ ...claim, leaf: byScore[0]!.leaf, leafHash: byScore[0]!.leaf_hash });
    const picked = selectTickets(randomness, [...tickets.reverse(), dup], 3);
    expect(picked.map((t) => t.leaf)).toEqual(byScore.slice(0, 3).map((t) => t.leaf));
    expect(selectTickets(randomness, tickets, 10).length).toBe(5);
    expect(selectTickets(randomness, tickets, 0)).toEqual([]);
    // Deterministic: the same set in another order gives the same pick.
    expect(selectTickets(randomness, [dup, ...tickets], 3)).toEqual(selectTickets(randomness, [...tickets, dup], 3));
  });
});

describe("pouw ticket validation against chain state", () => {
  /** Job 7 trains with Alice (work key `alice`) over 5 leaves; nothing on chain yet; every score passes. */
  function context(over: Partial<TicketContext> = {}, onChain: string[] = []): TicketContext {
    return {
      randomness,
      target: MAX_POUW_TARGET,
      job: (id) => (id === 7n ? { training: true, leafCount: 5 } : undefined),
      isAssigned: (id, w) => id === 7n && toHex(w) === toHex(alice.publicKey),
      workKey: (w) => (toHex(w) === toHex(alice.publicKey) ? alice.publicKey : undefined),
      hasTicket: (id, w, leaf) => onChain.includes(`${id}:${toHex(w)}:${leaf}`),
      ...over,
    };
  }
  const at = (leaf: number) => aliceTicket({ ...claim, leaf, leafHash: leafNodeHash(leaf, bytes(`s${leaf}`)) });
  const rule = (t: PouwTicketValue, ctx: TicketContext) => pouwCode(() => validateTicket(t, ctx));

  it("accepts a valid ticket and returns its score", () => {
    const t = at(3);
    expect(validateTicket(t, context())).toEqual(scoreOf(randomness, t));
    expect(pouwCode(() => validateTickets([at(1), at(2), at(5)], context(), 3))).toBeUndefined();
    expect(pouwCode(() => validateTickets([], context(), 0))).toBeUndefined();
  });

  it("names each broken rule", () => {
    const t = at(3);
    expect(rule({ ...t, job_id: 8n }, context())).toBe("POUW_ERROR_UNKNOWN_JOB");
    expect(rule(t, context({ job: () => ({ training: false, leafCount: 5 }) }))).toBe("POUW_ERROR_JOB_NOT_TRAINING");
    expect(rule(t, context({ isAssigned: () => false }))).toBe("POUW_ERROR_NOT_ASSIGNED");
    expect(rule(t, context({ workKey: () => undefined }))).toBe("POUW_ERROR_NO_WORK_KEY");
    expect(rule(at(6), context())).toBe("POUW_ERROR_LEAF_OUT_OF_RANGE");
    expect(rule({ ...t, leaf: 0 }, context())).toBe("POUW_ERROR_LEAF_OUT_OF_RANGE");
    expect(rule(t, context({}, [`7:${toHex(alice.publicKey)}:3`]))).toBe("POUW_ERROR_REPLAYED");
    // Another leaf of the same worker, or the same leaf of another job, is not a replay.
    expect(rule(t, context({}, [`7:${toHex(alice.publicKey)}:2`, `6:${toHex(alice.publicKey)}:3`]))).toBeUndefined();
    const score = scoreValue(scoreOf(randomness, t));
    expect(rule(t, context({ target: score }))).toBe("POUW_ERROR_ABOVE_TARGET");
    expect(rule(t, context({ target: score + 1n }))).toBeUndefined();
    expect(rule({ ...t, vrf_proof: flip(t.vrf_proof) }, context())).toBe("POUW_ERROR_BAD_VRF");
    expect(rule({ ...t, leaf_hash: flip(t.leaf_hash) }, context())).toBe("POUW_ERROR_BAD_VRF");
    // The registered work key decides, not the worker's account: a ticket signed by another key fails.
    expect(rule(t, context({ workKey: () => bob.publicKey }))).toBe("POUW_ERROR_BAD_VRF");
    expect(rule(t, context({ randomness: flip(randomness) }))).toBe("POUW_ERROR_BAD_VRF");
  });

  it("rejects a block's list with too many tickets, a duplicate, or any invalid ticket", () => {
    expect(pouwCode(() => validateTickets([at(1), at(2), at(3)], context(), 2))).toBe("POUW_ERROR_TOO_MANY_TICKETS");
    // The same leaf twice, even with different (both valid) proofs.
    expect(pouwCode(() => validateTickets([at(1), at(2), at(1)], context(), 3))).toBe("POUW_ERROR_DUPLICATE");
    const forged = { ...at(2), vrf_proof: flip(at(2).vrf_proof) };
    expect(pouwCode(() => validateTickets([at(1), forged, at(3)], context(), 3))).toBe("POUW_ERROR_BAD_VRF");
  });
});

const PINNED_OUTPUT = "0xe207febc38fa2b7c3f5c00608a7c42072de68b5f480144943760faffae862403";
const PINNED_SCORE = "0xe492d44b05e7f57af1256181808af4f31e3be09801accd7a5cf35b8b1a927ea0";
