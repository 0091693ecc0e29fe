/**
 * `FollowSubscription` on a stand-in chain: what a real chain cannot show yet (the runtime never changes
 * in tensorchain), `newRuntime` when a block's `:code` differs from its parent's, and `stop` on a gap.
 */
import { describe, expect, it } from "@jest/globals";
import type { Chain } from "../../../../node/chain/chain.js";
import type { BlockRef, ImportedBlock } from "../../../../node/chain/types.js";
import { FollowSubscription } from "../../../../node/rpc/methods/chainHead/followSubscription.js";
import { defaultChainHeadOptions } from "../../../../node/rpc/methods/chainHead/options.js";
import { runtimeSpecJson } from "../../../../node/rpc/methods/chainHead/runtimeSpec.js";
import type { SubscriptionSink } from "../../../../node/rpc/server/index.js";
import { toHex } from "../../../../primitives/hex.js";
import type { HeaderValue } from "../../../../primitives/types.js";
import type { Json } from "./helpers.js";

function ref(n: number, parent: number): BlockRef & ImportedBlock {
  const hash = new Uint8Array(32).fill(n);
  const header = { parentHash: new Uint8Array(32).fill(parent), number: n } as unknown as HeaderValue;
  return { hash, hashHex: toHex(hash), number: n, header } as unknown as BlockRef & ImportedBlock;
}

/** Blocks 1.. on genesis 0, with the `:code` each one's state holds (undefined: state not in memory). */
function standIn(codes: Map<number, string | undefined>) {
  const genesis = ref(0, 0);
  const chain = {
    finalized: genesis,
    best: genesis,
    blockTree: { finalized: () => ({ ...genesis, parentHash: genesis.hash }), leaves: () => [] },
    runtimeInMemory: (hash: Uint8Array) => {
      const code = codes.get(hash[0]);
      return code === undefined ? undefined : { storage: () => new TextEncoder().encode(code) };
    },
  } as unknown as Chain;
  const events: Json[] = [];
  const sink: SubscriptionSink<unknown> & { closed: boolean } = {
    id: "sub",
    closed: false,
    next: (e: Json) => events.push(e),
    close() {
      sink.closed = true;
    },
    error() {},
  };
  return { chain, events, sink };
}

describe("FollowSubscription", () => {
  it("reports newRuntime exactly for the blocks whose :code differs from their parent's", () => {
    const codes = new Map<number, string | undefined>([
      [0, "v1"],
      [1, "v1"],
      [2, "v2"],
      [3, "v2"],
      [4, undefined], // state not at hand: taken as its parent's runtime
      [5, "v3"],
    ]);
    const { chain, events, sink } = standIn(codes);
    const follow = new FollowSubscription(sink, true, chain, defaultChainHeadOptions);
    follow.start();
    for (let n = 1; n <= 5; n++) follow.onBlock(ref(n, n - 1));
    const news = events.filter((e) => e.event === "newBlock").map((e) => e.newRuntime);
    expect(news).toEqual([null, runtimeSpecJson(), null, null, runtimeSpecJson()]);
  });

  it("stops on a block whose parent it never reported", () => {
    const { chain, events, sink } = standIn(new Map([[0, "v1"]]));
    const follow = new FollowSubscription(sink, false, chain, defaultChainHeadOptions);
    follow.start();
    follow.onBlock(ref(7, 6));
    expect(events.at(-1)).toEqual({ event: "stop" });
    expect(sink.closed).toBe(true);
    follow.onBlock(ref(1, 0));
    expect(events.at(-1)).toEqual({ event: "stop" });
  });
});
