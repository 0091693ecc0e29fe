/**
 * `tensorchain gov propose|vote|list|show|unlock|refund` and `tensorchain params`: governance from the
 * command line, against any node's RPC.
 *
 * Transactions go through the real `@polkadot/api` and the chain's own metadata (as `job` does), so
 * proposals are encoded exactly as any Substrate client encodes them. Storage is read with
 * `state_getStorage` and decoded with the runtime's codecs, so amounts stay exact bigints.
 *
 * - `gov propose --set-parameter NAME=VALUE` (or `--call 'pallet.method(args)'`, args as JSON) submits a
 *   referendum on that call as Root and places its decision deposit, both from `--suri`.
 * - `gov vote ID aye|nay --conviction N --amount TRAIN` votes (N: 0 = None, 1..6 = Locked1x..Locked6x).
 * - `gov list` / `gov show ID`: status, tally, approval and support against their curves, time left.
 * - `gov unlock` removes the signer's votes on finished referenda and unlocks what has expired.
 * - `gov refund ID` refunds a closed referendum's decision deposit (and with `--submission`, its
 *   submission deposit).
 * - `params` lists every parameter with its value, default and range.
 */
import type { ApiPromise } from "@polkadot/api";
import { type Command, InvalidArgumentError } from "commander";
import { cryptoReady } from "../../primitives/hashing.js";
import { toHex } from "../../primitives/hex.js";
import { Babe } from "../../runtime/pallets/babe.js";
import { Balances } from "../../runtime/pallets/balances.js";
import { CONVICTIONS, ConvictionVoting, type TallyValue } from "../../runtime/pallets/convictionVoting/index.js";
import { ALL_KNOBS, type AnyKnob, inRange, knobByName, REFERENDA } from "../../runtime/pallets/parameters/index.js";
import {
  approvalOf,
  elapsedPart,
  MAX_PROPOSAL_LENGTH,
  passingFrom,
  Referenda,
  type ReferendumInfoValue,
  supportOf,
  type TrackSettings,
  threshold,
} from "../../runtime/pallets/referenda/index.js";
import { readParameter, readStorage, send, withApi } from "./job/chain.js";
import { DEFAULT_RPC } from "./job/common.js";
import { mlAction } from "./mlCommon.js";
import { parseTrain } from "./run.js";

const jsonOf = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x instanceof Uint8Array ? toHex(x) : x));

function out(json: boolean | undefined, value: Record<string, unknown>, text: string): void {
  process.stdout.write(`${json ? jsonOf(value) : text}\n`);
}

// ---- Parsing ----

/** `NAME=VALUE`: a parameter (qualified, or bare if unique) and a value in its range. */
export function parseSetParameter(v: string): { knob: AnyKnob; value: number | bigint } {
  const m = /^([\w.]+)=(.+)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`expected NAME=VALUE, got "${v}"`);
  const knob = knobByName(m[1]);
  if (!knob) throw new InvalidArgumentError(`unknown parameter "${m[1]}" (see tensorchain params)`);
  const raw = m[2].trim();
  let value: number | bigint;
  if (typeof knob.defaultValue === "bigint") {
    value = /TRAIN$/i.test(raw) ? parseTrain(raw.replace(/\s*TRAIN$/i, "")) : /^\d+$/.test(raw) ? BigInt(raw) : -1n;
  } else value = /^\d+$/.test(raw) ? Number(raw) : -1;
  if (!inRange(knob, value))
    throw new InvalidArgumentError(
      `${knob.qualified} must be an integer within ${knob.min}..=${knob.max}, got "${raw}"`,
    );
  return { knob, value };
}

/** `pallet.method(arg, …)` with JSON arguments: `jobManager.cancelJob(3)`. */
export function parseCall(v: string): { section: string; method: string; args: unknown[] } {
  const m = /^\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\(([\s\S]*)\)\s*$/.exec(v);
  if (!m) throw new InvalidArgumentError(`expected pallet.method(args), got "${v}"`);
  const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_x, c: string) => c.toUpperCase());
  let args: unknown[];
  try {
    args = JSON.parse(`[${m[3]}]`) as unknown[];
  } catch {
    throw new InvalidArgumentError(`the arguments of ${m[1]}.${m[2]} must be JSON values, got "${m[3]}"`);
  }
  return { section: camel(m[1]), method: camel(m[2]), args };
}

function referendumIndex(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) >= 2 ** 32)
    throw new InvalidArgumentError(`expected a referendum index, got "${v}"`);
  return Number(v);
}

function conviction(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 6) throw new InvalidArgumentError(`expected a conviction 0..6, got "${v}"`);
  return n;
}

function nonNegative(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
}

// ---- Chain reads ----

async function item<V>(api: ApiPromise, s: { valueTy: { dec(b: Uint8Array): V } }, key: Uint8Array, at?: string) {
  const bytes = await readStorage(api, key, at);
  return bytes && s.valueTy.dec(bytes);
}

export async function readReferendum(api: ApiPromise, index: number, at?: string) {
  const S = Referenda.storage.ReferendumInfoFor;
  return item(api, S, S.keyFor(index), at);
}

/** The track settings (the `referenda.*` parameters) at `at`. */
async function readSettings(api: ApiPromise, at?: string): Promise<TrackSettings> {
  const p = async (k: AnyKnob) => readParameter(api, k, at);
  const K = REFERENDA;
  return {
    submissionDeposit: BigInt(await p(K.submission_deposit)),
    decisionDeposit: BigInt(await p(K.decision_deposit)),
    prepare: Number(await p(K.prepare_period)),
    decision: Number(await p(K.decision_period)),
    confirm: Number(await p(K.confirm_period)),
    minEnactment: Number(await p(K.min_enactment_period)),
    undecidingTimeout: Number(await p(K.undeciding_timeout)),
    approval: { floor: Number(await p(K.min_approval_floor)), ceil: Number(await p(K.min_approval_ceil)) },
    support: { floor: Number(await p(K.min_support_floor)), ceil: Number(await p(K.min_support_ceil)) },
  };
}

/** The proposal as `section.method(args)`, decoded with the chain's metadata. */
function describeProposal(api: ApiPromise, bytes: Uint8Array): string {
  try {
    const call = api.createType("Call", bytes) as unknown as {
      section: string;
      method: string;
      args: { toHuman(): unknown }[];
    };
    return `${call.section}.${call.method}(${call.args.map((a) => JSON.stringify(a.toHuman())).join(", ")})`;
  } catch {
    return toHex(bytes);
  }
}

const pct = (perbill: number) => `${(perbill / 1e7).toFixed(2)}%`;
const TRAIN = (planck: bigint) =>
  `${planck / 10n ** 12n}.${(planck % 10n ** 12n).toString().padStart(12, "0").replace(/0+$/, "") || "0"} TRAIN`;

function duration(blocks: number, slotMs: number): string {
  const s = Math.round((blocks * slotMs) / 1000);
  return s < 120 ? `~${s}s` : s < 7200 ? `~${Math.round(s / 60)}m` : `~${(s / 3600).toFixed(1)}h`;
}

/** Everything `gov show` prints about a referendum at block `now`. */
export function referendumView(
  index: number,
  info: ReferendumInfoValue,
  t: TrackSettings,
  issuance: bigint,
  now: number,
): Record<string, unknown> {
  if (info.tag !== "Ongoing") {
    const at = info.tag === "Killed" ? info.value : info.value[0];
    return { index, status: info.tag, at };
  }
  const s = info.value;
  const tally: TallyValue = s.tally;
  const view: Record<string, unknown> = {
    index,
    status: s.deciding ? (s.deciding.confirming !== undefined ? "Confirming" : "Deciding") : "Preparing",
    submitted: s.submitted,
    tally,
    approval: approvalOf(tally),
    support: supportOf(tally, issuance),
    decisionDeposit: s.decision_deposit ?? null,
  };
  if (!s.deciding) {
    view.decidingFrom = s.decision_deposit ? s.submitted + t.prepare : null;
    view.timesOutAt = s.submitted + t.undecidingTimeout;
    return view;
  }
  const x = elapsedPart(now - s.deciding.since, t.decision);
  const from = passingFrom(tally, t, issuance);
  return {
    ...view,
    decidingSince: s.deciding.since,
    decisionEndsAt: s.deciding.since + t.decision,
    confirmingUntil: s.deciding.confirming ?? null,
    approvalNeeded: threshold(t.approval, x),
    supportNeeded: threshold(t.support, x),
    passesFrom: from === undefined ? null : s.deciding.since + from,
  };
}

function viewText(v: Record<string, unknown>, now: number, slotMs: number, proposal?: string): string {
  const lines = [`Referendum ${v.index}: ${v.status}${v.at !== undefined ? ` at block ${v.at}` : ""}`];
  if (proposal) lines.push(`  proposal   ${proposal}`);
  if (v.tally) {
    const t = v.tally as TallyValue;
    lines.push(`  tally      ayes ${TRAIN(t.ayes)}, nays ${TRAIN(t.nays)}, support ${TRAIN(t.support)}`);
    const need = (k: string) => (v[k] === undefined ? "" : ` (needs ${pct(v[k] as number)} now)`);
    lines.push(`  approval   ${pct(v.approval as number)}${need("approvalNeeded")}`);
    lines.push(`  support    ${pct(v.support as number)}${need("supportNeeded")}`);
  }
  const when = (label: string, key: string) => {
    if (typeof v[key] === "number") {
      const b = v[key] as number;
      lines.push(
        `  ${label.padEnd(10)} block ${b}${b > now ? ` (in ${b - now} blocks, ${duration(b - now, slotMs)})` : ""}`,
      );
    }
  };
  if (v.status === "Preparing" && v.decidingFrom === null) lines.push("  waiting for a decision deposit");
  when("deciding", "decidingFrom");
  when("times out", "timesOutAt");
  when("passes", "passesFrom");
  when("confirmed", "confirmingUntil");
  when("ends", "decisionEndsAt");
  return lines.join("\n");
}

async function chainNow(api: ApiPromise): Promise<{ hash: string; number: number; slotMs: number; issuance: bigint }> {
  const header = await api.rpc.chain.getHeader();
  const hash = header.hash.toHex();
  const slot = await item(api, Babe.storage.SlotDuration, Babe.storage.SlotDuration.key, hash);
  const issuance = await item(api, Balances.storage.TotalIssuance, Balances.storage.TotalIssuance.key, hash);
  return { hash, number: header.number.toNumber(), slotMs: Number(slot ?? 2000n), issuance: issuance ?? 0n };
}

// ---- Commands ----

type AnyTx = ReturnType<ApiPromise["tx"][string][string]>;

/** `api.tx` without the augmented types of another runtime: calls are checked by the chain's metadata. */
function txOf(api: ApiPromise): Record<string, Record<string, (...args: unknown[]) => AnyTx>> {
  return api.tx as unknown as Record<string, Record<string, (...args: unknown[]) => AnyTx>>;
}

interface Common {
  rpc: string;
  json?: boolean;
}

async function propose(
  f: Common & { suri: string; call?: string; setParameter?: string; after: number; decisionDeposit: boolean },
): Promise<void> {
  if ((f.call === undefined) === (f.setParameter === undefined))
    throw new InvalidArgumentError("give exactly one of --call and --set-parameter");
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    let call: { method: { toU8a(): Uint8Array } };
    if (f.setParameter !== undefined) {
      const { knob, value } = parseSetParameter(f.setParameter);
      call = txOf(api).parameters.setParameter({ [knob.group]: { [knob.variant]: [null, value.toString()] } });
    } else {
      const { section, method, args } = parseCall(f.call!);
      const build = txOf(api)[section]?.[method];
      if (!build) throw new InvalidArgumentError(`the chain has no call ${section}.${method}`);
      call = build(...args);
    }
    const bytes = call.method.toU8a();
    if (bytes.length > MAX_PROPOSAL_LENGTH)
      throw new InvalidArgumentError(`the call is ${bytes.length} bytes; proposals are at most ${MAX_PROPOSAL_LENGTH}`);
    const submitted = await send(
      api,
      api.tx.referenda.submit({ system: "Root" }, { Inline: toHex(bytes) }, { After: f.after }),
      f.suri,
    );
    const ev = submitted.events.find((e) => e.section === "referenda" && e.method === "Submitted");
    const index = Number(String(ev?.data[0]));
    let depositBlock: string | null = null;
    if (f.decisionDeposit)
      depositBlock = (await send(api, api.tx.referenda.placeDecisionDeposit(index), f.suri)).blockHash;
    const proposal = describeProposal(api, bytes);
    out(
      f.json,
      { index, proposal, call: toHex(bytes), block: submitted.blockHash, decisionDepositBlock: depositBlock },
      `Submitted referendum ${index} in block ${submitted.blockHash}: ${proposal}${
        depositBlock ? `; decision deposit placed in block ${depositBlock}` : "; no decision deposit placed"
      }`,
    );
  });
}

async function vote(
  index: number,
  side: string,
  f: Common & { suri: string; conviction: number; amount: bigint },
): Promise<void> {
  if (side !== "aye" && side !== "nay") throw new InvalidArgumentError(`expected aye or nay, got "${side}"`);
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    const vote = { aye: side === "aye", conviction: CONVICTIONS[f.conviction] };
    const tx = api.tx.convictionVoting.vote(index, { Standard: { vote, balance: f.amount.toString() } });
    const { blockHash } = await send(api, tx, f.suri);
    const info = await readReferendum(api, index, blockHash);
    const tally = info?.tag === "Ongoing" ? info.value.tally : undefined;
    out(
      f.json,
      { index, side, conviction: vote.conviction, amount: f.amount, block: blockHash, tally },
      `Voted ${side} on referendum ${index} with ${TRAIN(f.amount)} at ${vote.conviction} in block ${blockHash}` +
        (tally ? `; tally ayes ${TRAIN(tally.ayes)}, nays ${TRAIN(tally.nays)}, support ${TRAIN(tally.support)}` : ""),
    );
  });
}

async function showMany(indices: number[] | "all", f: Common): Promise<void> {
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    const now = await chainNow(api);
    const count =
      (await item(api, Referenda.storage.ReferendumCount, Referenda.storage.ReferendumCount.key, now.hash)) ?? 0;
    const list = indices === "all" ? Array.from({ length: count }, (_, i) => i) : indices;
    const t = await readSettings(api, now.hash);
    const views: Record<string, unknown>[] = [];
    const texts: string[] = [];
    for (const i of list) {
      const info = await readReferendum(api, i, now.hash);
      if (!info) throw new InvalidArgumentError(`no referendum ${i}`);
      const view = referendumView(i, info, t, now.issuance, now.number);
      const proposal =
        info.tag === "Ongoing" && info.value.proposal.tag === "Inline" ? info.value.proposal.value : undefined;
      if (proposal) view.proposal = describeProposal(api, proposal);
      const enactment = await item(
        api,
        Referenda.storage.EnactmentOf,
        Referenda.storage.EnactmentOf.keyFor(i),
        now.hash,
      );
      if (enactment) view.enacted = { at: enactment[0], result: enactment[1].tag === "Ok" ? "Ok" : enactment[1].value };
      views.push(view);
      texts.push(
        viewText(view, now.number, now.slotMs, view.proposal as string | undefined) +
          (enactment ? `\n  enacted    block ${enactment[0]}: ${jsonOf(view.enacted)}` : ""),
      );
    }
    if (indices !== "all" && f.json) out(true, { block: now.number, ...views[0] }, "");
    else
      out(
        f.json,
        { block: now.number, curves: { approval: t.approval, support: t.support }, referenda: views },
        texts.length === 0 ? "No referenda." : `At block ${now.number}:\n${texts.join("\n")}`,
      );
  });
}

async function unlock(f: Common & { suri: string }): Promise<void> {
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    const { Keyring } = await import("@polkadot/api");
    const who = new Keyring({ type: "sr25519" }).addFromUri(f.suri).publicKey;
    const S = ConvictionVoting.storage.VotingFor;
    const voting = await item(api, S, S.keyFor([who, 0]));
    const finished: number[] = [];
    for (const [i] of voting?.tag === "Casting" ? voting.value.votes : [])
      if ((await readReferendum(api, i))?.tag !== "Ongoing") finished.push(i);
    const calls = [
      ...finished.map((i) => api.tx.convictionVoting.removeVote(0, i)),
      api.tx.convictionVoting.unlock(0, { Id: toHex(who) }),
    ];
    const { blockHash } = await send(api, api.tx.utility.batchAll(calls), f.suri);
    const account = (await api.query.system.account.at(blockHash, toHex(who))) as unknown as {
      data: { frozen: { toString(): string } };
    };
    const frozen = BigInt(account.data.frozen.toString());
    out(
      f.json,
      { removed: finished, frozen, block: blockHash },
      `Removed ${finished.length} vote(s) on finished referenda; ${TRAIN(frozen)} stays locked`,
    );
  });
}

async function refund(index: number, f: Common & { suri: string; submission?: boolean }): Promise<void> {
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    const calls = [api.tx.referenda.refundDecisionDeposit(index)];
    if (f.submission) calls.push(api.tx.referenda.refundSubmissionDeposit(index));
    const { blockHash, events } = await send(
      api,
      calls.length === 1 ? calls[0] : api.tx.utility.batchAll(calls),
      f.suri,
    );
    const refunded = events
      .filter((e) => e.section === "referenda" && e.method.endsWith("DepositRefunded"))
      .map((e) => ({ kind: e.method, amount: BigInt(String(e.data[2])) }));
    out(
      f.json,
      { index, refunded, block: blockHash },
      `Refunded ${refunded.map((r) => `${r.kind} ${TRAIN(r.amount)}`).join(", ")}`,
    );
  });
}

async function listParams(f: Common & { at?: string }): Promise<void> {
  await cryptoReady();
  await withApi(f.rpc, async (api) => {
    const rows = [];
    for (const k of ALL_KNOBS) {
      const value = await readParameter(api, k, f.at);
      rows.push({
        name: k.qualified,
        value,
        default: k.defaultValue,
        min: k.min,
        max: k.max,
        unit: k.unit,
        docs: k.docs,
      });
    }
    if (f.json) {
      out(true, { parameters: rows }, "");
      return;
    }
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows)
      process.stdout.write(
        `${r.name.padEnd(width)}  ${String(r.value).padStart(22)} ${r.unit.padEnd(7)} range ${r.min}..=${r.max}` +
          `${r.value === r.default ? "" : ` (default ${r.default})`}  ${r.docs}\n`,
      );
  });
}

export function registerGovCommands(program: Command): void {
  const gov = program.command("gov").description("Referenda: propose, vote, follow, unlock");
  const rpc = (c: Command) =>
    c.option("--rpc <url>", "The node's RPC endpoint", DEFAULT_RPC).option("--json", "Print JSON");
  rpc(
    gov
      .command("propose")
      .description("Submit a referendum on a call dispatched as Root, and place its decision deposit")
      .option("--call <call>", "The call, as pallet.method(JSON args): 'jobManager.cancelJob(3)'")
      .option("--set-parameter <NAME=VALUE>", "Propose setting a parameter (see tensorchain params)")
      .requiredOption("--suri <suri>", "The proposer's secret URI (e.g. //Ferdie)")
      .option("--after <blocks>", "Enact this many blocks after approval (at least the minimum)", nonNegative, 0)
      .option("--no-decision-deposit", "Do not place the decision deposit"),
  ).action(mlAction(propose));
  rpc(
    gov
      .command("vote")
      .description("Vote on a referendum with locked balance")
      .argument("<id>", "Referendum index", referendumIndex)
      .argument("<side>", "aye or nay")
      .option("--conviction <n>", "0 = None (0.1x, no lock), 1..6 = Locked1x..Locked6x", conviction, 1)
      .requiredOption("--amount <TRAIN>", "Balance to vote (and lock) with", parseTrain)
      .requiredOption("--suri <suri>", "The voter's secret URI"),
  ).action(mlAction(vote));
  rpc(gov.command("list").description("Every referendum: status, tally, curves, time left")).action(
    mlAction((f: Common) => showMany("all", f)),
  );
  rpc(
    gov
      .command("show")
      .description("One referendum: proposal, tally, approval and support against their curves, time left")
      .argument("<id>", "Referendum index", referendumIndex),
  ).action(mlAction((id: number, f: Common) => showMany([id], f)));
  rpc(
    gov
      .command("unlock")
      .description("Remove your votes on finished referenda and unlock what their lock periods no longer hold")
      .requiredOption("--suri <suri>", "The voter's secret URI"),
  ).action(mlAction(unlock));
  rpc(
    gov
      .command("refund")
      .description("Refund a closed referendum's decision deposit (to whoever placed it)")
      .argument("<id>", "Referendum index", referendumIndex)
      .option("--submission", "Also refund the submission deposit (approved or cancelled referenda only)")
      .requiredOption("--suri <suri>", "Who pays the fee"),
  ).action(mlAction(refund));
  rpc(
    program
      .command("params")
      .description("Every parameter of the chain: value, unit, range, default")
      .option("--at <hash>", "At this block (default: the best block)"),
  ).action(mlAction(listParams));
}
