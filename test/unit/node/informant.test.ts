/** The informant's status line: idle, and while syncing the block rate and the time left to the target. */
import { describe, expect, it } from "@jest/globals";
import type { Chain } from "../../../node/chain/chain.js";
import { formatDuration, formatRate, Informant, syncStatus } from "../../../node/informant.js";
import type { TxPool } from "../../../node/txpool/index.js";
import type { Logger } from "../../../primitives/logger.js";
import { pouwDigestItem } from "../../../primitives/pouw.js";
import type { DigestItemValue } from "../../../primitives/types.js";

describe("sync rate and time left", () => {
  it("formats the rate with one decimal, in blocks per second", () => {
    expect(formatRate(0)).toBe("0.0 bps");
    expect(formatRate(85.24)).toBe("85.2 bps");
    expect(formatRate(1234.56)).toBe("1234.6 bps");
  });

  it("formats a duration to its two largest units", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(44.6)).toBe("45s");
    expect(formatDuration(59.4)).toBe("59s");
    expect(formatDuration(60)).toBe("1m 00s");
    expect(formatDuration(395)).toBe("6m 35s");
    expect(formatDuration(3600)).toBe("1h 00m");
    expect(formatDuration(2 * 3600 + 5 * 60 + 59)).toBe("2h 05m");
    expect(formatDuration(3 * 86400 + 4 * 3600 + 1)).toBe("3d 04h");
    expect(formatDuration(-5)).toBe("0s");
  });

  it("rate = blocks imported since the previous sample per second; time left = blocks to go at that rate", () => {
    // 500 blocks in 5 s: 100 bps; 4350 blocks to go: 43.5 s.
    expect(syncStatus(5000, { atMs: 15_000, best: 650 }, { atMs: 10_000, best: 150 })).toBe(
      "Syncing 100.0 bps, target=#5000, 44s left",
    );
    // 12 blocks in 5 s with 20 000 to go: 2.4 bps, 8333 s.
    expect(syncStatus(20_100, { atMs: 5000, best: 100 }, { atMs: 0, best: 88 })).toBe(
      "Syncing 2.4 bps, target=#20100, 2h 18m left",
    );
  });

  it("has no rate on the first line, and no time left when nothing was imported", () => {
    expect(syncStatus(5000, { atMs: 0, best: 10 })).toBe("Syncing, target=#5000");
    expect(syncStatus(5000, { atMs: 5000, best: 10 }, { atMs: 0, best: 10 })).toBe("Syncing 0.0 bps, target=#5000");
    // A reorg to a lower best is not a negative rate.
    expect(syncStatus(5000, { atMs: 5000, best: 8 }, { atMs: 0, best: 10 })).toBe("Syncing 0.0 bps, target=#5000");
  });
});

describe("Informant", () => {
  function informant(state: {
    best: number;
    syncing: boolean;
    target?: number;
    now: number;
    logs?: DigestItemValue[];
  }) {
    const ref = (n: number) => ({
      number: n,
      hashHex: `0x${n.toString(16).padStart(64, "0")}`,
      header: { digest: { logs: state.logs ?? [] } },
    });
    const chain = {
      get best() {
        return ref(state.best);
      },
      get finalized() {
        return ref(Math.max(0, state.best - 2));
      },
    } as unknown as Chain;
    const pool = { status: () => ({ ready: 1, future: 0 }) } as unknown as TxPool;
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m) } as unknown as Logger;
    const inf = new Informant(
      { intervalMs: 5000, now: () => state.now },
      {
        chain,
        pool,
        peerCount: () => 3,
        isSyncing: () => state.syncing,
        syncTarget: () => state.target ?? state.best,
        logger,
      },
    );
    return { inf, lines };
  }

  it("shows blocks/s and the time left while syncing, and the idle line once caught up", () => {
    const state = { best: 100, syncing: true, target: 1100, now: 0 };
    const { inf, lines } = informant(state);
    inf.display();
    expect(lines[0]).toMatch(/^⚙️ {2}Syncing, target=#1100 \(3 peers\), best: #100 \(0x0000…0064\), finalized #98/);
    state.best = 350;
    state.now = 5000;
    inf.display();
    expect(lines[1]).toMatch(/^⚙️ {2}Syncing 50\.0 bps, target=#1100, 15s left \(3 peers\), best: #350 /);
    state.best = 1100;
    state.syncing = false;
    state.now = 10_000;
    inf.display();
    expect(lines[2]).toMatch(/^💤 Idle \(3 peers\), best: #1100 .*txpool: 1 ready, 0 future$/);
  });

  it("ends with the best block's PoUW ticket count when it carries tickets", () => {
    const ticket = (leaf: number) => ({
      job_id: 1n,
      worker: new Uint8Array(32),
      leaf,
      leaf_hash: new Uint8Array(32),
      vrf_output: new Uint8Array(32),
      vrf_proof: new Uint8Array(64),
    });
    const state = { best: 5, syncing: false, now: 0, logs: [pouwDigestItem([ticket(1), ticket(2), ticket(3)])] };
    const { inf, lines } = informant(state);
    inf.display();
    expect(lines[0]).toMatch(/txpool: 1 ready, 0 future, pouw: 3 tickets$/);
    state.logs = [pouwDigestItem([ticket(1)])];
    inf.display();
    expect(lines[1]).toMatch(/, pouw: 1 ticket$/);
    state.logs = [];
    inf.display();
    expect(lines[2]).toMatch(/0 future$/);
  });
});
