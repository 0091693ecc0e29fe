import { beforeAll, describe, expect, it } from "@jest/globals";
import { type FollowedBlock, JobEventFollower } from "../../../../node/jobs/follower.js";
import { defaultSignatureChecker } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { JobManager } from "../../../../runtime/pallets/jobManager/index.js";
import { CPU_BOX, EVALUATOR, jobRuntime, pk, postJob, register, spec } from "../../../helpers/jobs.js";
import { dev, UNIT } from "../../../helpers/runtime.js";
import { MemoryPool, produce, RuntimeChain } from "./helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

function setup() {
  const chain = new RuntimeChain(jobRuntime());
  const pool = new MemoryPool();
  const follower = new JobEventFollower({ chain, signatures: defaultSignatureChecker, logger: nullLogger });
  const seen: FollowedBlock[] = [];
  follower.onBlock((b) => {
    seen.push(b);
  });
  return { chain, pool, follower, seen };
}

const signed = (chain: RuntimeChain, name: string, call: Parameters<RuntimeChain["rt"]["sign"]>[0]) =>
  chain.rt.sign(call, dev(name), chain.rt.nonceOf(dev(name)));

describe("JobEventFollower", () => {
  it("hands out the start block, then each new best block once, with its decoded job events and state", async () => {
    const { chain, pool, follower, seen } = setup();
    follower.start();
    await follower.idle();
    expect(seen.map((b) => b.number)).toEqual([0]);
    produce(chain, pool, [signed(chain, "E1", register(EVALUATOR, 100n * UNIT, CPU_BOX))]);
    produce(chain, pool, [signed(chain, "Client", postJob(spec({ evaluators: 1 }), 1_000n * UNIT))]);
    produce(chain, pool);
    await follower.idle();
    expect(seen.map((b) => b.number)).toEqual([0, 1, 2, 3]);
    expect(seen[1].events).toEqual([expect.objectContaining({ pallet: "WorkerRegistry", name: "Registered" })]);
    expect(seen[2].events).toEqual([
      {
        pallet: "JobManager",
        name: "JobPosted",
        fields: { job_id: 0n, client: pk("Client"), reward: 1_000n * UNIT, network_fee: 20n * UNIT },
      },
    ]);
    expect(seen[3].events).toEqual([]);
    // The state handed out is the block's own: the job exists from block 2 on.
    expect(JobManager.storage.Jobs.get(seen[1].ext, 0n)).toBeUndefined();
    expect(JobManager.storage.Jobs.get(seen[2].ext, 0n)?.status).toEqual({ tag: "Open" });
    expect(seen[3].hashHex).toBe(chain.best.hashHex);
    await follower.stop();
  });

  it("catches up when the best head jumps several blocks, oldest first", async () => {
    const { chain, pool, follower, seen } = setup();
    follower.start();
    await follower.idle();
    for (let i = 0; i < 4; i++) {
      chain.rt.block([]);
      chain.record(false);
    }
    produce(chain, pool);
    await follower.idle();
    expect(seen.map((b) => b.number)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("after a reorg hands out the new branch from the common ancestor, and nothing twice on one branch", async () => {
    const { chain, pool, follower, seen } = setup();
    follower.start();
    produce(chain, pool);
    const b1 = chain.best;
    const rtState = { state: chain.rt.state, header: chain.rt.header, hash: chain.rt.hash };
    produce(chain, pool); // 2a
    produce(chain, pool); // 3a
    await follower.idle();
    // Branch b from block 1: rewind the runtime and build two other blocks.
    Object.assign(chain.rt, rtState);
    chain.rt.block([signed(chain, "E1", register(EVALUATOR, 100n * UNIT, CPU_BOX))]);
    chain.record(false); // 2b
    produce(chain, pool); // 3b
    await follower.idle();
    expect(seen.map((b) => b.number)).toEqual([0, 1, 2, 3, 2, 3]);
    expect(seen[4].events.map((e) => e.name)).toEqual(["Registered"]);
    expect(seen[4].hashHex).not.toBe(seen[2].hashHex);
    // A stale announcement of a block already handed out changes nothing.
    chain.setBest(b1);
    chain.setBest(chain.best);
    await follower.idle();
    expect(seen).toHaveLength(6);
  });

  it("stops handing out blocks after stop()", async () => {
    const { chain, pool, follower, seen } = setup();
    follower.start();
    await follower.idle();
    await follower.stop();
    produce(chain, pool);
    await follower.idle();
    expect(seen.map((b) => b.number)).toEqual([0]);
  });
});
