/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * Issue 15: the inference market end to end on a devnet of separate processes.
 *
 * The network is what `tensorchain devnet --validators 2 --workers 1 --evaluators 1 --inference 3`
 * starts (`startRoleDevnet`: the `local` spec, 500 ms slots, the role accounts endowed): two validators,
 * a trainer and an evaluator node (for the job whose model is served) and three provider nodes
 * (`--inference`, //Provider1…3), which register themselves. The clients are the real CLI as //Charlie:
 * `tensorchain job post … --wait` trains an MNIST MLP, then `tensorchain infer … --wait --out … --json`
 * runs it on 500 MNIST test images.
 *
 * 1. Honest providers (R = 3, Q = 2, cpu-exact) on the model the job trained (`--job ID`): all three
 *    commit and reveal the same output; the request settles; the output the client wrote is byte for
 *    byte what plain onnxruntime-node computes here, with the cpu-exact session options, on the model
 *    `job fetch` returns; every balance changes by exactly the split: the client
 *    pays 3 × reward + the network fee (and its transaction fees), each provider gets the reward less
 *    its own transaction fees, the block author the network fee, nobody is slashed; `infer status`
 *    shows the settled request.
 * 2. A lying provider (this test, through @polkadot/api as //Liar: registers with the inference role,
 *    commits to and reveals an output it did not compute) with R = 4, Q = 2, so that it is surely drawn:
 *    the three honest providers outvote it; it is slashed `inference_slash_ppm` of its stake; the
 *    client still gets the right output, and is refunded the reward nobody earned. This request
 *    uploads its model (`--model`: the template MLP).
 */
import "@polkadot/api-augment";
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import { encodeAddress } from "@polkadot/util-crypto";
import * as ort from "onnxruntime-node";
import { jobPostArgs } from "../../bench/processes.js";
import type { RunningDevnet } from "../../cli/commands/devnet.js";
import { blake2_256, cryptoReady } from "../../primitives/hashing.js";
import { fromHex, toHex } from "../../primitives/hex.js";
import { outputCommitment } from "../../primitives/inference.js";
import { nullLogger } from "../../primitives/logger.js";
import { Inference, type RequestValue } from "../../runtime/pallets/inference/index.js";
import { INFERENCE, type Knob, keyOf, Parameters, WORKER_REGISTRY } from "../../runtime/pallets/parameters/index.js";
import { WorkerRegistry } from "../../runtime/pallets/workerRegistry.js";
import { mnistSplits } from "../../worker/data/mnist.js";
import { decodeSafetensors, encodeSafetensors } from "../../worker/data/safetensors.js";
import { tensor } from "../../worker/onnx/tensor.js";
import { buildTemplateModel } from "../../worker/templates/models.js";
import { resolveProfile } from "../../worker/train/profile.js";
import { CLI, NODE_BIN, rpcResult, storageValue, waitFor } from "../helpers/node.js";
import { startRoleDevnet } from "../helpers/roleDevnet.js";

const execFileAsync = promisify(execFile);
const SLOT_MS = 500;
const REWARD = "7.000000000013"; // TRAIN; odd planck so that the fee rounds
const REWARD_PLANCK = 7_000_000_000_013n;
const CLIENT = "Charlie";
const LIAR = "Liar";
const PROVIDERS = ["Provider1", "Provider2", "Provider3"];
const IMAGES = 500;
/** The trainer and evaluator nodes of the job whose model is served. */
const JOB_ROLES = ["Worker1", "Evaluator1"];

let dir: string;
let devnet: RunningDevnet;
const logs: string[] = [];
let api: ApiPromise;
let rpcUrl: string;
let httpUrl: string;
const keyring = () => new Keyring({ type: "sr25519" });
const pk = (name: string) => keyring().addFromUri(`//${name}`).publicKey;
const address = (name: string) => keyring().addFromUri(`//${name}`).address;

const rpc = <T>(method: string, params: unknown[] = []) => rpcResult<T>(httpUrl, method, params);
const storage = <V>(item: { valueTy: { dec(b: Uint8Array): V } }, key: Uint8Array, at?: string) =>
  storageValue(httpUrl, item, key, at);
function cli(args: string[]): string {
  return execFileSync(NODE_BIN, [CLI, ...args], { encoding: "utf8", cwd: dir });
}

const request = (id: bigint, at?: string) =>
  storage(Inference.storage.Requests, Inference.storage.Requests.keyFor(id), at) as Promise<RequestValue | undefined>;
const canonical = async (n: number) => rpc<string>("chain_getBlockHash", [n]);

/** The model, the input (the first 500 MNIST test images, tensor `x` only) and what plain onnxruntime gives. */
const MODEL = buildTemplateModel("mlp", { seed: 11n });
let INPUT: Uint8Array;
let EXPECTED: Uint8Array;

async function plainOutput(model: Uint8Array, input: Uint8Array): Promise<Uint8Array> {
  const { sessionOptions } = resolveProfile("cpu-exact", 1, nullLogger);
  const session = await ort.InferenceSession.create(model, sessionOptions);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of decodeSafetensors(input).tensors)
      feeds[name] = new ort.Tensor(t.dtype, t.data as Float32Array, t.dims);
    const out = await session.run(feeds);
    const tensors = new Map(
      Object.entries(out).map(([name, t]) => [name, tensor("float32", [...t.dims], t.data as Float32Array)]),
    );
    return encodeSafetensors(tensors);
  } finally {
    await session.release();
  }
}

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-infer-"));
  const started = startRoleDevnet({
    dir,
    specId: "local_fast_inference",
    slotMs: SLOT_MS,
    workers: 1,
    evaluators: 1,
    providers: 3,
    endow: [LIAR],
    // A reveal window long enough for the lying script's round trips (every honest phase ends early).
    parameters: { "inference.reveal_blocks": 20 },
    write: (line) => logs.push(line),
  });
  // The MLP takes flat images: [N, 784].
  const test = mnistSplits(1, IMAGES).test;
  INPUT = encodeSafetensors(new Map([["x", tensor("float32", [IMAGES, 784], test.x.data as Float32Array)]]));
  writeFileSync(join(dir, "input.safetensors"), INPUT);
  writeFileSync(join(dir, "mlp.onnx"), MODEL);
  // The job's data and its untrained model.
  cli(["dataset", "mnist", "--out-dir", join(dir, "mnist"), "--train", "1000", "--test", "200"]);
  cli(["model", "init", "--arch", "mlp", "--out", join(dir, "job-mlp.onnx")]);
  ({ devnet, httpUrl, rpcUrl } = await started);
  EXPECTED = await plainOutput(MODEL, INPUT);
  api = await ApiPromise.create({ provider: new WsProvider(rpcUrl), noInitWarn: true, throwOnConnect: true });
}, 90_000);

afterAll(async () => {
  await api?.disconnect();
  await devnet?.stop();
  if (process.env.INFER_E2E_LOG) writeFileSync(process.env.INFER_E2E_LOG, logs.join("\n"));
  rmSync(dir, { recursive: true, force: true });
});

let clientOutput = "";
function diagnostics(): string {
  const wanted = /inference|infer|jobs|trainer|evaluator|content|ERROR|WARN|Refus|Submitted/;
  const lines = logs.filter((l) => wanted.test(l) && !l.includes("informant")).slice(-150);
  return `${lines.join("\n")}\n--- client ---\n${clientOutput.slice(-4000)}`;
}

interface ClientLine {
  phase: string;
  request?: string;
  block?: string | number;
  elapsedMs?: number;
  output?: string;
}

/** `tensorchain infer … --wait --out --json` as a child process; `onLine` sees each JSON line as it comes. */
function infer(replicas: number, model: string[], out: string, onLine: (l: ClientLine) => void = () => {}) {
  const args = [
    CLI,
    "infer",
    "--rpc",
    rpcUrl,
    "--suri",
    `//${CLIENT}`,
    ...model,
    "--input",
    join(dir, "input.safetensors"),
    "--replicas",
    String(replicas),
    "--quorum",
    "2",
    "--reward",
    REWARD,
    "--max-blocks",
    "60",
    "--out",
    out,
    "--json",
  ];
  const proc = spawn(NODE_BIN, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const lines: ClientLine[] = [];
  let buf = "";
  let err = "";
  clientOutput = "";
  proc.stdout?.on("data", (d: Buffer) => {
    clientOutput += d.toString();
    buf += d.toString();
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith("{")) {
        const l = JSON.parse(line) as ClientLine;
        lines.push(l);
        onLine(l);
      }
      nl = buf.indexOf("\n");
    }
  });
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    clientOutput += d.toString();
  });
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<{ code: number | null; lines: ClientLine[]; err: string }>((resolve) =>
    proc.once("exit", (code) => resolve({ code, lines, err })),
  );
  return Promise.race([
    exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`infer did not finish in time\n${diagnostics()}`));
      }, 60_000);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface BlockEvent {
  section: string;
  method: string;
  data: { toString(): string }[];
}
async function eventsAt(at: string): Promise<BlockEvent[]> {
  const records = await (await api.at(at)).query.system.events();
  return records.map(({ event }) => ({ section: event.section, method: event.method, data: [...event.data] }));
}
async function accountAt(at: string, who: string): Promise<{ free: bigint; reserved: bigint }> {
  const a = await (await api.at(at)).query.system.account(who);
  return { free: a.data.free.toBigInt(), reserved: a.data.reserved.toBigInt() };
}
const knob = async (k: Knob<number> | Knob<bigint>, at: string) => {
  const item = Parameters.storage.Parameters;
  return (await storage(item, item.keyFor(keyOf(k)), at))?.value.value ?? k.defaultValue;
};

/**
 * The blocks of a request from the one before its inclusion to the first where it is final (after that
 * block is finalized), and the fees, inference events and balance changes over them.
 */
async function settlement(requestBlock: string, id: bigint, who: string[]) {
  const requestNumber = (await api.rpc.chain.getHeader(requestBlock)).number.toNumber();
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  let settleNumber = requestNumber;
  for (let n = best; n > requestNumber; n--) {
    const r = await request(id, await canonical(n));
    if (r && (r.status.tag === "Committing" || r.status.tag === "Revealing")) break;
    settleNumber = n;
  }
  await waitFor(
    async () =>
      (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber() >= settleNumber ||
      undefined,
    30_000,
    "finality of the settlement block",
  );
  expect(await canonical(requestNumber)).toBe(requestBlock);
  const before = await canonical(requestNumber - 1);
  const settled = await canonical(settleNumber);
  const fees = new Map<string, bigint>();
  const events: { method: string; data: string[] }[] = [];
  for (let n = requestNumber; n <= settleNumber; n++)
    for (const e of await eventsAt(await canonical(n))) {
      if (e.section === "transactionPayment" && e.method === "TransactionFeePaid") {
        const payer = e.data[0]!.toString();
        fees.set(payer, (fees.get(payer) ?? 0n) + BigInt(e.data[1]!.toString()));
      }
      if (e.section === "inference" && BigInt(e.data[0]!.toString()) === id)
        events.push({ method: e.method, data: e.data.map((d) => d.toString()) });
    }
  const delta = new Map<string, { free: bigint; reserved: bigint }>();
  for (const a of who) {
    const [x, y] = [await accountAt(before, a), await accountAt(settled, a)];
    delta.set(a, { free: y.free - x.free, reserved: y.reserved - x.reserved });
  }
  return { before, settled, fees, feeOf: (a: string) => fees.get(a) ?? 0n, events, delta };
}

const ppm = (p: number | bigint, x: bigint) => (x * BigInt(p)) / 1_000_000n;

/**
 * `tensorchain job post … --wait` as //Charlie: an MNIST MLP trained by the devnet's trainer and scored
 * by its evaluator; resolves with the job's id once it has succeeded.
 */
async function trainJob(): Promise<bigint> {
  const args = [
    CLI,
    ...jobPostArgs({
      rpcUrl,
      suri: `//${CLIENT}`,
      model: join(dir, "job-mlp.onnx"),
      train: join(dir, "mnist", "train.safetensors"),
      test: join(dir, "mnist", "test.safetensors"),
      reward: "50",
      minAccuracy: 0.5,
      epochs: 2,
      batch: 64,
      lr: 0.003,
      optimizer: "adam",
      seed: 5,
      // In 500 ms blocks: generous, every phase ends early once everyone has acted.
      blocks: { assign: 120, submit: 400, revealTestSet: 120, commit: 120, reveal: 120 },
      saltFile: join(dir, "salt.json"),
    }),
  ];
  const proc = spawn(NODE_BIN, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  clientOutput = "";
  proc.stdout?.on("data", (d: Buffer) => {
    clientOutput += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    clientOutput += d.toString();
  });
  const code = await within(
    150_000,
    "the training job",
    new Promise<number | null>((resolve) => proc.once("exit", resolve)),
  ).catch((e: Error) => {
    proc.kill("SIGKILL");
    throw e;
  });
  const lines = clientOutput
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { phase: string; job?: string });
  if (code !== 0 || !lines.some((l) => l.phase === "Succeeded"))
    throw new Error(`job post exited ${code} without success\n${diagnostics()}`);
  return BigInt(lines.find((l) => l.phase === "posted")!.job!);
}

/** `p`, or a clear failure after `ms` (instead of the test's timeout). */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms\n${diagnostics()}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe("inference requests on a devnet of separate processes", () => {
  it("honest providers (R=3, Q=2) on a job's model: agreed output = plain onnxruntime byte for byte, exact split", async () => {
    const t0 = Date.now();
    await waitFor(
      async () => {
        for (const name of [...PROVIDERS, ...JOB_ROLES]) {
          const info = await storage(WorkerRegistry.storage.Workers, WorkerRegistry.storage.Workers.keyFor(pk(name)));
          if (info?.status.tag !== "Active") return undefined;
          if (PROVIDERS.includes(name) && !info.roles.inference) return undefined;
        }
        return true;
      },
      60_000,
      "the role nodes' registrations",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnostics()}`);
    });
    const registeredMs = Date.now() - t0;
    const jobId = await trainJob();
    const trainedMs = Date.now() - t0;
    // What `job fetch` returns for the job is the model the providers must run.
    const trained = join(dir, "trained.onnx");
    cli(["job", "fetch", jobId.toString(), "--rpc", rpcUrl, "--out", trained]);
    const expected = await plainOutput(new Uint8Array(readFileSync(trained)), INPUT);
    expect(Buffer.from(expected).equals(Buffer.from(EXPECTED))).toBe(false); // trained, not the template

    const out = join(dir, "out1.safetensors");
    const r = await infer(3, ["--job", jobId.toString()], out);
    if (r.code !== 0) throw new Error(`infer exited ${r.code}\n${r.err}\n${diagnostics()}`);
    const phases = r.lines.map((l) => l.phase);
    expect(phases).toEqual(
      expect.arrayContaining(["uploaded", "requested", "providers", "committed", "Revealing", "Settled", "output"]),
    );
    process.stdout.write(
      `inference e2e (honest): role nodes registered in ${registeredMs} ms, job ${jobId} trained at ${trainedMs} ms; client phases ${r.lines
        .map((l) => `${l.phase}@${l.elapsedMs}ms`)
        .join(" ")}\n`,
    );
    // The output the client wrote is what plain onnxruntime computes, byte for byte.
    const written = new Uint8Array(readFileSync(out));
    expect(Buffer.from(written).equals(Buffer.from(expected))).toBe(true);
    const requested = r.lines.find((l) => l.phase === "requested")!;
    const id = BigInt(requested.request!);
    const who = [CLIENT, ...PROVIDERS].map(address);
    const s = await settlement(requested.block as string, id, who);
    const final = (await request(id, s.settled))!;
    expect(final.status.tag).toBe("Settled");
    expect(final.held).toBe(0n);
    expect(final.agreed?.output_hash).toEqual(blake2_256(expected));
    expect(final.providers.map((p) => encodeAddress(p, 42)).sort()).toEqual(PROVIDERS.map(address).sort());

    const feePpm = await knob(INFERENCE.inference_fee_ppm, s.before);
    const networkFee = ppm(feePpm, 3n * REWARD_PLANCK);
    expect(final.network_fee).toBe(networkFee);
    const methods = s.events.map((e) => e.method);
    expect(methods.filter((m) => m === "OutputCommitted")).toHaveLength(3);
    expect(methods.filter((m) => m === "OutputRevealed")).toHaveLength(3);
    expect(methods).not.toContain("Slashed");
    expect(methods).not.toContain("Refused");
    const feePaid = s.events.find((e) => e.method === "NetworkFeePaid")!;
    expect([address("Alice"), address("Bob")]).toContain(feePaid.data[1]);
    expect(BigInt(feePaid.data[2]!)).toBe(networkFee);
    // Exact balance changes between the block before the request and the settlement block.
    const client = address(CLIENT);
    expect(s.delta.get(client)).toEqual({ free: -(3n * REWARD_PLANCK + networkFee) - s.feeOf(client), reserved: 0n });
    for (const p of PROVIDERS)
      expect({ p, ...s.delta.get(address(p)) }).toEqual({
        p,
        free: REWARD_PLANCK - s.feeOf(address(p)),
        reserved: 0n,
      });
    // Each provider paid fees for exactly its commit and reveal (and any heartbeat).
    for (const p of PROVIDERS) expect(s.feeOf(address(p))).toBeGreaterThan(0n);
    // `infer status` reads the same request back.
    const status = JSON.parse(
      // Asynchronously: a blocked event loop would starve this process's @polkadot/api connection.
      (await execFileAsync(NODE_BIN, [CLI, "infer", "status", id.toString(), "--rpc", rpcUrl, "--json"])).stdout,
    ) as { status: string; agreed: { outputHash: string }; providers: { output: string | null }[]; held: string };
    expect(status).toMatchObject({ status: "Settled", held: "0", agreed: { outputHash: toHex(blake2_256(expected)) } });
    expect(status.providers.every((p) => p.output !== null)).toBe(true);
  }, 240_000);

  it("a lying provider (R=4, Q=2) is outvoted and slashed; the client still gets the right output", async () => {
    const liar = keyring().addFromUri(`//${LIAR}`);
    const best = await canonical((await api.rpc.chain.getHeader()).number.toNumber());
    const minStake = BigInt(await knob(WORKER_REGISTRY.min_stake, best));
    // The liar registers with the inference role, as a provider node would, through @polkadot/api.
    // Each call is submitted, then its effect awaited in the chain state (an InBlock report can be lost
    // to a short fork; the pool resubmits a retracted transaction).
    await within(
      10_000,
      "the liar's registration submission",
      api.tx.workerRegistry
        .register(
          { trainer: false, evaluator: false, inference: true },
          {
            gpus: 0,
            gpu_memory_mib: 0,
            cpu_cores: 4,
            memory_mib: 8192,
            profiles: ["CpuExact"],
            onnxruntime_version: toHex(new TextEncoder().encode("1.30.0")),
            kernel_class: toHex(new TextEncoder().encode("x86_64-avx2")),
          },
          minStake,
          toHex(new Uint8Array(32).fill(7)),
        )
        .signAndSend(liar),
    );
    await waitFor(
      async () =>
        (await storage(WorkerRegistry.storage.Workers, WorkerRegistry.storage.Workers.keyFor(liar.publicKey)))?.status
          .tag === "Active" || undefined,
      15_000,
      "the liar's registration",
    );
    const fakeHash = blake2_256(new TextEncoder().encode("not the output"));
    const fakeCid = fromHex(`0x01551220${toHex(fakeHash).slice(2)}`);
    const salt = new Uint8Array(32).fill(0x11);
    // The liar's script: commit as soon as the request is made, reveal as soon as reveals open.
    let lie: Promise<void> | undefined;
    const send = (tx: ReturnType<typeof api.tx.inference.commitOutput>) =>
      within(10_000, "a liar's call submission", tx.signAndSend(liar));
    const liarOutput = (id: bigint) =>
      storage(Inference.storage.Outputs, Inference.storage.Outputs.keyFor([id, liar.publicKey]));
    const runLiar = async (id: bigint) => {
      const commitment = outputCommitment(id, liar.publicKey, fakeHash, [], salt);
      await send(api.tx.inference.commitOutput(id, toHex(commitment)));
      await waitFor(async () => ((await liarOutput(id)) ? true : undefined), 20_000, "the liar's commitment");
      await waitFor(
        async () => ((await request(id))?.status.tag === "Revealing" ? true : undefined),
        30_000,
        "the reveal window",
      );
      await send(api.tx.inference.revealOutput(id, toHex(fakeCid), toHex(fakeHash), [], toHex(salt)));
    };
    const out = join(dir, "out2.safetensors");
    const r = await infer(4, ["--model", join(dir, "mlp.onnx")], out, (l) => {
      if (l.phase === "requested") {
        lie = runLiar(BigInt(l.request!));
        lie.catch(() => {});
      }
    });
    if (r.code !== 0) throw new Error(`infer exited ${r.code}\n${r.err}\n${diagnostics()}`);
    await lie;
    process.stdout.write(
      `inference e2e (liar): client phases ${r.lines.map((l) => `${l.phase}@${l.elapsedMs}ms`).join(" ")}\n`,
    );
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(EXPECTED))).toBe(true);
    const requested = r.lines.find((l) => l.phase === "requested")!;
    const id = BigInt(requested.request!);
    const who = [CLIENT, LIAR, ...PROVIDERS].map(address);
    const s = await settlement(requested.block as string, id, who);
    const final = (await request(id, s.settled))!;
    expect(final.status.tag).toBe("Settled");
    expect(final.held).toBe(0n);
    expect(final.agreed?.output_hash).toEqual(blake2_256(EXPECTED));
    const methods = s.events.map((e) => e.method);
    expect(methods.filter((m) => m === "OutputRevealed")).toHaveLength(4);
    expect(methods.filter((m) => m === "Settled")).toHaveLength(1);

    const feePpm = await knob(INFERENCE.inference_fee_ppm, s.before);
    const slashPpm = await knob(INFERENCE.inference_slash_ppm, s.before);
    const networkFee = ppm(feePpm, 4n * REWARD_PLANCK);
    const slash = ppm(slashPpm, minStake);
    const slashed = s.events.filter((e) => e.method === "Slashed");
    expect(slashed).toHaveLength(1);
    expect(slashed[0]!.data[1]).toBe(address(LIAR));
    expect(BigInt(slashed[0]!.data[2]!)).toBe(slash);
    expect(slashed[0]!.data[3]).toBe("InferenceDisagreed");
    const refunded = s.events.find((e) => e.method === "Refunded")!;
    expect(BigInt(refunded.data[2]!)).toBe(REWARD_PLANCK);
    const client = address(CLIENT);
    expect(s.delta.get(client)).toEqual({ free: -(3n * REWARD_PLANCK + networkFee) - s.feeOf(client), reserved: 0n });
    for (const p of PROVIDERS)
      expect({ p, ...s.delta.get(address(p)) }).toEqual({
        p,
        free: REWARD_PLANCK - s.feeOf(address(p)),
        reserved: 0n,
      });
    expect(s.delta.get(address(LIAR))).toEqual({ free: -s.feeOf(address(LIAR)), reserved: -slash });
  }, 90_000);
});
