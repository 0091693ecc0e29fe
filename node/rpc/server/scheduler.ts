/**
 * Where the RPC server's main-thread work runs: a fair, time-sliced queue on the event loop, so that
 * no client can hold the loop (block production, import, networking) for more than a few ms.
 *
 * Every piece of work (parsing a message, executing one call of it and encoding its answer) is a task
 * queued on the lane of its connection (a WebSocket, or one HTTP request). One drain runs the lanes in
 * turn, one task of a lane at a time, for at most `budgetMs` per event-loop turn, then yields with
 * `setImmediate`, which lets timers and I/O run before it continues.
 *
 * After each task the drain lets the microtasks it queued run (an answer written, which may block its
 * lane), so a connection's state is current before its next task is picked.
 *
 * A task may return a promise. The drain waits for it within the turn, so that work a handler does after
 * an `await` of something already settled (microtasks, which would otherwise all run before the loop
 * moves on) is counted against the budget too. A task still pending when the turn ends (it waits on
 * I/O or a timer) no longer holds the drain: it finishes on its own, and the drain goes on next turn.
 *
 * A lane can be blocked (its client does not read what it is sent): it keeps its tasks but runs none
 * until unblocked.
 *
 * With a `priority` (`node/loopPriority.ts`), no task starts while it is busy (a block is being
 * authored): the drain waits for it to be idle, so RPC work never lands between authoring's awaits.
 */
import type { Logger } from "../../../primitives/logger.js";
import { isThenable } from "./jsonrpc.js";

/** Work that goes before RPC tasks while `busy` (see `LoopPriority`). */
export interface RpcPriority {
  readonly busy: boolean;
  idle(): Promise<void>;
}

/** One unit of work; what it returns is ignored, but a promise is waited for (see above). */
export type Task = () => unknown;

const LATE = Symbol("late");

export class RpcScheduler {
  /** Lanes with tasks that are not blocked, in the order they are served. */
  private readonly ready: Lane[] = [];
  private readyHead = 0;
  private running = false;

  constructor(
    private readonly budgetMs: number,
    private readonly log: Logger,
    private readonly priority?: RpcPriority,
  ) {}

  /** A new, empty lane (one per connection). */
  lane(): Lane {
    return new Lane(this);
  }

  /** Lanes waiting to run (tests). */
  get readyLanes(): number {
    return this.ready.length - this.readyHead;
  }

  /** @internal The lane has runnable tasks: put it in line and make sure the drain runs. */
  wake(lane: Lane): void {
    if (lane.inLine) return;
    lane.inLine = true;
    this.ready.push(lane);
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.drain());
    }
  }

  private nextLane(): Lane | undefined {
    while (this.readyHead < this.ready.length) {
      const lane = this.ready[this.readyHead++];
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
      lane.inLine = false;
      if (lane.runnable) return lane;
    }
    this.ready.length = 0;
    this.readyHead = 0;
    return undefined;
  }

  private async drain(): Promise<void> {
    let turnStart = performance.now();
    // Resolves in the check phase of the next loop iteration: after timers and I/O have had their turn.
    let nextTurn: Promise<typeof LATE> | null = null;
    for (;;) {
      if (this.priority?.busy) {
        await this.priority.idle();
        nextTurn = null;
        turnStart = performance.now();
      }
      if (performance.now() - turnStart >= this.budgetMs) {
        await (nextTurn ?? immediate());
        nextTurn = null;
        turnStart = performance.now();
      }
      const lane = this.nextLane();
      if (lane === undefined) break;
      const task = lane.take();
      if (lane.runnable) this.wake(lane);
      let result: unknown;
      try {
        result = task();
      } catch (err) {
        this.log.error("RPC task failed", {}, err);
        continue;
      }
      if (!isThenable(result)) {
        // Let what the task settled run (an answer sent, a lane blocked by it) before the next task.
        await undefined;
        continue;
      }
      nextTurn ??= immediate();
      const settled = await Promise.race([result.then(settle, settle), nextTurn]);
      if (settled === LATE) {
        // The task waits on I/O: leave it, and start a new turn's budget now that we are in it.
        nextTurn = null;
        turnStart = performance.now();
      }
    }
    this.running = false;
    // A lane woken between the last look and now found `running` still true: look again.
    if (this.readyLanes > 0) {
      this.running = true;
      setImmediate(() => void this.drain());
    }
  }
}

export class Lane {
  private tasks: Task[] = [];
  private head = 0;
  private blockedFlag = false;
  private closedFlag = false;
  /** @internal In the scheduler's ready line. */
  inLine = false;

  constructor(private readonly scheduler: RpcScheduler) {}

  /** Queues a task; dropped when the lane is closed. */
  push(task: Task): void {
    if (this.closedFlag) return;
    this.tasks.push(task);
    if (!this.blockedFlag) this.scheduler.wake(this);
  }

  /** Tasks queued and not yet run. */
  get size(): number {
    return this.tasks.length - this.head;
  }

  get blocked(): boolean {
    return this.blockedFlag;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Blocks or unblocks the lane: a blocked lane keeps its tasks but runs none. */
  setBlocked(blocked: boolean): void {
    if (this.blockedFlag === blocked) return;
    this.blockedFlag = blocked;
    if (!blocked && this.runnable) this.scheduler.wake(this);
  }

  /** Drops the queued tasks and every later one (the connection is gone). */
  close(): void {
    this.closedFlag = true;
    this.tasks = [];
    this.head = 0;
  }

  /** @internal */
  get runnable(): boolean {
    return !this.blockedFlag && !this.closedFlag && this.head < this.tasks.length;
  }

  /** @internal The next task; only called when `runnable`. */
  take(): Task {
    const task = this.tasks[this.head];
    this.tasks[this.head++] = noop;
    if (this.head === this.tasks.length) {
      this.tasks.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tasks.length) {
      this.tasks.splice(0, this.head);
      this.head = 0;
    }
    return task;
  }
}

function settle(): void {}

function noop(): void {}

function immediate(): Promise<typeof LATE> {
  return new Promise((resolve) => setImmediate(resolve, LATE));
}
