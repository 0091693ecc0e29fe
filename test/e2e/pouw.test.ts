/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * Issue 12: useful work in consensus, on a devnet of separate processes: what
 * `tensorchain devnet --chain devnet --validators 4 --workers 2 --evaluators 2` starts (4 validators,
 * 500 ms slots). The client posts an MNIST MLP job with the real CLI (`job post --wait`); its two
 * trainers sign a ticket at each checkpoint leaf with their work key and gossip those that beat the
 * target; the validators put them in their blocks' `pouw` digests.
 *
 * Checked once the job succeeded and its settlement block is final:
 * - finalized headers in the job's window carry `pouw` digests, and every ticket in them verifies with
 *   an independent script: the digest decoded by @polkadot/api's own registry, the VRF checked by
 *   @polkadot/util-crypto's `sr25519VrfVerify` over `randomness ++ u64(job) ++ u32(leaf) ++ leaf_hash`,
 *   from nothing but the worker's public key and the chain's epoch randomness (`Babe.Randomness` at
 *   that block);
 * - every ticketed leaf is in the trainer's revealed work root: its segment was audited (the leaf
 *   opened under the root) and passed;
 * - every ticket earned its trainer `pouw.ticket_reward`, held until the trainer's audit passed and
 *   paid then (the events in that order), and the authors `pouw.ticket_inclusion_fee` each;
 * - `tensorchain job status` lists the tickets with their blocks, and `tensorchain_pouwStatus` the
 *   recent blocks' ticket counts;
 * - all four validators finalized the same chain.
 */
import "@polkadot/api-augment";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { u8aConcat } from "@polkadot/util";
import { sr25519VrfVerify } from "@polkadot/util-crypto";
import { jobPostArgs } from "../../bench/processes.js";
import type { RunningDevnet } from "../../cli/commands/devnet.js";
import { type ChainSpec, DEVNET_VALIDATORS } from "../../genesis/chainSpec.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { type Knob, keyOf, Parameters, POUW } from "../../runtime/pallets/parameters/index.js";
import { CLI, NODE_BIN, rpcResult, storageValue, waitFor } from "../helpers/node.js";
import { startRoleDevnet } from "../helpers/roleDevnet.js";

const run = promisify(execFile);
const SLOT_MS = 500;
const CLIENT = "//JobClient";
const WORKERS = ["Worker1", "Worker2"];

let dir: string;
let devnet: RunningDevnet | undefined;
const logs: string[] = [];
let rpcUrl: string;
let httpUrl: string;
let api: ApiPromise;
const validatorUrls: string[] = [];

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-pouw-"));
  const devnetSpec = JSON.parse(
    execFileSync(NODE_BIN, [CLI, "build-spec", "--chain", "devnet"], { encoding: "utf8" }),
  ) as ChainSpec;
  const files = Promise.all([
    run(NODE_BIN, [CLI, "dataset", "mnist", "--out-dir", join(dir, "mnist"), "--train", "1000", "--test", "200"]),
    run(NODE_BIN, [CLI, "model", "init", "--arch", "mlp", "--out", join(dir, "mlp.onnx")]),
  ]);
  const [started] = await Promise.all([
    startRoleDevnet({
      dir,
      specId: "devnet_pouw",
      baseSpec: devnetSpec,
      validators: DEVNET_VALIDATORS.length,
      slotMs: SLOT_MS,
      workers: 2,
      evaluators: 2,
      endow: ["JobClient"],
      write: (line) => logs.push(line),
    }),
    files,
  ]);
  ({ devnet, rpcUrl, httpUrl } = started);
  const base = Number(new URL(httpUrl).port);
  for (let i = 0; i < DEVNET_VALIDATORS.length; i++) validatorUrls.push(`http://127.0.0.1:${base + i}`);
  api = await ApiPromise.create({ provider: new WsProvider(rpcUrl), noInitWarn: true, throwOnConnect: true });
}, 120_000);

afterAll(async () => {
  await api?.disconnect();
  await devnet?.stop();
  if (process.env.POUW_E2E_LOG) writeFileSync(process.env.POUW_E2E_LOG, logs.join("\n"));
  rmSync(dir, { recursive: true, force: true });
});

function diagnostics(): string {
  const wanted = /pouw|jobs|trainer|evaluator|ERROR|WARN/;
  return logs
    .filter((l) => wanted.test(l) && !l.includes("informant"))
    .slice(-120)
    .join("\n");
}

const address = (pk: Uint8Array) => api.createType("AccountId32", pk).toString();
const canonical = async (n: number) => (await api.rpc.chain.getBlockHash(n)).toHex();

interface Ticket {
  job: bigint;
  worker: Uint8Array;
  leaf: number;
  leafHash: Uint8Array;
  output: Uint8Array;
  proof: Uint8Array;
}

/** The tickets of a block's `pouw` pre-runtime digest, decoded by @polkadot/api's registry (not ours). */
async function digestTickets(hash: string): Promise<Ticket[]> {
  const header = await api.rpc.chain.getHeader(hash);
  const out: Ticket[] = [];
  for (const log of header.digest.logs) {
    if (!log.isPreRuntime) continue;
    const [engine, data] = log.asPreRuntime;
    if (engine.toString() !== "pouw") continue;
    const decoded = api.createType("Vec<(u64, AccountId32, u32, H256, [u8; 32], [u8; 64])>", data.toU8a(true));
    for (const [job, worker, leaf, leafHash, output, proof] of decoded)
      out.push({
        job: job.toBigInt(),
        worker: worker.toU8a(),
        leaf: leaf.toNumber(),
        leafHash: leafHash.toU8a(),
        output: output.toU8a(),
        proof: proof.toU8a(),
      });
  }
  return out;
}

/** The ticket's VRF, checked from the worker's public key and the block's epoch randomness alone. */
function ticketVerifies(t: Ticket, randomness: Uint8Array): boolean {
  const le = (v: bigint, bytes: number) => {
    const b = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    return b;
  };
  const input = u8aConcat(randomness, le(t.job, 8), le(BigInt(t.leaf), 4), t.leafHash);
  return sr25519VrfVerify(
    input,
    u8aConcat(t.output, t.proof),
    t.worker,
    new TextEncoder().encode("tensorchain-pouw"),
    new Uint8Array(),
  );
}

describe("PoUW tickets in the headers of a 4-validator devnet", () => {
  it("carries verifiable tickets of the trained leaves, pays them after the audit, and finalizes one chain", async () => {
    // The trainers register themselves and their work keys.
    await waitFor(
      async () => ((await api.query.poUW.workKeys.entries()).length >= WORKERS.length ? true : undefined),
      90_000,
      "the trainers' work keys",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnostics()}`);
    });

    const post = await run(
      NODE_BIN,
      [
        CLI,
        ...jobPostArgs({
          rpcUrl,
          suri: CLIENT,
          model: join(dir, "mlp.onnx"),
          train: join(dir, "mnist", "train.safetensors"),
          test: join(dir, "mnist", "test.safetensors"),
          reward: "100",
          workers: 2,
          evaluators: 2,
          minAccuracy: 0.5,
          epochs: 2,
          batch: 64,
          lr: 0.003,
          optimizer: "adam",
          seed: 9,
          blocks: { assign: 120, submit: 400, revealTestSet: 120, commit: 120, reveal: 120 },
          saltFile: join(dir, "salt.json"),
        }),
      ],
      { cwd: dir, timeout: 240_000 },
    ).catch((e: Error & { stdout?: string }) => {
      throw new Error(`job post failed: ${e.message}\n${e.stdout ?? ""}\n${diagnostics()}`);
    });
    const lines = post.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { phase: string; job?: string; block?: string });
    expect(lines.map((l) => l.phase)).toContain("Succeeded");
    const jobId = BigInt(lines.find((l) => l.phase === "posted")!.job!);
    const postNumber = (
      await api.rpc.chain.getHeader(lines.find((l) => l.phase === "posted")!.block!)
    ).number.toNumber();
    const settleNumber = (await api.rpc.chain.getHeader()).number.toNumber();
    await waitFor(
      async () =>
        (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber() >= settleNumber ||
        undefined,
      60_000,
      "finality of the settlement",
    );

    // Every ticket in the finalized headers of the window verifies; collect the events on the way.
    const tickets: (Ticket & { block: number })[] = [];
    const events: { n: number; section: string; method: string; data: string[] }[] = [];
    for (let n = postNumber; n <= settleNumber; n++) {
      const hash = await canonical(n);
      const inBlock = await digestTickets(hash);
      if (inBlock.length > 0) {
        const randomness = (await (await api.at(hash)).query.babe.randomness()).toU8a();
        for (const t of inBlock) {
          expect({ n, leaf: t.leaf, job: t.job, verifies: ticketVerifies(t, randomness) }).toEqual({
            n,
            leaf: t.leaf,
            job: jobId,
            verifies: true,
          });
          tickets.push({ ...t, block: n });
        }
      }
      for (const { event } of await (await api.at(hash)).query.system.events())
        events.push({ n, section: event.section, method: event.method, data: event.data.map((d) => d.toString()) });
    }
    expect(tickets.length).toBeGreaterThan(0);
    const accepted = events.filter((e) => e.section === "poUW" && e.method === "TicketAccepted");
    expect(accepted.map((e) => `${e.data[1]}/${e.data[2]}`).sort()).toEqual(
      tickets.map((t) => `${address(t.worker)}/${t.leaf}`).sort(),
    );

    // Every ticketed leaf is in its trainer's revealed work root: its segment was audited and passed.
    const opened = events.filter((e) => e.section === "jobManager" && e.method === "CheckOpened");
    const concluded = new Map(
      events
        .filter((e) => e.section === "jobManager" && e.method === "CheckConcluded")
        .map((e) => [e.data[1], e.data[2]]),
    );
    for (const t of tickets) {
      const check = opened.find((e) => e.data[2] === address(t.worker) && Number(e.data[3]) === t.leaf);
      expect({ leaf: t.leaf, audited: check !== undefined }).toEqual({ leaf: t.leaf, audited: true });
      expect({ leaf: t.leaf, verdict: concluded.get(check!.data[1]!) }).toEqual({ leaf: t.leaf, verdict: "Passed" });
    }

    // Rewards: held per ticket, paid once the trainer's audit passed; inclusion fees to the authors.
    const item = Parameters.storage.Parameters;
    const param = async (k: Knob<bigint>) =>
      BigInt(
        (await storageValue(httpUrl, item, item.keyFor(keyOf(k)), await canonical(postNumber)))?.value.value ??
          k.defaultValue,
      );
    const reward = await param(POUW.ticket_reward);
    const fee = await param(POUW.ticket_inclusion_fee);
    for (const worker of new Set(tickets.map((t) => address(t.worker)))) {
      const count = BigInt(tickets.filter((t) => address(t.worker) === worker).length);
      const held = events.filter((e) => e.method === "TicketRewardHeld" && e.data[1] === worker);
      const paid = events.filter((e) => e.method === "TicketRewardPaid" && e.data[1] === worker);
      const audited = events.find(
        (e) => e.method === "ResultAudited" && e.data[1] === worker && e.data[2] === "Passed",
      );
      expect(held.reduce((a, e) => a + BigInt(e.data[2]!), 0n)).toBe(count * reward);
      expect(paid.map((e) => BigInt(e.data[2]!))).toEqual([count * reward]);
      expect(audited).toBeDefined();
      expect(paid[0]!.n).toBeGreaterThanOrEqual(audited!.n);
    }
    const fees = events.filter((e) => e.method === "InclusionFeePaid");
    expect(fees.reduce((a, e) => a + BigInt(e.data[2]!), 0n)).toBe(BigInt(tickets.length) * fee);

    // The CLI and the RPC show them.
    const status = JSON.parse(
      (await run(NODE_BIN, [CLI, "job", "status", jobId.toString(), "--rpc", rpcUrl, "--json"])).stdout,
    ) as { tickets: { worker: string; leaf: number; block: number }[] };
    expect(status.tickets.map((t) => `${t.leaf}@${t.block}`).sort()).toEqual(
      tickets.map((t) => `${t.leaf}@${t.block}`).sort(),
    );
    const pouwStatus = await rpcResult<{ difficulty: string; recentBlocks: { number: number; tickets: number }[] }>(
      httpUrl,
      "tensorchain_pouwStatus",
      [await canonical(settleNumber)],
    );
    expect(pouwStatus.difficulty).toMatch(/^0x[0-9a-f]{64}$/);
    for (const b of pouwStatus.recentBlocks)
      expect({ n: b.number, tickets: b.tickets }).toEqual({
        n: b.number,
        tickets: tickets.filter((t) => t.block === b.number).length,
      });

    // All four validators finalized the same chain.
    const finalized = await Promise.all(
      validatorUrls.map(async (url) => {
        const head = await rpcResult<string>(url, "chain_getFinalizedHead");
        return Number((await rpcResult<{ number: string }>(url, "chain_getHeader", [head])).number);
      }),
    );
    const common = Math.min(...finalized);
    expect(common).toBeGreaterThanOrEqual(settleNumber);
    const hashes = await Promise.all(
      validatorUrls.map((url) => rpcResult<string>(url, "chain_getBlockHash", [common])),
    );
    expect(new Set(hashes).size).toBe(1);
  }, 300_000);
});
