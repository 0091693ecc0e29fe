/** The job manager's calls and the checks on what they are given. */
import { blake2_256, concat } from "../../../primitives/hashing.js";
import { bytesEqual } from "../../../primitives/hex.js";
import { T } from "../../../primitives/scale/types.js";
import { AccountId, H256 } from "../../../primitives/types.js";
import { defaultCheckpointInterval, leafCount, verifyWorkProof } from "../../../primitives/workRoot.js";
import { addWeight, checkedAdd, ensure, ensureSigned } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { call } from "../../frame/pallet.js";
import { reserve } from "../balances.js";
import { JOB_MANAGER, param } from "../parameters/index.js";
import {
  ensureActiveWorker,
  evaluatorPool,
  meetsRequirements,
  mulPpm,
  noteJobEnded,
  noteJobStarted,
  PPM,
  workerInfo,
} from "../workerRegistry.js";
import { advance, contradictsTicket, failContradicted, openCheck, segmentUnderCheck, verifierPool } from "./audit.js";
import { drawWeighted, evaluatorSeed } from "./draw.js";
import {
  JobManager,
  MAX_ACTIVE_JOBS,
  MAX_BATCH_SIZE,
  MAX_CID_LENGTH,
  MAX_EVALUATORS_PER_JOB,
  MAX_KERNEL_CLASS_LENGTH,
  MAX_SEGMENTS,
  MAX_TRAINING_LENGTH,
  MAX_WORKERS_PER_JOB,
  now,
  SCHEDULE_READS,
  SETTLE_WEIGHT,
  w,
} from "./pallet.js";
import {
  committers,
  endResultReveal,
  finish,
  nextPhase,
  refundClient,
  releaseStake,
  schedule,
  settleOrWait,
  startResultReveal,
  startReveal,
  unschedule,
} from "./settlement.js";
import {
  Accuracies,
  attestationCommitment,
  type CheckValue,
  ClaimedMetrics,
  isFinal,
  JobSpec,
  type JobSpecValue,
  type JobValue,
  resultCommitment,
  testSetCommitment,
  verdictCommitment,
  WorkProof,
} from "./types.js";

const S = JobManager.storage;

// ---- Checks ----

function readVarint(b: Uint8Array, at: number): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 9 && at + i < b.length; i++) {
    const byte = b[at + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  return undefined;
}

/** Whether `cid` is a well-formed binary CIDv1: `0x01 ++ varint(codec) ++ varint(hash) ++ varint(len) ++ digest`. */
export function isValidCid(cid: Uint8Array): boolean {
  if (cid.length === 0 || cid.length > MAX_CID_LENGTH) return false;
  // version, codec, multihash code, digest length
  const fields: number[] = [];
  let at = 0;
  for (let i = 0; i < 4; i++) {
    const v = readVarint(cid, at);
    if (!v) return false;
    fields.push(v[0]);
    at = v[1];
  }
  const [version, , , len] = fields;
  return version === 1 && len > 0 && len <= 64 && cid.length - at === len;
}

function validateSpec(ext: Ext, spec: JobSpecValue): void {
  const err = (name: Parameters<typeof JobManager.error>[0]) => () => JobManager.error(name);
  ensure(isValidCid(spec.model_cid) && isValidCid(spec.training_set_cid), err("InvalidCid"));
  ensure(
    spec.learning_rate_e9 > 0n &&
      spec.batch_size > 0 &&
      spec.batch_size <= MAX_BATCH_SIZE &&
      spec.length.value > 0 &&
      spec.length.value <= MAX_TRAINING_LENGTH,
    err("InvalidHyperParameters"),
  );
  ensure(spec.workers >= 1 && spec.workers <= MAX_WORKERS_PER_JOB, err("InvalidWorkerCount"));
  ensure(spec.evaluators >= 1 && spec.evaluators <= MAX_EVALUATORS_PER_JOB, err("InvalidEvaluatorCount"));
  ensure(spec.min_accuracy_ppm <= PPM, err("InvalidMinimumAccuracy"));
  const [minPhase, maxPhase] = [param(ext, JOB_MANAGER.min_phase_blocks), param(ext, JOB_MANAGER.max_phase_blocks)];
  ensure(
    Object.values(spec.deadlines).every((d) => d >= minPhase && d <= maxPhase),
    err("InvalidDeadline"),
  );
  const r = spec.requirements;
  ensure(
    r.min_gpus > 0 || (r.min_gpu_memory_mib === 0 && spec.profile.tag !== "GpuTolerance"),
    err("InvalidRequirements"),
  );
  ensure(spec.worker_stake >= param(ext, JOB_MANAGER.min_worker_stake), err("WorkerStakeTooLow"));
  // The chain fixes the interval at posting: about 64 segments when the client leaves it at 0 (the
  // steps of a job in epochs depend on the data set, which only the client knows).
  if (spec.checkpoint_interval === 0) {
    ensure(spec.length.tag === "Steps", err("InvalidCheckpointInterval"));
    spec.checkpoint_interval = defaultCheckpointInterval(spec.length.value);
  }
  ensure(
    spec.checkpoint_interval <= MAX_TRAINING_LENGTH &&
      (spec.length.tag !== "Steps" || leafCount(spec.length.value, spec.checkpoint_interval) <= MAX_SEGMENTS),
    err("InvalidCheckpointInterval"),
  );
}

// ---- Calls ----

function getJob(ext: Ext, id: bigint): JobValue {
  const job = S.Jobs.get(ext, id);
  ensure(job !== undefined, () => JobManager.error("JobNotFound"));
  return job;
}

function getCheck(ext: Ext, jobId: bigint, checkId: number) {
  const job = getJob(ext, jobId);
  const check: CheckValue | undefined = S.Checks.get(ext, [jobId, checkId]);
  ensure(check !== undefined, () => JobManager.error("CheckNotFound"));
  const result = S.Assignments.get(ext, [jobId, check.worker])!.result!;
  return { job, check, result };
}

const isIn = (list: Uint8Array[], who: Uint8Array) => list.some((x) => bytesEqual(x, who));

JobManager.defineCalls({
  post_job: call({
    index: 0,
    args: { spec: JobSpec, reward: T.compactU128 },
    docs: [
      "Posts a training job, reserving `reward` plus the network fee (`network_fee_ppm` of it) from",
      "the origin. The spec is checked: CIDs, hyper-parameters, counts, minimum accuracy, phase",
      "lengths, requirements, the job stake, and that enough active evaluators exist.",
    ],
    weight: () => addWeight(w(4n + BigInt(1024), 4n), w(SCHEDULE_READS, 1n)),
    dispatch: (ext, origin, { spec, reward }) => {
      const client = ensureSigned(origin);
      ensure(reward > 0n, () => JobManager.error("ZeroReward"));
      validateSpec(ext, spec);
      ensure(evaluatorPool(ext, [client]).length >= spec.evaluators, () => JobManager.error("NotEnoughEvaluators"));
      const active = S.ActiveJobs.getOrDefault(ext);
      ensure(active < MAX_ACTIVE_JOBS, () => JobManager.error("TooManyActiveJobs"));
      const network_fee = mulPpm(param(ext, JOB_MANAGER.network_fee_ppm), reward);
      const held = checkedAdd(reward, network_fee);
      reserve(ext, client, held);
      // No errors allowed after this point.
      const id = S.NextJobId.getOrDefault(ext);
      S.NextJobId.put(ext, id + 1n);
      const posted_at = now(ext);
      const deadline = schedule(ext, id, posted_at + spec.deadlines.assign);
      S.Jobs.insert(ext, id, {
        client,
        spec,
        reward,
        network_fee,
        held,
        status: { tag: "Open" },
        posted_at,
        deadline,
        workers: [],
        evaluators: [],
        test_set: undefined,
        results: [],
        checks: 0,
        open_checks: 0,
        pending_settlement: undefined,
      });
      S.ActiveJobs.put(ext, active + 1);
      JobManager.deposit(ext, { tag: "JobPosted", value: { job_id: id, client, reward, network_fee } });
    },
  }),
  cancel_job: call({
    index: 1,
    args: { job_id: T.u64 },
    docs: ["Cancels an open job (before training starts): the client gets its whole escrow back."],
    weight: () => addWeight(w(4n, 4n), SETTLE_WEIGHT),
    dispatch: (ext, origin, { job_id }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(bytesEqual(job.client, who), () => JobManager.error("NotClient"));
      ensure(job.status.tag === "Open", () => JobManager.error("NotOpen"));
      const refund = job.held;
      unschedule(ext, job_id, job.deadline);
      for (const worker of job.workers) {
        releaseStake(ext, job_id, worker);
        noteJobEnded(ext, worker, "neutral");
      }
      refundClient(ext, job_id, job);
      finish(ext, job_id, job, { tag: "Cancelled" });
      JobManager.deposit(ext, { tag: "JobCancelled", value: { job_id, refund } });
    },
  }),
  assign_worker: call({
    index: 2,
    args: { job_id: T.u64 },
    docs: [
      "Assigns the origin, an active trainer whose registered capabilities meet the job's",
      "requirements, to an open job, reserving the job stake. The assignment that fills the job",
      "draws the evaluators (weighted by stake, never a trainer or the client) and starts training.",
    ],
    weight: () => addWeight(w(8n + BigInt(1024), 6n + BigInt(MAX_EVALUATORS_PER_JOB)), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "Open", () => JobManager.error("NotOpen"));
      ensure(!bytesEqual(job.client, who), () => JobManager.error("OwnJob"));
      ensure(!isIn(job.workers, who), () => JobManager.error("AlreadyAssigned"));
      const info = ensureActiveWorker(ext, who, "Trainer");
      ensure(meetsRequirements(info.capabilities, job.spec.requirements, job.spec.profile.tag), () =>
        JobManager.error("RequirementsNotMet"),
      );
      const full = job.workers.length + 1 >= job.spec.workers;
      let drawn: Uint8Array[] = [];
      if (full) {
        const pool = evaluatorPool(ext, [job.client, ...job.workers, who]);
        ensure(pool.length > 0, () => JobManager.error("NoEligibleEvaluators"));
        drawn = drawWeighted(pool, job.spec.evaluators, evaluatorSeed(ext, job_id)).map((c) => c.who);
      }
      const stake = job.spec.worker_stake;
      reserve(ext, who, stake);
      // No errors allowed after this point.
      S.Assignments.insert(ext, [job_id, who], {
        stake,
        commitment: undefined,
        result: undefined,
        audit: { tag: "Pending" },
        accuracy_ppm: undefined,
      });
      job.workers.push(who);
      noteJobStarted(ext, who);
      JobManager.deposit(ext, { tag: "WorkerAssigned", value: { job_id, worker: who, stake } });
      if (full) {
        job.evaluators = drawn;
        for (const e of drawn) noteJobStarted(ext, e);
        const submit_by = nextPhase(ext, job_id, job, { tag: "Training" }, job.spec.deadlines.submit);
        JobManager.deposit(ext, { tag: "TrainingStarted", value: { job_id, evaluators: drawn, submit_by } });
      }
      S.Jobs.insert(ext, job_id, job);
    },
  }),
  commit_result: call({
    index: 3,
    args: { job_id: T.u64, commitment: H256 },
    docs: [
      "A trainer commits to its result during training:",
      "`blake2_256(SCALE((job_id, worker, model_hash, work_root, metrics, salt)))`. Nothing about the",
      "result is public until every trainer has committed, so no trainer can copy another's.",
    ],
    weight: () => addWeight(w(3n + BigInt(MAX_WORKERS_PER_JOB), 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, commitment }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "Training", () => JobManager.error("NotTraining"));
      const a = S.Assignments.get(ext, [job_id, who]);
      ensure(a !== undefined, () => JobManager.error("NotAssigned"));
      ensure(a.commitment === undefined, () => JobManager.error("AlreadySubmitted"));
      S.Assignments.insert(ext, [job_id, who], { ...a, commitment });
      JobManager.deposit(ext, { tag: "ResultCommitted", value: { job_id, worker: who } });
      if (committers(ext, job_id, job).length === job.workers.length) {
        startResultReveal(ext, job_id, job);
        S.Jobs.insert(ext, job_id, job);
      }
    },
  }),
  reveal_result: call({
    index: 7,
    args: {
      job_id: T.u64,
      model_cid: T.bytes,
      model_hash: H256,
      work_root: H256,
      metrics: ClaimedMetrics,
      steps: T.u32,
      salt: T.fixedBytes(32),
    },
    docs: [
      "A trainer reveals its committed result: the model's CID and hash, the work root over its",
      "checkpoint leaves, its claimed metrics and the steps it trained (the spec's, for a job in steps).",
      "Its registered kernel class is recorded. When every committed trainer has revealed, audits start.",
    ],
    weight: () => addWeight(w(6n + BigInt(MAX_WORKERS_PER_JOB), 3n), SETTLE_WEIGHT),
    dispatch: (ext, origin, { job_id, model_cid, model_hash, work_root, metrics, steps, salt }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "RevealingResults", () => JobManager.error("NotRevealingResults"));
      const a = S.Assignments.get(ext, [job_id, who]);
      ensure(a !== undefined, () => JobManager.error("NotAssigned"));
      ensure(a.commitment !== undefined, () => JobManager.error("NotCommittedResult"));
      ensure(a.result === undefined, () => JobManager.error("AlreadyRevealed"));
      ensure(isValidCid(model_cid), () => JobManager.error("InvalidCid"));
      ensure(metrics.accuracy_ppm <= PPM, () => JobManager.error("InvalidMetrics"));
      const length = job.spec.length;
      ensure(
        steps > 0 &&
          (length.tag !== "Steps" || steps === length.value) &&
          leafCount(steps, job.spec.checkpoint_interval) <= MAX_SEGMENTS,
        () => JobManager.error("WrongStepCount"),
      );
      ensure(bytesEqual(resultCommitment(job_id, who, model_hash, work_root, metrics, salt), a.commitment), () =>
        JobManager.error("CommitmentMismatch"),
      );
      const kernel_class = workerInfo(ext, who)?.capabilities.kernel_class ?? new Uint8Array();
      ensure(kernel_class.length > 0 && kernel_class.length <= MAX_KERNEL_CLASS_LENGTH, () =>
        JobManager.error("InvalidKernelClass"),
      );
      // No errors allowed after this point.
      S.Assignments.insert(ext, [job_id, who], {
        ...a,
        result: { model_cid, model_hash, work_root, metrics, steps, kernel_class, revealed_at: now(ext) },
      });
      JobManager.deposit(ext, {
        tag: "ResultRevealed",
        value: { job_id, worker: who, model_cid, model_hash, work_root },
      });
      const pending = committers(ext, job_id, job).some(
        (w) => S.Assignments.get(ext, [job_id, w])?.result === undefined,
      );
      if (!pending) {
        endResultReveal(ext, job_id, job);
        if (!isFinal(job.status)) S.Jobs.insert(ext, job_id, job);
      }
    },
  }),
  serve_checkpoint: call({
    index: 8,
    args: { job_id: T.u64, check_id: T.u32, cid: T.bytes, state_hash: H256, proof: WorkProof },
    docs: [
      "The checked trainer serves the start checkpoint of the check's segment: its CID (verifiers",
      "fetch it from the trainer) and state hash, proved as leaf `segment - 1` under its work root.",
    ],
    weight: () => addWeight(w(4n, 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, check_id, cid, state_hash, proof }) => {
      const who = ensureSigned(origin);
      const { check, result } = getCheck(ext, job_id, check_id);
      ensure(bytesEqual(check.worker, who), () => JobManager.error("NotCheckedWorker"));
      ensure(check.stage.tag === "Serving", () => JobManager.error("WrongCheckStage"));
      ensure(isValidCid(cid), () => JobManager.error("InvalidCid"));
      ensure(verifyWorkProof(result.work_root, check.segment - 1, state_hash, proof), () =>
        JobManager.error("InvalidProof"),
      );
      check.start = { cid, state_hash };
      JobManager.deposit(ext, { tag: "CheckpointServed", value: { job_id, check_id, cid, state_hash } });
      // A served leaf that the trainer's own PoUW ticket contradicts proves the ticket (or the root) false.
      if (contradictsTicket(ext, job_id, who, check.segment - 1, state_hash))
        failContradicted(ext, job_id, check_id, check);
      else advance(ext, job_id, check_id, check);
    },
  }),
  commit_verdict: call({
    index: 9,
    args: { job_id: T.u64, check_id: T.u32, commitment: H256 },
    docs: [
      "A drawn verifier commits to the end state hash it computed by re-executing the segment:",
      "`blake2_256(SCALE((job_id, check_id, verifier, end_hash, salt)))`.",
    ],
    weight: () => addWeight(w(4n, 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, check_id, commitment }) => {
      const who = ensureSigned(origin);
      const { check } = getCheck(ext, job_id, check_id);
      const vote = check.votes.find((v) => bytesEqual(v.verifier, who));
      ensure(vote !== undefined, () => JobManager.error("NotVerifier"));
      ensure(check.stage.tag === "Committing", () => JobManager.error("WrongCheckStage"));
      ensure(vote.commitment === undefined, () => JobManager.error("AlreadyCommitted"));
      vote.commitment = commitment;
      JobManager.deposit(ext, { tag: "VerdictCommitted", value: { job_id, check_id, verifier: who } });
      advance(ext, job_id, check_id, check);
    },
  }),
  open_leaf: call({
    index: 10,
    args: { job_id: T.u64, check_id: T.u32, state_hash: H256, proof: WorkProof },
    docs: [
      "After the verifiers' commitments, the checked trainer opens the segment's end leaf: its state",
      "hash, proved as leaf `segment` under its work root.",
    ],
    weight: () => addWeight(w(4n, 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, check_id, state_hash, proof }) => {
      const who = ensureSigned(origin);
      const { check, result } = getCheck(ext, job_id, check_id);
      ensure(bytesEqual(check.worker, who), () => JobManager.error("NotCheckedWorker"));
      ensure(check.stage.tag === "Opening", () => JobManager.error("WrongCheckStage"));
      ensure(verifyWorkProof(result.work_root, check.segment, state_hash, proof), () =>
        JobManager.error("InvalidProof"),
      );
      check.end_leaf = state_hash;
      JobManager.deposit(ext, { tag: "LeafOpened", value: { job_id, check_id, state_hash } });
      if (contradictsTicket(ext, job_id, who, check.segment, state_hash))
        failContradicted(ext, job_id, check_id, check);
      else advance(ext, job_id, check_id, check);
    },
  }),
  reveal_verdict: call({
    index: 11,
    args: { job_id: T.u64, check_id: T.u32, end_hash: H256, salt: T.fixedBytes(32) },
    docs: ["A committed verifier reveals the end hash it computed. The last reveal concludes the check."],
    weight: () => addWeight(w(6n + BigInt(2 * MAX_EVALUATORS_PER_JOB), 4n), SETTLE_WEIGHT),
    dispatch: (ext, origin, { job_id, check_id, end_hash, salt }) => {
      const who = ensureSigned(origin);
      const { check } = getCheck(ext, job_id, check_id);
      const vote = check.votes.find((v) => bytesEqual(v.verifier, who));
      ensure(vote !== undefined, () => JobManager.error("NotVerifier"));
      ensure(check.stage.tag === "Revealing", () => JobManager.error("WrongCheckStage"));
      ensure(vote.commitment !== undefined, () => JobManager.error("NotCommitted"));
      ensure(vote.end_hash === undefined, () => JobManager.error("AlreadyRevealed"));
      ensure(bytesEqual(verdictCommitment(job_id, check_id, who, end_hash, salt), vote.commitment), () =>
        JobManager.error("CommitmentMismatch"),
      );
      vote.end_hash = end_hash;
      JobManager.deposit(ext, { tag: "VerdictRevealed", value: { job_id, check_id, verifier: who, end_hash } });
      advance(ext, job_id, check_id, check);
    },
  }),
  challenge: call({
    index: 12,
    args: { job_id: T.u64, worker: AccountId, leaf: T.u32 },
    docs: [
      "An active evaluator challenges segment `leaf` of a trainer's result, reserving `challenge_bond`.",
      "A fresh committee of `audit_verifiers` re-executes it as an audit does; settlement waits for it.",
    ],
    weight: () => addWeight(w(8n + BigInt(1024), 4n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, worker, leaf }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(
        ["AwaitingTestSet", "Committing", "Revealing"].includes(job.status.tag) && job.pending_settlement === undefined,
        () => JobManager.error("NotChallengeable"),
      );
      ensureActiveWorker(ext, who, "Evaluator");
      const a = S.Assignments.get(ext, [job_id, worker]);
      ensure(a?.result !== undefined, () => JobManager.error("NotAssigned"));
      ensure(a.audit.tag !== "Failed" && !bytesEqual(worker, who), () => JobManager.error("NotChallengeable"));
      ensure(leaf >= 1 && leaf <= leafCount(a.result.steps, job.spec.checkpoint_interval), () =>
        JobManager.error("UnknownLeaf"),
      );
      ensure(!segmentUnderCheck(ext, job_id, job, worker, leaf), () => JobManager.error("ChallengeOpen"));
      const pool = verifierPool(ext, job, a.result, [who]);
      ensure(pool.length > 0, () => JobManager.error("NoEligibleEvaluators"));
      const bond = param(ext, JOB_MANAGER.challenge_bond);
      reserve(ext, who, bond);
      // No errors allowed after this point.
      const seed = blake2_256(concat(evaluatorSeed(ext, job_id), who, T.u32.enc(job.checks)));
      const verifiers = drawWeighted(pool, param(ext, JOB_MANAGER.audit_verifiers), seed).map((c) => c.who);
      openCheck(ext, job_id, job, worker, leaf, { tag: "Challenge", value: { challenger: who, bond } }, verifiers);
      S.Jobs.insert(ext, job_id, job);
    },
  }),
  reveal_test_set: call({
    index: 4,
    args: { job_id: T.u64, cid: T.bytes, salt: T.fixedBytes(32) },
    docs: [
      "The client reveals the test set once the results are in: `blake2_256(SCALE((cid, salt)))`",
      "must equal the spec's `test_set_commitment`. Evaluators may then commit.",
    ],
    weight: () => addWeight(w(2n, 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, cid, salt }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(bytesEqual(job.client, who), () => JobManager.error("NotClient"));
      ensure(job.status.tag === "AwaitingTestSet", () => JobManager.error("NotAwaitingTestSet"));
      ensure(isValidCid(cid), () => JobManager.error("InvalidCid"));
      ensure(bytesEqual(testSetCommitment(cid, salt), job.spec.test_set_commitment), () =>
        JobManager.error("TestSetMismatch"),
      );
      job.test_set = { cid, salt };
      const commit_by = nextPhase(ext, job_id, job, { tag: "Committing" }, job.spec.deadlines.commit);
      S.Jobs.insert(ext, job_id, job);
      JobManager.deposit(ext, { tag: "TestSetRevealed", value: { job_id, cid, commit_by } });
    },
  }),
  commit_attestation: call({
    index: 5,
    args: { job_id: T.u64, commitment: H256 },
    docs: [
      "A drawn evaluator commits to its attestation:",
      "`blake2_256(SCALE((job_id, evaluator, accuracies, salt)))`. When every drawn evaluator has",
      "committed, the reveal phase starts.",
    ],
    weight: () => addWeight(w(3n + BigInt(MAX_EVALUATORS_PER_JOB), 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { job_id, commitment }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "Committing", () => JobManager.error("NotCommitting"));
      ensure(isIn(job.evaluators, who), () => JobManager.error("NotEvaluator"));
      ensure(!S.Attestations.contains(ext, [job_id, who]), () => JobManager.error("AlreadyCommitted"));
      S.Attestations.insert(ext, [job_id, who], { commitment, accuracies: undefined });
      JobManager.deposit(ext, { tag: "AttestationCommitted", value: { job_id, evaluator: who } });
      if (job.evaluators.every((e) => S.Attestations.contains(ext, [job_id, e]))) {
        startReveal(ext, job_id, job);
        S.Jobs.insert(ext, job_id, job);
      }
    },
  }),
  reveal_attestation: call({
    index: 6,
    args: { job_id: T.u64, accuracies: Accuracies, salt: T.fixedBytes(32) },
    docs: [
      "A committed evaluator reveals its attestation: the accuracy (ppm) of every result, listed",
      "as (trainer, accuracy) in assignment order. When every committed evaluator has revealed,",
      "the job settles.",
    ],
    weight: () => addWeight(w(4n + BigInt(MAX_EVALUATORS_PER_JOB), 2n), SETTLE_WEIGHT),
    dispatch: (ext, origin, { job_id, accuracies, salt }) => {
      const who = ensureSigned(origin);
      const job = getJob(ext, job_id);
      ensure(job.status.tag === "Revealing", () => JobManager.error("NotRevealing"));
      ensure(isIn(job.evaluators, who), () => JobManager.error("NotEvaluator"));
      const att = S.Attestations.get(ext, [job_id, who]);
      ensure(att !== undefined, () => JobManager.error("NotCommitted"));
      ensure(att.accuracies === undefined, () => JobManager.error("AlreadyRevealed"));
      ensure(bytesEqual(attestationCommitment(job_id, who, accuracies, salt), att.commitment), () =>
        JobManager.error("CommitmentMismatch"),
      );
      const results = job.results;
      ensure(
        accuracies.length === results.length &&
          accuracies.every(([worker, acc], i) => bytesEqual(worker, results[i]) && acc <= PPM),
        () => JobManager.error("InvalidAttestation"),
      );
      // No errors allowed after this point.
      S.Attestations.insert(ext, [job_id, who], { ...att, accuracies });
      JobManager.deposit(ext, { tag: "AttestationRevealed", value: { job_id, evaluator: who, accuracies } });
      const pending = job.evaluators.some((e) => {
        const a = S.Attestations.get(ext, [job_id, e]);
        return a !== undefined && a.accuracies === undefined;
      });
      if (!pending) {
        settleOrWait(ext, job_id, job, { tag: "Attested" });
        if (!isFinal(job.status)) S.Jobs.insert(ext, job_id, job);
      }
    },
  }),
});
