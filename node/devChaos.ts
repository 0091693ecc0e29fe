/**
 * TEST ONLY: fault injection for the chaos suite (`test/sim/`, `npm run chaos`), on with `--dev-chaos`
 * (never on a `Live` chain). Off by default; without the flag nothing here is built and the node reads
 * `Date.now()` and gates connections exactly as before.
 *
 * Two knobs, each behind an unsafe RPC method that only exists with the flag:
 *   - `devChaos_blockPeers(peerIds)`: the exact set of peers this node refuses (the connection gater
 *     denies their dials and connections, inbound and outbound) and hangs up on now; peers no longer in
 *     the set are dialled again at once. Blocking both sides of each cut makes a network partition.
 *   - `devChaos_setClockOffset(ms)`: an offset added to the clock that BABE slots, the BABE header
 *     check and the GRANDPA voter read (`now`): clock skew, e.g. ± one slot.
 */
import type { Logger } from "../primitives/logger.js";
import { method } from "./rpc/methods/context.js";
import { param, type RpcDef } from "./rpc/server/index.js";

/** What the knobs act on once the network runs. */
export interface DevChaosNetwork {
  hangUp(peerId: string): Promise<void>;
  dial(peerId: string): Promise<void>;
}

export class DevChaos {
  private offsetMs = 0;
  private blocked = new Set<string>();
  network: DevChaosNetwork | undefined;

  constructor(private readonly logger: Logger) {}

  /** The node's clock: the wall clock plus the offset. */
  readonly now = (): number => Date.now() + this.offsetMs;

  /** For the connection gater. */
  readonly isBlocked = (peerId: string): boolean => this.blocked.has(peerId);

  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  setClockOffset(ms: number): number {
    const previous = this.offsetMs;
    this.offsetMs = Math.trunc(ms);
    if (this.offsetMs !== previous)
      this.logger.warn("TEST ONLY: clock offset set", { offsetMs: this.offsetMs, previous });
    return previous;
  }

  /** Replaces the blocked set; hangs up on newly blocked peers and redials unblocked ones (errors ignored). */
  async blockPeers(peerIds: string[]): Promise<string[]> {
    const next = new Set(peerIds);
    const unblocked = [...this.blocked].filter((id) => !next.has(id));
    const added = [...next].filter((id) => !this.blocked.has(id));
    this.blocked = next;
    if (added.length > 0 || unblocked.length > 0)
      this.logger.warn("TEST ONLY: blocked peers set", { blocked: [...next], unblocked });
    const net = this.network;
    if (net) {
      await Promise.all([
        ...added.map((id) => net.hangUp(id).catch(() => {})),
        ...unblocked.map((id) => net.dial(id).catch(() => {})),
      ]);
    }
    return [...next];
  }
}

/** The unsafe RPC methods of `--dev-chaos`. */
export function devChaosMethods(chaos: DevChaos): RpcDef[] {
  return [
    method({
      name: "devChaos_blockPeers",
      unsafe: true,
      params: [param.array("peerIds", param.string("peerId"))],
      handler: ([peerIds]) => chaos.blockPeers(peerIds),
    }),
    method({
      name: "devChaos_setClockOffset",
      unsafe: true,
      params: [param.number("offsetMs")],
      handler: ([ms]) => chaos.setClockOffset(ms),
    }),
  ];
}
