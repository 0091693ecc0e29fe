/**
 * `tensorchain job status <id>`: a job's phase, reward, trainers and their results with their audit
 * verdicts, every check (audits, escalations, challenges: segment, stage, verifiers and their votes),
 * the evaluators, and the PoUW tickets its trainers got into blocks (leaf, block).
 */
import type { Command } from "commander";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { mlAction } from "../mlCommon.js";
import { readAssignment, readChecks, readJob, readTickets, withApi } from "./chain.js";
import { cidString, DEFAULT_RPC, JobCliError, jobId } from "./common.js";

export function registerJobStatus(job: Command): void {
  job
    .command("status")
    .description("Show a job: phase, reward, trainers and their results, evaluators")
    .argument("<id>", "Job id", jobId)
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .option("--json", "Print JSON")
    .action(mlAction(jobStatus));
}

async function jobStatus(id: bigint, f: { rpc: string; json?: boolean }): Promise<void> {
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    const job = await readJob(api, id);
    if (!job) throw new JobCliError({ code: "JOB_CLI_ERROR_NOT_FOUND", job: id.toString() }, `No job ${id}`);
    const results = [];
    for (const w of job.workers) {
      const a = await readAssignment(api, id, w);
      results.push({
        worker: toHex(w),
        stake: a?.stake ?? 0n,
        model: a?.result ? cidString(a.result.model_cid) : null,
        modelHash: a?.result ? toHex(a.result.model_hash) : null,
        workRoot: a?.result ? toHex(a.result.work_root) : null,
        claimedAccuracyPpm: a?.result?.metrics.accuracy_ppm ?? null,
        accuracyPpm: a?.accuracy_ppm ?? null,
        audit: a?.audit.tag ?? null,
        kernelClass: a?.result ? new TextDecoder().decode(a.result.kernel_class) : null,
      });
    }
    const checks = (await readChecks(api, id, job.checks)).map(({ id: checkId, check: c }) => ({
      check: checkId,
      worker: toHex(c.worker),
      segment: c.segment,
      kind: c.kind.tag,
      challenger: c.kind.tag === "Challenge" ? toHex(c.kind.value.challenger) : undefined,
      escalates: c.kind.tag === "Escalation" ? c.kind.value : undefined,
      stage: c.stage.tag,
      verdict: c.stage.tag === "Done" ? c.stage.value.tag : null,
      deadline: c.deadline,
      endLeaf: c.end_leaf ? toHex(c.end_leaf) : null,
      votes: c.votes.map((v) => ({
        verifier: toHex(v.verifier),
        committed: v.commitment !== undefined,
        endHash: v.end_hash ? toHex(v.end_hash) : null,
      })),
    }));
    const tickets = await readTickets(api, id);
    const out = {
      job: id.toString(),
      status: job.status.tag,
      reason: job.status.tag === "Failed" ? job.status.value.tag : undefined,
      client: toHex(job.client),
      reward: job.reward.toString(),
      networkFee: job.network_fee.toString(),
      held: job.held.toString(),
      postedAt: job.posted_at,
      deadline: job.deadline,
      minAccuracyPpm: job.spec.min_accuracy_ppm,
      model: cidString(job.spec.model_cid),
      trainingSet: cidString(job.spec.training_set_cid),
      testSet: job.test_set ? cidString(job.test_set.cid) : null,
      workers: results.map((r) => ({ ...r, stake: r.stake.toString() })),
      checkpointInterval: job.spec.checkpoint_interval,
      checks,
      evaluators: job.evaluators.map(toHex),
      tickets,
    };
    if (f.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const lines = [
      `job ${out.job}: ${out.status}${out.reason ? ` (${out.reason})` : ""}`,
      `  reward ${out.reward} planck, network fee ${out.networkFee}, held ${out.held}, min accuracy ${out.minAccuracyPpm} ppm`,
      `  posted at #${out.postedAt}${out.deadline ? `, phase ends at #${out.deadline}` : ""}`,
      `  model ${out.model}, training set ${out.trainingSet}${out.testSet ? `, test set ${out.testSet}` : ""}`,
      ...out.workers.map(
        (w) =>
          `  trainer ${w.worker}: ${w.model ? `model ${w.model}, claimed ${w.claimedAccuracyPpm} ppm, audit ${w.audit}` : "no result"}${w.accuracyPpm !== null ? `, scored ${w.accuracyPpm} ppm` : ""}`,
      ),
      ...out.checks.map(
        (c) =>
          `  check ${c.check} (${c.kind}${c.challenger ? ` by ${c.challenger}` : ""}${c.escalates !== undefined ? ` of check ${c.escalates}` : ""}): trainer ${c.worker} segment ${c.segment}, ${c.verdict ?? `${c.stage} until #${c.deadline}`}, ${c.votes.filter((v) => v.endHash).length}/${c.votes.length} verifiers revealed`,
      ),
      ...out.evaluators.map((e) => `  evaluator ${e}`),
      ...out.tickets.map((t) => `  ticket: trainer ${t.worker} leaf ${t.leaf} in block #${t.block}`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  });
}
