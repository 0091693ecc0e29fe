/** The roles' extrinsic submitter: nonces past the pool's, and no second copy of a call still waiting. */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { ExtrinsicSubmitter } from "../../../../node/jobs/submitter.js";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { createLogger } from "../../../../primitives/logger.js";
import { parseExtrinsic } from "../../../../runtime/index.js";
import { jobRuntime, registry } from "../../../helpers/jobs.js";
import { dev } from "../../../helpers/runtime.js";
import { MemoryPool, produce, RuntimeChain } from "./helpers.js";

beforeAll(cryptoReady);

function setup() {
  const chain = new RuntimeChain(jobRuntime());
  const pool = new MemoryPool();
  const submitter = new ExtrinsicSubmitter({
    pool,
    pair: dev("Ferdie"),
    genesisHash: chain.genesisHash,
    bestRuntime: () => chain.runtimeAt(chain.best.hash),
    logger: createLogger({ level: "error" }),
  });
  return { chain, pool, submitter };
}

const nonces = (pool: MemoryPool) => pool.pending().map((tx) => parseExtrinsic(tx).signed?.nonce);

describe("ExtrinsicSubmitter", () => {
  it("gives different purposes consecutive nonces past the ones waiting in the pool", async () => {
    const { pool, submitter } = setup();
    await submitter.submit(registry("heartbeat"), "heartbeat");
    await submitter.submit(registry("heartbeat"), "other", { job: 1n });
    expect(nonces(pool)).toEqual([0, 1]);
  });

  it("does not send a second copy of a call whose previous extrinsic is still in the pool", async () => {
    const { chain, pool, submitter } = setup();
    await submitter.submit(registry("heartbeat"), "heartbeat");
    const waiting = pool.pending()[0]!;
    const again = await submitter.submit(registry("heartbeat"), "heartbeat");
    expect(again).toBe(toHex(blake2_256(waiting)));
    expect(nonces(pool)).toEqual([0]);
    // Once it has left the pool (included), a resubmission is a new extrinsic with the next nonce.
    produce(chain, pool);
    await submitter.submit(registry("heartbeat"), "heartbeat");
    expect(nonces(pool)).toEqual([1]);
  });
});
