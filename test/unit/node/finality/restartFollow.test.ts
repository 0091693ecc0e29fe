/**
 * The GRANDPA voter follows finality that the chain imports from elsewhere (sync's justifications)
 * after a restart, and after a long jump: its base (the finalized block it knows) must stay walkable to
 * the newly finalized block. Found by the chaos suite (test/sim/): a validator killed and restarted
 * behind the others kept voting for the block it had finalized before the kill in every round, since
 * that block's header had left memory when sync finalized past it; the other three could then finalize
 * only while all of them were up and connected.
 *
 * A chain on a temporary LevelDB with four GRANDPA voters and blocks built without BABE; the node's
 * finality driver as an observer; `chain.finalize` as sync's justification import calls it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { defaultVoterOptions } from "../../../../consensus/grandpa/index.js";
import { propose } from "../../../../node/authoring/proposer.js";
import { Chain } from "../../../../node/chain/chain.js";
import type { BlockRef } from "../../../../node/chain/types.js";
import { ChainDb } from "../../../../node/db/chainDb.js";
import { FinalityService } from "../../../../node/finality/index.js";
import { Keystore } from "../../../../node/keystore.js";
import { defaultSignatureChecker, keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import { buildGenesisStorage } from "../../../../runtime/index.js";
import { devSessionKeys } from "../../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];
const pk = (name: string) => keypairFromSuri(`//${name}`).publicKey;

const dbs: ChainDb[] = [];
const services: FinalityService[] = [];
afterEach(async () => {
  for (const f of services.splice(0)) await f.stop();
  for (const db of dbs.splice(0)) await db.close();
});

async function openChain(path: string): Promise<{ chain: Chain; db: ChainDb }> {
  const db = await ChainDb.open(path);
  dbs.push(db);
  const chain = await Chain.open(
    { db, logger: nullLogger, signatures: defaultSignatureChecker },
    buildGenesisStorage({
      balances: VALIDATORS.map((n) => [pk(n), 1000n * UNITS]),
      staking: {
        validatorCount: VALIDATORS.length,
        validators: VALIDATORS.map((n) => ({ stash: pk(n), stake: 100n * UNITS, keys: devSessionKeys(n) })),
      },
    }),
  );
  return { chain, db };
}

async function startFinality(chain: Chain, db: ChainDb): Promise<FinalityService> {
  const finality = await FinalityService.create(
    { voter: defaultVoterOptions, validator: false },
    {
      chain,
      db,
      keystore: new Keystore(undefined),
      logger: nullLogger,
      publish: async () => {},
      peers: () => [],
      requestCatchUp: async () => undefined,
      reportPeer: () => {},
      now: () => Date.now(),
    },
  );
  services.push(finality);
  await finality.start();
  return finality;
}

/** Imports `n` empty blocks on the best block; returns them. */
async function grow(chain: Chain, n: number): Promise<BlockRef[]> {
  const out: BlockRef[] = [];
  for (let i = 0; i < n; i++) {
    const parent = await chain.runtimeAt(chain.best.hash);
    const p = propose(
      {
        parent,
        timestamp: 1_000_000n + BigInt(parent.block.number + 1) * 2000n,
        preDigest: [],
        deadlineReached: () => false,
      },
      {
        pool: { ready: () => [], reportInvalid: () => {} },
        signatures: defaultSignatureChecker,
        genesisHash: chain.genesisHash,
        logger: nullLogger,
      },
    );
    out.push(await chain.importBlock({ header: p.header, extrinsics: p.extrinsics }, "own", { executed: p.state }));
  }
  return out;
}

/** Waits (bounded) until the voter's finalized block reaches `n`. */
async function voterReaches(finality: FinalityService, n: number): Promise<number> {
  for (let i = 0; i < 100 && finality.voter.lastFinalized.number < n; i++) await new Promise((r) => setTimeout(r, 20));
  return finality.voter.lastFinalized.number;
}

describe("the GRANDPA voter follows finality imported by sync", () => {
  it("after a restart on a database whose finalized block is behind", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tc-restart-follow-")), "db");
    const first = await openChain(path);
    const before = await grow(first.chain, 3);
    await first.chain.finalize(before[1]!.hash);
    await first.db.close();
    dbs.splice(dbs.indexOf(first.db), 1);

    const { chain, db } = await openChain(path);
    expect(chain.finalized.number).toBe(2);
    const finality = await startFinality(chain, db);
    expect(finality.voter.lastFinalized.number).toBe(2);
    // Sync brings blocks and a justification for #6.
    const after = await grow(chain, 4);
    await chain.finalize(after[2]!.hash);
    expect(await voterReaches(finality, 6)).toBe(6);
  });

  it("after a jump of more than 256 blocks", async () => {
    const { chain, db } = await openChain(join(mkdtempSync(join(tmpdir(), "tc-jump-follow-")), "db"));
    const finality = await startFinality(chain, db);
    const blocks = await grow(chain, 300);
    await chain.finalize(blocks[289]!.hash);
    expect(await voterReaches(finality, 290)).toBe(290);
  }, 60_000);
});
