// The node's dashboard. It reads everything over the node's JSON-RPC WebSocket (same host and port as
// the page): head subscriptions, then on every new best block the validators and recent authors, the
// peers, the worker registry, the jobs, and for the selected job its recorded progress and attestations.

import uPlot from "/assets/uPlot.esm.js";
import {
  addressEl,
  ago,
  amount,
  colour,
  fill,
  h,
  lossText,
  mib,
  percentPpm,
  shortAddress,
  shortHash,
} from "./format.js";
import { RpcClient } from "./rpc.js";

const PHASES = [
  "Open",
  "Training",
  "AwaitingTestSet",
  "Committing",
  "Revealing",
  "Succeeded",
  "Failed",
  "Cancelled",
  "Expired",
  "TestSetWithheld",
];
const LIVE = new Set(PHASES.slice(0, 5));
const RECENT_BLOCKS = 64;
/** At most one refresh per this many ms, however fast blocks come. */
const REFRESH_MIN_MS = 700;

const state = {
  decimals: 12,
  symbol: "UNIT",
  best: undefined,
  bestAt: 0,
  finalized: undefined,
  /** Validator index by SS58 address, for colours. */
  validators: new Map(),
  jobs: [],
  /** The selected job id (a decimal string), from the URL's `#job=<id>` or the newest job. */
  selected: new URLSearchParams(location.hash.slice(1)).get("job") ?? undefined,
  chart: undefined,
  chartKey: "",
};

const rpc = new RpcClient(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`);

const money = (planck) => amount(planck, state.decimals, state.symbol);
const phaseClass = (s) =>
  LIVE.has(s) ? "live" : s === "Succeeded" ? "good" : s === "TestSetWithheld" ? "warn" : "bad";
const phaseBadge = (s, failure) => h("span", { class: `badge ${phaseClass(s)}` }, failure ? `${s}: ${failure}` : s);
const empty = (text) => h("div", { class: "empty" }, text);
const table = (head, rows) =>
  h(
    "table",
    {},
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        head.map(([label, cls]) => h("th", { class: cls }, label)),
      ),
    ),
    h("tbody", {}, rows),
  );

function problem(id, what, err) {
  fill(id, empty(`${what} unavailable: ${err.message}`));
}

// --- heads ---------------------------------------------------------------------------------------

function onBestHead(header) {
  const n = Number.parseInt(header.number, 16);
  state.best = n;
  state.bestAt = Date.now();
  const el = document.getElementById("best-head");
  el.dataset.number = String(n);
  fill("best-number", `#${n.toLocaleString("en-US")}`);
  rpc.call("chain_getBlockHash", [n]).then(
    (hash) => fill("best-hash", shortHash(hash)),
    () => {},
  );
  renderLag();
  scheduleRefresh();
}

function onFinalizedHead(header) {
  const n = Number.parseInt(header.number, 16);
  state.finalized = n;
  document.getElementById("finalized-head").dataset.number = String(n);
  fill("finalized-number", `#${n.toLocaleString("en-US")}`);
  rpc.call("chain_getFinalizedHead").then(
    (hash) => fill("finalized-hash", shortHash(hash)),
    () => {},
  );
  renderLag();
}

function renderLag() {
  if (state.best !== undefined && state.finalized !== undefined)
    fill("finality-lag", `finality lag ${state.best - state.finalized} blocks`);
}

setInterval(() => {
  if (state.bestAt) fill("last-block", ago(Date.now() - state.bestAt));
}, 500);

// --- validators and recent authors ---------------------------------------------------------------

async function refreshValidators() {
  let v;
  let recent;
  try {
    [v, recent] = await Promise.all([
      rpc.call("tensorchain_validators"),
      rpc.call("tensorchain_recentAuthors", [RECENT_BLOCKS]),
    ]);
  } catch (err) {
    problem("validators", "Validators", err);
    return;
  }
  fill("session", `session ${v.session} · GRANDPA set ${v.setId}`);
  state.validators = new Map(v.validators.map((x, i) => [x.account, i]));
  const blocks = new Map();
  const last = new Map();
  let unattributed = 0;
  for (const b of recent) {
    if (!b.author) {
      unattributed++;
      continue;
    }
    blocks.set(b.author, (blocks.get(b.author) ?? 0) + 1);
    if (!last.has(b.author)) last.set(b.author, b.number);
  }
  const rows = v.validators.map((x, i) =>
    h(
      "tr",
      { "data-validator": x.account },
      h("td", {}, h("span", { class: "dot", style: `background:${colour(i)}` }), addressEl(x.account)),
      h("td", { class: "num" }, money(x.weight)),
      h("td", { class: "num" }, blocks.get(x.account) ?? 0),
      h("td", { class: "num" }, last.has(x.account) ? `#${last.get(x.account)}` : "—"),
      h(
        "td",
        {},
        x.disabled ? h("span", { class: "badge bad" }, "disabled") : h("span", { class: "badge good" }, "active"),
      ),
    ),
  );
  fill(
    "validators",
    v.validators.length === 0
      ? empty("No session validators.")
      : table(
          [
            ["Validator"],
            ["Backing", "num"],
            [`Blocks (last ${recent.length})`, "num"],
            ["Last block", "num"],
            ["Status"],
          ],
          rows,
        ),
  );
  fill(
    "strip-label",
    `Authors of the last ${recent.length} blocks, oldest first` +
      (unattributed ? ` · ${unattributed} without a BABE pre-digest` : ""),
  );
  fill(
    "recent-blocks",
    [...recent].reverse().map((b) => {
      const i = b.author ? state.validators.get(b.author) : undefined;
      return h("span", {
        class: b.primary ? "primary" : "secondary",
        style: i === undefined ? undefined : `background:${colour(i)}`,
        title: `#${b.number} ${b.author ? `by ${shortAddress(b.author)}` : "(no BABE author)"}${b.slot ? ` · slot ${b.slot}` : ""}${b.author ? (b.primary ? " · primary" : " · secondary") : ""}`,
      });
    }),
  );
}

// --- peers ---------------------------------------------------------------------------------------

async function refreshPeers() {
  let peers;
  try {
    peers = await rpc.call("system_peers");
  } catch (err) {
    // system_peers is an unsafe method: hidden when the node serves safe methods only.
    const health = await rpc.call("system_health").catch(() => undefined);
    fill("peer-count", health ? String(health.peers) : "—");
    fill("peers", empty(`Peer list unavailable (${err.message}).`));
    return;
  }
  fill("peer-count", String(peers.length));
  fill(
    "peers",
    peers.length === 0
      ? empty("No peers.")
      : table(
          [["Peer"], ["Roles"], ["Best", "num"], ["Reputation", "num"]],
          peers.map((p) =>
            h(
              "tr",
              {},
              h("td", { class: "mono", title: p.peerId }, `${p.peerId.slice(0, 12)}…${p.peerId.slice(-6)}`),
              h("td", {}, p.roles),
              h("td", { class: "num" }, `#${p.bestNumber}`),
              h("td", { class: "num" }, p.reputation),
            ),
          ),
        ),
  );
}

async function refreshSync() {
  const s = await rpc.call("system_syncState").catch(() => undefined);
  if (s) fill("sync-state", `sync ${s.currentBlock} / ${s.highestBlock}`);
}

// --- worker registry -----------------------------------------------------------------------------

async function refreshWorkers() {
  let workers;
  try {
    workers = await rpc.call("tensorchain_findWorkers");
  } catch (err) {
    problem("workers", "Worker registry", err);
    return;
  }
  fill(
    "workers",
    workers.length === 0
      ? empty("No active workers registered.")
      : table(
          [
            ["Worker"],
            ["Roles"],
            ["CPU cores", "num"],
            ["Memory", "num"],
            ["GPUs", "num"],
            ["Profiles"],
            ["Stake", "num"],
            ["Reputation", "num"],
            ["Heartbeat", "num"],
          ],
          workers.map((w) =>
            h(
              "tr",
              { "data-worker": w.account },
              h("td", {}, addressEl(w.account)),
              h(
                "td",
                {},
                [w.roles.trainer && "trainer", w.roles.evaluator && "evaluator"].filter(Boolean).join(", ") || "—",
              ),
              h("td", { class: "num" }, w.capabilities.cpuCores),
              h("td", { class: "num" }, mib(w.capabilities.memoryMiB)),
              h(
                "td",
                { class: "num" },
                w.capabilities.gpus ? `${w.capabilities.gpus} × ${mib(w.capabilities.gpuMemoryMiB)}` : "0",
              ),
              h("td", {}, w.capabilities.profiles.join(", ")),
              h("td", { class: "num" }, money(w.stake)),
              h("td", { class: "num" }, percentPpm(w.reputationPpm)),
              h("td", { class: "num" }, `#${w.lastHeartbeat}`),
            ),
          ),
        ),
  );
}

// --- jobs ----------------------------------------------------------------------------------------

async function refreshJobs() {
  try {
    state.jobs = await rpc.call("tensorchain_jobs");
  } catch (err) {
    problem("jobs", "Jobs", err);
    return;
  }
  const counts = new Map();
  for (const j of state.jobs) counts.set(j.status, (counts.get(j.status) ?? 0) + 1);
  fill(
    "phases",
    PHASES.filter((p) => counts.has(p) || LIVE.has(p)).map((p) =>
      h("span", { class: `badge ${phaseClass(p)}`, "data-phase-count": p }, p, h("b", {}, counts.get(p) ?? 0)),
    ),
  );
  if (state.selected === undefined || !state.jobs.some((j) => j.id === state.selected))
    state.selected = state.jobs[0]?.id;
  fill(
    "jobs",
    state.jobs.length === 0
      ? empty("No jobs on chain yet.")
      : table(
          [
            ["Job"],
            ["Phase"],
            ["Client"],
            ["Trainers", "num"],
            ["Evaluators", "num"],
            ["Reward", "num"],
            ["Posted", "num"],
            ["Phase ends", "num"],
          ],
          state.jobs.map((j) =>
            h(
              "tr",
              {
                "data-job-id": j.id,
                "data-phase": j.status,
                class: j.id === state.selected ? "selected" : undefined,
                onclick: () => select(j.id),
              },
              h("td", {}, `#${j.id}`),
              h("td", {}, phaseBadge(j.status, j.failure)),
              h("td", {}, addressEl(j.client)),
              h("td", { class: "num" }, `${j.workers.length} / ${j.spec.workers}`),
              h("td", { class: "num" }, `${j.evaluators.length} / ${j.spec.evaluators}`),
              h("td", { class: "num" }, money(j.reward)),
              h("td", { class: "num" }, `#${j.postedAt}`),
              h("td", { class: "num" }, j.deadline ? `#${j.deadline}` : "—"),
            ),
          ),
        ),
  );
}

function select(id) {
  state.selected = id;
  history.replaceState(null, "", `#job=${id}`);
  for (const tr of document.querySelectorAll("#jobs tr[data-job-id]"))
    tr.classList.toggle("selected", tr.dataset.jobId === id);
  refreshJob();
}

async function refreshJob() {
  const id = state.selected;
  const panel = document.getElementById("job-detail");
  if (id === undefined) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  let job;
  let progress;
  try {
    [job, progress] = await Promise.all([rpc.call("tensorchain_job", [id]), rpc.call("tensorchain_jobProgress", [id])]);
  } catch (err) {
    problem("job-results", "Job", err);
    return;
  }
  if (id !== state.selected || !job) return;
  fill("job-title", `Job #${job.id} `, phaseBadge(job.status, job.failure));
  const s = job.spec;
  fill(
    "job-spec",
    `${s.optimizer}, learning rate ${s.learningRate}, batch ${s.batchSize}, ${s.length.value} ${s.length.unit.toLowerCase()}, ` +
      `${s.loss} loss, ${s.profile} · pass at ${percentPpm(s.minAccuracyPpm)} · model ${s.modelCid.slice(0, 14)}…`,
  );
  renderChart(job, progress);
  const series = new Map((progress?.series ?? []).map((x) => [x.worker, x]));
  fill(
    "job-results",
    job.assignments.length === 0
      ? empty("No trainer assigned yet.")
      : table(
          [
            ["Trainer"],
            ["Points", "num"],
            ["Last loss", "num"],
            ["Claimed loss", "num"],
            ["Train accuracy", "num"],
            ["Agreed accuracy", "num"],
          ],
          job.assignments.map((a, i) => {
            const p = series.get(a.worker);
            const lastPoint = p?.points.at(-1);
            return h(
              "tr",
              {},
              h("td", {}, h("span", { class: "dot", style: `background:${colour(i)}` }), addressEl(a.worker)),
              h("td", { class: "num" }, p?.points.length ?? 0),
              h("td", { class: "num" }, lastPoint ? `${lossText(lastPoint[1])} @ ${lastPoint[0]}` : "—"),
              h("td", { class: "num" }, a.result ? lossText(a.result.claimedLoss) : "—"),
              h("td", { class: "num" }, a.result ? percentPpm(a.result.claimedAccuracyPpm) : "—"),
              h("td", { class: "num" }, percentPpm(a.accuracyPpm)),
            );
          }),
        ),
  );
  fill(
    "job-attestations",
    job.attestations.length === 0
      ? empty("No evaluators drawn yet.")
      : table(
          [["Evaluator"], ["Committed"], ["Revealed accuracies"]],
          job.attestations.map((a) =>
            h(
              "tr",
              { "data-evaluator": a.evaluator },
              h("td", {}, addressEl(a.evaluator)),
              h(
                "td",
                {},
                a.committed ? h("span", { class: "badge good" }, "yes") : h("span", { class: "badge" }, "not yet"),
              ),
              h(
                "td",
                {},
                a.accuracies
                  ? a.accuracies.map((x) => `${shortAddress(x.worker)}: ${percentPpm(x.accuracyPpm)}`).join(", ")
                  : "—",
              ),
            ),
          ),
        ),
  );
}

/** The loss curve: one line per trainer from the recorded progress, and each claimed final loss as a point. */
function renderChart(job, progress) {
  const el = document.getElementById("loss-chart");
  const workers = job.assignments.map((a) => a.worker);
  const series = new Map((progress?.series ?? []).map((x) => [x.worker, x]));
  for (const w of series.keys()) if (!workers.includes(w)) workers.push(w);
  const steps = new Set();
  let points = 0;
  for (const s of series.values()) {
    for (const [step] of s.points) steps.add(step);
    points += s.points.length;
    if (s.result && s.totalSteps) steps.add(s.totalSteps);
  }
  el.dataset.points = String(points);
  el.dataset.job = job.id;
  const xs = [...steps].sort((a, b) => a - b);
  if (xs.length === 0) {
    state.chart?.destroy();
    state.chart = undefined;
    state.chartKey = "";
    el.replaceChildren();
    fill(
      "chart-note",
      LIVE.has(job.status)
        ? "No training progress yet: points appear as the trainers report their steps."
        : "No training progress recorded: this node keeps the progress of jobs it followed while they ran.",
    );
    return;
  }
  const index = new Map(xs.map((x, i) => [x, i]));
  const lines = workers.map((w) => {
    const ys = new Array(xs.length).fill(null);
    for (const [step, loss] of series.get(w)?.points ?? []) ys[index.get(step)] = loss;
    return ys;
  });
  const claimed = workers.map((w) => {
    const ys = new Array(xs.length).fill(null);
    const s = series.get(w);
    if (s?.result && s.totalSteps) ys[index.get(s.totalSteps)] = s.result.loss;
    return ys;
  });
  const key = `${job.id}:${workers.join(",")}`;
  const data = [xs, ...lines, ...claimed];
  fill(
    "chart-note",
    `${points} progress points recorded by this node (job gossip, or its own training); a dot marks each final loss a trainer claimed on chain.`,
  );
  if (state.chart && state.chartKey === key) {
    state.chart.setData(data);
    return;
  }
  state.chart?.destroy();
  el.replaceChildren();
  const opts = {
    width: Math.max(el.clientWidth, 300),
    height: 260,
    scales: { x: { time: false } },
    axes: [{ label: "step" }, { label: "loss" }],
    series: [
      { label: "step" },
      ...workers.map((w, i) => ({
        label: shortAddress(w),
        stroke: colour(i),
        width: 2,
        spanGaps: true,
        points: { show: false },
        value: (_u, v) => lossText(v),
      })),
      ...workers.map((w, i) => ({
        label: `${shortAddress(w)} claimed`,
        stroke: colour(i),
        fill: colour(i),
        paths: () => null,
        points: { show: true, size: 9, fill: colour(i) },
        value: (_u, v) => lossText(v),
      })),
    ],
  };
  state.chart = new uPlot(opts, data, el);
  state.chartKey = key;
}

new ResizeObserver(() => {
  const el = document.getElementById("loss-chart");
  if (state.chart && el.clientWidth > 0) state.chart.setSize({ width: el.clientWidth, height: 260 });
}).observe(document.getElementById("loss-chart"));

// --- refresh loop --------------------------------------------------------------------------------

let refreshing = false;
let queued = false;
let lastRefresh = 0;

function scheduleRefresh() {
  if (refreshing) {
    queued = true;
    return;
  }
  const wait = Math.max(0, lastRefresh + REFRESH_MIN_MS - Date.now());
  refreshing = true;
  setTimeout(async () => {
    lastRefresh = Date.now();
    try {
      await Promise.all([
        refreshValidators(),
        refreshPeers(),
        refreshSync(),
        refreshWorkers(),
        refreshJobs().then(refreshJob),
      ]);
    } catch (err) {
      console.warn("refresh failed:", err);
    } finally {
      refreshing = false;
      if (queued) {
        queued = false;
        scheduleRefresh();
      }
    }
  }, wait);
}

// Blocks may stall (a manual-seal dev node): progress still moves.
setInterval(() => {
  if (rpc.connected && Date.now() - lastRefresh > 4000) scheduleRefresh();
}, 2000);

// --- start ---------------------------------------------------------------------------------------

rpc.onStatus((connected) => {
  const el = document.getElementById("connection");
  el.dataset.connected = String(connected);
  el.textContent = connected ? `connected · ${location.host}` : "reconnecting…";
  if (connected) void loadNodeInfo();
});

async function loadNodeInfo() {
  try {
    const [chain, chainType, name, version, roles, props] = await Promise.all([
      rpc.call("system_chain"),
      rpc.call("system_chainType"),
      rpc.call("system_name"),
      rpc.call("system_version"),
      rpc.call("system_nodeRoles"),
      rpc.call("system_properties"),
    ]);
    state.decimals = Number(props?.tokenDecimals ?? 12);
    state.symbol = String(props?.tokenSymbol ?? "UNIT");
    fill("chain", `${chain} (${typeof chainType === "string" ? chainType : Object.keys(chainType)[0]})`);
    fill("node", `${name} · v${version} · ${roles.join(", ")}`);
    document.title = `${name} · ${chain} · tensorchain`;
  } catch (err) {
    console.warn("node info:", err.message);
  }
  scheduleRefresh();
}

rpc.subscribe("chain_subscribeNewHeads", [], onBestHead);
rpc.subscribe("chain_subscribeFinalizedHeads", [], onFinalizedHead);
