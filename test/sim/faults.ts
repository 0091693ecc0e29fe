/**
 * The chaos suite's faults, on a `SimNet`:
 *   - kill: `kill -9` (SIGKILL) of a node; restart: the same command line on the same database;
 *   - partition: every node refuses the peers on the other side of a cut (`devChaos_blockPeers`, the
 *     libp2p connection gater; both sides of each cut block each other): 2/2, 1/3 or a ring (each node
 *     connected only to its two neighbours, so votes reach the far node only through a relay);
 *   - pause: SIGSTOP, and SIGCONT at the heal;
 *   - skew: a clock offset (`devChaos_setClockOffset`), ± one slot;
 *   - voter restart: with two voters paused (finality stalled), a third is killed right after it
 *     prevoted in the stuck round and restarted while the chain moved on: it must vote again what it
 *     stored (a new prevote would be an equivocation the fourth logs and reports);
 *   - byzantine: a rogue peer double-prevotes with a validator's GRANDPA key (`rogue.ts`); the offence
 *     must be slashed on the finalized chain.
 * `heal` undoes every fault (SIGCONT, restart, unblock, clock offsets back to 0) and `healAndAwait`
 * then makes the checker wait for finality to resume on every node.
 */
import { keypairFromSuri, ss58Encode } from "../../primitives/crypto/index.js";
import { fromHex, type HexString } from "../../primitives/hex.js";
import type { InvariantChecker, ResumeResult } from "./checker.js";
import type { SimNet, SimNode } from "./net.js";
import { Rogue } from "./rogue.js";

/**
 * After a stall, finality must resume within this many GRANDPA rounds counted from the stuck one (the
 * issue's "within 2 rounds"). Two things make that hold: a voter far behind its peers holds its
 * prevote until it has synced (it would prevote its stale best), and sync fetches a peer's best block
 * at or below its own height, so that the two equal forks of a 2/2 partition reach every node and the
 * (deterministic) fork choice picks one head everywhere; before, such a split took a third round.
 */
export const MAX_RESUME_ROUNDS = 2;

export type PartitionKind = "2/2" | "1/3" | "ring";
export const PARTITION_KINDS: readonly PartitionKind[] = ["2/2", "1/3", "ring"];

export interface FaultCounts {
  kills: number;
  restarts: number;
  partitions: Record<PartitionKind, number>;
  pauses: number;
  skews: number;
  voterRestarts: number;
  byzantine: number;
  heals: number;
}

export interface FaultOptions {
  slotDurationMs: number;
  /** Finality must resume on every node within this long after a heal. */
  resumeBoundMs: number;
  /** After a heal, a resume that takes more GRANDPA rounds than this is a violation (undefined: measured only). */
  maxResumeRounds?: number;
  /** How long the planted byzantine validator's offence may take to be slashed on the finalized chain. */
  slashBoundMs: number;
  random: () => number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` every `everyMs` until it returns a value other than undefined, or undefined at the deadline. */
export async function until<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {}
    await sleep(everyMs);
  }
  return undefined;
}

interface RoundStateJson {
  setId: number;
  best: { round: number; prevotes: { missing: string[] }; precommits: { missing: string[] } };
}

export class Faults {
  readonly counts: FaultCounts = {
    kills: 0,
    restarts: 0,
    partitions: { "2/2": 0, "1/3": 0, ring: 0 },
    pauses: 0,
    skews: 0,
    voterRestarts: 0,
    byzantine: 0,
    heals: 0,
  };

  /** Nodes whose validator was planted byzantine: slashed and chilled, it leaves the authority set. */
  readonly byzantineNodes = new Set<SimNode>();

  constructor(
    readonly net: SimNet,
    readonly checker: InvariantChecker,
    readonly opts: FaultOptions,
  ) {}

  get nodes(): SimNode[] {
    return this.net.nodes;
  }

  /** `n` distinct nodes in random order. */
  pick(n: number, from: SimNode[] = this.nodes): SimNode[] {
    const pool = [...from];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(this.opts.random() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, n);
  }

  async kill(node: SimNode): Promise<void> {
    this.opts.log(`kill -9 ${node.name}`);
    await node.kill();
    this.counts.kills++;
  }

  async restart(node: SimNode): Promise<void> {
    if (node.proc) return;
    this.opts.log(`restart ${node.name}`);
    await node.start();
    this.counts.restarts++;
  }

  pause(node: SimNode): void {
    this.opts.log(`SIGSTOP ${node.name}`);
    node.pause();
    this.counts.pauses++;
  }

  async resume(node: SimNode): Promise<void> {
    if (node.state !== "paused") return;
    this.opts.log(`SIGCONT ${node.name}`);
    node.resume();
    await node.applyFaultState().catch(() => {});
  }

  async skew(node: SimNode, offsetMs: number): Promise<void> {
    this.opts.log(`clock offset ${node.name} ${offsetMs >= 0 ? "+" : ""}${offsetMs} ms`);
    await node.setClockOffset(offsetMs);
    if (offsetMs !== 0) this.counts.skews++;
  }

  /**
   * Cuts the network: `order` (default: a random order of all nodes) fixes who is where: 2/2 splits it
   * in halves, 1/3 isolates its first node, ring links each node to its neighbours in it.
   */
  async partition(kind: PartitionKind, order: SimNode[] = this.pick(this.nodes.length)): Promise<void> {
    const at = new Map(order.map((n, i) => [n, i]));
    const linked = (a: SimNode, b: SimNode): boolean => {
      const i = at.get(a)!;
      const j = at.get(b)!;
      if (kind === "2/2") return Math.floor(i / 2) === Math.floor(j / 2);
      if (kind === "1/3") return (i === 0) === (j === 0);
      const d = Math.abs(i - j);
      return d === 1 || d === order.length - 1;
    };
    const describe =
      kind === "ring"
        ? order.map((n) => n.name).join("-")
        : kind === "2/2"
          ? `${order[0]!.name}+${order[1]!.name} | ${order[2]!.name}+${order[3]!.name}`
          : `${order[0]!.name} | the rest`;
    this.opts.log(`partition ${kind}: ${describe}`);
    await Promise.all(
      order.map((n) =>
        n.setBlocked(order.filter((o) => o !== n && !linked(n, o)).map((o) => o.peerId)).catch(() => {}),
      ),
    );
    this.counts.partitions[kind]++;
  }

  /**
   * The largest group of running, unpaused nodes that reach each other (directly or through relays)
   * despite the blocked peers, when the authority set is the four validators and the group holds a
   * 2/3 supermajority (3) of them: finality must go on there. Undefined otherwise (after a byzantine
   * validator was chilled the set is smaller and any fault may stall finality).
   */
  async supermajority(): Promise<SimNode[] | undefined> {
    const live = this.nodes.filter((n) => n.state === "up");
    const probe = live[0];
    if (!probe) return undefined;
    const state = await probe
      .rpc<{ best: { totalWeight: number; thresholdWeight: number } }>("grandpa_roundState")
      .catch(() => undefined);
    if (!state || state.best.totalWeight !== this.nodes.length) return undefined;
    const linked = (a: SimNode, b: SimNode) => !a.blocked.includes(b.peerId) && !b.blocked.includes(a.peerId);
    let best: SimNode[] = [];
    const seen = new Set<SimNode>();
    for (const start of live) {
      if (seen.has(start)) continue;
      const group = [start];
      seen.add(start);
      for (let i = 0; i < group.length; i++)
        for (const other of live)
          if (!seen.has(other) && linked(group[i]!, other)) {
            seen.add(other);
            group.push(other);
          }
      if (group.length > best.length) best = group;
    }
    return best.length >= state.best.thresholdWeight ? best : undefined;
  }

  /** Undoes every fault: SIGCONT, restarts, unblocks, clock offsets back to 0 (unless `keepSkew`). */
  async heal(opts: { keepSkew?: boolean } = {}): Promise<void> {
    for (const n of this.nodes) await this.resume(n);
    await Promise.all(this.nodes.filter((n) => !n.proc).map((n) => this.restart(n)));
    await Promise.all(
      this.nodes.map(async (n) => {
        if (!opts.keepSkew) n.clockOffsetMs = 0;
        n.blocked = [];
        await n.applyFaultState().catch(() => {});
      }),
    );
    this.counts.heals++;
  }

  /** `heal`, then waits for finality to resume on every node past where it was (the checker's liveness check). */
  async healAndAwait(what: string, opts: { keepSkew?: boolean } = {}): Promise<ResumeResult> {
    // The mark (highest finalized block, stuck round, stalled or not) is taken before the heal, when
    // the faults still hold; the time to resume counts from the end of the heal (restarts included).
    const mark = await this.checker.markHeal(what);
    await this.heal(opts);
    mark.atMs = Date.now();
    const result = await this.checker.awaitResume(mark, this.opts.resumeBoundMs, {
      maxRounds: this.opts.maxResumeRounds,
    });
    this.opts.log(
      `healed after ${what}: finality resumed on every node in ${(result.ms / 1000).toFixed(1)} s${result.stalled && result.rounds !== undefined ? `, in round ${result.rounds} from the stall` : ""}${result.ok ? "" : " (TOO LATE)"}`,
    );
    return result;
  }

  /** The node's GRANDPA round, and whether its own prevote in it is in (its key is not missing). */
  private async ownPrevote(node: SimNode): Promise<{ setId: number; round: number; prevoted: boolean }> {
    const s = await node.rpc<RoundStateJson>("grandpa_roundState");
    const me = ss58Encode(keypairFromSuri(`//${node.name}`, "ed25519").publicKey);
    return { setId: s.setId, round: s.best.round, prevoted: !s.best.prevotes.missing.includes(me) };
  }

  /**
   * The restarted voter: pauses two voters so that finality stalls, waits for `victim` to prevote in
   * the stuck round, kills it (-9), lets the chain grow, restarts it, and checks it is back in that
   * round with its prevote; then heals. A second, different prevote would be logged as an equivocation
   * by the fourth voter (the checker's equivocation invariant).
   */
  async voterRestart(victim?: SimNode): Promise<void> {
    const voters = this.nodes.filter((n) => !this.byzantineNodes.has(n));
    const v = victim ?? this.pick(1, voters)[0]!;
    const [witness, ...paused] = this.pick(
      3,
      this.nodes.filter((n) => n !== v),
    );
    this.opts.log(
      `voter restart: ${v.name} (witness ${witness!.name}; ${paused.map((n) => n.name).join(", ")} paused)`,
    );
    for (const n of paused) this.pause(n);
    // Finality stalls; wait for the victim's prevote in the round it is stuck in.
    await sleep(1500);
    const before = await until(async () => {
      const s = await this.ownPrevote(v);
      return s.prevoted ? s : undefined;
    }, 20_000);
    if (!before) {
      this.checker.violation("harness", `voter restart: ${v.name} did not prevote in its round within 20 s`);
    } else {
      const bestBefore = Number((await v.rpc<{ number: string }>("chain_getHeader")).number);
      await this.kill(v);
      // The witness keeps authoring: a voter that forgot its vote would now prevote a newer block.
      await until(
        async () =>
          Number((await witness!.rpc<{ number: string }>("chain_getHeader")).number) >= bestBefore + 2
            ? true
            : undefined,
        10_000,
      );
      await this.restart(v);
      const after = await until(async () => {
        const s = await this.ownPrevote(v);
        return s.prevoted ? s : undefined;
      }, 20_000);
      if (after && after.setId === before.setId)
        this.opts.log(
          `voter restart: ${v.name} prevoted in round ${before.round} before the kill, is in round ${after.round} with its prevote after the restart`,
        );
      this.counts.voterRestarts++;
    }
    await this.healAndAwait(`the restart of voter ${v.name}`);
  }

  /**
   * Plants `validator` as byzantine: a rogue peer double-prevotes with its GRANDPA key in the current
   * round; its keys become allowed offenders, and its offence must be on the finalized chain within
   * `slashBoundMs` (a "slash" violation otherwise).
   */
  async byzantine(validator: string): Promise<boolean> {
    const live = this.nodes.filter((n) => n.queryable);
    const genesis = await live[0]!.rpc<HexString>("chain_getBlockHash", [0]);
    const block1 = await live[0]!.rpc<HexString>("chain_getBlockHash", [1]);
    const bootnodes = this.nodes.map((n) => `/ip4/127.0.0.1/tcp/${n.p2pPort}/p2p/${n.peerId}`);
    const rogue = await Rogue.start(validator, genesis, bootnodes);
    const own = this.nodes.find((n) => n.name === validator);
    if (own) this.byzantineNodes.add(own);
    try {
      for (const k of rogue.keys) this.checker.allowedOffenders.add(k.toLowerCase());
      const meshed = await until(async () => (rogue.finalityPeers() >= 2 ? true : undefined), 30_000);
      if (!meshed)
        this.opts.log("byzantine: the rogue peer joined fewer than 2 finality meshes in 30 s; trying anyway");
      const stash = rogue.keys[0]!.toLowerCase();
      // Sent again every 10 s until slashed: a vote that reached no mesh peer, or arrived when its round
      // was no longer kept, proves nothing.
      let sentAt = 0;
      const slashed = await until(
        async () => {
          if (Date.now() - sentAt >= 10_000) {
            const s = await live[0]!.rpc<RoundStateJson>("grandpa_roundState");
            const reached = await rogue.doublePrevote(BigInt(s.setId), BigInt(s.best.round), [
              { hash: fromHex(genesis), number: 0 },
              { hash: fromHex(block1), number: 1 },
            ]);
            this.opts.log(
              `byzantine: ${validator}'s key double-prevoted in set ${s.setId} round ${s.best.round} (reached ${reached.join("/")} peers)`,
            );
            sentAt = Math.min(...reached) > 0 ? Date.now() : 0;
          }
          await this.checker.checkOffences();
          return this.checker.slashed.get(stash)?.has("VoteEquivocation") ? true : undefined;
        },
        this.opts.slashBoundMs,
        1000,
      );
      this.counts.byzantine++;
      if (!slashed) {
        this.checker.violation(
          "slash",
          `the planted byzantine ${validator} was not slashed within ${this.opts.slashBoundMs} ms`,
        );
        return false;
      }
      this.opts.log(`byzantine: ${validator} slashed on the finalized chain (VoteEquivocation)`);
      return true;
    } finally {
      await rogue.stop();
    }
  }
}
