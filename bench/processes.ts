/** What the benches that run nodes as separate processes share: free ports, the CLI, and percentiles. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { defaultCliPath } from "../cli/commands/devnet.js";

const CLI = defaultCliPath();

/** A TCP port free on 127.0.0.1 now (the node that binds it checks again). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The `p`th percentile of ascending `sorted` (the sample at index ⌊p/100 · n⌋); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Spawns the CLI (with `nodeArgs` for Node itself); resolves once its output matches `ready`. */
export async function spawnNode(args: string[], ready: RegExp, nodeArgs: string[] = []): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [...nodeArgs, CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve();
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`node exited with ${code}:\n${out}`)));
  });
  proc.stdout?.resume();
  proc.stderr?.resume();
  return proc;
}

/** Stops a node with SIGTERM, and SIGKILL if it is still running 30 s later. */
export async function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}

/** What `tensorchain job post … --wait --json` is given (benches and e2e tests post jobs this way). */
export interface JobPostArgs {
  rpcUrl: string;
  suri: string;
  model: string;
  train: string;
  test: string;
  /** TRAIN, as the CLI parses it. */
  reward: string;
  workers?: number;
  evaluators?: number;
  minAccuracy: number;
  epochs: number;
  batch: number;
  lr: number;
  optimizer: "sgd" | "momentum" | "adam";
  seed: number;
  /** Phase lengths in blocks; every phase ends early once everyone has acted. */
  blocks: { assign: number; submit: number; revealTestSet: number; commit: number; reveal: number };
  saltFile: string;
}

/** The CLI arguments (after the CLI script) of `job post … --wait --json`. */
export function jobPostArgs(a: JobPostArgs): string[] {
  return [
    "job",
    "post",
    "--rpc",
    a.rpcUrl,
    "--suri",
    a.suri,
    "--model",
    a.model,
    "--train",
    a.train,
    "--test",
    a.test,
    "--reward",
    a.reward,
    "--workers",
    String(a.workers ?? 1),
    "--evaluators",
    String(a.evaluators ?? 1),
    "--min-accuracy",
    String(a.minAccuracy),
    "--epochs",
    String(a.epochs),
    "--batch",
    String(a.batch),
    "--lr",
    String(a.lr),
    "--optimizer",
    a.optimizer,
    "--seed",
    String(a.seed),
    "--assign-blocks",
    String(a.blocks.assign),
    "--submit-blocks",
    String(a.blocks.submit),
    "--reveal-test-set-blocks",
    String(a.blocks.revealTestSet),
    "--commit-blocks",
    String(a.blocks.commit),
    "--reveal-blocks",
    String(a.blocks.reveal),
    "--salt-file",
    a.saltFile,
    "--wait",
    "--json",
  ];
}
