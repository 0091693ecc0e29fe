/**
 * Authoring goes before RPC work (issue 13): while a block is authored, the RPC scheduler starts no
 * task, so RPC work never lands between authoring's awaits; a hold cannot outlast `maxHoldMs`.
 */
import { describe, expect, it } from "@jest/globals";
import { LoopPriority } from "../../../node/loopPriority.js";
import { RpcScheduler } from "../../../node/rpc/server/scheduler.js";
import { nullLogger } from "../../../primitives/logger.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const turn = () => new Promise<void>((r) => setImmediate(r));

describe("LoopPriority with the RPC scheduler", () => {
  it("starts no RPC task while authoring holds priority, and every queued task right after", async () => {
    const priority = new LoopPriority();
    const scheduler = new RpcScheduler(1, nullLogger, priority);
    const lane = scheduler.lane();
    const ran: string[] = [];
    const authored = priority.run(async () => {
      // The RPC tasks are queued inside the hold; authoring then awaits several loop turns.
      for (let i = 0; i < 5; i++) lane.push(() => ran.push(`task ${i}`));
      for (let i = 0; i < 4; i++) {
        await turn();
        ran.push(`authoring turn ${i}`);
      }
      await sleep(5);
      ran.push("authored");
      return 42;
    });
    expect(priority.busy).toBe(true);
    expect(await authored).toBe(42);
    expect(priority.busy).toBe(false);
    await sleep(5);
    expect(ran).toEqual([
      "authoring turn 0",
      "authoring turn 1",
      "authoring turn 2",
      "authoring turn 3",
      "authored",
      "task 0",
      "task 1",
      "task 2",
      "task 3",
      "task 4",
    ]);
  });

  it("runs RPC tasks between authoring's turns without a priority (the behaviour it replaces)", async () => {
    const scheduler = new RpcScheduler(1, nullLogger);
    const lane = scheduler.lane();
    const ran: string[] = [];
    lane.push(() => ran.push("task"));
    await turn();
    ran.push("authoring turn");
    await sleep(5);
    expect(ran.indexOf("task")).toBeLessThan(ran.indexOf("authoring turn"));
  });

  it("lets RPC work run once a hold passes maxHoldMs, though authoring goes on", async () => {
    const priority = new LoopPriority(20);
    const scheduler = new RpcScheduler(1, nullLogger, priority);
    const lane = scheduler.lane();
    let authoring = true;
    const ran: { busy: boolean; authoring: boolean }[] = [];
    const authored = priority.run(async () => {
      lane.push(() => ran.push({ busy: priority.busy, authoring }));
      await sleep(200);
      authoring = false;
    });
    await sleep(100);
    // The task ran while authoring still went on, once the hold had expired (never while it held).
    expect(ran).toEqual([{ busy: false, authoring: true }]);
    await authored;
  });

  it("stays busy until every overlapping hold has ended, and releases when work throws", async () => {
    const priority = new LoopPriority();
    let endFirst!: () => void;
    const first = priority.run(() => new Promise<void>((r) => (endFirst = r)));
    const failing = priority.run(async () => {
      await turn();
      throw new Error("authoring failed");
    });
    await expect(failing).rejects.toThrow("authoring failed");
    expect(priority.busy).toBe(true);
    let idle = false;
    const waited = priority.idle().then(() => (idle = true));
    await sleep(5);
    expect(idle).toBe(false);
    endFirst();
    await first;
    await waited;
    expect(idle).toBe(true);
    expect(priority.busy).toBe(false);
  });
});
