/**
 * Chain access for `tensorchain infer`: inference requests and provider outputs read with
 * `state_getStorage` and decoded with the runtime's own codecs, and `--job ID`'s model: the winning
 * (best passing) result of a training job, as the job manager's settlement picks it.
 */
import type { ApiPromise } from "@polkadot/api";
import { Inference, type RequestValue } from "../../../runtime/pallets/inference/index.js";
import type { AssignmentValue, JobValue } from "../../../runtime/pallets/jobManager/index.js";
import { readAssignment, readJob, readStorage } from "../job/chain.js";
import { JobCliError } from "../job/common.js";

export async function readRequest(api: ApiPromise, id: bigint, at?: string): Promise<RequestValue | undefined> {
  const bytes = await readStorage(api, Inference.storage.Requests.keyFor(id), at);
  return bytes && Inference.storage.Requests.valueTy.dec(bytes);
}

export async function readOutput(api: ApiPromise, id: bigint, provider: Uint8Array, at?: string) {
  const bytes = await readStorage(api, Inference.storage.Outputs.keyFor([id, provider]), at);
  return bytes && Inference.storage.Outputs.valueTy.dec(bytes);
}

/**
 * The winning result of a job: among its trainers' results (in assignment order) those that passed
 * (the agreed accuracy at least `min_accuracy_ppm`, the audit not failed), the most accurate; the first
 * of equals. Undefined when none passed (or the job is not scored yet).
 */
export function winningResult(
  job: Pick<JobValue, "workers" | "spec">,
  assignments: (AssignmentValue | undefined)[],
): { worker: Uint8Array; model_cid: Uint8Array; model_hash: Uint8Array; accuracy_ppm: number } | undefined {
  let best: ReturnType<typeof winningResult>;
  job.workers.forEach((worker, i) => {
    const a = assignments[i];
    if (!a?.result || a.accuracy_ppm === undefined || a.audit.tag === "Failed") return;
    if (a.accuracy_ppm < job.spec.min_accuracy_ppm) return;
    if (!best || a.accuracy_ppm > best.accuracy_ppm)
      best = { worker, model_cid: a.result.model_cid, model_hash: a.result.model_hash, accuracy_ppm: a.accuracy_ppm };
  });
  return best;
}

/** `--job ID`: the model CID and hash of the job's winning result, from chain storage. */
export async function jobModel(api: ApiPromise, id: bigint): Promise<{ cid: Uint8Array; hash: Uint8Array }> {
  const job = await readJob(api, id);
  if (!job) throw new JobCliError({ code: "JOB_CLI_ERROR_NOT_FOUND", job: id.toString() }, `No job ${id}`);
  const assignments = await Promise.all(job.workers.map((w) => readAssignment(api, id, w)));
  const win = winningResult(job, assignments);
  if (!win)
    throw new JobCliError(
      { code: "JOB_CLI_ERROR_NO_RESULT", job: id.toString() },
      `Job ${id} has no passing result (status ${job.status.tag})`,
    );
  return { cid: win.model_cid, hash: win.model_hash };
}
