/** `tensorchain infer status <id>`: a request's phase, money, providers and their outputs, the agreed output. */
import type { Command } from "commander";
import { cryptoReady } from "../../../primitives/hashing.js";
import { toHex } from "../../../primitives/hex.js";
import { withApi } from "../job/chain.js";
import { cidString, DEFAULT_RPC, JobCliError, jobId } from "../job/common.js";
import { mlAction } from "../mlCommon.js";
import { readOutput, readRequest } from "./chain.js";

export function registerInferStatus(infer: Command): void {
  infer
    .command("status")
    .description("Show an inference request: phase, reward, providers and their outputs, the agreed output")
    .argument("<id>", "Request id", jobId)
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .option("--json", "Print JSON")
    .action(mlAction(inferStatus));
}

async function inferStatus(id: bigint, f: { rpc: string; json?: boolean }): Promise<void> {
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    const req = await readRequest(api, id);
    if (!req) throw new JobCliError({ code: "JOB_CLI_ERROR_NOT_FOUND", job: id.toString() }, `No request ${id}`);
    const providers = [];
    for (const p of req.providers) {
      const o = await readOutput(api, id, p);
      providers.push({
        provider: toHex(p),
        committed: o !== undefined,
        output: o?.revealed ? cidString(o.revealed.output_cid) : null,
        outputHash: o?.revealed ? toHex(o.revealed.output_hash) : null,
      });
    }
    const out = {
      request: id.toString(),
      status: req.status.tag,
      client: toHex(req.client),
      model: cidString(req.model_cid),
      input: cidString(req.input_cid),
      replicas: req.replicas,
      quorum: req.quorum,
      profile: req.profile.tag,
      reward: req.reward.toString(),
      networkFee: req.network_fee.toString(),
      held: req.held.toString(),
      deadline: req.deadline,
      providers,
      refused: req.refused.map(toHex),
      agreed: req.agreed
        ? { output: cidString(req.agreed.output_cid), outputHash: toHex(req.agreed.output_hash) }
        : null,
    };
    if (f.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const lines = [
      `Request ${id}: ${out.status} (model ${out.model}, input ${out.input})`,
      `  ${out.replicas} replicas, quorum ${out.quorum}, ${out.profile}; reward ${out.reward} planck each, fee ${out.networkFee}, held ${out.held}`,
      ...providers.map(
        (p) =>
          `  provider ${p.provider.slice(0, 12)}… ${p.output ? `revealed ${p.output}` : p.committed ? "committed" : "pending"}`,
      ),
      ...out.refused.map((r) => `  refused by ${r.slice(0, 12)}…`),
      out.agreed ? `  agreed output ${out.agreed.output} (${out.agreed.outputHash})` : "  no agreed output",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  });
}
