/**
 * The inference pallet on the mock runtime: requests, draws, commit/reveal, refusals and settlement,
 * each money path asserting the exact balance change of every party (client, each provider, both
 * validators, the treasury), net of transaction fees, and that nothing stays reserved. `JobHarness`
 * checks after every block that reserved balances are exactly what the pallets hold.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { outputCommitment } from "../../../primitives/inference.js";
import { reservedBalance } from "../../../runtime/pallets/balances.js";
import {
  INFERENCE_REPUTATION_PENALTY,
  INFERENCE_REPUTATION_REWARD,
  Inference,
  type InferenceProfileValue,
  MAX_LIVE_REQUESTS,
  MAX_REPLICAS,
  type RequestValue,
} from "../../../runtime/pallets/inference/index.js";
import { INITIAL_REPUTATION, WorkerRegistry } from "../../../runtime/pallets/workerRegistry.js";
import {
  authorDigest,
  CPU_BOX,
  cid,
  GPU_BOX,
  hash,
  JobHarness,
  jobRuntime,
  nameOf,
  PROVIDER,
  pk,
  register,
  salt,
  signedBy,
  VALIDATORS,
} from "../../helpers/jobs.js";
import { UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const S = Inference.storage;
/** Registration stake of every provider. */
const STAKE = 100n * UNIT;
/** Reward per provider. */
const REWARD = 10n * UNIT;
/** 2% (`inference_fee_ppm`) of 3 × 10 TRAIN. */
const FEE = (3n * REWARD * 20_000n) / 1_000_000n;
/** 10% (`inference_slash_ppm`) of the 100 TRAIN registration stake. */
const SLASH = 10n * UNIT;
const REQUIREMENTS = { min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 1, min_memory_mib: 1_024 };
const GPU: InferenceProfileValue = { tag: "Gpu", value: { grid_e9: 1_000_000n } };

const inf = (tag: string, value: Record<string, unknown>) => ({ tag: "Inference", value: { tag, value } });

function request(o: Record<string, unknown> = {}) {
  return inf("request", {
    model_cid: cid(1),
    input_cid: cid(2),
    replicas: 3,
    quorum: 2,
    max_blocks: 30,
    reward: REWARD,
    profile: { tag: "CpuExact" },
    tolerance: 0n,
    requirements: REQUIREMENTS,
    ...o,
  });
}

/** What a provider computed: output `cid(fill)` with hash `hash(fill)`, and its fingerprint. */
interface Out {
  name: string;
  fill: number;
  fp?: number[];
  salt?: Uint8Array;
}
const commitOutput = (id: bigint, o: Out) =>
  inf("commit_output", {
    request_id: id,
    commitment: outputCommitment(id, pk(o.name), hash(o.fill), o.fp ?? [], o.salt ?? salt(o.fill)),
  });
const revealOutput = (id: bigint, o: Out) =>
  inf("reveal_output", {
    request_id: id,
    output_cid: cid(o.fill),
    output_hash: hash(o.fill),
    fingerprint: o.fp ?? [],
    salt: o.salt ?? salt(o.fill),
  });
const refuse = (id: bigint) => inf("refuse", { request_id: id });

/** A market of inference providers with 100 TRAIN registration stake each. */
function market(names: string[], caps = CPU_BOX): JobHarness {
  const h = new JobHarness(jobRuntime());
  for (const n of names) h.send(n, register(PROVIDER, STAKE, caps));
  return h;
}

const req = (h: JobHarness, id = 0n): RequestValue => h.rt.read((e) => S.Requests.get(e, id))!;
const drawn = (h: JobHarness, id = 0n) => req(h, id).providers.map(nameOf);
const events = (h: JobHarness) => h.rt.eventsOf("Inference").map((e) => e.tag);
const reputation = (h: JobHarness, n: string) => h.rt.read((e) => S.Reputation.getOrDefault(e, pk(n)));
const reserved = (h: JobHarness, n: string) => h.rt.read((e) => reservedBalance(e, pk(n)));
const PEOPLE = ["Client", "W1", "W2", "E1", "E2"];

/** Every balance change since genesis, net of fees, of `names`, both validators and the treasury. */
function gains(h: JobHarness, names: string[]) {
  return Object.fromEntries([...[...names, ...VALIDATORS].map((n) => [n, h.gain(n)]), ["Treasury", h.treasuryGain()]]);
}

/** The request ended and holds nothing: no escrow, no deadline, nothing reserved for the client. */
function assertNothingHeld(h: JobHarness, id = 0n): void {
  const r = req(h, id);
  expect(["Settled", "NoQuorum"]).toContain(r.status.tag);
  expect(r.held).toBe(0n);
  expect(r.deadline).toBe(0);
  expect(reserved(h, "Client")).toBe(0n);
  expect(h.rt.read((e) => S.LiveRequests.getOrDefault(e))).toBe(0);
  for (const who of r.providers)
    expect(h.rt.read((e) => WorkerRegistry.storage.Workers.get(e, who)!.active_jobs)).toBe(0);
}

/** Every drawn provider commits, then reveals (one block each); the last reveal is authored by `author`. */
function commitAndReveal(h: JobHarness, outs: Out[], authorIndex = 0): void {
  for (const o of outs) h.send(o.name, commitOutput(0n, o));
  expect(req(h).status).toEqual({ tag: "Revealing" });
  for (const [i, o] of outs.entries())
    h.send(o.name, revealOutput(0n, o), i === outs.length - 1 ? authorDigest(authorIndex) : undefined);
}

describe("request", () => {
  it("reserves replicas × reward plus the fee, draws the providers (never the client) and queues the commit deadline", () => {
    const h = market(["W1", "W2", "E1", "Client"]);
    h.noop("Client", request({ replicas: 4 }), "Inference", "NotEnoughProviders");
    h.send("Client", request());
    expect(reserved(h, "Client")).toBe(STAKE + 3n * REWARD + FEE);
    expect(events(h)).toEqual(["Requested", "ProvidersDrawn"]);
    expect(drawn(h).sort()).toEqual(["E1", "W1", "W2"]);
    const r = req(h);
    expect(r).toMatchObject({ held: 3n * REWARD + FEE, network_fee: FEE, status: { tag: "Committing" } });
    // The commit window is max_blocks - reveal_blocks (30 - 10).
    expect(r.deadline).toBe(h.head + 20);
    expect(h.rt.read((e) => S.DeadlineQueue.getOrDefault(e, h.head + 20))).toEqual([0n]);
    for (const n of ["W1", "W2", "E1"])
      expect(h.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk(n))!.active_jobs)).toBe(1);
  });

  it("rejects bad input with a named error, changing nothing and reserving nothing", () => {
    const h = market(["W1", "W2", "E1"]);
    const bad = (o: Record<string, unknown>, error: string) => h.noop("Client", request(o), "Inference", error);
    bad({ reward: 0n }, "ZeroReward");
    bad({ model_cid: new Uint8Array() }, "InvalidCid");
    bad({ input_cid: cid(2).subarray(0, 20) }, "InvalidCid");
    bad({ replicas: 0, quorum: 0 }, "InvalidReplicas");
    bad({ replicas: MAX_REPLICAS + 1 }, "InvalidReplicas");
    bad({ quorum: 0 }, "InvalidQuorum");
    bad({ replicas: 2, quorum: 3 }, "InvalidQuorum");
    bad({ tolerance: 1n }, "InvalidProfile");
    bad({ profile: { tag: "Gpu", value: { grid_e9: 0n } } }, "InvalidProfile");
    bad({ requirements: { ...REQUIREMENTS, min_gpu_memory_mib: 1 } }, "InvalidProfile");
    bad({ max_blocks: 14 }, "InvalidMaxBlocks");
    bad({ max_blocks: 14_401 }, "InvalidMaxBlocks");
    bad({ replicas: 4 }, "NotEnoughProviders");
    // Providers without the profile or the memory asked for are not eligible.
    bad({ profile: GPU, tolerance: 5n }, "NotEnoughProviders");
    bad({ requirements: { ...REQUIREMENTS, min_memory_mib: 8_193 } }, "NotEnoughProviders");
    h.noop("Poor", request(), "Balances", "InsufficientBalance");
    expect(reserved(h, "Client")).toBe(0n);
    expect(gains(h, ["Client"])).toEqual({ Client: 0n, Alice: 0n, Bob: 0n, Treasury: 0n });
    const ext = h.rt.ext();
    S.LiveRequests.put(ext, MAX_LIVE_REQUESTS);
    h.rt.state = h.rt.state.update(ext.overlay.drain());
    h.rt.assertNoop(signedBy("Client"), request(), "Inference.TooManyLiveRequests");
  });
});

describe("cpu-exact settlement", () => {
  it("a lying provider is outvoted and slashed; the agreeing ones are paid, the author gets the fee", () => {
    const h = market(["W1", "W2", "E1"]);
    h.send("Client", request());
    const author = h.authorityName(0);
    commitAndReveal(h, [
      { name: "W1", fill: 5 },
      { name: "E1", fill: 6 },
      { name: "W2", fill: 5 },
    ]);
    expect(events(h)).toEqual(["OutputRevealed", "NetworkFeePaid", "Slashed", "Settled", "Refunded"]);
    const honest = drawn(h).filter((n) => n !== "E1");
    expect(h.rt.eventsOf("Inference", "Settled")[0].value).toEqual({
      request_id: 0n,
      output_cid: cid(5),
      output_hash: hash(5),
      providers: honest.map(pk),
      reward: REWARD,
    });
    expect(h.rt.eventsOf("Inference", "Slashed")[0].value).toEqual({
      request_id: 0n,
      provider: pk("E1"),
      amount: SLASH,
      reason: { tag: "InferenceDisagreed" },
    });
    expect(req(h)).toMatchObject({ status: { tag: "Settled" }, agreed: { output_cid: cid(5), output_hash: hash(5) } });
    const other = VALIDATORS.find((v) => v !== author)!;
    expect(gains(h, PEOPLE)).toEqual({
      Client: -(2n * REWARD + FEE),
      W1: REWARD,
      W2: REWARD,
      E1: -SLASH,
      E2: 0n,
      [author]: FEE,
      [other]: 0n,
      Treasury: SLASH,
    });
    assertNothingHeld(h);
    expect([reserved(h, "W1"), reserved(h, "W2"), reserved(h, "E1")]).toEqual([STAKE, STAKE, STAKE - SLASH]);
    expect([reputation(h, "W1"), reputation(h, "E1")]).toEqual([
      INITIAL_REPUTATION + INFERENCE_REPUTATION_REWARD,
      INITIAL_REPUTATION - INFERENCE_REPUTATION_PENALTY,
    ]);
  });

  it("a silent provider is slashed and the quorum still settles", () => {
    const h = market(["W1", "W2", "E1"]);
    h.send("Client", request());
    h.send("W1", commitOutput(0n, { name: "W1", fill: 5 }));
    h.send("W2", commitOutput(0n, { name: "W2", fill: 5 }));
    expect(req(h).status).toEqual({ tag: "Committing" });
    // E1 never commits: the commit deadline opens the reveals without it.
    h.runTo(req(h).deadline);
    expect(req(h).status).toEqual({ tag: "Revealing" });
    h.noop("E1", revealOutput(0n, { name: "E1", fill: 5 }), "Inference", "NotCommitted");
    h.send("W1", revealOutput(0n, { name: "W1", fill: 5 }));
    const author = h.authorityName(1);
    h.send("W2", revealOutput(0n, { name: "W2", fill: 5 }), authorDigest(1));
    expect(h.rt.eventsOf("Inference", "Slashed").map((e) => e.value)).toEqual([
      { request_id: 0n, provider: pk("E1"), amount: SLASH, reason: { tag: "InferenceSilent" } },
    ]);
    const other = VALIDATORS.find((v) => v !== author)!;
    expect(gains(h, PEOPLE)).toEqual({
      Client: -(2n * REWARD + FEE),
      W1: REWARD,
      W2: REWARD,
      E1: -SLASH,
      E2: 0n,
      [author]: FEE,
      [other]: 0n,
      Treasury: SLASH,
    });
    assertNothingHeld(h);
    expect(reserved(h, "E1")).toBe(STAKE - SLASH);
  });

  it("a copied commitment cannot be revealed by another provider (the commitment binds the provider)", () => {
    const h = market(["W1", "W2", "E1"]);
    h.send("Client", request());
    const w1: Out = { name: "W1", fill: 5 };
    h.send("W1", commitOutput(0n, w1));
    const copied = h.rt.read((e) => S.Outputs.get(e, [0n, pk("W1")]))!.commitment;
    h.send("E1", inf("commit_output", { request_id: 0n, commitment: copied }));
    h.send("W2", commitOutput(0n, { name: "W2", fill: 5 }));
    h.send("W1", revealOutput(0n, w1));
    // E1 replays W1's reveal, byte for byte: the commitment has W1's account inside.
    h.noop("E1", revealOutput(0n, w1), "Inference", "CommitmentMismatch");
    h.send("W2", revealOutput(0n, { name: "W2", fill: 5 }));
    expect(req(h).status).toEqual({ tag: "Revealing" });
    const author = h.authorityName(0);
    const revealBy = req(h).deadline;
    h.runTo(revealBy, (n) => (n === revealBy ? authorDigest(0) : undefined));
    expect(h.rt.eventsOf("Inference", "Slashed").map((e) => e.value.provider)).toEqual([pk("E1")]);
    const other = VALIDATORS.find((v) => v !== author)!;
    expect(gains(h, PEOPLE)).toEqual({
      Client: -(2n * REWARD + FEE),
      W1: REWARD,
      W2: REWARD,
      E1: -SLASH,
      E2: 0n,
      [author]: FEE,
      [other]: 0n,
      Treasury: SLASH,
    });
    assertNothingHeld(h);
  });

  it("nobody commits: every provider is slashed and the client gets everything back", () => {
    const h = market(["W1", "W2", "E1"]);
    h.send("Client", request());
    h.runTo(req(h).deadline);
    expect(events(h)).toEqual(["Slashed", "Slashed", "Slashed", "Refunded", "NoQuorum"]);
    expect(gains(h, PEOPLE)).toEqual({
      Client: 0n,
      W1: -SLASH,
      W2: -SLASH,
      E1: -SLASH,
      E2: 0n,
      Alice: 0n,
      Bob: 0n,
      Treasury: 3n * SLASH,
    });
    assertNothingHeld(h);
  });

  it("rejects out-of-phase, foreign and repeated commits and reveals", () => {
    const h = market(["W1", "W2", "E1", "E2"]);
    h.noop("W1", commitOutput(0n, { name: "W1", fill: 5 }), "Inference", "RequestNotFound");
    h.send("Client", request());
    const outsider = ["W1", "W2", "E1", "E2"].find((n) => !drawn(h).includes(n))!;
    const [a, b, c] = drawn(h);
    h.noop(outsider, commitOutput(0n, { name: outsider, fill: 5 }), "Inference", "NotProvider");
    h.noop(a, revealOutput(0n, { name: a, fill: 5 }), "Inference", "NotRevealing");
    h.send(a, commitOutput(0n, { name: a, fill: 5 }));
    h.noop(a, commitOutput(0n, { name: a, fill: 5 }), "Inference", "AlreadyCommitted");
    h.noop(a, refuse(0n), "Inference", "AlreadyCommitted");
    h.send(b, commitOutput(0n, { name: b, fill: 5 }));
    h.send(c, commitOutput(0n, { name: c, fill: 5, fp: [1] }));
    h.noop(c, commitOutput(0n, { name: c, fill: 5 }), "Inference", "NotCommitting");
    h.noop(a, revealOutput(0n, { name: a, fill: 6 }), "Inference", "CommitmentMismatch");
    // A fingerprint under cpu-exact is refused before the commitment is even checked.
    h.noop(c, revealOutput(0n, { name: c, fill: 5, fp: [1] }), "Inference", "InvalidFingerprint");
    h.send(a, revealOutput(0n, { name: a, fill: 5 }));
    h.noop(a, revealOutput(0n, { name: a, fill: 5 }), "Inference", "AlreadyRevealed");
  });
});

describe("gpu settlement (fingerprint clustering)", () => {
  // W1 and W2 lie exactly at L2 distance 10 (6² + 8² = 10²): within the tolerance. E1 is 11 from W1.
  const W1: Out = { name: "W1", fill: 1, fp: [100, 200, 300] };
  const W2: Out = { name: "W2", fill: 2, fp: [106, 192, 300] };
  const E1: Out = { name: "E1", fill: 3, fp: [100, 200, 311] };

  it("fingerprints within the tolerance agree, one outside it is slashed", () => {
    const h = market(["W1", "W2", "E1"], GPU_BOX);
    h.send("Client", request({ profile: GPU, tolerance: 10n }));
    const author = h.authorityName(0);
    commitAndReveal(h, [W1, E1, W2]);
    const agreeing = drawn(h).filter((n) => n !== "E1");
    // The first agreeing provider in draw order is the cluster's center: its output is recorded.
    const center = agreeing[0] === "W1" ? W1 : W2;
    expect(h.rt.eventsOf("Inference", "Settled")[0].value).toEqual({
      request_id: 0n,
      output_cid: cid(center.fill),
      output_hash: hash(center.fill),
      providers: agreeing.map(pk),
      reward: REWARD,
    });
    expect(h.rt.eventsOf("Inference", "Slashed").map((e) => [e.value.provider, e.value.reason])).toEqual([
      [pk("E1"), { tag: "InferenceDisagreed" }],
    ]);
    const other = VALIDATORS.find((v) => v !== author)!;
    expect(gains(h, PEOPLE)).toEqual({
      Client: -(2n * REWARD + FEE),
      W1: REWARD,
      W2: REWARD,
      E1: -SLASH,
      E2: 0n,
      [author]: FEE,
      [other]: 0n,
      Treasury: SLASH,
    });
    assertNothingHeld(h);
    expect([reserved(h, "W1"), reserved(h, "W2"), reserved(h, "E1")]).toEqual([STAKE, STAKE, STAKE - SLASH]);
  });

  it("no cluster of size Q refunds the client, less the revealers' rewards; the silent one is slashed", () => {
    const h = market(["W1", "W2", "E1"], GPU_BOX);
    h.send("Client", request({ profile: GPU, tolerance: 9n }));
    // At tolerance 9 W1 and W2 (distance 10) no longer agree; E1 commits and never reveals.
    for (const o of [W1, W2, E1]) h.send(o.name, commitOutput(0n, o));
    h.send("W1", revealOutput(0n, W1));
    h.send("W2", revealOutput(0n, W2));
    h.runTo(req(h).deadline, () => authorDigest(0));
    expect(events(h)).toEqual(["Slashed", "Refunded", "NoQuorum"]);
    expect(h.rt.eventsOf("Inference", "NoQuorum")[0].value).toEqual({
      request_id: 0n,
      paid: drawn(h)
        .filter((n) => n !== "E1")
        .map(pk),
      refund: REWARD + FEE,
    });
    expect(gains(h, PEOPLE)).toEqual({
      Client: -2n * REWARD,
      W1: REWARD,
      W2: REWARD,
      E1: -SLASH,
      E2: 0n,
      Alice: 0n,
      Bob: 0n,
      Treasury: SLASH,
    });
    expect(req(h)).toMatchObject({ status: { tag: "NoQuorum" }, agreed: undefined });
    assertNothingHeld(h);
  });

  it("checks fingerprints: non-empty under Gpu, at most MaxFingerprintLength", () => {
    const h = market(["W1", "W2", "E1"], GPU_BOX);
    h.send("Client", request({ profile: GPU, tolerance: 10n }));
    const long: Out = { name: "W1", fill: 1, fp: new Array(257).fill(0) };
    h.send("W1", commitOutput(0n, long));
    h.send("W2", commitOutput(0n, { name: "W2", fill: 2 }));
    h.send("E1", commitOutput(0n, E1));
    h.noop("W1", revealOutput(0n, long), "Inference", "InvalidFingerprint");
    h.noop("W2", revealOutput(0n, { name: "W2", fill: 2 }), "Inference", "InvalidFingerprint");
  });
});

describe("refusals", () => {
  it("a refusal is not slashed and draws a replacement, which is paid like the others", () => {
    const h = market(["W1", "W2", "E1", "E2"]);
    h.send("Client", request());
    const [refuser, ...kept] = drawn(h);
    const spare = ["W1", "W2", "E1", "E2"].find((n) => !drawn(h).includes(n))!;
    h.noop(spare, refuse(0n), "Inference", "NotProvider");
    h.send(refuser, refuse(0n));
    expect(events(h)).toEqual(["Refused", "ProvidersDrawn"]);
    expect(drawn(h)).toEqual([...kept, spare]);
    expect(req(h).refused).toEqual([pk(refuser)]);
    expect(h.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk(refuser))!.active_jobs)).toBe(0);
    const author = h.authorityName(0);
    commitAndReveal(
      h,
      [...kept, spare].map((name) => ({ name, fill: 5 })),
    );
    const other = VALIDATORS.find((v) => v !== author)!;
    expect(gains(h, PEOPLE)).toEqual({
      Client: -(3n * REWARD + FEE),
      [kept[0]]: REWARD,
      [kept[1]]: REWARD,
      [spare]: REWARD,
      [refuser]: 0n,
      [author]: FEE,
      [other]: 0n,
      Treasury: 0n,
    });
    assertNothingHeld(h);
  });

  it("without a replacement the set shrinks; below the quorum the client gets everything back", () => {
    const h = market(["W1", "W2", "E1"]);
    h.send("Client", request({ quorum: 3 }));
    const [first, second] = drawn(h);
    h.send(second, commitOutput(0n, { name: second, fill: 5 }));
    h.send(first, refuse(0n));
    expect(events(h)).toEqual(["Refused", "Refunded", "NoQuorum"]);
    expect(gains(h, PEOPLE)).toEqual({
      Client: 0n,
      W1: 0n,
      W2: 0n,
      E1: 0n,
      E2: 0n,
      Alice: 0n,
      Bob: 0n,
      Treasury: 0n,
    });
    assertNothingHeld(h);
  });
});
