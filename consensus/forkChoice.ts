/**
 * Fork choice: an in-memory tree of the blocks descending from the last finalized block, and the
 * heaviest chain in it. Pure: the node feeds it imported blocks and finality.
 *
 * Weight of a chain = the number of primary (VRF-won) blocks on it, as in BABE, plus `ticketWeight`
 * (the runtime's `PoUW.TicketWeight`) per accepted PoUW ticket (DESIGN §5), plus any `extraWeight` a
 * block carries. The caller says how many tickets a block's `pouw` digest carried once the block was
 * imported (the runtime rejects a block with any invalid ticket, so an imported block's tickets all
 * count); the tree never decodes headers. A block without tickets weighs exactly what it did before
 * tickets existed. Ties go to the longer chain, then the lowest hash (byte order), so every node picks
 * the same head from the same tree. Only blocks descending from the finalized root are in the tree, so
 * no amount of work on another branch can outweigh finality.
 */
import { TensorchainError } from "../primitives/errors.js";
import { compareBytes, toHex } from "../primitives/hex.js";

export type ForkChoiceErrorType =
  | { code: "FORK_CHOICE_ERROR_UNKNOWN_PARENT"; hash: string; parentHash: string }
  | { code: "FORK_CHOICE_ERROR_BAD_NUMBER"; hash: string; number: number; parentNumber: number }
  | { code: "FORK_CHOICE_ERROR_UNKNOWN_BLOCK"; hash: string }
  /** A block's ticket count is not a non-negative integer. */
  | { code: "FORK_CHOICE_ERROR_BAD_TICKETS"; hash: string; tickets: number }
  /** The configured ticket weight is negative. */
  | { code: "FORK_CHOICE_ERROR_BAD_TICKET_WEIGHT"; ticketWeight: bigint };

export class ForkChoiceError extends TensorchainError<ForkChoiceErrorType> {}

export interface BlockId {
  hash: Uint8Array;
  number: number;
}

export interface NewBlock extends BlockId {
  parentHash: Uint8Array;
  /** A primary (VRF) slot block: adds 1 to the chain's weight. */
  primary: boolean;
  /** PoUW tickets the block carried and the runtime accepted (default 0): `ticketWeight` each. */
  tickets?: number;
  /** This block's weight per ticket (`pouw.ticket_weight` in its state); the tree's default when absent. */
  ticketWeight?: bigint;
  /** Further weight the block adds (default 0). */
  extraWeight?: bigint;
}

export interface ForkChoiceOptions {
  /** Weight of one accepted PoUW ticket (`PoUW.TicketWeight`); default `DEFAULT_TICKET_WEIGHT`. */
  ticketWeight?: bigint;
}

/** A ticket weighs as much as a primary block unless the chain says otherwise. */
export const DEFAULT_TICKET_WEIGHT = 1n;

export interface TreeBlock extends BlockId {
  parentHash: Uint8Array;
  /** Cumulative weight from the finalized root (the root's own weight included). */
  weight: bigint;
}

interface Node extends TreeBlock {
  key: string;
  parent: Node | undefined;
  children: Node[];
}

export interface TreeRoute {
  /** The last common ancestor. */
  common: BlockId;
  /** Blocks leaving the canonical chain, from `from` back to (excluding) the common ancestor. */
  retracted: BlockId[];
  /** Blocks joining it, from after the common ancestor up to `to`. */
  enacted: BlockId[];
}

export interface FinalizeResult {
  /** Newly finalized blocks, oldest first, ending with the new finalized block. */
  finalized: BlockId[];
  /** Blocks on branches that no longer descend from the finalized block, now dropped. */
  pruned: BlockId[];
}

const key = (hash: Uint8Array) => toHex(hash);
const id = (n: Node): BlockId => ({ hash: n.hash, number: n.number });

/** True when block `a` is heavier than block `b` under the fork-choice rule. */
export function heavier(a: TreeBlock, b: TreeBlock): boolean {
  if (a.weight !== b.weight) return a.weight > b.weight;
  if (a.number !== b.number) return a.number > b.number;
  return compareBytes(a.hash, b.hash) < 0;
}

export class BlockTree {
  private readonly nodes = new Map<string, Node>();
  private root: Node;
  private bestNode: Node;

  /** Weight of one accepted ticket. */
  readonly ticketWeight: bigint;

  /** `finalized` is the root; its `weight` is the chain's weight up to it (default 0). */
  constructor(finalized: BlockId & { parentHash?: Uint8Array; weight?: bigint }, opts: ForkChoiceOptions = {}) {
    this.ticketWeight = opts.ticketWeight ?? DEFAULT_TICKET_WEIGHT;
    if (this.ticketWeight < 0n)
      throw new ForkChoiceError({ code: "FORK_CHOICE_ERROR_BAD_TICKET_WEIGHT", ticketWeight: this.ticketWeight });
    this.root = {
      hash: finalized.hash,
      number: finalized.number,
      parentHash: finalized.parentHash ?? new Uint8Array(32),
      weight: finalized.weight ?? 0n,
      key: key(finalized.hash),
      parent: undefined,
      children: [],
    };
    this.nodes.set(this.root.key, this.root);
    this.bestNode = this.root;
  }

  get size(): number {
    return this.nodes.size;
  }

  /**
   * Adds a block whose parent is in the tree. Adding a known block is a no-op. Returns whether it became
   * the best block. Throws `FORK_CHOICE_ERROR_UNKNOWN_PARENT` (also for blocks on pruned branches),
   * `FORK_CHOICE_ERROR_BAD_NUMBER` or `FORK_CHOICE_ERROR_BAD_TICKETS`.
   */
  addBlock(block: NewBlock): { best: boolean } {
    const k = key(block.hash);
    if (this.nodes.has(k)) return { best: this.bestNode.key === k };
    const { parent, weight } = this.weigh(block);
    const node: Node = {
      hash: block.hash,
      number: block.number,
      parentHash: block.parentHash,
      weight,
      key: k,
      parent,
      children: [],
    };
    parent.children.push(node);
    this.nodes.set(k, node);
    if (heavier(node, this.bestNode)) {
      this.bestNode = node;
      return { best: true };
    }
    return { best: false };
  }

  /** The chain weight `block` would have in the tree (its parent must be in it); throws as `addBlock`. */
  weightOf(block: NewBlock): bigint {
    return this.weigh(block).weight;
  }

  private weigh(block: NewBlock): { parent: Node; weight: bigint } {
    const k = key(block.hash);
    const parent = this.nodes.get(key(block.parentHash));
    if (!parent) {
      throw new ForkChoiceError({
        code: "FORK_CHOICE_ERROR_UNKNOWN_PARENT",
        hash: k,
        parentHash: key(block.parentHash),
      });
    }
    if (block.number !== parent.number + 1) {
      throw new ForkChoiceError({
        code: "FORK_CHOICE_ERROR_BAD_NUMBER",
        hash: k,
        number: block.number,
        parentNumber: parent.number,
      });
    }
    const tickets = block.tickets ?? 0;
    if (!Number.isSafeInteger(tickets) || tickets < 0)
      throw new ForkChoiceError({ code: "FORK_CHOICE_ERROR_BAD_TICKETS", hash: k, tickets });
    const perTicket = block.ticketWeight ?? this.ticketWeight;
    if (perTicket < 0n)
      throw new ForkChoiceError({ code: "FORK_CHOICE_ERROR_BAD_TICKET_WEIGHT", ticketWeight: perTicket });
    const weight = parent.weight + (block.primary ? 1n : 0n) + perTicket * BigInt(tickets) + (block.extraWeight ?? 0n);
    return { parent, weight };
  }

  has(hash: Uint8Array): boolean {
    return this.nodes.has(key(hash));
  }

  get(hash: Uint8Array): TreeBlock | undefined {
    const n = this.nodes.get(key(hash));
    return n && { hash: n.hash, number: n.number, parentHash: n.parentHash, weight: n.weight };
  }

  best(): TreeBlock {
    return this.get(this.bestNode.hash)!;
  }

  finalized(): TreeBlock {
    return this.get(this.root.hash)!;
  }

  /** Blocks without children, in no particular order. */
  leaves(): TreeBlock[] {
    const out: TreeBlock[] = [];
    for (const n of this.nodes.values()) if (n.children.length === 0) out.push(this.get(n.hash)!);
    return out;
  }

  /** True when `descendant` is `ancestor` or descends from it; false when either is not in the tree. */
  isDescendant(ancestor: Uint8Array, descendant: Uint8Array): boolean {
    const a = this.nodes.get(key(ancestor));
    let d = this.nodes.get(key(descendant));
    if (!a || !d) return false;
    while (d && d.number > a.number) d = d.parent;
    return d === a;
  }

  /**
   * The hashes from `block` (included) back to `base` (excluded), newest first; `[]` when they are the
   * same block; undefined when `block` does not descend from `base` or either is unknown.
   */
  ancestry(base: Uint8Array, block: Uint8Array): Uint8Array[] | undefined {
    const b = this.nodes.get(key(base));
    let n = this.nodes.get(key(block));
    if (!b || !n) return undefined;
    const out: Uint8Array[] = [];
    while (n && n.number > b.number) {
      out.push(n.hash);
      n = n.parent;
    }
    return n === b ? out : undefined;
  }

  /** The heaviest block descending from (or equal to) `hash`. */
  bestContaining(hash: Uint8Array): TreeBlock | undefined {
    const start = this.nodes.get(key(hash));
    if (!start) return undefined;
    if (this.isDescendant(start.hash, this.bestNode.hash)) return this.best();
    let best = start;
    const stack = [start];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (heavier(n, best)) best = n;
      stack.push(...n.children);
    }
    return this.get(best.hash);
  }

  /** The reorg from `from` to `to`: what leaves and what joins the canonical chain. */
  route(from: Uint8Array, to: Uint8Array): TreeRoute {
    let a = this.require(from);
    let b = this.require(to);
    const retracted: BlockId[] = [];
    const enacted: BlockId[] = [];
    while (a.number > b.number) {
      retracted.push(id(a));
      a = a.parent!;
    }
    while (b.number > a.number) {
      enacted.push(id(b));
      b = b.parent!;
    }
    while (a !== b) {
      retracted.push(id(a));
      enacted.push(id(b));
      a = a.parent!;
      b = b.parent!;
    }
    return { common: id(a), retracted, enacted: enacted.reverse() };
  }

  /**
   * Makes `hash` the finalized root: its ancestors leave the tree as finalized, and every branch not
   * descending from it is pruned. The best block is recomputed among the remaining blocks.
   */
  setFinalized(hash: Uint8Array): FinalizeResult {
    const target = this.require(hash);
    if (target === this.root) return { finalized: [], pruned: [] };
    const finalized: BlockId[] = [];
    const onPath = new Set<Node>();
    for (let n: Node | undefined = target; n && n !== this.root; n = n.parent) {
      finalized.push(id(n));
      onPath.add(n);
    }
    finalized.reverse();
    const pruned: BlockId[] = [];
    // Everything reachable from the old root except the new root's subtree and the path to it.
    const stack = [this.root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n === target) continue;
      if (!onPath.has(n) && n !== this.root) pruned.push(id(n));
      this.nodes.delete(n.key);
      stack.push(...n.children);
    }
    target.parent = undefined;
    this.root = target;
    if (!this.isDescendant(target.hash, this.bestNode.hash)) {
      let best = target;
      for (const n of this.nodes.values()) if (heavier(n, best)) best = n;
      this.bestNode = best;
    }
    return { finalized, pruned };
  }

  private require(hash: Uint8Array): Node {
    const n = this.nodes.get(key(hash));
    if (!n) throw new ForkChoiceError({ code: "FORK_CHOICE_ERROR_UNKNOWN_BLOCK", hash: key(hash) });
    return n;
  }
}
