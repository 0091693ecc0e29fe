/**
 * A random mix of every fault kind for a fixed time (`npm run chaos -- --minutes N`, scripts/chaos.ts),
 * on a 4-validator devnet of processes, with the invariant checker polling all along.
 *
 * The run is a sequence of windows. Each window applies one fault kind, or two at once (RPC faults
 * first: partition, skew; then kill, pause), holds them for a few seconds, heals everything and waits
 * for finality to resume on every node (bounded: a liveness violation otherwise), then leaves the
 * network healthy for a moment. A voter-restart window (see `Faults.voterRestart`) comes up now and
 * then. Once, at 80% of the run by default, a validator is planted byzantine (a rogue peer double-votes
 * with its key) and must be slashed: it comes late because a slashed validator is chilled and leaves
 * the set at the next era, and the rest of the run has three validators (every fault then stalls
 * finality until healed).
 *
 * Every wait is bounded, the loop ends at the deadline, and a watchdog in scripts/chaos.ts ends a run
 * that overstays by 10 minutes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVNET_VALIDATORS } from "../../genesis/chainSpec.js";
import { keypairFromSuri } from "../../primitives/crypto/index.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { toHex } from "../../primitives/hex.js";
import { defaultCheckerOptions, InvariantChecker, type Violation } from "./checker.js";
import { type FaultCounts, Faults, MAX_RESUME_ROUNDS, PARTITION_KINDS, until } from "./faults.js";
import { SimNet, type SimNode } from "./net.js";

export interface ChaosRunOptions {
  minutes: number;
  seed: number;
  slotDurationMs: number;
  /** Finality must resume on every node within this long after each heal. */
  resumeBoundMs: number;
  /** Where the nodes' data and logs go; a fresh temporary folder when undefined. */
  dir?: string;
  /** Keep the folder even when the run is clean. */
  keep: boolean;
  /** The validator planted byzantine (none: "none"), at `byzantineAt` of the run (default 0.8). */
  byzantine: string;
  byzantineAt?: number;
  /** The nodes' `--log` filter (default info). */
  nodeLog?: string;
  log: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  minutes: number;
  dir: string;
  windows: number;
  /** Windows whose faults left a connected 2/3 supermajority, where finality had to go on. */
  tolerable: number;
  counts: FaultCounts;
  finalizedAtStart: number;
  finalizedAtEnd: number;
  checkedHeights: number;
  resumes: { count: number; maxMs: number; meanMs: number; maxRounds: number | undefined; measuredRounds: number };
  equivocationLines: number;
  slashed: string[];
  violations: Violation[];
}

/** mulberry32: a small seeded PRNG, so that a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = "kill" | "partition" | "pause" | "skew";
const KINDS: readonly Kind[] = ["kill", "partition", "pause", "skew"];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runChaos(opts: ChaosRunOptions): Promise<ChaosReport> {
  await cryptoReady();
  const random = seededRandom(opts.seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "tensorchain-chaos-"));
  let checker: InvariantChecker | undefined;
  const net = await SimNet.create({
    dir,
    slotDurationMs: opts.slotDurationMs,
    log: opts.nodeLog,
    onUnexpectedExit: (node, code, signal) => {
      checker?.violation(
        "crash",
        `${node.name} exited on its own (code ${code}, signal ${signal}); see ${node.logPath}`,
      );
    },
  });
  checker = new InvariantChecker(net.nodes, { ...defaultCheckerOptions, log: opts.log });
  const faults = new Faults(net, checker, {
    slotDurationMs: opts.slotDurationMs,
    resumeBoundMs: opts.resumeBoundMs,
    maxResumeRounds: MAX_RESUME_ROUNDS,
    slashBoundMs: 120_000,
    random,
    log: opts.log,
  });
  const onExit = () => net.killAllNow();
  process.once("exit", onExit);
  let windows = 0;
  let tolerable = 0;
  let finalizedAtStart = 0;
  try {
    opts.log(`starting 4 validators in ${dir}`);
    await net.startAll();
    const started = await until(async () => {
      const f = await Promise.all(net.nodes.map((n) => finalizedNumber(n)));
      return f.every((x) => x >= 2) ? Math.min(...f) : undefined;
    }, 120_000);
    if (started === undefined) throw new Error("the devnet did not finalize block 2 within 120 s");
    checker.start();
    finalizedAtStart = started;
    const startAt = Date.now();
    const deadline = startAt + opts.minutes * 60_000;
    const byzantineAt =
      opts.byzantine === "none"
        ? Number.POSITIVE_INFINITY
        : startAt + (opts.byzantineAt ?? 0.8) * opts.minutes * 60_000;
    let byzantineDone = false;
    while (Date.now() < deadline) {
      windows++;
      if (!byzantineDone && Date.now() >= byzantineAt) {
        byzantineDone = true;
        opts.log(`window ${windows}: byzantine ${opts.byzantine}`);
        await faults.byzantine(opts.byzantine);
      } else if (random() < 0.15) {
        opts.log(`window ${windows}: voter restart`);
        await faults.voterRestart();
      } else {
        const first = KINDS[Math.floor(random() * KINDS.length)]!;
        const kinds: Kind[] = [first];
        if (random() < 0.35) {
          const rest = KINDS.filter((k) => k !== first);
          kinds.push(rest[Math.floor(random() * rest.length)]!);
        }
        // RPC faults first: a killed or paused node cannot be told to block peers or skew its clock.
        kinds.sort((a, b) => KINDS_ORDER[a] - KINDS_ORDER[b]);
        const holdMs = between(2000, 10_000);
        opts.log(`window ${windows}: ${kinds.join(" + ")} for ${(holdMs / 1000).toFixed(1)} s`);
        const touched = new Set<SimNode>();
        for (const kind of kinds) await apply(kind, faults, touched, between, random, opts.slotDurationMs);
        const heldUntil = Date.now() + holdMs;
        // Faults that leave a connected 2/3 supermajority must not stop finality there.
        const majority = await faults.supermajority();
        if (majority) {
          tolerable++;
          await checker.awaitProgress(majority, kinds.join(" + "), opts.resumeBoundMs);
        }
        await sleep(Math.max(0, heldUntil - Date.now()));
        await faults.healAndAwait(kinds.join(" + "));
      }
      await sleep(between(1000, 3000));
    }
    // The end: everything healed (it is after each window), a last full check of every height.
    const mark = await checker.markHeal("the end of the run");
    await checker.awaitResume(mark, opts.resumeBoundMs);
    await until(
      async () => {
        await checker!.pollOnce();
        return net.nodes.every((n) => checker!.checkedOf(n.name) >= checker!.finalizedOf(n.name)) ? true : undefined;
      },
      60_000,
      1000,
    );
    await checker.checkOffences();
  } catch (err) {
    checker.violation("harness", `the run stopped: ${(err as Error).stack ?? err}`);
  } finally {
    await checker.stop();
    await net.stopAll();
    process.off("exit", onExit);
  }
  const resumes = checker.resumes;
  const rounds = resumes
    .filter((r) => r.stalled)
    .map((r) => r.rounds)
    .filter((r): r is number => r !== undefined);
  const report: ChaosReport = {
    seed: opts.seed,
    minutes: opts.minutes,
    dir,
    windows,
    tolerable,
    counts: faults.counts,
    finalizedAtStart,
    finalizedAtEnd: checker.maxFinalized,
    checkedHeights: checker.checkedHeights,
    resumes: {
      count: resumes.length,
      maxMs: Math.max(0, ...resumes.map((r) => r.ms)),
      meanMs: resumes.length ? resumes.reduce((s, r) => s + r.ms, 0) / resumes.length : 0,
      maxRounds: rounds.length ? Math.max(...rounds) : undefined,
      measuredRounds: rounds.length,
    },
    equivocationLines: checker.equivocationLines,
    slashed: [...checker.slashed.keys()],
    violations: checker.violations,
  };
  if (report.violations.length === 0 && !opts.keep && opts.dir === undefined)
    rmSync(dir, { recursive: true, force: true });
  return report;
}

const KINDS_ORDER: Record<Kind, number> = { partition: 0, skew: 1, kill: 2, pause: 3 };

/** Applies one fault kind to nodes not yet touched in this window (a partition touches none: it cuts links). */
async function apply(
  kind: Kind,
  faults: Faults,
  touched: Set<SimNode>,
  between: (lo: number, hi: number) => number,
  random: () => number,
  slotMs: number,
): Promise<void> {
  const free = faults.nodes.filter((n) => !touched.has(n) && n.state === "up");
  const take = (max: number) => {
    const picked = faults.pick(Math.min(free.length, between(1, max)), free);
    for (const n of picked) touched.add(n);
    return picked;
  };
  switch (kind) {
    case "partition":
      await faults.partition(PARTITION_KINDS[Math.floor(random() * PARTITION_KINDS.length)]!);
      break;
    case "skew":
      for (const n of take(2)) await faults.skew(n, random() < 0.5 ? slotMs : -slotMs);
      break;
    case "kill":
      for (const n of take(2)) await faults.kill(n);
      break;
    case "pause":
      for (const n of take(2)) faults.pause(n);
      break;
  }
}

async function finalizedNumber(node: SimNode): Promise<number> {
  const head = await node.rpc<string>("chain_getFinalizedHead");
  return Number((await node.rpc<{ number: string }>("chain_getHeader", [head])).number);
}

/** A devnet validator's name for one of its keys (stash/BABE sr25519, GRANDPA ed25519), else the key. */
function keyName(key: string): string {
  for (const name of DEVNET_VALIDATORS)
    for (const scheme of ["sr25519", "ed25519"] as const)
      if (toHex(keypairFromSuri(`//${name}`, scheme).publicKey) === key) return `${name} (${key.slice(0, 10)}…)`;
  return key;
}

/** The report as the lines `npm run chaos` prints. */
export function formatReport(r: ChaosReport): string[] {
  const c = r.counts;
  const partitions = c.partitions["2/2"] + c.partitions["1/3"] + c.partitions.ring;
  return [
    `chaos: ${r.minutes} min, seed ${r.seed}, 4 validators, data in ${r.dir}`,
    `  windows ${r.windows} (${r.tolerable} left a connected 2/3 supermajority, which had to keep finalizing)`,
    `  kills ${c.kills} (restarts ${c.restarts})`,
    `  partitions ${partitions} (2/2: ${c.partitions["2/2"]}, 1/3: ${c.partitions["1/3"]}, ring: ${c.partitions.ring})`,
    `  pauses ${c.pauses}`,
    `  skews ${c.skews}`,
    `  voter restarts ${c.voterRestarts}`,
    `  byzantine ${c.byzantine} (slashed: ${r.slashed.length ? r.slashed.map(keyName).join(", ") : "none"})`,
    `  finalized blocks ${r.finalizedAtEnd - r.finalizedAtStart} (#${r.finalizedAtStart} -> #${r.finalizedAtEnd}); heights compared on every node: ${r.checkedHeights}`,
    `  finality resumed after ${r.resumes.count} heals: max ${(r.resumes.maxMs / 1000).toFixed(1)} s, mean ${(r.resumes.meanMs / 1000).toFixed(1)} s; GRANDPA rounds to resume after a stall (same set, ${r.resumes.measuredRounds} measured; 1 = the stuck round): max ${r.resumes.maxRounds ?? "-"}`,
    `  equivocation log lines ${r.equivocationLines}`,
    `  violations ${r.violations.length}`,
    ...r.violations.map((v) => `    ${new Date(v.atMs).toISOString()} ${v.kind}: ${v.message}`),
  ];
}
