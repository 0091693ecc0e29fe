/**
 * `tensorchain job challenge <id> --worker W --leaf L --suri S`: an active evaluator challenges one
 * segment of a trainer's result, bonding `jobManager.challenge_bond`. A fresh committee re-executes
 * the segment; a faked one slashes the trainer and returns the bond plus a reward, an honest one loses
 * the bond to the trainer. Prints the opened check.
 */
import type { Command } from "commander";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { mlAction, positiveInt } from "../mlCommon.js";
import { send, withApi } from "./chain.js";
import { accountKey, DEFAULT_RPC, jobId, printer } from "./common.js";

export function registerJobChallenge(job: Command): void {
  job
    .command("challenge")
    .description("Challenge a segment of a trainer's result, with a bond (an active evaluator only)")
    .argument("<id>", "Job id", jobId)
    .requiredOption("--worker <account>", "The trainer (SS58 or hex public key)")
    .requiredOption("--leaf <n>", "The segment to re-execute (1-based leaf index)", positiveInt)
    .requiredOption("--suri <suri>", "The challenger's secret URI")
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .option("--json", "Print JSON")
    .action(mlAction(jobChallenge));
}

async function jobChallenge(
  id: bigint,
  f: { worker: string; leaf: number; suri: string; rpc: string; json?: boolean },
): Promise<void> {
  await cryptoReady();
  const worker = await accountKey(f.worker, "--worker");
  const print = printer(f.json);
  await withApi(f.rpc, async (api) => {
    const tx = api.tx.jobManager.challenge(id, toHex(worker), f.leaf);
    const { blockHash, events } = await send(api, tx, f.suri);
    const opened = events.find((e) => e.section === "jobManager" && e.method === "CheckOpened");
    const check = Number(String(opened?.data[1]));
    print(
      "challenged",
      { job: id.toString(), check, worker: toHex(worker), leaf: f.leaf, block: blockHash },
      `Challenged segment ${f.leaf} of ${toHex(worker)} in job ${id}: check ${check} opened in ${blockHash}`,
    );
  });
}
