/**
 * `tensorchain infer …` (request a model run by several providers, follow it, fetch the agreed
 * output) and `tensorchain infer status <id>`: the client side of the inference market (DESIGN §11),
 * against any node's RPC, through `@polkadot/api` as the `job` commands are.
 */
import type { Command } from "commander";
import { addInferRequestOptions, inferAction } from "./request.js";
import { registerInferStatus } from "./status.js";

export function registerInferCommands(program: Command): void {
  const infer = program
    .command("infer")
    .description("Run a model on an input by R providers with quorum Q; follow it; write the agreed output");
  addInferRequestOptions(infer).action((f) => inferAction(f));
  registerInferStatus(infer);
}
