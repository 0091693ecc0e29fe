/**
 * `tensorchain job reveal` against a real dev node: a job posted without `--wait` is revealed later
 * from the salt file `job post` wrote. The trainer and the evaluator are driven by hand through
 * @polkadot/api (register, assign, commit, reveal) so the job reaches AwaitingTestSet without worker
 * nodes: the evaluator registers another CPU kernel class than the trainer, so no audit can be drawn
 * (the result is `Unverifiable`) and nobody has to re-execute anything.
 * Before that, and with a wrong file, `job reveal` refuses with a typed error and sends nothing.
 */
import "@polkadot/api-augment";
import { type ExecFileSyncOptions, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { CID } from "multiformats/cid";
import { blake2_256 } from "../../primitives/hashing.js";
import { toHex } from "../../primitives/hex.js";
import { resultCommitment } from "../../runtime/pallets/jobManager/index.js";
import { saveDataset } from "../../worker/data/dataset.js";
import { syntheticClassification } from "../../worker/data/synthetic.js";
import { CLI, NODE_BIN, type RunningNode, startNode, waitFor } from "../helpers/node.js";
import { tinyMlp } from "../unit/worker/helpers.js";

let node: RunningNode;
let api: ApiPromise;
let dir: string;
const keyring = () => new Keyring({ type: "sr25519" });

beforeAll(async () => {
  await cryptoWaitReady();
  dir = mkdtempSync(join(tmpdir(), "tc-job-reveal-"));
  writeFileSync(join(dir, "tiny.onnx"), tinyMlp(8, 16, 3));
  await saveDataset(
    join(dir, "data.safetensors"),
    syntheticClassification({ samples: 64, sampleDims: [8], classes: 3, seed: 1n }),
  );
  node = await startNode(["--dev", "--tmp", "--dev-block-time", "300"]);
  api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
}, 60_000);

afterAll(async () => {
  await api?.disconnect();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Signs and sends as //`who`; resolves when in a block, rejects with the module error's name. */
function send(tx: SubmittableExtrinsic<"promise">, who: string): Promise<void> {
  const pair = keyring().addFromUri(`//${who}`);
  return new Promise((resolve, reject) => {
    tx.signAndSend(pair, (result) => {
      if (result.status.isInvalid || result.status.isDropped) reject(new Error(`Transaction ${result.status.type}`));
      if (!result.status.isInBlock) return;
      const err = result.dispatchError;
      if (!err) return resolve();
      if (err.isModule) {
        const meta = api.registry.findMetaError(err.asModule);
        reject(new Error(`${meta.section}.${meta.name}`));
      } else reject(new Error(err.toString()));
    }).catch(reject);
  });
}

/** Runs the CLI; resolves to its exit code and output (a failing command does not throw). */
function cli(args: string[]): { code: number; out: string; err: string } {
  const opts: ExecFileSyncOptions = { encoding: "utf8", cwd: dir, stdio: ["ignore", "pipe", "pipe"] };
  try {
    return { code: 0, out: String(execFileSync(NODE_BIN, [CLI, ...args], opts)), err: "" };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, out: String(x.stdout), err: String(x.stderr) };
  }
}

/** The job's status variant ("Open", "AwaitingTestSet", …) and its revealed test-set CID, if any. */
async function readJob(id: number): Promise<{ status: string; testSetCid?: string }> {
  const opt = (await api.query.jobManager.jobs(id)) as unknown as {
    unwrap(): { status: { type: string }; testSet: { isSome: boolean; unwrap(): { cid: { toHex(): string } } } };
  };
  const job = opt.unwrap();
  return { status: job.status.type, testSetCid: job.testSet.isSome ? job.testSet.unwrap().cid.toHex() : undefined };
}
const jobStatus = async (id: number) => (await readJob(id)).status;

const CAPABILITIES = {
  gpus: 0,
  gpuMemoryMib: 0,
  cpuCores: 4,
  memoryMib: 8192,
  profiles: ["CpuExact"],
  onnxruntimeVersion: "0x312e33302e30",
};

describe("job reveal", () => {
  it("refuses before the results are in and with a wrong file, then reveals from the salt file", async () => {
    // Bob trains, Dave evaluates (a job never draws one of its trainers), on another kernel class.
    for (const [who, trainer, kernelClass] of [
      ["Bob", true, "x86_64-avx2"],
      ["Dave", false, "arm64"],
    ] as const) {
      const roles = { trainer, evaluator: !trainer, inference: false };
      const recordHash = toHex(blake2_256(new TextEncoder().encode(who)));
      const capabilities = { ...CAPABILITIES, kernelClass: toHex(new TextEncoder().encode(kernelClass)) };
      await send(api.tx.workerRegistry.register(roles, capabilities, 10n ** 13n, recordHash), who);
    }
    const salt = join(dir, "salt.json");
    const rpc = ["--rpc", node.url];
    const posted = cli([
      "job",
      "post",
      ...rpc,
      "--suri",
      "//Charlie",
      "--model",
      "tiny.onnx",
      "--train",
      "data.safetensors",
      "--test",
      "data.safetensors",
      "--reward",
      "100",
      "--workers",
      "1",
      "--evaluators",
      "1",
      "--min-accuracy",
      "0",
      "--epochs",
      "1",
      "--batch",
      "16",
      "--lr",
      "0.01",
      "--optimizer",
      "sgd",
      "--seed",
      "1",
      "--salt-file",
      salt,
      "--json",
    ]);
    expect(posted).toMatchObject({ code: 0 });
    const id = Number(
      JSON.parse(
        posted.out
          .trim()
          .split("\n")
          .find((l) => l.includes('"posted"'))!,
      ).job,
    );
    expect(await jobStatus(id)).toBe("Open");

    // No such file; then the right file while the job is still Open: typed errors, nothing sent.
    let r = cli(["job", "reveal", String(id), ...rpc, "--suri", "//Charlie", "--salt-file", join(dir, "none.json")]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/JOB_CLI_ERROR_SALT_FILE.*not found/);
    r = cli(["job", "reveal", String(id), ...rpc, "--suri", "//Charlie", "--salt-file", salt]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/JOB_CLI_ERROR_PHASE.*Open/);

    // Bob trains (by hand), commits and reveals: no verifier of its class, so the job awaits the test set.
    await send(api.tx.jobManager.assignWorker(id), "Bob");
    const model = blake2_256(new Uint8Array([9]));
    const secret = JSON.parse(readFileSync(salt, "utf8")) as { testCid: string; salt: string };
    const metrics = { accuracy_ppm: 900_000, loss_e9: 1n };
    const bob = keyring().addFromUri("//Bob").publicKey;
    const resultSalt = new Uint8Array(32).fill(7);
    const commitment = resultCommitment(BigInt(id), bob, model, model, metrics, resultSalt);
    await send(api.tx.jobManager.commitResult(id, toHex(commitment)), "Bob");
    await send(
      api.tx.jobManager.revealResult(
        id,
        `0x01551220${toHex(model).slice(2)}`,
        toHex(model),
        toHex(model),
        { accuracyPpm: 900_000, lossE9: 1 },
        4,
        toHex(resultSalt),
      ),
      "Bob",
    );
    expect(await jobStatus(id)).toBe("AwaitingTestSet");

    // A file whose salt was changed does not match the commitment: refused before any fee is paid.
    const tampered = join(dir, "tampered.json");
    writeFileSync(tampered, JSON.stringify({ ...secret, salt: `0x${"11".repeat(32)}` }));
    r = cli(["job", "reveal", String(id), ...rpc, "--suri", "//Charlie", "--salt-file", tampered]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/JOB_CLI_ERROR_SALT_FILE.*commitment/);
    expect(await jobStatus(id)).toBe("AwaitingTestSet");

    r = cli(["job", "reveal", String(id), ...rpc, "--suri", "//Charlie", "--salt-file", salt, "--json"]);
    expect(r).toMatchObject({ code: 0 });
    expect(JSON.parse(r.out.trim())).toMatchObject({ phase: "revealed", job: String(id) });
    await waitFor(async () => (await jobStatus(id)) === "Committing", 10_000, "the Committing phase");
    expect((await readJob(id)).testSetCid).toBe(toHex(CID.parse(secret.testCid).bytes));
  }, 120_000);
});
