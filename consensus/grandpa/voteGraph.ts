/**
 * The votes of one round and phase as a tree of blocks above the base (the last finalized block):
 * each block carries the voters whose target is it or one of its descendants, counted once each even
 * when they equivocated. `ghost` walks it for g(S), the highest block with supermajority support.
 */
import { compareBytes, toHex } from "../../primitives/hex.js";
import type { BlockId, SignedVote } from "./messages.js";
import type { VoterChain } from "./voterChain.js";
import type { VoterSet } from "./voterSet.js";

export interface GraphNode {
  id: BlockId;
  children: Set<string>;
  voters: Set<number>;
}

export interface VoteGraph {
  nodes: Map<string, GraphNode>;
  baseKey: string;
  /** Distinct voters with at least one vote for a known block. */
  voted: Set<number>;
}

export function buildVoteGraph(chain: VoterChain, base: BlockId, votes: Map<number, SignedVote[]>): VoteGraph {
  const baseKey = toHex(base.hash);
  const nodes = new Map<string, GraphNode>([[baseKey, { id: base, children: new Set(), voters: new Set() }]]);
  const voted = new Set<number>();
  for (const [idx, vs] of votes) {
    for (const v of vs) {
      const path = chain.ancestry(base.hash, v.target.hash);
      if (path === undefined || v.target.number !== base.number + path.length) {
        // Known and not on the base's chain: the vote counts as cast but supports nothing here.
        if (chain.header(v.target.hash)) voted.add(idx);
        continue;
      }
      voted.add(idx);
      nodes.get(baseKey)!.voters.add(idx);
      let parentKey = baseKey;
      for (let i = path.length - 1; i >= 0; i--) {
        const key = toHex(path[i]!);
        let node = nodes.get(key);
        if (!node) {
          node = { id: { hash: path[i]!, number: v.target.number - i }, children: new Set(), voters: new Set() };
          nodes.set(key, node);
        }
        nodes.get(parentKey)!.children.add(key);
        node.voters.add(idx);
        parentKey = key;
      }
    }
  }
  return { nodes, baseKey, voted };
}

/**
 * The highest block with support ≥ the threshold, or undefined when even the base lacks it. Among
 * children above the threshold the heaviest is followed, the lowest hash on a tie.
 */
export function ghost(graph: VoteGraph, voters: VoterSet): BlockId | undefined {
  let cur = graph.nodes.get(graph.baseKey)!;
  if (voters.weightOf(cur.voters) < voters.threshold) return undefined;
  for (;;) {
    let next: GraphNode | undefined;
    let nextWeight = 0n;
    for (const k of cur.children) {
      const child = graph.nodes.get(k)!;
      const w = voters.weightOf(child.voters);
      if (w < voters.threshold) continue;
      if (!next || w > nextWeight || (w === nextWeight && compareBytes(child.id.hash, next.id.hash) < 0)) {
        next = child;
        nextWeight = w;
      }
    }
    if (!next) return cur.id;
    cur = next;
  }
}
