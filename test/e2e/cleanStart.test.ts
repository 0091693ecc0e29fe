/**
 * A clean start: the README's Quick start command (`npx tensorchain --dev --tmp --rpc-port …`), run from
 * the repository root as a user types it, gets to its first block without a single npm warning before
 * (or after) the node's own lines: no `Unknown project config` from .npmrc, no `EBADENGINE` from
 * package.json's engines on a machine whose own Node is older than the project's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { freePort, REPO_ROOT, rpcCall } from "../helpers/node.js";

/** The `npx tensorchain …` command of the README's Quick start, split into words. */
function quickStartCommand(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Quick start"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const line = /npx tensorchain[^#\n]*/.exec(block)?.[0];
  if (!line) throw new Error("README's Quick start has no `npx tensorchain` command");
  return line.trim().split(/\s+/);
}

/** The environment of a user's shell: none of the `npm_*` variables npm sets when it runs this test. */
function shellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

async function stopGroup(proc: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  // npx runs the node in a child of its own: signal the whole process group, as Ctrl-C does.
  process.kill(-proc.pid, "SIGINT");
  const killer = setTimeout(() => {
    try {
      if (proc.pid !== undefined) process.kill(-proc.pid, "SIGKILL");
    } catch {}
  }, 15_000);
  await exited;
  clearTimeout(killer);
}

describe("clean start", () => {
  it("README's `npx tensorchain --dev --tmp --rpc-port N` reaches block 1 with no npm warning", async () => {
    const words = quickStartCommand();
    expect(words.slice(0, 2)).toEqual(["npx", "tensorchain"]);
    const portAt = words.indexOf("--rpc-port") + 1;
    expect(portAt).toBeGreaterThan(0);
    const port = await freePort();
    const args = [...words.slice(1)];
    args[portAt - 1] = String(port);
    expect(args).toEqual(["tensorchain", "--dev", "--tmp", "--rpc-port", String(port)]);

    const proc = spawn("npx", args, {
      cwd: REPO_ROOT,
      env: shellEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    proc.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    proc.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    const firstBlock = () => /Prepared block for proposing number=1\b|Imported #1\b/.test(stdout + stderr);
    try {
      const deadline = Date.now() + 90_000;
      let header: { number?: string } | undefined;
      while (Date.now() < deadline && proc.exitCode === null) {
        if (firstBlock()) break;
        const r = await rpcCall(`http://127.0.0.1:${port}`, "chain_getHeader").catch(() => undefined);
        header = r?.result as { number?: string } | undefined;
        if (header?.number && Number(header.number) >= 1) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect({ started: firstBlock() || Number(header?.number ?? 0) >= 1, stdout, stderr }).toMatchObject({
        started: true,
      });
    } finally {
      await stopGroup(proc, exited);
    }
    const lines = `${stdout}\n${stderr}`.split(/\r?\n/);
    expect(lines.filter((l) => /^npm warn/i.test(l.trim()))).toEqual([]);
    // The node is what ran, on the project's Node 22 (not the machine's older one).
    expect(stderr + stdout).toMatch(/Tensorchain node version=\S+ node=v(2[2-9]|[3-9]\d)\./);
    // No line from npm at all before the node's first line.
    const first = lines.find((l) => l.trim() !== "");
    expect(first).toMatch(/Tensorchain node/);
  }, 120_000);
});
