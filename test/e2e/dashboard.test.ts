/**
 * The dashboard a node serves on its RPC port, in headless Chromium, against a devnet running a job.
 *
 * The network is the job e2e's (`planDevnet`/`startDevnet` on the `local` spec with 500 ms slots and the
 * role accounts endowed), smaller: the two validators //Alice and //Bob, one worker node (//Worker1,
 * `--worker`) and one evaluator node (//Evaluator1, `--evaluator`). The job is a tiny synthetic
 * classification task (an 8-16-3 MLP, 512 samples, 4 epochs of batch 16: 128 steps; the same set as
 * training and test set) posted with the real CLI (`tensorchain job post --wait`, as //Charlie), which
 * reveals the test set when the result is in.
 *
 * The page is Alice's, a validator that does not train: its loss curve comes from the progress gossip
 * its `JobProgressRecorder` joined, and the chain's claimed final loss. Checked on the page: the best
 * and finalized heads advance; both validators and their blocks, the peers and the two registered
 * workers are listed; the job appears with its phase and reaches `Succeeded`; its loss chart has points
 * (`data-points`); the evaluator's attestation is revealed; and the browser console logged no error.
 * A full-page screenshot is kept in `test-artifacts/dashboard.png` (its path is printed).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { type Browser, chromium, type Page } from "playwright-core";
import { jobPostArgs } from "../../bench/processes.js";
import type { RunningDevnet } from "../../cli/commands/devnet.js";
import { saveDataset } from "../../worker/data/dataset.js";
import { syntheticClassification } from "../../worker/data/synthetic.js";
import { CLI, NODE_BIN, REPO_ROOT, rpcResult, waitFor } from "../helpers/node.js";
import { startRoleDevnet } from "../helpers/roleDevnet.js";
import { tinyMlp } from "../unit/worker/helpers.js";

const SLOT_MS = 500;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = join(REPO_ROOT, "test-artifacts");

/** The little of the DOM the page predicates below use (tests compile without the DOM library). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
};

let dir: string;
let devnet: RunningDevnet;
const logs: string[] = [];
let httpUrl: string;
let rpcUrl: string;
let browser: Browser;
let page: Page;
/** Console errors and uncaught page errors. */
const consoleErrors: string[] = [];
/** Every console message, for failure messages. */
const consoleLines: string[] = [];

const rpc = <T>(method: string, params: unknown[] = []) => rpcResult<T>(httpUrl, method, params);

/** The role nodes' job lines, warnings and errors, for failure messages. */
function diagnostics(): string {
  const wanted = /jobs|trainer|evaluator|progress|dashboard|ERROR|WARN|Refused|Training/;
  return logs
    .filter((l) => wanted.test(l) && !l.includes("informant"))
    .slice(-80)
    .join("\n");
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (as .ci/run does), or set CHROMIUM_PATH`);
  dir = mkdtempSync(join(tmpdir(), "tensorchain-dashboard-"));
  // Alice's page: she validates and does not train, so the loss curve reaches her over gossip.
  ({ devnet, httpUrl, rpcUrl } = await startRoleDevnet({
    dir,
    specId: "local_fast_dashboard",
    slotMs: SLOT_MS,
    workers: 1,
    evaluators: 1,
    write: (line) => logs.push(line),
  }));
  writeFileSync(join(dir, "tiny.onnx"), tinyMlp(8, 16, 3));
  // One set serves as training and test set (as in the job-reveal e2e): a synthetic set's classes depend on
  // its seed, and what is checked here is the page, not generalisation.
  await saveDataset(
    join(dir, "data.safetensors"),
    syntheticClassification({ samples: 512, sampleDims: [8], classes: 3, seed: 1n }),
  );

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("console", (m) => {
    consoleLines.push(`${m.type()}: ${m.text()}`);
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
}, 180_000);

afterAll(async () => {
  // The browser first: a page left open would log its reconnection attempts as the nodes stop.
  await browser?.close();
  await devnet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `job post --wait --json` as //Charlie; resolves with its exit code and output when it exits. */
function postJob(): { proc: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const args = [
    CLI,
    ...jobPostArgs({
      rpcUrl,
      suri: "//Charlie",
      model: join(dir, "tiny.onnx"),
      train: join(dir, "data.safetensors"),
      test: join(dir, "data.safetensors"),
      reward: "100",
      minAccuracy: 0,
      epochs: 4,
      batch: 16,
      lr: 0.05,
      optimizer: "sgd",
      seed: 3,
      blocks: { assign: 120, submit: 240, revealTestSet: 120, commit: 120, reveal: 120 },
      saltFile: join(dir, "salt.json"),
    }),
  ];
  const proc = spawn(NODE_BIN, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<{ code: number | null; out: string }>((resolve) =>
    proc.once("exit", (code) => resolve({ code, out })),
  );
  return { proc, done };
}

const attr = (selector: string, name: string) => page.getAttribute(selector, name);
const numberAttr = async (selector: string, name: string) => Number((await attr(selector, name)) || Number.NaN);

/**
 * Waits until `fn(arg)`, run in the page, returns a truthy value; fails with the node logs. (A function,
 * not a string: the page's content security policy forbids evaluating strings.)
 */
async function pageWait<A extends string | [string, number]>(
  fn: (arg: A) => unknown,
  arg: A,
  timeoutMs: number,
  what: string,
): Promise<void> {
  try {
    await page.waitForFunction(fn as (arg: unknown) => unknown, arg as unknown, { timeout: timeoutMs, polling: 200 });
  } catch (err) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, "dashboard-failure.png");
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    throw new Error(
      `Timed out waiting on the page for ${what} (screenshot: ${shot}): ${(err as Error).message}\n` +
        `--- console ---\n${consoleLines.slice(-20).join("\n")}\n--- nodes ---\n${diagnostics()}`,
    );
  }
}

describe("the dashboard", () => {
  it("shows live heads, validators, peers, workers, and a job with its loss curve and attestations", async () => {
    // The worker and the evaluator register themselves.
    await waitFor(
      async () => ((await rpc<unknown[]>("tensorchain_findWorkers")).length === 2 ? true : undefined),
      90_000,
      "the role nodes' registrations",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${diagnostics()}`);
    });

    // GET / is the page; JSON-RPC over POST on the same port is untouched.
    const res = await fetch(`${httpUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect((await fetch(`${httpUrl}/assets/uPlot.esm.js`)).status).toBe(200);
    expect(await rpc("system_name")).toBe("Alice");

    await page.goto(`${httpUrl}/`);

    // Heads: shown, then advancing; finality follows.
    const above = ([id, n]: [string, number]) => Number(document.getElementById(id)?.dataset.number) > n;
    await pageWait(above, ["best-head", 0], 20_000, "the best head");
    const best = await numberAttr("#best-head", "data-number");
    await pageWait(above, ["best-head", best], 20_000, "the best head to advance");
    await pageWait(above, ["finalized-head", 0], 30_000, "a finalized head");
    const finalized = await numberAttr("#finalized-head", "data-number");
    await pageWait(above, ["finalized-head", finalized], 30_000, "the finalized head to advance");

    // Validators with blocks authored, peers, the two workers.
    const count = ([selector, n]: [string, number]) => document.querySelectorAll(selector).length >= n;
    await pageWait(count, ["#validators tr[data-validator]", 2], 20_000, "validators");
    const authored = await page.$$eval("#validators tr[data-validator] td:nth-child(3)", (tds) =>
      tds.map((td) => Number(td.textContent)),
    );
    expect(authored.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await pageWait(count, ["#peers tbody tr", 3], 20_000, "the peers");
    await pageWait(count, ["#workers tr[data-worker]", 2], 20_000, "the workers");

    // The job: it appears with its phase, and goes on to Succeeded.
    const client = postJob();
    await pageWait(count, ['#jobs tr[data-job-id="0"]', 1], 60_000, "the posted job");
    const phase = await attr('#jobs tr[data-job-id="0"]', "data-phase");
    expect(["Open", "Training", "AwaitingTestSet", "Committing", "Revealing", "Succeeded"]).toContain(phase);

    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      client.done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the job did not end in time\n${diagnostics()}`)), 180_000);
      }),
    ])
      .catch((e: Error) => {
        client.proc.kill("SIGKILL");
        throw e;
      })
      .finally(() => clearTimeout(timer));
    if (outcome.code !== 0) throw new Error(`job post exited ${outcome.code}\n${outcome.out}\n${diagnostics()}`);

    await pageWait(
      (id) => document.querySelector(`#jobs tr[data-job-id="${id}"]`)?.dataset.phase === "Succeeded",
      "0",
      20_000,
      "the job's Succeeded phase",
    );
    await pageWait(
      (phase) => document.querySelector(`[data-phase-count="${phase}"] b`)?.textContent === "1",
      "Succeeded",
      10_000,
      "the phase count",
    );

    // Its loss curve, from Alice's recording of the worker's progress gossip.
    await pageWait(
      (id) => {
        const chart = document.getElementById("loss-chart");
        return chart?.dataset.job === id && Number(chart.dataset.points) > 0;
      },
      "0",
      20_000,
      "points on the loss chart",
    );
    const points = await numberAttr("#loss-chart", "data-points");
    expect(points).toBeGreaterThanOrEqual(5);
    expect(await page.$$("#loss-chart canvas")).not.toHaveLength(0);
    const progress = await rpc<{ series: { points: [number, number][]; result: unknown }[] }>(
      "tensorchain_jobProgress",
      ["0"],
    );
    expect(progress.series).toHaveLength(1);
    expect(progress.series[0]!.points.length).toBe(points);
    expect(progress.series[0]!.result).not.toBeNull();

    // The evaluator's attestation, committed and revealed.
    await pageWait(
      (selector) => [...document.querySelectorAll(selector)].some((td) => td.textContent?.includes("%")),
      "#job-attestations tr[data-evaluator] td",
      20_000,
      "the revealed attestation",
    );

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    process.stdout.write(`dashboard screenshot: ${shot}\n`);

    expect(consoleErrors).toEqual([]);
  }, 400_000);
});
