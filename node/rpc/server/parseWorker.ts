/**
 * Large messages (`OFF_THREAD_PARSE_BYTES` and up: content chunks, big extrinsics, 15 MiB of anything)
 * are decoded and parsed on a worker thread, not on the event loop: `JSON.parse` of 15 MB takes tens of
 * ms, while taking the parsed result back (a structured clone, mostly copies of long strings) takes a
 * few. The worker also finds the raw ids (`rawIds.ts`, the same scanner from its source text).
 *
 * One worker, started with the first large message and unreferenced (it never keeps the process up).
 * Should it fail, the messages it held are answered -32603 (their bytes went to it) and the next large
 * message starts another.
 */
import { Worker } from "node:worker_threads";
import type { Logger } from "../../../primitives/logger.js";
import { makeIdScanner } from "./rawIds.js";

/** Messages of at least this many bytes are parsed off the event loop. */
export const OFF_THREAD_PARSE_BYTES = 512 * 1024;

/** What the worker made of a message: not JSON, or its value and raw ids (as `rawRequestIds`). */
export type OffThreadParse =
  | { ok: false }
  | { ok: true; message: unknown; ids: string | undefined | (string | undefined)[] };

const WORKER_SOURCE = `"use strict";
const { parentPort } = require("node:worker_threads");
const scanner = (${makeIdScanner.toString()})();
parentPort.on("message", ({ id, bytes }) => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString();
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    parentPort.postMessage({ id, parsed: { ok: false } });
    return;
  }
  parentPort.postMessage({ id, parsed: { ok: true, message, ids: scanner.rawRequestIds(text) } });
});
`;

export class ParseWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, (parsed: OffThreadParse | undefined) => void>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly log: Logger) {}

  /**
   * Parses `bytes` (UTF-8 JSON) on the worker; undefined when the worker failed. The bytes are moved
   * to the worker (`bytes` is unusable afterwards) when they own their buffer, copied otherwise.
   */
  parse(bytes: Uint8Array): Promise<OffThreadParse | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const worker = this.start();
    const id = this.nextId++;
    const own =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
        ? bytes
        : bytes.slice();
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ id, bytes: own }, [own.buffer as ArrayBuffer]);
    });
  }

  /** Stops the worker; parses in progress resolve undefined. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll();
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on("message", ({ id, parsed }: { id: number; parsed: OffThreadParse }) => {
      const resolve = this.pending.get(id);
      this.pending.delete(id);
      resolve?.(parsed);
    });
    const failed = (err?: unknown) => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (!this.closed) this.log.error("RPC parse worker failed", {}, err);
      this.failAll();
    };
    worker.on("error", failed);
    worker.on("exit", (code) => failed(new Error(`exited with ${code}`)));
    this.worker = worker;
    return worker;
  }

  private failAll(): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const resolve of pending) resolve(undefined);
  }
}
