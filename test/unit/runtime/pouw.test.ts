/**
 * The PoUW pallet on the mock runtime (issue 12): work keys, the tickets of a block's `pouw` digest
 * (one test per rule: the block is refused with the rule's `PouwError` code and nothing is imported),
 * and the shared `ticketContext` the gossip validator uses.
 *
 * Fixture: W1 and W2 train job 0 (`Steps(40)`, checkpoint interval 10: 4 leaves); E1 and E2 evaluate.
 * The genesis target is 2^256 - 1 unless a test says otherwise, so any honest ticket is below it.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import type { KeyPair } from "../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { bytesEqual } from "../../../primitives/hex.js";
import {
  leafNodeHash,
  makeTicket,
  type PouwTicketValue,
  pouwDigestItem,
  scoreOf,
  scoreValue,
  signTicket,
  validateTickets,
} from "../../../primitives/pouw.js";
import type { DigestItemValue, HeaderValue } from "../../../primitives/types.js";
import {
  applyExtrinsic,
  executeBlock,
  finalizeBlock,
  initializeBlock,
  timestampInherent,
} from "../../../runtime/index.js";
import { EPOCH_DURATION, epochRandomnessFor } from "../../../runtime/pallets/babe.js";
import {
  freeBalance,
  mintReserved,
  reserve,
  reservedBalance,
  setLock,
  totalIssuance,
} from "../../../runtime/pallets/balances.js";
import { JobManager, type JobSpecValue } from "../../../runtime/pallets/jobManager/index.js";
import { checksOf } from "../../../runtime/pallets/jobManager/pallet.js";
import { MAX_ADJUSTMENT, nextTarget } from "../../../runtime/pallets/pouw/difficulty.js";
import {
  DEFAULT_DIFFICULTY,
  difficulty,
  heldTicketRewards,
  MAX_STORED_TARGET,
  PoUW,
  targetToBytes,
  ticketBlock,
  ticketContext,
  ticketsOfJob,
  workKeyOf,
} from "../../../runtime/pallets/pouw/index.js";
import { Timestamp } from "../../../runtime/pallets/timestamp.js";
import {
  assign,
  authorDigest,
  type Claim,
  CPU_BOX,
  claim,
  commit,
  commitResult,
  EVALUATOR,
  type Fixture,
  JobHarness,
  jobRuntime,
  nameOf,
  pk,
  postJob,
  register,
  reveal,
  revealResult,
  revealTestSet,
  runChecks,
  spec,
  stateHash,
  submitResults,
  TRAINER,
} from "../../helpers/jobs.js";
import { dev, UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const REWARD = 1_000n * UNIT;
const LEAVES = 4;
const jobSpec = (o: Partial<JobSpecValue> = {}) => spec({ length: { tag: "Steps", value: 10 * LEAVES }, ...o });

const pouw = (tag: string, value: Record<string, unknown>) => ({ tag: "PoUW", value: { tag, value } });
const setWorkKey = (key: Uint8Array) => pouw("set_work_key", { key });
/** `name`'s `work` key: //name//work, apart from its account key. */
const workKey = (name: string): KeyPair => dev(`${name}//work`);

/** W1, W2 (and W3 with `more`) registered trainers, E1 and E2 evaluators; W1 and W3 have work keys. */
function market(f: Fixture = {}): JobHarness {
  const h = new JobHarness(
    jobRuntime({
      more: true,
      registry: { heartbeat_timeout: 1_000 },
      pouw: { difficulty: MAX_STORED_TARGET },
      ...f,
      // Most tests here make more tickets per trainer than the default cap; its own test keeps it.
      parameters: { "pouw.max_tickets_per_worker": 1_000, ...f.parameters },
    }),
  );
  for (const w of ["W1", "W2", "W3"]) h.send(w, register(TRAINER, 100n * UNIT));
  for (const e of ["E1", "E2"]) h.send(e, register(EVALUATOR, 100n * UNIT, CPU_BOX));
  for (const w of ["W1", "W3"]) h.send(w, setWorkKey(workKey(w).publicKey));
  return h;
}

/** `market`, then job 0 posted and filled by W1 and W2: it is training. */
function training(f: Fixture = {}, s: JobSpecValue = jobSpec()): JobHarness {
  const h = market(f);
  h.send("Client", postJob(s, REWARD));
  h.send("W1", assign(0n));
  h.send("W2", assign(0n));
  expect(h.rt.read((e) => PoUW.storage.Tickets.entriesOf(e, 0n))).toEqual([]);
  return h;
}

/**
 * `worker`'s ticket for `leaf` of job `jobId`, against the epoch randomness of the next block, over
 * the leaf hash of its training state there, signed with `key` (its work key by default).
 */
function ticket(
  h: JobHarness,
  worker: string,
  leaf: number,
  o: { jobId?: bigint; key?: KeyPair; fill?: number } = {},
): PouwTicketValue {
  const randomness = h.rt.read((e) => epochRandomnessFor(e, h.head + 1));
  const claim = {
    randomness,
    jobId: o.jobId ?? 0n,
    leaf,
    leafHash: leafNodeHash(leaf, stateHash(pk(worker), o.fill ?? 1, leaf)),
  };
  return makeTicket(pk(worker), claim, signTicket((o.key ?? workKey(worker)).secretKey, claim));
}

const digestOf = (tickets: PouwTicketValue[], author: DigestItemValue[] = []) => [...author, pouwDigestItem(tickets)];

/** A block carrying `tickets` (authored by `author`'s digest, if given), expected to be imported. */
function include(h: JobHarness, tickets: PouwTicketValue[], author: DigestItemValue[] = []): void {
  h.runTo(h.head + 1, () => digestOf(tickets, author));
}

/**
 * A block carrying `tickets` is refused with `code`: building it throws the `PouwError`, and the head
 * (its number and state root) is what it was.
 */
function refused(h: JobHarness, tickets: PouwTicketValue[], code: string): void {
  const [root, head] = [h.rt.state.root, h.head];
  let error: unknown;
  try {
    h.rt.block([], { digest: digestOf(tickets) });
  } catch (err) {
    error = err;
  }
  expect((error as { type?: { code?: string } } | undefined)?.type?.code).toBe(code);
  expect((error as Error).message).toContain(code);
  expect(h.head).toBe(head);
  expect(h.rt.state.root).toEqual(root);
}

const tickets = (h: JobHarness) =>
  h.rt.read((e) => ticketsOfJob(e, 0n)).map((t) => ({ ...t, worker: Buffer.from(t.worker).toString("hex") }));

describe("set_work_key", () => {
  it("stores a registered trainer's key and emits WorkKeySet; a second call replaces it", () => {
    const h = market();
    expect(h.rt.read((e) => workKeyOf(e, pk("W1")))).toEqual(workKey("W1").publicKey);
    const next = workKey("W1-new").publicKey;
    h.send("W1", setWorkKey(next));
    expect(h.rt.read((e) => workKeyOf(e, pk("W1")))).toEqual(next);
    expect(h.rt.lastEvent()).toEqual({
      tag: "PoUW",
      value: { tag: "WorkKeySet", value: { worker: pk("W1"), key: next } },
    });
  });

  it("refuses an unregistered account, a worker without the trainer role and a zero key, changing nothing", () => {
    const h = market();
    h.noop("Client", setWorkKey(workKey("Client").publicKey), "PoUW", "NotRegistered");
    h.noop("E1", setWorkKey(workKey("E1").publicKey), "PoUW", "NotTrainer");
    h.noop("W2", setWorkKey(new Uint8Array(32)), "PoUW", "InvalidWorkKey");
    expect(h.rt.read((e) => workKeyOf(e, pk("W2")))).toBeUndefined();
  });

  it("needs a signed origin", () => {
    const h = market();
    h.rt.assertNoop({ kind: "root" }, setWorkKey(workKey("W1").publicKey), "BadOrigin");
    h.rt.assertNoop({ kind: "none" }, setWorkKey(workKey("W1").publicKey), "BadOrigin");
  });
});

describe("tickets in blocks", () => {
  it("accepts a valid ticket signed with the worker's work key: stored with its block, TicketAccepted emitted", () => {
    const h = training();
    const t = ticket(h, "W1", LEAVES);
    include(h, [t]);
    expect(h.rt.read((e) => ticketBlock(e, 0n, pk("W1"), LEAVES))).toBe(h.head);
    expect(tickets(h)).toEqual([
      { worker: Buffer.from(pk("W1")).toString("hex"), leaf: LEAVES, block: h.head, leafHash: t.leaf_hash },
    ]);
    expect(h.rt.eventsOf("PoUW", "TicketAccepted")).toEqual([
      { tag: "TicketAccepted", value: { job_id: 0n, worker: pk("W1"), leaf: LEAVES, weight: 1 } },
    ]);
    // Another leaf of the same worker, and the same leaf of another worker, are new tickets.
    include(h, [ticket(h, "W1", 1)]);
    expect(tickets(h).map((x) => x.leaf)).toEqual(expect.arrayContaining([1, LEAVES]));
  });

  it("a block without a pouw digest, or with an empty one, changes no ticket", () => {
    const h = training();
    h.runTo(h.head + 1);
    include(h, []);
    expect(tickets(h)).toEqual([]);
    expect(h.rt.eventsOf("PoUW", "TicketAccepted")).toEqual([]);
  });

  it("rule: a forged VRF proof (one byte flipped) is refused", () => {
    const h = training();
    const t = ticket(h, "W1", 1);
    const proof = t.vrf_proof.slice();
    proof[7] ^= 1;
    refused(h, [{ ...t, vrf_proof: proof }], "POUW_ERROR_BAD_VRF");
    // A ticket signed with the account key instead of the registered work key is forged as well.
    refused(h, [ticket(h, "W1", 1, { key: dev("W1") })], "POUW_ERROR_BAD_VRF");
    include(h, [t]);
  });

  it("rule: a ticket not below the target is refused", () => {
    // Target 1: only a score of 0 passes.
    const h = training({ pouw: { difficulty: 1n } });
    expect(h.rt.read((e) => difficulty(e))).toBeLessThan(1n << 32n);
    refused(h, [ticket(h, "W1", 1)], "POUW_ERROR_ABOVE_TARGET");
  });

  it("rule: a replayed leaf (accepted in an earlier block) is refused", () => {
    const h = training();
    const t = ticket(h, "W1", 2);
    include(h, [t]);
    refused(h, [t], "POUW_ERROR_REPLAYED");
    // Signed afresh (the same leaf, a new block's randomness) it is still the same leaf.
    refused(h, [ticket(h, "W1", 2)], "POUW_ERROR_REPLAYED");
  });

  it("rule: a worker not assigned to the job is refused", () => {
    const h = training();
    refused(h, [ticket(h, "W3", 1)], "POUW_ERROR_NOT_ASSIGNED");
  });

  it("rule: a job that is not training is refused", () => {
    const h = training();
    // Job 1 is open: W3 assigned, one trainer short.
    h.send("Client", postJob(jobSpec(), REWARD));
    h.send("W3", assign(1n));
    refused(h, [ticket(h, "W3", 1, { jobId: 1n })], "POUW_ERROR_JOB_NOT_TRAINING");
  });

  it("rule: a worker without a work key is refused", () => {
    const h = training();
    // W2 is assigned but never set a work key.
    refused(h, [ticket(h, "W2", 1)], "POUW_ERROR_NO_WORK_KEY");
  });

  it("rule: an unknown job is refused", () => {
    const h = training();
    refused(h, [ticket(h, "W1", 1, { jobId: 7n })], "POUW_ERROR_UNKNOWN_JOB");
  });

  it("rule: a leaf beyond the job's leaf count is refused (the last leaf is accepted)", () => {
    const h = training();
    refused(h, [ticket(h, "W1", LEAVES + 1)], "POUW_ERROR_LEAF_OUT_OF_RANGE");
    include(h, [ticket(h, "W1", LEAVES)]);
  });

  it("rule: the same (job, worker, leaf) twice in one block is refused", () => {
    const h = training();
    const t = ticket(h, "W1", 3);
    refused(h, [t, t], "POUW_ERROR_DUPLICATE");
    expect(tickets(h)).toEqual([]);
  });

  it("rule: more than max_tickets_per_block (16) is refused; 16 are accepted", () => {
    // 40 leaves: room for 17 distinct tickets.
    const h = training({}, jobSpec({ length: { tag: "Steps", value: 400 } }));
    const many = Array.from({ length: 17 }, (_, i) => ticket(h, "W1", i + 1));
    refused(h, many, "POUW_ERROR_TOO_MANY_TICKETS");
    include(h, many.slice(0, 16));
    expect(tickets(h)).toHaveLength(16);
  });

  it("rule: more than max_tickets_per_worker (4) tickets of one trainer for a job are refused, in one block or over several", () => {
    const cap = { parameters: { "pouw.max_tickets_per_worker": 4 } };
    const h = training(cap, jobSpec({ length: { tag: "Steps", value: 100 } }));
    const five = [1, 2, 3, 4, 5].map((leaf) => ticket(h, "W1", leaf));
    refused(h, five, "POUW_ERROR_WORKER_CAP");
    expect(tickets(h)).toEqual([]);
    include(h, five.slice(0, 3));
    include(h, [ticket(h, "W1", 4)]);
    expect(tickets(h)).toHaveLength(4);
    refused(h, [ticket(h, "W1", 5)], "POUW_ERROR_WORKER_CAP");
    // Another trainer of the job has its own count (W3 is not assigned here: set W2's key first).
    h.send("W2", setWorkKey(workKey("W2").publicKey));
    include(
      h,
      [1, 2, 3, 4].map((leaf) => ticket(h, "W2", leaf)),
    );
    expect(tickets(h)).toHaveLength(8);
  });

  it("one bad ticket among good ones refuses the whole block", () => {
    const h = training();
    refused(h, [ticket(h, "W1", 1), ticket(h, "W3", 1)], "POUW_ERROR_NOT_ASSIGNED");
    expect(tickets(h)).toEqual([]);
  });

  it("a job of Epochs(e) bounds leaves by MaxSegments (4096)", () => {
    const h = training({}, jobSpec({ length: { tag: "Epochs", value: 2 } }));
    refused(h, [ticket(h, "W1", 4097)], "POUW_ERROR_LEAF_OUT_OF_RANGE");
    include(h, [ticket(h, "W1", 4096)]);
  });
});

describe("import (executeBlock)", () => {
  /** A block on the head carrying `tickets`, built as an author builds it: its header and extrinsics. */
  function authored(h: JobHarness, tickets: PouwTicketValue[]): { header: HeaderValue; extrinsics: Uint8Array[] } {
    const ext = h.rt.ext();
    const number = h.head + 1;
    initializeBlock(ext, { parentHash: h.rt.hash, number, digest: digestOf(tickets) });
    const inherent = timestampInherent(Timestamp.storage.Now.getOrDefault(ext) + 2_000n);
    expect(applyExtrinsic(ext, inherent, h.rt.genesisHash).ok).toBe(true);
    const { extrinsicsRoot, digest } = finalizeBlock(ext, [inherent]);
    const stateRoot = h.rt.state.update(ext.overlay.drain()).root;
    return {
      header: { parentHash: h.rt.hash, number, stateRoot, extrinsicsRoot, digest: { logs: digest } },
      extrinsics: [inherent],
    };
  }
  const importOn = (h: JobHarness, block: { header: HeaderValue; extrinsics: Uint8Array[] }) =>
    executeBlock(h.rt.ext(), block.header, block.extrinsics, h.rt.genesisHash);

  it("imports a block whose tickets are valid, and refuses one whose ticket was tampered with after sealing", () => {
    const h = training();
    const t = ticket(h, "W1", 1);
    const good = authored(h, [t]);
    expect(() => importOn(h, good)).not.toThrow();
    // A relayer flips a proof byte in the header: the block no longer executes.
    const proof = t.vrf_proof.slice();
    proof[0] ^= 1;
    const logs = good.header.digest.logs.map((l) =>
      l.tag === "PreRuntime" ? pouwDigestItem([{ ...t, vrf_proof: proof }]) : l,
    );
    expect(() => importOn(h, { ...good, header: { ...good.header, digest: { logs } } })).toThrow("POUW_ERROR_BAD_VRF");
  });
});

describe("ticketContext (the gossip validator's view)", () => {
  it("applies the runtime's rules at the best block: valid before inclusion, replayed after", () => {
    const h = training();
    const t = ticket(h, "W1", 1);
    const check = () => h.rt.read((e) => validateTickets([t], ticketContext(e, h.head + 1), 16));
    expect(check).not.toThrow();
    include(h, [t]);
    expect(check).toThrow("POUW_ERROR_REPLAYED");
  });

  it("uses the next epoch's randomness for the first block of an epoch, as the block itself will", () => {
    const h = training();
    // Run to the last block of an epoch (epochs are 10 blocks).
    h.runTo(Math.ceil((h.head + 2) / 10) * 10 - 1);
    const t = ticket(h, "W1", 1);
    expect(() => h.rt.read((e) => validateTickets([t], ticketContext(e, h.head + 1), 16))).not.toThrow();
    include(h, [t]);
    expect(h.head % 10).toBe(0);
  });
});

describe("genesis", () => {
  it("takes the difficulty from the genesis config, with a default", () => {
    expect(jobRuntime({ pouw: { difficulty: 12_345n } }).read((e) => difficulty(e))).toBe(12_345n);
    expect(jobRuntime().read((e) => difficulty(e))).toBe(DEFAULT_DIFFICULTY);
    expect(() => jobRuntime({ pouw: { difficulty: 0n } })).toThrow("difficulty");
    expect(() => jobRuntime({ pouw: { difficulty: 1n << 256n } })).toThrow("difficulty");
  });
});

// ---- Rewards ----

/** `pouw.ticket_reward` and `pouw.ticket_inclusion_fee` (defaults). */
const TICKET_REWARD = UNIT / 10n;
const INCLUSION_FEE = UNIT / 100n;
/** The job manager's amounts for a reward of 1,000 TRAIN (see verifiedTraining.test.ts). */
const JOB_FEE = 20n * UNIT;
const WORKER_POOL = 800n * UNIT;
const EVALUATOR_POOL = 150n * UNIT;
const TREASURY_SHARE = 50n * UNIT;
/** `audit_slash_ppm` (100%) and `worker_slash_ppm` (50%) of the 50 TRAIN job stake. */
const AUDIT_SLASH = 50n * UNIT;
const MISSED_SLASH = 25n * UNIT;
const REGISTRATION = 100n * UNIT;
const JOB_STAKE = 50n * UNIT;

const issuance = (h: JobHarness) => h.rt.read((e) => totalIssuance(e));
const reserved = (h: JobHarness, n: string) => h.rt.read((e) => reservedBalance(e, pk(n)));
const held = (h: JobHarness, n: string) => h.rt.read((e) => heldTicketRewards(e, 0n, pk(n)));
const job = (h: JobHarness) => h.rt.read((e) => JobManager.storage.Jobs.get(e, 0n))!;
const audit = (h: JobHarness, w: string) =>
  h.rt.read((e) => JobManager.storage.Assignments.get(e, [0n, pk(w)]))!.audit.tag;
const rewardEvents = (h: JobHarness) =>
  h.rt
    .eventsOf("PoUW")
    .filter((e) => e.tag.startsWith("TicketReward"))
    .map((e) => [e.tag, nameOf(e.value.worker as Uint8Array), e.value.amount]);

/** W1's and W2's honest claims for job 0 (leaf state hashes as `ticket` signs them: fill 1). */
const honest = (): Claim[] => [
  claim("W1", 1, 950_000, { steps: 10 * LEAVES }),
  claim("W2", 2, 950_000, { steps: 10 * LEAVES }),
];

/** The client reveals the test set; E1 and E2 attest `accuracy` for every result: the job settles. */
function attest(h: JobHarness, accuracy = 950_000): void {
  h.send("Client", revealTestSet(0n));
  const list: [string, number][] = job(h).results.map((w) => [nameOf(w), accuracy]);
  for (const e of job(h).evaluators.map(nameOf)) h.send(e, commit(0n, e, list));
  for (const e of job(h).evaluators.map(nameOf)) h.send(e, reveal(0n, list));
}

describe("ticket rewards", () => {
  it("are minted into the reserved balance, which a fully frozen free balance cannot refuse (reserve could)", () => {
    const h = market();
    const ext = h.rt.ext();
    const free = freeBalance(ext, pk("W1"));
    setLock(ext, new TextEncoder().encode("test    "), pk("W1"), free + 1n);
    const [r, i] = [reservedBalance(ext, pk("W1")), totalIssuance(ext)];
    expect(() => reserve(ext, pk("W1"), 1n)).toThrow("LiquidityRestrictions");
    mintReserved(ext, pk("W1"), TICKET_REWARD);
    expect([reservedBalance(ext, pk("W1")), freeBalance(ext, pk("W1")), totalIssuance(ext)]).toEqual([
      r + TICKET_REWARD,
      free,
      i + TICKET_REWARD,
    ]);
  });

  it("are minted and held on the trainer, paid when its audit passes; the author gets the inclusion fee", () => {
    const h = training();
    const before = issuance(h);
    const author = authorDigest(0);
    const authorName = h.authorityName(0);
    include(h, [ticket(h, "W1", 1), ticket(h, "W1", 2)], author);
    expect(held(h, "W1")).toBe(2n * TICKET_REWARD);
    expect(reserved(h, "W1")).toBe(REGISTRATION + JOB_STAKE + 2n * TICKET_REWARD);
    expect(issuance(h)).toBe(before + 2n * TICKET_REWARD + 2n * INCLUSION_FEE);
    expect(h.rt.eventsOf("PoUW", "InclusionFeePaid")).toEqual([
      { tag: "InclusionFeePaid", value: { author: pk(authorName), tickets: 2, amount: 2n * INCLUSION_FEE } },
    ]);
    expect(h.gain(authorName)).toBe(2n * INCLUSION_FEE);
    expect(rewardEvents(h)).toEqual([
      ["TicketRewardHeld", "W1", TICKET_REWARD],
      ["TicketRewardHeld", "W1", TICKET_REWARD],
    ]);

    submitResults(h, 0n, honest());
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Passed", "Passed"]);
    expect(held(h, "W1")).toBe(0n);
    expect(reserved(h, "W1")).toBe(REGISTRATION + JOB_STAKE);
    attest(h);
    expect(job(h).status.tag).toBe("Succeeded");
    expect({
      W1: h.gain("W1"),
      W2: h.gain("W2"),
      E1: h.gain("E1"),
      E2: h.gain("E2"),
      Client: h.gain("Client"),
      Treasury: h.treasuryGain(),
    }).toEqual({
      W1: WORKER_POOL / 2n + 2n * TICKET_REWARD,
      W2: WORKER_POOL / 2n,
      E1: EVALUATOR_POOL / 2n,
      E2: EVALUATOR_POOL / 2n,
      Client: -(REWARD + JOB_FEE),
      Treasury: TREASURY_SHARE + JOB_FEE,
    });
    // Besides the ticket rewards, only the validators' era rewards (and the inclusion fee) were minted.
    expect(issuance(h) - before).toBe(2n * TICKET_REWARD + h.gain("Alice") + h.gain("Bob"));
    expect([reserved(h, "W1"), reserved(h, "W2")]).toEqual([REGISTRATION, REGISTRATION]);
  });

  it("are burned when the trainer's audit fails; a block without an author pays no inclusion fee", () => {
    const h = training();
    h.send("W2", setWorkKey(workKey("W2").publicKey));
    const before = issuance(h);
    include(h, [ticket(h, "W1", 1), ticket(h, "W2", 1)]);
    expect(h.rt.eventsOf("PoUW", "InclusionFeePaid")).toEqual([]);
    expect(issuance(h)).toBe(before + 2n * TICKET_REWARD);
    // W2 copies W1's result: re-executing its segments (its own batch order) gives other states.
    const [c1] = honest();
    const copy: Claim = { ...c1, worker: "W2", computed: honest()[1].leaves };
    submitResults(h, 0n, [c1, copy]);
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Passed", "Failed"]);
    expect([held(h, "W1"), held(h, "W2")]).toEqual([0n, 0n]);
    expect(issuance(h)).toBe(before + TICKET_REWARD);
    attest(h);
    expect(job(h).status.tag).toBe("Succeeded");
    expect({ W1: h.gain("W1"), W2: h.gain("W2"), Treasury: h.treasuryGain() }).toEqual({
      W1: WORKER_POOL + TICKET_REWARD,
      W2: -AUDIT_SLASH,
      Treasury: TREASURY_SHARE + JOB_FEE + AUDIT_SLASH,
    });
    expect(issuance(h)).toBe(before + TICKET_REWARD);
  });

  it("are burned when the job ends without a passing audit (nobody submitted)", () => {
    const h = training();
    const before = issuance(h);
    include(h, [ticket(h, "W1", 1)]);
    expect(held(h, "W1")).toBe(TICKET_REWARD);
    h.runTo(job(h).deadline);
    expect(job(h).status).toEqual({ tag: "Failed", value: { tag: "NoResults" } });
    expect(rewardEvents(h)).toEqual([["TicketRewardSlashed", "W1", TICKET_REWARD]]);
    expect(held(h, "W1")).toBe(0n);
    expect({ W1: h.gain("W1"), W2: h.gain("W2"), Client: h.gain("Client"), Treasury: h.treasuryGain() }).toEqual({
      W1: -MISSED_SLASH,
      W2: -MISSED_SLASH,
      Client: 0n,
      Treasury: 2n * MISSED_SLASH,
    });
    expect(issuance(h)).toBe(before);
    expect([reserved(h, "W1"), reserved(h, "W2")]).toEqual([REGISTRATION, REGISTRATION]);
  });

  it("of an unverifiable result (a GpuTolerance job: no exact audit) are burned when the job ends, though it is paid", () => {
    const gpu = { ...spec().requirements, min_gpus: 1, min_gpu_memory_mib: 1_024 };
    const h = training({}, jobSpec({ profile: { tag: "GpuTolerance" }, requirements: gpu }));
    const before = issuance(h);
    include(h, [ticket(h, "W1", 1)]);
    submitResults(h, 0n, honest());
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Unverifiable", "Unverifiable"]);
    expect(held(h, "W1")).toBe(TICKET_REWARD);
    attest(h);
    expect(job(h).status.tag).toBe("Succeeded");
    expect(rewardEvents(h)).toEqual([["TicketRewardSlashed", "W1", TICKET_REWARD]]);
    expect({ W1: h.gain("W1"), W2: h.gain("W2") }).toEqual({ W1: WORKER_POOL / 2n, W2: WORKER_POOL / 2n });
    expect(issuance(h) - before).toBe(h.gain("Alice") + h.gain("Bob"));
  });

  it("follow the pouw knobs: ticket_weight in TicketAccepted, no reward or fee when set to 0", () => {
    const h = training({
      parameters: { "pouw.ticket_weight": 3, "pouw.ticket_reward": 0n, "pouw.ticket_inclusion_fee": 0n },
    });
    const before = issuance(h);
    include(h, [ticket(h, "W1", 1)], authorDigest(0));
    expect(h.rt.eventsOf("PoUW").map((e) => [e.tag, e.value.weight])).toEqual([["TicketAccepted", 3]]);
    expect(held(h, "W1")).toBe(0n);
    expect(issuance(h)).toBe(before);
  });

  it("a trainer slashed for a missed submission earns no more tickets; the others may while results are revealed", () => {
    const h = training();
    h.send("W2", setWorkKey(workKey("W2").publicKey));
    const [c1] = honest();
    h.send("W1", commitResult(0n, c1));
    h.runTo(job(h).deadline);
    expect(job(h).status.tag).toBe("RevealingResults");
    refused(h, [ticket(h, "W2", 1)], "POUW_ERROR_NOT_ASSIGNED");
    include(h, [ticket(h, "W1", 1)]);
    expect(held(h, "W1")).toBe(TICKET_REWARD);
  });
});

// ---- Difficulty ----

describe("difficulty retarget (simulated epochs, real tickets)", () => {
  /**
   * One epoch (the head is the last block of the previous one): in each block W1 reaches
   * `leavesPerBlock` new leaves and signs a ticket at each; the author includes those below the
   * target. Returns the tickets and the retarget the epoch's last block made.
   */
  function epoch(h: JobHarness, leavesPerBlock: number, next: { leaf: number }) {
    expect(h.head % EPOCH_DURATION).toBe(EPOCH_DURATION - 1);
    const target = h.rt.read((e) => difficulty(e));
    let tickets = 0;
    for (let i = 0; i < EPOCH_DURATION; i++) {
      const randomness = h.rt.read((e) => epochRandomnessFor(e, h.head + 1));
      const reached = Array.from({ length: leavesPerBlock }, () => ticket(h, "W1", next.leaf++));
      const below = reached.filter((t) => scoreValue(scoreOf(randomness, t)) < target);
      include(h, below);
      tickets += below.length;
    }
    const adjusted = h.rt.eventsOf("PoUW", "DifficultyAdjusted")[0]?.value;
    const after = h.rt.read((e) => difficulty(e));
    // The pallet's retarget is the pure rule's (capped to what 32 bytes hold), bounded to x4 / x1/4.
    const expected = nextTarget({
      target,
      tickets: BigInt(tickets),
      blocks: BigInt(EPOCH_DURATION),
      targetTicketsPerBlock: 4n,
    });
    let capped = expected;
    if (capped > MAX_STORED_TARGET) capped = MAX_STORED_TARGET;
    expect(after).toBe(capped);
    expect(after >= target / MAX_ADJUSTMENT && after <= target * MAX_ADJUSTMENT).toBe(true);
    if (after !== target) expect(adjusted).toMatchObject({ tickets, blocks: EPOCH_DURATION });
    else expect(adjusted).toBeUndefined();
    return { tickets, before: target, after };
  }

  it("4x too many tickets, then 4x too few: each epoch moves the target at most x4 and the rate returns to 4 a block", () => {
    // An Epochs job: up to 4096 leaves, training long enough for the simulation.
    const h = training(
      {},
      jobSpec({ length: { tag: "Epochs", value: 2 }, deadlines: { ...spec().deadlines, submit: 500 } }),
    );
    h.runTo(Math.ceil((h.head + 1) / EPOCH_DURATION) * EPOCH_DURATION - 1);
    const next = { leaf: 1 };
    // Every score passes the genesis target: 16 leaves a block give 16 tickets, 4x the 4 wanted.
    const tooMany = epoch(h, 16, next);
    expect(tooMany.tickets).toBe(16 * EPOCH_DURATION);
    expect(tooMany.after).toBe(tooMany.before / MAX_ADJUSTMENT);
    // At a quarter of the target, about 4 of the 16 leaves a block earn a ticket.
    const settled = epoch(h, 16, next);
    expect(settled.tickets / EPOCH_DURATION).toBeGreaterThanOrEqual(2);
    expect(settled.tickets / EPOCH_DURATION).toBeLessThanOrEqual(8);
    // The work slows to 4 leaves a block: about 1 ticket a block, 4x too few; the target rises.
    const tooFew = epoch(h, 4, next);
    expect(tooFew.tickets / EPOCH_DURATION).toBeLessThanOrEqual(2);
    expect(tooFew.after).toBeGreaterThan(tooFew.before * 2n);
    const again = epoch(h, 4, next);
    expect(again.tickets / EPOCH_DURATION).toBeGreaterThanOrEqual(2);
  });

  it("an epoch without tickets raises the target x4 (up to 2^256-1); an idle chain at the easiest target writes nothing", () => {
    const h = training({ pouw: { difficulty: 1_000n } });
    const start = h.rt.read((e) => difficulty(e));
    h.runTo(Math.ceil((h.head + 1) / EPOCH_DURATION) * EPOCH_DURATION - 1);
    expect(h.rt.read((e) => difficulty(e))).toBe(start * 4n);
    expect(h.rt.eventsOf("PoUW", "DifficultyAdjusted")).toEqual([
      {
        tag: "DifficultyAdjusted",
        value: { tickets: 0, blocks: EPOCH_DURATION, old: targetToBytes(start), new: targetToBytes(start * 4n) },
      },
    ]);
    // No genesis difficulty (the default, the easiest): epochs end without a write or an event.
    const idle = new JobHarness(jobRuntime());
    idle.runTo(EPOCH_DURATION - 1);
    expect(idle.rt.eventsOf("PoUW")).toEqual([]);
    idle.runTo(2 * EPOCH_DURATION - 1);
    expect(idle.rt.eventsOf("PoUW")).toEqual([]);
    expect(idle.rt.read((e) => e.overlay.get(PoUW.storage.Difficulty.key))).toBeUndefined();
    expect(idle.rt.read((e) => difficulty(e))).toBe(MAX_STORED_TARGET);
  });
});

// ---- Binding: tickets are pre-commitments the audits hold the trainer to ----

describe("binding tickets to the revealed work root", () => {
  const SEGMENTS = 8;
  const bigJob = () => jobSpec({ length: { tag: "Steps", value: 10 * SEGMENTS } });
  const claims = (): Claim[] => [
    claim("W1", 1, 950_000, { steps: 10 * SEGMENTS }),
    claim("W2", 2, 950_000, { steps: 10 * SEGMENTS }),
  ];
  const auditedSegments = (h: JobHarness, w: string) =>
    h.rt
      .read((e) => checksOf(e, 0n))
      .filter(({ check }) => bytesEqual(check.worker, pk(w)) && check.kind.tag === "Audit")
      .map(({ check }) => check.segment)
      .sort((a, b) => a - b);

  it("every ticketed leaf is audited, with the drawn ones; an honest trainer passes and is paid", () => {
    const h = training({}, bigJob());
    include(
      h,
      [2, 3, 5, 6].map((leaf) => ticket(h, "W1", leaf)),
    );
    const cs = claims();
    for (const c of cs) h.send(c.worker, commitResult(0n, c));
    for (const c of cs) h.send(c.worker, revealResult(0n, c));
    const segments = auditedSegments(h, "W1");
    expect(segments).toEqual(expect.arrayContaining([2, 3, 5, 6, SEGMENTS]));
    // Without tickets, W2 gets the drawn segments alone: the last and at most 3 others.
    expect(auditedSegments(h, "W2").length).toBeLessThanOrEqual(4);
    runChecks(h, 0n, cs);
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Passed", "Passed"]);
    expect(held(h, "W1")).toBe(0n);
    expect(h.gain("W1")).toBe(4n * TICKET_REWARD);
  });

  it("a ticket the opened leaf contradicts fails the audit: the trainer is slashed, its ticket rewards burned", () => {
    const h = training({}, bigJob());
    const before = issuance(h);
    // W1's ticket at leaf 3 commits to a state its work root does not hold there.
    include(h, [ticket(h, "W1", 1), ticket(h, "W1", 3, { fill: 9 })]);
    const cs = claims();
    submitResults(h, 0n, cs);
    expect([audit(h, "W1"), audit(h, "W2")]).toEqual(["Failed", "Passed"]);
    // The check that failed is one over leaf 3 (opened as segment 3's end, or served as segment 4's start),
    // though its verifiers re-executed honestly.
    const failed = h.rt
      .read((e) => checksOf(e, 0n))
      .filter(({ check }) => bytesEqual(check.worker, pk("W1")) && check.stage.tag === "Done")
      .filter(({ check }) => (check.stage as { value?: { tag: string } }).value?.tag === "Failed")
      .map(({ check }) => check.segment);
    expect(failed.length).toBe(1);
    expect([3, 4]).toContain(failed[0]);
    expect(held(h, "W1")).toBe(0n);
    attest(h);
    expect(job(h).status.tag).toBe("Succeeded");
    expect({ W1: h.gain("W1"), W2: h.gain("W2"), Treasury: h.treasuryGain() }).toEqual({
      W1: -AUDIT_SLASH,
      W2: WORKER_POOL,
      Treasury: TREASURY_SHARE + JOB_FEE + AUDIT_SLASH,
    });
    expect(issuance(h)).toBe(before);
  });

  it("a result with fewer leaves than a ticketed one fails when the audits start", () => {
    // An Epochs job: the steps are known at the reveal only.
    const h = training({}, jobSpec({ length: { tag: "Epochs", value: 2 } }));
    include(h, [ticket(h, "W1", 6)]);
    // W1 reveals 4 leaves (40 steps), though it ticketed leaf 6.
    const cs = [claim("W1", 1, 950_000, { steps: 40 }), claim("W2", 2, 950_000, { steps: 40 })];
    for (const c of cs) h.send(c.worker, commitResult(0n, c));
    for (const c of cs) h.send(c.worker, revealResult(0n, c));
    expect(audit(h, "W1")).toBe("Failed");
    expect(auditedSegments(h, "W1")).toEqual([]);
    expect(held(h, "W1")).toBe(0n);
    runChecks(h, 0n, cs);
    expect(audit(h, "W2")).toBe("Passed");
    expect(h.gain("W1")).toBe(-AUDIT_SLASH);
  });
});
