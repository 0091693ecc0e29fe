/**
 * `tensorchain_*` queries behind the node's dashboard, open to every client (all safe, read-only):
 *
 * - `tensorchain_validators(at?)`: the session's authorities, `{session, setId, validators: [{account,
 *   accountId, babe, grandpa, weight, disabled}]}` in authority-index order.
 * - `tensorchain_recentAuthors(count?, at?)`: the last `count` blocks (default 64, at most 256) up to
 *   `at`, newest first, `{number, hash, author, authorityIndex, slot, primary}`: the author from the
 *   header's BABE pre-digest through the authorities of the block's session (`author` null for a block
 *   without one, as the dev chain's, or from a session no longer kept).
 * - `tensorchain_jobs(at?)`: the newest 256 jobs, newest first, each `{id, status, failure, client,
 *   reward, networkFee, postedAt, deadline, workers, evaluators, spec}` (amounts in planck as strings).
 * - `tensorchain_job(id, at?)`: one job as above plus its `assignments` (each trainer's stake, result
 *   with claimed metrics, agreed accuracy) and `attestations` (each drawn evaluator: committed, and
 *   its revealed accuracies); null for an unknown id.
 * - `tensorchain_jobProgress(id)`: the training progress this node recorded (`JobProgressRecorder`):
 *   `{jobId, live, series: [{worker, totalSteps, points: [[step, loss], …], result}]}`, null when it
 *   recorded nothing for the job. Not chain state: it depends on the node having followed the job.
 *
 * State is read through `chain.runtimeAt` only.
 */
import { CID } from "multiformats/cid";
import { findPreDigest } from "../../../consensus/babe/index.js";
import { ss58Encode } from "../../../primitives/crypto/index.js";
import { fromHex, type HexString, toHex } from "../../../primitives/hex.js";
import type { HeaderValue } from "../../../primitives/types.js";
import type { JobValue } from "../../../runtime/pallets/jobManager/index.js";
import { type Authority, Session, sessionIndexAt } from "../../../runtime/pallets/session.js";
import type { Chain } from "../../chain/chain.js";
import type { RuntimeView } from "../../chain/runtimeView.js";
import type { JobProgress } from "../../dashboard/progressRecorder.js";
import { param, type RpcDef, RpcError } from "../server/index.js";
import { method, UNKNOWN_BLOCK } from "./context.js";

export interface DashboardRpcDeps {
  chain: Chain;
  /** The node's progress recorder; without one `tensorchain_jobProgress` answers null. */
  progress?: { progress(id: bigint): JobProgress | undefined };
}

/** Jobs `tensorchain_jobs` lists at most (the newest). */
export const MAX_LISTED_JOBS = 256;
export const DEFAULT_RECENT_BLOCKS = 64;
export const MAX_RECENT_BLOCKS = 256;

const jobIdParam = param.custom<bigint>("id", (v) => {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^\d{1,20}$/.test(v) && BigInt(v) < 1n << 64n) return BigInt(v);
  throw new Error("expected a job id (a non-negative integer, or one as a decimal string)");
});

const countParam = param.custom<number>("count", (v) => {
  if (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_RECENT_BLOCKS) return v as number;
  throw new Error(`expected an integer in 1..${MAX_RECENT_BLOCKS}`);
});

async function headerAt(chain: Chain, at: HexString | undefined): Promise<{ hash: Uint8Array; header: HeaderValue }> {
  if (at === undefined) return { hash: chain.best.hash, header: chain.best.header };
  const hash = fromHex(at);
  const header = await chain.header(hash);
  if (!header) throw new RpcError(UNKNOWN_BLOCK, `Unknown block: ${at}`);
  return { hash, header };
}

async function viewAt(chain: Chain, at: HexString | undefined): Promise<RuntimeView> {
  const { hash } = await headerAt(chain, at);
  try {
    return await chain.runtimeAt(hash);
  } catch (err) {
    throw new RpcError(UNKNOWN_BLOCK, `State unavailable for ${toHex(hash)}: ${(err as Error).message}`);
  }
}

/** A storage item's value in a view (its declared default when absent). */
function read<V>(
  view: RuntimeView,
  item: { valueTy: { dec(b: Uint8Array): V }; opts: { default?: V } },
  key: Uint8Array,
): V | undefined {
  const raw = view.storage(key);
  return raw === undefined ? item.opts.default : item.valueTy.dec(raw);
}

/** The authorities of session `index` as of `view`: the current ones, or an ended session's if still kept. */
function authoritiesOfSession(view: RuntimeView, index: number, current: number): Authority[] | undefined {
  const S = Session.storage;
  if (index === current) return read(view, S.Authorities, S.Authorities.key);
  if (index > current) return undefined;
  return read(view, S.HistoricalAuthorities, S.HistoricalAuthorities.keyFor(index));
}

function cidString(bytes: Uint8Array): string {
  try {
    return CID.decode(bytes).toString();
  } catch {
    return toHex(bytes);
  }
}

export function jobJson(id: bigint, job: JobValue) {
  const s = job.spec;
  return {
    id: id.toString(),
    status: job.status.tag,
    failure: job.status.tag === "Failed" ? job.status.value.tag : null,
    client: ss58Encode(job.client),
    reward: job.reward.toString(),
    networkFee: job.network_fee.toString(),
    postedAt: job.posted_at,
    deadline: job.deadline,
    workers: job.workers.map((w) => ss58Encode(w)),
    evaluators: job.evaluators.map((e) => ss58Encode(e)),
    spec: {
      workers: s.workers,
      evaluators: s.evaluators,
      loss: s.loss.tag,
      optimizer: s.optimizer.tag,
      learningRate: Number(s.learning_rate_e9) / 1e9,
      batchSize: s.batch_size,
      length: { unit: s.length.tag, value: s.length.value },
      profile: s.profile.tag,
      minAccuracyPpm: s.min_accuracy_ppm,
      workerStake: s.worker_stake.toString(),
      modelCid: cidString(s.model_cid),
      trainingSetCid: cidString(s.training_set_cid),
    },
  };
}

function jobDetail(view: RuntimeView, id: bigint, job: JobValue) {
  return {
    ...jobJson(id, job),
    assignments: job.workers.map((w) => {
      const a = view.assignment(id, w);
      const r = a?.result;
      return {
        worker: ss58Encode(w),
        stake: (a?.stake ?? 0n).toString(),
        result: r
          ? {
              modelCid: cidString(r.model_cid),
              revealedAt: r.revealed_at,
              claimedAccuracyPpm: r.metrics.accuracy_ppm,
              claimedLoss: Number(r.metrics.loss_e9) / 1e9,
            }
          : null,
        accuracyPpm: a?.accuracy_ppm ?? null,
      };
    }),
    attestations: job.evaluators.map((e) => {
      const att = view.attestation(id, e);
      return {
        evaluator: ss58Encode(e),
        committed: att !== undefined,
        accuracies: att?.accuracies?.map(([w, acc]) => ({ worker: ss58Encode(w), accuracyPpm: acc })) ?? null,
      };
    }),
  };
}

export function dashboardMethods(deps: DashboardRpcDeps): RpcDef[] {
  const { chain } = deps;
  return [
    method({
      name: "tensorchain_validators",
      params: [param.optional(param.hex("at", 32))],
      handler: async ([at]) => {
        const view = await viewAt(chain, at);
        const S = Session.storage;
        const session = read(view, S.CurrentIndex, S.CurrentIndex.key) ?? 0;
        const disabled = new Set(read(view, S.DisabledValidators, S.DisabledValidators.key) ?? []);
        return {
          session,
          setId: view.grandpaSet().setId.toString(),
          validators: (authoritiesOfSession(view, session, session) ?? []).map((a, i) => ({
            account: ss58Encode(a.account),
            accountId: toHex(a.account),
            babe: toHex(a.babe),
            grandpa: toHex(a.grandpa),
            weight: a.weight.toString(),
            disabled: disabled.has(i),
          })),
        };
      },
    }),
    method({
      name: "tensorchain_recentAuthors",
      params: [param.optional(countParam), param.optional(param.hex("at", 32))],
      handler: async ([count, at]) => {
        const head = await headerAt(chain, at);
        const view = await viewAt(chain, at);
        const S = Session.storage;
        const current = read(view, S.CurrentIndex, S.CurrentIndex.key) ?? 0;
        const sessions = new Map<number, Authority[] | undefined>();
        const out = [];
        let { hash, header } = head;
        for (let i = 0; i < (count ?? DEFAULT_RECENT_BLOCKS); i++) {
          let pre: ReturnType<typeof findPreDigest> | undefined;
          try {
            pre = findPreDigest(header);
          } catch {}
          let author: string | null = null;
          if (pre) {
            const session = sessionIndexAt(header.number);
            if (!sessions.has(session)) sessions.set(session, authoritiesOfSession(view, session, current));
            const a = sessions.get(session)?.[pre.value.authority_index];
            author = a ? ss58Encode(a.account) : null;
          }
          out.push({
            number: header.number,
            hash: toHex(hash),
            author,
            authorityIndex: pre?.value.authority_index ?? null,
            slot: pre ? pre.value.slot.toString() : null,
            primary: pre?.tag === "Primary",
          });
          if (header.number === 0) break;
          const parent = await chain.header(header.parentHash);
          if (!parent) break;
          hash = header.parentHash;
          header = parent;
        }
        return out;
      },
    }),
    method({
      name: "tensorchain_jobs",
      params: [param.optional(param.hex("at", 32))],
      handler: async ([at]) => {
        const view = await viewAt(chain, at);
        return view
          .jobs()
          .sort(([a], [b]) => (a > b ? -1 : a < b ? 1 : 0))
          .slice(0, MAX_LISTED_JOBS)
          .map(([id, job]) => jobJson(id, job));
      },
    }),
    method({
      name: "tensorchain_job",
      params: [jobIdParam, param.optional(param.hex("at", 32))],
      handler: async ([id, at]) => {
        const view = await viewAt(chain, at);
        const job = view.job(id);
        return job ? jobDetail(view, id, job) : null;
      },
    }),
    method({
      name: "tensorchain_jobProgress",
      params: [jobIdParam],
      handler: ([id]) => {
        const p = deps.progress?.progress(id);
        if (!p) return null;
        return {
          jobId: p.jobId.toString(),
          live: p.live,
          series: p.series.map((s) => ({
            worker: ss58Encode(s.worker),
            totalSteps: s.totalSteps,
            points: s.points.map((pt) => [pt.step, pt.loss]),
            result: s.result ?? null,
          })),
        };
      },
    }),
  ];
}
