/** Substrate-style periodic status line: `💤 Idle (3 peers), best: #12 (0x1234…abcd), finalized #12 (…)`. */
import type { Logger } from "../primitives/logger.js";
import type { Chain } from "./chain/chain.js";
import type { TxPool } from "./txpool/index.js";

const short = (hex: string) => `${hex.slice(0, 6)}…${hex.slice(-4)}`;

export class Informant {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: { intervalMs: number },
    private readonly modules: {
      chain: Chain;
      pool: TxPool;
      peerCount: () => number;
      isSyncing: () => boolean;
      logger: Logger;
    },
  ) {}

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => this.display(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  display(): void {
    const { chain, pool, logger } = this.modules;
    const s = pool.status();
    const peers = this.modules.peerCount();
    logger.info(
      `${this.modules.isSyncing() ? "⚙️  Syncing" : "💤 Idle"} (${peers} peer${peers === 1 ? "" : "s"}), best: #${chain.best.number} (${short(chain.best.hashHex)}), finalized #${chain.finalized.number} (${short(chain.finalized.hashHex)}), txpool: ${s.ready} ready, ${s.future} future`,
    );
  }
}
