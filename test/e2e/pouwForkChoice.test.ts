/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * Issue 12's fork-choice e2e: useful work makes a fork heavier, and finality still rules.
 *
 * A `devnet` of separate processes with `--dev-chaos` (4 validators, 500 ms slots, one trainer, one
 * evaluator). A job trains; while its trainer's tickets flow, the network is cut in two with the
 * connection gater (`devChaos_blockPeers`): side A = Alice, Bob, the trainer and the evaluator; side
 * B = Charlie and Dave. Both sides author blocks in their validators' slots and neither can finalize
 * (2 of 4 votes); A's blocks carry the tickets the trainer keeps making, B's only those gossiped before
 * the cut. Before healing, each fork's weight is computed from its headers alone (primary BABE blocks +
 * `pouw.ticket_weight` per ticket since the fork point), and A's must be the heavier (whatever the
 * lengths: a shorter fork with more work wins).
 *
 * After the partition heals, every node follows A's fork, the heavier one (its blocks become
 * canonical on all six nodes and B's are dropped), the block finalized before the cut is still
 * finalized everywhere, and finality resumes on A's fork.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { jobPostArgs } from "../../bench/processes.js";
import type { RunningDevnet } from "../../cli/commands/devnet.js";
import { isPrimaryHeader } from "../../consensus/babe/index.js";
import { type ChainSpec, DEVNET_VALIDATORS } from "../../genesis/chainSpec.js";
import { keypairFromSuri } from "../../primitives/crypto/index.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { fromHex, type HexString } from "../../primitives/hex.js";
import { findPouwTickets } from "../../primitives/pouw.js";
import { DigestItem, type HeaderValue } from "../../primitives/types.js";
import { JobManager } from "../../runtime/pallets/jobManager/index.js";
import { PoUW } from "../../runtime/pallets/pouw/index.js";
import { CLI, NODE_BIN, rpcResult, storageValue, waitFor } from "../helpers/node.js";
import { type RoleDevnet, startRoleDevnet } from "../helpers/roleDevnet.js";

const run = promisify(execFile);
const SLOT_MS = 500;
const PARTITION_MS = 8_000;

let dir: string;
let devnet: RoleDevnet | undefined;
let running: RunningDevnet | undefined;
const logs: string[] = [];
let client: ReturnType<typeof spawn> | undefined;

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-pouw-fork-"));
  const devnetSpec = JSON.parse(
    execFileSync(NODE_BIN, [CLI, "build-spec", "--chain", "devnet"], { encoding: "utf8" }),
  ) as ChainSpec;
  const files = Promise.all([
    run(NODE_BIN, [CLI, "dataset", "mnist", "--out-dir", join(dir, "mnist"), "--train", "2000", "--test", "200"]),
    run(NODE_BIN, [CLI, "model", "init", "--arch", "mlp", "--out", join(dir, "mlp.onnx")]),
  ]);
  [devnet] = await Promise.all([
    startRoleDevnet({
      dir,
      specId: "devnet_pouw_fork",
      baseSpec: devnetSpec,
      validators: DEVNET_VALIDATORS.length,
      slotMs: SLOT_MS,
      workers: 1,
      evaluators: 1,
      endow: ["JobClient"],
      // Tickets keep coming for the whole partition: every leaf wins, and no cap stops the trainer
      // (the job is stopped long before its audits).
      parameters: { "pouw.max_tickets_per_worker": 4_096 },
      extraArgs: ["--dev-chaos"],
      write: (line) => logs.push(line),
    }),
    files,
  ]);
  running = devnet.devnet;
}, 120_000);

afterAll(async () => {
  if (client?.exitCode === null) client.kill("SIGKILL");
  await running?.stop();
  if (process.env.POUW_FORK_E2E_LOG) writeFileSync(process.env.POUW_FORK_E2E_LOG, logs.join("\n"));
  rmSync(dir, { recursive: true, force: true });
});

function diagnostics(): string {
  const wanted = /pouw|sync|reorg|Reorg|finality|ERROR|WARN/;
  return logs
    .filter((l) => wanted.test(l) && !l.includes("informant"))
    .slice(-80)
    .join("\n");
}

const url = (name: string) => {
  const node = devnet!.plan.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  return `http://127.0.0.1:${node.rpcPort}`;
};

async function headerAt(name: string, hash: string): Promise<HeaderValue & { hash: string }> {
  const h = await rpcResult<{ parentHash: HexString; number: string; digest: { logs: HexString[] } }>(
    url(name),
    "chain_getHeader",
    [hash],
  );
  return {
    hash,
    parentHash: fromHex(h.parentHash),
    number: Number(h.number),
    stateRoot: new Uint8Array(32),
    extrinsicsRoot: new Uint8Array(32),
    digest: { logs: h.digest.logs.map((l) => DigestItem.dec(fromHex(l))) },
  };
}

const bestHash = (name: string) => rpcResult<string>(url(name), "chain_getBlockHash", []);
const finalizedHash = (name: string) => rpcResult<string>(url(name), "chain_getFinalizedHead");
const hashAt = (name: string, n: number) => rpcResult<string | null>(url(name), "chain_getBlockHash", [n]);

/** A fork's blocks from its head back to (not including) block `from`, as `name` sees them. */
async function forkBlocks(name: string, head: string, from: number) {
  const blocks: (HeaderValue & { hash: string })[] = [];
  let h = await headerAt(name, head);
  while (h.number > from) {
    blocks.push(h);
    h = await headerAt(name, `0x${Buffer.from(h.parentHash).toString("hex")}`);
  }
  return { blocks, base: h.hash };
}

/** Fork-choice weight of blocks: primary slots, plus the ticket weight (1 on this chain) per ticket. */
function weight(blocks: HeaderValue[]): { primaries: number; tickets: number; weight: number } {
  const primaries = blocks.filter((b) => isPrimaryHeader(b)).length;
  const tickets = blocks.reduce((sum, b) => sum + findPouwTickets(b).length, 0);
  return { primaries, tickets, weight: primaries + tickets };
}

describe("fork choice with useful work across a partition", () => {
  it("after the partition heals every node follows the fork with the tickets, and finality holds", async () => {
    const SIDE_A = ["Alice", "Bob", "Worker1", "Evaluator1"];
    const SIDE_B = ["Charlie", "Dave"];
    const peerId = (name: string) => devnet!.plan.find((n) => n.name === name)!.peerId;
    const httpUrl = url("Alice");

    // The trainer registered its work key; then a long job (a leaf at every step) is posted.
    const trainer = keypairFromSuri("//Worker1").publicKey;
    await waitFor(
      async () =>
        (await storageValue(httpUrl, PoUW.storage.WorkKeys, PoUW.storage.WorkKeys.keyFor(trainer))) ? true : undefined,
      90_000,
      "the trainer's work key",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnostics()}`);
    });
    client = spawn(
      NODE_BIN,
      [
        CLI,
        ...jobPostArgs({
          rpcUrl: devnet!.rpcUrl,
          suri: "//JobClient",
          model: join(dir, "mlp.onnx"),
          train: join(dir, "mnist", "train.safetensors"),
          test: join(dir, "mnist", "test.safetensors"),
          reward: "100",
          minAccuracy: 0.1,
          epochs: 40,
          batch: 32,
          lr: 0.003,
          optimizer: "adam",
          seed: 11,
          blocks: { assign: 120, submit: 2_000, revealTestSet: 120, commit: 120, reveal: 120 },
          saltFile: join(dir, "salt.json"),
        }),
        "--checkpoint-interval",
        "1",
      ],
      { cwd: dir, stdio: "ignore" },
    );
    // The cut comes as soon as the job trains, so that (almost) all of its tickets stay on side A.
    await waitFor(
      async () => {
        const job = await storageValue(httpUrl, JobManager.storage.Jobs, JobManager.storage.Jobs.keyFor(0n));
        return job?.status.tag === "Training" || undefined;
      },
      90_000,
      "the job to train",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnostics()}`);
    });

    // The cut.
    const finalizedBefore = await headerAt("Alice", await finalizedHash("Alice"));
    await Promise.all([
      ...SIDE_A.map((n) => rpcResult(url(n), "devChaos_blockPeers", [SIDE_B.map(peerId)])),
      ...SIDE_B.map((n) => rpcResult(url(n), "devChaos_blockPeers", [SIDE_A.map(peerId)])),
    ]);
    await new Promise((r) => setTimeout(r, PARTITION_MS));
    const [headA, headB] = [await bestHash("Alice"), await bestHash("Charlie")];
    const tipA = await headerAt("Alice", headA);
    const tipB = await headerAt("Charlie", headB);
    // The fork point: the highest block both sides share (at or after the finalized one).
    let forkPoint = finalizedBefore.number;
    for (let n = Math.min(tipA.number, tipB.number); n > finalizedBefore.number; n--) {
      if ((await hashAt("Alice", n)) === (await hashAt("Charlie", n))) {
        forkPoint = n;
        break;
      }
    }
    const forkA = await forkBlocks("Alice", headA, forkPoint);
    const forkB = await forkBlocks("Charlie", headB, forkPoint);
    const [wA, wB] = [weight(forkA.blocks), weight(forkB.blocks)];
    process.stdout.write(
      `pouw fork choice e2e: fork point #${forkPoint}; A ${forkA.blocks.length} blocks ${JSON.stringify(wA)}; B ${forkB.blocks.length} blocks ${JSON.stringify(wB)}\n`,
    );
    // Both sides authored; neither finalized past the cut; A, where the trainer keeps making tickets,
    // carries more of them and weighs more (B only has the tickets gossiped before the cut).
    expect(forkA.blocks.length).toBeGreaterThan(0);
    expect(forkB.blocks.length).toBeGreaterThan(0);
    expect(forkA.base).toBe(forkB.base);
    expect(wA.tickets).toBeGreaterThan(wB.tickets);
    expect(wA.weight).toBeGreaterThan(wB.weight);
    for (const n of [...SIDE_A, ...SIDE_B])
      expect({ n, finalized: (await headerAt(n, await finalizedHash(n))).number <= forkPoint }).toEqual({
        n,
        finalized: true,
      });

    // Heal: every node follows A's fork, B's blocks leave every canonical chain, finality resumes on A.
    await Promise.all([...SIDE_A, ...SIDE_B].map((n) => rpcResult(url(n), "devChaos_blockPeers", [[]])));
    const all = [...SIDE_A, ...SIDE_B];
    await waitFor(
      async () => {
        for (const n of all) {
          if ((await hashAt(n, tipA.number)) !== headA) return undefined;
          const fin = await headerAt(n, await finalizedHash(n));
          if (fin.number < tipA.number) return undefined;
        }
        return true;
      },
      60_000,
      "every node to follow and finalize A's fork",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnostics()}`);
    });
    for (const n of all) {
      expect({ n, before: await hashAt(n, finalizedBefore.number) }).toEqual({ n, before: finalizedBefore.hash });
      expect({ n, bOnChain: (await hashAt(n, tipB.number)) === headB }).toEqual({ n, bOnChain: false });
    }
  }, 240_000);
});
