/**
 * Governance on the job market of a chain without a sudo key (as `local` and `devnet`): the runtime has
 * no Sudo pallet, so a sudo extrinsic does not even decode; Root is reached through a referendum, and
 * the job that settles after the referendum raised `worker_share_ppm` pays the new share, to the planck.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { concat, cryptoReady } from "../../../primitives/hashing.js";
import { RuntimeCall, runtimeOptions } from "../../../runtime/construct.js";
import { UndecodableExtrinsicError } from "../../../runtime/executive.js";
import { metadataV14 } from "../../../runtime/metadata.js";
import { JOB_MANAGER, param, setParameterCall } from "../../../runtime/pallets/parameters/index.js";
import { Sudo } from "../../../runtime/pallets/sudo.js";
import { eventNames, placeDecisionDeposit, proposeParameter, TEST_GOVERNANCE, vote } from "../../helpers/governance.js";
import {
  assign,
  claim,
  commit,
  EVALUATOR,
  JobHarness,
  jobRuntime,
  postJob,
  register,
  reveal,
  revealTestSet,
  spec,
  submitResults,
  TRAINER,
} from "../../helpers/jobs.js";
import { dev, UNIT } from "../../helpers/runtime.js";

beforeAll(async () => {
  await cryptoReady();
});

const REWARD = 1_000n * UNIT;

/** The job market without sudo, short governance periods, support 5% -> 1%, no network fee. */
function market(): JobHarness {
  const h = new JobHarness(
    jobRuntime({
      sudo: false,
      jobManager: { network_fee_ppm: 0 },
      parameters: { ...TEST_GOVERNANCE, "referenda.min_support_ceil": 50_000_000 },
    }),
  );
  h.send("W1", register(TRAINER, 100n * UNIT));
  h.send("E1", register(EVALUATOR, 100n * UNIT));
  h.send("E2", register(EVALUATOR, 300n * UNIT));
  return h;
}

describe("a chain without a sudo key", () => {
  it("runs the runtime without Sudo: a sudo extrinsic is an unknown call, and the metadata has no Sudo", () => {
    const h = market();
    expect(runtimeOptions()).toEqual({ sudo: false });
    const inner = RuntimeCall.enc(setParameterCall(JOB_MANAGER.worker_share_ppm, 850_000));
    const sudoCall = concat(new Uint8Array([Sudo.index, 0]), inner);
    expect(() => RuntimeCall.dec(sudoCall)).toThrow("CODEC_ERROR_MALFORMED");
    const tx = h.rt.sign(sudoCall as never, dev("Ferdie"), h.rt.nonceOf(dev("Ferdie")));
    // The pool's validation cannot decode it (the RPC answers 1002); a block cannot include it.
    expect(() => h.rt.validate(tx)).toThrow(UndecodableExtrinsicError);
    expect(() => h.rt.validate(tx)).toThrow("Could not decode `RuntimeCall`, variant doesn't exist");
    const { results } = h.rt.block([tx]);
    expect(results).toEqual([{ ok: false, error: { kind: "invalid", reason: "call" } }]);
    const registry = new TypeRegistry();
    const metadata = new Metadata(registry, metadataV14());
    const names = metadata.asLatest.pallets.map((p) => p.name.toString());
    expect(names).not.toContain("Sudo");
    expect(names).toEqual(expect.arrayContaining(["Parameters", "ConvictionVoting", "Referenda"]));
  });

  it("raises worker_share_ppm by referendum; the next job pays the new share exactly", () => {
    const h = market();
    const start = h.head;
    // Ferdie proposes 850_000 (with the 150_000 evaluator share: 100%, nothing left for the treasury).
    h.send("Ferdie", proposeParameter(JOB_MANAGER.worker_share_ppm, 850_000));
    h.send("Ferdie", placeDecisionDeposit(0));
    // 5,000 TRAIN aye of about 90,000 issued: 5.5% support, 100% approval, passing from the start.
    h.send("Alice", vote(0, true, 1, 5_000n * UNIT));
    expect(eventNames(h.rt)).toEqual(["Referenda.DecisionStarted", "ConvictionVoting.Voted"]);
    // Serviced the block after the vote: passing, so confirming for 2 blocks; enacted 3 blocks later.
    h.runTo(start + 4);
    expect(eventNames(h.rt)).toEqual(["Referenda.ConfirmStarted"]);
    h.runTo(start + 6);
    expect(eventNames(h.rt)).toEqual(["Referenda.Confirmed", "Referenda.Approved"]);
    h.runTo(start + 8);
    expect(h.rt.read((e) => param(e, JOB_MANAGER.worker_share_ppm))).toBe(800_000);
    h.runTo(start + 9);
    expect(eventNames(h.rt)).toEqual(["Parameters.Updated", "Referenda.Enacted"]);
    expect(h.rt.read((e) => param(e, JOB_MANAGER.worker_share_ppm))).toBe(850_000);
    // A one-trainer job, scored by both evaluators.
    const acc: [string, number][] = [["W1", 950_000]];
    h.send("Client", postJob(spec({ workers: 1 }), REWARD));
    h.send("W1", assign(0n));
    submitResults(h, 0n, [claim("W1", 0x11)]);
    h.send("Client", revealTestSet(0n));
    h.send("E1", commit(0n, "E1", acc));
    h.send("E2", commit(0n, "E2", acc));
    h.send("E1", reveal(0n, acc));
    h.send("E2", reveal(0n, acc));
    expect(h.rt.eventsOf("JobManager", "JobSucceeded")).toHaveLength(1);
    // 85% to the trainer, 15% split between the evaluators, nothing for the treasury; net of fees.
    expect({ W1: h.gain("W1"), E1: h.gain("E1"), E2: h.gain("E2"), Client: h.gain("Client") }).toEqual({
      W1: 850n * UNIT,
      E1: 75n * UNIT,
      E2: 75n * UNIT,
      Client: -REWARD,
    });
    expect(h.treasuryGain()).toBe(0n);
  });
});
