/** The inference pallet's calls, the provider draw and the checks on what the calls are given. */
import { blake2_256, concat } from "../../../primitives/hashing.js";
import { bytesEqual } from "../../../primitives/hex.js";
import { T } from "../../../primitives/scale/types.js";
import { BlockNumber, H256 } from "../../../primitives/types.js";
import { addWeight, checkedAdd, ensure, ensureSigned } from "../../frame/dispatch.js";
import type { Ext } from "../../frame/ext.js";
import { call } from "../../frame/pallet.js";
import { randomnessForSubject } from "../babe.js";
import { reserve } from "../balances.js";
import { drawWeighted, isValidCid } from "../jobManager/index.js";
import { INFERENCE, param } from "../parameters/index.js";
import { activeWorkers, meetsRequirements, mulPpm, noteJobEnded, noteJobStarted } from "../workerRegistry.js";
import {
  DRAW_READS,
  Inference,
  MAX_FINGERPRINT_LENGTH,
  MAX_LIVE_REQUESTS,
  MAX_REPLACEMENTS,
  MAX_REPLICAS,
  now,
  SCHEDULE_READS,
  SETTLE_WEIGHT,
  w,
} from "./pallet.js";
import { allCommitted, endUnservable, schedule, settle, startReveal } from "./settlement.js";
import {
  executionProfileOf,
  InferenceProfile,
  type InferenceProfileValue,
  InferenceRequirements,
  type InferenceRequirementsValue,
  outputCommitment,
  type RequestValue,
} from "./types.js";

const S = Inference.storage;
const DRAW_SUBJECT = new TextEncoder().encode("tensorchain/inference/providers");
type ErrorName = Parameters<typeof Inference.error>[0];
const err = (name: ErrorName) => () => Inference.error(name);

/** The draw seed of a request: chain randomness for `"tensorchain/inference/providers" ++ u64_le(id)`. */
export function providerSeed(ext: Ext, requestId: bigint): Uint8Array {
  return randomnessForSubject(ext, concat(DRAW_SUBJECT, T.u64.enc(requestId)));
}

/**
 * The providers a request may draw: active workers with the inference role whose capabilities meet
 * the requirements and offer the profile, never the client or `exclude`, sorted by account id, each
 * weighted by registration stake × inference reputation (ppm); those of weight 0 are left out.
 */
export function providerPool(
  ext: Ext,
  client: Uint8Array,
  requirements: InferenceRequirementsValue,
  profile: InferenceProfileValue,
  exclude: Uint8Array[] = [],
): { who: Uint8Array; stake: bigint }[] {
  const wanted = executionProfileOf(profile);
  return activeWorkers(ext, "Inference", [client, ...exclude])
    .filter(({ info }) => meetsRequirements(info.capabilities, requirements, wanted))
    .map(({ who, info }) => ({ who, stake: info.stake * BigInt(S.Reputation.getOrDefault(ext, who)) }))
    .filter((c) => c.stake > 0n);
}

const isIn = (list: Uint8Array[], who: Uint8Array) => list.some((x) => bytesEqual(x, who));

function getRequest(ext: Ext, id: bigint): RequestValue {
  const req = S.Requests.get(ext, id);
  ensure(req !== undefined, err("RequestNotFound"));
  return req;
}

Inference.defineCalls({
  request: call({
    index: 0,
    args: {
      model_cid: T.bytes,
      input_cid: T.bytes,
      replicas: T.u32,
      quorum: T.u32,
      max_blocks: BlockNumber,
      reward: T.compactU128,
      profile: InferenceProfile,
      tolerance: T.u64,
      requirements: InferenceRequirements,
    },
    docs: [
      "Requests `replicas` runs of the model `model_cid` on the input `input_cid`, `quorum` of which",
      "must agree, paying `reward` to each agreeing provider. Reserves `replicas * reward` plus the",
      "network fee (`inference_fee_ppm` of it) and draws the providers from chain randomness, weighted",
      "by stake × reputation, never the client. Providers commit within `max_blocks - reveal_blocks`",
      "blocks, then reveal within `reveal_blocks`.",
    ],
    weight: () => addWeight(w(8n + DRAW_READS, 4n + BigInt(2 * MAX_REPLICAS)), w(SCHEDULE_READS, 1n)),
    dispatch: (ext, origin, a) => {
      const client = ensureSigned(origin);
      ensure(a.reward > 0n, err("ZeroReward"));
      ensure(isValidCid(a.model_cid) && isValidCid(a.input_cid), err("InvalidCid"));
      ensure(a.replicas >= 1 && a.replicas <= MAX_REPLICAS, err("InvalidReplicas"));
      ensure(a.quorum >= 1 && a.quorum <= a.replicas, err("InvalidQuorum"));
      const r = a.requirements;
      ensure(
        (a.profile.tag === "CpuExact" ? a.tolerance === 0n : a.profile.value.grid_e9 > 0n) &&
          (r.min_gpus > 0 || r.min_gpu_memory_mib === 0),
        err("InvalidProfile"),
      );
      const revealBlocks = param(ext, INFERENCE.reveal_blocks);
      ensure(
        a.max_blocks >= param(ext, INFERENCE.min_commit_blocks) + revealBlocks &&
          a.max_blocks <= param(ext, INFERENCE.max_request_blocks),
        err("InvalidMaxBlocks"),
      );
      const live = S.LiveRequests.getOrDefault(ext);
      ensure(live < MAX_LIVE_REQUESTS, err("TooManyLiveRequests"));
      const pool = providerPool(ext, client, r, a.profile);
      ensure(pool.length >= a.replicas, err("NotEnoughProviders"));
      const rewards = a.reward * BigInt(a.replicas);
      const network_fee = mulPpm(param(ext, INFERENCE.inference_fee_ppm), rewards);
      const held = checkedAdd(rewards, network_fee);
      reserve(ext, client, held);
      // No errors allowed after this point.
      const id = S.NextRequestId.getOrDefault(ext);
      S.NextRequestId.put(ext, id + 1n);
      const providers = drawWeighted(pool, a.replicas, providerSeed(ext, id)).map((c) => c.who);
      for (const who of providers) noteJobStarted(ext, who);
      const requested_at = now(ext);
      const deadline = schedule(ext, id, requested_at + a.max_blocks - revealBlocks);
      S.Requests.insert(ext, id, {
        client,
        model_cid: a.model_cid,
        input_cid: a.input_cid,
        replicas: a.replicas,
        quorum: a.quorum,
        profile: a.profile,
        tolerance: a.tolerance,
        requirements: r,
        reward: a.reward,
        network_fee,
        held,
        status: { tag: "Committing" },
        requested_at,
        reveal_blocks: revealBlocks,
        deadline,
        providers,
        refused: [],
        agreed: undefined,
      });
      S.LiveRequests.put(ext, live + 1);
      Inference.deposit(ext, {
        tag: "Requested",
        value: { request_id: id, client, replicas: a.replicas, quorum: a.quorum, reward: a.reward, network_fee },
      });
      Inference.deposit(ext, { tag: "ProvidersDrawn", value: { request_id: id, providers, commit_by: deadline } });
    },
  }),
  commit_output: call({
    index: 1,
    args: { request_id: T.u64, commitment: H256 },
    docs: [
      "A drawn provider commits to its output:",
      "`blake2_256(SCALE((request_id, provider, output_hash, fingerprint, salt)))`. When every",
      "provider has committed, the reveal window starts.",
    ],
    weight: () => addWeight(w(3n + BigInt(MAX_REPLICAS), 2n), w(2n * SCHEDULE_READS, 2n)),
    dispatch: (ext, origin, { request_id, commitment }) => {
      const who = ensureSigned(origin);
      const req = getRequest(ext, request_id);
      ensure(req.status.tag === "Committing", err("NotCommitting"));
      ensure(isIn(req.providers, who), err("NotProvider"));
      ensure(!S.Outputs.contains(ext, [request_id, who]), err("AlreadyCommitted"));
      S.Outputs.insert(ext, [request_id, who], { commitment, revealed: undefined });
      Inference.deposit(ext, { tag: "OutputCommitted", value: { request_id, provider: who } });
      if (allCommitted(ext, request_id, req)) {
        startReveal(ext, request_id, req);
        S.Requests.insert(ext, request_id, req);
      }
    },
  }),
  reveal_output: call({
    index: 2,
    args: {
      request_id: T.u64,
      output_cid: T.bytes,
      output_hash: H256,
      fingerprint: T.vec(T.i32),
      salt: T.fixedBytes(32),
    },
    docs: [
      "A committed provider reveals its output: its CID and hash and, under `Gpu`, its fingerprint",
      "(empty under `CpuExact`). When every committed provider has revealed, the request settles.",
    ],
    weight: () => addWeight(w(4n + BigInt(MAX_REPLICAS), 2n), SETTLE_WEIGHT),
    dispatch: (ext, origin, { request_id, output_cid, output_hash, fingerprint, salt }) => {
      const who = ensureSigned(origin);
      const req = getRequest(ext, request_id);
      ensure(req.status.tag === "Revealing", err("NotRevealing"));
      ensure(isIn(req.providers, who), err("NotProvider"));
      const out = S.Outputs.get(ext, [request_id, who]);
      ensure(out !== undefined, err("NotCommitted"));
      ensure(out.revealed === undefined, err("AlreadyRevealed"));
      ensure(isValidCid(output_cid), err("InvalidCid"));
      ensure(
        req.profile.tag === "CpuExact"
          ? fingerprint.length === 0
          : fingerprint.length >= 1 && fingerprint.length <= MAX_FINGERPRINT_LENGTH,
        err("InvalidFingerprint"),
      );
      ensure(bytesEqual(outputCommitment(request_id, who, output_hash, fingerprint, salt), out.commitment), () =>
        Inference.error("CommitmentMismatch"),
      );
      // No errors allowed after this point.
      S.Outputs.insert(ext, [request_id, who], { ...out, revealed: { output_cid, output_hash, fingerprint } });
      Inference.deposit(ext, { tag: "OutputRevealed", value: { request_id, provider: who, output_cid, output_hash } });
      const pending = req.providers.some((p) => {
        const o = S.Outputs.get(ext, [request_id, p]);
        return o !== undefined && o.revealed === undefined;
      });
      if (!pending) settle(ext, request_id, req);
    },
  }),
  refuse: call({
    index: 3,
    args: { request_id: T.u64 },
    docs: [
      "A drawn provider that cannot run the request (model too large, an unsupported operator)",
      "refuses it before committing, within the commit window, and is not slashed. A replacement is",
      "drawn if an eligible provider remains (at most `MaxReplacements` per request); otherwise the set",
      "shrinks, and a set smaller than the quorum ends the request with a full refund.",
    ],
    weight: () => addWeight(w(6n + DRAW_READS, 6n), addWeight(w(2n * SCHEDULE_READS, 2n), SETTLE_WEIGHT)),
    dispatch: (ext, origin, { request_id }) => {
      const who = ensureSigned(origin);
      const req = getRequest(ext, request_id);
      ensure(req.status.tag === "Committing", err("NotCommitting"));
      ensure(isIn(req.providers, who), err("NotProvider"));
      ensure(!S.Outputs.contains(ext, [request_id, who]), err("AlreadyCommitted"));
      // No errors allowed after this point.
      req.providers = req.providers.filter((p) => !bytesEqual(p, who));
      req.refused.push(who);
      noteJobEnded(ext, who, "neutral");
      Inference.deposit(ext, { tag: "Refused", value: { request_id, provider: who } });
      if (req.refused.length <= MAX_REPLACEMENTS) {
        const pool = providerPool(ext, req.client, req.requirements, req.profile, [...req.providers, ...req.refused]);
        // The k-th refusal draws from `blake2_256(seed ++ u32_le(k))`.
        const seed = blake2_256(concat(providerSeed(ext, request_id), T.u32.enc(req.refused.length)));
        const drawn = drawWeighted(pool, 1, seed).map((c) => c.who);
        for (const p of drawn) {
          req.providers.push(p);
          noteJobStarted(ext, p);
        }
        if (drawn.length > 0)
          Inference.deposit(ext, {
            tag: "ProvidersDrawn",
            value: { request_id, providers: drawn, commit_by: req.deadline },
          });
      }
      if (req.providers.length < req.quorum) endUnservable(ext, request_id, req);
      else {
        if (allCommitted(ext, request_id, req)) startReveal(ext, request_id, req);
        S.Requests.insert(ext, request_id, req);
      }
    },
  }),
});
