/**
 * `tensorchain infer --rpc URL --suri S (--model M.onnx | --model-cid CID | --job ID) --input X.safetensors
 * --replicas R --quorum Q --reward TRAIN [--wait] [--out Y.safetensors] [--json]`: uploads the model
 * (unless given by CID or job) and the input through the node's content RPC (as `job post` does),
 * sends `Inference.request` through `@polkadot/api`, and with `--wait` (implied by `--out`) follows the
 * request block by block, printing each phase (the providers drawn, refusals, commitments, reveals,
 * settlement), then downloads the agreed output by its CID, checks it against the output hash on
 * chain and writes it to `--out`. Exits non-zero when the request ends without a quorum.
 */
import { readFile } from "node:fs/promises";
import type { ApiPromise } from "@polkadot/api";
import { type Command, InvalidArgumentError, Option } from "commander";
import { CID } from "multiformats/cid";
import { downloadContent, uploadContent } from "../../../node/content/rpcClient.js";
import { blake2_256, cryptoReady } from "../../../primitives/hashing.js";
import { bytesEqual, toHex } from "../../../primitives/hex.js";
import type { RequestValue } from "../../../runtime/pallets/inference/index.js";
import { writeFileAtomic } from "../../../worker/util/atomicWrite.js";
import { followHeads, send, withApi } from "../job/chain.js";
import { cidString, DEFAULT_RPC, JobCliError, jobId, type Printer, printer } from "../job/common.js";
import { uploadProgress, withElapsed } from "../job/progress.js";
import { mlAction, positiveInt } from "../mlCommon.js";
import { parseTrain } from "../run.js";
import { jobModel, readOutput, readRequest } from "./chain.js";

export interface InferFlags {
  rpc: string;
  suri: string;
  model?: string;
  modelCid?: string;
  job?: bigint;
  input: string;
  replicas: number;
  quorum: number;
  reward: bigint;
  maxBlocks: number;
  profile: "cpu-exact" | "gpu";
  gridE9?: bigint;
  tolerance: bigint;
  minCpuCores: number;
  minMemoryMib: number;
  minGpus: number;
  minGpuMemoryMib: number;
  wait?: boolean;
  out?: string;
  json?: boolean;
}

function parseReward(v: string): bigint {
  const n = parseTrain(v);
  if (n === 0n) throw new InvalidArgumentError("must be greater than zero");
  return n;
}

function nonNegativeBigInt(v: string): bigint {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return BigInt(v);
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
}

/** The request flags, on `infer` itself. */
export function addInferRequestOptions(cmd: Command): Command {
  return cmd
    .option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC)
    .option("--suri <suri>", "The client's secret URI (pays the rewards)")
    .option("--model <file>", "The model .onnx to upload (or --model-cid, --job)")
    .option("--model-cid <cid>", "A model already in the content network, by CID")
    .option("--job <id>", "The model of a training job's winning (best passing) result", jobId)
    .option("--input <file>", "The input .safetensors (tensors named as the model's inputs; first dimension the batch)")
    .option("--replicas <n>", "Providers to run the model", positiveInt, 3)
    .option("--quorum <n>", "Providers that must agree", positiveInt, 2)
    .option("--reward <TRAIN>", "Reward per agreeing provider (TRAIN)", parseReward)
    .option("--max-blocks <n>", "Longest the request may take, in blocks (commit + reveal windows)", positiveInt, 30)
    .addOption(
      new Option("--profile <profile>", "Execution profile").choices(["cpu-exact", "gpu"]).default("cpu-exact"),
    )
    .option("--grid-e9 <n>", "gpu: the fingerprint grid step in 1e-9 units (default 1e6: 0.001)", nonNegativeBigInt)
    .option(
      "--tolerance <n>",
      "gpu: the largest L2 distance of agreeing fingerprints, in grid steps",
      nonNegativeBigInt,
      0n,
    )
    .option("--min-cpu-cores <n>", "Least CPU cores of a provider", nonNegativeInt, 0)
    .option("--min-memory-mib <n>", "Least memory of a provider (MiB)", nonNegativeInt, 0)
    .option("--min-gpus <n>", "Least GPUs of a provider", nonNegativeInt, 0)
    .option("--min-gpu-memory-mib <n>", "Least memory per GPU of a provider (MiB)", nonNegativeInt, 0)
    .option("--wait", "Follow the request until it settles")
    .option("--out <file>", "Write the agreed output (.safetensors) here (implies --wait)")
    .option("--json", "Print JSON lines");
}

export const inferAction = mlAction(infer);

async function infer(f: InferFlags): Promise<void> {
  const sources = [f.model, f.modelCid, f.job].filter((x) => x !== undefined).length;
  if (sources !== 1) throw new InvalidArgumentError("give exactly one of --model, --model-cid and --job");
  if (!f.suri) throw new InvalidArgumentError("--suri is required");
  if (!f.input) throw new InvalidArgumentError("--input is required");
  if (f.reward === undefined) throw new InvalidArgumentError("--reward is required");
  if (f.quorum > f.replicas) throw new InvalidArgumentError("--quorum must not exceed --replicas");
  const started = Date.now();
  await cryptoReady();
  const print = withElapsed(printer(f.json), started);
  const upload = (label: string, bytes: Uint8Array) => {
    const onProgress = uploadProgress(label);
    onProgress?.(0, bytes.length);
    return uploadContent(f.rpc, bytes, { announce: true, onProgress });
  };
  const input = new Uint8Array(await readFile(f.input));
  await withApi(f.rpc, async (api) => {
    let modelCid: string;
    if (f.model) modelCid = await upload("model", new Uint8Array(await readFile(f.model)));
    else if (f.modelCid) modelCid = CID.parse(f.modelCid).toString();
    else modelCid = cidString((await jobModel(api, f.job!)).cid);
    const inputCid = await upload("input", input);
    print("uploaded", { model: modelCid, input: inputCid }, `Model ${modelCid}, input ${inputCid}`);
    const profile = f.profile === "cpu-exact" ? "CpuExact" : { Gpu: { grid_e9: (f.gridE9 ?? 1_000_000n).toString() } };
    const tx = api.tx.inference.request(
      toHex(CID.parse(modelCid).bytes),
      toHex(CID.parse(inputCid).bytes),
      f.replicas,
      f.quorum,
      f.maxBlocks,
      f.reward,
      profile,
      f.profile === "cpu-exact" ? 0n : f.tolerance,
      {
        min_gpus: f.minGpus,
        min_gpu_memory_mib: f.minGpuMemoryMib,
        min_cpu_cores: f.minCpuCores,
        min_memory_mib: f.minMemoryMib,
      },
    );
    const { blockHash, events } = await send(api, tx, f.suri);
    const requested = events.find((e) => e.section === "inference" && e.method === "Requested");
    const id = BigInt(String(requested?.data[0]));
    const fee = BigInt(String(requested?.data[5]));
    print(
      "requested",
      { request: id, block: blockHash, reward: f.reward, networkFee: fee },
      `Requested inference ${id} in block ${blockHash} (${f.replicas} × ${f.reward} planck + fee ${fee})`,
    );
    if (!f.wait && !f.out) return;
    const final = await followRequest(api, id, print);
    if (final.status.tag !== "Settled") {
      process.exitCode = 1;
      return;
    }
    const agreed = final.agreed!;
    const cid = cidString(agreed.output_cid);
    const output = await downloadContent(f.rpc, cid);
    if (!bytesEqual(blake2_256(output), agreed.output_hash))
      throw new JobCliError(
        { code: "JOB_CLI_ERROR_MODEL_HASH", cid },
        `The output ${cid} does not match the output hash on chain`,
      );
    if (f.out) await writeFileAtomic(f.out, output);
    print(
      "output",
      { request: id, output: cid, outputHash: agreed.output_hash, bytes: output.length, file: f.out ?? null },
      `Output ${cid} (${output.length} bytes)${f.out ? ` written to ${f.out}` : ""}`,
    );
  });
}

const FINAL = ["Settled", "NoQuorum"];

/**
 * Follows request `id` block by block, printing its phases and what changed (providers drawn or
 * refusing, commitments, reveals); resolves with the request once it is final.
 */
export function followRequest(api: ApiPromise, id: bigint, print: Printer): Promise<RequestValue> {
  let lastStatus = "";
  let lastProviders = "";
  const committed = new Set<string>();
  const revealed = new Set<string>();
  return followHeads(api, async (hash, number): Promise<RequestValue | undefined> => {
    const req = await readRequest(api, id, hash);
    if (!req) return undefined;
    const providers = req.providers.map(toHex).join(",");
    if (providers !== lastProviders) {
      lastProviders = providers;
      print(
        "providers",
        { request: id, block: number, providers: req.providers, refused: req.refused },
        `[#${number}] request ${id}: ${req.providers.length} provider(s) drawn, ${req.refused.length} refused`,
      );
    }
    for (const p of req.providers) {
      const key = toHex(p);
      if (committed.has(key) && revealed.has(key)) continue;
      const o = await readOutput(api, id, p, hash);
      if (o && !committed.has(key)) {
        committed.add(key);
        print("committed", { request: id, block: number, provider: p }, `[#${number}] ${key.slice(0, 12)}… committed`);
      }
      if (o?.revealed && !revealed.has(key)) {
        revealed.add(key);
        print(
          "revealed",
          { request: id, block: number, provider: p, outputHash: o.revealed.output_hash },
          `[#${number}] ${key.slice(0, 12)}… revealed output ${toHex(o.revealed.output_hash).slice(0, 18)}…`,
        );
      }
    }
    const status = req.status.tag;
    if (status !== lastStatus) {
      lastStatus = status;
      const extra: Record<string, unknown> = { request: id, block: number };
      let text = `[#${number}] request ${id}: ${status}`;
      if (status === "Settled" && req.agreed) {
        extra.output = cidString(req.agreed.output_cid);
        extra.outputHash = req.agreed.output_hash;
        text += ` on output ${extra.output}`;
      }
      print(status, extra, text);
    }
    return FINAL.includes(status) ? req : undefined;
  });
}
