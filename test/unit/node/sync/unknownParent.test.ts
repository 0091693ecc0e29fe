/**
 * A gossiped block whose parent we lack: sync asks the sender for the ancestors, and a sender that
 * cannot serve the parent is reported with a typed reason (it gossiped a block it cannot back).
 */
import { describe, expect, it } from "@jest/globals";
import type { Chain } from "../../../../node/chain/chain.js";
import type { Block } from "../../../../node/chain/types.js";
import type { BlockImporter } from "../../../../node/network/blockImport.js";
import { SyncService } from "../../../../node/sync/index.js";
import type { BlockData, P2pHost, PeerReport } from "../../../../p2p/index.js";
import { nullLogger } from "../../../../primitives/logger.js";

const PARENT = new Uint8Array(32).fill(7);

function gossipedBlock(): Block {
  return {
    header: {
      parentHash: PARENT,
      number: 6,
      stateRoot: new Uint8Array(32),
      extrinsicsRoot: new Uint8Array(32),
      digest: { logs: [] },
    },
    extrinsics: [],
  };
}

function setup(answer: BlockData[]) {
  const reports: Array<{ peer: string; report: PeerReport }> = [];
  const imports: Block[] = [];
  const host = {
    requestBlocks: async () => answer,
    reportPeer: (peer: string, report: PeerReport) => {
      reports.push({ peer, report });
      return -1;
    },
    peers: () => [],
    on: () => () => {},
  } as unknown as P2pHost;
  const importer = {
    has: async () => false,
    import: async (block: Block) => {
      imports.push(block);
      return { status: "unknownParent" as const };
    },
  } as unknown as BlockImporter;
  const chain = { best: { number: 5 } } as unknown as Chain;
  const sync = new SyncService(
    { batch: 16, statusIntervalMs: 60_000, syncingThreshold: 5, progressIntervalMs: 60_000 },
    { chain, host, importer, logger: nullLogger },
  );
  return { sync, reports, imports };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe("sync: unknown parent", () => {
  it("reports a sender that cannot serve the parent of its block", async () => {
    const { sync, reports, imports } = setup([]);
    sync.start();
    sync.onUnknownParent("rogue", gossipedBlock());
    await settle();
    await sync.stop();
    expect(reports).toEqual([
      { peer: "rogue", report: { kind: "invalidBlock", reason: "BLOCK_ERROR_UNKNOWN_PARENT" } },
    ]);
    expect(imports).toEqual([]);
  });

  it("reports a sender that answers with some other block", async () => {
    const { sync, reports } = setup([{ hash: new Uint8Array(32).fill(9) }]);
    sync.start();
    sync.onUnknownParent("rogue", gossipedBlock());
    await settle();
    await sync.stop();
    expect(reports.map((r) => r.report.reason)).toEqual(["BLOCK_ERROR_UNKNOWN_PARENT"]);
  });
});
