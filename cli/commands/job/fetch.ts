/**
 * `tensorchain job fetch <id> --out <file>`: downloads a job's trained model (the best scored result,
 * or `--worker`'s) through the node's content RPC and checks it against the model hash on chain.
 */
import type { Command } from "commander";
import { downloadContent } from "../../../node/content/rpcClient.js";
import { blake2_256, cryptoReady } from "../../../primitives/hashing.js";
import { bytesEqual } from "../../../primitives/hex.js";
import { writeFileAtomic } from "../../../worker/util/atomicWrite.js";
import { mlAction } from "../mlCommon.js";
import { readAssignment, readJob, withApi } from "./chain.js";
import { cidString, DEFAULT_RPC, JobCliError, jobId } from "./common.js";

export function registerJobFetch(job: Command): void {
  job
    .command("fetch")
    .description("Download a job's trained model (the best scored result, or --worker's) and check its hash")
    .argument("<id>", "Job id", jobId)
    .requiredOption("--out <file>", "Where to write the model .onnx")
    .option("--worker <address>", "The trainer whose model to fetch")
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .action(mlAction(jobFetch));
}

async function jobFetch(id: bigint, f: { rpc: string; out: string; worker?: string }): Promise<void> {
  await cryptoReady();
  const { decodeAddress } = await import("@polkadot/util-crypto");
  const chosen = f.worker ? decodeAddress(f.worker) : undefined;
  const { cid, hash } = await withApi(f.rpc, async (api) => {
    const job = await readJob(api, id);
    if (!job) throw new JobCliError({ code: "JOB_CLI_ERROR_NOT_FOUND", job: id.toString() }, `No job ${id}`);
    let best: { cid: Uint8Array; hash: Uint8Array; score: number } | undefined;
    for (const w of job.workers) {
      if (chosen && !bytesEqual(chosen, w)) continue;
      const a = await readAssignment(api, id, w);
      if (!a?.result) continue;
      const score = a.accuracy_ppm ?? -1;
      if (!best || score > best.score) best = { cid: a.result.model_cid, hash: a.result.model_hash, score };
    }
    if (!best)
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_NO_RESULT", job: id.toString() },
        `Job ${id} has no submitted model${f.worker ? ` from ${f.worker}` : ""}`,
      );
    return { cid: cidString(best.cid), hash: best.hash };
  });
  const model = await downloadContent(f.rpc, cid);
  if (!bytesEqual(blake2_256(model), hash))
    throw new JobCliError(
      { code: "JOB_CLI_ERROR_MODEL_HASH", cid },
      `The model ${cid} does not match the model hash on chain`,
    );
  await writeFileAtomic(f.out, model);
  process.stdout.write(`Wrote ${f.out} (${model.length} bytes, model ${cid})\n`);
}
