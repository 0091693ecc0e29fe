/**
 * The live `chainHead_v1_follow` subscriptions of all connections, found by (connection, subscription
 * id) as the other chainHead functions name them, and the one set of chain listeners that feeds them all.
 */
import type { Chain } from "../../../chain/chain.js";
import type { BlockRef, ImportedBlock } from "../../../chain/types.js";
import type { RpcContext } from "../../server/index.js";
import type { FollowSubscription } from "./followSubscription.js";

export class FollowRegistry {
  private readonly byKey = new Map<string, FollowSubscription>();
  private readonly perConnection = new Map<number, number>();
  private listening = false;

  private readonly onBlock = (block: ImportedBlock) => {
    for (const f of this.live()) f.onBlock(block);
  };
  private readonly onBest = (ref: BlockRef) => {
    for (const f of this.live()) f.onBest(ref);
  };
  private readonly onFinalized = (ref: BlockRef) => {
    for (const f of this.live()) f.onFinalized(ref);
  };

  constructor(private readonly chain: Chain) {}

  /** Live subscriptions over all connections. */
  get size(): number {
    return this.byKey.size;
  }

  /** The connection's follow subscriptions. */
  count(connectionId: number): number {
    return this.perConnection.get(connectionId) ?? 0;
  }

  /** The caller's subscription `id`; undefined when it is unknown, ended, or another connection's. */
  get(ctx: RpcContext, id: string): FollowSubscription | undefined {
    return this.byKey.get(key(ctx.connectionId, id));
  }

  add(connectionId: number, follow: FollowSubscription): void {
    this.byKey.set(key(connectionId, follow.id), follow);
    this.perConnection.set(connectionId, this.count(connectionId) + 1);
    if (!this.listening) {
      this.listening = true;
      this.chain.on("block", this.onBlock);
      this.chain.on("best", this.onBest);
      this.chain.on("finalized", this.onFinalized);
    }
  }

  remove(connectionId: number, follow: FollowSubscription): void {
    const k = key(connectionId, follow.id);
    if (this.byKey.get(k) !== follow) return;
    this.byKey.delete(k);
    const n = this.count(connectionId) - 1;
    if (n > 0) this.perConnection.set(connectionId, n);
    else this.perConnection.delete(connectionId);
    if (this.byKey.size === 0 && this.listening) {
      this.listening = false;
      this.chain.off("block", this.onBlock);
      this.chain.off("best", this.onBest);
      this.chain.off("finalized", this.onFinalized);
    }
  }

  /** A copy: a subscription may end (and leave) while an event is handed round. */
  private live(): FollowSubscription[] {
    return [...this.byKey.values()];
  }
}

function key(connectionId: number, id: string): string {
  return `${connectionId}/${id}`;
}
