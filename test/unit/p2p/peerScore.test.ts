import { describe, expect, it } from "@jest/globals";
import { defaultP2pOptions } from "../../../p2p/options.js";
import { defaultReputationChanges, PeerScoreStore, REPUTATION_MIN } from "../../../p2p/peerScore.js";

function store(banDurationMs = 10_000) {
  const clock = { now: 1_000_000 };
  const scores = new PeerScoreStore({
    banThreshold: defaultP2pOptions.banThreshold,
    banDurationMs,
    decayPerSecond: defaultP2pOptions.reputationDecayPerSecond,
    now: () => clock.now,
  });
  return { scores, clock };
}

describe("peer reputation", () => {
  it("applies costs and benefits, clamped to the i32 range", () => {
    const { scores } = store();
    expect(scores.score("a")).toBe(0);
    expect(scores.apply("a", { kind: "invalidMessage" }).score).toBe(-(1 << 12));
    expect(scores.apply("a", { kind: "custom", value: 100 }).score).toBe(-(1 << 12) + 100);
    scores.apply("b", { kind: "genesisMismatch" });
    scores.apply("b", { kind: "genesisMismatch" });
    expect(scores.score("b")).toBe(REPUTATION_MIN);
  });

  it("decays towards zero by 1/50 a second", () => {
    const { scores, clock } = store();
    scores.apply("a", { kind: "custom", value: -100_000 });
    clock.now += 1000;
    expect(scores.score("a")).toBe(-98_000);
    clock.now += 60_000;
    expect(scores.score("a")).toBeGreaterThan(-30_000);
  });

  it("bans below the threshold for the ban period, then lets the peer back at half the threshold", () => {
    const { scores, clock } = store(10_000);
    expect(scores.apply("a", { kind: "invalidBlock" }).banned).toBe(false);
    expect(scores.apply("a", { kind: "invalidBlock" }).banned).toBe(false);
    const third = scores.apply("a", { kind: "invalidBlock" });
    expect(third.banned).toBe(true);
    expect(third.score).toBe(3 * defaultReputationChanges.invalidBlock);
    expect(scores.isBanned("a")).toBe(true);
    expect(scores.bannedUntil("a")).toBe(clock.now + 10_000);
    // Further reports while banned do not extend the ban.
    expect(scores.apply("a", { kind: "invalidBlock" }).banned).toBe(false);
    clock.now += 9_999;
    expect(scores.isBanned("a")).toBe(true);
    clock.now += 1;
    expect(scores.isBanned("a")).toBe(false);
    expect(scores.score("a")).toBeLessThan(0);
    expect(scores.score("a")).toBeGreaterThanOrEqual(defaultP2pOptions.banThreshold / 2);
  });

  it("never bans protected (reserved) peers", () => {
    const { scores } = store();
    scores.protect("r");
    expect(scores.apply("r", { kind: "badProtocol" }).banned).toBe(false);
    expect(scores.isBanned("r")).toBe(false);
    expect(scores.score("r")).toBe(REPUTATION_MIN);
  });

  it("prunes peers whose score decayed to nothing", () => {
    const { scores, clock } = store();
    scores.apply("a", { kind: "goodMessage" });
    clock.now += 3_600_000;
    scores.prune();
    expect(scores.score("a")).toBe(0);
  });
});
