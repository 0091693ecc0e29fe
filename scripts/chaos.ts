/**
 * `npm run chaos -- --minutes N`: a random mix of every fault kind (kill -9 and restart, partitions,
 * SIGSTOP/SIGCONT, clock skew, restarted voters, and once a planted byzantine validator) on a devnet of
 * 4 validator processes for N minutes, with the invariants checked all along (test/sim/mix.ts). Prints
 * what it did as it goes, then the counts, and exits 1 on any violation (2 on bad arguments).
 *
 *   npm run chaos -- --minutes 30 [--seed S] [--slot-ms 500] [--resume-bound-s 30] [--byzantine Dave|none]
 *                    [--byzantine-at 0.8] [--dir D] [--keep] [--log FILTER]
 *
 * Built by `npm run chaos` with tsconfig.chaos.json into dist/chaos/ (it runs the node from dist/).
 */
import { formatReport, runChaos } from "../test/sim/mix.js";

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run chaos -- --minutes N [--seed S] [--slot-ms MS] [--resume-bound-s S] [--byzantine NAME|none] [--byzantine-at F] [--dir D] [--keep] [--log FILTER]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const out = {
    minutes: 5,
    seed: Math.floor(Math.random() * 2 ** 31),
    slotMs: 500,
    resumeBoundS: 30,
    byzantine: "Dave",
    byzantineAt: 0.8,
    dir: undefined as string | undefined,
    keep: false,
    log: "info",
  };
  const number = (flag: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) usage(`${flag} needs a number ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--minutes") out.minutes = number(a, argv[++i], 0.1);
    else if (a === "--seed") out.seed = Math.trunc(number(a, argv[++i], 0));
    else if (a === "--slot-ms") out.slotMs = Math.trunc(number(a, argv[++i], 100));
    else if (a === "--resume-bound-s") out.resumeBoundS = number(a, argv[++i], 1);
    else if (a === "--byzantine") out.byzantine = argv[++i] ?? usage("--byzantine needs a validator name or none");
    else if (a === "--byzantine-at") {
      out.byzantineAt = number(a, argv[++i], 0);
      if (out.byzantineAt > 1) usage("--byzantine-at is a fraction of the run, 0 to 1");
    } else if (a === "--dir") out.dir = argv[++i] ?? usage("--dir needs a path");
    else if (a === "--keep") out.keep = true;
    else if (a === "--log") out.log = argv[++i] ?? usage("--log needs a filter, e.g. info,grandpa=debug");
    else usage(`unknown argument ${a}`);
  }
  if (!["Alice", "Bob", "Charlie", "Dave", "none"].includes(out.byzantine))
    usage("--byzantine must be Alice, Bob, Charlie, Dave or none");
  return out;
}

const args = parseArgs(process.argv.slice(2));
const t0 = Date.now();
const log = (line: string) =>
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} s] ${line}\n`);
// The watchdog: a run that overstays its time by 10 minutes is stopped (its nodes die with it).
const watchdog = setTimeout(
  () => {
    log("chaos: watchdog: the run overstayed by 10 minutes; stopping");
    process.exit(3);
  },
  (args.minutes + 10) * 60_000,
);
watchdog.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const report = await runChaos({
  minutes: args.minutes,
  seed: args.seed,
  slotDurationMs: args.slotMs,
  resumeBoundMs: args.resumeBoundS * 1000,
  dir: args.dir,
  keep: args.keep,
  byzantine: args.byzantine,
  byzantineAt: args.byzantineAt,
  nodeLog: args.log,
  log,
});
for (const line of formatReport(report)) process.stdout.write(`${line}\n`);
process.exit(report.violations.length > 0 ? 1 : 0);
