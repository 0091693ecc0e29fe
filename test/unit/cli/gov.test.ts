/** The pure parts of `tensorchain gov` and `params`: argument parsing and the referendum view. */
import { describe, expect, it } from "@jest/globals";
import { parseCall, parseSetParameter, referendumView } from "../../../cli/commands/gov.js";
import { JOB_MANAGER, WORKER_REGISTRY } from "../../../runtime/pallets/parameters/index.js";
import type { ReferendumInfoValue, TrackSettings } from "../../../runtime/pallets/referenda/index.js";

describe("gov propose arguments", () => {
  it("--set-parameter NAME=VALUE: qualified or bare names, values in range, amounts in planck or TRAIN", () => {
    expect(parseSetParameter("worker_share_ppm=850000")).toEqual({
      knob: JOB_MANAGER.worker_share_ppm,
      value: 850_000,
    });
    expect(parseSetParameter("workerRegistry.min_stake=2.5TRAIN")).toEqual({
      knob: WORKER_REGISTRY.min_stake,
      value: 2_500_000_000_000n,
    });
    expect(parseSetParameter("jobManager.min_worker_stake=7")).toEqual({
      knob: JOB_MANAGER.min_worker_stake,
      value: 7n,
    });
    expect(() => parseSetParameter("worker_share_ppm=1000001")).toThrow(/0..=1000000/);
    expect(() => parseSetParameter("worker_share_ppm=0.5")).toThrow(/integer/);
    expect(() => parseSetParameter("nope=1")).toThrow(/unknown parameter/);
    expect(() => parseSetParameter("worker_share_ppm")).toThrow(/NAME=VALUE/);
  });

  it("--call pallet.method(JSON args), snake_case names as camelCase", () => {
    expect(parseCall("jobManager.cancel_job(3)")).toEqual({ section: "jobManager", method: "cancelJob", args: [3] });
    expect(parseCall('parameters.setParameter({"JobManager":{"WorkerSharePpm":[null,1]}})')).toEqual({
      section: "parameters",
      method: "setParameter",
      args: [{ JobManager: { WorkerSharePpm: [null, 1] } }],
    });
    expect(() => parseCall("jobManager.cancelJob(x)")).toThrow(/JSON/);
    expect(() => parseCall("cancelJob(3)")).toThrow(/pallet.method/);
  });
});

describe("gov show", () => {
  const t: TrackSettings = {
    submissionDeposit: 10n,
    decisionDeposit: 100n,
    prepare: 2,
    decision: 10,
    confirm: 2,
    minEnactment: 3,
    undecidingTimeout: 20,
    approval: { floor: 500_000_000, ceil: 1_000_000_000 },
    support: { floor: 10_000_000, ceil: 250_000_000 },
  };
  const ongoing = (deciding?: { since: number; confirming?: number }): ReferendumInfoValue => ({
    tag: "Ongoing",
    value: {
      track: 0,
      origin: { tag: "system", value: { tag: "Root" } },
      proposal: { tag: "Inline", value: new Uint8Array([12, 0]) },
      enactment: { tag: "After", value: 0 },
      submitted: 1,
      submission_deposit: { who: new Uint8Array(32), amount: 10n },
      decision_deposit: deciding ? { who: new Uint8Array(32), amount: 100n } : undefined,
      deciding: deciding && { since: deciding.since, confirming: deciding.confirming },
      tally: { ayes: 1200n, nays: 600n, support: 800n },
      in_queue: false,
      alarm: undefined,
    },
  });

  it("shows the tally against the curves now, and when it passes, confirms and ends", () => {
    expect(referendumView(0, ongoing({ since: 3 }), t, 6000n, 6)).toMatchObject({
      status: "Deciding",
      approval: 666_666_666,
      support: 133_333_333,
      approvalNeeded: 850_000_000,
      supportNeeded: 178_000_000,
      passesFrom: 10,
      decisionEndsAt: 13,
    });
    expect(referendumView(0, ongoing({ since: 3, confirming: 12 }), t, 6000n, 10)).toMatchObject({
      status: "Confirming",
      confirmingUntil: 12,
    });
    expect(referendumView(0, ongoing(), t, 6000n, 1)).toMatchObject({
      status: "Preparing",
      decidingFrom: null,
      timesOutAt: 21,
    });
    expect(referendumView(4, { tag: "Killed", value: 9 }, t, 6000n, 10)).toEqual({ index: 4, status: "Killed", at: 9 });
  });
});
