/**
 * The finality driver and GRANDPA commit messages: a commit gossiped on the finality topic (as another
 * voter sends it after finalizing) finalizes its target on a node that saw none of the precommits, with
 * the justification stored; a forged commit is rejected and its sender reported; a stale one ignored.
 *
 * A chain on a temporary LevelDB with four validators (Alice, Bob, Charlie, Dave: GRANDPA set 0, one
 * vote each) and blocks built without BABE (the driver does not look at authorship).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import {
  type CommitMessage,
  defaultVoterOptions,
  encodeGossipCommit,
  encodeGossipVote,
  signVote,
  verifyJustification,
} from "../../../../consensus/grandpa/index.js";
import { propose } from "../../../../node/authoring/proposer.js";
import { Chain } from "../../../../node/chain/chain.js";
import type { BlockRef } from "../../../../node/chain/types.js";
import { ChainDb } from "../../../../node/db/chainDb.js";
import { FinalityService } from "../../../../node/finality/index.js";
import { Keystore } from "../../../../node/keystore.js";
import { defaultSignatureChecker, keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import { buildGenesisStorage } from "../../../../runtime/index.js";
import { devSessionKeys } from "../../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];
const pk = (name: string) => keypairFromSuri(`//${name}`).publicKey;
const gran = (name: string) => keypairFromSuri(`//${name}`, "ed25519");

const dbs: ChainDb[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
});

async function setup() {
  const db = await ChainDb.open(join(mkdtempSync(join(tmpdir(), "tc-commits-")), "db"));
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
  const published: Uint8Array[] = [];
  const requested: { peer: string; number: number; hash: string }[] = [];
  const finality = await FinalityService.create(
    { voter: defaultVoterOptions, validator: false },
    {
      chain,
      db,
      keystore: new Keystore(undefined),
      logger: nullLogger,
      publish: async (data) => {
        published.push(data);
      },
      peers: () => [],
      requestCatchUp: async () => undefined,
      reportPeer: () => {},
      now: () => Date.now(),
      requestBlock: (peer, block) => requested.push({ peer, number: block.number, hash: toHex(block.hash) }),
    },
  );
  return { chain, finality, published, requested };
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

/** The commit of round 2 of set 0 for `target`, precommitted by `voters`. */
function commitFor(target: BlockRef, voters: string[]): CommitMessage {
  const id = { hash: target.hash, number: target.number };
  return {
    round: 2n,
    setId: 0n,
    target: id,
    precommits: voters.map((n) => signVote(gran(n), "Precommit", id, 2n, 0n)),
  };
}

describe("GRANDPA commits at the finality driver", () => {
  it("finalizes a node that saw no precommit from one gossiped commit, storing the justification", async () => {
    const { chain, finality, published } = await setup();
    const blocks = await grow(chain, 4);
    const target = blocks[2]!;
    const bytes = encodeGossipCommit(commitFor(target, ["Alice", "Bob", "Charlie"]));
    expect(await finality.onGossip(bytes, "peer-1")).toBe("accept");
    expect(chain.finalized.hashHex).toBe(target.hashHex);
    const justification = await chain.justification(target.hash);
    expect(justification).toBeDefined();
    const set = (await chain.runtimeAt(blocks[1]!.hash)).grandpaSet();
    expect(toHex(verifyJustification(justification!, set, target).hash)).toBe(target.hashHex);
    expect(finality.voter.lastFinalized.number).toBe(3);
    // It finalized from another voter's commit: it sends none of its own.
    expect(published).toEqual([]);
    // The same commit again is stale: ignored (not passed on), no penalty.
    expect(await finality.onGossip(bytes, "peer-2")).toBe("ignore");
  });

  it("rejects and reports a commit that does not prove finality, and undecodable bytes", async () => {
    const { chain, finality } = await setup();
    const [, , target] = await grow(chain, 3);
    const twoOfFour = encodeGossipCommit(commitFor(target!, ["Alice", "Bob"]));
    expect(await finality.onGossip(twoOfFour, "peer-1")).toMatchObject({
      verdict: "reject",
      report: { kind: "invalidMessage", reason: "GRANDPA_ERROR_BAD_JUSTIFICATION" },
    });
    const commit = commitFor(target!, ["Alice", "Bob", "Charlie"]);
    commit.precommits[2] = { ...commit.precommits[2]!, signature: new Uint8Array(64).fill(1) };
    expect(await finality.onGossip(encodeGossipCommit(commit), "peer-2")).toMatchObject({ verdict: "reject" });
    expect(await finality.onGossip(new Uint8Array([1, 2, 3]), "peer-3")).toMatchObject({
      verdict: "reject",
      report: { kind: "invalidMessage" },
    });
    expect(chain.finalized.number).toBe(0);
    // A commit of another set is not checked here: ignored.
    const otherSet = { ...commitFor(target!, ["Alice", "Bob", "Charlie"]), setId: 5n };
    expect(await finality.onGossip(encodeGossipCommit(otherSet), "peer-4")).toBe("ignore");
  });

  it("asks sync for the blocks that valid votes and commits name and the chain lacks", async () => {
    const { chain, finality, requested } = await setup();
    const [known] = await grow(chain, 1);
    const fork = { hash: new Uint8Array(32).fill(0xab), number: 3 };
    const vote = (target: { hash: Uint8Array; number: number }, who = "Alice") =>
      encodeGossipVote(signVote(gran(who), "Prevote", target, 0n, 0n));
    expect(await finality.onGossip(vote(fork), "peer-1")).toBe("accept");
    expect(await finality.onGossip(vote({ hash: known!.hash, number: 1 }, "Bob"), "peer-1")).toBe("accept");
    expect(requested).toEqual([{ peer: "peer-1", number: 3, hash: toHex(fork.hash) }]);
    // A vote by someone outside the set is rejected before anything is fetched.
    expect(await finality.onGossip(vote(fork, "Eve"), "peer-2")).toMatchObject({ verdict: "reject" });
    // A commit for a block we lack: kept until imported, and asked for.
    const commit = commitFor({ ...fork, hashHex: toHex(fork.hash) } as unknown as BlockRef, [
      "Alice",
      "Bob",
      "Charlie",
    ]);
    expect(await finality.onGossip(encodeGossipCommit(commit), "peer-3")).toBe("ignore");
    expect(requested.slice(1)).toEqual([{ peer: "peer-3", number: 3, hash: toHex(fork.hash) }]);
  });
});
