/**
 * A validator disabled by an offence, at the node: its own slot worker claims no slot, a block it
 * authors anyway is refused by the BABE header check and by the runtime, and honest validators keep
 * building. Its GRANDPA vote still counts until the set changes (as in Substrate).
 *
 * A chain on a temporary LevelDB with Alice, Bob, Charlie and Dave validating (100 each, 10% slash
 * fraction; four, so that one may be disabled) and Ferdie as sudo; block 1, authored by Bob, applies an offence by Alice (`force_apply_offence`).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { claimSlot, preDigestItem, sealFor } from "../../../../consensus/babe/index.js";
import { babeClaimSlot } from "../../../../node/authoring/babe.js";
import { propose } from "../../../../node/authoring/proposer.js";
import { SlotWorker } from "../../../../node/authoring/slotWorker.js";
import { BabeVerifier, defaultBabeOptions } from "../../../../node/chain/babeVerifier.js";
import { Chain, hashHeader } from "../../../../node/chain/chain.js";
import type { Block, BlockRef } from "../../../../node/chain/types.js";
import { ChainDb } from "../../../../node/db/chainDb.js";
import { signExtrinsic } from "../../../../node/extrinsicBuilder.js";
import { Keystore } from "../../../../node/keystore.js";
import { BlockImporter } from "../../../../node/network/blockImport.js";
import { defaultSignatureChecker, keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import { buildGenesisStorage, buildRuntime, type CallValue } from "../../../../runtime/index.js";
import { devSessionKeys } from "../../../helpers/runtime.js";

// The offence is forced through Sudo: this file runs the dev runtime.
buildRuntime({ sudo: true });

beforeAll(async () => {
  await cryptoReady();
});

const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];
const sr = (name: string) => keypairFromSuri(`//${name}`);
const pk = (name: string) => sr(name).publicKey;

const dbs: ChainDb[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
});

async function openChain(): Promise<Chain> {
  const db = await ChainDb.open(join(mkdtempSync(join(tmpdir(), "tc-disabled-")), "db"));
  dbs.push(db);
  const genesis = buildGenesisStorage({
    balances: [...VALIDATORS, "Ferdie"].map((n) => [pk(n), 1000n * UNITS]),
    sudoKey: pk("Ferdie"),
    staking: {
      validatorCount: VALIDATORS.length,
      slashFraction: 100_000_000,
      validators: VALIDATORS.map((n) => ({ stash: pk(n), stake: 100n * UNITS, keys: devSessionKeys(n) })),
    },
  });
  return Chain.open({ db, logger: nullLogger, signatures: defaultSignatureChecker }, genesis);
}

/** The slot worker of `name`'s node (its `babe` key in the keystore), authoring on request only. */
function worker(chain: Chain, name: string, txs: Uint8Array[] = []): SlotWorker {
  const keystore = new Keystore(undefined);
  keystore.insert("babe", `//${name}`, pk(name));
  return new SlotWorker(
    { slotDurationMs: 0, finalityDelayMs: undefined, proposingShare: 0.5 },
    {
      chain,
      now: () => Date.now(),
      claimSlot: babeClaimSlot(chain, keystore),
      pool: { ready: () => txs.map((bytes) => ({ hash: toHex(bytes), bytes })), reportInvalid: () => {} },
      signatures: defaultSignatureChecker,
      genesisHash: chain.genesisHash,
      logger: nullLogger,
    },
  );
}

/** Asks `w` for a block at each of the next `slots` slots, until it made `max`; returns the blocks it made. */
async function tryAuthor(w: SlotWorker, slots: number, max = Number.POSITIVE_INFINITY): Promise<BlockRef[]> {
  const made: BlockRef[] = [];
  for (let i = 0; i < slots && made.length < max; i++) {
    const b = await w.createBlock();
    if (b) made.push(b);
  }
  return made;
}

const offenceByAlice: CallValue = {
  tag: "Sudo",
  value: {
    tag: "sudo",
    value: {
      call: {
        tag: "Offences",
        value: {
          tag: "force_apply_offence",
          value: { offender: pk("Alice"), kind: { tag: "BlockEquivocation" }, session_index: 0 },
        },
      },
    },
  },
};

/** The chain after block 1 (by Bob), in which Alice is slashed and disabled. */
async function aliceDisabledAtBlock1() {
  const chain = await openChain();
  const tx = signExtrinsic(offenceByAlice, sr("Ferdie"), { nonce: 0, genesisHash: chain.genesisHash });
  const [block1] = await tryAuthor(worker(chain, "Bob", [tx]), 60, 1);
  expect(block1?.number).toBe(1);
  const view = await chain.runtimeAt(block1!.hash);
  const aliceIndex = view.babeEpoch().authorities.findIndex((a) => toHex(a.publicKey) === toHex(pk("Alice")));
  expect(view.disabledAuthorities()).toEqual([aliceIndex]);
  return { chain, block1: block1!, aliceIndex };
}

describe("a disabled validator at the node", () => {
  it("claims no slot on its own node, while it is entitled to some and honest validators keep building", async () => {
    const { chain, block1 } = await aliceDisabledAtBlock1();
    const epoch = chain.bestRuntime.babeEpoch();
    // Block 1 took one of slots 0-59. Alice's key wins some of slots 60-139 (primary or secondary)...
    const entitled = Array.from({ length: 80 }, (_, i) => BigInt(60 + i)).filter(
      (slot) => claimSlot(slot, epoch, [sr("Alice")]) !== undefined,
    );
    expect(entitled.length).toBeGreaterThan(0);
    // ...but her node claims none of slots 0-139: it would author a block every honest node rejects.
    const alice = worker(chain, "Alice");
    expect(await tryAuthor(alice, 140)).toEqual([]);
    expect(chain.best.hashHex).toBe(block1.hashHex);
    // Bob (like Charlie and Dave) still authors on block 1.
    const bob = await tryAuthor(worker(chain, "Bob"), 140);
    expect(bob.length).toBeGreaterThan(0);
    expect(bob[0]!.number).toBe(2);
  });

  it("refuses a block it authors anyway: the BABE header check, and the runtime when executed", async () => {
    const { chain, block1, aliceIndex } = await aliceDisabledAtBlock1();
    const parent = await chain.runtimeAt(block1.hash);
    const epoch = parent.babeEpoch();
    // A slot Alice is entitled to in her epoch, after block 1's.
    let slot = 1000n;
    let claim = claimSlot(slot, epoch, [sr("Alice")]);
    while (!claim) claim = claimSlot(++slot, epoch, [sr("Alice")]);
    expect(claim.authorityIndex).toBe(aliceIndex);
    const body = propose(
      { parent, timestamp: parent.timestamp() + 2000n, preDigest: [], deadlineReached: () => false },
      {
        pool: { ready: () => [], reportInvalid: () => {} },
        signatures: defaultSignatureChecker,
        genesisHash: chain.genesisHash,
        logger: nullLogger,
      },
    );
    const unsealed = { ...body.header, digest: { logs: [preDigestItem(claim.preDigest)] } };
    const header = {
      ...unsealed,
      digest: { logs: [...unsealed.digest.logs, sealFor(hashHeader(unsealed), sr("Alice"))] },
    };
    const block: Block = { header, extrinsics: body.extrinsics };

    const babe = new BabeVerifier(defaultBabeOptions, { chain, logger: nullLogger, now: () => Date.now() });
    const importer = new BlockImporter({ chain, babe, logger: nullLogger });
    await expect(importer.import(block, "network")).rejects.toMatchObject({
      type: { code: "BLOCK_IMPORT_ERROR_INVALID", reason: "BABE_ERROR_DISABLED_AUTHORITY" },
    });
    // Executed without the header check, the runtime refuses it too (Babe's on_initialize).
    await expect(chain.importBlock(block, "network")).rejects.toMatchObject({
      type: { code: "BLOCK_ERROR_EXECUTION_FAILED", reason: expect.stringContaining("disabled") },
    });
    expect(chain.best.hashHex).toBe(block1.hashHex);
  });

  it("keeps its GRANDPA vote (weight 1 in the set) until the set changes, as Substrate does", async () => {
    const { chain, aliceIndex } = await aliceDisabledAtBlock1();
    const set = chain.bestRuntime.grandpaSet();
    expect(set.setId).toBe(0n);
    expect(set.authorities).toHaveLength(4);
    const aliceGrandpa = toHex(devSessionKeys("Alice").grandpa);
    expect(set.authorities.find((a) => toHex(a.id) === aliceGrandpa)?.weight).toBe(1n);
    expect(chain.bestRuntime.disabledAuthorities()).toEqual([aliceIndex]);
  });
});
