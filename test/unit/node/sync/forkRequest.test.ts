/**
 * A block that a finality message names and the node lacks (a fork block authored during a partition):
 * sync asks the sender for it and its missing ancestors and imports them oldest first; a sender that
 * cannot serve it (it may only have relayed the vote) is not reported.
 */
import { describe, expect, it } from "@jest/globals";
import { hashHeader } from "../../../../consensus/header.js";
import type { Chain } from "../../../../node/chain/chain.js";
import type { Block } from "../../../../node/chain/types.js";
import type { BlockImporter } from "../../../../node/network/blockImport.js";
import { SyncService } from "../../../../node/sync/index.js";
import type { BlockData, BlocksRequest, P2pHost, PeerReport } from "../../../../p2p/index.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { Header } from "../../../../primitives/types.js";
import { joinExtrinsics } from "../../../../runtime/index.js";

const KNOWN = new Uint8Array(32).fill(7);

function block(parentHash: Uint8Array, number: number): Block {
  return {
    header: {
      parentHash,
      number,
      stateRoot: new Uint8Array(32),
      extrinsicsRoot: new Uint8Array(32),
      digest: { logs: [] },
    },
    extrinsics: [],
  };
}

function data(b: Block): BlockData {
  return { hash: hashHeader(b.header), header: Header.enc(b.header), body: joinExtrinsics(b.extrinsics) };
}

function setup(answer: BlockData[], known: Uint8Array[] = []) {
  const reports: PeerReport[] = [];
  const handlers = new Map<string, (event: unknown) => void>();
  const requests: BlocksRequest[] = [];
  const imported: number[] = [];
  const host = {
    requestBlocks: async (_peer: string, req: BlocksRequest) => {
      requests.push(req);
      return answer;
    },
    reportPeer: (_peer: string, report: PeerReport) => {
      reports.push(report);
      return -1;
    },
    peers: () => [],
    on: (event: string, handler: (event: unknown) => void) => {
      handlers.set(event, handler);
      return () => {};
    },
  } as unknown as P2pHost;
  const importer = {
    has: async (hash: Uint8Array) => hash.every((x, i) => x === KNOWN[i]),
    import: async (b: Block) => {
      imported.push(b.header.number);
      return { status: "imported" as const };
    },
  } as unknown as BlockImporter;
  const chain = {
    best: { number: 10 },
    finalized: { number: 4 },
    blockTree: { has: (hash: Uint8Array) => known.some((k) => k.every((x, i) => x === hash[i])) },
  } as unknown as Chain;
  const sync = new SyncService(
    { batch: 16, statusIntervalMs: 60_000, syncingThreshold: 5, progressIntervalMs: 60_000 },
    { chain, host, importer, logger: nullLogger },
  );
  /** A peer's status (handshake or refresh) with this best block. */
  const status = (best: { hash: Uint8Array; number: number }) =>
    handlers.get("peer:status")!({ peer: { peerId: "peer", best, finalized: { hash: KNOWN, number: 4 } } });
  return { sync, reports, requests, imported, status };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe("sync: blocks named by finality messages", () => {
  it("fetches the block and its missing ancestors from the sender, oldest first", async () => {
    const b6 = block(KNOWN, 6);
    const b7 = block(hashHeader(b6.header), 7);
    const b8 = block(hashHeader(b7.header), 8);
    const { sync, requests, imported, reports } = setup([data(b8), data(b7), data(b6)]);
    sync.start();
    sync.requestFork("voter", { hash: hashHeader(b8.header), number: 8 });
    await settle();
    await sync.stop();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.from).toEqual(hashHeader(b8.header));
    expect(requests[0]!.direction).toBe("descending");
    expect(imported).toEqual([6, 7, 8]);
    expect(reports).toEqual([]);
  });

  it("does not report a sender that cannot serve it, nor ask for blocks at or below the finalized one", async () => {
    const { sync, requests, reports, imported } = setup([]);
    sync.start();
    sync.requestFork("relay", { hash: new Uint8Array(32).fill(3), number: 9 });
    sync.requestFork("relay", { hash: new Uint8Array(32).fill(4), number: 4 });
    await settle();
    await sync.stop();
    expect(requests).toHaveLength(1);
    expect(reports).toEqual([]);
    expect(imported).toEqual([]);
  });

  it("fetches a peer's best block that it lacks at or below its own height (a fork as long as its own)", async () => {
    const b9 = block(KNOWN, 9);
    const b10 = block(hashHeader(b9.header), 10);
    const ours = new Uint8Array(32).fill(9);
    const { sync, requests, imported, status } = setup([data(b10), data(b9)], [ours]);
    sync.start();
    status({ hash: hashHeader(b10.header), number: 10 });
    await settle();
    // A best block it has already, or one at the finalized height, asks for nothing.
    status({ hash: ours, number: 10 });
    status({ hash: new Uint8Array(32).fill(5), number: 4 });
    await settle();
    await sync.stop();
    expect(requests.map((r) => [r.from, r.direction])).toEqual([[hashHeader(b10.header), "descending"]]);
    expect(imported).toEqual([9, 10]);
  });
});
