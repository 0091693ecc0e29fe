/**
 * The chaos suite's CI-sized scenarios: one devnet of 4 validator processes (500 ms slots, started with
 * `--dev-chaos`), one scenario per fault kind, run in order on it, with the invariant checker polling
 * every node all along (no conflicting finalized blocks, one state root per finalized block, no
 * finality regression, no equivocation but the planted one's) and finality resuming on every node within
 * `RESUME_BOUND_MS` of each heal. Each scenario ends with no violation so far. About 2-3 minutes in all;
 * `npm run chaos -- --minutes N` runs a random mix of the same faults for longer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../primitives/hashing.js";
import { defaultCheckerOptions, InvariantChecker } from "./checker.js";
import { Faults, MAX_RESUME_ROUNDS, until } from "./faults.js";
import { seededRandom } from "./mix.js";
import { SimNet, type SimNode } from "./net.js";

const SLOT_MS = 500;
const RESUME_BOUND_MS = 30_000;
/** How long each fault lasts at least. */
const HOLD_MS = 5000;

let dir: string;
let net: SimNet;
let checker: InvariantChecker;
let faults: Faults;
const lines: string[] = [];
/** What the harness did, shown when a scenario fails (and as it happens with CHAOS_LOG=1). */
const log = (line: string) => {
  lines.push(`${new Date().toISOString()} ${line}`);
  if (process.env.CHAOS_LOG) process.stderr.write(`${lines.at(-1)}\n`);
};

const killNodes = () => net?.killAllNow();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Finality goes on through the connected 2/3 supermajority the faults left (the checker's liveness check). */
async function majorityFinalizes(what: string): Promise<boolean> {
  const majority = await faults.supermajority();
  if (!majority) throw new Error(`no connected 2/3 supermajority during ${what}`);
  return checker.awaitProgress(majority, what, RESUME_BOUND_MS);
}

/** Sleeps until `ms` after `since`: each fault lasts long enough for the cut-off nodes to fall behind. */
const holdUntil = (since: number, ms = HOLD_MS) => sleep(Math.max(0, since + ms - Date.now()));

async function finalized(node: SimNode): Promise<number> {
  const head = await node.rpc<string>("chain_getFinalizedHead");
  return Number((await node.rpc<{ number: string }>("chain_getHeader", [head])).number);
}

function expectClean(): void {
  // The log says what happened when a scenario fails.
  expect({ violations: checker.violations, log: checker.violations.length ? lines : [] }).toEqual({
    violations: [],
    log: [],
  });
}

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-sim-"));
  net = await SimNet.create({
    dir,
    slotDurationMs: SLOT_MS,
    onUnexpectedExit: (node, code, signal) =>
      checker.violation("crash", `${node.name} exited on its own (code ${code}, signal ${signal})`),
  });
  checker = new InvariantChecker(net.nodes, { ...defaultCheckerOptions, log });
  faults = new Faults(net, checker, {
    slotDurationMs: SLOT_MS,
    resumeBoundMs: RESUME_BOUND_MS,
    maxResumeRounds: MAX_RESUME_ROUNDS,
    slashBoundMs: 90_000,
    random: seededRandom(13),
    log,
  });
  // Should the test process end abruptly, its nodes go with it.
  process.once("exit", killNodes);
  await net.startAll();
  const ready = await until(async () => {
    const f = await Promise.all(net.nodes.map(finalized));
    return f.every((x) => x >= 2) ? true : undefined;
  }, 90_000);
  if (!ready) throw new Error(`the devnet did not finalize block 2 (logs in ${dir})`);
  checker.start();
}, 150_000);

// A scenario that failed half-way leaves no fault behind for the next one.
afterEach(async () => {
  if (net && faults && net.nodes.some((n) => n.state !== "up" || n.blocked.length > 0 || n.clockOffsetMs !== 0))
    await faults.heal();
}, 90_000);

afterAll(async () => {
  await checker?.stop();
  await net?.stopAll();
  process.off("exit", killNodes);
  if (checker && checker.violations.length === 0) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`chaos scenarios: node logs kept in ${dir}\n`);
}, 60_000);

describe("chaos on a 4-validator devnet", () => {
  it("kill -9: with one validator down finality goes on; restarted validators catch up", async () => {
    const [victim] = faults.pick(1);
    const t0 = Date.now();
    await faults.kill(victim!);
    expect(await majorityFinalizes(`kill -9 ${victim!.name}`)).toBe(true);
    await holdUntil(t0);
    expect((await faults.healAndAwait(`kill -9 ${victim!.name}`)).ok).toBe(true);

    const two = faults.pick(2);
    for (const n of two) await faults.kill(n);
    await sleep(HOLD_MS);
    expect((await faults.healAndAwait(`kill -9 ${two.map((n) => n.name).join(", ")}`)).ok).toBe(true);
    expect(faults.counts.kills).toBe(3);
    expectClean();
  }, 120_000);

  it("partitions 2/2, 1/3 and ring: finality where a 2/3 majority is connected, everywhere again after the heal", async () => {
    await faults.partition("2/2");
    await sleep(HOLD_MS);
    expect((await faults.healAndAwait("a 2/2 partition")).ok).toBe(true);

    const order = faults.pick(4);
    const t1 = Date.now();
    await faults.partition("1/3", order);
    expect(await majorityFinalizes(`isolating ${order[0]!.name}`)).toBe(true);
    await holdUntil(t1);
    expect((await faults.healAndAwait(`isolating ${order[0]!.name}`)).ok).toBe(true);

    // A ring: every vote reaches the opposite node only through a neighbour.
    const t2 = Date.now();
    await faults.partition("ring");
    expect((await faults.supermajority())?.length).toBe(4);
    expect(await majorityFinalizes("a ring partition")).toBe(true);
    await holdUntil(t2);
    expect(await majorityFinalizes("a ring partition")).toBe(true);
    expect((await faults.healAndAwait("a ring partition")).ok).toBe(true);
    expectClean();
  }, 120_000);

  it("SIGSTOP/SIGCONT: one paused validator does not stop finality, two do until resumed", async () => {
    const [one] = faults.pick(1);
    const t0 = Date.now();
    faults.pause(one!);
    expect(await majorityFinalizes(`pausing ${one!.name}`)).toBe(true);
    await holdUntil(t0);
    expect((await faults.healAndAwait(`pausing ${one!.name}`)).ok).toBe(true);

    const two = faults.pick(2);
    for (const n of two) faults.pause(n);
    await sleep(HOLD_MS);
    expect((await faults.healAndAwait(`pausing ${two.map((n) => n.name).join(", ")}`)).ok).toBe(true);
    expectClean();
  }, 90_000);

  it("clock skew of ± one slot: blocks and finality go on", async () => {
    const [ahead, behind] = faults.pick(2);
    await faults.skew(ahead!, SLOT_MS);
    await faults.skew(behind!, -SLOT_MS);
    // For 8 s (16 slots): finality keeps going, and so does authoring.
    const best = Number((await net.nodes[0]!.rpc<{ number: string }>("chain_getHeader")).number);
    const until8s = Date.now() + 8000;
    while (Date.now() < until8s) expect(await majorityFinalizes("clock skew")).toBe(true);
    expect(Number((await net.nodes[0]!.rpc<{ number: string }>("chain_getHeader")).number)).toBeGreaterThanOrEqual(
      best + 6,
    );
    expect((await faults.healAndAwait("clock skew")).ok).toBe(true);
    expectClean();
  }, 90_000);

  it("a voter killed right after its prevote and restarted while the chain moved on does not equivocate", async () => {
    await faults.voterRestart();
    expect(faults.counts.voterRestarts).toBe(1);
    expectClean();
  }, 90_000);

  it("a planted byzantine validator (double prevote with //Dave's key) is slashed, and no one else", async () => {
    expect(await faults.byzantine("Dave")).toBe(true);
    expect(checker.equivocationLines).toBeGreaterThan(0);
    // Finality goes on after the offence.
    expect(await checker.awaitProgress(net.nodes, "the slash", RESUME_BOUND_MS)).toBe(true);
    await checker.pollOnce();
    expectClean();
  }, 150_000);

  it("with the byzantine validator chilled, a set of three resumes after one of them was cut off", async () => {
    // From the next era the set is the other three: each is needed, and one cut off stalls finality.
    // Its prevote in the stuck round may name a block it authored alone, which the others must fetch
    // once the partition heals, or that round never completes.
    const three = await until(
      async () => {
        const s = await net.nodes[0]!.rpc<{ best: { totalWeight: number } }>("grandpa_roundState");
        return s.best.totalWeight === 3 ? true : undefined;
      },
      90_000,
      1000,
    );
    expect(three).toBe(true);
    for (const cut of faults.pick(
      2,
      net.nodes.filter((n) => !faults.byzantineNodes.has(n)),
    )) {
      await faults.partition("1/3", [cut, ...net.nodes.filter((n) => n !== cut)]);
      await sleep(HOLD_MS);
      expect((await faults.healAndAwait(`isolating ${cut.name} from a set of three`)).ok).toBe(true);
    }
    expectClean();
  }, 150_000);
});
