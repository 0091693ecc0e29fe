/**
 * Governance end to end on the 4-validator devnet (no sudo key, so no Sudo pallet), through the real
 * CLI (`tensorchain gov …`, `tensorchain params`) and `@polkadot/api`, with 1-second slots and short
 * governance periods set in the chain spec's `parameters`:
 *   1. `build-spec --chain devnet` has no sudo key, and a sudo extrinsic is refused as an unknown call;
 *   2. //Ferdie proposes raising `jobManager.worker_share_ppm` to 850_000 (referendum 0) and setting
 *      `network_fee_ppm` to 30_000 (referendum 1), placing both decision deposits;
 *   3. //Eve (nay, 1x), //Charlie (aye, 2x) and //Dave (aye, 3x) vote on referendum 0: the tally is exact,
 *      and it passes (approval above 60%, support above 1%) only with the third vote; their balances
 *      are frozen by exactly what they voted;
 *   4. referendum 0 confirms for `confirm_period` blocks, is approved, and is enacted
 *      `min_enactment_period` blocks later: the parameter the job manager reads at its next settlement
 *      is 850_000 (that such a job pays the new share is checked with exact balances in
 *      test/unit/runtime/governanceJobs.test.ts);
 *   5. the loser's lock goes at once; the winners' stay for their conviction's periods, then unlock;
 *   6. referendum 1 (only nays) is rejected: `network_fee_ppm` is unchanged and the decision deposit
 *      comes back to //Ferdie, to the planck.
 * After the run, every block of the canonical chain is checked: total issuance = Σ(free + reserved),
 * and every lock ≤ its account's free + reserved balance.
 */
import "@polkadot/api-augment";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { DEVNET_VALIDATORS } from "../../genesis/chainSpec.js";
import { signExtrinsic } from "../../node/extrinsicBuilder.js";
import { keypairFromSuri } from "../../primitives/crypto/index.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { type HexString, toHex } from "../../primitives/hex.js";
import { UNITS } from "../../runtime/constants.js";
import { CLI, devNodeSpec, NODE_BIN, type RunningNode, rpcCall, startNetwork, waitFor } from "../helpers/node.js";

const run = promisify(execFile);
const SLOT_MS = 1000;
const GOVERNANCE = {
  "referenda.prepare_period": 2,
  "referenda.decision_period": 100,
  "referenda.confirm_period": 4,
  "referenda.min_enactment_period": 4,
  "referenda.undeciding_timeout": 300,
  "referenda.min_approval_floor": 600_000_000,
  "referenda.min_approval_ceil": 600_000_000,
  "referenda.min_support_floor": 10_000_000,
  "referenda.min_support_ceil": 10_000_000,
  "convictionVoting.vote_locking_period": 12,
};
const TRAIN = (n: number) => BigInt(n) * UNITS;

let dir: string;
let nodes: RunningNode[] = [];
let api: ApiPromise;
let devnetSpec: { genesis: { runtimeGenesis: { config: Record<string, unknown> } } };

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-gov-"));
  devnetSpec = JSON.parse(execFileSync(NODE_BIN, [CLI, "build-spec", "--chain", "devnet"], { encoding: "utf8" }));
  const spec = JSON.parse(JSON.stringify(devnetSpec));
  const config = spec.genesis.runtimeGenesis.config;
  config.babe.slotDurationMs = SLOT_MS;
  config.parameters = { ...config.parameters, ...GOVERNANCE };
  spec.id = "devnet_gov";
  const chain = join(dir, "spec.json");
  writeFileSync(chain, JSON.stringify(spec));
  const specs = await Promise.all(DEVNET_VALIDATORS.map((name) => devNodeSpec(name, dir)));
  nodes = await startNetwork(specs, { chain, timeoutMs: 60_000 });
  api = await ApiPromise.create({ provider: new WsProvider(nodes[0].url), noInitWarn: true, throwOnConnect: true });
}, 120_000);

afterAll(async () => {
  await api?.disconnect();
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `tensorchain <args> --rpc <node 0> --json` and parses its output. */
async function cli<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  if (process.env.GOV_E2E_LOG) process.stderr.write(`[#${await best()}] tensorchain ${args.join(" ")}\n`);
  const { stdout } = await run(NODE_BIN, [CLI, ...args, "--rpc", nodes[0].url, "--json"], {
    cwd: dir,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

const best = async () => (await api.rpc.chain.getHeader()).number.toNumber();
const hashAt = async (n: number) => (await api.rpc.chain.getBlockHash(n)).toHex();
const account = async (who: string, at?: string) => {
  const q = at ? await api.at(at) : api;
  const a = await q.query.system.account(keypairFromSuri(who).publicKey);
  return { free: a.data.free.toBigInt(), reserved: a.data.reserved.toBigInt(), frozen: a.data.frozen.toBigInt() };
};
const info = async (index: number) => api.query.referenda.referendumInfoFor(index);
const knob = async (group: string, variant: string) => {
  const v = await api.query.parameters.parameters({ [group]: variant } as never);
  return (v.toJSON() as Record<string, Record<string, number>> | null)?.[
    group.charAt(0).toLowerCase() + group.slice(1)
  ];
};

/** The block numbers at which referenda events named `names` happened on the canonical chain in `from..=to`. */
async function referendaEvents(from: number, to: number): Promise<{ block: number; name: string; data: unknown[] }[]> {
  const out = [];
  for (let n = from; n <= to; n++) {
    const events = await (await api.at(await hashAt(n))).query.system.events();
    for (const { event } of events)
      if (["referenda", "parameters"].includes(event.section))
        out.push({ block: n, name: `${event.section}.${event.method}`, data: event.data.toJSON() as unknown[] });
  }
  return out;
}

describe("governance on the devnet", () => {
  it("has no sudo: build-spec has no key, and a sudo extrinsic is an unknown call", async () => {
    expect(devnetSpec.genesis.runtimeGenesis.config.sudo).toBeUndefined();
    expect(api.tx.sudo).toBeUndefined();
    expect(api.runtimeMetadata.asLatest.pallets.map((p) => p.name.toString())).not.toContain("Sudo");
    const ferdie = keypairFromSuri("//Ferdie");
    const inner = api.tx.parameters.setParameter({ JobManager: { WorkerSharePpm: [null, 1] } } as never).method.toU8a();
    const sudoCall = new Uint8Array([5, 0, ...inner]);
    const nonce = (await api.rpc.system.accountNextIndex(toHex(ferdie.publicKey))).toNumber();
    const tx = signExtrinsic(sudoCall, ferdie, { nonce, genesisHash: api.genesisHash.toU8a() });
    const r = await rpcCall(nodes[0].httpUrl, "author_submitExtrinsic", [toHex(tx)]);
    // An unknown pallet: the runtime cannot decode the call (Substrate's 1002 verification error).
    expect(r.error?.code).toBe(1002);
    expect(JSON.stringify(r.error)).toMatch(/Could not decode `RuntimeCall`, variant doesn't exist/);
  });

  it("a referendum raises worker_share_ppm; another fails; locks hold for their periods; every block balances", async () => {
    const start = await best();
    // 2. Two proposals by //Ferdie.
    const p0 = await cli<{ index: number; block: HexString }>(
      "gov",
      "propose",
      "--set-parameter",
      "worker_share_ppm=850000",
      "--suri",
      "//Ferdie",
    );
    const p1 = await cli<{ index: number }>(
      "gov",
      "propose",
      "--set-parameter",
      "network_fee_ppm=30000",
      "--suri",
      "//Ferdie",
    );
    expect([p0.index, p1.index]).toEqual([0, 1]);
    expect((await account("//Ferdie")).reserved).toBe(2n * (TRAIN(10) + TRAIN(100)));
    await cli("gov", "vote", "1", "nay", "--conviction", "0", "--amount", "1000", "--suri", "//Alice");
    // 3. Three convictions on referendum 0; it passes only once all three have voted.
    await cli("gov", "vote", "0", "nay", "--conviction", "1", "--amount", "100000", "--suri", "//Eve");
    await cli("gov", "vote", "0", "aye", "--conviction", "2", "--amount", "60000", "--suri", "//Charlie");
    // Two votes in: approval 120k / 220k = 54.5%, short of the 60% needed.
    const shown = await cli<{
      status: string;
      tally: Record<string, string>;
      approval: number;
      approvalNeeded: number;
    }>("gov", "show", "0");
    expect(shown).toMatchObject({
      status: "Deciding",
      tally: { ayes: `${TRAIN(120_000)}`, nays: `${TRAIN(100_000)}`, support: `${TRAIN(60_000)}` },
      approval: 545_454_545,
      approvalNeeded: 600_000_000,
    });
    const last = await cli<{ block: HexString; tally: Record<string, string> }>(
      "gov",
      "vote",
      "0",
      "aye",
      "--conviction",
      "3",
      "--amount",
      "30000",
      "--suri",
      "//Dave",
    );
    const exact = { ayes: TRAIN(60_000 * 2 + 30_000 * 3), nays: TRAIN(100_000), support: TRAIN(90_000) };
    expect(last.tally).toEqual({ ayes: `${exact.ayes}`, nays: `${exact.nays}`, support: `${exact.support}` });
    const ongoing = (await (await api.at(last.block)).query.referenda.referendumInfoFor(0)).unwrap();
    expect(ongoing.isOngoing).toBe(true);
    const tally = ongoing.asOngoing.tally;
    expect([tally.ayes.toBigInt(), tally.nays.toBigInt(), tally.support.toBigInt()]).toEqual([
      exact.ayes,
      exact.nays,
      exact.support,
    ]);
    expect((await cli<{ referenda: unknown[] }>("gov", "list")).referenda).toHaveLength(2);
    // Each voter's balance is frozen by exactly its vote.
    for (const [who, amount] of [
      ["//Eve", 100_000],
      ["//Charlie", 60_000],
      ["//Dave", 30_000],
      ["//Alice", 1000],
    ] as const)
      expect([who, (await account(who)).frozen]).toEqual([who, TRAIN(amount)]);
    const locks = await api.query.balances.locks(keypairFromSuri("//Charlie").publicKey);
    expect(locks.map((l) => [toHex(l.id.toU8a()), l.amount.toBigInt()])).toEqual([
      [toHex(new TextEncoder().encode("pyconvot")), TRAIN(60_000)],
    ]);

    // 4. Confirmed, approved, enacted after the delay.
    await waitFor(
      async () => (await knob("JobManager", "WorkerSharePpm")) !== undefined || undefined,
      150_000,
      "enactment",
    );
    const events = await referendaEvents(start + 1, await best());
    // Every referenda event but DepositSlashed has the referendum index first.
    const at = (name: string, index: number) => events.find((e) => e.name === name && e.data[0] === index)?.block;
    const confirmStarted = at("referenda.ConfirmStarted", 0)!;
    const approved = at("referenda.Approved", 0)!;
    const enacted = at("referenda.Enacted", 0)!;
    expect(at("referenda.Confirmed", 0)).toBe(approved);
    expect(approved - confirmStarted).toBe(GOVERNANCE["referenda.confirm_period"]);
    expect(enacted - approved).toBe(GOVERNANCE["referenda.min_enactment_period"]);
    expect(events.filter((e) => e.block === enacted).map((e) => e.name)).toEqual([
      "parameters.Updated",
      "referenda.Enacted",
    ]);
    expect(events.find((e) => e.name === "referenda.Enacted")!.data).toEqual([0, { ok: null }]);
    expect(await knob("JobManager", "WorkerSharePpm")).toEqual({ workerSharePpm: 850_000 });
    const params = await cli<{ parameters: { name: string; value: string }[] }>("params");
    const value = (name: string) => params.parameters.find((p) => p.name === name)?.value;
    expect(value("jobManager.worker_share_ppm")).toBe(850_000);
    expect((await info(0)).unwrap().isApproved).toBe(true);

    // 5. The loser unlocks at once; the winners' locks last 2 and 4 vote-locking periods after approval.
    expect((await cli<{ frozen: string }>("gov", "unlock", "--suri", "//Eve")).frozen).toBe("0");
    expect((await cli<{ frozen: string }>("gov", "unlock", "--suri", "//Dave")).frozen).toBe(`${TRAIN(30_000)}`);
    const daveFree = approved + 4 * GOVERNANCE["convictionVoting.vote_locking_period"];
    expect(await best()).toBeLessThan(daveFree);
    await waitFor(async () => (await best()) >= daveFree || undefined, 120_000, "the end of Dave's lock period");
    expect((await cli<{ frozen: string }>("gov", "unlock", "--suri", "//Dave")).frozen).toBe("0");
    expect((await cli<{ frozen: string }>("gov", "unlock", "--suri", "//Charlie")).frozen).toBe("0");
    await cli("gov", "refund", "0", "--submission", "--suri", "//Bob");

    // 6. Referendum 1 is rejected at the end of its decision period: nothing changes, the deposit returns.
    await waitFor(async () => (await info(1)).unwrap().isRejected || undefined, 150_000, "rejection of referendum 1");
    expect(await knob("JobManager", "NetworkFeePpm")).toBeUndefined();
    expect(value("jobManager.network_fee_ppm")).toBe(20_000);
    const before = await account("//Ferdie");
    expect(before.reserved).toBe(TRAIN(10) + TRAIN(100));
    const refunded = await cli<{ block: HexString; refunded: { amount: string }[] }>(
      "gov",
      "refund",
      "1",
      "--suri",
      "//Bob",
    );
    expect(refunded.refunded).toEqual([{ kind: "DecisionDepositRefunded", amount: `${TRAIN(100)}` }]);
    const after = await account("//Ferdie", refunded.block);
    expect([after.free - before.free, after.reserved]).toEqual([TRAIN(100), TRAIN(10)]);

    // Invariants at every block of the canonical chain.
    const end = await best();
    for (let n = 1; n <= end; n++) {
      const q = await api.at(await hashAt(n));
      const [accounts, issuance, locks] = await Promise.all([
        q.query.system.account.entries(),
        q.query.balances.totalIssuance(),
        q.query.balances.locks.entries(),
      ]);
      const balance = new Map<string, bigint>();
      let sum = 0n;
      for (const [key, a] of accounts) {
        const total = a.data.free.toBigInt() + a.data.reserved.toBigInt();
        balance.set(key.args[0].toHex(), total);
        sum += total;
      }
      expect([n, sum]).toEqual([n, issuance.toBigInt()]);
      for (const [key, list] of locks)
        for (const l of list) expect(l.amount.toBigInt() <= (balance.get(key.args[0].toHex()) ?? 0n)).toBe(true);
    }
  }, 420_000);
});
