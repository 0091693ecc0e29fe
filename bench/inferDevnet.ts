/**
 * Inference latency on a devnet of separate processes (issue 15's bench): what `tensorchain devnet
 * --validators 2 --inference P` starts (the `local` spec with `BENCH_INFER_SLOT_MS` slots), then
 * `BENCH_INFER_REQUESTS` requests in a row by the real CLI, `tensorchain infer … --out … --json` as
 * //Charlie (R = P, Q = ⌈P/2⌉, cpu-exact) on the MNIST MLP with 500 MNIST test images, split by phase from
 * the client's JSON lines (each stamped by the client, `elapsedMs`):
 *   upload    `infer` started → model and input uploaded
 *   request   → the request's block seen by the client (InBlock)
 *   commit    → the last provider's commitment seen (fetch, run, store, commit: the providers' work)
 *   reveal    → Settled seen (the reveals, settlement in the last reveal's block)
 *   output    → the agreed output downloaded and checked
 * The first request also loads the model in every provider (fetch and session creation); later ones
 * find it warm. Figures only, never asserts.
 *
 *   npm run bench -- infer   (env: BENCH_INFER_DEVNET=0 skips this part, BENCH_INFER_PROVIDERS=3,
 *                             BENCH_INFER_REQUESTS=4, BENCH_INFER_SLOT_MS=500,
 *                             BENCH_INFER_LOG: the nodes' log filter, BENCH_INFER_KEEP=1 keeps the folder)
 */
import "@polkadot/api-augment";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring } from "@polkadot/api";
import {
  defaultCliPath,
  devnetRoleNames,
  planDevnet,
  type RunningDevnet,
  startDevnet,
  withRoleAccounts,
} from "../cli/commands/devnet.js";
import { BUILTIN_SPECS, type ChainSpec } from "../genesis/chainSpec.js";
import { rpcRequest } from "../node/content/rpcClient.js";
import { fromHex, type HexString, toHex } from "../primitives/hex.js";
import { WorkerRegistry } from "../runtime/pallets/workerRegistry.js";
import { mnistSplits } from "../worker/data/mnist.js";
import { encodeSafetensors } from "../worker/data/safetensors.js";
import { buildTemplateModel } from "../worker/templates/models.js";

const PROVIDERS = Number(process.env.BENCH_INFER_PROVIDERS ?? 3);
const REQUESTS = Number(process.env.BENCH_INFER_REQUESTS ?? 4);
const SLOT_MS = Number(process.env.BENCH_INFER_SLOT_MS ?? 500);
const IMAGES = 500;
const PHASES = ["upload", "request", "commit", "reveal", "output"] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(200);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

interface Line {
  phase: string;
  elapsedMs: number;
}

function runInfer(args: string[]): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [defaultCliPath(), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    proc.once("exit", (code) => {
      if (code !== 0) reject(new Error(`infer exited ${code}: ${err}`));
      else
        resolve(
          out
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map((l) => JSON.parse(l) as Line),
        );
    });
  });
}

/** The end of each phase in one request's client lines (ms since `infer` started). */
function phaseEnds(lines: Line[]): Record<(typeof PHASES)[number], number> {
  const at = (phase: string, last = false) => {
    const hits = lines.filter((l) => l.phase === phase);
    const hit = last ? hits.at(-1) : hits[0];
    if (!hit) throw new Error(`no ${phase} line`);
    return hit.elapsedMs;
  };
  return {
    upload: at("uploaded"),
    request: at("requested"),
    commit: at("committed", true),
    reveal: at("Settled"),
    output: at("output"),
  };
}

export async function runInferDevnetBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tensorchain-inferbench-"));
  const roles = devnetRoleNames(0, 0, PROVIDERS);
  const keyring = new Keyring({ type: "sr25519" });
  let devnet: RunningDevnet | undefined;
  const logs: string[] = [];
  try {
    const base = BUILTIN_SPECS.local();
    base.id = "local_infer_bench";
    if (!("runtimeGenesis" in base.genesis)) throw new Error("expected a runtime genesis");
    base.genesis.runtimeGenesis.config.babe = { slotDurationMs: SLOT_MS };
    const spec: ChainSpec = withRoleAccounts(base, roles);
    const chain = join(dir, "chain-spec.json");
    writeFileSync(chain, JSON.stringify(spec, null, 2));
    const rpcBase = 20_000 + Math.floor(Math.random() * 20_000);
    const plan = await planDevnet({
      validators: 2,
      baseDir: join(dir, "nodes"),
      rpcPort: rpcBase,
      p2pPort: rpcBase + 100,
      chain,
      providers: PROVIDERS,
      log: process.env.BENCH_INFER_LOG,
    });
    mkdirSync(join(dir, "nodes"), { recursive: true });
    const x = mnistSplits(1, IMAGES).test.x.data as Float32Array;
    writeFileSync(
      join(dir, "input.safetensors"),
      encodeSafetensors(new Map([["x", { dtype: "float32", dims: [IMAGES, 784], data: x }]])),
    );
    writeFileSync(join(dir, "mlp.onnx"), buildTemplateModel("mlp", { seed: 1n }));
    devnet = startDevnet(plan, { write: (line) => logs.push(line), stopGraceMs: 5_000 });
    const httpUrl = `http://127.0.0.1:${plan[0]!.rpcPort}`;
    for (const node of plan)
      await waitFor(
        async () =>
          (await rpcRequest<string>(`http://127.0.0.1:${node.rpcPort}`, "system_name", [])) ? true : undefined,
        60_000,
        `${node.name}'s RPC`,
      );
    const active = async (name: string) => {
      const key = WorkerRegistry.storage.Workers.keyFor(keyring.addFromUri(`//${name}`).publicKey);
      const raw = await rpcRequest<HexString | null>(httpUrl, "state_getStorage", [toHex(key)]);
      return raw ? WorkerRegistry.storage.Workers.valueTy.dec(fromHex(raw)).status.tag === "Active" : false;
    };
    const t0 = Date.now();
    await waitFor(
      async () => {
        for (const r of roles) if (!(await active(r))) return undefined;
        return true;
      },
      120_000,
      "the providers' registrations",
    );
    console.log(
      `devnet: 2 validators, ${PROVIDERS} providers registered in ${Date.now() - t0} ms (${SLOT_MS} ms slots)`,
    );
    await sleep(2 * SLOT_MS);
    const rows: Record<string, number>[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const lines = await runInfer([
        "infer",
        "--rpc",
        plan[0]!.rpcUrl,
        "--suri",
        "//Charlie",
        "--model",
        join(dir, "mlp.onnx"),
        "--input",
        join(dir, "input.safetensors"),
        "--replicas",
        String(PROVIDERS),
        "--quorum",
        String(Math.ceil(PROVIDERS / 2)),
        "--reward",
        "1",
        "--out",
        join(dir, `out${i}.safetensors`),
        "--json",
      ]);
      const ends = phaseEnds(lines);
      let prev = 0;
      const row: Record<string, number> = {};
      for (const p of PHASES) {
        row[p] = ends[p] - prev;
        prev = ends[p];
      }
      row.total = prev;
      rows.push(row);
    }
    const cols = [...PHASES, "total"];
    console.log(
      `infer on the devnet (MNIST MLP, ${IMAGES} images, R=${PROVIDERS}, Q=${Math.ceil(PROVIDERS / 2)}, cpu-exact), ms per phase:`,
    );
    console.log(`  ${"request".padEnd(10)}${cols.map((c) => c.padStart(9)).join("")}`);
    rows.forEach((r, i) => {
      const label = i === 0 ? "1 (cold)" : String(i + 1);
      console.log(`  ${label.padEnd(10)}${cols.map((c) => String(r[c]).padStart(9)).join("")}`);
    });
  } catch (e) {
    console.log(`devnet inference bench failed: ${(e as Error).message}\n${logs.slice(-30).join("\n")}`);
    process.exitCode = 1;
  } finally {
    await devnet?.stop();
    if (!process.env.BENCH_INFER_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}
