import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { signVote } from "../../../../consensus/grandpa/index.js";
import { ChainDb } from "../../../../node/db/chainDb.js";
import { LevelVoteStore } from "../../../../node/finality/voteStore.js";
import { keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";

let dir: string;

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-votestore-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("LevelVoteStore", () => {
  it("keeps the voter's votes and state across a reopen of the database", async () => {
    const key = keypairFromSuri("//Alice", "ed25519");
    const target = { hash: new Uint8Array(32).fill(7), number: 12 };
    const prevote = signVote(key, "Prevote", target, 5n, 2n);
    const precommit = signVote(key, "Precommit", target, 5n, 2n);
    let db = await ChainDb.open(join(dir, "db"));
    let store = new LevelVoteStore(db);
    expect(await store.load(2n, 5n)).toBeUndefined();
    await store.save(2n, 5n, prevote);
    await store.save(2n, 5n, precommit);
    await store.saveState({ setId: 2n, round: 5n });
    await db.close();

    db = await ChainDb.open(join(dir, "db"));
    store = new LevelVoteStore(db);
    const saved = await store.load(2n, 5n);
    expect(saved?.prevote).toEqual(prevote);
    expect(saved?.precommit).toEqual(precommit);
    expect(await store.load(2n, 6n)).toBeUndefined();
    expect(await store.loadState()).toEqual({ setId: 2n, round: 5n });
    await db.close();
  });
});
