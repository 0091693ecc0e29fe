/**
 * `tensorchain job reveal <id>`: reveals a job's test set from the salt file `job post` wrote, for a
 * job posted without `--wait` (with it, `job post` reveals by itself through `revealTestSet`).
 */
import type { ApiPromise } from "@polkadot/api";
import type { Command } from "commander";
import { CID } from "multiformats/cid";
import { rpcRequest } from "../../../node/content/rpcClient.js";
import { cryptoReady } from "../../../primitives/hashing.js";
import { bytesEqual, toHex } from "../../../primitives/hex.js";
import { testSetCommitment } from "../../../runtime/pallets/jobManager/index.js";
import { mlAction } from "../mlCommon.js";
import { readJob, send, withApi } from "./chain.js";
import { cidString, DEFAULT_RPC, JobCliError, jobId, type Printer, printer } from "./common.js";
import { defaultSaltFile, readSaltFile } from "./saltFile.js";

export function registerJobReveal(job: Command): void {
  job
    .command("reveal")
    .description("Reveal a job's test set from the salt file `job post` wrote (when posted without --wait)")
    .argument("<id>", "Job id", jobId)
    .option("--salt-file <file>", "The salt file (default: the one `job post` names after the job's commitment)")
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .option("--suri <suri>", "The client's secret URI", "//Alice")
    .option("--json", "Print JSON lines instead of text")
    .action(mlAction(jobReveal));
}

/** How long the client waits for its node to announce a revealed test set. */
const PROVIDE_TIMEOUT_MS = 10_000;

/** What revealing a test set takes: the salt, the binary CID and the client's secret URI. */
export type TestSetReveal = { salt: Uint8Array; testCid: Uint8Array; suri: string };

async function jobReveal(
  id: bigint,
  f: { rpc: string; suri: string; saltFile?: string; json?: boolean },
): Promise<void> {
  await cryptoReady();
  const print = printer(f.json);
  await withApi(f.rpc, async (api) => {
    const job = await readJob(api, id);
    if (!job) throw new JobCliError({ code: "JOB_CLI_ERROR_NOT_FOUND", job: id.toString() }, `No job ${id}`);
    const path = f.saltFile ?? defaultSaltFile(job.spec.test_set_commitment);
    const secret = readSaltFile(path);
    if (secret.jobId !== null && secret.jobId !== id.toString())
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_SALT_FILE", path, reason: `it is for job ${secret.jobId}` },
        `Salt file ${path} is for job ${secret.jobId}, not ${id}`,
      );
    let testCid: Uint8Array;
    try {
      testCid = CID.parse(secret.testCid).bytes;
    } catch {
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_SALT_FILE", path, reason: "bad testCid" },
        `Salt file ${path}: bad testCid`,
      );
    }
    // Checked here so a wrong file costs no fee: the chain would reject it as TestSetMismatch.
    if (!bytesEqual(testSetCommitment(testCid, secret.salt), job.spec.test_set_commitment))
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_SALT_FILE", path, reason: "does not match the job's commitment" },
        `Salt file ${path} does not match job ${id}'s test-set commitment`,
      );
    if (job.status.tag !== "AwaitingTestSet")
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_PHASE", job: id.toString(), status: job.status.tag },
        `Job ${id} is ${job.status.tag}: the test set is revealed while it is AwaitingTestSet`,
      );
    await revealTestSet(api, f.rpc, id, { salt: secret.salt, testCid, suri: f.suri }, print);
  });
}

/** Sends `reveal_test_set`, then asks the node to announce the test set (now public) to the evaluators. */
export async function revealTestSet(
  api: ApiPromise,
  rpc: string,
  id: bigint,
  reveal: TestSetReveal,
  print: Printer,
): Promise<void> {
  const tx = api.tx.jobManager.revealTestSet(id, toHex(reveal.testCid), toHex(reveal.salt));
  const { blockHash } = await send(api, tx, reveal.suri);
  print("revealed", { job: id, block: blockHash }, `Revealed the test set in block ${blockHash}`);
  // Best effort, bounded: evaluators connected to this node fetch it over bitswap anyway.
  await rpcRequest(rpc, "content_provide", [cidString(reveal.testCid), PROVIDE_TIMEOUT_MS], {
    signal: AbortSignal.timeout(PROVIDE_TIMEOUT_MS + 2_000),
  }).catch(() => {});
}
