import { describe, expect, it } from "@jest/globals";
import { BlockTree, ForkChoiceError, type NewBlock } from "../../../consensus/forkChoice.js";
import { toHex } from "../../../primitives/hex.js";
import { thrownCode } from "../../helpers/errors.js";
import { fixedBytes } from "./helpers.js";

const forkChoiceCode = (f: () => unknown) => thrownCode(f, ForkChoiceError);

const h = (name: string) => fixedBytes(name);
const hx = (b: { hash: Uint8Array }) => toHex(b.hash);

/** Builds blocks named by path: "a1" child of genesis "g", etc. */
function block(name: string, parent: string, number: number, primary: boolean): NewBlock {
  return { hash: h(name), parentHash: h(parent), number, primary };
}

describe("fork choice", () => {
  it("prefers the heavier chain (more primary blocks) over the longer one", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    // Long chain: 1 primary and 3 secondary blocks. Short chain: 2 primary blocks.
    tree.addBlock(block("l1", "g", 1, true));
    tree.addBlock(block("l2", "l1", 2, false));
    tree.addBlock(block("l3", "l2", 3, false));
    tree.addBlock(block("l4", "l3", 4, false));
    expect(hx(tree.best())).toBe(toHex(h("l4")));
    tree.addBlock(block("s1", "g", 1, true));
    expect(hx(tree.best())).toBe(toHex(h("l4")));
    expect(tree.addBlock(block("s2", "s1", 2, true)).best).toBe(true);
    expect(hx(tree.best())).toBe(toHex(h("s2")));
    expect(tree.best().weight).toBe(2n);
  });

  it("breaks weight ties by length, then by the lowest hash", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    tree.addBlock(block("a1", "g", 1, true));
    tree.addBlock(block("b1", "g", 1, true));
    tree.addBlock(block("b2", "b1", 2, false));
    expect(hx(tree.best())).toBe(toHex(h("b2")));
    tree.addBlock(block("c1", "a1", 2, false));
    const lower = Buffer.compare(h("b2"), h("c1")) < 0 ? "b2" : "c1";
    expect(hx(tree.best())).toBe(toHex(h(lower)));
  });

  it("prunes branches that do not descend from the finalized block", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    tree.addBlock(block("a1", "g", 1, false));
    tree.addBlock(block("a2", "a1", 2, true));
    tree.addBlock(block("a3", "a2", 3, true));
    tree.addBlock(block("b1", "g", 1, true));
    tree.addBlock(block("b2", "b1", 2, true));
    tree.addBlock(block("b3", "b2", 3, true)); // heaviest: weight 3
    tree.addBlock(block("c2", "a1", 2, false));
    expect(hx(tree.best())).toBe(toHex(h("b3")));

    const { finalized, pruned } = tree.setFinalized(h("a2"));
    expect(finalized.map(hx)).toEqual([toHex(h("a1")), toHex(h("a2"))]);
    expect(pruned.map(hx).sort()).toEqual([h("b1"), h("b2"), h("b3"), h("c2")].map(toHex).sort());
    expect(hx(tree.best())).toBe(toHex(h("a3")));
    expect(hx(tree.finalized())).toBe(toHex(h("a2")));
    expect(tree.has(h("b3"))).toBe(false);
    expect(tree.has(h("g"))).toBe(false);
    expect(tree.size).toBe(2);
    // Blocks on pruned branches can no longer be added.
    expect(forkChoiceCode(() => tree.addBlock(block("b4", "b3", 4, true)))).toBe("FORK_CHOICE_ERROR_UNKNOWN_PARENT");
  });

  it("computes reorg routes and ancestry", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    tree.addBlock(block("a1", "g", 1, false));
    tree.addBlock(block("a2", "a1", 2, false));
    tree.addBlock(block("a3", "a2", 3, false));
    tree.addBlock(block("b2", "a1", 2, true));
    tree.addBlock(block("b3", "b2", 3, false));
    tree.addBlock(block("b4", "b3", 4, false));
    const route = tree.route(h("a3"), h("b4"));
    expect(hx(route.common)).toBe(toHex(h("a1")));
    expect(route.retracted.map(hx)).toEqual([h("a3"), h("a2")].map(toHex));
    expect(route.enacted.map(hx)).toEqual([h("b2"), h("b3"), h("b4")].map(toHex));
    const forward = tree.route(h("a1"), h("a3"));
    expect(forward.retracted).toEqual([]);
    expect(forward.enacted.map(hx)).toEqual([h("a2"), h("a3")].map(toHex));

    expect(tree.isDescendant(h("a1"), h("b4"))).toBe(true);
    expect(tree.isDescendant(h("a2"), h("b4"))).toBe(false);
    expect(tree.isDescendant(h("b4"), h("b4"))).toBe(true);
    expect(tree.ancestry(h("a1"), h("b4"))?.map(toHex)).toEqual([h("b4"), h("b3"), h("b2")].map(toHex));
    expect(tree.ancestry(h("a2"), h("b4"))).toBeUndefined();
    expect(hx(tree.bestContaining(h("a2"))!)).toBe(toHex(h("a3")));
    expect(hx(tree.bestContaining(h("g"))!)).toBe(toHex(h("b4")));
    expect(tree.leaves().map(hx).sort()).toEqual([h("a3"), h("b4")].map(toHex).sort());
  });

  it("rejects blocks with unknown parents or wrong numbers, and accepts duplicates", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    expect(forkChoiceCode(() => tree.addBlock(block("x", "nope", 1, true)))).toBe("FORK_CHOICE_ERROR_UNKNOWN_PARENT");
    expect(forkChoiceCode(() => tree.addBlock(block("x", "g", 2, true)))).toBe("FORK_CHOICE_ERROR_BAD_NUMBER");
    tree.addBlock(block("x", "g", 1, true));
    expect(tree.addBlock(block("x", "g", 1, true)).best).toBe(true);
    expect(tree.size).toBe(2);
    expect(forkChoiceCode(() => tree.setFinalized(h("nope")))).toBe("FORK_CHOICE_ERROR_UNKNOWN_BLOCK");
  });

  it("counts extra weight (useful work) in the chain weight", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    tree.addBlock({ ...block("w1", "g", 1, false), extraWeight: 3n });
    tree.addBlock(block("p1", "g", 1, true));
    tree.addBlock(block("p2", "p1", 2, true));
    expect(hx(tree.best())).toBe(toHex(h("w1")));
  });
});

describe("fork choice with PoUW tickets", () => {
  const withTickets = (name: string, parent: string, number: number, primary: boolean, tickets: number): NewBlock => ({
    ...block(name, parent, number, primary),
    tickets,
  });

  it("a shorter fork with more work beats a longer fork with none", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 }, { ticketWeight: 2n });
    // Long fork: 4 primary blocks, no tickets (weight 4).
    for (let i = 1; i <= 4; i++) tree.addBlock(block(`l${i}`, i === 1 ? "g" : `l${i - 1}`, i, true));
    expect(tree.best().weight).toBe(4n);
    // Short fork: 2 primary blocks, the second carrying 1 ticket: 2 + 2 = 4, a tie the longer fork wins.
    tree.addBlock(block("s1", "g", 1, true));
    expect(tree.addBlock(withTickets("s2", "s1", 2, true, 1)).best).toBe(false);
    expect(tree.get(h("s2"))!.weight).toBe(4n);
    expect(hx(tree.best())).toBe(toHex(h("l4")));
    // One more ticket on a (secondary) third block: 2 + 2 + 2 = 6 > 4.
    expect(tree.addBlock(withTickets("s3", "s2", 3, false, 1)).best).toBe(true);
    expect(hx(tree.best())).toBe(toHex(h("s3")));
    expect(tree.best().weight).toBe(6n);
    const route = tree.route(h("l4"), h("s3"));
    expect(route.retracted.map(hx)).toEqual([h("l4"), h("l3"), h("l2"), h("l1")].map(toHex));
    expect(route.enacted.map(hx)).toEqual([h("s1"), h("s2"), h("s3")].map(toHex));
  });

  it("weighs each ticket TicketWeight, defaulting to one primary block", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    expect(tree.ticketWeight).toBe(1n);
    tree.addBlock(withTickets("a1", "g", 1, true, 3));
    tree.addBlock({ ...withTickets("a2", "a1", 2, false, 2), extraWeight: 5n });
    expect(tree.get(h("a1"))!.weight).toBe(4n);
    expect(tree.get(h("a2"))!.weight).toBe(11n);
    const heavy = new BlockTree({ hash: h("g"), number: 0, weight: 10n }, { ticketWeight: 1000n });
    heavy.addBlock(withTickets("a1", "g", 1, false, 7));
    expect(heavy.get(h("a1"))!.weight).toBe(7010n);
    // A ticket weight of 0 turns tickets off: the rule before PoUW.
    const off = new BlockTree({ hash: h("g"), number: 0 }, { ticketWeight: 0n });
    off.addBlock(withTickets("t1", "g", 1, false, 50));
    off.addBlock(block("p1", "g", 1, true));
    expect(hx(off.best())).toBe(toHex(h("p1")));
  });

  it("a block's own ticket weight (the knob in its state) overrides the tree's; weightOf is what addBlock assigns", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    const a1 = { ...withTickets("a1", "g", 1, true, 3), ticketWeight: 5n };
    expect(tree.weightOf(a1)).toBe(16n);
    tree.addBlock(a1);
    expect(tree.get(h("a1"))!.weight).toBe(16n);
    // The next block goes back to the default (governance set the knob back).
    const a2 = withTickets("a2", "a1", 2, false, 2);
    expect(tree.weightOf(a2)).toBe(18n);
    tree.addBlock(a2);
    expect(tree.get(h("a2"))!.weight).toBe(18n);
    expect(() => tree.weightOf(withTickets("x", "nope", 1, true, 0))).toThrow(ForkChoiceError);
    expect(() => tree.weightOf({ ...withTickets("x", "g", 1, true, 1), ticketWeight: -1n })).toThrow(ForkChoiceError);
  });

  it("never across finality: work on a pruned branch cannot win, and finality moves the head off it", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    tree.addBlock(block("a1", "g", 1, true));
    tree.addBlock(block("a2", "a1", 2, false));
    tree.addBlock(withTickets("b1", "g", 1, true, 5));
    tree.addBlock(withTickets("b2", "b1", 2, true, 5));
    expect(hx(tree.best())).toBe(toHex(h("b2")));
    // GRANDPA finalized a1 (votes cast before the tickets were seen): b's work no longer counts.
    const { pruned } = tree.setFinalized(h("a1"));
    expect(pruned.map(hx).sort()).toEqual([h("b1"), h("b2")].map(toHex).sort());
    expect(hx(tree.best())).toBe(toHex(h("a2")));
    expect(tree.bestContaining(h("a1"))!.hash).toEqual(h("a2"));
    expect(forkChoiceCode(() => tree.addBlock(withTickets("b3", "b2", 3, true, 1_000_000)))).toBe(
      "FORK_CHOICE_ERROR_UNKNOWN_PARENT",
    );
    expect(hx(tree.best())).toBe(toHex(h("a2")));
    // Work after the finalized block does count.
    tree.addBlock(block("c2", "a1", 2, false));
    expect(tree.addBlock(withTickets("c3", "c2", 3, false, 1)).best).toBe(true);
  });

  it("ties behave as without tickets: the longer chain, then the lowest hash", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    tree.addBlock(withTickets("x1", "g", 1, false, 2));
    tree.addBlock(block("y1", "g", 1, true));
    tree.addBlock(block("y2", "y1", 2, true));
    // Weight 2 each; y is longer.
    expect(hx(tree.best())).toBe(toHex(h("y2")));
    tree.addBlock(block("x2", "x1", 2, false));
    const lower = Buffer.compare(h("x2"), h("y2")) < 0 ? "x2" : "y2";
    expect(hx(tree.best())).toBe(toHex(h(lower)));
    // Zero tickets is the same as none.
    const a = new BlockTree({ hash: h("g"), number: 0 });
    const b = new BlockTree({ hash: h("g"), number: 0 });
    a.addBlock(withTickets("z1", "g", 1, true, 0));
    b.addBlock(block("z1", "g", 1, true));
    expect(a.best()).toEqual(b.best());
  });

  it("rejects a bad ticket count or ticket weight", () => {
    const tree = new BlockTree({ hash: h("g"), number: 0 });
    expect(forkChoiceCode(() => tree.addBlock(withTickets("n1", "g", 1, true, -1)))).toBe(
      "FORK_CHOICE_ERROR_BAD_TICKETS",
    );
    expect(forkChoiceCode(() => tree.addBlock(withTickets("n1", "g", 1, true, 1.5)))).toBe(
      "FORK_CHOICE_ERROR_BAD_TICKETS",
    );
    expect(tree.has(h("n1"))).toBe(false);
    expect(forkChoiceCode(() => new BlockTree({ hash: h("g"), number: 0 }, { ticketWeight: -1n }))).toBe(
      "FORK_CHOICE_ERROR_BAD_TICKET_WEIGHT",
    );
  });
});
