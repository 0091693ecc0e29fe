/**
 * `tensorchain job post|status|reveal|fetch`: the client side of the job market, against any node's RPC.
 *
 * Transactions go through the real `@polkadot/api` (what any Substrate client uses: metadata-driven
 * encoding, signing, status and events), so the command doubles as a check that the chain's metadata
 * describes the job market correctly. Storage is read with `state_getStorage` and decoded with the
 * runtime's own codecs, so amounts stay exact bigints (`chain.ts`). Files travel through the node's
 * content RPC (`node/content/rpcClient.ts`).
 *
 * One file per sub-command (`post.ts`, with `follow.ts` for `--wait`; `status.ts`; `reveal.ts`;
 * `fetch.ts`; `challenge.ts`; `audit.ts`, which re-executes a segment locally), each registering itself with its flags; `common.ts` and `saltFile.ts` hold what they share.
 */
import type { Command } from "commander";
import { registerJobAudit } from "./audit.js";
import { registerJobChallenge } from "./challenge.js";
import { registerJobFetch } from "./fetch.js";
import { registerJobPost } from "./post.js";
import { registerJobReveal } from "./reveal.js";
import { registerJobStatus } from "./status.js";

export function registerJobCommands(program: Command): void {
  const job = program.command("job").description("Post training jobs, follow them and fetch their models");
  registerJobPost(job);
  registerJobStatus(job);
  registerJobReveal(job);
  registerJobFetch(job);
  registerJobAudit(job);
  registerJobChallenge(job);
}
