/**
 * Runs one of `rpcIsolation.ts`'s RPC clients in a process of its own. An attack's client work (building
 * and parsing megabytes of JSON, and the garbage that leaves) then never delays another client's
 * timers: the fresh-client probe measures how long the node takes to answer a newcomer, not how long
 * an attacker sharing its process (or a test runner with a large heap) kept its event loop.
 *
 * The parent forks this module (compiled, `dist/bench/rpcClientProcess.js`) with the client's kind and
 * arguments; the child starts the client and reports `ready`, and on `stop` stops it and reports its
 * counters before exiting.
 */
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freshClientProbe, metadataBatchFlood, metadataCallFlood, slowloris, slowReaders } from "./rpcIsolation.js";

export type RpcClientKind = "probe" | "metadataBatchFlood" | "metadataCallFlood" | "slowReaders" | "slowloris";

/** A client's counters when it stopped (which ones depends on its kind). */
export type RpcClientCounts = Record<string, number>;

export interface RpcClientProcess {
  /** Stops the client and resolves with its counters. */
  stop(): Promise<RpcClientCounts>;
}

type Started = { stop(): unknown; counts(): RpcClientCounts };

/** What each kind starts in the child, from the url (or port) and numbers it was forked with. */
async function startClient(kind: RpcClientKind, target: string, n: number[]): Promise<Started> {
  switch (kind) {
    case "probe": {
      const p = freshClientProbe(target, n[0]);
      return {
        stop: () => p.stop(),
        counts: () => ({ worstMs: p.worstMs(), answered: p.answered(), failed: p.failed() }),
      };
    }
    case "metadataBatchFlood": {
      const f = metadataBatchFlood(target, n[0], n[1]);
      return { stop: () => f.stop(), counts: () => ({ answers: f.answers(), tooBig: f.tooBig() }) };
    }
    case "metadataCallFlood": {
      const f = await metadataCallFlood(target, n[0], n[1]);
      return { stop: () => f.stop(), counts: () => ({ answers: f.answers() }) };
    }
    case "slowReaders": {
      const s = await slowReaders(target, n[0], n[1]);
      return { stop: () => s.stop(), counts: () => ({}) };
    }
    case "slowloris": {
      const s = slowloris(Number(target), n[0]);
      return { stop: () => s.stop(), counts: () => ({ opened: s.opened(), cut: s.cut() }) };
    }
  }
}

const here = dirname(fileURLToPath(import.meta.url));
/** This module compiled: next to it under dist/bench/, or there from the sources (jest). */
const ENTRY = here.endsWith(join("dist", "bench"))
  ? join(here, "rpcClientProcess.js")
  : join(here, "..", "dist", "bench", "rpcClientProcess.js");

type ChildMessage = { ready: true } | { failed: string } | { counts: RpcClientCounts };

/** Forks a process running client `kind` against `target` (a URL, or a port for slowloris); resolves once it runs. */
export async function startClientProcess(
  kind: RpcClientKind,
  target: string | number,
  ...n: number[]
): Promise<RpcClientProcess> {
  const child: ChildProcess = fork(ENTRY, [kind, String(target), ...n.map(String)], { stdio: "inherit" });
  const next = () =>
    new Promise<ChildMessage>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`RPC client ${kind} exited with ${code}`));
      child.once("exit", onExit);
      child.once("message", (m) => {
        child.off("exit", onExit);
        resolve(m as ChildMessage);
      });
    });
  const first = await next();
  if (!("ready" in first)) {
    child.kill("SIGKILL");
    throw new Error(`RPC client ${kind} did not start: ${"failed" in first ? first.failed : "?"}`);
  }
  return {
    async stop() {
      const reply = next();
      child.send("stop");
      const m = await reply;
      return "counts" in m ? m.counts : {};
    },
  };
}

async function runChild(): Promise<void> {
  const [kind, target, ...rest] = process.argv.slice(2);
  const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send?.(m, () => resolve()));
  let client: Started;
  try {
    client = await startClient(kind as RpcClientKind, target, rest.map(Number));
  } catch (err) {
    await send({ failed: String(err) });
    process.exit(1);
  }
  process.once("message", async () => {
    await client.stop();
    await send({ counts: client.counts() });
    process.exit(0);
  });
  // The parent went away: nothing to report to.
  process.once("disconnect", () => process.exit(0));
  await send({ ready: true });
}

if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) void runChild();
