/**
 * The metrics hooks in the services, on a real chain: the proposer times the block it builds, the
 * network BlockImporter times the import of that block on a second chain, and the chain heights,
 * leaves and ready count read at scrape time follow. BABE checks are stubbed (no BABE pre-digest here).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { propose } from "../../../../node/authoring/proposer.js";
import type { BabeVerifier } from "../../../../node/chain/babeVerifier.js";
import { Chain } from "../../../../node/chain/chain.js";
import { ChainDb } from "../../../../node/db/chainDb.js";
import { NodeMetrics } from "../../../../node/metrics/index.js";
import { BlockImporter } from "../../../../node/network/blockImport.js";
import { defaultSignatureChecker } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { buildGenesisStorage } from "../../../../runtime/index.js";
import { Scrape } from "../../../helpers/prometheus.js";

const dirs: string[] = [];
const dbs: ChainDb[] = [];

beforeAll(async () => {
  await cryptoReady();
});
afterAll(async () => {
  for (const db of dbs) await db.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function openChain(): Promise<Chain> {
  const dir = mkdtempSync(join(tmpdir(), "tc-metrics-chain-"));
  dirs.push(dir);
  const db = await ChainDb.open(join(dir, "db"));
  dbs.push(db);
  return Chain.open(
    { db, logger: nullLogger, signatures: defaultSignatureChecker },
    buildGenesisStorage({ balances: [] }),
  );
}

function metricsOf(chain: Chain) {
  const metrics = new NodeMetrics(
    { processMetrics: false },
    { chain, pool: { status: () => ({ ready: 0 }) }, logger: nullLogger },
  );
  return { metrics, read: async () => new Scrape(await metrics.text()) };
}

describe("metrics hooks", () => {
  it("time block construction (proposer) and network block import (BlockImporter)", async () => {
    const author = await openChain();
    const follower = await openChain();
    const authorMetrics = metricsOf(author);
    const followerMetrics = metricsOf(follower);

    const proposal = propose(
      {
        parent: author.bestRuntime,
        timestamp: 1_000_000n,
        preDigest: [],
        deadlineReached: () => false,
      },
      {
        pool: { ready: () => [], reportInvalid: () => {} },
        signatures: defaultSignatureChecker,
        genesisHash: author.genesisHash,
        logger: nullLogger,
        onBlockConstructed: (seconds, n) => authorMetrics.metrics.observeBlockConstructed(seconds, n),
      },
    );
    await author.importBlock({ header: proposal.header, extrinsics: proposal.extrinsics }, "own", {
      executed: proposal.state,
    });
    const a = await authorMetrics.read();
    expect(a.count("substrate_proposer_block_constructed")).toBe(1);
    expect(a.value("substrate_proposer_number_of_transactions")).toBe(1); // the timestamp inherent
    expect(a.value("substrate_block_height", { status: "best" })).toBe(1);
    // Own blocks are not network imports (as in Substrate, where they skip the import queue).
    expect(a.count("substrate_block_verification_and_import_time")).toBe(0);

    const importer = new BlockImporter({
      chain: follower,
      babe: { verify: async () => {} } as unknown as BabeVerifier,
      logger: nullLogger,
      onImportTime: (seconds) => followerMetrics.metrics.observeBlockImport(seconds),
    });
    const block = { header: proposal.header, extrinsics: proposal.extrinsics };
    expect((await importer.import(block, "network")).status).toBe("imported");
    // A block already known is no import: not timed.
    expect((await importer.import(block, "network")).status).toBe("known");
    const f = await followerMetrics.read();
    expect(f.count("substrate_block_verification_and_import_time")).toBe(1);
    expect(f.sum("substrate_block_verification_and_import_time")).toBeGreaterThan(0);
    expect(f.value("substrate_block_height", { status: "best" })).toBe(1);
    expect(f.value("substrate_block_height", { status: "finalized" })).toBe(0);
    expect(f.value("substrate_number_leaves")).toBe(1);
    expect(f.count("substrate_proposer_block_constructed")).toBe(0);
  });
});
