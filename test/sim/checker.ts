/**
 * The chaos suite's invariant checker. It polls every node that answers RPC (up and not paused), once a
 * second in the background, and records a violation when:
 *   - conflict: two nodes finalized different blocks at one height (`chain_getBlockHash(n)` for every
 *     n up to each node's `chain_getFinalizedHead`, compared with the first block seen final there);
 *   - stateRoot: two nodes' headers of one finalized block carry different state roots;
 *   - brokenChain: the finalized blocks do not form one chain (a block's parent is not the block
 *     finalized below it);
 *   - regression: a node's finalized height went down (also across a kill -9 and restart);
 *   - equivocation: a node logged an equivocation (BABE slot, GRANDPA vote) or the chain applied an
 *     offence (`Offences.Reports` at the finalized head) whose offender is not the planted byzantine
 *     validator's key;
 *   - liveness: after a heal, not every node finalized past the highest block final at the heal within
 *     the bound (`awaitResume`), or, when finality was stalled, not within two rounds (the stuck one
 *     and the next); while a connected 2/3 supermajority remains, finality stopped there
 *     (`awaitProgress`);
 *   - unresponsive: a node that should answer did not for longer than the bound;
 *   - crash / slash and other kinds: reported by the harness (`violation`).
 */
import { GrandpaJustification } from "../../consensus/grandpa/index.js";
import { twox128 } from "../../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../../primitives/hex.js";

export type ViolationKind =
  | "conflict"
  | "stateRoot"
  | "brokenChain"
  | "regression"
  | "equivocation"
  | "liveness"
  | "unresponsive"
  | "crash"
  | "slash"
  | "harness";

export interface Violation {
  atMs: number;
  kind: ViolationKind;
  message: string;
}

/** What the checker needs of a node (a `SimNode`, or a fake in unit tests). */
export interface CheckedNode {
  readonly name: string;
  /** Up and not paused: RPC is expected to answer. */
  readonly queryable: boolean;
  rpc<T>(method: string, params?: unknown[], timeoutMs?: number): Promise<T>;
  /** New log output since the last call (the checker scans it for equivocations). */
  readLog?(): string;
}

interface Header {
  parentHash: HexString;
  number: HexString | number;
  stateRoot: HexString;
}

interface Finalized {
  hash: HexString;
  parentHash: HexString;
  stateRoot: HexString;
  /** The node that first reported it. */
  from: string;
}

interface NodeTrack {
  /** Heights up to this one were compared. */
  checked: number;
  finalized: number;
  lastAnswerAt: number;
  unresponsiveReported: boolean;
}

export interface ResumeMark {
  /** When the heal was complete: the resume bound counts from here. */
  atMs: number;
  /** The highest finalized height among the nodes at the heal. */
  target: number;
  /** The highest GRANDPA round (of the highest set) among the nodes at the heal. */
  stuck?: { setId: bigint; round: bigint };
  /**
   * Whether finality was stalled at the heal (no node finalized anything new for `stallMs`). Only then
   * do the rounds to resume count: while finality runs, rounds that find nothing new to finalize (no
   * new block yet) go by too.
   */
  stalled: boolean;
  what: string;
}

export interface ResumeResult {
  ms: number;
  /** The mark's `stalled`. */
  stalled: boolean;
  /** Rounds of the same set from the stuck one to the first justification after the heal (1: the stuck round itself). */
  rounds?: number;
  ok: boolean;
}

export interface CheckerOptions {
  pollIntervalMs: number;
  /** Heights compared per node per poll (the rest on later polls). */
  batch: number;
  /** A node that should answer but has not for this long is a violation. */
  unresponsiveMs: number;
  /** Check `Offences.Reports` every this many polls. */
  offencesEvery: number;
  /** No new finalized block for this long counts as a stall (for the rounds to resume after a heal). */
  stallMs: number;
  /** Log each violation as it is found. */
  log?: (line: string) => void;
}

export const defaultCheckerOptions: CheckerOptions = {
  pollIntervalMs: 1000,
  batch: 100,
  unresponsiveMs: 30_000,
  offencesEvery: 5,
  stallMs: 2000,
};

const GRANDPA_ENGINE = "0x46524e4b";
const EQUIVOCATION_LINE = /equivocation/i;
const OFFENDER = /offender=(0x[0-9a-fA-F]{64})/;

/** `twox128("Offences") ++ twox128("Reports")`: keys are this, blake2_128(k), then k = (kind u8, session u32, offender). */
export function offenceReportsPrefix(): HexString {
  const enc = (s: string) => twox128(new TextEncoder().encode(s));
  return toHex(new Uint8Array([...enc("Offences"), ...enc("Reports")]));
}

/** The offender (hex) and kind of an `Offences.Reports` key. */
export function parseOffenceKey(key: HexString): {
  offender: HexString;
  kind: "BlockEquivocation" | "VoteEquivocation";
} {
  const bytes = fromHex(key);
  if (bytes.length !== 32 + 16 + 1 + 4 + 32) throw new Error(`unexpected Offences.Reports key length ${bytes.length}`);
  return {
    kind: bytes[48] === 0 ? "BlockEquivocation" : "VoteEquivocation",
    offender: toHex(bytes.slice(53)),
  };
}

const num = (n: HexString | number) => (typeof n === "number" ? n : Number.parseInt(n, 16));

export class InvariantChecker {
  readonly violations: Violation[] = [];
  /** Keys (hex, lower case) whose equivocations are expected: the planted byzantine validator's. */
  readonly allowedOffenders = new Set<string>();
  /** Offenders with an applied offence on the finalized chain, and the kinds. */
  readonly slashed = new Map<string, Set<string>>();
  readonly resumes: (ResumeResult & { what: string })[] = [];
  /** Equivocation log lines seen (allowed ones included). */
  equivocationLines = 0;
  polls = 0;
  private readonly canon = new Map<number, Finalized>();
  private readonly tracks = new Map<string, NodeTrack>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly prefix = offenceReportsPrefix();
  /** The highest finalized height seen, and when it last went up. */
  private highestFinalized = 0;
  private lastAdvanceAt = Date.now();

  constructor(
    private readonly nodes: readonly CheckedNode[],
    private readonly opts: CheckerOptions = defaultCheckerOptions,
  ) {
    for (const n of nodes)
      this.tracks.set(n.name, { checked: -1, finalized: 0, lastAnswerAt: Date.now(), unresponsiveReported: false });
  }

  violation(kind: ViolationKind, message: string): void {
    const v = { atMs: Date.now(), kind, message };
    this.violations.push(v);
    this.opts.log?.(`VIOLATION ${kind}: ${message}`);
  }

  /** The highest finalized height any node reported. */
  get maxFinalized(): number {
    let max = 0;
    for (const t of this.tracks.values()) max = Math.max(max, t.finalized);
    return max;
  }

  /** Heights whose finalized block every checked node agreed on so far. */
  get checkedHeights(): number {
    return this.canon.size;
  }

  finalizedOf(name: string): number {
    return this.tracks.get(name)?.finalized ?? 0;
  }

  /** The height up to which the node's finalized blocks were compared. */
  checkedOf(name: string): number {
    return this.tracks.get(name)?.checked ?? -1;
  }

  /** Polls in the background until `stop`. */
  start(): void {
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.pollOnce().catch((err: unknown) =>
        this.violation("harness", `checker poll failed: ${(err as Error).stack ?? err}`),
      );
      await this.running;
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollIntervalMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One round of checks over every queryable node. */
  async pollOnce(): Promise<void> {
    this.polls++;
    await Promise.all(this.nodes.map((n) => this.checkNode(n)));
    for (const n of this.nodes) this.scanLog(n);
    if (this.polls % this.opts.offencesEvery === 0) await this.checkOffences();
  }

  private async checkNode(node: CheckedNode): Promise<void> {
    const track = this.tracks.get(node.name)!;
    if (!node.queryable) {
      track.lastAnswerAt = Date.now();
      return;
    }
    let head: HexString;
    let finalized: number;
    try {
      head = await node.rpc<HexString>("chain_getFinalizedHead");
      finalized = num((await node.rpc<Header>("chain_getHeader", [head])).number);
    } catch {
      // Paused or killed meanwhile, or too busy: only a long silence is a violation.
      if (node.queryable && Date.now() - track.lastAnswerAt > this.opts.unresponsiveMs && !track.unresponsiveReported) {
        track.unresponsiveReported = true;
        this.violation("unresponsive", `${node.name} has not answered RPC for ${this.opts.unresponsiveMs} ms`);
      }
      return;
    }
    track.lastAnswerAt = Date.now();
    track.unresponsiveReported = false;
    if (finalized < track.finalized)
      this.violation("regression", `${node.name}'s finalized height went from ${track.finalized} down to ${finalized}`);
    track.finalized = finalized;
    if (finalized > this.highestFinalized) {
      this.highestFinalized = finalized;
      this.lastAdvanceAt = Date.now();
    }
    const upTo = Math.min(finalized, track.checked + this.opts.batch);
    for (let n = track.checked + 1; n <= upTo; n++) {
      let hash: HexString;
      let header: Header;
      try {
        hash = await node.rpc<HexString>("chain_getBlockHash", [n]);
        header = await node.rpc<Header>("chain_getHeader", [hash]);
      } catch {
        return;
      }
      this.compare(node.name, n, { hash, parentHash: header.parentHash, stateRoot: header.stateRoot, from: node.name });
      track.checked = n;
    }
  }

  /** Compares a node's finalized block at height `n` with what was seen final there before. */
  compare(name: string, n: number, block: Finalized): void {
    const seen = this.canon.get(n);
    if (!seen) {
      this.canon.set(n, block);
      const below = this.canon.get(n - 1);
      if (below && below.hash !== block.parentHash)
        this.violation(
          "brokenChain",
          `finalized #${n} ${block.hash} (${name}) has parent ${block.parentHash}, but #${n - 1} final is ${below.hash} (${below.from})`,
        );
      const above = this.canon.get(n + 1);
      if (above && above.parentHash !== block.hash)
        this.violation(
          "brokenChain",
          `finalized #${n + 1} ${above.hash} (${above.from}) has parent ${above.parentHash}, but #${n} final is ${block.hash} (${name})`,
        );
      return;
    }
    if (seen.hash !== block.hash) {
      this.violation(
        "conflict",
        `conflicting finalized blocks at #${n}: ${seen.hash} (${seen.from}) and ${block.hash} (${name})`,
      );
    } else if (seen.stateRoot !== block.stateRoot) {
      this.violation(
        "stateRoot",
        `state roots differ at finalized #${n} ${block.hash}: ${seen.stateRoot} (${seen.from}) and ${block.stateRoot} (${name})`,
      );
    }
  }

  /** Equivocation lines in a node's new log output. */
  private scanLog(node: CheckedNode): void {
    const text = node.readLog?.();
    if (!text) return;
    for (const line of text.split("\n")) {
      if (!EQUIVOCATION_LINE.test(line)) continue;
      const offender = OFFENDER.exec(line)?.[1]?.toLowerCase();
      if (!offender) continue;
      this.equivocationLines++;
      if (!this.allowedOffenders.has(offender))
        this.violation("equivocation", `${node.name} logged an equivocation by ${offender}: ${line.trim()}`);
    }
  }

  /** Offences applied on the finalized chain (read from one node); an offender that is not allowed is a violation. */
  async checkOffences(): Promise<void> {
    const node = this.nodes.find((n) => n.queryable);
    if (!node) return;
    let keys: HexString[];
    try {
      const head = await node.rpc<HexString>("chain_getFinalizedHead");
      keys = await node.rpc<HexString[]>("state_getKeysPaged", [this.prefix, 1000, null, head]);
    } catch {
      return;
    }
    for (const key of keys) {
      const { offender, kind } = parseOffenceKey(key);
      const kinds = this.slashed.get(offender) ?? new Set<string>();
      if (kinds.has(kind)) continue;
      kinds.add(kind);
      this.slashed.set(offender, kinds);
      if (!this.allowedOffenders.has(offender))
        this.violation("equivocation", `the chain slashed ${offender} for ${kind}, who is not the planted byzantine`);
    }
  }

  /** What to compare against after a heal, taken just before it: the highest finalized height and GRANDPA round now. */
  async markHeal(what: string): Promise<ResumeMark> {
    await this.pollOnce();
    let stuck: ResumeMark["stuck"];
    await Promise.all(
      this.nodes
        .filter((n) => n.queryable)
        .map(async (n) => {
          try {
            const s = await n.rpc<{ setId: number | string; best: { round: number | string } }>("grandpa_roundState");
            const setId = BigInt(s.setId);
            const round = BigInt(s.best.round);
            if (!stuck || setId > stuck.setId || (setId === stuck.setId && round > stuck.round))
              stuck = { setId, round };
          } catch {}
        }),
    );
    const stalled = Date.now() - this.lastAdvanceAt >= this.opts.stallMs;
    return { atMs: Date.now(), target: this.maxFinalized, stuck, stalled, what };
  }

  /**
   * Waits until every queryable node has finalized past `mark.target` (checked every 250 ms); a
   * liveness violation if that takes longer than `boundMs`. Measures the rounds it took.
   */
  async awaitResume(mark: ResumeMark, boundMs: number, opts: { maxRounds?: number } = {}): Promise<ResumeResult> {
    const deadline = mark.atMs + boundMs;
    let ok = false;
    while (Date.now() < deadline) {
      const live = this.nodes.filter((n) => n.queryable);
      const heights = await Promise.all(
        live.map(async (n) => {
          try {
            const head = await n.rpc<HexString>("chain_getFinalizedHead", [], 2000);
            return num((await n.rpc<Header>("chain_getHeader", [head], 2000)).number);
          } catch {
            return -1;
          }
        }),
      );
      if (live.length > 0 && heights.every((h) => h > mark.target)) {
        ok = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const ms = Date.now() - mark.atMs;
    const result: ResumeResult = { ms, ok, stalled: mark.stalled };
    if (!ok) {
      this.violation(
        "liveness",
        `finality did not resume within ${boundMs} ms after ${mark.what} (past #${mark.target})`,
      );
    } else {
      result.rounds = await this.roundsSince(mark);
      if (mark.stalled && opts.maxRounds !== undefined && result.rounds !== undefined && result.rounds > opts.maxRounds)
        this.violation(
          "liveness",
          `after ${mark.what}, finality resumed in round ${mark.stuck!.round + BigInt(result.rounds - 1)}, ${result.rounds} rounds from the stuck round ${mark.stuck!.round}`,
        );
    }
    this.resumes.push({ ...result, what: mark.what });
    return result;
  }

  /**
   * Waits until every node of `nodes` has finalized a block past what it had when called (checked
   * every 250 ms); a liveness violation if one has not within `boundMs`. For faults that leave a 2/3
   * supermajority of voters up and connected: finality must go on through them.
   */
  async awaitProgress(nodes: readonly CheckedNode[], what: string, boundMs: number): Promise<boolean> {
    const finalizedNow = async (n: CheckedNode) => {
      try {
        const head = await n.rpc<HexString>("chain_getFinalizedHead", [], 2000);
        return num((await n.rpc<Header>("chain_getHeader", [head], 2000)).number);
      } catch {
        return -1;
      }
    };
    const from = await Promise.all(nodes.map(finalizedNow));
    const deadline = Date.now() + boundMs;
    while (Date.now() < deadline) {
      const now = await Promise.all(nodes.map(finalizedNow));
      // A node that did not answer at the start counts from its first answer.
      for (let i = 0; i < from.length; i++) if (from[i]! < 0) from[i] = now[i]!;
      if (now.every((f, i) => f >= 0 && f > from[i]!)) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    this.violation(
      "liveness",
      `finality did not advance within ${boundMs} ms on ${nodes.map((n) => n.name).join(", ")} during ${what}, though they are a connected 2/3 supermajority`,
    );
    return false;
  }

  /**
   * The round of the first GRANDPA justification above the mark, counted from the stuck round: 1 when
   * the stuck round itself finalized. Undefined when the authority set changed since the mark (rounds
   * start again from 0 in a new set).
   */
  private async roundsSince(mark: ResumeMark): Promise<number | undefined> {
    const stuck = mark.stuck;
    const node = this.nodes.find((n) => n.queryable);
    if (!stuck || !node) return undefined;
    try {
      const state = await node.rpc<{ setId: number | string }>("grandpa_roundState");
      if (BigInt(state.setId) !== stuck.setId) return undefined;
      const head = await node.rpc<HexString>("chain_getFinalizedHead");
      const top = num((await node.rpc<Header>("chain_getHeader", [head])).number);
      for (let n = mark.target + 1; n <= top; n++) {
        const hash = await node.rpc<HexString>("chain_getBlockHash", [n]);
        const block = await node.rpc<{ justifications: [HexString, HexString][] | null }>("chain_getBlock", [hash]);
        const j = block.justifications?.find(([engine]) => engine === GRANDPA_ENGINE);
        if (j) return Number(BigInt(GrandpaJustification.dec(fromHex(j[1])).round) - stuck.round) + 1;
      }
    } catch {}
    return undefined;
  }
}
