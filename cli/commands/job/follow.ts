/**
 * `job post --wait`: follows a posted job block by block, prints each phase (with the trainers and
 * evaluators drawn, and every result's score once the job ends), and reveals the test set when the
 * chain asks for it.
 */
import type { ApiPromise } from "@polkadot/api";
import { toHex } from "../../../primitives/hex.js";
import { followHeads, readAssignment, readJob } from "./chain.js";
import { cidString, type Printer } from "./common.js";
import { revealTestSet, type TestSetReveal } from "./reveal.js";

/** Follows job `id` block by block, printing each phase; reveals the test set when asked. Returns the final status. */
export async function follow(
  api: ApiPromise,
  rpc: string,
  id: bigint,
  reveal: TestSetReveal,
  print: Printer,
): Promise<string> {
  let last = "";
  let revealed = false;
  return followHeads(api, async (hash, number): Promise<string | undefined> => {
    const job = await readJob(api, id, hash);
    if (!job) return undefined;
    const status = job.status.tag;
    if (status !== last) {
      last = status;
      const extra: Record<string, unknown> = { job: id, block: number };
      let text = `[#${number}] job ${id}: ${status}`;
      if (status === "Training") {
        extra.workers = job.workers.map(toHex);
        extra.evaluators = job.evaluators.map(toHex);
        text += ` (${job.workers.length} trainer(s), ${job.evaluators.length} evaluator(s) drawn)`;
      }
      if (status === "Failed") text += ` (${(job.status as { value: { tag: string } }).value.tag})`;
      if (status === "Succeeded" || status === "Failed" || status === "TestSetWithheld") {
        const results = [];
        for (const w of job.workers) {
          const a = await readAssignment(api, id, w, hash);
          results.push({
            worker: toHex(w),
            accuracyPpm: a?.accuracy_ppm ?? null,
            model: a?.result ? cidString(a.result.model_cid) : null,
          });
        }
        extra.results = results;
        text += results
          .map((r) => `\n  ${r.worker.slice(0, 12)}… accuracy ${r.accuracyPpm ?? "-"} ppm, model ${r.model ?? "-"}`)
          .join("");
      }
      print(status, extra, text);
    }
    if (status === "AwaitingTestSet" && !revealed) {
      revealed = true;
      await revealTestSet(api, rpc, id, reveal, print);
    }
    return ["Succeeded", "Failed", "Cancelled", "Expired", "TestSetWithheld"].includes(status) ? status : undefined;
  });
}
